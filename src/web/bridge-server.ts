/**
 * Browser mode: serves the built UI on 127.0.0.1 and bridges it to a HostPort over a WebSocket.
 *
 * Anyone on the machine can reach a loopback port, and any web page the user opens can try to,
 * so every request must prove it came from the URL Hypergolix printed: the page and its files
 * need the access token (in the query once, then in a cookie), and the socket needs the token
 * plus an Origin of this very server (web pages cannot forge Origin). The Host header is checked
 * too, which defeats DNS-rebinding pages that would otherwise count as same-origin.
 */
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile, realpath } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { dispatch, ERROR_CODES, parseClientMessage, type HostEvent, type HostPort, type ServerMessage } from '../common/contract.js';
import { UI_MIME_TYPES } from '../common/mime.js';

export interface BridgeLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface BridgeServerOptions {
  host: HostPort;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** The built UI (dist/renderer): index.html, app.js, style.css. */
  staticDir: string;
  logger?: BridgeLogger;
  /** Largest WebSocket message accepted, in bytes; a larger one closes that socket with 1009. Default 256 KiB. */
  maxMessageBytes?: number;
  /** Requests one socket may have in flight; more are answered 'busy'. Default 32. */
  maxInFlight?: number;
  /** Sockets open at once; more are refused with 503. Default 16. */
  maxClients?: number;
}

export interface BridgeServer {
  /** The address to open, with the access token: http://127.0.0.1:<port>/?token=<token> */
  url: string;
  port: number;
  close(): Promise<void>;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws://127.0.0.1:*",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const MIME = UI_MIME_TYPES;

/** A socket whose unsent data grows past this is too slow to keep; it reconnects and resyncs. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Close codes (4000–4999 are application-defined). */
export const CLOSE_CODES = { malformed: 4400, tooLarge: 1009, slow: 4408, shutdown: 1001 } as const;

const silent: BridgeLogger = { info() {}, warn() {} };

// Hashing first makes the comparison constant-time even when the lengths differ.
function sameToken(given: string | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export async function startBridgeServer(options: BridgeServerOptions): Promise<BridgeServer> {
  const { host, staticDir, logger = silent } = options;
  const maxMessageBytes = options.maxMessageBytes ?? 256 * 1024;
  const maxInFlight = options.maxInFlight ?? 32;
  const maxClients = options.maxClients ?? 16;
  const token = randomBytes(32).toString('base64url');
  const root = await realpath(resolve(staticDir));
  let port = 0;
  // Cookies are shared by every port of a host, so the name carries the port: two instances
  // (or a test running several) never overwrite each other's token.
  const cookieName = () => `hgx_token_${port}`;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  const tokenOf = (req: IncomingMessage, url: URL): { token: string | undefined; fromQuery: boolean } => {
    const q = url.searchParams.get('token');
    if (q !== null) return { token: q, fromQuery: true };
    return { token: cookieValue(req.headers.cookie, cookieName()), fromQuery: false };
  };

  const baseHeaders = {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    // The page URL carries the token: never let a cache keep it or anything it loads.
    'Cache-Control': 'no-store',
  };

  const plain = (res: ServerResponse, status: number, text: string) => {
    res.writeHead(status, { ...baseHeaders, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(text + '\n');
  };

  async function serveFile(req: IncomingMessage, res: ServerResponse, pathname: string, setCookie: boolean): Promise<void> {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
    } catch {
      return plain(res, 400, 'Bad path');
    }
    if (rel.includes('\0')) return plain(res, 400, 'Bad path');
    const full = resolve(join(root, rel));
    if (full !== root && !full.startsWith(root + sep)) return plain(res, 404, 'Not found');
    let body: Buffer;
    try {
      // realpath again: a symlink inside dist must not lead outside it.
      const real = await realpath(full);
      if (!real.startsWith(root + sep)) return plain(res, 404, 'Not found');
      body = await readFile(real);
    } catch {
      return plain(res, 404, 'Not found');
    }
    const headers: Record<string, string> = { ...baseHeaders, 'Content-Type': MIME[extname(full)] ?? 'application/octet-stream', 'Content-Length': String(body.length) };
    if (setCookie) headers['Set-Cookie'] = `${cookieName()}=${token}; Path=/; HttpOnly; SameSite=Strict`;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!allowedHosts().has(req.headers.host ?? '')) return plain(res, 421, 'Wrong host');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed');
    const given = tokenOf(req, url);
    if (!sameToken(given.token, token)) {
      return plain(res, 403, 'Hypergolix: open the address Hypergolix printed; it carries the access token.');
    }
    serveFile(req, res, url.pathname, given.fromQuery).catch((e: unknown) => {
      logger.warn(`bridge: serving ${url.pathname} failed: ${String(e)}`);
      if (!res.headersSent) plain(res, 500, 'Internal error');
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes, perMessageDeflate: false });

  const refuseUpgrade = (socket: Duplex, status: number, text: string) => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };

  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/bridge') return refuseUpgrade(socket, 404, 'Not Found');
    if (!allowedHosts().has(req.headers.host ?? '')) return refuseUpgrade(socket, 421, 'Misdirected Request');
    // Browsers always send Origin on a WebSocket; only non-browser clients (which must still
    // hold the token) may omit it.
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) {
      logger.warn(`bridge: refused a socket from origin ${origin.slice(0, 100)}`);
      return refuseUpgrade(socket, 403, 'Forbidden');
    }
    if (!sameToken(tokenOf(req, url).token, token)) return refuseUpgrade(socket, 403, 'Forbidden');
    if (wss.clients.size >= maxClients) return refuseUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
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
    ws.on('error', (e) => logger.warn(`bridge: socket error: ${e.message}`));

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        send({ id: null, response: { ok: false, error: { code: ERROR_CODES.badRequest, message: 'Binary messages are not supported' } } });
        return;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(data.toString());
      } catch {
        send({ id: null, response: { ok: false, error: { code: ERROR_CODES.badRequest, message: 'Not JSON' } } });
        return;
      }
      const msg = parseClientMessage(raw);
      if (!msg.ok) {
        send({ id: msg.id, response: { ok: false, error: msg.error } });
        return;
      }
      const { id, request } = msg.value;
      if (inFlight >= maxInFlight) {
        send({ id, response: { ok: false, error: { code: ERROR_CODES.busy, message: 'Too many requests at once' } } });
        return;
      }
      inFlight++;
      dispatch(host, request)
        .then((response) => send({ id, response }))
        .finally(() => inFlight--);
    });
  });

  await new Promise<void>((ok, bad) => {
    server.once('error', bad);
    server.listen({ host: '127.0.0.1', port: options.port ?? 0 }, () => {
      server.off('error', bad);
      ok();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('bridge: no TCP address');
  port = address.port;
  const url = `http://127.0.0.1:${port}/?token=${token}`;
  logger.info(`bridge: UI at http://127.0.0.1:${port}/ (token in the printed URL)`);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closing ??= new Promise<void>((done) => {
        for (const ws of wss.clients) {
          ws.close(CLOSE_CODES.shutdown, 'shutting down');
          // A client that never answers the closing handshake must not hold the port.
          setTimeout(() => ws.terminate(), 500).unref();
        }
        wss.close();
        server.close(() => done());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
