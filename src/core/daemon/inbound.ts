import {
  AlreadyDebound,
  IllegalDynamicFrame,
  InvalidIdentity,
  UnboundContainer,
  addressOf,
  parseObject,
  signerOf,
  type Ghid,
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
  /** What binds `ghid`, here and on the connected remotes. */
  bindingsOf(ghid: Ghid): Promise<Ghid[]>;
  /** The daemon is told of an object a subscription brought, stored (a frame with its container). */
  notify(obj: GolixObject, subscribed: Ghid): void;
  /** Another device won a counter race at a remote: the daemon merges. */
  conflict(dynamic: Ghid): void;
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

  constructor(private readonly host: InboundHost) {}

  /**
   * Stores what came from a remote, fetching a signer's identity first if needed. Several objects
   * (a frame and its container) are checked in parallel and stored in one commit; if that is
   * refused they are taken one at a time, which stores what can be and says which was refused.
   */
  async ingest(obj: GolixObject, ...more: GolixObject[]): Promise<void> {
    return this.ingestAll([obj, ...more], {});
  }

  /** As ingest; `hooks.applied` is called (at most once) when the first try is applied and readable, not yet durable. */
  private async ingestAll(objs: GolixObject[], hooks: IngestHooks): Promise<void> {
    const obj = objs[0]!;
    if (objs.length > 1) {
      try {
        await this.host.engine.ingestBatch(objs.map((o) => o.raw), hooks);
        return;
      } catch {
        for (const o of objs) await this.ingest(o);
        return;
      }
    }
    try {
      await this.host.engine.ingest(obj.raw, hooks);
    } catch (err) {
      if (err instanceof UnboundContainer && obj.type === 'GEOC') return this.ingestWithBinding(obj, err);
      if (!(err instanceof InvalidIdentity)) throw err;
      const signer = signerOf(obj) ?? (obj.type === 'GARQ' ? obj.recipient : null);
      if (!signer || this.host.engine.exists(signer)) throw err;
      const gidc = await this.host.fetch(signer);
      if (!gidc || gidc.type !== 'GIDC') throw err;
      await this.host.engine.ingest(obj.raw);
    }
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
   * `!!` (or a catch-up GT): store it, fetch a frame's container, and tell the daemon.
   *
   * The daemon is told as soon as the local cache has checked and applied what came (and can
   * read it back), while its commit is still being written: an update reaches the app a commit's
   * latency sooner. Nothing acknowledged rests on it. The object is the author's, kept by the
   * server and the author's outbox; if the commit fails, it is taken back here, and comes again
   * with the next frame or the catch-up of the next reconnect.
   */
  async onPush(from: RemoteClient, subscribed: Ghid, raw: Buffer): Promise<void> {
    const obj = parseObject(raw);
    // A new frame's container is asked for first, so that both are checked at once and stored
    // in one commit, rather than one after the other.
    const container = obj.type === 'GOBD' && !this.host.engine.exists(obj.targets[0]!) ? await getFrom(from, obj.targets[0]!) : null;
    let told = false;
    const tell = () => {
      if (told) return;
      this.host.notify(obj, subscribed);
      told = true;
    };
    try {
      await this.ingestAll(container ? [obj, container] : [obj], { applied: tell });
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
    if (obj.type === 'GOBD' && !this.host.engine.exists(obj.targets[0]!)) {
      // A server of the reference announces a frame as soon as it has it, and its container is
      // uploaded after it: wait for the container without holding this `!!`'s answer (the
      // server's pushes to us queue behind it), and tell the daemon once it is here.
      void this.announceOnceContained(obj, subscribed);
      return;
    }
    // Not told yet (nothing new was applied, or the objects went in one at a time): told now.
    tell();
  }

  /**
   * Asks every connected remote for a frame's missing container, at once and then again, waiting
   * longer each time, and announces the frame once it is here. Stops when a newer frame has replaced it (its own announcement covers it),
   * or at close. Past the last try the frame waits for the next one, or for the catch-up of the
   * next reconnect.
   */
  private async announceOnceContained(frame: Gobd, subscribed: Ghid): Promise<void> {
    // Announced again meanwhile (the catch-up of a reconnect): one wait is enough.
    if (this.waiting.has(frame.ghid.text)) return;
    this.waiting.add(frame.ghid.text);
    const target = frame.targets[0]!;
    const current = () => this.host.engine.currentFrame(frame.dynamic)?.ghid === frame.ghid.text;
    try {
      const contained = await retryWhileContainerMissing(async () => {
        if (!current()) return false;
        if (!this.host.engine.exists(target)) await this.host.fetch(target);
        if (!this.host.engine.exists(target)) throw new ContainerMissing(target, frame.dynamic, 'frame');
        return true;
      }, { ...ANNOUNCED_CONTAINER_WAIT, signal: this.closing.signal });
      if (contained && current()) this.host.notify(frame, subscribed);
    } catch (err) {
      if (this.closing.signal.aborted) return;
      this.host.logger.warn(`frame ${frame.counter ?? 0n} of ${frame.dynamic.short} was announced, but ${(err as Error).message}: it is applied with the next frame or reconnect`);
    } finally {
      this.waiting.delete(frame.ghid.text);
    }
  }

  close(): void {
    this.closing.abort();
  }
}

/** `ghid` as one remote has it; null when it has not, or answers with anything else. */
async function getFrom(remote: RemoteClient, ghid: Ghid): Promise<GolixObject | null> {
  try {
    const obj = parseObject(await remote.get(ghid));
    return addressOf(obj).equals(ghid) ? obj : null;
  } catch {
    return null;
  }
}
