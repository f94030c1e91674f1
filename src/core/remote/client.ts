/**
 * The daemon's side of the remote persistence protocol (hypergolix-reference §3.6): one
 * WebSocket to one persistence server, kept open with jittered, capped exponential back-off
 * (defect 27), typed request methods, and `!!` notifications handed to listeners.
 *
 * The client keeps no outbox: a call while disconnected rejects at once, and the daemon replays
 * its own durable outbox on 'connected' (defect 21).
 */
import { DEFAULT_SERVER_PORT } from '../../wire/index.js';
import { EventEmitter } from 'node:events';
import type { SecureContextOptions } from 'node:tls';
import WebSocket from 'ws';
import { CommsError, GHID_LENGTH, Ghid, MalformedGolixPrimitive } from '../golix/index.js';
import { CLOSE_CODES, Connection, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, type CloseInfo } from './connection.js';
import { silentLogger, type RemoteLogger } from './logger.js';
import { RemoteVerb } from './verbs.js';
import { ONE, decodeBool, decodeGhidList } from './bodies.js';

/** How long a check of the link (checkLink) waits to hear from the server. */
export const LINK_CHECK_MS = 5_000;

export interface BackoffOptions {
  /** Ceiling of the first retry delay. @default 100 */
  initialMs?: number;
  /** Cap of the delay ceiling, however many attempts failed. @default 30000 */
  maxMs?: number;
  /**
   * `full`: a uniformly random delay in [0, ceiling] (spreads a crowd of clients reconnecting to a
   * restarted server); `equal`: ceiling/2 plus a random half; `none`: exactly the ceiling.
   * @default 'full'
   */
  jitter?: 'full' | 'equal' | 'none';
}

export interface RemoteTlsOptions {
  /** Trusted CA certificates in addition to (by default, instead of) Node's bundled roots. */
  ca?: SecureContextOptions['ca'];
  /** Host name the certificate must match, when it differs from `host` (e.g. connecting by IP). */
  servername?: string;
}

export interface RemoteClientOptions {
  host: string;
  /** @default 7770 */
  port?: number;
  /**
   * Connect with `wss://`. The certificate chain and host name are always verified; pass `ca`
   * for a private CA rather than turning verification off (there is no switch for that).
   * @default false
   */
  tls?: boolean | RemoteTlsOptions;
  /** How long each request waits for its answer. @default 30000 */
  requestTimeoutMs?: number;
  /** How long the WebSocket opening handshake may take. @default 10000 */
  connectTimeoutMs?: number;
  /** Ping period; a server silent for a whole period is dropped and reconnected. 0 disables. @default 30000 */
  heartbeatMs?: number;
  /** Largest message either way. @default 10485760 (10 MiB) */
  maxMessageBytes?: number;
  backoff?: BackoffOptions;
  /** @default silent */
  logger?: RemoteLogger;
}

/**
 * A listener for `!!`. The client answers the server `AK 01` once every listener has returned
 * (or its promise resolved), and `NK` with the error's code when one throws (a HypergolixError's
 * own code, FFFF otherwise).
 */
export type NotificationListener = (subscribed: Ghid, raw: Buffer) => void | Promise<void>;

export interface RemoteClientEvents {
  /** The socket is open; after every reconnect too. Resubscribe and flush the outbox here. */
  connected: [];
  /** The socket closed; a reconnect follows unless `close()` was called. */
  disconnected: [info: CloseInfo];
  notification: [subscribed: Ghid, raw: Buffer];
  /** A connection attempt failed before it opened (its error's code as data); another follows. */
  'connect-failed': [failure: ConnectFailure];
  /** The next try to connect is set for `at` (epoch ms): an attempt failed, or the connection was lost. */
  'retry-scheduled': [at: number];
}

/** Connection failures that are an answer, not silence: no such host, nothing listening, a TLS refusal. */
const REFUSALS: ReadonlySet<string> = new Set([
  'ENOTFOUND',
  'ECONNREFUSED',
  'EPROTO',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Why the last connection attempt failed: the socket error's code (`ECONNREFUSED` …) and message. */
export interface ConnectFailure {
  code: string | null;
  message: string;
  at: number;
}

/** The delay before reconnect attempt `attempt` (0-based). `random` returns [0, 1). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 30_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 52));
  switch (options.jitter ?? 'full') {
    case 'none':
      return ceiling;
    case 'equal':
      return ceiling / 2 + random() * (ceiling / 2);
    default:
      return random() * ceiling;
  }
}

export class RemoteClient extends EventEmitter<RemoteClientEvents> {
  readonly url: string;

  private readonly options: RemoteClientOptions;
  private readonly logger: RemoteLogger;
  private readonly maxMessageBytes: number;
  private connection: Connection | null = null;
  private socket: WebSocket | null = null;
  private running = false;
  private attempt = 0;
  /** Why the last connection attempt failed or the connection ended (the socket's error code, if any); null while connected. */
  lastFailure: ConnectFailure | null = null;
  /** Epoch ms of the last successful connection, or null. */
  lastConnectedAt: number | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** Epoch ms `reconnectTimer` fires at. */
  private reconnectAt: number | null = null;
  private closing: Promise<void> | null = null;
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];

  constructor(options: RemoteClientOptions) {
    super();
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const host = options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;
    this.url = `${options.tls ? 'wss' : 'ws'}://${host}:${options.port ?? DEFAULT_SERVER_PORT}/`;
  }

  get connected(): boolean {
    return this.connection?.isOpen ?? false;
  }

  /** Connects, and keeps reconnecting until `close()`. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    this.open();
  }

  /** Epoch ms of the next connection attempt while the client waits out its back-off; null otherwise. */
  get nextAttemptAt(): number | null {
    return this.reconnectTimer ? this.reconnectAt : null;
  }

  /**
   * Tries to connect at once instead of at the end of the back-off, which starts over (the network
   * or the server is back: a computer woken from sleep, a person who asked). Joins an attempt
   * already under way. Resolves when that attempt has ended: true when connected (at once if
   * already), false once it failed and the next try is set (`nextAttemptAt`), or when the client
   * is not started.
   */
  tryNow(): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    if (!this.running) return Promise.resolve(false);
    const ended = new Promise<boolean>((resolve) => {
      const done = (connected: boolean) => {
        this.off('connected', onConnected);
        this.off('retry-scheduled', onFailed);
        clearTimeout(bound);
        resolve(connected);
      };
      const onConnected = () => done(true);
      const onFailed = () => done(false);
      this.once('connected', onConnected);
      this.once('retry-scheduled', onFailed);
      // Bounded all the same, by the handshake's own deadline (close() schedules nothing).
      const bound = setTimeout(() => done(this.connected), (this.options.connectTimeoutMs ?? 10_000) + 1_000);
      bound.unref();
    });
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
      this.attempt = 0;
      this.logger.debug(`${this.url}: trying now`);
      this.open();
    }
    return ended;
  }

  /**
   * Resolves when connected (at once if already). Rejects on timeout or `close()`, and with
   * `untilRefused` also at the first attempt that fails with an answer rather than silence
   * (nothing listening, no such host, a TLS refusal): a person signing in is told at once.
   */
  whenConnected(timeoutMs?: number, o: { untilRefused?: boolean } = {}): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (!this.running) return Promise.reject(new CommsError(`${this.url}: client is not started`));
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (): boolean => {
        const i = this.waiters.indexOf(waiter);
        if (i < 0) return false;
        this.waiters.splice(i, 1);
        clearTimeout(timer);
        this.off('connect-failed', onFailed);
        return true;
      };
      const waiter = {
        resolve: () => settle() && resolve(),
        reject: (err: Error) => settle() && reject(err),
      };
      const onFailed = (failure: ConnectFailure) => {
        if (o.untilRefused && failure.code !== null && REFUSALS.has(failure.code)) waiter.reject(new CommsError(`${this.url}: ${failure.message}`));
      };
      this.waiters.push(waiter);
      this.on('connect-failed', onFailed);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => waiter.reject(new CommsError(`${this.url}: not connected within ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
      }
    });
  }

  /**
   * Whether the link is alive, found out now: a connected client pings the server, and when
   * nothing comes back within `timeoutMs` drops the link and tries at once to make it again; a
   * client away tries at once (tryNow). After the network changed under it, a link may be dead
   * without either end having said so, and the heartbeat would take up to two periods to tell.
   * Resolves whether it is connected when the check ends.
   */
  async checkLink(timeoutMs = LINK_CHECK_MS): Promise<boolean> {
    const connection = this.connection;
    if (!connection?.isOpen) return this.tryNow();
    if (await connection.probe(timeoutMs)) return true;
    this.logger.info(`${this.url}: no answer to a ping within ${timeoutMs} ms; the link is dropped and made again`);
    // Its close is told (the reconnect scheduled) before `closed` resolves: the try comes at once, not at the end of the wait.
    await connection.closed;
    return this.tryNow();
  }

  async ping(): Promise<void> {
    await this.request(RemoteVerb.ping);
  }

  /** True when the server stored it now, false when it already had it. */
  async publish(raw: Uint8Array): Promise<boolean> {
    return decodeBool(await this.request(RemoteVerb.publish, raw));
  }

  /** The packed object; for a dynamic GHID, its current frame. DoesNotExist when unknown. */
  get(ghid: Ghid): Promise<Buffer> {
    return this.request(RemoteVerb.get, ghid.bytes);
  }

  /** Stored GARQs for `ghid` arrive as notifications right after this resolves. */
  async subscribe(ghid: Ghid): Promise<void> {
    await this.request(RemoteVerb.subscribe, ghid.bytes);
  }

  /** True when the subscription existed. */
  async unsubscribe(ghid: Ghid): Promise<boolean> {
    return decodeBool(await this.request(RemoteVerb.unsubscribe, ghid.bytes));
  }

  async listSubscriptions(): Promise<Ghid[]> {
    return decodeGhidList(await this.request(RemoteVerb.listSubscriptions));
  }

  /** GHIDs of the GOBS/GOBD binding `ghid`. */
  async bindings(ghid: Ghid): Promise<Ghid[]> {
    return decodeGhidList(await this.request(RemoteVerb.listBindings, ghid.bytes));
  }

  /** GHIDs of the GDXX debinding `ghid`. */
  async debindings(ghid: Ghid): Promise<Ghid[]> {
    return decodeGhidList(await this.request(RemoteVerb.listDebindings, ghid.bytes));
  }

  async exists(ghid: Ghid): Promise<boolean> {
    return decodeBool(await this.request(RemoteVerb.exists, ghid.bytes));
  }

  /** `XX`: the server drops all of this connection's subscriptions. The socket stays open. */
  async disconnect(): Promise<void> {
    await this.request(RemoteVerb.disconnect);
  }

  /** Shutdown (§3.6): `XX` if connected, then close the socket and stop reconnecting. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown().finally(() => (this.closing = null));
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.running = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.failWaiters(new CommsError(`${this.url}: client closed`));
    const connection = this.connection;
    if (connection?.isOpen) {
      try {
        await connection.request(RemoteVerb.disconnect, undefined, { timeoutMs: Math.min(this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 2_000) });
      } catch (err) {
        this.logger.debug(`${this.url}: XX at close failed: ${(err as Error).message}`);
      }
      connection.close(CLOSE_CODES.normal, 'client closing');
      await connection.closed;
    } else if (this.socket && this.socket.readyState !== WebSocket.CLOSED) {
      const socket = this.socket;
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.terminate();
      await closed;
    }
  }

  private request(verb: string, body?: Uint8Array): Promise<Buffer> {
    const connection = this.connection;
    if (!connection?.isOpen) return Promise.reject(new CommsError(`${this.url}: not connected`));
    return connection.request(verb, body);
  }

  private open(): void {
    this.reconnectTimer = null;
    this.reconnectAt = null;
    if (!this.running) return;
    const tls = typeof this.options.tls === 'object' ? this.options.tls : {};
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url, {
        maxPayload: this.maxMessageBytes,
        perMessageDeflate: false,
        handshakeTimeout: this.options.connectTimeoutMs ?? 10_000,
        ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
        ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
      });
    } catch (err) {
      // Only a malformed URL throws here; retrying cannot fix it, but stopping silently is worse.
      this.logger.error(`${this.url}: cannot connect`, err);
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.on('error', (err) => {
      if (!opened) {
        this.logger.debug(`${this.url}: connect failed: ${err.message}`);
        this.lastFailure = { code: (err as NodeJS.ErrnoException).code ?? null, message: err.message, at: Date.now() };
        this.emit('connect-failed', this.lastFailure);
      }
    });
    socket.once('open', () => {
      opened = true;
      if (!this.running) {
        socket.close(CLOSE_CODES.normal, 'client closing');
        return;
      }
      this.attempt = 0;
      const connection = new Connection(socket, {
        name: this.url,
        handlers: {
          [RemoteVerb.ping]: () => ONE,
          [RemoteVerb.update]: (body) => this.onUpdate(body),
        },
        requestTimeoutMs: this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        heartbeatMs: this.options.heartbeatMs ?? 30_000,
        maxMessageBytes: this.maxMessageBytes,
        logger: this.logger,
      });
      this.connection = connection;
      connection.once('close', (info) => {
        if (this.connection === connection) this.connection = null;
        this.logger.info(`${this.url}: disconnected (${info.code}${info.reason ? ` ${info.reason}` : ''})`);
        this.lastFailure = { code: 'closed', message: `closed (${info.code}${info.reason ? ` ${info.reason}` : ''})`, at: Date.now() };
        this.emit('disconnected', info);
        this.scheduleReconnect();
      });
      this.logger.info(`${this.url}: connected`);
      this.lastFailure = null;
      this.lastConnectedAt = Date.now();
      // Each waiter takes itself off the list as it settles.
      for (const w of [...this.waiters]) w.resolve();
      this.emit('connected');
    });
    socket.once('close', () => {
      if (!opened) this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (!this.running || this.reconnectTimer) return;
    const delay = backoffDelay(this.attempt++, this.options.backoff);
    this.logger.debug(`${this.url}: reconnecting in ${Math.round(delay)} ms`);
    this.reconnectAt = Date.now() + Math.ceil(delay);
    this.reconnectTimer = setTimeout(() => this.open(), delay);
    this.emit('retry-scheduled', this.reconnectAt);
  }

  private failWaiters(err: Error): void {
    for (const w of [...this.waiters]) w.reject(err);
  }

  private async onUpdate(body: Buffer): Promise<Buffer> {
    if (body.length <= GHID_LENGTH) {
      throw new MalformedGolixPrimitive(`A subscription update is a GHID and an object, got ${body.length} bytes`);
    }
    const subscribed = Ghid.fromBytes(body.subarray(0, GHID_LENGTH));
    // A copy, so a listener may keep it without pinning the whole received message.
    const raw = Buffer.from(body.subarray(GHID_LENGTH));
    const listeners = this.listeners('notification') as NotificationListener[];
    // A listener's error becomes the NK (the connection logs anything that is not ours).
    await Promise.all(listeners.map(async (listener) => listener(subscribed, raw)));
    return ONE;
  }
}
