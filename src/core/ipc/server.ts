/**
 * The daemon's IPC server (hypergolix-reference §4): apps talk to the daemon over a WebSocket on
 * 127.0.0.1:`process.ipc_port`, framed like the remote protocol, with the reference's verbs in
 * both directions. On top of the reference it adds:
 *
 * - **Authentication (defect 1).** A connection must first prove the 32-byte per-user key from
 *   `<home>/ipc-token` (mode 0600): the key proof `AC`/`AP` (key-gate.ts; the daemon proves it
 *   first, neither side sends the key), or `AU` (the key itself) from apps of older SDKs. A
 *   wrong one is answered `NK FFFF` and the connection closed; one that has not authenticated
 *   within `authTimeoutMs` is closed. A first-frame handshake, not a header: browsers cannot set
 *   headers on a WebSocket. Upgrades with an `Origin` not on `allowedOrigins` (empty by default)
 *   get 403 before any frame (browsers always send one; `file://` pages send `Origin: null`, as
 *   any sandboxed frame can, so it is never allowed implicitly). The `Host` header must name the
 *   loopback address (DNS-rebinding guard). The server binds loopback only.
 * - **Legacy clients** (`process.ipc_legacy_clients`, off by default): reference apps that know
 *   nothing of the handshakes are admitted from loopback without it, and a warning is logged at start. They
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
 * This module is the transport and the gate: the HTTP upgrade checks, the handshakes, the
 * sessions; `verbs.ts` dispatches each verb to the concern that handles it — `app-registry.ts`
 * (tokens, api_ids, startup objects), `object-access.ts` (the object verbs) over
 * `object-records.ts` (private owners, legroom), `tracking.ts` (who hears which object) and
 * `inbox.ts` (shares waiting for an app), `people.ts` (contacts and shares for the CLI and the
 * SDK), `daemon-status.ts` (`hypergolix status`). What they keep in the account state, and under which
 * prefix, is listed in account/state-keys.ts.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DaemonPort } from '../daemon/port.js';
import { type Ghid, ValueError } from '../golix/index.js';
import type { AppObject } from '../objects/manager.js';
import { CLOSE_CODES, Connection } from '../remote/connection.js';
import { silentLogger, type RemoteLogger } from '../remote/logger.js';
import type { IncomingShare, Sharing, ShareResult } from '../sharing/sharing.js';
import { AppRegistry } from './app-registry.js';
import { Inbox } from './inbox.js';
import { ObjectAccess } from './object-access.js';
import { ObjectRecords } from './object-records.js';
import { daemonStatusJson } from './daemon-status.js';
import { StatusWatch } from './status-watch.js';
import { listenLoopbackPair } from './loopback-pair.js';
import { IpcRefusal } from './refusal.js';
import { Session, SessionTable, type ConnectedApp } from './session.js';
import { KeyGate } from './key-gate.js';
import { Tracking } from './tracking.js';
import { LOOPBACK_HOSTS, upgradeRefusal } from './upgrade-checks.js';
import { verbHandlers, type VerbParts } from './verbs.js';
import { AUTH_TOKEN_BYTES, DEFAULT_IPC_PORT, IPC_MAX_MESSAGE_BYTES } from '../../wire/index.js';

export { IpcRefusal } from './refusal.js';
export type { ConnectedApp } from './session.js';

export interface IpcServerOptions {
  /** The daemon as the IPC layer sees it (a `Daemon`). */
  daemon: DaemonPort;
  sharing: Sharing;
  /** The 32-byte per-user key (see `token.ts`). */
  authToken: Uint8Array;
  /** TCP port; 0 picks a free one. @default 7772 */
  port?: number;
  /** Loopback only: `127.0.0.1`, `::1` or `localhost`. @default '127.0.0.1' */
  host?: string;
  /** Admit reference clients without a handshake (loopback only; public objects only). @default false */
  legacyClients?: boolean;
  /** Accept `AU` (the key itself, from apps of hgx SDK 0.2) besides the key proof. @default true */
  acceptSentKey?: boolean;
  /** Exact `Origin` values allowed to upgrade (e.g. `app://my-hgx-app`). @default [] */
  allowedOrigins?: readonly string[];
  /** Admitted (authenticated or legacy) app connections; more upgrades get 503. @default 64 */
  maxConnections?: number;
  /**
   * Connections still waiting to authenticate: a pool of their own, so that they can never
   * crowd out apps. A new connection when it is full pushes out the one that has waited longest
   * (closed 1008); an app proves the key as soon as it is open, so it gets in. @default 8
   */
  maxUnauthenticated?: number;
  /** Objects one connection may track at once; more `>O`/`+O` get `NK 000A`. @default 4096 */
  maxTrackedPerConnection?: number;
  /** Largest message either way. @default 10 MiB */
  maxMessageBytes?: number;
  /** A connection that has not authenticated by then is closed; counted from the upgrade, never renewed. @default 3000 */
  authTimeoutMs?: number;
  /** How often the status is read again while an app watches it (`D+`), besides at each remote's and app's coming and going. @default 1000 */
  statusIntervalMs?: number;
  /** How long a push to an app (`@O`, `!O`, …) waits for its answer. @default 30000 */
  pushTimeoutMs?: number;
  /** Where apps find the key: named in refusals so a developer knows what to read. */
  tokenFile?: string;
  logger?: RemoteLogger;
}

export interface IpcServerEvents {
  /** The set of connected apps, or what one of them registered, changed. */
  apps: [ConnectedApp[]];
}

export class IpcServer extends EventEmitter<IpcServerEvents> {
  private readonly o: IpcServerOptions;
  private readonly daemon: DaemonPort;
  private readonly sharing: Sharing;
  private readonly logger: RemoteLogger;
  private readonly host: string;
  private readonly maxConnections: number;
  private readonly maxUnauthenticated: number;
  private readonly authTimeoutMs: number;
  /** Unauthenticated connections pushed out of their pool, closing: no longer counted in it. */
  private readonly leaving = new WeakSet<Session>();
  private readonly maxMessageBytes: number;
  private readonly allowedOrigins: ReadonlySet<string>;
  private readonly http: HttpServer;
  /** The same port on the other loopback address, or null where there is none (listen()). */
  private twin: HttpServer | null = null;
  private readonly wss: WebSocketServer;
  private readonly sessions = new SessionTable();
  private readonly tracking: Tracking;
  private readonly inbox: Inbox;
  private readonly registry: AppRegistry;
  private readonly access: ObjectAccess;
  private readonly statusWatch: StatusWatch;
  private readonly gate: KeyGate;
  /** What each connection's verbs reach (verbs.ts). */
  private readonly verbParts: VerbParts;
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
    this.maxConnections = options.maxConnections ?? 64;
    this.maxUnauthenticated = Math.max(1, options.maxUnauthenticated ?? 8);
    this.authTimeoutMs = options.authTimeoutMs ?? 3000;
    this.maxMessageBytes = options.maxMessageBytes ?? IPC_MAX_MESSAGE_BYTES;
    this.allowedOrigins = new Set(options.allowedOrigins ?? []);
    const { daemon, sessions, logger } = this;
    const records = new ObjectRecords(daemon);
    this.tracking = new Tracking(daemon, options.maxTrackedPerConnection ?? 4096);
    this.inbox = new Inbox(daemon, sessions, logger);
    this.registry = new AppRegistry({ daemon, sessions, records, inbox: this.inbox, logger, changed: () => this.changed() });
    this.access = new ObjectAccess({ daemon, sharing: this.sharing, sessions, records, tracking: this.tracking, inbox: this.inbox, logger });
    this.gate = new KeyGate({
      key: options.authToken,
      // The port bound, read from the socket: a connection may come before listen() has recorded it.
      port: () => (this.http.address() as AddressInfo).port,
      logger, tokenFile: options.tokenFile, acceptSentKey: options.acceptSentKey ?? true,
      admit: (s) => this.admit(s),
      // The NK goes out first (it is sent when the refusal is caught), then the close frame.
      reject: (s) => setImmediate(() => s.connection.close(CLOSE_CODES.policyViolation, 'authentication failed')),
    });
    this.statusWatch = new StatusWatch({ statusFor: (s) => this.statusFor(s), intervalMs: options.statusIntervalMs ?? 1000 });
    const { sharing, registry, access, gate, statusWatch } = this;
    this.verbParts = { daemon, sharing, registry, access, gate, statusWatch, logger, tokenFile: options.tokenFile, statusFor: (s) => this.statusFor(s) };
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.maxMessageBytes, perMessageDeflate: false, clientTracking: false });
    this.http = this.httpServer();
    this.hook();
  }

  /** An HTTP server that takes WebSocket upgrades only: the port's, and its twin's on the other loopback address. */
  private httpServer(): HttpServer {
    const http = createServer((_req, res) => {
      res.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.end('Hypergolix IPC: WebSocket only\n');
    });
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    http.on('clientError', (_err, socket) => socket.destroy());
    return http;
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
    // Both loopback addresses (loopback-pair.ts): the key proof names the port, not the address.
    const { port, twin } = await listenLoopbackPair(this.http, () => this.httpServer(), this.host, this.o.port ?? DEFAULT_IPC_PORT);
    this.twin = twin;
    for (const http of [this.http, twin]) http?.on('error', (err) => this.logger.error('IPC server error', err));
    this.address = { host: this.host, port };
    this.logger.info(`IPC listening on ${this.host}:${this.address.port}`);
    if (this.o.legacyClients) this.logger.warn('process.ipc_legacy_clients is on: any program on this computer can use your public objects through the IPC port without the key');
    return this.address;
  }

  /** Closes every app connection (1001) and the port. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const u of this.unhook) u();
      this.statusWatch.close();
      const closed = [...this.sessions].map((s) => {
        s.connection.close(CLOSE_CODES.goingAway, 'daemon stopping');
        return s.connection.closed;
      });
      const timer = setTimeout(() => [...this.sessions].forEach((s) => s.connection.terminate()), 2000);
      await Promise.all(closed);
      clearTimeout(timer);
      if (this.address) {
        const servers = [this.http, this.twin].filter((h) => h !== null);
        const closed = servers.map((h) => new Promise<void>((resolve) => h.close(() => resolve())));
        for (const h of servers) h.closeAllConnections();
        await Promise.all(closed);
      }
      this.wss.close();
    })();
    return this.closing;
  }

  /** How many apps are connected (admitted), for the desktop's status line. */
  connectedApps(): number {
    return this.sessions.admitted().length;
  }

  /** The connected apps in detail. */
  apps(): ConnectedApp[] {
    return this.sessions.admitted().map((s) => s.describe());
  }

  /** Closes one app's connection at the user's request (4001: the SDK does not reconnect); false when it is not connected. */
  disconnect(id: number): boolean {
    const session = this.sessions.admitted().find((s) => s.id === id);
    if (!session) return false;
    this.logger.info(`${session.name}: disconnected by the user`);
    session.connection.close(CLOSE_CODES.closedByUser, 'disconnected by the user');
    return true;
  }

  private changed(): void {
    if (this.listenerCount('apps') > 0) this.emit('apps', this.apps());
    this.statusWatch.poke();
  }

  /** The daemon's status as `D?` answers `asking`: the other apps connected are counted, not it. */
  private statusFor(asking: Session) {
    return daemonStatusJson(this.daemon, this.sharing, this.sessions.admitted().filter((o) => o !== asking).length);
  }

  // ---------------------------------------------------------------- daemon events

  private hook(): void {
    const { daemon, sharing } = this;
    const onUpdate = (obj: AppObject) => this.tracking.distributeUpdate(obj, null);
    const onDelete = (ghid: Ghid) => this.access.forgetObject(ghid, null);
    const onIncoming = (share: IncomingShare) => void this.inbox.deliverShare(share);
    const onResult = (r: ShareResult) => this.access.shareResult(r);
    // What status watchers are told at once; the rest (what waits, objects cached, a remote's next
    // try, which each failed try moves) at their interval.
    const onStatusChange = () => this.statusWatch.poke();
    const statusEvents = ['remote', 'free-tier', 'cache-check'] as const;
    daemon.on('update', onUpdate);
    for (const e of statusEvents) daemon.on(e, onStatusChange);
    sharing.on('incoming', onStatusChange);
    daemon.on('delete', onDelete);
    sharing.on('incoming', onIncoming);
    sharing.on('result', onResult);
    // 'incoming' stays attached after close(): a share the daemon accepts while it shuts down
    // still goes to the inbox, not nowhere.
    this.unhook.push(
      () => daemon.off('update', onUpdate),
      () => daemon.off('delete', onDelete),
      () => sharing.off('result', onResult),
      ...statusEvents.map((e) => () => daemon.off(e, onStatusChange)),
      () => sharing.off('incoming', onStatusChange),
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
    const refusal = upgradeRefusal(req, this.allowedOrigins);
    if (refusal) return this.refuse(socket, refusal.status, refusal.text, refusal.why);
    if (this.sessions.admitted().length >= this.maxConnections) return this.refuse(socket, 503, 'Service Unavailable', 'too many app connections');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
  }

  /**
   * Makes room in the unauthenticated pool for one more: the connection that has waited longest
   * goes. Its deadline was never renewed, so nobody holds a slot for long by reconnecting.
   */
  private makeRoomToAuthenticate(): void {
    const waiting = [...this.sessions].filter((s) => !s.admitted && !this.leaving.has(s));
    for (let i = 0; i <= waiting.length - this.maxUnauthenticated; i++) {
      const oldest = waiting[i]!;
      this.leaving.add(oldest);
      this.logger.info(`${oldest.name}: pushed out of the ${this.maxUnauthenticated} connections waiting to authenticate`);
      this.dropUnauthenticated(oldest);
    }
  }

  /** Closes (1008) a connection that did not authenticate, and drops it soon after: one that does not read would hold its socket through the handshake. */
  private dropUnauthenticated(s: Session): void {
    s.connection.close(CLOSE_CODES.policyViolation, 'authentication required');
    setTimeout(() => s.connection.terminate(), 500).unref();
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const addr = req.socket.remoteAddress ?? '?';
    const session = new Session(this.nextId++, `${addr}:${req.socket.remotePort ?? '?'}`, this.logger);
    session.connection = new Connection(ws, {
      name: session.name,
      handlers: verbHandlers(session, this.verbParts),
      requestTimeoutMs: this.o.pushTimeoutMs ?? 30_000,
      maxMessageBytes: this.maxMessageBytes,
      maxOutstandingRequests: 1024,
      logger: this.logger,
    });
    const loopback = addr === '127.0.0.1' || addr === '::1' || addr === '::ffff:127.0.0.1';
    if (this.o.legacyClients && loopback) {
      this.sessions.add(session);
      session.admitted = true;
      session.legacy = true;
      this.changed();
    } else {
      this.makeRoomToAuthenticate();
      this.sessions.add(session);
      session.authTimer = setTimeout(() => {
        if (!session.admitted) {
          this.logger.info(`${session.name}: no authentication within ${this.authTimeoutMs} ms; closing`);
          this.dropUnauthenticated(session);
        }
      }, this.authTimeoutMs);
      session.authTimer.unref();
    }
    this.logger.debug(`${session.name}: connected from ${session.remote}`);
    session.connection.once('close', () => this.onClose(session));
  }

  private onClose(session: Session): void {
    if (session.authTimer) clearTimeout(session.authTimer);
    this.sessions.remove(session);
    this.tracking.untrackAll(session);
    this.statusWatch.unwatch(session);
    this.logger.debug(`${session.name}: disconnected`);
    if (session.admitted) this.changed();
  }

  /** Admits a connection whose app proved the key (AU or AC/AP), unless too many apps are connected. */
  private admit(s: Session): void {
    const first = !s.admitted;
    if (first && this.sessions.admitted().length >= this.maxConnections) {
      setImmediate(() => s.connection.close(CLOSE_CODES.tryAgainLater, 'too many app connections'));
      throw new IpcRefusal(`Too many apps are connected (${this.maxConnections}); try again later`);
    }
    s.admitted = true;
    s.authenticated = true;
    s.legacy = false;
    if (s.authTimer) clearTimeout(s.authTimer);
    if (first) this.changed();
  }
}
