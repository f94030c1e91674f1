import {
  AlreadyDebound,
  DEFAULT_MAX_OBJECT_BYTES,
  DoesNotExist,
  Ghid,
  IllegalDynamicFrame,
  InconsistentAuthor,
  InvalidIdentity,
  InvalidTarget,
  MalformedGolixPrimitive,
  PublicIdentity,
  UnboundContainer,
  isSigned,
  parseObjectAsync,
  signerOf,
  verifyObject,
  type GolixObject,
} from '../golix/index.js';
import { entryOf, type Entry } from '../store/entry.js';
import type { ReadonlyEntryTable } from '../store/entry-table.js';
import type { ObjectStore } from '../store/object-store.js';
import type { IngestResult, Notification, PersistenceEngine, StorageUsage } from './engine.js';
import { MultiMap } from './multimap.js';
import { UsageLedger, type QuotaOptions, type Usage } from './usage.js';

export interface RulesEngineOptions {
  /** Accept GOBD v15 uploads (2016 era). The reference refuses them; so do we by default. */
  acceptV15?: boolean;
  maxObjectBytes?: number;
  /** How far a chain of bindings may reach before it counts as circular (golix §11). */
  maxChainDepth?: number;
  /** Frames waiting for their container; the oldest are forgotten past this. */
  maxHeldNotifications?: number;
  /**
   * Per-identity storage quotas (defect 8; see usage.ts for who is charged what). A publish that
   * would take its signer over a limit is refused with QuotaExceeded (NK 000A). Off by default,
   * and then nothing is counted at all.
   */
  quota?: QuotaOptions | null;
  warn?: (message: string) => void;
}

type Held = Map<string, GolixObject>;

/**
 * The Golix acceptance rules (golix §9–§11), shared by the persistence server and the daemon's
 * local cache: identity, signature, targets, counters, authority, lifetime; then storage,
 * garbage collection and the notifications a server must send.
 *
 * Checks and state changes happen in one synchronous section after the asynchronous parse and
 * signature check, so concurrent ingests never interleave between a check and its effect.
 *
 * What is stored is the store's own entry table (one compact record per object); the indexes
 * here name objects by their record numbers, which stay valid while the object is stored, and
 * are updated in the same synchronous section that stores or removes it.
 */
export class RulesEngine implements PersistenceEngine {
  private entries!: ReadonlyEntryTable;
  /** dynamic GHID → record of its current frame */
  private readonly frames = new Map<string, number>();
  /** target → records binding it: GOBSs, and the current frames of dynamic bindings */
  private readonly binders = new MultiMap<number>();
  /** target → GDXX records */
  private readonly debinders = new MultiMap<number>();
  /** recipient → GARQ records */
  private readonly requests = new MultiMap<number>();
  /** target not yet stored → frames (by dynamic) whose notification waits for it */
  private readonly held = new Map<string, Held>();
  private heldCount = 0;
  /** Resolves when every earlier ingest has been applied: ingests apply in call order. */
  private turn: Promise<void> = Promise.resolve();
  private readonly identities = new Map<string, PublicIdentity>();
  /** Bytes and objects per signer; null when no quota is set. Follows the entries exactly. */
  private usageLedger: UsageLedger | null = null;
  private readonly options: Required<Omit<RulesEngineOptions, 'warn' | 'quota'>> & Pick<RulesEngineOptions, 'warn'>;

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
  }

  /** Loads the store and repairs what an interrupted run may have left half-applied. */
  static async open(store: ObjectStore, options: RulesEngineOptions = {}): Promise<{ engine: RulesEngine; warnings: string[] }> {
    const engine = new RulesEngine(store, options);
    const { entries, warnings } = await store.load();
    engine.entries = entries;
    const pending: Promise<void>[] = [];
    const ofType = (type: string) => [...entries.refs()].filter((ref) => entries.typeAt(ref) === type).map((ref) => entries.ghidAt(ref));
    // A crash between a new frame's put and its predecessor's delete leaves both: the newer wins.
    for (const ghid of ofType('GOBD')) {
      const ref = entries.refOf(ghid);
      if (ref === undefined) continue;
      const e = entries.at(ref);
      const current = engine.frames.get(e.dynamic!);
      if (current !== undefined) {
        const other = entries.at(current);
        const loser = supersedes(e, other) ? other : e;
        pending.push(store.delete(loser.ghid));
        if (loser === e) continue;
      }
      engine.frames.set(e.dynamic!, ref);
    }
    for (const ref of entries.refs()) engine.index(ref);
    // Finish debindings and collections that a crash interrupted.
    for (const ghid of ofType('GDXX')) {
      const ref = entries.refOf(ghid);
      if (ref !== undefined) engine.enforceDebinding(entries.at(ref), pending, []);
    }
    for (const ghid of ofType('GEOC')) engine.collect(ghid, pending);
    for (const dynamic of [...engine.frames.keys()]) engine.collect(dynamic, pending);
    await Promise.all(pending);
    if (pending.length > 0) warnings.push(`object store: completed ${pending.length} interrupted deletions`);
    // Quota usage comes from the entries' sizes and signers: no object is read or parsed.
    const quota = options.quota;
    if (quota && (quota.bytesPerIdentity != null || quota.objectsPerIdentity != null)) {
      const ledger = new UsageLedger(quota);
      for (const e of entries.values()) ledger.add(e);
      engine.usageLedger = ledger;
    }
    return { engine, warnings };
  }

  // ---- PersistenceEngine

  /**
   * `signedHere`: the caller has just made this object with its own private key (the daemon's
   * own publishes), so re-verifying the signature it computed would only burn CPU. Everything
   * else — parsing, hashes, every rule — still applies. Never set it for received bytes.
   */
  async ingest(raw: Buffer, options: { signedHere?: boolean } = {}): Promise<IngestResult> {
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
  async ingestBatch(raws: Buffer[], options: { signedHere?: boolean } = {}): Promise<IngestResult[]> {
    const prepared = Promise.all(raws.map((raw) => this.prepare(raw, options))).then(
      (objs) => ({ objs }),
      (error: unknown) => ({ error }),
    );
    const turn = this.turn;
    let release!: () => void;
    this.turn = new Promise<void>((r) => (release = r));
    const ready = await prepared;
    await turn;
    const writes: Promise<void>[] = [];
    const results: IngestResult[] = [];
    let refusal: unknown = null;
    try {
      if ('error' in ready) throw ready.error;
      for (const p of ready.objs) {
        // An identity that was published just before, in this sequence, is known only now.
        if (p.deferredSigner) await this.verifyDeferred(p.obj, options);
        if (this.entries.has(p.obj.ghid.text)) {
          results.push({ stored: false, object: p.obj, notifications: [] });
          continue;
        }
        const e = entryOf(p.obj);
        try {
          this.check(e);
          if (this.usageLedger) this.admit(e, this.usageLedger);
        } catch (err) {
          refusal = err;
          break;
        }
        const notifications: Notification[] = [];
        this.apply(e, p.obj, writes, notifications);
        results.push({ stored: true, object: p.obj, notifications });
      }
    } finally {
      release();
    }
    await Promise.all(writes);
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
    if (!this.entries.has(signerOf(obj)!.text)) return { obj, deferredSigner: true };
    const signer = await this.identity(signerOf(obj)!);
    if (!options.signedHere) await verifyObject(obj, signer);
    return { obj, deferredSigner: false };
  }

  private async verifyDeferred(obj: GolixObject, options: { signedHere?: boolean }): Promise<void> {
    const signer = await this.identity(signerOf(obj)!);
    if (!options.signedHere) await verifyObject(obj as Parameters<typeof verifyObject>[0], signer);
  }

  async get(ghid: Ghid): Promise<Buffer> {
    const frame = this.frames.get(ghid.text);
    const key = frame !== undefined ? this.entries.ghidAt(frame) : ghid.text;
    const raw = this.entries.has(key) ? await this.store.read(key) : null;
    if (!raw) throw new DoesNotExist(`${ghid.short} is not stored here`);
    return raw;
  }

  exists(ghid: Ghid): boolean {
    return this.frames.has(ghid.text) || this.entries.has(ghid.text);
  }

  bindingsOf(ghid: Ghid): Ghid[] {
    // A dynamic binding binds by its dynamic GHID, not its current frame's.
    return [...this.binders.values(ghid.text)].map((ref) => Ghid.fromText(this.entries.dynamicAt(ref) ?? this.entries.ghidAt(ref)));
  }

  debindingsOf(ghid: Ghid): Ghid[] {
    return [...this.debinders.values(ghid.text)].map((ref) => Ghid.fromText(this.entries.ghidAt(ref)));
  }

  async requestsFor(recipient: Ghid): Promise<Buffer[]> {
    // GHIDs first: records may be reused once their objects go, while this awaits reads.
    const ghids = [...this.requests.values(recipient.text)].map((ref) => this.entries.ghidAt(ref));
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

  stats(): { objects: number; byType: Record<string, number> } {
    const byType: Record<string, number> = { GIDC: 0, GEOC: 0, GOBS: 0, GOBD: 0, GDXX: 0, GARQ: 0 };
    for (const ref of this.entries.refs()) byType[this.entries.typeAt(ref)]!++;
    return { objects: this.entries.size, byType };
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /** The current frame's entry of a dynamic GHID, if stored. */
  currentFrame(dynamic: Ghid): Entry | undefined {
    const f = this.frames.get(dynamic.text);
    return f === undefined ? undefined : this.entries.at(f);
  }

  entry(ghid: Ghid): Entry | undefined {
    return this.entries.get(ghid.text);
  }

  /** The public identity of a stored GIDC (InvalidIdentity when unknown). */
  async identity(ghid: Ghid): Promise<PublicIdentity> {
    const cached = this.identities.get(ghid.text);
    if (cached) return cached;
    if (this.typeOf(ghid.text) !== 'GIDC') throw new InvalidIdentity(`Identity ${ghid.short} is not known here`);
    const raw = await this.store.read(ghid.text);
    if (!raw) throw new InvalidIdentity(`Identity ${ghid.short} is not known here`);
    const id = PublicIdentity.fromBytes(raw);
    this.identities.set(ghid.text, id);
    return id;
  }

  private typeOf(ghid: string): Entry['type'] | undefined {
    const ref = this.entries.refOf(ghid);
    return ref === undefined ? undefined : this.entries.typeAt(ref);
  }

  // ---- rules (golix §11 steps 5–7), synchronous

  private check(e: Entry): void {
    switch (e.type) {
      case 'GIDC':
        return;
      case 'GEOC':
        if (!this.binders.count(e.ghid)) {
          throw new UnboundContainer(`Container ${short(e.ghid)} is not bound by anything; publish its binding first`);
        }
        return;
      case 'GOBS':
        this.checkBindingTarget(e.target!, null);
        if (this.isDebound(e.ghid, e.signer!)) throw new AlreadyDebound(`Binding ${short(e.ghid)} was debound`);
        return;
      case 'GOBD':
        return this.checkFrame(e);
      case 'GDXX':
        return this.checkDebinding(e);
      case 'GARQ': {
        if (this.typeOf(e.recipient!) !== 'GIDC') throw new InvalidIdentity(`Request recipient ${short(e.recipient!)} is not known here`);
        if (this.isDebound(e.ghid, e.recipient!)) throw new AlreadyDebound(`Request ${short(e.ghid)} was debound`);
        return;
      }
    }
  }

  /** A binding may target a container or a dynamic binding, and no chain of bindings may loop. */
  private checkBindingTarget(target: string, self: string | null): void {
    if (this.frames.has(target)) {
      let cur: string | undefined = target;
      for (let depth = 0; cur !== undefined && this.frames.has(cur); depth++) {
        if (cur === self) throw new InvalidTarget('Binding would close a circular chain of dynamic bindings');
        if (depth >= this.options.maxChainDepth) throw new InvalidTarget(`Chain of dynamic bindings deeper than ${this.options.maxChainDepth}`);
        cur = this.entries.targetAt(this.frames.get(cur)!);
      }
      return;
    }
    const type = this.typeOf(target);
    if (type !== undefined && type !== 'GEOC') {
      throw new InvalidTarget(`A binding may not target a ${type === 'GOBD' ? 'dynamic frame GHID' : type}`);
    }
  }

  private checkFrame(e: Entry): void {
    const dynamic = e.dynamic!;
    if (e.target === dynamic) throw new InvalidTarget('A dynamic binding may not target itself');
    this.checkBindingTarget(e.target!, dynamic);
    const currentRef = this.frames.get(dynamic);
    if (currentRef !== undefined) {
      const current = this.entries.at(currentRef);
      if (!supersedes(e, current)) {
        throw new IllegalDynamicFrame(
          e.version === 15 && current.version === 16
            ? 'A version-15 frame cannot replace a version-16 frame'
            : e.version === 15
              ? 'Frame does not list the stored frame in its history'
              : `Frame counter ${e.counter} is not greater than the stored ${current.counter}`,
        );
      }
      if (current.signer !== e.signer) {
        throw new InconsistentAuthor(`Dynamic binding ${short(dynamic)} belongs to ${short(current.signer!)}`);
      }
    }
    if (this.isDebound(dynamic, e.signer!) && !this.heldByStatic(dynamic)) {
      throw new AlreadyDebound(`Dynamic binding ${short(dynamic)} was debound`);
    }
  }

  private checkDebinding(e: Entry): void {
    const target = e.target!;
    const authority = this.authorityOver(target);
    if (authority === 'illegal') {
      const type = this.typeOf(target);
      throw new InvalidTarget(`A debinding may not target a ${type === 'GOBD' ? 'frame GHID' : type}`);
    }
    if (authority === null) {
      this.options.warn?.(`Debinding ${short(e.ghid)} targets unknown ${short(target)}; accepted provisionally`);
    } else if (authority !== e.signer) {
      throw new InconsistentAuthor(`Only ${short(authority)} may debind ${short(target)}`);
    }
    if (this.isDebound(e.ghid, e.signer!)) throw new AlreadyDebound(`Debinding ${short(e.ghid)} was itself debound`);
  }

  /** Who may debind a target (golix §10): null when unknown, 'illegal' for GIDC/GEOC/frame GHIDs. */
  private authorityOver(target: string): string | null | 'illegal' {
    const frame = this.frames.get(target);
    if (frame !== undefined) return this.entries.partyAt(frame)!;
    const ref = this.entries.refOf(target);
    if (ref === undefined) return null;
    switch (this.entries.typeAt(ref)) {
      case 'GOBS':
      case 'GDXX':
      case 'GARQ':
        // The signer; for a request, its recipient.
        return this.entries.partyAt(ref)!;
      default:
        return 'illegal';
    }
  }

  /**
   * Whether a stored debinding by the rightful authority targets `ghid`. A provisional
   * debinding by anyone else does not block the target (it could otherwise pre-empt objects
   * whose GHIDs are predictable, such as a static binding or a first frame).
   */
  private isDebound(ghid: string, authority: string): boolean {
    for (const d of this.debinders.values(ghid)) {
      if (this.entries.partyAt(d) === authority) return true;
    }
    return false;
  }

  private heldByStatic(dynamic: string): boolean {
    for (const b of this.binders.values(dynamic)) if (this.entries.typeAt(b) === 'GOBS') return true;
    return false;
  }

  /**
   * The quota check, after the rules passed: what storing `e` adds to its signer's usage, net of
   * what it frees at once. A newer frame frees the frame it replaces and, when nothing else binds
   * it, that frame's container (collect()); so an identity at its limit can keep updating.
   */
  private admit(e: Entry, ledger: UsageLedger): void {
    const signer = e.signer;
    if (signer === undefined) return;
    let bytes = e.size;
    let objects = 1;
    if (e.type === 'GDXX') {
      // Debinding something stored of one's own is how a full identity frees space: never refused.
      // (A debinding's GHID depends only on debinder and target, so there is one per target.)
      if (this.authorityOver(e.target!) === signer) return;
    } else if (e.type === 'GOBD') {
      const currentRef = this.frames.get(e.dynamic!);
      if (currentRef !== undefined) {
        const old = this.entries.at(currentRef);
        bytes -= old.size;
        objects--;
        if (old.target !== e.target && this.binders.count(old.target!) === 1) {
          const t = this.entries.get(old.target!);
          if (t?.type === 'GEOC' && t.signer === signer) {
            bytes -= t.size;
            objects--;
          }
        }
      }
    }
    ledger.admit(signer, e.type, bytes, objects);
  }

  // ---- effects

  /** Adds a stored object to the indexes. */
  private index(ref: number): void {
    const type = this.entries.typeAt(ref);
    switch (type) {
      case 'GOBS':
        this.binders.add(this.entries.targetAt(ref)!, ref);
        break;
      case 'GOBD':
        if (this.frames.get(this.entries.dynamicAt(ref)!) === ref) this.binders.add(this.entries.targetAt(ref)!, ref);
        break;
      case 'GDXX':
        this.debinders.add(this.entries.targetAt(ref)!, ref);
        break;
      case 'GARQ':
        this.requests.add(this.entries.partyAt(ref)!, ref);
        break;
    }
  }

  private apply(e: Entry, obj: GolixObject, writes: Promise<void>[], notes: Notification[]): void {
    let replacedTarget: string | undefined;
    if (e.type === 'GOBD') {
      const previous = this.frames.get(e.dynamic!);
      if (previous !== undefined) {
        replacedTarget = this.entries.targetAt(previous)!;
        this.usageLedger?.remove(this.entries.at(previous));
        this.binders.remove(replacedTarget, previous);
        this.unhold(replacedTarget, e.dynamic!);
        this.frames.delete(e.dynamic!);
        writes.push(this.store.delete(this.entries.ghidAt(previous)));
      }
    }
    writes.push(this.store.put(e, obj.raw));
    const ref = this.entries.refOf(e.ghid);
    // A store that refused the put (closed) has not stored it; its rejection reaches the caller.
    if (ref === undefined) return;
    if (e.type === 'GOBD') this.frames.set(e.dynamic!, ref);
    this.usageLedger?.add(e);
    this.index(ref);
    // After the new frame is indexed: a container it still targets stays.
    if (replacedTarget !== undefined) this.collect(replacedTarget, writes);
    switch (e.type) {
      case 'GOBD':
        if (this.exists(Ghid.fromText(e.target!))) notes.push({ subscribed: Ghid.fromText(e.dynamic!), object: obj });
        else this.hold(e.target!, e.dynamic!, obj);
        break;
      case 'GARQ':
        notes.push({ subscribed: Ghid.fromText(e.recipient!), object: obj });
        break;
      case 'GDXX':
        this.enforceDebinding(e, writes, notes, obj);
        break;
    }
    // Frames waiting for this object can now be announced.
    const waiting = this.held.get(e.ghid);
    if (waiting) {
      this.held.delete(e.ghid);
      this.heldCount -= waiting.size;
      for (const [dynamic, frame] of waiting) notes.push({ subscribed: Ghid.fromText(dynamic), object: frame });
    }
  }

  /** Removes what a debinding debinds, and collects what that leaves unbound. */
  private enforceDebinding(d: Entry, writes: Promise<void>[], notes: Notification[], obj?: GolixObject): void {
    const target = d.target!;
    const frame = this.frames.get(target);
    const ref = frame ?? this.entries.refOf(target);
    if (ref === undefined) return;
    // The signer; for a request, its recipient.
    const authority = this.entries.partyAt(ref);
    if (authority !== d.signer) return;
    const type = this.entries.typeAt(ref);
    if (type === 'GOBD') {
      if (obj) notes.push({ subscribed: Ghid.fromText(target), object: obj });
      if (!this.heldByStatic(target)) this.removeFrame(target, writes);
      return;
    }
    if (type === 'GARQ' && obj) notes.push({ subscribed: Ghid.fromText(authority!), object: obj });
    this.remove(ref, writes);
  }

  private removeFrame(dynamic: string, writes: Promise<void>[]): void {
    const frame = this.frames.get(dynamic);
    if (frame === undefined) return;
    const target = this.entries.targetAt(frame)!;
    this.frames.delete(dynamic);
    this.binders.remove(target, frame);
    this.unhold(target, dynamic);
    this.remove(frame, writes);
    this.collect(target, writes);
  }

  /**
   * Removes a stored object and its index entries. Everything is read from its record before
   * the store deletes it: the record number may be reused by the next put.
   */
  private remove(ref: number, writes: Promise<void>[]): void {
    const type = this.entries.typeAt(ref);
    const target = this.entries.targetAt(ref);
    const party = this.entries.partyAt(ref);
    this.usageLedger?.remove(this.entries.at(ref));
    switch (type) {
      case 'GOBS':
        this.binders.remove(target!, ref);
        break;
      case 'GDXX':
        // Debinding a debinding lifts its block: the original may be uploaded again.
        this.debinders.remove(target!, ref);
        break;
      case 'GARQ':
        this.requests.remove(party!, ref);
        break;
    }
    writes.push(this.store.delete(this.entries.ghidAt(ref)));
    if (type === 'GOBS') this.collect(target!, writes);
  }

  /** GC: a container goes when nothing binds it; a debound dynamic binding when nothing holds it. */
  private collect(ghid: string, writes: Promise<void>[]): void {
    if (this.binders.count(ghid)) return;
    const ref = this.entries.refOf(ghid);
    if (ref !== undefined && this.entries.typeAt(ref) === 'GEOC') {
      this.remove(ref, writes);
      return;
    }
    const frame = this.frames.get(ghid);
    if (frame !== undefined && this.isDebound(ghid, this.entries.partyAt(frame)!)) this.removeFrame(ghid, writes);
  }

  private hold(target: string, dynamic: string, frame: GolixObject): void {
    let m = this.held.get(target);
    if (!m) this.held.set(target, (m = new Map()));
    if (!m.has(dynamic)) this.heldCount++;
    m.set(dynamic, frame);
    while (this.heldCount > this.options.maxHeldNotifications) {
      const [oldest, set] = this.held.entries().next().value as [string, Held];
      this.held.delete(oldest);
      this.heldCount -= set.size;
    }
  }

  private unhold(target: string, dynamic: string): void {
    const m = this.held.get(target);
    if (m?.delete(dynamic)) {
      this.heldCount--;
      if (m.size === 0) this.held.delete(target);
    }
  }
}

/** Whether frame `e` may replace stored frame `current` (counter rules, golix §9, §11). */
function supersedes(e: Entry, current: Entry): boolean {
  if (e.version === 16 && current.version === 16) return e.counter! > current.counter!;
  if (e.version === 16) return true;
  if (current.version === 16) return false;
  return e.history!.includes(current.ghid);
}

function short(ghid: string): string {
  return ghid.slice(0, 12) + '…';
}

