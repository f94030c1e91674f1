/**
 * Opening the SDK's WebSocket to the daemon: the `ws` package in Node, the global WebSocket in
 * an Electron renderer or a browser. What runs over it is the wire module's peer.
 */
import { IPC_MAX_MESSAGE_BYTES, type WireSocket } from '../wire/index.js';
import { NotConnected } from './errors.js';

/** A socket being opened: the WHATWG event attributes, used until it is open. */
interface OpeningSocket extends WireSocket {
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: { message?: string; error?: unknown }) => void) | null;
}

type SocketFactory = (url: string) => OpeningSocket;

let factory: Promise<SocketFactory> | null = null;

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** How sockets are made here: `ws` under Node (no Origin header, our size cap), else the global. */
function socketFactory(): Promise<SocketFactory> {
  factory ??= (async () => {
    if (isNode()) {
      const ws = await import('ws');
      const WS = ws.WebSocket ?? (ws as unknown as { default: typeof ws.WebSocket }).default;
      return (url: string) => new WS(url, { maxPayload: IPC_MAX_MESSAGE_BYTES, perMessageDeflate: false }) as unknown as OpeningSocket;
    }
    const G = (globalThis as { WebSocket?: new (url: string) => OpeningSocket }).WebSocket;
    if (!G) throw new NotConnected('No WebSocket implementation: install the "ws" package or run where a global WebSocket exists');
    return (url: string) => new G(url);
  })();
  return factory;
}

/** Opens a socket, or rejects with NotConnected (with the cause) within `timeoutMs`. */
export async function openSocket(url: string, timeoutMs: number): Promise<WireSocket> {
  const make = await socketFactory();
  return new Promise<WireSocket>((resolve, reject) => {
    let settled = false;
    const socket = make(url);
    socket.binaryType = 'arraybuffer';
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.onopen = socket.onerror = socket.onclose = null;
      try {
        socket.close();
      } catch {
        // not open yet
      }
      reject(new NotConnected(why));
    };
    socket.onopen = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.onopen = socket.onerror = socket.onclose = null;
      resolve(socket);
    };
    socket.onerror = (ev) => fail(ev.message ?? (ev.error instanceof Error ? ev.error.message : 'connection failed'));
    socket.onclose = (ev) => fail(`closed (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})`);
  });
}
