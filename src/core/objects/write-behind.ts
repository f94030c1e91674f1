import type { Ghid } from '../golix/index.js';

/** Where updates acknowledged before they are signed are kept (util/durable-queue.ts). */
export interface UnsignedLog {
  /** Resolves once the entries are durable. */
  add(entries: { ghid: string; raw: Buffer }[]): Promise<void>;
  /** The entry is published (or void): not replayed after a restart. */
  done(key: string): void;
  /** Entries not done, oldest first. */
  items(): [string, Buffer][];
}

/**
 * Updates of one object that may be acknowledged and not yet published. Two keep both CPUs
 * signing (the next update's two signatures start while the last one's are stored and sent),
 * and bound what a failing disk leaves waiting.
 */
export const MAX_UNPUBLISHED = 2;
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 10_000;

interface Chain {
  /** The last publication queued; each runs after the one before it. */
  tail: Promise<void>;
  /** Keys of the updates acknowledged and not yet published, oldest first. */
  keys: string[];
  /** What the oldest update's last attempt threw; null once one succeeds. */
  failure: Error | null;
  /** Bumped when the queued updates become void (supersede): runs of an older one do nothing. */
  generation: number;
  /** Woken whenever keys or failure change. */
  waiters: (() => void)[];
}

/**
 * Publication behind acknowledgement, for one daemon's dynamic objects. An update is
 * acknowledged once it is packed and its unsigned container and frame are in a durable log (its
 * signatures already running); it is signed, stored and queued for the remotes afterwards, in
 * order per object, and retried with backoff while that fails (a full disk). A crash in between
 * loses nothing: the log is replayed at the next start (ObjectManager.replayUnsigned), and the
 * objects' GHIDs are their prefix hashes, so an update signed twice is still one update.
 */
export class WriteBehind {
  private readonly chains = new Map<string, Chain>();
  private readonly sleepers = new Set<() => void>();
  private closing = false;

  constructor(
    readonly log: UnsignedLog,
    private readonly warn: (message: string) => void = () => {},
  ) {}

  /** Updates of this object acknowledged and not yet published. */
  unpublished(ghid: Ghid): number {
    return this.chains.get(ghid.text)?.keys.length ?? 0;
  }

  /**
   * Resolves once the object may take one more unpublished update; throws what its oldest keeps
   * failing with (a StorageFull), so that an app learns of it and nothing more piles up behind.
   */
  async room(ghid: Ghid): Promise<void> {
    await this.waitWhile(ghid, (c) => c.keys.length >= MAX_UNPUBLISHED);
  }

  /** Resolves once everything acknowledged of this object is published; throws as `room` does. */
  async settled(ghid: Ghid): Promise<void> {
    await this.waitWhile(ghid, (c) => c.keys.length > 0);
  }

  /**
   * Queues an update's publication behind the object's earlier ones. `publish` is retried until
   * it resolves, the queue is superseded or the daemon closes (the log then replays it).
   */
  enqueue(ghid: Ghid, key: string, publish: () => Promise<void>): void {
    let c = this.chains.get(ghid.text);
    if (!c) {
      c = { tail: Promise.resolve(), keys: [], failure: null, generation: 0, waiters: [] };
      this.chains.set(ghid.text, c);
    }
    const chain = c;
    chain.keys.push(key);
    const generation = chain.generation;
    chain.tail = chain.tail.then(() => this.run(ghid, chain, key, generation, publish));
  }

  /**
   * The object's queued updates are void (what they build on was replaced): none is published.
   * Called by a publication that found so, which then writes what replaces them; each is done in
   * the log only once that has returned, so a crash meanwhile still finds them there.
   */
  supersede(ghid: Ghid): void {
    const c = this.chains.get(ghid.text);
    if (!c) return;
    c.generation++;
    c.failure = null;
  }

  /** Stops retrying and waits for the publications under way; what is left stays in the log. */
  async close(): Promise<void> {
    this.closing = true;
    for (const wake of this.sleepers) wake();
    for (const c of this.chains.values()) this.wake(c);
    await Promise.all([...this.chains.values()].map((c) => c.tail));
  }

  private async run(ghid: Ghid, c: Chain, key: string, generation: number, publish: () => Promise<void>): Promise<void> {
    const finish = () => {
      c.keys.splice(c.keys.indexOf(key), 1);
      this.log.done(key);
    };
    for (let attempt = 0; !this.closing; attempt++) {
      if (generation !== c.generation) {
        finish();
        break;
      }
      try {
        await publish();
        finish();
        c.failure = null;
        break;
      } catch (err) {
        c.failure = err instanceof Error ? err : new Error(String(err));
        if (attempt === 0) this.warn(`update of ${ghid.short} acknowledged, not stored yet (retrying): ${c.failure.message}`);
        this.wake(c);
        await this.sleep(Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** attempt));
      }
    }
    this.wake(c);
    if (c.keys.length === 0 && this.chains.get(ghid.text) === c) this.chains.delete(ghid.text);
  }

  private async waitWhile(ghid: Ghid, busy: (c: Chain) => boolean): Promise<void> {
    for (let c = this.chains.get(ghid.text); c; c = this.chains.get(ghid.text)) {
      if (c.failure) throw c.failure;
      if (!busy(c) || this.closing) return;
      await new Promise<void>((resolve) => c!.waiters.push(resolve));
    }
  }

  private wake(c: Chain): void {
    const waiters = c.waiters;
    c.waiters = [];
    for (const w of waiters) w();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}
