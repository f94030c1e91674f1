import { IllegalDynamicFrame, type Ghid, type Gobd } from '../golix/index.js';
import type { ObjectIO } from '../objects/object-io.js';
import { retryWhileContainerMissing } from '../objects/container-wait.js';
import { LwwMap, type Cell, type JsonValue } from './lww-map.js';
import type { MapJournal } from './map-journal.js';
import { MasterObject } from './master-object.js';

/** How often a conflicting write re-reads a frame whose container has not arrived yet, and the first wait (doubling). */
const UNREADABLE_FRAME_WAIT = { tries: 6, firstWaitMs: 10 };
/** A write that failed is tried again, waiting twice as long each time up to this. */
const MAX_RETRY_DELAY_MS = 60_000;

/**
 * One internal account object: an LWW map kept in a master-secret object. Changes are batched
 * (one frame per flush, defect 28); a frame from another device is merged, and if this device
 * still has writes the other lacked, they are written back on top (defect 19).
 */
export class AccountMap {
  private dirty = false;
  private flushing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private journal?: MapJournal;
  /** The wait before the next scheduled write; grows while scheduled writes fail. */
  private retryDelayMs: number;
  /** Set by stop(): nothing is scheduled any more. */
  private stopped = false;

  constructor(
    private readonly object: MasterObject,
    private readonly map: LwwMap,
    private readonly io: ObjectIO,
    private readonly owner: Ghid,
    private readonly flushDelayMs = 20,
  ) {
    this.retryDelayMs = flushDelayMs;
  }

  get ghid(): Ghid {
    return this.object.ghid;
  }

  /** The newest frame written or taken in here. */
  get head(): Ghid {
    return this.object.head;
  }

  /** Its counter. */
  get counter(): bigint {
    return this.object.counter;
  }

  get(key: string): JsonValue | undefined {
    return this.map.get(key);
  }

  entries(prefix = ''): IterableIterator<[string, JsonValue]> {
    return this.map.entries(prefix);
  }

  /** Tells `listener` of each value a merge leaves out for a write that outranks it (LwwMap.outranked). */
  onOutranked(listener: (key: string, value: JsonValue) => void): void {
    this.map.outranked = listener;
  }

  set(key: string, value: JsonValue): void {
    this.map.set(key, value);
    this.journal?.record(key, this.map.cell(key)!);
    this.schedule();
  }

  delete(key: string): void {
    if (!this.map.delete(key)) return;
    this.journal?.record(key, this.map.cell(key)!);
    this.schedule();
  }

  /**
   * Makes every change from now on durable through a local journal between flushes, after
   * merging in what the journal kept from a run that ended before the map was written.
   */
  attachJournal(journal: MapJournal, replay: Iterable<[string, Cell]>): void {
    let changed = false;
    for (const [key, cell] of replay) changed = this.map.mergeCell(key, cell) || changed;
    this.journal = journal;
    if (changed) this.schedule();
    else journal.covered(journal.seq);
  }

  /**
   * Resolves once every change so far survives a crash: through the journal when there is one
   * (cheap), else (or if it fails) by writing the map.
   */
  async secure(): Promise<void> {
    if (this.journal) {
      try {
        return await this.journal.durable();
      } catch {
        // fall back to the map itself
      }
    }
    await this.flush();
  }

  /** Writes the changes soon (or, for a retry, after `retryMs`). */
  private schedule(retryMs?: number): void {
    this.dirty = true;
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A failure is retried by flush itself.
      this.flush().catch(() => {});
    }, retryMs ?? this.flushDelayMs);
    // A retry alone does not keep a process up that is otherwise done (its close flushed or failed).
    if (retryMs !== undefined) this.timer.unref();
  }

  /** No more scheduled writes or retries (the account is closing; its last flush is the caller's). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Writes pending changes as one frame. Resolves once they are stored locally and queued for the remotes. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // Another flush's failure is its own: this one tries again if there is still something to write.
    while (this.flushing) await this.flushing.catch(() => {});
    if (!this.dirty) return;
    this.flushing = (async () => {
      for (let attempt = 0; ; attempt++) {
        this.dirty = false;
        const upTo = this.journal?.seq ?? 0;
        try {
          await this.object.write(this.map.encode());
          this.journal?.covered(upTo);
          this.retryDelayMs = this.flushDelayMs;
          return;
        } catch (err) {
          this.dirty = true;
          if (!(err instanceof IllegalDynamicFrame) || attempt >= 5) throw err;
          // Another device got there first: take its frame, merge, and write on top of it.
          await this.refreshOnceReadable();
        }
      }
    })()
      .catch((err: unknown) => {
        // Whoever asked for this write (a timer, a merge, secure()), the changes stay (and, with
        // a journal, stay durable): try again later, not only at the next change, backing off
        // while the cause lasts (a full disk, no remote). Not once the account is closing.
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, MAX_RETRY_DELAY_MS);
        if (this.dirty) this.schedule(this.retryDelayMs);
        throw err;
      })
      .finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /**
   * Merges the newest frame, fetched again while it names a container that is not here yet: the
   * other device publishes its frame before its container, and may write again meanwhile.
   */
  private async refreshOnceReadable(): Promise<void> {
    await retryWhileContainerMissing(() => this.refresh(), UNREADABLE_FRAME_WAIT);
  }

  /**
   * Merges the newest frame (given, or fetched). Returns whether the local view changed. A frame
   * below ours is another computer's, on a fork (this one wrote more meanwhile, offline): it is
   * not taken as the object's, but its writes are merged all the same and written on top of
   * ours, or the other computers would have them only once that one is back.
   */
  async refresh(frame?: Gobd, via: ObjectIO = this.io): Promise<boolean> {
    const f = frame ?? (await via.fetch(this.object.ghid));
    if (!f || f.type !== 'GOBD' || !f.dynamic.equals(this.object.ghid) || f.ghid.equals(this.object.head)) return false;
    // Read before adopting: if the read fails, a retry must still see the frame as new.
    const remote = LwwMap.decode(await MasterObject.readFrame(via, f, this.object.master, this.owner), 'remote');
    const adopted = this.object.adopt(f);
    const changed = this.map.merge(remote);
    if (adopted ? !this.map.isCoveredBy(remote) : changed) this.schedule();
    return changed;
  }
}
