import {
  AlreadyDebound,
  Ghid,
  IllegalDynamicFrame,
  InvalidIdentity,
  UnboundContainer,
  addressOf,
  parseObject,
  signerOf,
  type GolixObject,
  type Gobd,
} from '../golix/index.js';
import { retryWhileContainerMissing } from '../objects/container-wait.js';
import { ContainerMissing } from '../objects/errors.js';
import type { RemoteClient } from '../remote/client.js';
import type { RemoteLogger } from '../remote/logger.js';
import type { IngestHooks } from '../rules/persistence-engine.js';
import type { RulesEngine } from '../rules/rules-engine.js';

/** What the inbound side needs of the daemon's network (NetworkIO). */
export interface InboundHost {
  engine: RulesEngine;
  logger: RemoteLogger;
  /** An object from the local cache, else from the connected remotes (then stored here). */
  fetch(ghid: Ghid): Promise<GolixObject | null>;
  /** An object as the first connected remote that has it holds it, not stored here. */
  fromRemotes(ghid: Ghid): Promise<GolixObject | null>;
  /** What binds `ghid`, here and on the connected remotes. */
  bindingsOf(ghid: Ghid): Promise<Ghid[]>;
  /** The daemon is told of an object a subscription brought, stored (a frame with its container). */
  notify(obj: GolixObject, subscribed: Ghid): void;
  /** Another device won a counter race at a remote: the daemon merges. */
  conflict(dynamic: Ghid): void;
  /** Whether frames of ours of `dynamic` wait for a connected remote's answer (NetworkIO.waiting). */
  waiting(dynamic: Ghid): boolean;
}

/**
 * How long an announced frame waits for its container: 25 ms after the first miss, doubling, up
 * to about 100 s in all. A container normally follows its frame within a round trip; the long
 * tail covers an uploader whose link dropped between the two and resends on reconnect.
 */
const ANNOUNCED_CONTAINER_WAIT = { tries: 13, firstWaitMs: 25 };

/**
 * What comes in from the remotes, into the local cache: objects they push to our subscriptions
 * (`!!`, and the catch-up after a reconnect), and objects fetched from them, with the identities
 * and bindings they need first. The daemon hears of a frame only once its container is here too.
 */
export class Inbound {
  /** Aborted at close: ends the waits for announced frames' containers. */
  private readonly closing = new AbortController();
  /** Frames announced whose containers are being waited for (GHID text). */
  private readonly waiting = new Set<string>();
  /** Objects of which a frame racing ours was left out (racesOurs), by GHID text. */
  private readonly raced = new Set<string>();

  constructor(private readonly host: InboundHost) {}

  /**
   * Stores what came from a remote, fetching a signer's identity first if needed. Several objects
   * (a frame and its container) are checked in parallel and stored in one commit, or none is:
   * a frame is never stored without its container (see onPush).
   */
  async ingest(obj: GolixObject, ...more: GolixObject[]): Promise<void> {
    return this.ingestAll([obj, ...more], {});
  }

  /**
   * Stores an object fetched from a remote; a frame only with its container (onPush says why).
   * Without it, the frame is not stored: reading it fails as a missing container would, and is
   * tried again, while the version stored here stays readable. Returns what the fetch answers:
   * the object, or the frame stored here if that became newer while the remotes answered (our
   * own written meanwhile, or one pushed in), which makes theirs stale rather than an error.
   * A frame racing ours is answered unstored (racesOurs).
   */
  async storeFetched(obj: GolixObject): Promise<GolixObject> {
    if (obj.type === 'GOBD' && this.racesOurs(obj)) return obj;
    try {
      if (obj.type !== 'GOBD' || this.host.engine.exists(obj.targets[0]!)) await this.ingest(obj);
      else {
        const container = await this.host.fromRemotes(obj.targets[0]!);
        if (container) await this.ingest(obj, container);
      }
      return obj;
    } catch (err) {
      if (!(err instanceof IllegalDynamicFrame) || obj.type !== 'GOBD' || !this.host.engine.exists(obj.dynamic)) throw err;
      return parseObject(await this.host.engine.get(obj.dynamic));
    }
  }

  /** As ingest; `hooks.applied` is called (at most once) when the first try is applied and readable, not yet durable. */
  private async ingestAll(objs: GolixObject[], hooks: IngestHooks): Promise<void> {
    const raws = objs.map((o) => o.raw);
    try {
      await this.host.engine.ingestBatch(raws, hooks);
    } catch (err) {
      if (err instanceof UnboundContainer && objs.length === 1 && objs[0]!.type === 'GEOC') return this.ingestWithBinding(objs[0]!, err);
      if (!(err instanceof InvalidIdentity) || !(await this.fetchSigners(objs))) throw err;
      await this.host.engine.ingestBatch(raws);
    }
  }

  /**
   * Fetches the identities of the objects' signers (a GARQ's recipient) not stored here, or whose
   * copy here is damaged (the fetch puts it right, local-copy.ts); whether any came.
   */
  private async fetchSigners(objs: GolixObject[]): Promise<boolean> {
    let fetched = false;
    for (const obj of objs) {
      const signer = signerOf(obj) ?? (obj.type === 'GARQ' ? obj.recipient : null);
      if (!signer || (await this.readable(signer))) continue;
      const gidc = await this.host.fetch(signer);
      fetched ||= gidc?.type === 'GIDC';
    }
    return fetched;
  }

  /** Whether an identity is stored here and reads as one (its copy is not damaged). */
  private readable(identity: Ghid): Promise<boolean> {
    return this.host.engine.exists(identity) ? this.host.engine.identity(identity).then(() => true, () => false) : Promise.resolve(false);
  }

  /**
   * A container the local cache has no binding for (a static object opened on a new computer):
   * its bindings come first, from the remotes, then the container.
   */
  private async ingestWithBinding(container: GolixObject, err: Error): Promise<void> {
    for (const binding of await this.host.bindingsOf(container.ghid)) {
      if (!this.host.engine.exists(binding)) await this.host.fetch(binding);
    }
    if (this.host.engine.bindingsOf(container.ghid).length === 0) throw err;
    await this.host.engine.ingest(container.raw);
  }

  /**
   * `!!` (or a catch-up GT): store it, with a frame's container, and tell the daemon.
   *
   * A frame is stored only together with its container, in one commit. Stored alone, it would
   * replace the object's current frame, whose container then goes: were the daemon stopped
   * before the new container came (the link dropped between the two), the object, or the
   * account's own map, could not be read on the next start until a remote was reachable again.
   *
   * The daemon is told as soon as the local cache has checked and applied what came (and can
   * read it back), while its commit is still being written: an update reaches the app a commit's
   * latency sooner. Nothing acknowledged rests on it. The object is the author's, kept by the
   * server and the author's outbox; if the commit fails, it is taken back here, and comes again
   * with the next frame or the catch-up of the next reconnect.
   */
  async onPush(from: RemoteClient, subscribed: Ghid, raw: Buffer): Promise<void> {
    const obj = parseObject(raw);
    if (obj.type === 'GOBD' && this.racesOurs(obj)) {
      this.host.logger.debug(`frame ${obj.counter ?? 0n} of ${obj.dynamic.short} races ours still waiting: not taken in until the conflict is settled`);
      return;
    }
    // A frame no newer than ours is offered alone: the local cache refuses it, and the refusal
    // tells of a race another computer won (takeIn).
    if (obj.type === 'GOBD' && !this.host.engine.exists(obj.targets[0]!) && this.newer(obj)) {
      const container = await getFrom(from, obj.targets[0]!);
      // A server of the reference announces a frame as soon as it has it, and its container is
      // uploaded after it (or our link dropped): wait for the container without holding this
      // `!!`'s answer (the server's pushes to us queue behind it).
      if (!container) return void this.takeInOnceContained(from, obj, subscribed);
      return this.takeIn(from, subscribed, [obj, container]);
    }
    return this.takeIn(from, subscribed, [obj]);
  }

  /** Stores what a remote pushed (a frame with its container) and tells the daemon. */
  private async takeIn(from: RemoteClient, subscribed: Ghid, objs: GolixObject[]): Promise<void> {
    const obj = objs[0]!;
    let told = false;
    const tell = () => {
      if (told) return;
      this.host.notify(obj, subscribed);
      told = true;
    };
    try {
      await this.ingestAll(objs, { applied: tell });
    } catch (err) {
      this.host.logger.debug(`push of ${obj.type} ${obj.ghid.short} for ${subscribed.short} not stored: ${(err as Error).name}: ${(err as Error).message}`);
      if (err instanceof IllegalDynamicFrame) {
        // Same counter as ours but another frame: another device won a race at this remote
        // (its container is there: the server announces a frame only once it is). Merge.
        const mine = obj.type === 'GOBD' ? this.host.engine.currentFrame(obj.dynamic) : undefined;
        if (obj.type === 'GOBD' && mine && mine.counter === obj.counter && mine.ghid !== obj.ghid.text) this.host.conflict(obj.dynamic);
        return;
      }
      if (err instanceof AlreadyDebound) {
        // The remote is behind: it still has something we debound. Send it our debinding.
        for (const d of this.host.engine.debindingsOf(addressOf(obj))) {
          await from.publish(await this.host.engine.get(d)).catch(() => {});
        }
        return;
      }
      throw err;
    }
    // Not told yet (nothing new was applied): told now.
    tell();
  }

  /**
   * Asks every connected remote for a frame's missing container, at once and then again, waiting
   * longer each time, and stores the frame with it once it comes. Stops when a frame as new is
   * here (its own announcement covers it), or at close. Past the last try the frame waits for
   * the next one, or for the catch-up of the next reconnect.
   */
  private async takeInOnceContained(from: RemoteClient, frame: Gobd, subscribed: Ghid): Promise<void> {
    // Announced again meanwhile (the catch-up of a reconnect): one wait is enough.
    if (this.waiting.has(frame.ghid.text)) return;
    this.waiting.add(frame.ghid.text);
    const target = frame.targets[0]!;
    try {
      const container = await retryWhileContainerMissing(async () => {
        if (!this.newer(frame)) return null;
        const found = await this.host.fromRemotes(target);
        if (!found) throw new ContainerMissing(target, frame.dynamic, 'frame');
        return found;
      }, { ...ANNOUNCED_CONTAINER_WAIT, signal: this.closing.signal });
      // Stored by another way meanwhile (a fetch, the catch-up), which told the daemon.
      if (this.host.engine.currentFrame(frame.dynamic)?.ghid === frame.ghid.text) return;
      // This computer wrote the object during the wait: the frame now races ours (racesOurs).
      if (this.racesOurs(frame)) {
        this.host.logger.debug(`frame ${frame.counter ?? 0n} of ${frame.dynamic.short} races ours written while its container was awaited; left out`);
        return;
      }
      await this.takeIn(from, subscribed, container && this.newer(frame) ? [frame, container] : [frame]);
    } catch (err) {
      if (this.closing.signal.aborted) return;
      this.host.logger.warn(`frame ${frame.counter ?? 0n} of ${frame.dynamic.short} was announced, but ${(err as Error).message}: it is taken in with the next frame or reconnect`);
    } finally {
      this.waiting.delete(frame.ghid.text);
    }
  }

  /**
   * Another computer's frame, newer than ours stored here but not written on it, while frames of
   * ours of the object wait for a remote's answer: the two race. Stored, it would replace ours
   * here (and our container would go), so that a daemon stopped before the conflict is settled
   * would read it back as the object and write it again on top, losing what this computer wrote
   * (the last write to reach the server wins: ours). Left out, it is read from the remote when
   * our refused frame raises the conflict (ObjectManager.resolveConflict); taken by the remote,
   * ours supersede it. A frame written on ours (its writer saw ours) is no race.
   */
  private racesOurs(frame: Gobd): boolean {
    const current = this.host.engine.currentFrame(frame.dynamic);
    if (!current?.target || !this.newer(frame) || frame.targets.some((t) => t.text === current.target)) return false;
    if (!this.host.waiting(frame.dynamic)) return false;
    this.raced.add(frame.dynamic.text);
    return true;
  }

  /**
   * The objects of which a racing frame was left out and whose frames of ours no longer wait:
   * to be asked of the remotes again (NetworkIO). Their answer to ours usually raised the
   * conflict that settled it; if they took ours instead, or refused it for good, what they hold
   * now is read here only this way until the next change.
   */
  racesOver(): Ghid[] {
    const over = [...this.raced].map((d) => Ghid.fromText(d)).filter((d) => !this.host.waiting(d));
    for (const d of over) this.raced.delete(d.text);
    return over;
  }

  /** Whether a frame is newer than the one stored here of its object (v15 frames, which have no counter, always are). */
  private newer(frame: Gobd): boolean {
    const current = this.host.engine.currentFrame(frame.dynamic);
    if (!current) return true;
    if (current.ghid === frame.ghid.text) return false;
    return frame.counter === null || current.counter === null || current.counter === undefined || frame.counter > current.counter;
  }

  close(): void {
    this.closing.abort();
  }
}

/** `ghid` as one remote has it; null when it has not, or answers with anything else. */
export async function getFrom(remote: RemoteClient, ghid: Ghid): Promise<GolixObject | null> {
  try {
    const obj = parseObject(await remote.get(ghid));
    return addressOf(obj).equals(ghid) ? obj : null;
  } catch {
    return null;
  }
}
