/**
 * Opening the SDK's WebSocket to the daemon, with the runtime's sockets: the `ws` package in
 * Node, the global WebSocket in an Electron renderer or a browser. What runs over it is the wire
 * module's peer.
 */
import type { WireSocket } from '../../../src/wire/index.js';
import { NotConnected } from './errors.js';
import { runtime } from './runtime-node.js';

/**
 * Opens a socket, or rejects with NotConnected (with the cause) within `timeoutMs`, or as soon as
 * `cancel` aborts (the link was closed: its opening socket and timer must not outlive it).
 */
export async function openSocket(url: string, timeoutMs: number, cancel?: AbortSignal): Promise<WireSocket> {
  const make = await runtime.socketFactory();
  if (cancel?.aborted) throw new NotConnected('The link is closed');
  return new Promise<WireSocket>((resolve, reject) => {
    let settled = false;
    const socket = make(url);
    const onCancel = () => fail('the link is closed');
    cancel?.addEventListener('abort', onCancel, { once: true });
    socket.binaryType = 'arraybuffer';
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cancel?.removeEventListener('abort', onCancel);
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
      cancel?.removeEventListener('abort', onCancel);
      socket.onopen = socket.onerror = socket.onclose = null;
      resolve(socket);
    };
    socket.onerror = (ev) => fail(ev.message ?? (ev.error instanceof Error ? ev.error.message : 'connection failed'));
    socket.onclose = (ev) => fail(`closed (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})`);
  });
}
