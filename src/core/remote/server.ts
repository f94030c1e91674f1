/**
 * The persistence server (hypergolix-reference §3): the reference's WebSocket protocol over a
 * validated store, plus a health and metrics endpoint over plain HTTP on the same port (defect 7:
 * no second fixed port), a publish allow-list, publish rate limits (`publish-limits.ts`) and
 * per-connection limits (defect 8; storage quotas are the rules engine's, rules/usage.ts), and NK answers instead of
 * dropped connections for malformed input (defect 16).
 *
 * Every refusal of defect 8 is `NK 000A` (RemoteNak): the reference's code for a remote that
 * refuses a request without a more specific reason (§3.2). None of the specific codes fits — each
 * of 0001–0009 says the object itself is wrong, and a client acts on that (0009 makes a daemon
 * merge and retry) — while 0000/FFFF would read as a fault of the server. The message says which
 * limit it was, for people; the NK details say it for programs (`reason`, the limit's name) and,
 * when the refusal is only for now (rate limits, shutting down), when to retry (`retryAfterMs`).
 */
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { DEFAULT_SERVER_PORT } from '../../wire/index.js';
import { CommsError, RemoteNak, type GolixObject } from '../golix/index.js';
import type { PersistenceEngine } from '../rules/persistence-engine.js';
import { QuotaExceeded } from '../rules/usage.js';
import { CLOSE_CODES, Connection, DEFAULT_MAX_MESSAGE_BYTES, type RequestContext, type RequestHandler } from './connection.js';
import { resolveHost } from './bind-address.js';
import { answerClientError, httpEndpoints, type HealthStatus } from './http-endpoints.js';
import { silentLogger, type RemoteLogger } from './logger.js';
import { ServerMetrics, engineFigures } from './metrics.js';
import { PublishLimits, checkRequestRoom, publishLimitOptions, refuse } from './publish-limits.js';
import { PushQueue } from './push-queue.js';
import { PUSH_BUDGET_REASON, PushBudget } from './push-budget.js';
import { SubscriptionRegistry, fanOut } from './subscriptions.js';
import { withTimeout } from './settle.js';
import { GarqVariants } from './garq-variants.js';
import type { OpenedVariantLog } from './garq-variant-log.js';
import { RemoteVerb } from './verbs.js';
import { StorageWatch, asStorageRefusal } from './storage-refusal.js';
import type { StorageState } from '../store/storage-state.js';
import { ONE, decodeGhid, encodeBool, encodeGhidList } from './bodies.js';
import { DamagedObjects } from './damaged-objects.js';
import { StoreCheck } from './store-check.js';
import { checkServerOptions, type PersistenceServerOptions } from './server-options.js';

export { DEFAULT_SERVER_PORT, type PersistenceServerOptions };

export interface ListenAddress {
  host: string;
  port: number;
}

/** One WebSocket peer of the server. */
class Peer {
  connection!: Connection;
  pushes!: PushQueue;
  /** Names this connection as the uploader of what it publishes (IngestHooks.origin), without holding on to it. */
  readonly origin = Symbol('peer');
  constructor(readonly name: string) {}
}

/** The server-wide push budget when none is configured. */
export const DEFAULT_PUSH_BUDGET_BYTES = 64 * 1024 * 1024;
/** How long a subscriber disconnected for falling behind gets to read its close frame before its socket is dropped. */
const EVICTION_GRACE_MS = 1000;

/** What a publish refused because the server is going down suggests: try again in a second (a restart, or another node). */
const SHUTDOWN_RETRY_MS = 1000;

export class PersistenceServer {
  readonly metrics = new ServerMetrics();

  private readonly options: PersistenceServerOptions;
  private readonly logger: RemoteLogger;
  private readonly maxMessageBytes: number;
  private readonly maxSubscriptions: number;
  private readonly maxRequests: number | null;
  private readonly limits: PublishLimits<Peer>;
  private readonly pushBudget: PushBudget;
  private readonly pingIntervalMs: number;
  private readonly notificationTimeoutMs: number;
  private readonly maxConnections: number;
  private readonly closeTimeoutMs: number;
  private readonly http: HttpServer;
  private readonly wss: WebSocketServer;
  private readonly peers = new Set<Peer>();
  private readonly subscriptions = new SubscriptionRegistry<Peer>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly engineReady: Promise<void>;
  private engine: PersistenceEngine | null = null;
  private engineFailed = false;
  private address: ListenAddress | null = null;
  private closing: Promise<void> | null = null;
  private nextPeerId = 1;
  private readonly storageWatch: StorageWatch;
  /** Copies of stored GARQs that differ in their MAC: kept and pushed, so a forged one cannot suppress the genuine. */
  private variants: GarqVariants | null = null;
  private readonly damaged: DamagedObjects;
  /** The check of its store (store-check.ts): `run()` for a whole one now, `damagedCount`. */
  readonly storeCheck: StoreCheck;

  constructor(options: PersistenceServerOptions) {
    checkServerOptions(options);
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxSubscriptions = options.maxSubscriptionsPerConnection ?? 10_000;
    this.maxRequests = options.maxRequestsPerRecipient ?? null;
    this.limits = new PublishLimits<Peer>(publishLimitOptions(options, this.maxMessageBytes, this.metrics));
    this.pingIntervalMs = options.pingIntervalMs ?? 30_000;
    this.notificationTimeoutMs = options.notificationTimeoutMs ?? 30_000;
    this.maxConnections = options.maxConnections ?? 10_000;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
    this.storageWatch = new StorageWatch(this.logger);
    this.damaged = new DamagedObjects(() => this.store, this.logger);
    this.storeCheck = new StoreCheck(() => this.store, this.damaged, this.logger, options.storeCheck === false ? { scheduled: false } : (options.storeCheck ?? {}));
    this.pushBudget = new PushBudget({
      bytes: options.pushBudgetBytes ?? DEFAULT_PUSH_BUDGET_BYTES,
      onEvict: (holder, held) => {
        this.metrics.refusal('push_budget');
        this.logger.warn(`${holder.name}: fell behind with ${held} bytes of pushes waiting (server.push_budget_bytes ${this.pushBudget.limit}); disconnecting it`);
      },
    });

    this.engineReady = Promise.resolve(options.engine).then(
      async (engine) => {
        await this.restoreVariants(engine, await options.garqVariantLog);
        this.engine = engine;
        // An engine shared by several nodes: their publishes reach our subscribers too.
        engine.follow?.({
          notifications: (notes) => fanOut(this.subscriptions, notes, null),
          wants: (subscribed) => this.subscriptions.watched(subscribed),
          lost: (reason) => this.dropClients(reason),
        });
        // Not "accepting connections": listen() says that once bound (a taken port fails after
        // this), and a store that opens after a failed start closed the server is ready for no one.
        if (!this.closing) this.logger.info('Store ready');
        if (!this.closing) this.storeCheck.start();
      },
      (err: unknown) => {
        this.engineFailed = true;
        // Whoever gave the engine promise holds its rejection and reports it (once); here it is detail.
        this.logger.debug('The store failed to open; the server will not accept connections', err);
      },
    );

    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.maxMessageBytes,
      // Compression would let a small message inflate past the cap's intent, and the
      // reference does not use it.
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.http = createServer(httpEndpoints({ health: () => this.health(), damagedObjects: () => this.damaged.count, metrics: () => this.metricsText() }, this.logger, options.http ?? null));
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.http.on('clientError', (err: Error & { code?: string }, socket: Duplex) => answerClientError(err, socket, this.logger));
  }

  /** The store has loaded and the server accepts WebSocket connections. */
  get ready(): boolean {
    return this.engine !== null && this.closing === null;
  }

  /** Resolves once the engine promise has settled (check `ready` for the outcome). */
  whenReady(): Promise<void> {
    return this.engineReady;
  }

  get listenAddress(): ListenAddress | null {
    return this.address;
  }

  get connectionCount(): number {
    return this.peers.size;
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /** Binds the port. Rejects with CommsError when the address is in use or unavailable. */
  async listen(): Promise<ListenAddress> {
    if (this.address) return this.address;
    if (this.closing) throw new CommsError('The server has been closed');
    const host = resolveHost(this.options.host);
    const port = this.options.port ?? DEFAULT_SERVER_PORT;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        this.http.off('listening', onListening);
        const why = err.code === 'EADDRINUSE' ? 'is already in use' : err.code === 'EADDRNOTAVAIL' ? 'is not an address of this machine' : `failed (${err.message})`;
        reject(new CommsError(`Cannot listen on ${host}:${port}: the address ${why}`, { cause: err }));
      };
      const onListening = (): void => {
        this.http.off('error', onError);
        resolve();
      };
      this.http.once('error', onError);
      this.http.once('listening', onListening);
      this.http.listen(port, host);
    });
    this.http.on('error', (err) => this.logger.error('HTTP server error', err));
    const bound = this.http.address() as AddressInfo;
    this.address = { host, port: bound.port };
    this.logger.info(`Persistence server listening on ${host}:${bound.port}`);
    return this.address;
  }

  /**
   * Graceful stop: no new connections or publishes, in-flight publishes finish and are
   * answered, then every connection is closed with 1001. Idempotent. Does not close the engine.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const httpClosed = this.address
      ? new Promise<void>((resolve) => this.http.close(() => resolve()))
      : Promise.resolve();
    this.http.closeIdleConnections();
    if (this.inFlight.size > 0) {
      this.logger.info(`Waiting for ${this.inFlight.size} publish(es) in flight`);
      const settled = await withTimeout(Promise.allSettled([...this.inFlight]), this.closeTimeoutMs);
      if (!settled) this.logger.warn(`Publishes still in flight after ${this.closeTimeoutMs} ms; closing anyway`);
    }
    const peers = [...this.peers];
    for (const peer of peers) peer.connection.close(CLOSE_CODES.goingAway, 'server shutting down');
    const all = Promise.all(peers.map((p) => p.connection.closed));
    if (!(await withTimeout(all, this.closeTimeoutMs))) {
      for (const peer of peers) peer.connection.terminate();
      await all;
    }
    this.http.closeAllConnections();
    await httpClosed;
    this.wss.close();
    await this.storeCheck.stop();
    await this.variants?.close().catch((err: unknown) => this.logger.warn(`Could not close the GARQ variant log: ${(err as Error).message}`));
    this.logger.info('Persistence server stopped');
  }

  private get store(): PersistenceEngine {
    // Handlers run only on connections accepted after the engine was ready.
    if (!this.engine) throw new CommsError('The store is not ready');
    return this.engine;
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (err) => this.logger.debug(`Upgrade socket error: ${err.message}`));
    let refusal: string | null = null;
    if (this.closing) refusal = 'shutting down';
    else if (!this.engine) refusal = this.engineFailed ? 'store failed to open' : 'store loading';
    else if (this.peers.size >= this.maxConnections) refusal = 'too many connections';
    if (refusal) {
      this.logger.debug(`Upgrade refused: ${refusal}`);
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${refusal.length}\r\n\r\n${refusal}`);
      return;
    }
    // The path is ignored (reference §3.1).
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const peer = new Peer(`conn#${this.nextPeerId++} ${remote}`);
    peer.connection = new Connection(ws, {
      name: peer.name,
      handlers: this.handlersFor(peer),
      requestTimeoutMs: this.notificationTimeoutMs,
      heartbeatMs: this.pingIntervalMs,
      maxMessageBytes: this.maxMessageBytes,
      ...(this.options.maxConcurrentHandlers !== undefined ? { maxConcurrentHandlers: this.options.maxConcurrentHandlers } : {}),
      logger: this.logger,
      onNakSent: (code) => this.metrics.rejection(code),
    });
    peer.pushes = new PushQueue({
      connection: peer.connection,
      name: peer.name,
      timeoutMs: this.notificationTimeoutMs,
      counters: this.metrics,
      logger: this.logger,
      budget: this.pushBudget,
      disconnect: () => this.disconnectSlow(peer),
    });
    this.peers.add(peer);
    this.metrics.connectionsTotal++;
    this.logger.debug(`${peer.name}: connected (${this.peers.size} open)`);
    peer.connection.once('close', () => {
      this.peers.delete(peer);
      this.subscriptions.removeAll(peer);
      this.limits.forget(peer);
      peer.pushes.clear();
    });
  }

  /**
   * A subscriber that fell behind: told why (1013 and the reason as a token), then dropped, so that
   * its socket's buffers go too — a peer that does not read would never finish the handshake.
   */
  private disconnectSlow(peer: Peer): void {
    peer.connection.close(CLOSE_CODES.tryAgainLater, PUSH_BUDGET_REASON);
    setTimeout(() => peer.connection.terminate(), EVICTION_GRACE_MS).unref();
  }

  private handlersFor(peer: Peer): Map<string, RequestHandler> {
    return new Map<string, RequestHandler>([
      [RemoteVerb.ping, () => ONE],
      [RemoteVerb.publish, (body, ctx) => this.publish(peer, body, ctx)],
      [RemoteVerb.get, (body) => this.damaged.served(decodeGhid(body))],
      [RemoteVerb.subscribe, (body, ctx) => this.subscribe(peer, body, ctx)],
      [RemoteVerb.unsubscribe, (body) => encodeBool(this.unsubscribe(peer, () => this.subscriptions.remove(peer, decodeGhid(body))))],
      [RemoteVerb.listSubscriptions, () => encodeGhidList(this.subscriptions.of(peer))],
      [RemoteVerb.listBindings, async (body) => encodeGhidList(await this.store.bindingsOf(decodeGhid(body)))],
      [RemoteVerb.listDebindings, async (body) => encodeGhidList(await this.store.debindingsOf(decodeGhid(body)))],
      [RemoteVerb.exists, async (body) => encodeBool(await this.damaged.exists(decodeGhid(body)))],
      [
        RemoteVerb.disconnect,
        () => {
          this.unsubscribe(peer, () => this.subscriptions.removeAll(peer));
          return ONE;
        },
      ],
    ]);
  }

  /**
   * The engine applies ingests in call order (PersistenceEngine.ingest), so a connection's
   * publishes keep their order — a binding before its container — without waiting for each
   * other to become durable; their journal commits are then grouped.
   */
  private async publish(peer: Peer, body: Buffer, ctx: RequestContext): Promise<Buffer> {
    const started = performance.now();
    if (this.closing) throw new RemoteNak('The server is shutting down', { retryAfterMs: SHUTDOWN_RETRY_MS, reason: 'shutting_down' });
    this.storageWatch.admit(this.engine, () => this.metrics.refusal('storage_full'));
    const charge = this.limits.admit(peer, body);
    if (this.maxRequests !== null) await checkRequestRoom(this.store, body, this.maxRequests, this.metrics);
    // Subscribers are told as soon as the object is readable here, while its commit is still
    // being written: they need no durability (a rolled-back object is published again by its
    // owner, whose answer waits for the commit), and a commit is most of an ingest's latency.
    let relayed = false;
    const pending = this.store.ingest(body, {
      origin: peer.origin,
      applied: (notifications) => {
        fanOut(this.subscriptions, notifications, peer);
        relayed = true;
      },
    });
    this.inFlight.add(pending);
    let result;
    try {
      result = await pending;
    } catch (err) {
      if (err instanceof QuotaExceeded) this.metrics.refusal('quota');
      this.limits.settle(peer, charge, err);
      throw this.storageRefusal(err, 'A publish');
    } finally {
      this.inFlight.delete(pending);
    }
    // Charged only now: the engine has checked the signature against this very signer.
    this.limits.settle(peer, charge);
    this.metrics.publish(result.stored, started);
    if (!result.stored) await this.damaged.published(result.object);
    const notifications = relayed ? [] : result.notifications;
    if (!result.stored && result.object.type === 'GARQ' && (await this.offerVariant(result.object))) {
      notifications.push({ subscribed: result.object.recipient, object: result.object });
    }
    if (notifications.length > 0) ctx.afterResponse(() => fanOut(this.subscriptions, notifications, peer));
    return encodeBool(result.stored || notifications.length > 0);
  }

  /** Runs an unsubscription; what waits to be pushed for what it dropped goes with it. */
  private unsubscribe<T>(peer: Peer, drop: () => T): T {
    const result = drop();
    peer.pushes.forget((g) => this.subscriptions.has(peer, g));
    return result;
  }

  private async subscribe(peer: Peer, body: Buffer, ctx: RequestContext): Promise<Buffer> {
    const ghid = decodeGhid(body);
    if (!this.subscriptions.has(peer, ghid) && this.subscriptions.countOf(peer) >= this.maxSubscriptions) {
      refuse(this.metrics, 'subscriptions', `Subscription limit of ${this.maxSubscriptions} per connection reached`);
    }
    this.subscriptions.add(peer, ghid);
    // A failed read keeps the subscription (another +S of it may have been answered meanwhile);
    // the refusal tells the client to ask again for what it missed.
    const requests = [...(await this.store.requestsFor(ghid)), ...(await this.garqVariants().for(ghid))];
    if (requests.length > 0) ctx.afterResponse(() => peer.pushes.replay(ghid, requests));
    return ONE;
  }

  /** Closes every connection (1013, try again later): pushes from other nodes may have been missed. */
  private dropClients(reason: string): void {
    if (this.peers.size === 0) return;
    this.logger.warn(`Closing ${this.peers.size} connection(s) so that clients resubscribe: ${reason}`);
    for (const peer of this.peers) peer.connection.close(CLOSE_CODES.tryAgainLater, 'resubscribe');
  }

  /** Takes back the GARQ variants a log kept (before any connection is accepted). */
  private async restoreVariants(engine: PersistenceEngine, opened: OpenedVariantLog | null | undefined): Promise<void> {
    if (opened) this.variants = await GarqVariants.restored(engine, opened, this.logger);
  }

  /** A new variant of a stored GARQ: kept (durably, with a log) or refused as a publish that failed to be stored. */
  private async offerVariant(obj: GolixObject): Promise<boolean> {
    try {
      return await this.garqVariants().offer(obj);
    } catch (err) {
      throw this.storageRefusal(err, 'A GARQ variant');
    }
  }

  /** A failed write as the refusal to answer with: a full or failing store says so, counted and logged. */
  private storageRefusal(err: unknown, what: string): unknown {
    const refusal = asStorageRefusal(err, this.storageState(), 'server');
    if (refusal !== err) {
      this.metrics.refusal('storage_full');
      this.logger.warn(`${what} failed to be stored: ${(err as Error).message}`);
    }
    return refusal;
  }

  private garqVariants(): GarqVariants {
    return (this.variants ??= new GarqVariants(this.store));
  }

  /** Whether the store takes writes now (see StorageWatch). */
  storageState(): StorageState {
    return this.storageWatch.check(this.engine);
  }

  /** For `/healthz`. */
  private health = (): HealthStatus => (this.closing ? 'closing' : this.engine ? 'ok' : this.engineFailed ? 'failed' : 'starting');

  /** For `/metrics`. */
  private metricsText(): string {
    return this.metrics.render({
      ready: this.ready,
      ...engineFigures(this.engine, this.logger),
      connections: this.peers.size,
      subscriptions: this.subscriptions.size,
      rateLimitedIdentities: this.limits.rateLimitedIdentities,
      ...(this.engine ? { storageWritable: this.storageState().kind === 'ok' } : {}),
      pushQueue: { bytes: this.pushBudget.bytes, budget: this.pushBudget.limit, overflows: this.pushBudget.evictions },
      damagedObjects: this.engine ? this.damaged.count : 0,
      ...(this.engine ? this.storeCheck.figures() : {}),
    });
  }
}
