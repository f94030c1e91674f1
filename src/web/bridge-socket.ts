/**
 * One browser-mode WebSocket: requests in, answers and host events out. Everything received is
 * parsed by the contract's checks before the host sees it; a socket that cannot keep up with
 * what it is sent is closed (it reconnects and resyncs) rather than buffered without bound.
 */
import type { RawData, WebSocket } from 'ws';
import { dispatch, ERROR_CODES, type HostEvent, type HostPort } from '../common/contract.js';
import { parseClientMessage, type ServerMessage } from '../common/contract-envelope.js';

/**
 * Close codes: 4408 (application-defined) for a socket too slow to keep, 1001 when the server
 * stops. A message over the size limit is closed by ws itself, with 1009.
 */
export const CLOSE_CODES = { slow: 4408, shutdown: 1001 } as const;

/** A socket whose unsent data grows past this is too slow to keep; it reconnects and resyncs. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface SocketOptions {
  host: HostPort;
  /** Requests this socket may have in flight; more are answered 'busy'. */
  maxInFlight: number;
  warn(message: string): void;
}

const refused = (id: number | null, code: string, message: string): ServerMessage => ({ id, response: { ok: false, error: { code, message } } });

/** Serves one connected socket until it closes. */
export function serveSocket(ws: WebSocket, options: SocketOptions): void {
  const { host, maxInFlight } = options;
  let inFlight = 0;
  const send = (msg: ServerMessage) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      ws.close(CLOSE_CODES.slow, 'too slow');
      return;
    }
    ws.send(JSON.stringify(msg));
  };
  const unsubscribe = host.subscribe((event: HostEvent) => send({ event }));
  ws.on('close', () => unsubscribe());
  ws.on('error', (e) => options.warn(`bridge: socket error: ${e.message}`));

  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) return send(refused(null, ERROR_CODES.badRequest, 'Binary messages are not supported'));
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString());
    } catch {
      return send(refused(null, ERROR_CODES.badRequest, 'Not JSON'));
    }
    const msg = parseClientMessage(raw);
    if (!msg.ok) return send({ id: msg.id, response: { ok: false, error: msg.error } });
    const { id, request } = msg.value;
    if (inFlight >= maxInFlight) return send(refused(id, ERROR_CODES.busy, 'Too many requests at once'));
    inFlight++;
    void dispatch(host, request)
      .then((response) => send({ id, response }))
      .finally(() => inFlight--);
  });
}
