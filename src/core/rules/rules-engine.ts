import {
  DEFAULT_MAX_OBJECT_BYTES,
  DoesNotExist,
  Ghid,
  InvalidIdentity,
  MalformedGolixPrimitive,
  PublicIdentity,
  StorageFull,
  isSigned,
  parseObjectAsync,
  signerOf,
  VerificationFailure,
  checkSignature,
  verifyObject,
  type GolixObject,
} from '../golix/index.js';
import { entryOf, type Entry } from '../store/entry.js';
import type { ReadonlyEntryTable } from '../store/entry-table.js';
import type { ObjectStore } from '../store/object-store.js';
import type { HistogramSnapshot } from '../util/histogram.js';
import { STORAGE_OK, type StorageState } from '../store/storage-state.js';
import { admitToQuota, checkAcceptance } from './acceptance.js';
import { RuleIndexes } from './indexes.js';
import { HeldFrames, type HeldStep } from './held-frames.js';
import { RuleEffects, type EffectsState } from './effects.js';
import type { IngestResult, Notification, PersistenceEngine, StorageUsage } from './persistence-engine.js';
import { UsageLedger, type Usage } from './usage.js';
import type { IngestOptions, RulesEngineOptions } from './rules-options.js';
import { CallOrder } from '../util/call-order.js';
import { LruMap } from '../util/lru-map.js';

export type { IngestOptions, RulesEngineOptions } from './rules-options.js';

/**
 * The Golix acceptance rules (golix §9–§11), shared by the persistence server and the daemon's
 * local cache: identity, signature, targets, counters, authority, lifetime; then storage,
 * garbage collection and the notifications a server must send.
 *
 * Checks and state changes happen in one synchronous section after the asynchronous parse and
 * signature check, so concurrent ingests never interleave between a check and its effect.
 *
 * What is stored is the store's own entry table (one compact record per object); the indexes
 * over it (indexes.ts) name objects by their record numbers, which stay valid while the object
 * is stored, and are updated in the same synchronous section that stores or removes it. The
 * rules themselves are acceptance.ts's, their effects effects.ts's; this class runs them.
 */
export class RulesEngine implements PersistenceEngine {
  /** The store's entries and the indexes over them; set by open(). */
  private ix!: RuleIndexes;
  /** target not yet stored → the notifications of frames (by dynamic) that wait for it */
  private readonly held: HeldFrames<Notification>;
  /** Ingests (and repairs) apply in call order. */
  private readonly order = new CallOrder();
  /** Parsed public identities, bounded: a server's check of its store meets every signer it holds. */
  private readonly identities = new LruMap<string, PublicIdentity>(4_096);
  /** Bytes and objects per signer; null when no quota is set. Follows the entries exactly. */
  private usageLedger: UsageLedger | null = null;
  private readonly options: Required<Omit<RulesEngineOptions, 'warn' | 'quota' | 'ledger'>> & Pick<RulesEngineOptions, 'warn'>;
  /** What an accepted object does to the store and the indexes (effects.ts), over this engine's state as it is at each call. */
  private readonly effects = new RuleEffects(this.effectsState());

  private constructor(
    private readonly store: ObjectStore,
    options: RulesEngineOptions,
  ) {
    this.options = {
      acceptV15: options.acceptV15 ?? false,
      maxObjectBytes: options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES,
      maxChainDepth: options.maxChainDepth ?? 16,
      maxHeldNotifications: options.maxHeldNotifications ?? 10_000,
      warn: options.warn,
    };
    this.held = new HeldFrames<Notification>(this.options.maxHeldNotifications);
  }

  /** This engine's state for its effects: getters, since the indexes are rebuilt after a rollback and the ledger is set at open. */
  private effectsState(): EffectsState {
    const engine = this;
    return {
      get ix() {
        return engine.ix;
      },
      get store() {
        return engine.store;
      },
      get held() {
        return engine.held;
      },
      get ledger() {
        return engine.usageLedger;
      },
    };
  }

  /** Loads the store and repairs what an interrupted run may have left half-applied. */
  static async open(store: ObjectStore, options: RulesEngineOptions = {}): Promise<{ engine: RulesEngine; warnings: string[] }> {
    const engine = new RulesEngine(store, options);
    const { entries, warnings } = await store.load();
    const pending: Promise<void>[] = [];
    engine.index(entries, pending);
    const ofType = (type: string) => [...entries.refs()].filter((ref) => entries.typeAt(ref) === type).map((ref) => entries.ghidAt(ref));
    // Finish debindings and collections that a crash interrupted.
    for (const ghid of ofType('GDXX')) {
      const ref = entries.refOf(ghid);
      if (ref !== undefined) engine.effects.enforceDebinding(entries.at(ref), pending, []);
    }
    for (const ghid of ofType('GEOC')) engine.effects.collect(ghid, pending);
    for (const dynamic of [...engine.ix.frames.keys()]) engine.effects.collect(dynamic, pending);
    const failed = (await Promise.allSettled(pending)).filter((r) => r.status === 'rejected');
    if (pending.length > failed.length) warnings.push(`object store: completed ${pending.length - failed.length} interrupted deletions`);
    if (failed.length > 0) {
      // A full or read-only disk: they are finished at the next start; the indexes follow what is stored.
      warnings.push(`object store: ${failed.length} interrupted deletions wait for a writable disk (${(failed[0] as PromiseRejectedResult).reason})`);
      engine.index(entries, null);
    }
    // Quota usage comes from the entries' sizes and signers: no object is read or parsed.
    const quota = options.quota;
    if (options.ledger) {
      // Kept elsewhere and already complete: nothing here is counted into it again.
      engine.usageLedger = options.ledger;
      return { engine, warnings };
    }
    if (quota && (quota.bytesPerIdentity != null || quota.objectsPerIdentity != null || quota.policy)) engine.usageLedger = new UsageLedger(quota);
    engine.countUsage(entries);
    // Writes the store undid (a full disk) leave the indexes naming records that changed.
    store.onRollback?.(() => {
      engine.identities.clear();
      engine.index(entries, null);
      engine.countUsage(entries);
      // Which frames wait for their target is not in the entries: the undone objects' changes go.
      engine.held.rollBack((ghid) => entries.has(ghid));
    });
    return { engine, warnings };
  }

  /** Derives the indexes from the store's entries; frames a crash left superseded are deleted when `deletes` is given. */
  private index(entries: ReadonlyEntryTable, deletes: Promise<void>[] | null): void {
    this.ix = RuleIndexes.derive(entries, deletes && ((ghid) => deletes.push(this.store.delete(ghid))));
  }

  private countUsage(entries: ReadonlyEntryTable): void {
    this.usageLedger?.clear();
    if (this.usageLedger) for (const e of entries.values()) this.usageLedger.add(e);
  }

  // ---- PersistenceEngine

  async ingest(raw: Buffer, options: IngestOptions = {}): Promise<IngestResult> {
    return (await this.ingestBatch([raw], options))[0]!;
  }

  /**
   * Ingests several objects in order as one step: they are parsed and checked in parallel,
   * applied in order (so a frame is in place before its container is checked), and made
   * durable together — one journal commit for an update's frame and container instead of two.
   * Stops at the first refusal, which it throws after the objects before it are stored.
   *
   * Every call is applied in the order it was made, whatever order the parallel parsing and
   * signature checks finish in, so a caller may issue the next ingest without waiting for the
   * previous one to become durable (a server pipelines a connection's publishes this way).
   */
  async ingestBatch(raws: Buffer[], options: IngestOptions = {}): Promise<IngestResult[]> {
    const prepared = Promise.all(raws.map((raw) => this.prepare(raw, options))).then(
      (objs) => ({ objs }),
      (error: unknown) => ({ error }),
    );
    const turn = this.order.enter();
    const ready = await prepared;
    const release = await turn;
    const writes: Promise<void>[] = [];
    const results: IngestResult[] = [];
    let refusal: unknown = null;
    let last: HeldStep<Notification> | null = null;
    try {
      if ('error' in ready) throw ready.error;
      // A store that cannot write now refuses before anything changes (StorageFull): checked
      // here, in the synchronous section, so no effect is half-applied.
      const storage = this.store.storage?.();
      if (storage && storage.kind !== 'ok') throw new StorageFull(storage.message);
      for (const p of ready.objs) {
        // An identity that was published just before, in this sequence, is known only now.
        if (p.deferredSigner) await this.verifyDeferred(p.obj, options);
        if (this.ix.entries.has(p.obj.ghid.text)) {
          results.push({ stored: false, object: p.obj, notifications: [] });
          continue;
        }
        const e = entryOf(p.obj);
        try {
          checkAcceptance(this.ix, e, this.options);
          if (this.usageLedger) admitToQuota(this.ix, e, this.usageLedger);
        } catch (err) {
          refusal = err;
          break;
        }
        const notifications: Notification[] = [];
        this.held.begin(e.ghid);
        this.effects.apply(e, p.obj, writes, notifications, options.origin);
        last = this.held.end();
        results.push({ stored: true, object: p.obj, notifications });
      }
    } finally {
      release();
    }
    const released = results.flatMap((r) => r.notifications);
    try {
      if (released.length > 0) options.applied?.(released);
    } catch {
      // The hook only brings news forward: the objects are applied and their commit under way,
      // and the result carries the same notifications (the server relays them from there).
    }
    // Durable (in call order): no rollback undoes what these objects did to the held frames.
    await Promise.all(writes).finally(() => this.held.settle(last));
    if (refusal) throw refusal;
    return results;
  }

  /** Parse and signature check: the parallel part of an ingest. */
  private async prepare(raw: Buffer, options: { signedHere?: boolean }): Promise<{ obj: GolixObject; deferredSigner: boolean }> {
    const obj = await parseObjectAsync(raw, { maxBytes: this.options.maxObjectBytes });
    if (obj.type === 'GOBD' && obj.version === 15 && !this.options.acceptV15) {
      throw new MalformedGolixPrimitive('GOBD version 15 (2016) frames are not accepted here');
    }
    if (!isSigned(obj)) return { obj, deferredSigner: false };
    if (!this.ix.entries.has(signerOf(obj)!.text)) return { obj, deferredSigner: true };
    const signer = await this.identity(signerOf(obj)!);
    if (!options.signedHere) await verifyObject(obj, signer);
    return { obj, deferredSigner: false };
  }

  private async verifyDeferred(obj: GolixObject, options: { signedHere?: boolean }): Promise<void> {
    const signer = await this.identity(signerOf(obj)!);
    if (!options.signedHere) await verifyObject(obj as Parameters<typeof verifyObject>[0], signer);
  }

  /** Whether a signature (its GHID does not cover it) verifies here: true if unsigned, null if the signer's identity is missing or damaged. */
  async signatureHolds(obj: GolixObject): Promise<boolean | null> {
    const signer = isSigned(obj) ? await this.identity(signerOf(obj)!).catch(() => null) : undefined;
    return signer === undefined ? true : signer && checkSignature(obj as Parameters<typeof checkSignature>[0], signer);
  }

  async get(ghid: Ghid): Promise<Buffer> {
    const frame = this.ix.frames.get(ghid.text);
    const key = frame !== undefined ? this.ix.entries.ghidAt(frame) : ghid.text;
    const raw = this.ix.entries.has(key) ? await this.store.read(key) : null;
    if (!raw) throw new DoesNotExist(`${ghid.short} is not stored here`);
    return raw;
  }

  /**
   * Writes again the bytes of an object whose copy here is damaged, from `raw` fetched elsewhere.
   * Its GHID hashes all but the signature: that is checked where it can be (VerificationFailure).
   * In call order with ingests; false when `raw` is no object stored here (or removed meanwhile).
   */
  async repair(raw: Buffer): Promise<boolean> {
    const obj = await parseObjectAsync(raw, { maxBytes: this.options.maxObjectBytes });
    if ((await this.signatureHolds(obj)) === false) throw new VerificationFailure(`${obj.type} ${obj.ghid.short}: the good copy's signature does not verify`);
    const release = await this.order.enter();
    let write: Promise<void> | null = null;
    try {
      const stored = this.ix.entries.get(obj.ghid.text);
      if (stored) write = this.store.put(stored, obj.raw);
    } finally {
      release();
    }
    this.identities.delete(obj.ghid.text);
    return write ? write.then(() => true) : false;
  }

  /** Each object stored here as GHID text, a frame as its dynamic's; identities first (they verify the others). */
  storedGhids(): string[] {
    const e = this.ix.entries;
    const refs = [...e.refs()].sort((a, b) => Number(e.typeAt(b) === 'GIDC') - Number(e.typeAt(a) === 'GIDC'));
    return [...new Set(refs.map((ref) => e.dynamicAt(ref) ?? e.ghidAt(ref)))];
  }

  exists(ghid: Ghid): boolean {
    return this.ix.frames.has(ghid.text) || this.ix.entries.has(ghid.text);
  }

  bindingsOf(ghid: Ghid): Ghid[] {
    // A dynamic binding binds by its dynamic GHID, not its current frame's.
    return [...this.ix.binders.values(ghid.text)].map((ref) => Ghid.fromText(this.ix.entries.dynamicAt(ref) ?? this.ix.entries.ghidAt(ref)));
  }

  debindingsOf(ghid: Ghid): Ghid[] {
    return [...this.ix.debinders.values(ghid.text)].map((ref) => Ghid.fromText(this.ix.entries.ghidAt(ref)));
  }

  requestCount(recipient: Ghid): number {
    return this.ix.requests.count(recipient.text);
  }

  async requestsFor(recipient: Ghid): Promise<Buffer[]> {
    // GHIDs first: records may be reused once their objects go, while this awaits reads.
    const ghids = [...this.ix.requests.values(recipient.text)].map((ref) => this.ix.entries.ghidAt(ref));
    const out: Buffer[] = [];
    for (const g of ghids) {
      const raw = await this.store.read(g);
      if (raw) out.push(raw);
    }
    return out;
  }

  /** Quota accounting for metrics; null when no quota is set. */
  usage(): StorageUsage | null {
    const l = this.usageLedger;
    return l ? { ...l.summary(), bytesLimit: l.bytesLimit, objectsLimit: l.objectsLimit } : null;
  }

  /** What one identity has stored here, as the quota counts it; null when no quota is set. */
  usageOf(identity: Ghid): Usage | null {
    return this.usageLedger?.of(identity.text) ?? null;
  }

  /** Whether the store can take writes now (a full disk is a state): the store's own report. */
  storage(): StorageState {
    return this.store.storage?.() ?? STORAGE_OK;
  }

  commitDurations(): HistogramSnapshot | null {
    return this.store.commitDurations?.() ?? null;
  }

  stats(): { objects: number; byType: Record<string, number> } {
    const byType: Record<string, number> = { GIDC: 0, GEOC: 0, GOBS: 0, GOBD: 0, GDXX: 0, GARQ: 0 };
    for (const ref of this.ix.entries.refs()) byType[this.ix.entries.typeAt(ref)]!++;
    return { objects: this.ix.entries.size, byType };
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /** The current frame's entry of a dynamic GHID, if stored. */
  currentFrame(dynamic: Ghid): Entry | undefined {
    const f = this.ix.frames.get(dynamic.text);
    return f === undefined ? undefined : this.ix.entries.at(f);
  }

  entry(ghid: Ghid): Entry | undefined {
    return this.ix.entries.get(ghid.text);
  }

  /** The public identity of a stored GIDC (InvalidIdentity when unknown). */
  async identity(ghid: Ghid): Promise<PublicIdentity> {
    const cached = this.identities.get(ghid.text);
    if (cached) return cached;
    if (this.ix.typeOf(ghid.text) !== 'GIDC') throw new InvalidIdentity(`Identity ${ghid.short} is not known here`);
    const raw = await this.store.read(ghid.text);
    if (!raw) throw new InvalidIdentity(`Identity ${ghid.short} is not known here`);
    let id: PublicIdentity;
    try {
      id = PublicIdentity.fromBytes(raw);
    } catch (err) {
      // Damaged since it was stored: refused as unknown, so a daemon fetches it again (Inbound.fetchSigners).
      throw new InvalidIdentity(`Identity ${ghid.short}: its copy here is damaged (${(err as Error).message})`);
    }
    this.identities.set(ghid.text, id);
    return id;
  }
}
