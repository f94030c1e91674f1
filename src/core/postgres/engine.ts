/**
 * The persistence engine of a server node over PostgreSQL, for several stateless nodes sharing
 * one database (issue #15). Each node parses publishes and checks their signatures itself; what
 * the rules decide, and everything stored, is in the database, so that no node's memory can go
 * stale while others write.
 *
 * Publishes are applied in call order, in batches: while one transaction runs, the next
 * publishes gather, and go together in the next (a group commit, as the file store's journal
 * does). Each batch is one SERIALIZABLE transaction running the rules engine (transaction.ts);
 * a publish is answered only after its COMMIT. Then its notifications go to this node's
 * subscribers (through the IngestResult, as with the file store) and, by NOTIFY, to the other
 * nodes (push-channel.ts).
 *
 * A database out of reach is a state (storage()), not a crash: publishes are refused with
 * StorageFull (NK 0010, reason `storage_failed`, retry after a second), reads with NK 000A
 * and the same reason, and the engine probes until the database answers again (reachability.ts).
 */
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_MAX_OBJECT_BYTES,
  DoesNotExist,
  Ghid,
  HypergolixError,
  InvalidIdentity,
  MalformedGolixPrimitive,
  RemoteNak,
  isSigned,
  parseObject,
  parseObjectAsync,
  signerOf,
  verifyObject,
  type GolixObject,
} from '../golix/index.js';
import { nullLogger, type Logger } from '../log/index.js';
import { DamagedCopy, type CheckTurnOptions, type CheckTurnRefused, type EngineFollower, type IngestHooks, type IngestResult, type Notification, type PersistenceEngine, type StorageUsage, type StoreCheckTurn } from '../rules/persistence-engine.js';
import type { QuotaOptions, Usage } from '../rules/usage.js';
import type { StorageState } from '../store/storage-state.js';
import { takeCheckTurn } from './check-turn.js';
import { describeTarget, newClient, openPool, type ConnectOptions } from './connect.js';
import { rebuildDerived } from './derived.js';
import { Reachability } from './reachability.js';
import { OBJECT_ROW, PgDamageMarks, repairCopy, signatureHolds } from './damage.js';
import { UNAVAILABLE_RETRY_MS, isConflict, storageUnavailable, unavailableCode } from './errors.js';
import { IdentityCache } from './identities.js';
import { PushChannel, announce, type Announcement } from './push-channel.js';
import { migrate } from './schema.js';
import type { SqlClient, SqlPool } from './sql.js';
import { StatsCache } from './stats.js';
import { CommitOutcomeUnknown, commitBatch, committedAfterAll, leavesSessionUnusable, type BatchItem, type BatchResult, type RuleSettings } from './transaction.js';
import { WaitingUploaders } from './waiting-uploaders.js';
import { readUsage } from './writes.js';
import { Histogram, type HistogramSnapshot } from '../util/histogram.js';

export interface PostgresEngineOptions extends ConnectOptions {
  acceptV15?: boolean;
  maxObjectBytes?: number;
  maxChainDepth?: number;
  quota?: QuotaOptions | null;
  logger?: Logger;
  /** Publishes per transaction at most. @default 64 */
  batchSize?: number;
  /** How often the object counts for /metrics are read again. @default 10000 */
  statsIntervalMs?: number;
  /**
   * Run on each batch's connection before its transaction: what the node must learn from the
   * database before deciding (the registrations the quota policy reads, `PgRegistry.catchUp`).
   */
  beforeBatch?: (client: SqlClient) => Promise<void>;
  /** Uploaders of frames waiting for their target remembered at most (waiting-uploaders.ts). @default 10000 */
  maxWaitingUploaders?: number;
}

interface Queued {
  prepared: Promise<Prepared>;
  origin: unknown;
  settled: boolean;
  resolve: (r: IngestResult) => void;
  reject: (e: unknown) => void;
}

/** A parsed publish; `verified` false when its signer was unknown when it was parsed. */
interface Prepared {
  obj: GolixObject;
  verified: boolean;
}

export class PostgresEngine implements PersistenceEngine {
  /** This node's name on the push channel. */
  readonly node = randomUUID();
  private readonly queue: Queued[] = [];
  private pumping: Promise<void> | null = null;
  private readonly identities = new IdentityCache();
  private readonly waiting: WaitingUploaders;
  private follower: EngineFollower | null = null;
  /** Announcements sent, and announcements heard, one after another: pushes keep commit order. */
  private announcing: Promise<void> = Promise.resolve();
  private hearing: Promise<void> = Promise.resolve();
  private readonly commitTimes = new Histogram();
  private closed = false;
  private channel!: PushChannel;
  private stats_!: StatsCache;
  private readonly settings: RuleSettings;
  private readonly log: Logger;
  private readonly target: string;
  private readonly reach: Reachability;
  /** Damage found by any node's check or read (damage.ts). */
  readonly damage: PgDamageMarks;

  private constructor(
    private readonly pool: SqlPool,
    private readonly o: PostgresEngineOptions,
  ) {
    this.log = o.logger ?? nullLogger;
    this.target = describeTarget(o.url);
    this.reach = new Reachability(this.target, () => pool.query('SELECT 1'), this.log);
    const warn = (m: string): void => this.log.warn(m);
    this.waiting = new WaitingUploaders(o.maxWaitingUploaders);
    this.damage = new PgDamageMarks(pool, () => this.stats_);
    this.settings = {
      acceptV15: o.acceptV15 ?? false,
      maxObjectBytes: o.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES,
      maxChainDepth: o.maxChainDepth ?? 16,
      quota: o.quota && (o.quota.bytesPerIdentity != null || o.quota.objectsPerIdentity != null || o.quota.policy) ? o.quota : null,
      warn,
      uploaderOf: (frame) => this.waiting.uploaderOf(frame),
    };
  }

  /** Connects, applies the schema's missing migrations, listens; rejects when the database cannot be used. */
  static async open(o: PostgresEngineOptions): Promise<{ engine: PostgresEngine; warnings: string[] }> {
    const pool = await openPool(o);
    const engine = new PostgresEngine(pool, o);
    pool.on('error', (err) => engine.log.debug(`postgres: an idle connection failed: ${err.message}`));
    const warnings: string[] = [];
    try {
      const session = await pool.connect();
      try {
        const applied = await migrate(session);
        if (applied.length > 0) warnings.push(`postgres: applied schema migration(s) ${applied.join(', ')}`);
      } finally {
        session.release();
      }
      engine.channel = new PushChannel({
        node: engine.node,
        connect: () => newClient(o),
        heard: (items) => void (engine.hearing = engine.hearing.then(() => engine.heard(items))),
        lost: (reason) => engine.follower?.lost(reason),
        log: engine.log,
      });
      await engine.channel.start();
      engine.stats_ = new StatsCache(pool, engine.settings.quota, o.statsIntervalMs ?? 10_000, engine.log);
      await engine.stats_.refresh();
    } catch (err) {
      await engine.channel?.close();
      await pool.end().catch(() => {});
      const code = unavailableCode(err);
      const why = err instanceof Error ? err.message : String(err);
      throw new HypergolixError(`Cannot use the database ${engine.target}: ${why}${code ? ` (${code})` : ''}`, { cause: err });
    }
    return { engine, warnings };
  }

  // ---- publishing

  ingest(raw: Buffer, hooks?: IngestHooks): Promise<IngestResult> {
    if (this.closed) return Promise.reject(new RemoteNak('The store is closed', { reason: 'shutting_down', retryAfterMs: UNAVAILABLE_RETRY_MS }));
    const state = this.reach.now;
    if (state.kind !== 'ok') return Promise.reject(storageUnavailable(state.message, state.errno));
    return new Promise<IngestResult>((resolve, reject) => {
      const q: Queued = { prepared: this.prepare(raw), origin: hooks?.origin, settled: false, resolve, reject };
      q.prepared.then(
        () => (q.settled = true),
        () => (q.settled = true),
      );
      this.queue.push(q);
      this.kick();
    });
  }

  /** Starts the pump unless it runs. */
  private kick(): void {
    this.pumping ??= this.pump().finally(() => {
      this.pumping = null;
      // A publish queued after the pump last looked, before this ran, found it still running.
      if (this.queue.length > 0) this.kick();
    });
  }

  /** Parse and signature check, in parallel with everything else. */
  private async prepare(raw: Buffer): Promise<Prepared> {
    const obj = await parseObjectAsync(raw, { maxBytes: this.settings.maxObjectBytes! });
    if (obj.type === 'GOBD' && obj.version === 15 && !this.settings.acceptV15) {
      throw new MalformedGolixPrimitive('GOBD version 15 (2016) frames are not accepted here');
    }
    if (obj.type === 'GIDC') this.identities.remember(obj.raw, obj.ghid);
    if (!isSigned(obj)) return { obj, verified: true };
    const signer = await this.identities.find(this.pool, signerOf(obj)!).catch(() => null);
    if (!signer) return { obj, verified: false };
    await verifyObject(obj, signer);
    return { obj, verified: true };
  }

  /** A publish whose signer was unknown when parsed: an earlier publish may have brought it. */
  private async verifyLate(obj: GolixObject): Promise<void> {
    if (!isSigned(obj)) return;
    const ghid = signerOf(obj)!;
    const signer = await this.identities.find(this.pool, ghid);
    if (!signer) throw new InvalidIdentity(`Identity ${ghid.short} is not known here`);
    await verifyObject(obj, signer);
  }

  /** Takes the publishes in call order, as many as are ready (at least one), and commits them together. */
  private async pump(): Promise<void> {
    const size = this.o.batchSize ?? 64;
    while (this.queue.length > 0) {
      const batch: { item: BatchItem; q: Queued }[] = [];
      while (this.queue.length > 0 && batch.length < size && (batch.length === 0 || this.queue[0]!.settled)) {
        const q = this.queue.shift()!;
        try {
          const p = await q.prepared;
          if (!p.verified) await this.verifyLate(p.obj);
          batch.push({ item: { obj: p.obj, origin: q.origin }, q });
        } catch (err) {
          q.reject(err);
        }
      }
      if (batch.length > 0) await this.commit(batch);
    }
  }

  private async commit(batch: { item: BatchItem; q: Queued }[]): Promise<void> {
    let session;
    try {
      session = await this.pool.connect();
    } catch (err) {
      return this.failAll(batch, err);
    }
    let result: BatchResult;
    try {
      await this.o.beforeBatch?.(session);
      const started = performance.now();
      result = await commitBatch(session, batch.map((b) => b.item), this.settings);
      this.commitTimes.observeSince(started);
      session.release();
    } catch (err) {
      session.release(leavesSessionUnusable(err));
      if (!(err instanceof CommitOutcomeUnknown)) return this.failAll(batch, err);
      if (!(await committedAfterAll(this.pool, err.result, this.log))) return this.failAll(batch, err.cause);
      result = err.result;
    }
    this.reach.answered();
    this.stats_.applied(result.inserted, result.deleted);
    this.rememberWaiting(batch, result);
    // Marked before the publishes are answered: the server then puts each right from its publish (DamagedObjects.published).
    for (const ghid of result.damagedCopies) {
      await this.damage.mark(Ghid.fromText(ghid), 'its stored bytes are not the object it names (found by a publish of it)').catch((err: Error) => this.log.warn(`postgres: could not mark ${ghid.slice(0, 12)}… damaged: ${err.message}`));
    }
    const announced: Announcement[] = [];
    result.outcomes.forEach((o, i) => {
      if (!o.ok) return batch[i]!.q.reject(o.error);
      for (const n of o.result.notifications) announced.push({ subscribed: n.subscribed.text, object: n.object.ghid.text });
      batch[i]!.q.resolve(o.result);
    });
    // After COMMIT, outside the transaction; a failure only costs other nodes' pushes.
    if (announced.length === 0) return;
    this.announcing = this.announcing.then(() =>
      announce(this.pool, this.node, announced).catch((err: Error) => this.log.warn(`postgres: could not notify the other nodes: ${err.message}`)),
    );
  }

  /** Frames stored by this batch that wait for their target: who uploaded them, for when they are announced. */
  private rememberWaiting(batch: { item: BatchItem }[], result: BatchResult): void {
    const released = new Set(result.outcomes.flatMap((o) => (o.ok ? o.result.notifications.map((n) => n.object.ghid.text) : [])));
    for (const frame of released) this.waiting.take(frame);
    result.outcomes.forEach((o, i) => {
      if (!o.ok || !o.result.stored || o.result.object.type !== 'GOBD' || released.has(o.result.object.ghid.text)) return;
      this.waiting.remember(o.result.object.ghid.text, batch[i]!.item.origin);
    });
  }

  private failAll(batch: { q: Queued }[], err: unknown): void {
    const code = unavailableCode(err);
    let refusal: unknown;
    if (code !== null) {
      this.reach.lost(code, err);
      const state = this.reach.now;
      refusal = storageUnavailable(state.kind === 'ok' ? `The database is unavailable (${code})` : state.message, code);
    } else if (isConflict(err)) {
      refusal = new RemoteNak('Too many concurrent writes to the same objects; try again', { reason: 'busy', retryAfterMs: 100 });
    } else {
      this.log.error('postgres: a batch failed', err);
      refusal = err instanceof HypergolixError ? err : new HypergolixError(`The store failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (const b of batch) b.q.reject(refusal);
  }

  // ---- the database's state

  storage(): StorageState {
    return this.reach.now;
  }

  commitDurations(): HistogramSnapshot {
    return this.commitTimes.snapshot();
  }

  // ---- other nodes

  follow(follower: EngineFollower): void {
    this.follower = follower;
  }

  /** Announcements of another node: fetch the objects and hand them to the server. */
  private async heard(announced: Announcement[]): Promise<void> {
    // A frame uploaded here that another node released: its uploader here is left out.
    const uploaders = new Map(announced.map((i) => [i.object, this.waiting.take(i.object)]));
    if (!this.follower) return;
    // Only what someone here waits for is fetched: every node hears every other node's commits.
    const wants = this.follower.wants?.bind(this.follower);
    const items = wants ? announced.filter((i) => wants(i.subscribed)) : announced;
    if (items.length === 0) return;
    try {
      const objects = new Map<string, GolixObject>();
      const { rows } = await this.pool.query<{ ghid: string; raw: Buffer }>('SELECT ghid, raw FROM objects WHERE ghid = ANY($1::text[])', [[...new Set(items.map((i) => i.object))]]);
      for (const r of rows) objects.set(r.ghid, parseObject(r.raw));
      // An object gone meanwhile (a frame replaced already) has a newer announcement on its way.
      const notes: Notification[] = [];
      for (const i of items) {
        const object = objects.get(i.object);
        const origin = uploaders.get(i.object);
        if (object) notes.push({ subscribed: Ghid.fromText(i.subscribed), object, ...(origin !== undefined && { origin }) });
      }
      if (notes.length > 0) this.follower.notifications(notes);
    } catch (err) {
      this.log.warn(`postgres: could not fetch what another node announced: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  // ---- reads

  private async read<T>(what: string, q: () => Promise<T>): Promise<T> {
    try {
      return await q();
    } catch (err) {
      const code = unavailableCode(err);
      if (code === null) throw err;
      this.reach.lost(code, err);
      throw new RemoteNak(`Cannot ${what}: the database is unavailable (${code})`, { reason: 'storage_failed', retryAfterMs: UNAVAILABLE_RETRY_MS });
    }
  }

  async get(ghid: Ghid): Promise<Buffer> {
    const rows = await this.read('read', async () => (await this.pool.query<{ raw: Buffer; damaged: string | null }>(`SELECT raw, damaged FROM objects WHERE ${OBJECT_ROW} LIMIT 1`, [ghid.text])).rows);
    if (rows.length === 0) throw new DoesNotExist(`${ghid.short} is not stored here`);
    // Marked damaged by a node's check or read: as good as none until a publish puts it right.
    if (rows[0]!.damaged !== null) throw new DamagedCopy(ghid);
    return rows[0]!.raw;
  }

  exists(ghid: Ghid): Promise<boolean> {
    return this.read('check', async () => {
      const { rows } = await this.pool.query(`SELECT 1 FROM objects WHERE ${OBJECT_ROW} AND damaged IS NULL LIMIT 1`, [ghid.text]);
      return rows.length > 0;
    });
  }

  // ---- damage (damage.ts, check-turn.ts)

  signatureHolds(obj: GolixObject): Promise<boolean | null> {
    return this.read('check a signature', () => signatureHolds(this.pool, this.identities, obj));
  }

  async repair(raw: Buffer): Promise<boolean> {
    const obj = await parseObjectAsync(raw, { maxBytes: this.settings.maxObjectBytes! });
    return this.read('put right', () => repairCopy(this.pool, this.identities, this.stats_, obj));
  }

  rebuildDerived(obj: GolixObject): Promise<boolean> {
    return this.read('rebuild an index', () => rebuildDerived(this.pool, obj));
  }

  checkTurn(o: CheckTurnOptions): Promise<StoreCheckTurn | CheckTurnRefused> {
    return this.read('check the store', () => takeCheckTurn(() => newClient(this.o), this.stats_.counts().objects, o));
  }

  bindingsOf(ghid: Ghid): Promise<Ghid[]> {
    return this.read('list bindings', async () => {
      const { rows } = await this.pool.query<{ g: string }>("SELECT coalesce(dynamic, ghid) AS g FROM objects WHERE target = $1 AND type IN ('GOBS', 'GOBD') ORDER BY stored_at, ghid", [ghid.text]);
      return rows.map((r) => Ghid.fromText(r.g));
    });
  }

  debindingsOf(ghid: Ghid): Promise<Ghid[]> {
    return this.read('list debindings', async () => {
      const { rows } = await this.pool.query<{ ghid: string }>("SELECT ghid FROM objects WHERE target = $1 AND type = 'GDXX' ORDER BY stored_at, ghid", [ghid.text]);
      return rows.map((r) => Ghid.fromText(r.ghid));
    });
  }

  requestsFor(recipient: Ghid): Promise<Buffer[]> {
    return this.read('list requests', async () => {
      const { rows } = await this.pool.query<{ raw: Buffer }>("SELECT raw FROM objects WHERE party = $1 AND type = 'GARQ' ORDER BY stored_at, ghid", [recipient.text]);
      return rows.map((r) => r.raw);
    });
  }

  requestCount(recipient: Ghid): Promise<number> {
    return this.read('count requests', async () => {
      const { rows } = await this.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM objects WHERE party = $1 AND type = 'GARQ'", [recipient.text]);
      return rows[0]!.n;
    });
  }

  stats(): { objects: number; byType: Record<string, number> } {
    return this.stats_.counts();
  }

  usage(): StorageUsage | null {
    return this.stats_.usage();
  }

  /** What one identity stores, as the quota counts it (the `usage` table, kept in every batch). */
  usageOf(identity: string): Promise<Usage> {
    return this.read('read usage', async () => (await readUsage(this.pool, [identity])).get(identity) ?? { bytes: 0, objects: 0 });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reach.stop();
    await this.pumping;
    this.stats_.stop();
    await this.announcing;
    await this.channel.close();
    await this.pool.end().catch(() => {});
  }
}
