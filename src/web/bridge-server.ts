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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { HostPort } from '../common/contract.js';
import { securityHeaders, serveStaticFile } from '../host/static-files.js';
import { CLOSE_CODES, serveSocket } from './bridge-socket.js';

export interface BridgeLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface BridgeServerOptions {
  host: HostPort;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** The access token (a kept one, so open tabs survive a restart); a new random one by default. */
  token?: string;
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

/** What a browser gets beyond the static files' own security headers. */
const BROWSER_HEADERS = {
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

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

/** The token and the addresses one running bridge accepts; `port` is known once it listens. */
class Gate {
  port = 0;
  constructor(readonly token: string = randomBytes(32).toString('base64url')) {}

  // Cookies are shared by every port of a host, so the name carries the port: two instances
  // (or a test running several) never overwrite each other's token.
  get cookieName(): string {
    return `hgx_token_${this.port}`;
  }

  hostAllowed(req: IncomingMessage): boolean {
    return req.headers.host === `127.0.0.1:${this.port}` || req.headers.host === `localhost:${this.port}`;
  }

  originAllowed(origin: string): boolean {
    return origin === `http://127.0.0.1:${this.port}` || origin === `http://localhost:${this.port}`;
  }

  /** The token a request presents: from the query (the printed URL) or else from our cookie. */
  tokenOf(req: IncomingMessage, url: URL): { valid: boolean; fromQuery: boolean } {
    const q = url.searchParams.get('token');
    const given = q ?? cookieValue(req.headers.cookie, this.cookieName);
    return { valid: sameToken(given, this.token), fromQuery: q !== null };
  }
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

function write(req: IncomingMessage, res: ServerResponse, a: Answer, extra: Record<string, string> = {}): void {
  // Plain-text answers end with a newline, for people reading them with curl.
  const body = typeof a.body === 'string' ? `${a.body}\n` : a.body;
  res.writeHead(a.status, { ...BROWSER_HEADERS, ...a.headers, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** A short plain-text refusal, with the headers a file would have. */
function plain(status: number, text: string): Answer {
  return { status, headers: { ...securityHeaders(CONTENT_SECURITY_POLICY), 'Content-Type': 'text/plain; charset=utf-8' }, body: text };
}

function httpServer(gate: Gate, root: string, logger: BridgeLogger): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!gate.hostAllowed(req)) return write(req, res, plain(421, 'Wrong host'));
    if (req.method !== 'GET' && req.method !== 'HEAD') return write(req, res, plain(405, 'Method not allowed'));
    const token = gate.tokenOf(req, url);
    if (!token.valid) return write(req, res, plain(403, 'Hypergolix: open the address Hypergolix printed; it carries the access token.'));
    serveStaticFile(root, url.pathname, { csp: CONTENT_SECURITY_POLICY })
      .then((r) => {
        // The first page load trades the token in the URL for a cookie the UI's files then carry.
        const cookie: Record<string, string> = {};
        if (r.status === 200 && token.fromQuery) cookie['Set-Cookie'] = `${gate.cookieName}=${gate.token}; Path=/; HttpOnly; SameSite=Strict`;
        write(req, res, r, cookie);
      })
      .catch((e: unknown) => {
        logger.warn(`bridge: serving ${url.pathname} failed: ${String(e)}`);
        if (!res.headersSent) write(req, res, plain(500, 'Internal error'));
        else res.destroy();
      });
  });
}

const refuseUpgrade = (socket: Duplex, status: number, text: string) => {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
};

export async function startBridgeServer(options: BridgeServerOptions): Promise<BridgeServer> {
  const { host, staticDir, logger = silent } = options;
  const maxClients = options.maxClients ?? 16;
  const gate = new Gate(options.token);
  const root = await realpath(resolve(staticDir));
  const server = httpServer(gate, root, logger);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? 256 * 1024, perMessageDeflate: false });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/bridge') return refuseUpgrade(socket, 404, 'Not Found');
    if (!gate.hostAllowed(req)) return refuseUpgrade(socket, 421, 'Misdirected Request');
    // Browsers always send Origin on a WebSocket; only non-browser clients (which must still
    // hold the token) may omit it.
    const origin = req.headers.origin;
    if (origin !== undefined && !gate.originAllowed(origin)) {
      logger.warn(`bridge: refused a socket from origin ${origin.slice(0, 100)}`);
      return refuseUpgrade(socket, 403, 'Forbidden');
    }
    if (!gate.tokenOf(req, url).valid) return refuseUpgrade(socket, 403, 'Forbidden');
    if (wss.clients.size >= maxClients) return refuseUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, { host, maxInFlight: options.maxInFlight ?? 32, warn: (m) => logger.warn(m) }));
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
  gate.port = address.port;
  logger.info(`bridge: UI at http://127.0.0.1:${gate.port}/ (token in the printed URL)`);

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${gate.port}/?token=${gate.token}`,
    port: gate.port,
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
