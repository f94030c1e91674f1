import { Ghid, Secret, UnknownSecret, type Gobd } from '../golix/index.js';

/** What the account remembers of one dynamic object: enough to ratchet to any later frame. */
export interface DynamicRecord {
  /** The newest container whose secret is known, and that secret. */
  container: Ghid;
  secret: Secret;
  /** The binder every frame must carry (defect 9). */
  binder: Ghid;
  /** The highest counter seen; frames must exceed it. */
  counter: bigint;
  /**
   * While frames of ours written here wait to be sent (offline, or refused for a conflict): the
   * version the first of them was written on, which the remotes' chain goes through. Another
   * computer's frames fork from it, and after a crash or a restart, or more than RECENT_SECRETS
   * writes, its secret is known from here alone. In `setDynamic`: absent keeps the record's,
   * null drops it.
   */
  base?: KnownSecret | null;
  /**
   * The newest version of another fork of the object's chain: another computer's record that
   * lost to this one in a merge of the secrets map (see `carry`). Kept by later writes.
   */
  fork?: KnownSecret;
}

/** A `d:` record as the secrets map holds it (docs/formats.md); `fc`/`fs`: the base, `oc`/`os`: the fork, if kept. */
type StoredRecord = Record<'c' | 's' | 'b' | 'n', string> & Partial<Record<'fc' | 'fs' | 'oc' | 'os', string>>;

/** A container and its secret from two fields of a stored record, if both are there. */
function storedPair(v: Partial<StoredRecord>, c: keyof StoredRecord, s: keyof StoredRecord): KnownSecret | undefined {
  const [container, secret] = [v[c], v[s]];
  return container !== undefined && secret !== undefined ? { container: Ghid.fromText(container), secret: Secret.fromText(secret) } : undefined;
}

/**
 * The map the secrets live in: the account's `secrets` map (account/AccountMap), as much of it
 * as this store uses. Declared here so the object layer does not reach into the account's.
 */
export interface SecretMap {
  get(key: string): unknown;
  set(key: string, value: string | Record<string, string>): void;
  delete(key: string): void;
  entries(prefix: string): Iterable<[string, unknown]>;
  /** Resolves once every change so far survives a crash. */
  secure(): Promise<void>;
  /** Tells `listener` of each value a merge leaves out for a record that outranks it (secretsRank; or the same rank, written later on another computer). */
  onOutranked?(listener: (key: string, value: unknown) => void): void;
}

/**
 * What this computer keeps of its own, apart from the account's maps: the version of each
 * object it last showed (account/KeptHere). Declared here for the same reason as SecretMap.
 */
export interface KeptHereStore {
  get(dyn: Ghid): KnownSecret | null;
  set(dyn: Ghid, known: KnownSecret | null): void;
  /** Resolves once what was set so far is on disk (or could not be, which it tells itself). */
  secure(): Promise<void>;
}

/**
 * Object secrets, kept in the account's `secrets` map (hypergolix-reference §2.6, our format):
 * `d:<dynamic GHID>` → the newest known container, its secret, binder and counter (older secrets
 * follow from the ratchet and are not kept); `s:<container GHID>` → a static object's secret;
 * `q:<target GHID>` → a secret received in a share and not yet used ("quarantine").
 */
export class SecretStore {
  /** Updates per object since the records were last made durable. */
  private readonly unsecured = new Map<string, number>();
  /**
   * The secrets of each object's recent containers, newest last (memory only): two computers of
   * one account writing an object at once fork its chain, and a frame of the other fork names
   * none of our newest containers but one from before the fork, whose secret opens it.
   */
  private readonly recent = new Map<string, KnownSecret[]>();

  /**
   * `here`: where the version each object last showed here is kept, so that a record another
   * computer's replaced in a merge cannot leave this computer unable to read the frame in its
   * own cache (an offline start opens that one).
   */
  constructor(
    private readonly map: SecretMap,
    private readonly here?: KeptHereStore,
  ) {
    map.onOutranked?.((key, value) => this.keepOutranked(key, value));
  }

  /**
   * After a crash, an object reopens from its last durable record by ratcheting along the
   * current frame's vector, which reaches back only `legroom` (default 7) frames. So a durable
   * record must never fall that far behind: callers `secure()` once an object has
   * `maxUnsecured(legroom)` updates since (one fewer than the legroom, leaving room for one in
   * flight). With the account journal that costs a share of one durable write, not a map write.
   */
  static maxUnsecured(legroom: number): number {
    return Math.max(1, legroom - 1);
  }

  unsecuredUpdates(dyn: Ghid): number {
    return this.unsecured.get(dyn.text) ?? 0;
  }

  /**
   * Resolves once every record so far survives a crash (SecretMap.secure), and the versions kept
   * here with them: a crash then leaves neither further behind than the other.
   */
  async secure(): Promise<void> {
    this.unsecured.clear();
    await Promise.all([this.map.secure(), this.here?.secure()]);
  }

  dynamic(dyn: Ghid): DynamicRecord | null {
    const v = this.map.get(`d:${dyn.text}`) as StoredRecord | undefined;
    if (!v) return null;
    const [base, fork] = [storedPair(v, 'fc', 'fs'), storedPair(v, 'oc', 'os')];
    return { container: Ghid.fromText(v.c), secret: Secret.fromText(v.s), binder: Ghid.fromText(v.b), counter: BigInt(v.n), ...(base ? { base } : {}), ...(fork ? { fork } : {}) };
  }

  setDynamic(dyn: Ghid, r: DynamicRecord): void {
    // Every version set here is one this computer shows (written, taken in, or opened), whatever
    // becomes of the record below.
    this.here?.set(dyn, { container: r.container, secret: r.secret });
    const old = this.dynamic(dyn);
    const same = old?.binder.equals(r.binder) ?? false;
    // The version we move from stays known too, not only those set in this process: two of the
    // author's computers can each write on it at once, and a remote keeps first one frame, then
    // the other with the higher counter; a reader that took the first (with a record loaded at
    // its start) reads the second only from the version both were written on.
    if (same) this.keepRecent(dyn, { container: old!.container, secret: old!.secret });
    this.keepRecent(dyn, { container: r.container, secret: r.secret });
    const base = r.base !== undefined ? r.base : same ? old!.base : null;
    const fork = r.fork ?? (same ? old!.fork : undefined);
    // Re-opening a known object must not mark the secrets map (and its journal) as changed.
    if (old && old.counter === r.counter && old.container.equals(r.container) && old.binder.equals(r.binder) && sameContainer(old.base, base)) return;
    // Never back: the map ranks records by counter (secretsRank), so a lower one written
    // here would lose to the higher one at the next merge anyway, and its journal would replay
    // differently. A frame written below another computer's record is refused by the remotes
    // and written again above it; meanwhile its secret is among the recent ones.
    if (old && old.binder.equals(r.binder) && old.counter > r.counter) return;
    this.unsecured.set(dyn.text, (this.unsecured.get(dyn.text) ?? 0) + 1);
    this.write(dyn, { ...r, base, ...(fork ? { fork } : {}) });
  }

  private write(dyn: Ghid, r: DynamicRecord): void {
    const stored: StoredRecord = { c: r.container.text, s: r.secret.text, b: r.binder.text, n: r.counter.toString() };
    if (r.base) Object.assign(stored, { fc: r.base.container.text, fs: r.base.secret.text });
    if (r.fork) Object.assign(stored, { oc: r.fork.container.text, os: r.fork.secret.text });
    this.map.set(`d:${dyn.text}`, stored);
  }

  /**
   * Makes `container` the record's base (DynamicRecord.base): at a stop, the version the first
   * of our frames still waiting was written on, should an update not have kept it already
   * (written while every remote was reachable, and refused since). False when its secret is not
   * known here (more than RECENT_SECRETS writes since).
   */
  rememberBase(dyn: Ghid, container: Ghid): boolean {
    const r = this.dynamic(dyn);
    const known = this.find(dyn, container);
    if (!r || !known) return false;
    if (!r.base?.container.equals(container)) this.write(dyn, { ...r, base: known });
    return true;
  }

  /**
   * Keeps the record's secret among the recent ones: for an object whose frame written here may
   * lose a race at the remotes, before the account's secrets map brings the other computer's
   * record, which ranks higher and replaces this one.
   */
  rememberCurrent(dyn: Ghid): void {
    const r = this.dynamic(dyn);
    if (r?.base) this.keepRecent(dyn, r.base);
    if (r) this.keepRecent(dyn, { container: r.container, secret: r.secret });
  }

  /** Every container of the object whose secret is known here: the record's, its base and fork, the one last shown here, then recent ones. */
  known(dyn: Ghid): KnownSecret[] {
    const record = this.dynamic(dyn);
    const own = record ? [{ container: record.container, secret: record.secret }, ...[record.base, record.fork].filter((k): k is KnownSecret => !!k)] : [];
    const here = this.here?.get(dyn);
    return [...own, ...(here ? [here] : []), ...(this.recent.get(dyn.text) ?? [])];
  }

  /** The secret of one container of the object, if known here. */
  find(dyn: Ghid, container: Ghid): KnownSecret | null {
    return this.known(dyn).find((k) => k.container.equals(container)) ?? null;
  }

  /**
   * A record of an object that lost to one of a higher counter when the secrets map merged
   * another computer's (or ours that lost to theirs) still holds secrets of the object's chain:
   * two computers that each wrote it past the legroom on a fork (one offline) need the other's to
   * read its frame and write on top of it, even when ours ranks higher. Kept among the recent
   * ones, and its newest version carried in the record that won. So is one of the same counter
   * that lost by time to another computer's: each wrote that version on its own fork, and the
   * remotes kept one, maybe the loser's (friend-cut seed 192 of the random schedule: the record
   * that won read a frame the server refused, and the computers behind could read nothing).
   */
  private keepOutranked(key: string, value: unknown): void {
    if (!key.startsWith('d:') || typeof value !== 'object' || value === null) return;
    const v = value as Partial<StoredRecord>;
    try {
      const dyn = Ghid.fromText(key.slice(2));
      const [newest, base, fork] = [storedPair(v, 'c', 's'), storedPair(v, 'fc', 'fs'), storedPair(v, 'oc', 'os')];
      for (const known of [newest, base, fork]) if (known) this.keepRecent(dyn, known);
      if (newest && v.b !== undefined) this.carry(dyn, newest, Ghid.fromText(v.b));
    } catch {
      // A record this store cannot read holds nothing it could use.
    }
  }

  /**
   * Writes `lost` into the object's record as its fork, once the merge that outranked it is
   * done. A computer whose record lost takes the winner and never writes its own again, so this
   * is how the account's other computers learn the secret that reads that fork's frames, which
   * may be the remote's chain. The same counter, so the same rank: the record carrying it wins by
   * time everywhere.
   */
  private carry(dyn: Ghid, lost: KnownSecret, binder: Ghid): void {
    queueMicrotask(() => {
      try {
        const r = this.dynamic(dyn);
        if (!r || !r.binder.equals(binder) || [r.container, r.base?.container, r.fork?.container].some((c) => c?.equals(lost.container))) return;
        this.write(dyn, { ...r, fork: lost });
      } catch {
        // A record this store cannot read (from another version of it) is left as it is.
      }
    });
  }

  private keepRecent(dyn: Ghid, known: KnownSecret): void {
    const list = this.recent.get(dyn.text) ?? [];
    if (list.some((k) => k.container.equals(known.container))) return;
    list.push(known);
    if (list.length > RECENT_SECRETS) list.shift();
    // Re-inserted, so that the objects written least lately go first when there are too many.
    this.recent.delete(dyn.text);
    this.recent.set(dyn.text, list);
    if (this.recent.size > RECENT_OBJECTS) this.recent.delete(this.recent.keys().next().value!);
  }

  static(container: Ghid): Secret | null {
    const v = this.map.get(`s:${container.text}`);
    return typeof v === 'string' ? Secret.fromText(v) : null;
  }

  setStatic(container: Ghid, secret: Secret): void {
    this.map.set(`s:${container.text}`, secret.text);
  }

  quarantined(target: Ghid): { secret: Secret; from: Ghid } | null {
    const v = this.map.get(`q:${target.text}`) as { s: string; f: string } | undefined;
    return v ? { secret: Secret.fromText(v.s), from: Ghid.fromText(v.f) } : null;
  }

  quarantine(target: Ghid, secret: Secret, from: Ghid): void {
    this.map.set(`q:${target.text}`, { s: secret.text, f: from.text });
  }

  release(target: Ghid): void {
    this.map.delete(`q:${target.text}`);
  }

  forget(ghid: Ghid): void {
    this.recent.delete(ghid.text);
    this.here?.set(ghid, null);
    this.map.delete(`d:${ghid.text}`);
    this.map.delete(`s:${ghid.text}`);
    this.map.delete(`q:${ghid.text}`);
  }

  /** Every dynamic object the account can read, for subscriptions after a reconnect. */
  *dynamics(): IterableIterator<Ghid> {
    for (const [k] of this.map.entries('d:')) yield Ghid.fromText(k.slice(2));
  }
}

/**
 * How the account's secrets map ranks two computers' writes of one dynamic object's record
 * (`d:` keys; account/lww-map.ts `Rank`): the higher counter wins, whatever the times, since the
 * remotes keep the frame of the higher counter and only its record reads it. (By time alone, a
 * computer that wrote an object many times offline, and came back after the other had written
 * it a few times, lost its record to the other's: neither could read the frames the remotes
 * kept.) A deletion ranks above every record: a debound object is gone for good. Equal counters
 * and every other key: the later write.
 */
export function secretsRank(key: string, value: unknown): bigint {
  if (!key.startsWith('d:')) return 0n;
  if (value === null) return DELETED_RANK;
  const n = (value as { n?: unknown }).n;
  return typeof n === 'string' && /^\d{1,20}$/.test(n) ? BigInt(n) : -1n;
}

/** Above any frame counter (64 bits). */
const DELETED_RANK = 2n ** 64n;

/** A container GHID with the secret that opens it. */
export interface KnownSecret {
  container: Ghid;
  secret: Secret;
}

function sameContainer(a: KnownSecret | null | undefined, b: KnownSecret | null | undefined): boolean {
  return a && b ? a.container.equals(b.container) : !a && !b;
}

/** Recent secrets kept per object (a fork deeper than this cannot be read across), and objects kept. */
const RECENT_SECRETS = 16;
const RECENT_OBJECTS = 1024;

/**
 * Catches up along a frame's target vector (golix §8.3): from the newest entry whose secret is
 * known, ratchet towards index 0. `known`: containers with their secrets, in any order.
 */
export function healSecret(frame: Gobd, known: KnownSecret | readonly KnownSecret[]): Secret {
  const v = frame.targets;
  const all = Array.isArray(known) ? (known as readonly KnownSecret[]) : [known as KnownSecret];
  let j = -1;
  let from: KnownSecret | undefined;
  for (const k of all) {
    const i = v.findIndex((t) => t.equals(k.container));
    if (i >= 0 && (j < 0 || i < j)) [j, from] = [i, k];
  }
  if (!from) {
    throw new UnknownSecret(`Cannot catch up with ${frame.dynamic.short}: the last readable version is more than ${v.length - 1} versions old; a new share of it from its author opens it again`);
  }
  let s = from.secret;
  for (let i = j - 1; i >= 0; i--) s = s.ratchet(frame.dynamic, v[i + 1]!);
  return s;
}
