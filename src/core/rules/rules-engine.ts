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
 */
export class RulesEngine implements PersistenceEngine {
  private readonly entries = new Map<string, Entry>();
  /** The string keying an identity's GIDC entry, so that entries naming it share that one string. */
  private readonly identityText = (text: string): string => this.entries.get(text)?.ghid ?? text;
  /** dynamic GHID → current frame GHID */
  private readonly frames = new Map<string, string>();
  /** target → GOBS GHIDs and dynamic GHIDs whose current frame targets it */
  private readonly binders = new MultiMap();
  /** target → GDXX GHIDs */
  private readonly debinders = new MultiMap();
  /** recipient → GARQ GHIDs */
  private readonly requests = new MultiMap();
  /** target not yet stored → frames (by dynamic) whose notification waits for it */
  private readonly held = new Map<string, Held>();
  private heldCount = 0;
  /** Resolves when every earlier ingest has been applied: ingests apply in call order. */
  private turn: Promise<void> = Promise.resolve();
  private readonly identities = new Map<string, PublicIdentity>();
  /** Bytes and objects per signer; null when no quota is set. Follows `entries` exactly. */
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
    const pending: Promise<void>[] = [];
    for (const e of entries) {
      if (e.type === 'GOBD') {
        const current = engine.frames.get(e.dynamic!);
        const other = current ? engine.entries.get(current)! : undefined;
        if (other && !supersedes(e, other)) {
          pending.push(store.delete(e.ghid));
          continue;
        }
        if (other) {
          engine.entries.delete(other.ghid);
          pending.push(store.delete(other.ghid));
        }
        engine.frames.set(e.dynamic!, e.ghid);
      }
      engine.entries.set(e.ghid, e);
    }
    for (const e of engine.entries.values()) engine.index(e);
    // Finish debindings and collections that a crash interrupted.
    for (const e of [...engine.entries.values()]) {
      if (e.type === 'GDXX' && engine.entries.has(e.ghid)) engine.enforceDebinding(e, pending, []);
    }
    for (const e of [...engine.entries.values()]) engine.collect(e.ghid, pending);
    await Promise.all(pending);
    if (pending.length > 0) warnings.push(`object store: completed ${pending.length} interrupted deletions`);
    // Quota usage comes from the entries' sizes and signers: no object is read or parsed.
    const quota = options.quota;
    if (quota && (quota.bytesPerIdentity != null || quota.objectsPerIdentity != null)) {
      const ledger = new UsageLedger(quota);
      for (const e of engine.entries.values()) ledger.add(e);
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
        const e = entryOf(p.obj, this.identityText);
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
    const key = this.frames.get(ghid.text) ?? ghid.text;
    const raw = this.entries.has(key) ? await this.store.read(key) : null;
    if (!raw) throw new DoesNotExist(`${ghid.short} is not stored here`);
    return raw;
  }

  exists(ghid: Ghid): boolean {
    return this.frames.has(ghid.text) || this.entries.has(ghid.text);
  }

  bindingsOf(ghid: Ghid): Ghid[] {
    return [...this.binders.values(ghid.text)].map((t) => Ghid.fromText(t));
  }

  debindingsOf(ghid: Ghid): Ghid[] {
    return [...this.debinders.values(ghid.text)].map((t) => Ghid.fromText(t));
  }

  async requestsFor(recipient: Ghid): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (const g of this.requests.values(recipient.text)) {
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
    for (const e of this.entries.values()) byType[e.type]!++;
    return { objects: this.entries.size, byType };
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /** The current frame's entry of a dynamic GHID, if stored. */
  currentFrame(dynamic: Ghid): Entry | undefined {
    const f = this.frames.get(dynamic.text);
    return f ? this.entries.get(f) : undefined;
  }

  entry(ghid: Ghid): Entry | undefined {
    return this.entries.get(ghid.text);
  }

  /** The public identity of a stored GIDC (InvalidIdentity when unknown). */
  async identity(ghid: Ghid): Promise<PublicIdentity> {
    const cached = this.identities.get(ghid.text);
    if (cached) return cached;
    const e = this.entries.get(ghid.text);
    if (!e || e.type !== 'GIDC') throw new InvalidIdentity(`Identity ${ghid.short} is not known here`);
    const raw = await this.store.read(ghid.text);
    if (!raw) throw new InvalidIdentity(`Identity ${ghid.short} is not known here`);
    const id = PublicIdentity.fromBytes(raw);
    this.identities.set(ghid.text, id);
    return id;
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
        const r = this.entries.get(e.recipient!);
        if (!r || r.type !== 'GIDC') throw new InvalidIdentity(`Request recipient ${short(e.recipient!)} is not known here`);
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
        cur = this.entries.get(this.frames.get(cur)!)?.target;
      }
      return;
    }
    const t = this.entries.get(target);
    if (t && t.type !== 'GEOC') {
      throw new InvalidTarget(`A binding may not target a ${t.type === 'GOBD' ? 'dynamic frame GHID' : t.type}`);
    }
  }

  private checkFrame(e: Entry): void {
    const dynamic = e.dynamic!;
    if (e.target === dynamic) throw new InvalidTarget('A dynamic binding may not target itself');
    this.checkBindingTarget(e.target!, dynamic);
    const currentKey = this.frames.get(dynamic);
    const current = currentKey ? this.entries.get(currentKey) : undefined;
    if (current) {
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
      throw new InvalidTarget(`A debinding may not target a ${this.entries.get(target)!.type === 'GOBD' ? 'frame GHID' : this.entries.get(target)!.type}`);
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
    if (frame) return this.entries.get(frame)!.signer!;
    const t = this.entries.get(target);
    if (!t) return null;
    switch (t.type) {
      case 'GOBS':
      case 'GDXX':
        return t.signer!;
      case 'GARQ':
        return t.recipient!;
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
      if (this.entries.get(d)?.signer === authority) return true;
    }
    return false;
  }

  private heldByStatic(dynamic: string): boolean {
    for (const b of this.binders.values(dynamic)) if (this.entries.get(b)?.type === 'GOBS') return true;
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
      const currentKey = this.frames.get(e.dynamic!);
      if (currentKey) {
        const old = this.entries.get(currentKey)!;
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

  private index(e: Entry): void {
    switch (e.type) {
      case 'GOBS':
        this.binders.add(e.target!, e.ghid);
        break;
      case 'GOBD':
        if (this.frames.get(e.dynamic!) === e.ghid) this.binders.add(e.target!, e.dynamic!);
        break;
      case 'GDXX':
        this.debinders.add(e.target!, e.ghid);
        break;
      case 'GARQ':
        this.requests.add(e.recipient!, e.ghid);
        break;
    }
  }

  private apply(e: Entry, obj: GolixObject, writes: Promise<void>[], notes: Notification[]): void {
    if (e.type === 'GOBD') {
      const previous = this.frames.get(e.dynamic!);
      if (previous) {
        const old = this.entries.get(previous)!;
        this.entries.delete(previous);
        this.usageLedger?.remove(old);
        this.binders.remove(old.target!, e.dynamic!);
        this.unhold(old.target!, e.dynamic!);
        writes.push(this.store.delete(previous));
        this.collect(old.target!, writes);
      }
      this.frames.set(e.dynamic!, e.ghid);
    }
    this.entries.set(e.ghid, e);
    this.usageLedger?.add(e);
    writes.push(this.store.put(e, obj.raw));
    this.index(e);
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
    const t = frame ? this.entries.get(frame) : this.entries.get(target);
    if (!t) return;
    const authority = t.type === 'GARQ' ? t.recipient : t.signer;
    if (authority !== d.signer) return;
    if (t.type === 'GOBD') {
      if (obj) notes.push({ subscribed: Ghid.fromText(target), object: obj });
      if (!this.heldByStatic(target)) this.removeFrame(target, writes);
      return;
    }
    if (t.type === 'GARQ' && obj) notes.push({ subscribed: Ghid.fromText(t.recipient!), object: obj });
    this.remove(t, writes);
  }

  private removeFrame(dynamic: string, writes: Promise<void>[]): void {
    const frame = this.frames.get(dynamic);
    if (!frame) return;
    const f = this.entries.get(frame)!;
    this.frames.delete(dynamic);
    this.remove(f, writes);
    this.binders.remove(f.target!, dynamic);
    this.unhold(f.target!, dynamic);
    this.collect(f.target!, writes);
  }

  private remove(e: Entry, writes: Promise<void>[]): void {
    this.entries.delete(e.ghid);
    this.usageLedger?.remove(e);
    writes.push(this.store.delete(e.ghid));
    switch (e.type) {
      case 'GOBS':
        this.binders.remove(e.target!, e.ghid);
        this.collect(e.target!, writes);
        break;
      case 'GDXX':
        // Debinding a debinding lifts its block: the original may be uploaded again.
        this.debinders.remove(e.target!, e.ghid);
        break;
      case 'GARQ':
        this.requests.remove(e.recipient!, e.ghid);
        break;
    }
  }

  /** GC: a container goes when nothing binds it; a debound dynamic binding when nothing holds it. */
  private collect(ghid: string, writes: Promise<void>[]): void {
    if (this.binders.count(ghid)) return;
    const e = this.entries.get(ghid);
    if (e?.type === 'GEOC') {
      this.remove(e, writes);
      return;
    }
    const frame = this.frames.get(ghid);
    if (frame && this.isDebound(ghid, this.entries.get(frame)!.signer!)) this.removeFrame(ghid, writes);
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

