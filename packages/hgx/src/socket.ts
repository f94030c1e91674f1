/**
 * Opening the SDK's WebSocket to the daemon, with the runtime's sockets: the `ws` package in
 * Node, the global WebSocket in an Electron renderer or a browser. What runs over it is the wire
 * module's peer.
 */
import type { WireSocket } from '../../../src/wire/index.js';
import { NotConnected } from './errors.js';
import { runtime } from './runtime-node.js';

/** Opens a socket, or rejects with NotConnected (with the cause) within `timeoutMs`. */
export async function openSocket(url: string, timeoutMs: number): Promise<WireSocket> {
  const make = await runtime.socketFactory();
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
