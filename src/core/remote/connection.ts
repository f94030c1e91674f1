/**
 * The wire peer (`src/wire/peer.ts`) over a `ws` WebSocket, as the engine uses it: messages
 * arrive as Buffers (so handlers and answers get Buffer views, no copies), and the socket's
 * ping/pong and terminate serve the heartbeat and hard drops. Used by the persistence server,
 * the remote client and the daemon's IPC server.
 */
import type WebSocket from 'ws';
import {
  Peer,
  type PeerOptions,
  type RequestContext as WireRequestContext,
  type RequestHandler as WireRequestHandler,
  type SocketExtras,
  type WireSocket,
} from '../../wire/index.js';

export { CLOSE_CODES, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, type CloseInfo, type RequestOptions } from '../../wire/index.js';

export type RequestContext = WireRequestContext<Buffer>;
export type RequestHandler = WireRequestHandler<Buffer>;
/** The peer's options; the socket adapter's own (binaryType, bytes, extras) are set here. */
export type ConnectionOptions = Omit<PeerOptions<Buffer>, 'binaryType' | 'bytes' | 'extras'>;

/** Message data of a `nodebuffer` socket as a Buffer; null for a text message. */
function toBuffer(data: unknown): Buffer | null {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]);
  return null;
}

function extrasOf(socket: WebSocket, name: string, logger: ConnectionOptions['logger']): SocketExtras {
  return {
    ping: () =>
      socket.ping(undefined, undefined, (err) => {
        if (err) logger?.debug(`${name}: ping failed: ${err.message}`);
      }),
    onPong: (listener) => void socket.on('pong', listener),
    terminate: () => socket.terminate(),
  };
}

export class Connection extends Peer<Buffer> {
  constructor(socket: WebSocket, options: ConnectionOptions = {}) {
    super(socket as unknown as WireSocket, {
      ...options,
      binaryType: 'nodebuffer',
      bytes: toBuffer,
      extras: extrasOf(socket, options.name ?? 'peer', options.logger),
    });
  }
}
