/**
 * The plain-HTTP side of the persistence server's port: `GET /healthz` (JSON status, 200 only
 * when ready) and `GET /metrics` (Prometheus text). Another method on them is a 405, anything
 * else a JSON 404; a handler that throws answers 500 rather than taking the server down. A
 * request HTTP cannot parse is answered by `clientErrorReply` below.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { parseTarget } from '../util/http-target.js';
import type { RemoteLogger } from './logger.js';

export type HealthStatus = 'ok' | 'starting' | 'closing' | 'failed';

/** What the endpoints read from the server they belong to. */
export interface ServerVitals {
  health(): HealthStatus;
  /** Stored objects known damaged now (damaged-objects.ts), told on /healthz (when some) for `hypergolix status`. */
  damagedObjects?(): number;
  /** The metrics page, rendered now. */
  metrics(): string;
}

/**
 * More endpoints on the same listener (registration, src/core/registration/http.ts): asked first
 * for every request but /healthz and /metrics.
 */
export interface HttpExtension {
  /** True when it took the request (and will answer it). */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Lines appended to /metrics (Prometheus text), ending in a newline, or ''. */
  metrics(): string;
}

/** A request handler for the server's HTTP listener. */
export function httpEndpoints(vitals: ServerVitals, logger: RemoteLogger, extension: HttpExtension | null = null): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    try {
      // Origin form (`/healthz`) or absolute form (`http://host/healthz`, RFC 9112 §3.2.2).
      const path = parseTarget(req.url)?.pathname ?? null;
      const method = req.method ?? 'GET';
      const read = method === 'GET' || method === 'HEAD';
      if (read && path === '/healthz') {
        const status = vitals.health();
        // Told only when there are some: a healthy server's answer stays {"status":"ok"}, as probes may compare it whole.
        const damaged = status === 'ok' ? (vitals.damagedObjects?.() ?? 0) : 0;
        return reply(res, status === 'ok' ? 200 : 503, 'application/json', JSON.stringify({ status, ...(damaged > 0 ? { damagedObjects: damaged } : {}) }));
      }
      if (read && path === '/metrics') return reply(res, 200, 'text/plain; version=0.0.4; charset=utf-8', vitals.metrics() + extensionMetrics(extension, logger));
      if (extension?.handle(req, res)) return;
      // A probe configured with the wrong method should say so, not that the page is missing.
      if (path === '/healthz' || path === '/metrics') return reply(res, 405, 'application/json', '{"status":"method not allowed"}', { Allow: 'GET, HEAD' });
      reply(res, 404, 'application/json', '{"status":"not found"}');
    } catch (err) {
      logger.error('HTTP handler failed', err);
      if (!res.headersSent) reply(res, 500, 'application/json', '{"status":"error"}');
      else res.destroy();
    }
  };
}

/** The extension's figures; one that fails to give them is logged and left out, not the whole page. */
function extensionMetrics(extension: HttpExtension | null, logger: RemoteLogger): string {
  try {
    return extension?.metrics() ?? '';
  } catch (err) {
    logger.warn(`metrics: the registration figures are left out: ${err instanceof Error ? err.message : String(err)}`);
    return '';
  }
}

function reply(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/**
 * What a client whose request HTTP cannot parse is told before its socket is closed: 431 for
 * headers over Node's limit, 400 otherwise (as Node itself answers when no one listens for
 * 'clientError'); nothing once the client has gone.
 */
const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
};

export function clientErrorReply(err: Error & { code?: string }): string | null {
  if (err.code === 'ECONNRESET') return null;
  const [status, text] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request'];
  return `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}

/** The HTTP server's 'clientError': the reply above, as Node would send it without a listener (only if nothing of a response was sent yet), then the socket closed. */
export function answerClientError(err: Error & { code?: string }, socket: Duplex, logger: RemoteLogger): void {
  logger.debug(`HTTP client error: ${err.message}`);
  const answer = clientErrorReply(err);
  if (answer && socket.writable && (socket as Socket).bytesWritten === 0) socket.write(answer);
  socket.destroy();
}
