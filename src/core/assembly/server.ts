/**
 * The persistence-server host (hypergolix-reference §1, §3, §9): the `server:` block of
 * hypergolix.yml turned into a running server — a FileStore ghidcache under the Golix rules
 * engine (or, with `store: postgres`, a database that several server nodes share), served by the WebSocket PersistenceServer with /healthz and /metrics on the same port.
 *
 * This module owns no process-wide state: no pid file, no signal handlers, no console. The CLI
 * (`hypergolix start server`) adds those around it; the Electron host can embed it as is.
 *
 * Start-up order: the port is bound first, while the store is still loading, so a port
 * collision is reported at once and /healthz answers 503 "starting" until the store is ready
 * (defect 7: ready only once the store has loaded). `startServer` resolves once the server is
 * ready, and rejects (after releasing the port and the store) if either part fails.
 */
import { join } from 'node:path';
import type { HypergolixConfig } from '../config/index.js';
import { nullLogger, type Logger } from '../log/index.js';
import { PersistenceServer, type ListenAddress, type PersistenceServerOptions } from '../remote/server.js';
import { FileVariantLog, type OpenedVariantLog } from '../remote/garq-variant-log.js';
import type { ServerMetrics } from '../remote/metrics.js';
import { defaultBurst } from '../remote/rate-limit.js';
import { STORE_CHECK_FILE } from '../remote/store-check-file.js';
import type { StoreCheck } from '../remote/store-check.js';
import { PostgresEngine } from '../postgres/engine.js';
import { describeTarget } from '../postgres/connect.js';
import type { PersistenceEngine } from '../rules/persistence-engine.js';
import { RulesEngine } from '../rules/rules-engine.js';
import { formatBytes } from '../../common/config-fields.js';
import { FileStore, type FileStoreOptions } from '../store/file-store.js';
import { StorageFull } from '../golix/index.js';
import { storageTrouble } from '../util/disk-space.js';
import { checkStoreDirectory } from './store-path.js';
import type { AccountRegistry, OpLogRegistry } from '../registration/registry.js';
import { PgRegistry } from '../postgres/registry.js';
import { openRegistrations } from './registrations.js';
import { FreeTierPolicy } from '../registration/quota.js';
import { ChallengeBook } from '../registration/challenges.js';
import { RegistrationEndpoints, type RegistrationDeps } from '../registration/http.js';
import { DEFAULT_UNREGISTERED_UPLOAD_BYTES } from '../../common/defaults.js';

export interface StartServerOptions {
  /** Where everything is logged; the WebSocket layer logs under `<name>.remote`. @default nullLogger */
  logger?: Logger;
  /** Attached to a terminal (`--foreground`, containers); only changes what the start-up lines say. */
  foreground?: boolean;
  /**
   * Transport settings beyond what the config holds (ping period, timeouts, connection cap),
   * mainly for tests. The config's host, port, limits and allow-list always win.
   */
  transport?: Omit<
    Partial<PersistenceServerOptions>,
    | 'engine'
    | 'host'
    | 'port'
    | 'maxMessageBytes'
    | 'maxSubscriptionsPerConnection'
    | 'maxRequestsPerRecipient'
    | 'pushBudgetBytes'
    | 'publishAllowlist'
    | 'publishRatePerIdentity'
    | 'unsignedPublishRatePerConnection'
    | 'publishBurst'
    | 'unsignedPublishBurst'
    | 'logger'
  >;
  /** FileStore tuning (journal checkpoint size, I/O concurrency). */
  store?: Omit<FileStoreOptions, 'warn'>;
}

export interface RunningServer {
  /** Where it listens (the actual port when the config says 0). */
  readonly address: ListenAddress;
  /** `ws://host:port/` for clients on this machine. */
  readonly url: string;
  /** The counters behind /metrics. */
  readonly metrics: ServerMetrics;
  readonly server: PersistenceServer;
  /** A RulesEngine over the ghidcache (`store: files`), or a PostgresEngine (`store: postgres`). */
  readonly engine: PersistenceEngine;
  /** The registered accounts, when `server.registration` is not off. */
  readonly accounts: OpLogRegistry | null;
  /** The registration page and webhook, when `server.registration` is not off. */
  readonly registration: RegistrationEndpoints | null;
  /** What the store reported while opening: replayed journals, quarantined files, … */
  readonly storeWarnings: readonly string[];
  /** How long opening the store took (FileStore.load + RulesEngine.open), in ms. */
  readonly openMs: number;
  /** Objects in the store once it had opened. */
  readonly objectsAtStart: number;
  /** Objects its store holds damaged now, found by a read or by the check of the store (store-check.ts). */
  damagedObjects(): number;
  /** The check of its store (store-check.ts): `state`, `run()` for one now; `applies` false for a database. */
  readonly storeCheck: StoreCheck;
  /**
   * Graceful stop: no new connections, in-flight publishes finish and are answered, every
   * connection is closed (1001), then the store is flushed and closed. Idempotent.
   */
  close(): Promise<void>;
}

/** Opens the configured store and serves it; resolves once the server accepts connections. */
export async function startServer(config: HypergolixConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  const s = config.server;
  const log = options.logger ?? nullLogger;
  const where = s.store === 'postgres' ? `database ${describeTarget(s.postgres)}` : `ghidcache ${s.ghidcache}`;
  log.info(`Starting the Hypergolix persistence server${options.foreground ? ' in the foreground' : ''} (${where})`);
  // Before the port is bound: a ghidcache that cannot be a directory is a config mistake, said as one.
  if (s.store === 'files') await checkStoreDirectory(s.ghidcache, 'server.ghidcache');

  const opening = openEngine(config, options, log);
  // The server reports a failed open itself; keep the rejection from counting as unhandled meanwhile.
  opening.catch(() => {});
  let registrationDeps: RegistrationDeps | null = null;
  const registration = s.registration === 'off' ? null : new RegistrationEndpoints(() => registrationDeps);

  const server = new PersistenceServer({
    ...options.transport,
    engine: opening.then((o) => o.engine),
    // A failed open is reported through the engine; this promise must not reject unheard.
    garqVariantLog: opening.then((o) => o.variantLog, () => null),
    host: s.host,
    port: s.port,
    maxMessageBytes: s.max_message_bytes,
    maxSubscriptionsPerConnection: s.max_subscriptions,
    maxRequestsPerRecipient: s.max_requests_per_recipient,
    pushBudgetBytes: s.push_budget_bytes,
    storeCheck: { reportFile: storeCheckFileOf(s), ...(s.check_store_hours === 0 ? { scheduled: false } : { everyMs: s.check_store_hours * 3_600_000 }) },
    publishAllowlist: s.publish_allowlist,
    publishRatePerIdentity: s.publish_rate_per_identity,
    unsignedPublishRatePerConnection: s.unsigned_publish_rate_per_connection,
    publishBurst: s.publish_burst,
    http: registration,
    logger: log.child('remote'),
  });

  const address = await listenOrRelease(server, opening);

  let engine: PersistenceEngine;
  let accounts: OpLogRegistry | null;
  let storeWarnings: string[];
  let openMs: number;
  try {
    ({ engine, accounts, warnings: storeWarnings, openMs } = await opening);
  } catch (err) {
    await server.close();
    throw err;
  }
  if (accounts && s.registration !== 'off') registrationDeps = registrationWith(engine, accounts, s.registration, s);
  await server.whenReady();
  if (s.publish_allowlist) log.info(`Publishing is limited to ${s.publish_allowlist.length} identit${s.publish_allowlist.length === 1 ? 'y' : 'ies'}`);
  for (const line of limitLines(s)) log.info(line);
  const objectsAtStart = engine.stats().objects;
  log.info(`Persistence server ready on ${address.host}:${address.port} (health: http://${hostForUrl(address.host)}:${address.port}/healthz)`);

  const close = closerOf(server, engine, accounts, log);

  return {
    address,
    url: `ws://${hostForUrl(address.host)}:${address.port}/`,
    metrics: server.metrics,
    server,
    engine,
    accounts,
    registration,
    storeWarnings,
    openMs,
    objectsAtStart,
    damagedObjects: () => server.storeCheck.damagedCount,
    storeCheck: server.storeCheck,
    close,
  };
}

/** Binds the port; if that fails, closes the server and releases the store once it has opened. */
async function listenOrRelease(
  server: PersistenceServer,
  opening: Promise<{ engine: PersistenceEngine; accounts: OpLogRegistry | null; variantLog: OpenedVariantLog | null }>,
): Promise<ListenAddress> {
  try {
    return await server.listen();
  } catch (err) {
    await server.close();
    // The store may still be opening: let it finish and release it (its journal, its files).
    await opening.then(
      async (o) => {
        await o.engine.close();
        await o.accounts?.close();
        await o.variantLog?.log.close();
      },
      () => {},
    );
    throw err;
  }
}

/** Stops serving, then flushes and closes the store and the registrations; once, however often it is called. */
function closerOf(server: PersistenceServer, engine: PersistenceEngine, accounts: OpLogRegistry | null, log: Logger): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () => {
    closing ??= (async () => {
      log.info('Stopping the persistence server');
      try {
        await server.close();
      } finally {
        await engine.close();
        await accounts?.close();
      }
      log.info('Store flushed; persistence server stopped');
    })();
    return closing;
  };
}

/** Opens the configured store under the rules engine, logging what the open found. */
async function openEngine(
  config: HypergolixConfig,
  options: StartServerOptions,
  log: Logger,
): Promise<{ engine: PersistenceEngine; accounts: OpLogRegistry | null; variantLog: OpenedVariantLog | null; warnings: string[]; openMs: number }> {
  const s = config.server;
  const warn = (message: string): void => log.warn(message);
  const store = s.store === 'files' ? new FileStore(s.ghidcache, { lock: { role: 'server', configKey: 'server.ghidcache' }, ...options.store, warn }) : null;
  const openStart = performance.now();
  const accounts = s.registration === 'off' ? null : await openRegistrations(s);
  // Quotas are enforced by the engine, where each publish is checked and stored in one step, so
  // publishes in flight at once cannot together slip past a limit.
  const quota = {
    bytesPerIdentity: s.quota_bytes_per_identity,
    objectsPerIdentity: s.quota_objects_per_identity,
    policy: accounts ? freeTier(accounts, s) : null,
  };
  const rules = { acceptV15: s.accept_v15, maxObjectBytes: s.max_message_bytes };
  let opened: { engine: PersistenceEngine; warnings: string[] };
  try {
    if (store === null) {
      // Each batch first reads the registrations other nodes and the operator wrote, so the free
      // tier is decided on what the cluster knows, not on what this node heard last.
      const beforeBatch = accounts instanceof PgRegistry ? accounts.catchUp.bind(accounts) : undefined;
      opened = await PostgresEngine.open({ ...rules, quota, url: s.postgres, logger: log.child('postgres'), beforeBatch });
    } else {
      opened = await RulesEngine.open(store, { ...rules, quota, warn }).catch((err: unknown) => {
        throw storeOpenError(err, s.ghidcache);
      });
    }
  } catch (err) {
    await accounts?.close();
    throw err;
  }
  const { engine, warnings } = opened;
  let variantLog: OpenedVariantLog | null = null;
  if (store !== null) {
    // Beside the ghidcache, under its lock; a log that cannot be opened leaves variants in memory only.
    variantLog = await FileVariantLog.open(FileVariantLog.pathFor(s.ghidcache)).catch((err: unknown) => {
      log.warn(`GARQ variants are kept in memory only: ${FileVariantLog.pathFor(s.ghidcache)} could not be opened (${(err as Error).message})`);
      return null;
    });
  }
  const openMs = performance.now() - openStart;
  for (const w of warnings) log.warn(w);
  const { objects } = engine.stats();
  log.info(`Store loaded: ${objects} object${objects === 1 ? '' : 's'} in ${Math.round(openMs)} ms`);
  return { engine, accounts, variantLog, warnings, openMs };
}

/** What the registration endpoints work with, once the store is open. */
function registrationWith(engine: PersistenceEngine, accounts: OpLogRegistry, policy: RegistrationDeps['policy'], s: HypergolixConfig['server']): RegistrationDeps {
  return {
    policy,
    accounts,
    challenges: accounts instanceof PgRegistry ? accounts.challengeBook() : new ChallengeBook(),
    identityOf: async (fp) => ((await engine.exists(fp)) ? await engine.get(fp) : null),
    usedBytes: async (fp) => {
      if (engine instanceof RulesEngine) return engine.usageOf(fp)?.bytes ?? 0;
      if (engine instanceof PostgresEngine) return (await engine.usageOf(fp.text)).bytes;
      return 0;
    },
    freeBytes: s.unregistered_upload_bytes ?? DEFAULT_UNREGISTERED_UPLOAD_BYTES,
    webhookSecret: s.registration_webhook_secret,
    publicNames: s.public_names,
  };
}

/** The quota policy of `server.registration`: registered accounts get the quota keys, others the free tier. */
function freeTier(accounts: AccountRegistry, s: HypergolixConfig['server']): FreeTierPolicy {
  return new FreeTierPolicy(accounts, {
    freeBytes: s.unregistered_upload_bytes ?? DEFAULT_UNREGISTERED_UPLOAD_BYTES,
    registeredBytes: s.quota_bytes_per_identity,
    registeredObjects: s.quota_objects_per_identity,
  });
}

/**
 * A store that cannot open because its disk is full (or refuses writes) says so in one line,
 * naming the key, the path and the room left, instead of a bare `ENOSPC … write`.
 */
function storeOpenError(err: unknown, ghidcache: string): unknown {
  const trouble = storageTrouble(err, ghidcache);
  if (!trouble) return err;
  return new StorageFull(`Cannot open the server's store (server.ghidcache ${ghidcache}): ${trouble.message}`, { cause: err });
}

/** The start-up log lines that state the storage quota and the publish rate limits, if any. */
function limitLines(s: HypergolixConfig['server']): string[] {
  const out: string[] = [];
  const quota = [
    s.quota_bytes_per_identity !== null ? formatBytes(s.quota_bytes_per_identity) : null,
    s.quota_objects_per_identity !== null ? `${s.quota_objects_per_identity} objects` : null,
  ].filter((x) => x !== null);
  if (quota.length > 0) out.push(`Storage quota per identity: ${quota.join(', ')}${s.registration === 'off' ? '' : ' (registered accounts)'}`);
  if (s.registration !== 'off') {
    const free = s.unregistered_upload_bytes ?? DEFAULT_UNREGISTERED_UPLOAD_BYTES;
    out.push(`Registration: ${s.registration}; unregistered identities may store ${formatBytes(free)}`);
    if (s.public_names.length > 0) out.push(`Registration challenges only under ${s.public_names.join(', ')}`);
  }
  if (s.publish_rate_per_identity !== null) {
    const r = s.publish_rate_per_identity;
    out.push(`Publish rate per identity: ${r}/s, bursts of ${s.publish_burst ?? defaultBurst(r)}`);
  }
  if (s.unsigned_publish_rate_per_connection !== null) {
    const r = s.unsigned_publish_rate_per_connection;
    out.push(`Publish rate of identities and requests per connection: ${r}/s, bursts of ${defaultBurst(r)}`);
  }
  if (s.max_requests_per_recipient !== null) {
    out.push(`Requests waiting per identity: at most ${s.max_requests_per_recipient}`);
  }
  if (s.store === 'files') {
    const every = s.check_store_hours === 1 ? 'hour' : `${s.check_store_hours} hours`;
    out.push(s.check_store_hours === 0 ? 'Store check: off (server.check_store_hours: 0)' : `Store check: every ${every}, the first 10 minutes after this start`);
  }
  return out;
}

/** Where a server of this config keeps the state of its store's check, for `hypergolix server check` (store-check-file.ts). */
export function storeCheckFileOf(s: HypergolixConfig['server']): string {
  return join(s.logdir, STORE_CHECK_FILE);
}

/** A bind address as a client on this machine reaches it (0.0.0.0 → 127.0.0.1, IPv6 bracketed). */
function hostForUrl(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
