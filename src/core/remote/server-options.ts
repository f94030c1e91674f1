/**
 * What a persistence server (`server.ts`) is configured with: its engine, where it listens, and
 * each limit with its reason and default. The assembly fills these from `hypergolix.yml`.
 */
import { FRAME_HEADER_BYTES, timerDelay, wholeNumberOption as count } from '../../wire/index.js';
import { ValueError, type Ghid } from '../golix/index.js';
import type { PersistenceEngine } from '../rules/persistence-engine.js';
import type { OpenedVariantLog } from './garq-variant-log.js';
import type { HttpExtension } from './http-endpoints.js';
import type { RemoteLogger } from './logger.js';
import type { StoreCheckOptions } from './store-check.js';

export interface PersistenceServerOptions {
  /**
   * The validated store. A promise is accepted so the port can be bound (and a second instance
   * detected) while a large store is still loading; until it resolves, `/healthz` answers 503 and
   * WebSocket upgrades are refused with 503 (defect 7: ready only once the store has loaded).
   * The server does not own the engine: close it after `close()`.
   */
  engine: PersistenceEngine | Promise<PersistenceEngine>;
  /**
   * Bind address: null/undefined → 127.0.0.1, `AUTO` → this machine's first non-internal IPv4
   * address, `ANY` → 0.0.0.0 (case-insensitive), anything else literally.
   * @default null
   */
  host?: string | null;
  /** TCP port; 0 picks a free one. @default 7770 */
  port?: number;
  /** Largest WebSocket message either way; a larger incoming one closes that socket with 1009. @default 10485760 (10 MiB) */
  maxMessageBytes?: number;
  /** `+S` beyond this many subscriptions on one connection is refused with `NK 000A`. @default 10000 */
  maxSubscriptionsPerConnection?: number;
  /**
   * GARQs (shares and their answers) stored for one recipient at once; another is refused with
   * `NK 000A` until the recipient's daemon takes some (it debinds each it handles), so that
   * nobody can bury an account under requests its daemon must open one by one. null: no limit.
   * @default null
   */
  maxRequestsPerRecipient?: number | null;
  /**
   * Fingerprints of the identities allowed to publish signed objects (GEOC, GOBS, GOBD, GDXX);
   * others get `NK 000A`. GIDCs are always accepted, and GARQs only when addressed to an allowed
   * identity. null leaves the server open, as the reference is.
   * @default null
   */
  publishAllowlist?: Iterable<Ghid> | null;
  /**
   * Publishes per second one signing identity may make (GEOC, GOBS, GOBD, GDXX, by their author,
   * binder or debinder), over all its connections; more get `NK 000A` with a retry delay. A
   * publish counts once its signature has checked out (whether the rules then accept it or not),
   * so nobody can spend someone else's allowance by claiming their fingerprint. A publish that
   * passed the check while others were in flight may take the bucket into debt, which later
   * publishes wait off. null leaves publishing unlimited, as the reference does.
   * @default null
   */
  publishRatePerIdentity?: number | null;
  /**
   * Publishes per second of objects that name no signer (GIDC, GARQ, and anything unparseable)
   * on one connection; more get `NK 000A`. Per connection, not per address: behind a TLS proxy
   * every client has the proxy's address. @default null (unlimited)
   */
  unsignedPublishRatePerConnection?: number | null;
  /** How many publishes one identity may make at once before its rate applies. @default ten seconds' worth of the rate */
  publishBurst?: number | null;
  /** The same for unsigned publishes on one connection. @default ten seconds' worth of the rate */
  unsignedPublishBurst?: number | null;
  /** Clock of the rate limits, in milliseconds; for tests. @default Date.now */
  now?: () => number;
  /** WebSocket ping period; a peer silent for a whole period (no pong) is dropped. 0 disables. @default 30000 */
  pingIntervalMs?: number;
  /** How long a `!!` waits for the subscriber's answer (reference §3.4). @default 30000 */
  notificationTimeoutMs?: number;
  /** Requests handled at once per connection; more wait in a bounded queue. @default 32 */
  maxConcurrentHandlers?: number;
  /** Open WebSocket connections; more upgrades are refused with 503. @default 10000 */
  maxConnections?: number;
  /**
   * Bytes of pushes (`!!`, and GARQs replayed on `+S`) queued or unacknowledged over all
   * subscribers. Past it, the subscriber holding the most is disconnected (1013, reason
   * `push_budget`); its client reconnects and catches up. @default 67108864 (64 MiB)
   */
  pushBudgetBytes?: number;
  /** How long `close()` waits for in-flight publishes and for peers to finish closing. @default 10000 */
  closeTimeoutMs?: number;
  /**
   * Where extra GARQ variants are kept across restarts (garq-variant-log.ts), opened by whoever
   * opened the engine; the server restores them before accepting connections and closes the log
   * when it closes. Without one they are kept in memory only (the PostgreSQL backend today).
   * @default null
   */
  garqVariantLog?: Promise<OpenedVariantLog | null> | null;
  /**
   * The check of the store (store-check.ts): when the first runs after the store is ready and
   * how often after, where its state is written for `hypergolix server check`; false: only when
   * asked for (`storeCheck.run()`; tests that count reads). Only a store that can be put right (a
   * file store) is checked. @default first after 10 minutes, then daily
   */
  storeCheck?: StoreCheckOptions | false;
  /** More endpoints on the HTTP listener (registration). @default none */
  http?: HttpExtension | null;
  /** @default silent */
  logger?: RemoteLogger;
}

/**
 * Checks the numbers a server runs on, at construction, naming the option: a NaN limit would
 * mean none, a negative one refuse everything, and a timer of NaN or 0 fire at once — each found
 * late, some (a connection's options) as a crash at the first connection.
 */
export function checkServerOptions(o: PersistenceServerOptions): void {
  const whole = (name: keyof PersistenceServerOptions, min: number) => {
    if (o[name] !== undefined) count(name, o[name], min);
  };
  const delay = (name: keyof PersistenceServerOptions, zeroIsOff = false) => {
    if (o[name] !== undefined && !(zeroIsOff && o[name] === 0)) timerDelay(name, o[name]);
  };
  whole('maxMessageBytes', FRAME_HEADER_BYTES);
  whole('maxSubscriptionsPerConnection', 0);
  if (o.maxRequestsPerRecipient !== null) whole('maxRequestsPerRecipient', 1);
  whole('maxConcurrentHandlers', 1);
  whole('maxConnections', 0);
  whole('pushBudgetBytes', 0);
  delay('pingIntervalMs', true);
  delay('notificationTimeoutMs');
  delay('closeTimeoutMs');
  for (const k of ['firstAfterMs', 'everyMs'] as const) if (o.storeCheck && o.storeCheck[k] !== undefined) timerDelay(`storeCheck.${k}`, o.storeCheck[k]);
  const scheduled = o.storeCheck ? o.storeCheck.scheduled : undefined;
  if (scheduled !== undefined && typeof scheduled !== 'boolean') throw new ValueError(`storeCheck.scheduled is true or false, not ${JSON.stringify(scheduled)}`);
  const report = o.storeCheck ? o.storeCheck.reportFile : undefined;
  if (report !== undefined && !(typeof report === 'string' && report.length > 0)) throw new ValueError(`storeCheck.reportFile is a file's path, not ${JSON.stringify(report)}`);
  for (const name of ['publishRatePerIdentity', 'unsignedPublishRatePerConnection'] as const) {
    const v = o[name];
    if (v !== undefined && v !== null && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new ValueError(`${name} is a number of publishes per second above 0 (or null for no limit), not ${String(v)}`);
  }
  for (const name of ['publishBurst', 'unsignedPublishBurst'] as const) {
    if (o[name] !== undefined && o[name] !== null) count(name, o[name], 1);
  }
}
