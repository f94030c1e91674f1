import { EventEmitter } from 'node:events';
import {
  DEFAULT_LEGROOM,
  DispatchError,
  Ghid,
  IllegalDynamicFrame,
  InconsistentAuthor,
  Secret,
  UnknownSecret,
  ValueError,
  frameOf,
  makeContainer,
  makeDebinding,
  makeStatic,
  HypergolixError,
  StorageFull,
  makeUpdate,
  prepareUpdate,
  signUpdate,
  type Frame,
  type Geoc,
  type Gobd,
  type GolixObject,
  type PreparedUpdate,
  type PrivateIdentity,
} from '../golix/index.js';
import { ContainerMissing } from './errors.js';
import { decodeAppObject, encodeAppObject, type ApiId } from './hgxd.js';
import type { ObjectIO } from './object-io.js';
import { SecretStore, healSecret, type DynamicRecord } from './secrets.js';
import { encodeUnsignedUpdate } from './unsigned-update.js';
import { KeyedLock } from '../util/keyed-lock.js';
import { WriteBehind, type UnsignedLog } from './write-behind.js';

/** An app object as the daemon sees it. */
export interface AppObject {
  ghid: Ghid;
  dynamic: boolean;
  apiId: ApiId;
  state: Buffer;
  /** Binder (dynamic) or author (static). */
  author: Ghid;
  /** Current frame counter (dynamic), else 0n. */
  counter: bigint;
  /** The container currently shown. */
  container: Ghid;
}

export interface ObjectManagerEvents {
  /** A newer version arrived from elsewhere and was decrypted. */
  update: [AppObject];
  /** The object was deleted (debound) upstream. */
  delete: [Ghid];
  /** An object left the bounded cache; the daemon may unsubscribe it. */
  evict: [Ghid];
}

export interface ObjectManagerOptions {
  /** Live objects kept decrypted in memory (defect 25). */
  maxLive?: number;
  /** Where updates go between their acknowledgement and their publication (write-behind.ts); without it, updates are acknowledged once published. */
  unsignedLog?: UnsignedLog;
  warn?: (message: string) => void;
}

/**
 * Creates, updates, opens and removes app objects: the `hgxd` plaintext in containers bound
 * statically (GOBS) or dynamically (GOBD frames keyed by the ratchet).
 */
export class ObjectManager extends EventEmitter<ObjectManagerEvents> {
  private readonly live = new Map<string, AppObject>();
  private readonly frames = new Map<string, Gobd>();
  private readonly maxLive: number;
  private readonly pinned = new Set<string>();
  /** Serializes work per object so two updates never race for the same counter. */
  private readonly locks = new KeyedLock();
  private readonly writeBehind?: WriteBehind;
  /** Where each object's binding stands with its acknowledged updates, while some are unpublished. */
  private readonly pendingFrame = new Map<string, Frame>();
  /** Each object's secret record as of its last published update, to go back to (dropQueued). */
  private readonly lastPublished = new Map<string, DynamicRecord>();
  private readonly warn: (message: string) => void;

  constructor(
    private readonly io: ObjectIO,
    private readonly identity: PrivateIdentity,
    readonly secrets: SecretStore,
    options: ObjectManagerOptions = {},
  ) {
    super();
    this.maxLive = options.maxLive ?? 1000;
    this.warn = options.warn ?? (() => {});
    if (options.unsignedLog) this.writeBehind = new WriteBehind(options.unsignedLog, this.warn);
  }

  /**
   * Resolves once every acknowledged update of the object is stored and queued for the remotes
   * (what shares, freezes and deletions build on); throws what keeps that from happening.
   */
  async whenPublished(ghid: Ghid): Promise<void> {
    await this.writeBehind?.settled(ghid);
  }

  /** Stops retrying publications; what is unpublished stays in the log for the next start. */
  close(): Promise<void> {
    return this.writeBehind?.close() ?? Promise.resolve();
  }

  private withLock<T>(ghid: Ghid, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(ghid.text, fn);
  }

  private remember(obj: AppObject, frame?: Gobd): AppObject {
    this.live.delete(obj.ghid.text);
    this.live.set(obj.ghid.text, obj);
    if (frame) this.frames.set(obj.ghid.text, frame);
    this.trim();
    return obj;
  }

  /** Evicts the least recently used objects that nothing pinned, down to maxLive. */
  private trim(): void {
    if (this.live.size <= this.maxLive) return;
    for (const key of this.live.keys()) {
      if (this.live.size <= this.maxLive) break;
      if (this.pinned.has(key) || this.pendingFrame.has(key)) continue;
      this.live.delete(key);
      this.frames.delete(key);
      this.emit('evict', Ghid.fromText(key));
    }
  }

  /**
   * Keeps an object live (never evicted, so it stays subscribed and its updates are emitted)
   * while something tracks it, e.g. an app over IPC. The tracker bounds how many it pins.
   */
  pin(ghid: Ghid): void {
    this.pinned.add(ghid.text);
  }

  unpin(ghid: Ghid): void {
    if (this.pinned.delete(ghid.text)) this.trim();
  }

  /** Whether the object is decrypted in memory now. */
  isLive(ghid: Ghid): boolean {
    return this.live.has(ghid.text);
  }

  async create(apiId: ApiId, state: Buffer, opts: { dynamic?: boolean; legroom?: number } = {}): Promise<AppObject> {
    const plaintext = encodeAppObject(apiId, state);
    const secret = Secret.random();
    if (opts.dynamic ?? true) {
      const { frame, container } = await makeUpdate(this.identity, secret, plaintext, undefined, legroomOf(opts.legroom));
      await this.io.publish(frame, container);
      this.secrets.setDynamic(frame.dynamic, { container: container.ghid, secret, binder: this.identity.ghid, counter: 0n });
      // Acknowledging a creation whose secret a crash could still lose would lose the object.
      await this.secrets.secure();
      return this.remember({ ghid: frame.dynamic, dynamic: true, apiId, state, author: this.identity.ghid, counter: 0n, container: container.ghid }, frame);
    }
    const container = await makeContainer(this.identity, secret, plaintext);
    const binding = await makeStatic(this.identity, container.ghid);
    await this.io.publish(binding, container);
    this.secrets.setStatic(container.ghid, secret);
    await this.secrets.secure();
    return this.remember({ ghid: container.ghid, dynamic: false, apiId, state, author: this.identity.ghid, counter: 0n, container: container.ghid });
  }

  /**
   * Pushes a new state of one of our own dynamic objects. With a write-behind log it is
   * acknowledged once packed and logged, and published behind (write-behind.ts); else once
   * signed, stored and queued.
   */
  async update(ghid: Ghid, state: Buffer, opts: { legroom?: number } = {}): Promise<AppObject> {
    const legroom = legroomOf(opts.legroom);
    const behind = this.writeBehind;
    if (!behind) return this.withLock(ghid, () => this.updateNow(ghid, state, legroom));
    await behind.room(ghid);
    return this.withLock(ghid, () => this.updateBehind(behind, ghid, state, legroom));
  }

  /** The object as an update of it starts: ours, dynamic, and its secret record durable enough. */
  private async ownDynamic(ghid: Ghid, legroom: number): Promise<AppObject> {
    const current = await this.open(ghid);
    if (!current.dynamic) throw new ValueError('A static object cannot be updated');
    if (!current.author.equals(this.identity.ghid)) throw new InconsistentAuthor('Only the object\'s creator can update it');
    if (this.secrets.unsecuredUpdates(ghid) >= SecretStore.maxUnsecured(legroom)) await this.secrets.secure();
    return current;
  }

  private async updateNow(ghid: Ghid, state: Buffer, legroom: number): Promise<AppObject> {
    const current = await this.ownDynamic(ghid, legroom);
    for (let attempt = 0; ; attempt++) {
      const frame = this.frames.get(ghid.text)!;
      const record = this.secrets.dynamic(ghid)!;
      const secret = record.secret.ratchet(ghid, record.container);
      const next = await makeUpdate(this.identity, secret, encodeAppObject(current.apiId, state), frameOf(frame), legroom);
      try {
        await this.io.publish(next.frame, next.container);
      } catch (err) {
        // Another device of this account wrote a newer frame: catch up and write after it (defect 19).
        if (err instanceof IllegalDynamicFrame && attempt < 3) {
          await this.refresh(ghid);
          continue;
        }
        throw err;
      }
      this.secrets.setDynamic(ghid, { container: next.container.ghid, secret, binder: this.identity.ghid, counter: next.frame.counter! });
      return this.remember({ ...current, state, counter: next.frame.counter!, container: next.container.ghid }, next.frame);
    }
  }

  private async updateBehind(behind: WriteBehind, ghid: Ghid, state: Buffer, legroom: number): Promise<AppObject> {
    const current = await this.ownDynamic(ghid, legroom);
    const key = ghid.text;
    const record = this.secrets.dynamic(ghid)!;
    const secret = record.secret.ratchet(ghid, record.container);
    const prepared = prepareUpdate(this.identity, secret, encodeAppObject(current.apiId, state), this.pendingFrame.get(key) ?? frameOf(this.frames.get(key)!), legroom);
    await behind.log.add([encodeUnsignedUpdate(ghid, prepared)]);
    if (behind.unpublished(ghid) === 0) this.lastPublished.set(key, record);
    const next: DynamicRecord = { container: prepared.container, secret, binder: this.identity.ghid, counter: prepared.frame.counter };
    this.pendingFrame.set(key, prepared.frame);
    this.secrets.setDynamic(ghid, next);
    behind.enqueue(ghid, prepared.container.text, () => this.publishBehind(behind, ghid, prepared, next, legroom));
    return this.remember({ ...current, state, counter: next.counter, container: next.container });
  }

  /** One acknowledged update, signed, stored and queued. */
  private async publishBehind(behind: WriteBehind, ghid: Ghid, prepared: PreparedUpdate, record: DynamicRecord, legroom: number): Promise<void> {
    // The signatures start once the acknowledgement is on its way (next turn of the event
    // loop). Started before, they take both CPUs as it is sent, and the app, woken to read it,
    // waited about one signature's time for a CPU on this project's VMs (BENCHMARKS.md).
    await new Promise((resolve) => setImmediate(resolve));
    const signed = await signUpdate(this.identity, prepared.unsignedContainer, prepared.unsignedFrame);
    try {
      await this.io.publish(signed.frame, signed.container);
    } catch (err) {
      if (err instanceof IllegalDynamicFrame) return this.rebase(behind, ghid, legroom);
      // Refused for what it is (not for want of room): retrying would only jam the object.
      if (err instanceof HypergolixError && !(err instanceof StorageFull)) return this.abandon(behind, ghid, err);
      throw err;
    }
    this.frames.set(ghid.text, signed.frame);
    this.lastPublished.set(ghid.text, record);
    if (this.pendingFrame.get(ghid.text)?.counter === record.counter) this.pendingFrame.delete(ghid.text);
  }

  /**
   * Another device of this account wrote the object's next frame first (defect 19): the queued
   * frames build on a replaced one. They are dropped, and the newest state acknowledged here is
   * written on top of the other device's, as an update made now would be.
   */
  private rebase(behind: WriteBehind, ghid: Ghid, legroom: number): Promise<void> {
    return this.withLock(ghid, async () => {
      const ours = this.live.get(ghid.text);
      this.dropQueued(behind, ghid);
      if (ours) await this.updateNow(ghid, ours.state, legroom);
    });
  }

  private abandon(behind: WriteBehind, ghid: Ghid, err: Error): void {
    this.dropQueued(behind, ghid);
    // Opened again, it shows what the store holds.
    this.discard(ghid);
    this.warn(`updates of ${ghid.short} were acknowledged but refused by the local store, and are dropped: ${err.message}`);
  }

  /** The queued updates are void: the object's record and frame go back to its last published. */
  private dropQueued(behind: WriteBehind, ghid: Ghid): void {
    behind.supersede(ghid);
    this.pendingFrame.delete(ghid.text);
    const published = this.lastPublished.get(ghid.text);
    if (published) this.secrets.setDynamic(ghid, published);
  }

  /** Opens an object: from memory, else fetched, checked and decrypted. */
  async open(ghid: Ghid): Promise<AppObject> {
    const cached = this.live.get(ghid.text);
    if (cached) return this.remember(cached);
    // Its record may be ahead of what is stored until its acknowledged updates are.
    await this.writeBehind?.settled(ghid);
    const obj = await this.io.fetch(ghid);
    if (!obj) throw new UnknownSecret(`Object ${ghid.short} was not found locally or on any remote`);
    if (obj.type === 'GOBD') return this.applyFrame(obj, true);
    if (obj.type === 'GEOC') return this.openStatic(obj);
    throw new DispatchError(`${ghid.short} is a ${obj.type}, not an object`);
  }

  private async openStatic(container: Geoc): Promise<AppObject> {
    const quarantined = this.secrets.quarantined(container.ghid);
    const secret = this.secrets.static(container.ghid) ?? quarantined?.secret;
    if (!secret) throw new UnknownSecret(`No secret is known for ${container.ghid.short}`);
    const { apiId, state } = decodeAppObject(secret.apply(container.payload));
    if (quarantined) {
      this.secrets.setStatic(container.ghid, secret);
      this.secrets.release(container.ghid);
    }
    return this.remember({ ghid: container.ghid, dynamic: false, apiId, state, author: container.author, counter: 0n, container: container.ghid });
  }

  /**
   * Applies a frame of a dynamic object: checks binder and counter before decrypting anything
   * (defect 9), catches the secret up along the vector, decrypts and parses the `hgxd` header.
   * Returns the (possibly unchanged) object.
   */
  async applyFrame(frame: Gobd, opening = false): Promise<AppObject> {
    const ghid = frame.dynamic;
    const record = this.secrets.dynamic(ghid);
    const share = record ? null : this.secrets.quarantined(ghid);
    const binder = record?.binder ?? share?.from;
    if (!binder) throw new UnknownSecret(`No secret is known for ${ghid.short}`);
    if (!frame.binder.equals(binder)) {
      throw new InconsistentAuthor(`Frame of ${ghid.short} is bound by ${frame.binder.short}, expected ${binder.short}`);
    }
    const counter = frame.counter ?? 0n;
    const live = this.live.get(ghid.text);
    if (record && counter <= record.counter) {
      if (counter === record.counter && live) return this.remember(live);
      if (!opening || counter < record.counter) {
        if (live) return live;
        throw new IllegalDynamicFrame(`Frame ${counter} of ${ghid.short} is not newer than ${record.counter}`);
      }
    }
    // A share's secret opens whichever container was current when it was sent, which may be
    // any entry of the vector by now: try each, and keep the one that yields an app object.
    const candidates = record
      ? [healSecret(frame, record)]
      : frame.targets.map((container) => healSecret(frame, { container, secret: share!.secret }));
    if (record) {
      // The vector is authenticated (binder and signature checked), so the ratchet can move on
      // even if this frame's container is already gone (replaced while it was in flight):
      // remember the newest secret now, or a burst of updates would leave us behind for good.
      this.secrets.setDynamic(ghid, { container: frame.targets[0]!, secret: candidates[0]!, binder, counter });
    }
    const container = await this.io.fetch(frame.targets[0]!);
    if (!container || container.type !== 'GEOC') throw new ContainerMissing(frame.targets[0]!, ghid);
    let opened: { secret: Secret; apiId: ApiId; state: Buffer } | null = null;
    for (const secret of candidates) {
      try {
        opened = { secret, ...decodeAppObject(secret.apply(container.payload)) };
        break;
      } catch {
        // not this one
      }
    }
    if (!opened) throw new UnknownSecret(`The known secret does not open ${ghid.short}`);
    const { secret, apiId, state } = opened;
    this.secrets.setDynamic(ghid, { container: container.ghid, secret, binder, counter });
    if (share) this.secrets.release(ghid);
    const obj = this.remember({ ghid, dynamic: true, apiId, state, author: binder, counter, container: container.ghid }, frame);
    if (live && !opening) this.emit('update', obj);
    return obj;
  }

  /** A frame that arrived from a remote subscription. Ignores what we cannot or need not read. */
  async receive(obj: GolixObject, subscribed: Ghid): Promise<void> {
    if (obj.type === 'GOBD' && obj.dynamic.equals(subscribed)) {
      await this.withLock(subscribed, () => this.applyFrame(obj));
    } else if (obj.type === 'GDXX' && obj.target.equals(subscribed)) {
      this.forget(subscribed);
      this.emit('delete', subscribed);
    }
  }

  /** Fetches the newest frame and applies it (sync, or catch-up after a reconnect, defect 22). */
  async refresh(ghid: Ghid): Promise<AppObject | null> {
    const frame = await this.io.fetch(ghid);
    if (!frame) return null;
    if (frame.type !== 'GOBD') return this.open(ghid);
    return this.applyFrame(frame, true);
  }

  /** Binds the current container statically and returns it as a new static object. */
  async freeze(ghid: Ghid): Promise<AppObject> {
    await this.whenPublished(ghid);
    const current = await this.open(ghid);
    if (!current.dynamic) throw new ValueError('Only a dynamic object can be frozen');
    const binding = await makeStatic(this.identity, current.container);
    await this.io.publish(binding);
    const record = this.secrets.dynamic(ghid)!;
    this.secrets.setStatic(current.container, record.secret);
    return this.remember({ ...current, ghid: current.container, dynamic: false, counter: 0n });
  }

  /** Keeps the object alive with a static binding of its GHID. */
  async hold(ghid: Ghid): Promise<void> {
    await this.whenPublished(ghid);
    await this.open(ghid);
    await this.io.publish(await makeStatic(this.identity, ghid));
  }

  /** Deletes: a GDXX on the dynamic GHID, or on each of our own static bindings of a container. */
  async delete(ghid: Ghid, ownBindings: Ghid[] = []): Promise<void> {
    // The debinding follows every frame acknowledged before it.
    await this.whenPublished(ghid);
    const current = await this.open(ghid);
    if (!current.author.equals(this.identity.ghid) && ownBindings.length === 0) {
      throw new InconsistentAuthor('Only objects you created (or bound) can be deleted');
    }
    const targets = current.dynamic ? [ghid] : ownBindings;
    for (const t of targets) await this.io.publish(await makeDebinding(this.identity, t));
    this.forget(ghid);
  }

  /** Stops tracking an object in memory (it stays stored and readable). */
  discard(ghid: Ghid): void {
    this.live.delete(ghid.text);
    this.frames.delete(ghid.text);
  }

  private forget(ghid: Ghid): void {
    this.discard(ghid);
    this.secrets.forget(ghid);
  }
}

function legroomOf(n: number | undefined): number {
  if (n === undefined || n === 0) return DEFAULT_LEGROOM;
  if (!Number.isInteger(n) || n < 1 || n > 255) throw new ValueError('legroom must be 1..255 (0 = default 7)');
  return n;
}
