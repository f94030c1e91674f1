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
  makeUpdate,
  type Geoc,
  type Gobd,
  type GolixObject,
  type PrivateIdentity,
} from '../golix/index.js';
import { retryWhileContainerMissing } from './container-wait.js';
import { ObjectNotFound, noSecretReads } from './errors.js';
import { containerOf, containerOrNewer } from './frame-container.js';
import type { AppObject } from './app-object.js';
import { decodeAppObject, encodeAppObject, type ApiId } from './hgxd.js';
import { openWithAny, readableWith, secretsToTry } from './frame-secrets.js';
import { LiveObjects } from './live-objects.js';
import type { ObjectIO } from './object-io.js';
import { SecretStore, healSecret, type KnownSecret } from './secrets.js';

export type { AppObject } from './app-object.js';

/**
 * What `resolveConflict` found: our frame on top of the remote's newest (written now, or there
 * already) with its counter, or why there is none. `oursUnread`: nothing of ours here could be
 * read, so the remote's state was written on top (the caller says so: what this computer wrote
 * is lost).
 */
export type ConflictResolution = { top: Ghid; counter: bigint; oursUnread?: true } | 'not-ours' | 'no-remote-frame';

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
}

/**
 * Creates, updates, opens and removes app objects: the `hgxd` plaintext in containers bound
 * statically (GOBS) or dynamically (GOBD frames keyed by the ratchet).
 */
export class ObjectManager extends EventEmitter<ObjectManagerEvents> {
  private readonly live: LiveObjects;
  /** Serializes work per object so two updates never race for the same counter. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly io: ObjectIO,
    private readonly identity: PrivateIdentity,
    readonly secrets: SecretStore,
    options: ObjectManagerOptions = {},
  ) {
    super();
    // An object whose frames wait for a remote stays: what it shows is what this computer wrote,
    // which the conflict writes on top. (Read again, it is the same: a racing frame is neither
    // shown, applyFrame, nor stored, Inbound's racesOurs. This keeps it so without a read.)
    this.live = new LiveObjects(options.maxLive ?? 1000, (ghid) => this.emit('evict', ghid), (ghid) => this.io.waiting?.(ghid) ?? false);
  }

  private withLock<T>(ghid: Ghid, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(ghid.text) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => {});
    this.locks.set(ghid.text, settled);
    void settled.then(() => this.locks.get(ghid.text) === settled && this.locks.delete(ghid.text));
    return next;
  }

  private remember(obj: AppObject, frame?: Gobd): AppObject {
    return this.live.remember(obj, frame);
  }

  /**
   * Keeps an object live (never evicted, so it stays subscribed and its updates are emitted)
   * while something tracks it, e.g. an app over IPC. The tracker bounds how many it pins.
   */
  pin(ghid: Ghid): void {
    this.live.pin(ghid);
  }

  unpin(ghid: Ghid): void {
    this.live.unpin(ghid);
  }

  /** Whether the object is decrypted in memory now. */
  isLive(ghid: Ghid): boolean {
    return this.live.has(ghid);
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
   * Pushes a new state of one of our own dynamic objects. `overUnreadable`: when the newest frame
   * here is another computer's that no secret here reads (it wrote past the legroom while this
   * one was away, and its record is in the account's secrets map, out of reach offline), the
   * state is written on the version shown here with a counter above that frame, rather than
   * refused. Each remote settles that frame as a conflict before it is sent (ObjectIO.settleFirst):
   * once the record reads the other frame, our state goes on top of it.
   */
  update(ghid: Ghid, state: Buffer, opts: { legroom?: number; overUnreadable?: boolean } = {}): Promise<AppObject> {
    return this.withLock(ghid, async () => {
      const current = await this.open(ghid);
      if (!current.dynamic) throw new ValueError('A static object cannot be updated');
      if (!current.author.equals(this.identity.ghid)) throw new InconsistentAuthor('Only the object\'s creator can update it');
      const legroom = legroomOf(opts.legroom);
      if (this.secrets.unsecuredUpdates(ghid) >= SecretStore.maxUnsecured(legroom)) await this.secrets.secure();
      let above = 0n;
      for (let attempt = 0; ; attempt++) {
        const frame = this.live.frame(ghid)!;
        // Another computer's record came through the account's secrets map ahead of every frame
        // here (its frame not here yet). Written below it, our frame's secret would be known only
        // in memory (the record never goes back): after a restart nothing here would read what
        // this computer wrote, and the conflict would write the other's state on top. So it goes
        // above, and is settled as a conflict before it is sent, as over an unreadable frame.
        const record = this.secrets.dynamic(ghid);
        if (record && record.counter > (frame.counter ?? 0n) && record.counter > above) above = record.counter;
        // From the frame written on, not the record: another computer of the account may have
        // moved the record past it, and a secret that does not follow the frame's vector would
        // make a version nobody can read.
        const writtenOn = { container: frame.targets[0]!, secret: healSecret(frame, this.secrets.known(ghid)) };
        const secret = writtenOn.secret.ratchet(ghid, writtenOn.container);
        // Asked before this frame joins the ones waiting.
        const base = this.baseFor(ghid, writtenOn);
        const previous = frameOf(frame);
        const next = await makeUpdate(this.identity, secret, encodeAppObject(current.apiId, state), { ...previous, counter: previous.counter > above ? previous.counter : above }, legroom);
        try {
          if (above > 0n) this.io.settleFirst?.(next.frame.ghid);
          await this.io.publish(next.frame, next.container);
        } catch (err) {
          // Another device of this account wrote a newer frame: catch up and write after it (defect 19).
          // Its frame can be here a moment before its container.
          if (err instanceof IllegalDynamicFrame && attempt < MAX_CATCH_UPS) {
            const unread = await retryWhileContainerMissing(() => this.refresh(ghid), CATCH_UP_CONTAINER_WAIT).then(
              // Still on the same frame: the newer one is not readable here yet (its record came
              // first, and its frame is held back by that computer's own conflict). The caller may
              // wait for it (Daemon.update) rather than fail at once after MAX_CATCH_UPS tries.
              () => (this.live.frame(ghid) === frame ? new UnknownSecret(`The newest version of ${ghid.short} is not readable here yet`) : null),
              (e: unknown) => (e instanceof UnknownSecret ? e : Promise.reject(e)),
            );
            if (unread && !opts.overUnreadable) throw unread;
            above = unread ? await this.storedCounter(ghid) : 0n;
            continue;
          }
          throw err;
        }
        this.secrets.setDynamic(ghid, { container: next.container.ghid, secret, binder: this.identity.ghid, counter: next.frame.counter!, ...(base !== undefined ? { base } : {}) });
        return this.remember({ ...current, state, counter: next.frame.counter!, container: next.container.ghid }, next.frame);
      }
    });
  }

  /** The counter of the object's frame stored here (0 for none). */
  private async storedCounter(ghid: Ghid): Promise<bigint> {
    const stored = await this.io.fetch(ghid);
    return stored?.type === 'GOBD' ? (stored.counter ?? 0n) : 0n;
  }

  /** The base the record keeps for a frame written on `writtenOn` (ObjectIO.chainBase); undefined keeps the record's. */
  private baseFor(ghid: Ghid, writtenOn: KnownSecret): KnownSecret | null | undefined {
    const wanted = this.io.chainBase?.(ghid, writtenOn.container);
    if (wanted === undefined || wanted === null) return wanted;
    return wanted.equals(writtenOn.container) ? writtenOn : (this.secrets.find(ghid, wanted) ?? undefined);
  }

  /** Opens an object: from memory, else fetched, checked and decrypted. */
  async open(ghid: Ghid): Promise<AppObject> {
    const cached = this.live.get(ghid);
    if (cached) return this.remember(cached);
    const obj = await this.newest(ghid);
    if (!obj) throw new ObjectNotFound(ghid);
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
    const quarantined = this.secrets.quarantined(ghid);
    const binder = record?.binder ?? quarantined?.from;
    if (!binder) throw new UnknownSecret(`No secret is known for ${ghid.short}`);
    if (!frame.binder.equals(binder)) {
      throw new InconsistentAuthor(`Frame of ${ghid.short} is bound by ${frame.binder.short}, expected ${binder.short}`);
    }
    const counter = frame.counter ?? 0n;
    const live = this.live.get(ghid);
    // What is shown is this version or a newer one. (The record alone does not say: it moves on
    // before the container is here, and another computer of the account moves it too.)
    if (live && counter <= live.counter) return counter === live.counter ? this.remember(live) : live;
    // Another computer's frame, not written on what is shown here, while our frames of it wait
    // for a remote: it races them. Shown now, it would replace what this computer wrote, and the
    // conflict their refusal raises would find nothing of ours left to write on top of it (the
    // last to reach the server wins: ours). Nor does the daemon store it (Inbound's racesOurs),
    // which would replace ours in the local store. The conflict settles what shows.
    if (live && this.io.waiting?.(ghid) && !frame.targets.some((t) => t.equals(live.container))) return live;
    if (record && (counter < record.counter || (counter === record.counter && !opening && !live))) {
      // Older than the secret known here, which cannot be ratcheted back to it.
      if (live) return live;
      // Opened with nothing shown, this frame is the newest here and on the remotes asked: the
      // record is ahead of it (another computer's, through the account's secrets map, whose
      // frame is held back by that computer's conflict). Shown when a secret known here reads
      // it (the record's fork or base, a recent one); the record stays where it is.
      if (!(opening && counter < record.counter && readableWith(frame, this.secrets.known(ghid)))) {
        throw new IllegalDynamicFrame(`Frame ${counter} of ${ghid.short} is not newer than ${record.counter}`);
      }
    }
    // A record that cannot catch up (the object moved on more versions than a frame carries
    // back while we did not follow it) gives way to a new share of it, if one came.
    const { healed, candidates } = secretsToTry(frame, record ? this.secrets.known(ghid) : null, quarantined?.secret ?? null);
    const share = healed ? null : quarantined;
    if (healed) {
      // The vector is authenticated (binder and signature checked), so the ratchet can move on
      // even if this frame's container is already gone (replaced while it was in flight):
      // remember the newest secret now, or a burst of updates would leave us behind for good.
      this.secrets.setDynamic(ghid, { container: frame.targets[0]!, secret: healed, binder, counter });
    }
    const container = await containerOrNewer(this.io, frame);
    if (container.type === 'GOBD') return this.applyFrame(container, opening);
    const opened = openWithAny(container, candidates);
    if (!opened) throw new UnknownSecret(`The known secret does not open ${ghid.short}`);
    const { secret, apiId, state } = opened;
    // A newer version was shown meanwhile (pushed in while this one's container was fetched).
    const shown = this.live.get(ghid);
    if (shown && shown !== live && shown.counter > counter) return shown;
    this.secrets.setDynamic(ghid, { container: container.ghid, secret, binder, counter });
    if (share) this.secrets.release(ghid);
    const obj = this.remember({ ghid, dynamic: true, apiId, state, author: binder, counter, container: container.ghid }, frame);
    if (live && !opening) this.emit('update', obj);
    return obj;
  }

  /**
   * A remote refused our frame of this object as not newer than its own: another computer of the
   * account wrote it at the same moment (defect 19 across computers), and our frames from there on
   * are not the remote's chain. Left alone, both computers would go on writing chains the other
   * cannot read. So the remote's newest frame becomes the object's (read with a secret known from
   * before the fork), and the newest state acknowledged here is written on top of it, with a
   * counter above both chains: both computers then follow one chain and end on the same state.
   * UnknownSecret when the remote's frame cannot be read here, unless `onBase` (the waits for
   * the record that reads it are over): our newest state then goes on the version our waiting
   * frames were written on (the record's base, on the remote's chain), above the remote's frame.
   * Sent as they were, the first of them above the remote's counter would switch the chain to
   * our fork, which nobody who follows the object by ratchet (a friend it is shared with) reads
   * past when it is deeper than the legroom; written on the base, they read it (golix §8.3).
   */
  resolveConflict(ghid: Ghid, remote: ObjectIO, opts: { onBase?: boolean } = {}): Promise<ConflictResolution> {
    return this.withLock(ghid, async () => {
      const record = this.secrets.dynamic(ghid);
      if (!record || !record.binder.equals(this.identity.ghid)) return 'not-ours';
      const theirs = await remote.fetch(ghid);
      if (theirs?.type !== 'GOBD') return 'no-remote-frame';
      // Nothing to do when the frame shown here is theirs or already written on top of it: a race
      // is reported twice (our frame refused, theirs pushed to us), and the second report comes
      // while what the first wrote is still on its way to the remote. (Not the frame stored here:
      // that may be theirs, taken in but not shown yet, with our state still to be written.)
      const mine = this.live.frame(ghid);
      if (mine?.targets.some((t) => t.equals(theirs.targets[0]!))) return { top: mine.ghid, counter: mine.counter ?? 0n };
      // Nor when it is behind theirs on their chain: what is shown here was taken in from there
      // (or taken there) after the frame refused was written, and theirs is newer. Written on
      // top, it would undo what the other computer wrote since.
      if (mine && theirs.targets.some((t) => t.equals(mine.targets[0]!))) return { top: theirs.ghid, counter: theirs.counter ?? 0n };
      const read = await this.openFrame(theirs, remote).then((opened) => ({ opened }), (err: unknown) => ({ err }));
      const live = this.live.get(ghid);
      // Above our own frames here too, or the local store would refuse it as older.
      const local = await this.io.fetch(ghid);
      // Our newest state: what is shown here, else our newest frame here (an object nobody has
      // opened since a restart, e.g. written offline before it).
      const ours = live ?? (local?.type === 'GOBD' ? await this.openFrame(local, this.io).catch(() => null) : null);
      // The version written on: theirs, read here; else (onBase) our base, for a deep fork only:
      // a shallower one names the base in its frames, and goes as it is, each state of ours with it.
      let on: { secret: Secret; container: Ghid; targets: readonly Ghid[] };
      let shown: { apiId: ApiId; state: Buffer };
      if ('opened' in read) [on, shown] = [{ ...read.opened, targets: theirs.targets }, ours ?? read.opened];
      else {
        const base = record.base;
        const deep = base && local?.type === 'GOBD' && !local.targets.some((t) => t.equals(base.container));
        if (!opts.onBase || !noSecretReads(read.err) || !ours || !deep) throw read.err;
        [on, shown] = [{ ...base, targets: [base.container] }, ours];
      }
      const { apiId, state } = shown;
      const top = [theirs.counter ?? 0n, local?.type === 'GOBD' ? (local.counter ?? 0n) : 0n, record.counter].reduce((a, b) => (a > b ? a : b));
      const legroom = Math.max(DEFAULT_LEGROOM, on.targets.length - 1);
      const nextSecret = on.secret.ratchet(ghid, on.container);
      const next = await makeUpdate(this.identity, nextSecret, encodeAppObject(apiId, state), { dynamic: ghid, counter: top, targets: on.targets }, legroom);
      await this.io.publish(next.frame, next.container);
      this.secrets.setDynamic(ghid, { container: next.container.ghid, secret: nextSecret, binder: this.identity.ghid, counter: next.frame.counter! });
      const obj = this.remember({ ghid, dynamic: true, apiId, state, author: this.identity.ghid, counter: next.frame.counter!, container: next.container.ghid }, next.frame);
      // What the apps here show moves only if the remote's state was not ours to begin with.
      if (!live) this.emit('update', obj);
      return { top: next.frame.ghid, counter: next.frame.counter!, ...(ours ? {} : { oursUnread: true as const }) };
    });
  }

  /**
   * A frame's container fetched through `io`, the known secret that opens it (healed along the
   * frame's vector) and what it holds. UnknownSecret or ContainerMissing when it cannot be read.
   */
  private async openFrame(frame: Gobd, io: ObjectIO): Promise<{ secret: Secret; container: Ghid; apiId: ApiId; state: Buffer }> {
    const secret = healSecret(frame, this.secrets.known(frame.dynamic));
    const container = await containerOf(io, frame);
    return { secret, container: container.ghid, ...decodeAppObject(secret.apply(container.payload)) };
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
    const frame = await this.newest(ghid);
    if (!frame) return null;
    if (frame.type !== 'GOBD') return this.open(ghid);
    return this.applyFrame(frame, true);
  }

  /**
   * The object as stored here, or, for a frame older than its record, as the remotes hold it:
   * another computer's record came through the account's secrets map before its frame did, and
   * that record cannot read back.
   */
  private async newest(ghid: Ghid): Promise<GolixObject | null> {
    const obj = await this.io.fetch(ghid);
    if (obj?.type !== 'GOBD' || (obj.counter ?? 0n) >= (this.secrets.dynamic(ghid)?.counter ?? 0n)) return obj;
    // Unless frames of ours wait for a remote: the one here is ours, written offline (the record
    // ahead of it is another computer's), and what the conflict writes on top (applyFrame).
    if (this.io.waiting?.(ghid)) return obj;
    return (await this.io.fetch(ghid, { fresh: true })) ?? obj;
  }

  /** Binds the current container statically and returns it as a new static object. */
  async freeze(ghid: Ghid): Promise<AppObject> {
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
    await this.open(ghid);
    await this.io.publish(await makeStatic(this.identity, ghid));
  }

  /** Deletes: a GDXX on the dynamic GHID, or on each of our own static bindings of a container. */
  async delete(ghid: Ghid, ownBindings: Ghid[] = []): Promise<void> {
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
    this.live.discard(ghid);
  }

  private forget(ghid: Ghid): void {
    this.discard(ghid);
    this.secrets.forget(ghid);
  }
}

/**
 * How often one update catches up with a newer frame from another computer of the account and
 * tries again before it is refused (IllegalDynamicFrame): each try takes two signatures, and
 * two computers writing an object every few milliseconds can each win several times in a row.
 */
const MAX_CATCH_UPS = 8;

/** How long a catch-up waits for the container of the other computer's frame (~0.8 s in all). */
const CATCH_UP_CONTAINER_WAIT = { tries: 6, firstWaitMs: 25 };

function legroomOf(n: number | undefined): number {
  if (n === undefined || n === 0) return DEFAULT_LEGROOM;
  if (!Number.isInteger(n) || n < 1 || n > 255) throw new ValueError('legroom must be 1..255 (0 = default 7)');
  return n;
}
