/**
 * The UI's two ways to reach its host, behind the one HostPort of the contract:
 * the Electron preload's `window.hypergolix`, or (browser mode) a WebSocket to the bridge
 * server that served this page.
 */
import { ERROR_CODES, fail, type HostEvent, type HostPort, type Request, type RequestKind, type Response } from '../common/contract.js';
import { route, type Pending } from './host-messages.js';

/** `refused`: Hypergolix answers but no longer takes this tab's access token (it started with a new address). */
export type ConnectionState = 'connecting' | 'open' | 'closed' | 'refused';

export interface Transport extends HostPort {
  readonly mode: 'electron' | 'browser';
  onConnection(listener: (state: ConnectionState) => void): () => void;
}

declare global {
  interface Window {
    hypergolix?: HostPort;
  }
}

/** Electron: the preload already validates both directions; the channel is always up. */
function preloadTransport(api: HostPort): Transport {
  return {
    mode: 'electron',
    request: (req) => api.request(req),
    subscribe: (listener) => api.subscribe(listener),
    onConnection(listener) {
      listener('open');
      return () => {};
    },
  };
}

/** How long a request waits for a (re)connection before it answers 'unavailable'. */
const CONNECT_WAIT_MS = 8000;
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 10_000;

/** Whether Hypergolix is up but refuses this tab's token (it answers 403 for its own page). */
async function tokenRefused(): Promise<boolean> {
  try {
    const res = await fetch(new URL('/', window.location.href), { cache: 'no-store', credentials: 'same-origin' });
    return res.status === 403;
  } catch {
    return false; // Not up at all: reconnecting is right.
  }
}

/** Browser mode: one socket, reconnected with jittered, capped back-off whenever it drops. */
function socketTransport(url: string): Transport {
  const listeners = new Set<(ev: HostEvent) => void>();
  const connListeners = new Set<(s: ConnectionState) => void>();
  const pending: Pending = new Map();
  const waiters = new Set<() => void>();
  let state: ConnectionState = 'connecting';
  let ws: WebSocket | null = null;
  let nextId = 1;
  let attempt = 0;

  const setState = (s: ConnectionState) => {
    if (s === state) return;
    state = s;
    for (const l of connListeners) l(s);
    if (s === 'open') for (const w of [...waiters]) w();
  };

  const connect = () => {
    // Refused stays refused (the tab needs the new address) until a socket does open.
    if (state !== 'refused') setState('connecting');
    const sock = new WebSocket(url);
    ws = sock;
    sock.onopen = () => {
      attempt = 0;
      setState('open');
    };
    sock.onmessage = (msg) => route(msg.data, pending, listeners);
    sock.onclose = () => {
      if (ws !== sock) return;
      ws = null;
      for (const [, p] of pending) p.resolve(fail(ERROR_CODES.unavailable, 'Lost the connection to Hypergolix.'));
      pending.clear();
      if (state !== 'refused') setState('closed');
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt++) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
      // A browser does not show why a socket was refused; a page request does (403: the token).
      if (attempt >= 2) void tokenRefused().then((refused) => refused && state === 'closed' && setState('refused'));
    };
  };

  /** Resolves true once the socket is open, false if it is not within CONNECT_WAIT_MS. */
  const whenOpen = () =>
    new Promise<boolean>((resolve) => {
      if (state === 'open') return resolve(true);
      if (state === 'refused') return resolve(false);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        waiters.delete(onOpen);
        resolve(ok);
      };
      const onOpen = () => done(true);
      const timer = setTimeout(() => done(false), CONNECT_WAIT_MS);
      waiters.add(onOpen);
    });

  connect();

  return {
    mode: 'browser',
    async request<K extends RequestKind>(req: Request<K>): Promise<Response<K>> {
      if (!(await whenOpen()) || !ws) return fail(ERROR_CODES.unavailable, 'Hypergolix is not reachable. Is it still running?');
      const id = nextId++;
      const sock = ws;
      return new Promise<Response<K>>((resolve) => {
        pending.set(id, { kind: req.kind, resolve: resolve as (r: Response) => void });
        sock.send(JSON.stringify({ id, request: req }));
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onConnection(listener) {
      connListeners.add(listener);
      listener(state);
      return () => connListeners.delete(listener);
    },
  };
}

/**
 * Picks the transport for this page. In browser mode the access token arrives in the URL;
 * it is kept in memory for reconnects and removed from the address bar so it does not linger
 * in history or get shared by a screenshot (the server also set it as an HttpOnly cookie).
 */
export function connectHost(): Transport {
  if (window.hypergolix && typeof window.hypergolix.request === 'function') return preloadTransport(window.hypergolix);
  const here = new URL(window.location.href);
  const token = here.searchParams.get('token');
  if (token !== null) {
    here.searchParams.delete('token');
    window.history.replaceState(null, '', here.pathname + here.search + here.hash);
  }
  const ws = new URL('/bridge', here);
  ws.protocol = here.protocol === 'https:' ? 'wss:' : 'ws:';
  if (token !== null) ws.searchParams.set('token', token);
  return socketTransport(ws.toString());
}
