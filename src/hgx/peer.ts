/**
 * The SDK's side of one IPC connection: opens a WebSocket (the `ws` package in Node, the global
 * WebSocket in an Electron renderer or a browser) and runs the request/response protocol over
 * it — random u16 tokens, `AK`/`NK` answers, timeouts, a bound on outstanding requests — with
 * handlers for what the daemon sends (`@O`, `!O`, `XO`, `^S`, `^F`).
 */
import {
  ACK,
  IPC_MAX_MESSAGE_BYTES,
  NAK,
  decodeFrame,
  decodeNak,
  encodeAck,
  encodeFrame,
  encodeNak,
  IpcFrameError,
} from '../core/ipc/wire.js';
import { HypergolixError } from '../core/golix/errors.js';
import { IpcError, NotConnected } from './errors.js';

/** The subset of the WHATWG WebSocket API both `ws` and browsers provide. */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: { message?: string; error?: unknown }) => void) | null;
}

const OPEN = 1;

type SocketFactory = (url: string) => SocketLike;

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
      return (url: string) => new WS(url, { maxPayload: IPC_MAX_MESSAGE_BYTES, perMessageDeflate: false }) as unknown as SocketLike;
    }
    const G = (globalThis as { WebSocket?: new (url: string) => SocketLike }).WebSocket;
    if (!G) throw new NotConnected('No WebSocket implementation: install the "ws" package or run where a global WebSocket exists');
    return (url: string) => new G(url);
  })();
  return factory;
}

/** Opens a socket, or rejects with NotConnected (with the cause) within `timeoutMs`. */
export async function openSocket(url: string, timeoutMs: number): Promise<SocketLike> {
  const make = await socketFactory();
  return new Promise<SocketLike>((resolve, reject) => {
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

export type IncomingHandler = (body: Uint8Array) => Uint8Array | void | Promise<Uint8Array | void>;

export interface PeerOptions {
  handlers: ReadonlyMap<string, IncomingHandler>;
  requestTimeoutMs: number;
  maxOutstanding?: number;
  onClose: (info: { code: number; reason: string }) => void;
  onProtocolError?: (message: string) => void;
}

interface Pending {
  verb: string;
  resolve: (b: Uint8Array) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data)) {
    // ws may hand fragments as a list of Buffers.
    const parts = data as Uint8Array[];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
  return null;
}

export class Peer {
  private readonly pending = new Map<number, Pending>();
  private readonly maxOutstanding: number;
  private closedInfo: { code: number; reason: string } | null = null;

  constructor(
    private readonly socket: SocketLike,
    private readonly o: PeerOptions,
  ) {
    this.maxOutstanding = o.maxOutstanding ?? 1024;
    socket.onmessage = (ev) => this.onMessage(ev.data);
    socket.onerror = () => {};
    socket.onclose = (ev) => this.onClose(ev.code, ev.reason);
  }

  get isOpen(): boolean {
    return this.closedInfo === null && this.socket.readyState === OPEN;
  }

  request(verb: string, body: Uint8Array = new Uint8Array(0), timeoutMs = this.o.requestTimeoutMs): Promise<Uint8Array> {
    if (!this.isOpen) return Promise.reject(new NotConnected('Not connected to the Hypergolix daemon'));
    if (this.pending.size >= this.maxOutstanding) return Promise.reject(new IpcError(0x000a, `Too many requests in flight (${this.pending.size})`));
    if (body.length + 6 > IPC_MAX_MESSAGE_BYTES) {
      return Promise.reject(new IpcError(0xfffe, `The ${verb} request of ${body.length} bytes exceeds the ${IPC_MAX_MESSAGE_BYTES}-byte IPC limit`));
    }
    let token: number;
    do token = 1 + Math.floor(Math.random() * 0xffff);
    while (this.pending.has(token));
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new IpcError(0x000e, `The daemon did not answer ${verb} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, { verb, resolve, reject, timer });
      try {
        this.socket.send(encodeFrame(verb, token, body));
      } catch (err) {
        this.settle(token, new NotConnected(`Sending ${verb} failed: ${(err as Error).message}`));
      }
    });
  }

  close(code = 1000, reason = ''): void {
    try {
      this.socket.close(code, reason);
    } catch {
      // already closed
    }
  }

  private settle(token: number, outcome: Uint8Array | Error): void {
    const p = this.pending.get(token);
    if (!p) return;
    this.pending.delete(token);
    clearTimeout(p.timer);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }

  private send(frame: Uint8Array): void {
    if (!this.isOpen) return;
    try {
      this.socket.send(frame);
    } catch {
      // the close handler deals with it
    }
  }

  private onMessage(data: unknown): void {
    const bytes = toBytes(data);
    if (!bytes) {
      this.o.onProtocolError?.('text message from the daemon ignored');
      return;
    }
    let frame;
    try {
      frame = decodeFrame(bytes);
    } catch (err) {
      const e = err as IpcFrameError;
      if (e.verb === ACK || e.verb === NAK) {
        if (e.token !== null) this.settle(e.token, new IpcError(0x000e, e.message));
        return;
      }
      this.send(encodeNak(e.token ?? 0, 0x000e, e.message));
      return;
    }
    if (frame.code === ACK) return this.settle(frame.token, frame.body.slice());
    if (frame.code === NAK) {
      const nak = decodeNak(frame.body);
      return this.settle(frame.token, new IpcError(nak.code, nak.message));
    }
    const handler = this.o.handlers.get(frame.code);
    if (!handler) {
      this.send(encodeNak(frame.token, 0x000e, `Unknown request code ${JSON.stringify(frame.code)}`));
      return;
    }
    const token = frame.token;
    try {
      const r = handler(frame.body);
      if (r instanceof Promise) r.then((out) => this.send(encodeAck(token, out ?? new Uint8Array(0))), (err) => this.answerError(token, err));
      else this.send(encodeAck(token, r ?? new Uint8Array(0)));
    } catch (err) {
      this.answerError(token, err);
    }
  }

  private answerError(token: number, err: unknown): void {
    if (err instanceof IpcError) this.send(encodeNak(token, err.code ?? 0xffff, err.message));
    else if (err instanceof HypergolixError) this.send(encodeNak(token, err.code, err.message));
    else this.send(encodeNak(token, 0xffff, 'The app failed to handle the request'));
  }

  private onClose(code: number, reason: string): void {
    if (this.closedInfo) return;
    this.closedInfo = { code, reason };
    const err = new NotConnected(`The connection to the daemon closed (${code}${reason ? ` ${reason}` : ''})`);
    for (const token of [...this.pending.keys()]) this.settle(token, err);
    this.o.onClose(this.closedInfo);
  }
}
