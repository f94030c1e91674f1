/**
 * The daemon's IPC server (hypergolix-reference §4): apps talk to the daemon over a WebSocket on
 * 127.0.0.1:`process.ipc_port`, framed like the remote protocol, with the reference's verbs in
 * both directions. On top of the reference it adds:
 *
 * - **Authentication (defect 1).** A connection's first frame must be `AU` carrying the 32-byte
 *   per-user key from `<home>/ipc-token` (mode 0600); a wrong key is answered `NK FFFF` and the
 *   connection closed, and a connection that has not authenticated within `authTimeoutMs` is
 *   closed. A first-frame handshake, rather than a header, because browsers cannot set headers
 *   on a WebSocket. WebSocket upgrades carrying an `Origin` header not on `allowedOrigins` (empty
 *   by default) are refused with 403 before any frame: browsers always send `Origin`, Node
 *   clients send none. `file://` pages send `Origin: null`, which any sandboxed web frame can
 *   also send, so it is never allowed implicitly. The `Host` header must name the loopback
 *   address (DNS-rebinding guard). The server binds loopback only.
 * - **Legacy clients** (`process.ipc_legacy_clients`, off by default): reference apps that know
 *   nothing of `AU` are admitted from loopback without it, and a warning is logged at start. They
 *   may use public objects only: app tokens (and so private and startup objects) need an
 *   authenticated connection (defect 2: a token is an identifier, not a credential).
 * - **Private objects (defect 2)** are readable, writable, shareable and deletable only by the
 *   app token that created them; the owner is recorded in the account.
 * - **Durable app state (defect 20):** tokens, each token's api_id registrations, startup
 *   objects, private owners and non-default legrooms live in the account's state map (so they
 *   survive restarts and follow the account to other devices). Shares that arrive while no app
 *   is registered for their api_id wait in the same map (`inbox:<ghid>`) and are delivered when
 *   an app registers it; `^S`/`^F` reach the token that asked (a connection without a token hears
 *   them while it stays connected).
 * - `legroom` is honoured on `+O` and `!O` and reported in objdefs; `is_link = 1` is refused up
 *   front (defect 17). Objects are opened type-agnostically (defect 18). Limits on message size,
 *   connections and tracked objects per connection; malformed frames get `NK` and the connection
 *   stays usable (defect 16).
 *
 * Keys in the account state map (next to the sharing layer's `out:`, `ask:`, `contact:`):
 *
 *     ipc:token:<hex>       {at}            app tokens issued (16 bytes, hex)
 *     ipc:apis:<hex>        [api text…]     api_ids registered by that token
 *     ipc:startup:<hex>     ghid text       the token's startup object
 *     ipc:private:<ghid>    token hex       owner of a private object
 *     ipc:legroom:<ghid>    1..255          legroom asked for (absent = default)
 *     inbox:<ghid>          {f, a, at}      a share not yet taken by any app: from, api_id
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Daemon } from '../daemon/daemon.js';
import {
  CommsError,
  DoesNotExist,
  Ghid,
  HypergolixError,
  IllegalDynamicFrame,
  MalformedGolixPrimitive,
  RemoteNak,
  UnknownToken,
  ValueError,
} from '../golix/index.js';
import type { AppObject } from '../objects/manager.js';
import { CLOSE_CODES, Connection, type RequestContext, type RequestHandler } from '../remote/connection.js';
import { silentLogger, type RemoteLogger } from '../remote/logger.js';
import type { IncomingShare, Sharing, ShareResult } from '../sharing/sharing.js';
import { sameKey } from './token.js';
import {
  APP_TOKEN_BYTES,
  AUTH_TOKEN_BYTES,
  AppVerb,
  DEFAULT_IPC_PORT,
  IPC_ERROR_CODE,
  IPC_MAX_MESSAGE_BYTES,
  IpcVerb,
  ONE,
  checkApiIdBytes,
  decodeObjDef,
  decodeShareRequest,
  encodeObjDef,
  encodeShareNotice,
  encodeShareResult,
  idBytes,
  idText,
  isAllZero,
} from '../../wire/index.js';

/** A refusal on the IPC wire: `NK FFFF` (the reference's IPCError code, §4.1). */
export class IpcRefusal extends HypergolixError {
  override readonly code = IPC_ERROR_CODE;
}

export interface IpcServerOptions {
  daemon: Daemon;
  sharing: Sharing;
  /** The 32-byte per-user key (see `token.ts`). */
  authToken: Uint8Array;
  /** TCP port; 0 picks a free one. @default 7772 */
  port?: number;
  /** Loopback only: `127.0.0.1`, `::1` or `localhost`. @default '127.0.0.1' */
  host?: string;
  /** Admit reference clients without `AU` (loopback only; public objects only). @default false */
  legacyClients?: boolean;
  /** Exact `Origin` values allowed to upgrade (e.g. `app://my-hgx-app`). @default [] */
  allowedOrigins?: readonly string[];
  /** Open connections; more upgrades get 503. @default 64 */
  maxConnections?: number;
  /** Objects one connection may track at once; more `>O`/`+O` get `NK 000A`. @default 4096 */
  maxTrackedPerConnection?: number;
  /** Largest message either way. @default 10 MiB */
  maxMessageBytes?: number;
  /** A connection that has not authenticated by then is closed. @default 10000 */
  authTimeoutMs?: number;
  /** How long a push to an app (`@O`, `!O`, …) waits for its answer. @default 30000 */
  pushTimeoutMs?: number;
  /** Where apps find the key: named in refusals so a developer knows what to read. */
  tokenFile?: string;
  logger?: RemoteLogger;
}

/** One connected app, for status displays (the desktop's "apps connected"). */
export interface ConnectedApp {
  id: number;
  /** The app token (hex) bound with `+T`, if any. An identifier, not a secret. */
  token: string | null;
  /** Authenticated with the IPC key; false for admitted legacy clients. */
  authenticated: boolean;
  legacy: boolean;
  /** api_ids it registered (88-character text). */
  apis: string[];
  tracked: number;
  connectedAt: number;
  remote: string;
}

export interface IpcServerEvents {
  /** The set of connected apps, or what one of them registered, changed. */
  apps: [ConnectedApp[]];
}

const TOKEN_KEY = 'ipc:token:';
const APIS_KEY = 'ipc:apis:';
const STARTUP_KEY = 'ipc:startup:';
const PRIVATE_KEY = 'ipc:private:';
const LEGROOM_KEY = 'ipc:legroom:';
const INBOX_KEY = 'inbox:';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

class Session {
  connection!: Connection;
  admitted = false;
  authenticated = false;
  legacy = false;
  token: string | null = null;
  readonly apis = new Set<string>();
  readonly tracked = new Set<string>();
  readonly connectedAt = Date.now();
  authTimer: NodeJS.Timeout | null = null;
  /** Names this connection in share records when it has no token, so it still hears `^S`/`^F`. */
  readonly connKey = `conn:${randomBytes(8).toString('hex')}`;
  constructor(
    readonly id: number,
    readonly remote: string,
  ) {}
  get name(): string {
    return `app#${this.id}`;
  }
}

type InboxEntry = { f: string; a: string; at: number };

export class IpcServer extends EventEmitter<IpcServerEvents> {
  private readonly o: IpcServerOptions;
  private readonly daemon: Daemon;
  private readonly sharing: Sharing;
  private readonly logger: RemoteLogger;
  private readonly host: string;
  private readonly maxTracked: number;
  private readonly maxConnections: number;
  private readonly maxMessageBytes: number;
  private readonly allowedOrigins: ReadonlySet<string>;
  private readonly http: HttpServer;
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<Session>();
  private readonly byToken = new Map<string, Session>();
  private readonly byConnKey = new Map<string, Session>();
  /** ghid text → sessions tracking it. */
  private readonly trackers = new Map<string, Set<Session>>();
  /** Inbox keys being stored or delivered right now (so nothing is delivered twice or lost). */
  private readonly delivering = new Map<string, Promise<unknown>>();
  private readonly unhook: (() => void)[] = [];
  private nextId = 1;
  private address: { host: string; port: number } | null = null;
  private closing: Promise<void> | null = null;

  constructor(options: IpcServerOptions) {
    super();
    this.o = options;
    this.daemon = options.daemon;
    this.sharing = options.sharing;
    this.logger = options.logger ?? silentLogger;
    this.host = options.host ?? '127.0.0.1';
    if (!LOOPBACK_HOSTS.has(this.host)) throw new ValueError(`The IPC server binds loopback only (127.0.0.1, ::1, localhost), not ${this.host}`);
    if (options.authToken.length !== AUTH_TOKEN_BYTES) throw new ValueError(`The IPC key is ${AUTH_TOKEN_BYTES} bytes`);
    this.maxTracked = options.maxTrackedPerConnection ?? 4096;
    this.maxConnections = options.maxConnections ?? 64;
    this.maxMessageBytes = options.maxMessageBytes ?? IPC_MAX_MESSAGE_BYTES;
    this.allowedOrigins = new Set(options.allowedOrigins ?? []);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.maxMessageBytes, perMessageDeflate: false, clientTracking: false });
    this.http = createServer((_req, res) => {
      res.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.end('Hypergolix IPC: WebSocket only\n');
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.http.on('clientError', (_err, socket) => socket.destroy());
    this.hook();
  }

  private get state() {
    return this.daemon.account.state;
  }

  /** Where apps find the key (as given in the options). */
  get tokenFile(): string | null {
    return this.o.tokenFile ?? null;
  }

  get listenAddress(): { host: string; port: number } | null {
    return this.address;
  }

  /** Binds the port. Rejects with CommsError when it is in use. */
  async listen(): Promise<{ host: string; port: number }> {
    if (this.address) return this.address;
    const port = this.o.port ?? DEFAULT_IPC_PORT;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.http.off('listening', onListening);
        const why = err.code === 'EADDRINUSE' ? 'is already in use (is another daemon running?)' : `failed (${err.message})`;
        reject(new CommsError(`Cannot listen for apps on ${this.host}:${port}: the port ${why}`, { cause: err }));
      };
      const onListening = () => {
        this.http.off('error', onError);
        resolve();
      };
      this.http.once('error', onError);
      this.http.once('listening', onListening);
      this.http.listen(port, this.host);
    });
    this.http.on('error', (err) => this.logger.error('IPC server error', err));
    this.address = { host: this.host, port: (this.http.address() as AddressInfo).port };
    this.logger.info(`IPC listening on ${this.host}:${this.address.port}`);
    if (this.o.legacyClients) {
      this.logger.warn(
        'process.ipc_legacy_clients is on: any program on this computer can use your public objects through the IPC port without the key',
      );
    }
    return this.address;
  }

  /** Closes every app connection (1001) and the port. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const u of this.unhook) u();
      const closed = [...this.sessions].map((s) => {
        s.connection.close(CLOSE_CODES.goingAway, 'daemon stopping');
        return s.connection.closed;
      });
      const timer = setTimeout(() => [...this.sessions].forEach((s) => s.connection.terminate()), 2000);
      await Promise.all(closed);
      clearTimeout(timer);
      if (this.address) {
        const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
        this.http.closeAllConnections();
        await closed;
      }
      this.wss.close();
    })();
    return this.closing;
  }

  /** How many apps are connected (admitted), for the desktop's status line. */
  connectedApps(): number {
    let n = 0;
    for (const s of this.sessions) if (s.admitted) n++;
    return n;
  }

  /** The connected apps in detail. */
  apps(): ConnectedApp[] {
    return [...this.sessions]
      .filter((s) => s.admitted)
      .map((s) => ({
        id: s.id,
        token: s.token,
        authenticated: s.authenticated,
        legacy: s.legacy && !s.authenticated,
        apis: [...s.apis],
        tracked: s.tracked.size,
        connectedAt: s.connectedAt,
        remote: s.remote,
      }));
  }

  private changed(): void {
    if (this.listenerCount('apps') > 0) this.emit('apps', this.apps());
  }

  // ---------------------------------------------------------------- daemon events

  private hook(): void {
    const { objects } = this.daemon;
    const onUpdate = (obj: AppObject) => this.distributeUpdate(obj, null);
    const onDelete = (ghid: Ghid) => this.forgetObject(ghid, null);
    const onIncoming = (share: IncomingShare) => void this.deliverShare(share);
    const onResult = (r: ShareResult) => this.shareResult(r);
    objects.on('update', onUpdate);
    objects.on('delete', onDelete);
    this.sharing.on('incoming', onIncoming);
    this.sharing.on('result', onResult);
    // 'incoming' stays attached after close(): a share the daemon accepts while it shuts down
    // still goes to the inbox, not nowhere.
    this.unhook.push(
      () => objects.off('update', onUpdate),
      () => objects.off('delete', onDelete),
      () => this.sharing.off('result', onResult),
    );
  }

  // ---------------------------------------------------------------- connections

  private refuse(socket: Duplex, status: number, text: string, why: string): void {
    this.logger.warn(`IPC upgrade refused: ${why}`);
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(why)}\r\n\r\n${why}`);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (err) => this.logger.debug(`IPC upgrade socket error: ${err.message}`));
    if (this.closing) return this.refuse(socket, 503, 'Service Unavailable', 'daemon stopping');
    const origin = req.headers.origin;
    if (origin !== undefined && !this.allowedOrigins.has(origin)) {
      return this.refuse(socket, 403, 'Forbidden', `origin ${JSON.stringify(origin).slice(0, 80)} is not allowed`);
    }
    const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
    if (!LOOPBACK_HOSTS.has(hostHeader)) {
      return this.refuse(socket, 403, 'Forbidden', `host ${JSON.stringify(req.headers.host ?? '').slice(0, 80)} is not this computer's loopback address`);
    }
    if (this.sessions.size >= this.maxConnections) return this.refuse(socket, 503, 'Service Unavailable', 'too many app connections');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const addr = req.socket.remoteAddress ?? '?';
    const session = new Session(this.nextId++, `${addr}:${req.socket.remotePort ?? '?'}`);
    session.connection = new Connection(ws, {
      name: session.name,
      handlers: this.handlersFor(session),
      requestTimeoutMs: this.o.pushTimeoutMs ?? 30_000,
      maxMessageBytes: this.maxMessageBytes,
      maxOutstandingRequests: 1024,
      logger: this.logger,
    });
    this.sessions.add(session);
    this.byConnKey.set(session.connKey, session);
    const loopback = addr === '127.0.0.1' || addr === '::1' || addr === '::ffff:127.0.0.1';
    if (this.o.legacyClients && loopback) {
      session.admitted = true;
      session.legacy = true;
      this.changed();
    } else {
      session.authTimer = setTimeout(() => {
        if (!session.admitted) {
          this.logger.info(`${session.name}: no authentication within ${this.o.authTimeoutMs ?? 10_000} ms; closing`);
          session.connection.close(CLOSE_CODES.policyViolation, 'authentication required');
        }
      }, this.o.authTimeoutMs ?? 10_000);
      session.authTimer.unref();
    }
    this.logger.debug(`${session.name}: connected from ${session.remote}`);
    session.connection.once('close', () => this.onClose(session));
  }

  private onClose(session: Session): void {
    if (session.authTimer) clearTimeout(session.authTimer);
    this.sessions.delete(session);
    this.byConnKey.delete(session.connKey);
    if (session.token && this.byToken.get(session.token) === session) this.byToken.delete(session.token);
    for (const g of session.tracked) this.untrack(session, g);
    this.logger.debug(`${session.name}: disconnected`);
    if (session.admitted) this.changed();
  }

  // ---------------------------------------------------------------- verbs

  private handlersFor(s: Session): Map<string, RequestHandler> {
    const gated = (fn: RequestHandler): RequestHandler => (body, ctx) => {
      if (!s.admitted) {
        throw new IpcRefusal(`Authenticate first: send AU with the key from ${this.o.tokenFile ?? 'the ipc-token file in the Hypergolix home'}`);
      }
      return fn(body, ctx);
    };
    const V = IpcVerb;
    const table: [string, RequestHandler][] = [
      [V.whoami, () => this.daemon.fingerprint.bytes],
      [V.setToken, (b, ctx) => this.setToken(s, b, ctx)],
      [V.getStartup, () => this.getStartup(s)],
      [V.registerStartup, (b) => this.registerStartup(s, b)],
      [V.deregisterStartup, () => this.deregisterStartup(s)],
      [V.registerApi, (b, ctx) => this.registerApi(s, b, ctx)],
      [V.deregisterApi, (b) => this.deregisterApi(s, b)],
      [V.newObject, (b, ctx) => this.newObject(s, b, ctx)],
      [V.getObject, (b) => this.getObject(s, b)],
      [V.updateObject, (b, ctx) => this.updateObject(s, b, ctx)],
      [V.syncObject, (b) => this.syncObject(s, b)],
      [V.shareObject, (b) => this.shareObject(s, b)],
      [V.freezeObject, (b) => this.freezeObject(s, b)],
      [V.holdObject, (b) => this.holdObject(s, b)],
      [V.discardObject, (b) => this.discardObject(s, b)],
      [V.deleteObject, (b) => this.deleteObject(s, b)],
    ];
    const map = new Map<string, RequestHandler>(table.map(([verb, fn]) => [verb, gated(fn)]));
    map.set(V.auth, (b) => this.authenticate(s, b));
    return map;
  }

  private authenticate(s: Session, body: Buffer): Uint8Array {
    if (body.length === AUTH_TOKEN_BYTES && sameKey(body, this.o.authToken)) {
      const first = !s.admitted;
      s.admitted = true;
      s.authenticated = true;
      s.legacy = false;
      if (s.authTimer) clearTimeout(s.authTimer);
      if (first) this.changed();
      return ONE;
    }
    this.logger.warn(`${s.name}: wrong IPC key; closing the connection`);
    // The NK goes out first (it is sent when this throw is caught), then the close frame.
    setImmediate(() => s.connection.close(CLOSE_CODES.policyViolation, 'authentication failed'));
    throw new IpcRefusal('Authentication failed: that is not the IPC key of this Hypergolix daemon');
  }

  private requireToken(s: Session, what: string): string {
    if (!s.token) throw new IpcRefusal(`${what} needs an app token: register one (+T) first`);
    return s.token;
  }

  private async setToken(s: Session, body: Buffer, ctx: RequestContext): Promise<Uint8Array> {
    if (body.length !== APP_TOKEN_BYTES) throw new MalformedGolixPrimitive(`An app token is ${APP_TOKEN_BYTES} bytes, got ${body.length}`);
    if (!s.authenticated) {
      throw new IpcRefusal('App tokens need an authenticated connection (AU): legacy clients may use public objects only');
    }
    if (s.token) throw new IpcRefusal('This connection already has an app token; each app uses one');
    let token: string;
    if (isAllZero(body)) {
      do token = randomBytes(APP_TOKEN_BYTES).toString('hex');
      while (this.state.get(TOKEN_KEY + token) !== undefined || /^0+$/.test(token));
      this.state.set(TOKEN_KEY + token, { at: Date.now() });
      await this.state.flush();
      this.logger.info(`${s.name}: new app token ${token.slice(0, 8)}…`);
    } else {
      token = body.toString('hex');
      if (this.state.get(TOKEN_KEY + token) === undefined) throw new UnknownToken('Unknown app token: ask for a new one with a zero token');
      const other = this.byToken.get(token);
      if (other && other !== s) throw new IpcRefusal('That app token is in use by another connection; each token serves one connection');
    }
    if (s.token) throw new IpcRefusal('This connection already has an app token; each app uses one');
    s.token = token;
    this.byToken.set(token, s);
    // Registrations made before the token join the token's; the token's come back (defect 20).
    const saved = this.savedApis(token);
    const merged = new Set([...saved, ...s.apis]);
    for (const a of merged) s.apis.add(a);
    if (merged.size !== saved.length) this.state.set(APIS_KEY + token, [...merged]);
    ctx.afterResponse(() => {
      this.changed();
      for (const a of s.apis) void this.deliverInbox(s, a);
    });
    return Buffer.from(token, 'hex');
  }

  private savedApis(token: string): string[] {
    const v = this.state.get(APIS_KEY + token);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  }

  private getStartup(s: Session): Uint8Array {
    const token = this.requireToken(s, 'A startup object');
    const v = this.state.get(STARTUP_KEY + token);
    return typeof v === 'string' ? Ghid.fromText(v).bytes : new Uint8Array(0);
  }

  private registerStartup(s: Session, body: Buffer): Uint8Array {
    const token = this.requireToken(s, 'A startup object');
    const ghid = Ghid.fromBytes(body);
    this.checkAccess(s, ghid);
    this.state.set(STARTUP_KEY + token, ghid.text);
    return ONE;
  }

  private deregisterStartup(s: Session): Uint8Array {
    const token = this.requireToken(s, 'A startup object');
    this.state.delete(STARTUP_KEY + token);
    return ONE;
  }

  private registerApi(s: Session, body: Buffer, ctx: RequestContext): Uint8Array {
    const api = idText(checkApiIdBytes(body));
    s.apis.add(api);
    if (s.token) {
      const saved = this.savedApis(s.token);
      if (!saved.includes(api)) this.state.set(APIS_KEY + s.token, [...saved, api]);
    }
    ctx.afterResponse(() => {
      this.changed();
      void this.deliverInbox(s, api);
    });
    return ONE;
  }

  private deregisterApi(s: Session, body: Buffer): Uint8Array {
    const api = idText(checkApiIdBytes(body));
    s.apis.delete(api);
    if (s.token) {
      const saved = this.savedApis(s.token);
      if (saved.includes(api)) {
        const rest = saved.filter((a) => a !== api);
        if (rest.length > 0) this.state.set(APIS_KEY + s.token, rest);
        else this.state.delete(APIS_KEY + s.token);
      }
    }
    this.changed();
    return ONE;
  }

  private legroomOf(ghid: Ghid): number {
    const v = this.state.get(LEGROOM_KEY + ghid.text);
    return typeof v === 'number' ? v : 0;
  }

  private ownerOf(ghid: Ghid): string | null {
    const v = this.state.get(PRIVATE_KEY + ghid.text);
    return typeof v === 'string' ? v : null;
  }

  /** Private objects are for their owner's token only (defect 2). */
  private checkAccess(s: Session, ghid: Ghid): string | null {
    const owner = this.ownerOf(ghid);
    if (owner !== null && owner !== s.token) throw new IpcRefusal(`Object ${ghid.short} is private to another app`);
    return owner;
  }

  private objdef(obj: AppObject, forPush = false): Uint8Array {
    return encodeObjDef({
      address: obj.ghid.bytes,
      author: obj.author.bytes,
      private: forPush ? false : this.ownerOf(obj.ghid) !== null,
      dynamic: obj.dynamic,
      legroom: forPush ? 0 : this.legroomOf(obj.ghid),
      apiId: obj.apiId,
      isLink: false,
      state: obj.state,
    });
  }

  private async newObject(s: Session, body: Buffer, ctx: RequestContext): Promise<Uint8Array> {
    const def = decodeObjDef(body);
    if (def.isLink) throw new IpcRefusal('Linked objects (is_link = 1) are not supported');
    if (!def.apiId) throw new ValueError('A new object needs an api_id (65 bytes starting with 0x00, not all zeros)');
    if (def.private) this.requireToken(s, 'A private object');
    this.checkRoom(s);
    const obj = await this.daemon.objects.create(Buffer.from(def.apiId), Buffer.from(def.state), {
      dynamic: def.dynamic,
      legroom: def.legroom === 0 ? undefined : def.legroom,
    });
    if (obj.dynamic) this.daemon.network.subscribe(obj.ghid);
    if (def.legroom !== 0) this.state.set(LEGROOM_KEY + obj.ghid.text, def.legroom);
    if (def.private) {
      this.state.set(PRIVATE_KEY + obj.ghid.text, s.token!);
      // The owner record guards the object: it must be stored before anyone learns the GHID.
      await this.state.flush();
    }
    this.track(s, obj.ghid.text);
    if (!def.private) ctx.afterResponse(() => this.announce(s, obj));
    return obj.ghid.bytes;
  }

  /** A new public object: `@O` with our own fingerprint to the other apps registered for its api_id. */
  private announce(from: Session, obj: AppObject): void {
    const api = idText(obj.apiId);
    const body = encodeShareNotice(obj.ghid.bytes, this.daemon.fingerprint.bytes, obj.apiId);
    for (const s of this.sessions) {
      if (s !== from && s.admitted && s.apis.has(api)) this.push(s, AppVerb.share, body);
    }
  }

  private async getObject(s: Session, body: Buffer): Promise<Uint8Array> {
    const ghid = Ghid.fromBytes(body);
    this.checkAccess(s, ghid);
    if (!s.tracked.has(ghid.text)) this.checkRoom(s);
    const wasLive = this.daemon.objects.isLive(ghid);
    const obj = await this.daemon.open(ghid);
    this.track(s, ghid.text);
    // Opened from the local cache (e.g. after a restart): the remotes may have newer frames, which
    // reach the app as `!O` once fetched. The answer does not wait for them.
    if (!wasLive && obj.dynamic) void this.catchUp(ghid);
    return this.objdef(obj);
  }

  /** Fetches the newest frame from the remotes and applies it; a newer one reaches every tracker. */
  private async catchUp(ghid: Ghid): Promise<boolean> {
    const newest = await this.daemon.network.fetch(ghid, { fresh: true }).catch(() => null);
    if (!newest) return false;
    if (newest.type === 'GOBD') {
      try {
        await this.daemon.objects.receive(newest, ghid);
      } catch (err) {
        if (!(err instanceof IllegalDynamicFrame)) this.logger.debug(`catching up ${ghid.short} failed: ${(err as Error).message}`);
      }
    }
    return true;
  }

  private async updateObject(s: Session, body: Buffer, ctx: RequestContext): Promise<Uint8Array> {
    const def = decodeObjDef(body);
    if (def.isLink) throw new IpcRefusal('Linked objects (is_link = 1) are not supported');
    if (!def.address) throw new MalformedGolixPrimitive('An update names its object in the objdef address');
    const ghid = Ghid.fromBytes(def.address);
    const owner = this.checkAccess(s, ghid);
    if (owner === null && def.private) {
      throw new IpcRefusal('CatOuttaBagError: an object that was public cannot be made private; other apps may already have it');
    }
    const legroom = def.legroom || this.legroomOf(ghid) || undefined;
    const obj = await this.daemon.objects.update(ghid, Buffer.from(def.state), { legroom });
    if (def.legroom !== 0 && def.legroom !== this.legroomOf(ghid)) this.state.set(LEGROOM_KEY + ghid.text, def.legroom);
    if (owner !== null && !def.private) this.state.delete(PRIVATE_KEY + ghid.text);
    if (!s.tracked.has(ghid.text) && s.tracked.size < this.maxTracked) this.track(s, ghid.text);
    ctx.afterResponse(() => this.distributeUpdate(obj, s));
    return ONE;
  }

  private async syncObject(s: Session, body: Buffer): Promise<Uint8Array> {
    const ghid = Ghid.fromBytes(body);
    this.checkAccess(s, ghid);
    if (!this.daemon.objects.isLive(ghid)) await this.daemon.open(ghid);
    // A newer frame emits 'update', which reaches every app tracking the object (this one too).
    if (!(await this.catchUp(ghid))) throw new DoesNotExist(`Object ${ghid.short} is not stored here or on any remote`);
    return ONE;
  }

  private async shareObject(s: Session, body: Buffer): Promise<Uint8Array> {
    const req = decodeShareRequest(body);
    const ghid = Ghid.fromBytes(req.ghid);
    if (this.checkAccess(s, ghid) !== null) throw new IpcRefusal('Unsharable: a private object cannot be shared');
    // The outcome goes to the token that asked (even after a restart), or to this connection.
    await this.sharing.share(ghid, Ghid.fromBytes(req.recipient), s.token ?? s.connKey);
    return ONE;
  }

  private async freezeObject(s: Session, body: Buffer): Promise<Uint8Array> {
    const ghid = Ghid.fromBytes(body);
    const owner = this.checkAccess(s, ghid);
    const frozen = await this.daemon.objects.freeze(ghid);
    if (owner !== null) this.state.set(PRIVATE_KEY + frozen.ghid.text, owner);
    return frozen.ghid.bytes;
  }

  private async holdObject(s: Session, body: Buffer): Promise<Uint8Array> {
    const ghid = Ghid.fromBytes(body);
    this.checkAccess(s, ghid);
    await this.daemon.objects.hold(ghid);
    return ONE;
  }

  private discardObject(s: Session, body: Buffer): Uint8Array {
    const ghid = Ghid.fromBytes(body);
    this.untrack(s, ghid.text);
    return ONE;
  }

  private async deleteObject(s: Session, body: Buffer): Promise<Uint8Array> {
    const ghid = Ghid.fromBytes(body);
    this.checkAccess(s, ghid);
    const { objects, engine, fingerprint } = this.daemon;
    const obj = await objects.open(ghid);
    const own = obj.dynamic
      ? []
      : engine.bindingsOf(ghid).filter((b) => {
          const e = engine.entry(b);
          return e?.type === 'GOBS' && e.signer === fingerprint.text;
        });
    await objects.delete(ghid, own);
    if (obj.dynamic) this.daemon.network.unsubscribe(ghid);
    this.forgetObject(ghid, s);
    return ONE;
  }

  // ---------------------------------------------------------------- tracking

  private checkRoom(s: Session): void {
    if (s.tracked.size >= this.maxTracked) {
      throw new RemoteNak(`This connection tracks ${s.tracked.size} objects, the limit; discard (-O) some first`);
    }
  }

  private track(s: Session, ghid: string): void {
    if (s.tracked.has(ghid)) return;
    s.tracked.add(ghid);
    let set = this.trackers.get(ghid);
    if (!set) {
      set = new Set();
      this.trackers.set(ghid, set);
      this.daemon.objects.pin(Ghid.fromText(ghid));
    }
    set.add(s);
  }

  private untrack(s: Session, ghid: string): void {
    if (!s.tracked.delete(ghid)) return;
    const set = this.trackers.get(ghid);
    if (!set) return;
    set.delete(s);
    if (set.size === 0) {
      this.trackers.delete(ghid);
      this.daemon.objects.unpin(Ghid.fromText(ghid));
    }
  }

  /** `!O` to every app tracking the object, except the one that made the change. */
  private distributeUpdate(obj: AppObject, except: Session | null): void {
    const set = this.trackers.get(obj.ghid.text);
    if (!set) return;
    let body: Uint8Array | null = null;
    for (const s of set) {
      if (s === except) continue;
      body ??= this.objdef(obj, true);
      this.push(s, AppVerb.update, body);
    }
  }

  /** A deleted object: `XO` to its trackers (but the deleting app), and its records go. */
  private forgetObject(ghid: Ghid, except: Session | null): void {
    const set = this.trackers.get(ghid.text);
    if (set) {
      for (const s of [...set]) {
        if (s !== except) this.push(s, AppVerb.delete, ghid.bytes);
        this.untrack(s, ghid.text);
      }
    }
    this.state.delete(PRIVATE_KEY + ghid.text);
    this.state.delete(LEGROOM_KEY + ghid.text);
    this.state.delete(INBOX_KEY + ghid.text);
  }

  /** Sends a request to an app; failures only cost a log line. Resolves to whether it was taken. */
  private push(s: Session, verb: string, body: Uint8Array): Promise<boolean> {
    if (!s.connection.isOpen) return Promise.resolve(false);
    return s.connection.request(verb, body).then(
      () => true,
      (err: Error) => {
        this.logger.debug(`${s.name}: ${verb} not taken: ${err.message}`);
        return false;
      },
    );
  }

  // ---------------------------------------------------------------- shares

  /** Runs `fn` for one inbox key at a time (a share being stored and an app registering race). */
  private async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    for (let busy = this.delivering.get(key); busy; busy = this.delivering.get(key)) await busy.catch(() => {});
    const run = fn();
    this.delivering.set(key, run);
    try {
      return await run;
    } finally {
      if (this.delivering.get(key) === run) this.delivering.delete(key);
    }
  }

  /** An accepted share: `@O` to the apps registered for its api_id or tracking it; else the inbox. */
  private async deliverShare(share: IncomingShare): Promise<void> {
    const api = idText(share.apiId);
    const key = INBOX_KEY + share.ghid.text;
    const body = encodeShareNotice(share.ghid.bytes, share.from.bytes, share.apiId);
    try {
      await this.exclusive(key, async () => {
        const targets = [...this.sessions].filter((s) => s.admitted && (s.apis.has(api) || s.tracked.has(share.ghid.text)));
        const taken = await Promise.all(targets.map((s) => this.push(s, AppVerb.share, body)));
        if (taken.some(Boolean)) return;
        this.state.set(key, { f: share.from.text, a: api, at: Date.now() } satisfies InboxEntry);
        await this.state.flush();
        this.logger.info(`share of ${share.ghid.short} from ${share.from.short} kept until an app takes its api_id`);
      });
    } catch (err) {
      this.logger.warn(`share of ${share.ghid.short} could not be kept: ${(err as Error).message}`);
    }
  }

  /** Delivers the shares waiting for `api` to one app; each leaves the inbox once taken. */
  private async deliverInbox(s: Session, api: string): Promise<void> {
    for (const [key, v] of [...this.state.entries(INBOX_KEY)]) {
      const e = v as InboxEntry;
      if (e?.a !== api) continue;
      const ghid = Ghid.tryText(key.slice(INBOX_KEY.length));
      const from = Ghid.tryText(e.f);
      if (!ghid || !from) {
        this.state.delete(key);
        continue;
      }
      await this.exclusive(key, async () => {
        if (this.state.get(key) === undefined || !s.connection.isOpen) return;
        if (await this.push(s, AppVerb.share, encodeShareNotice(ghid.bytes, from.bytes, idBytes(api, 0)))) {
          this.state.delete(key);
          this.logger.info(`${s.name}: delivered the kept share of ${ghid.short}`);
        }
      });
    }
  }

  private shareResult(r: ShareResult): void {
    if (!r.token) return;
    const s = this.byToken.get(r.token) ?? this.byConnKey.get(r.token);
    if (!s) {
      this.logger.info(`share of ${r.ghid.short} with ${r.recipient.short} ${r.ok ? 'succeeded' : 'failed'}; the app that asked is not connected`);
      return;
    }
    void this.push(s, r.ok ? AppVerb.shareSucceeded : AppVerb.shareFailed, encodeShareResult(r.ghid.bytes, r.recipient.bytes));
  }
}

/** Starts an IPC server and waits until it listens. */
export async function startIpcServer(options: IpcServerOptions): Promise<IpcServer> {
  const server = new IpcServer(options);
  try {
    await server.listen();
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}
