/**
 * The file side of the file store: writes committed objects' files (`<ghid>.ghid`) after their
 * delay, one batch after another, and keeps what it cannot write. The journal already made every
 * object here durable; this only moves it into the reference's layout, so a failure strands an
 * object in memory (and keeps its journal) rather than losing it.
 */
import type { ObjectFiles } from './object-files.js';
import type { StorageMonitor } from './storage-monitor.js';
import type { UnwrittenFiles } from './unwritten-files.js';

/** One committed operation on one object's file. */
export interface FileOp {
  ghid: string;
  /** The bytes to write, or null to remove the file. */
  raw: Buffer | null;
  /** For a delete: whether there may be a file to remove. */
  unlink: boolean;
}

export interface FileWriterOptions {
  files: ObjectFiles;
  pending: UnwrittenFiles;
  monitor: StorageMonitor;
  /** File operations in flight at once. */
  ioConcurrency: number;
  /**
   * How long after its commit an object's file is written at the soonest (superseded ones never
   * are), and how long commits must have paused before files are written.
   */
  delayMs: number;
  /** How long a file may be held back for a pause in the commits, at the most. */
  maxDelayMs: number;
  /** Whether the store is closing: then files go out at once. */
  closing: () => boolean;
}

export class FileWriter {
  /** File operations run one batch after another, so a skipped write never races the removal that superseded it. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Ends the wait of the file writes that are waiting out their delay. */
  private readonly wakers = new Set<() => void>();
  /** When the latest batch was committed. */
  private lastCommit = 0;
  /** Batches are numbered as queued; those up to `hurried` wait for no pause (see hurry). */
  private queued = 0;
  private hurried = 0;

  constructor(private readonly o: FileWriterOptions) {}

  /** Queues a committed batch's files, written once their delay is over (see holdBack). */
  queueBatch(batch: readonly FileOp[]): void {
    const committed = Date.now();
    this.lastCommit = committed;
    // Past half the backlog's limit, a file waiting for a pause goes now.
    if (this.o.pending.filling) this.wake();
    const seq = ++this.queued;
    this.chain = this.chain.then(() => this.applyBatch(batch, committed, seq));
  }

  /** The batches queued so far are written as soon as they are due, not held for a pause (a checkpoint waits for them). */
  hurry(): void {
    this.hurried = this.queued;
    this.wake();
  }

  /** Queues a retry of the stranded files, after what is queued; resolves whether none is left. */
  retry(): Promise<boolean> {
    const done = this.chain.then(() => this.retryStranded());
    this.chain = done.catch(() => false);
    return done;
  }

  /** Resolves once every file operation queued so far has been carried out or has failed. */
  idle(): Promise<unknown> {
    return this.chain;
  }

  /** Cuts every delay short (closing, or writes failing: then files go out at once). */
  wake(): void {
    for (const done of [...this.wakers]) done();
  }

  /**
   * Writes (or removes) one object's file. On failure the bytes stay in memory, the object is
   * marked stranded for the probe to retry, and the journal holding it is kept. Returns whether it worked.
   */
  async apply(ghid: string, raw: Buffer | null, unlink: boolean): Promise<boolean> {
    const { pending, files, monitor } = this.o;
    try {
      if (raw) {
        // From here on a delete must remove the file, even if it comes before the write ends.
        // An object with no file yet is created straight under its name (see ObjectFiles).
        const fresh = pending.fileless.delete(ghid);
        await files.write(ghid, raw, fresh);
      } else if (unlink) {
        await files.remove(ghid);
      }
    } catch (err) {
      // Kept (replay's objects are not held otherwise); a newer operation's state is left alone.
      if (!pending.has(ghid)) pending.set(ghid, raw);
      pending.stranded.add(ghid);
      monitor.fail(files.path(ghid), err);
      return false;
    }
    pending.written(ghid, raw);
    return true;
  }

  /**
   * Waits until a batch committed at `committed` is due. Object files cost far more than the
   * journal's one write per batch (on ext4 most of an object's kernel time is its file's
   * creation), and they compete with ingest for the same cores: so a burst is acknowledged at
   * the journal's pace and its files follow once commits pause for `delayMs`, or `maxDelayMs`
   * after their commit at the latest. Never past half the backlog's limit (then sustained ingest
   * runs at the disk's file-creation rate, as without this), not for a checkpoint (hurry), and
   * never while closing, failing, or with callers waiting for room.
   */
  private async holdBack(committed: number, seq: number): Promise<void> {
    const { pending, monitor, delayMs, maxDelayMs } = this.o;
    for (;;) {
      if (this.o.closing() || pending.waiting || !monitor.ok) return;
      const soonest = committed + delayMs;
      const quiet = this.lastCommit + delayMs;
      const hold = !pending.filling && seq > this.hurried;
      const until = hold ? Math.max(soonest, Math.min(quiet, committed + maxDelayMs)) : soonest;
      const wait = until - Date.now();
      if (wait <= 0) return;
      await this.sleep(wait);
    }
  }

  /** Writes a committed batch's files. Only the last operation per GHID matters. */
  private async applyBatch(batch: readonly FileOp[], committed: number, seq: number): Promise<void> {
    await this.holdBack(committed, seq);
    const { pending } = this.o;
    const last = new Map<string, FileOp>();
    for (const p of batch) last.set(p.ghid, p);
    // An operation that a later one on the same GHID has superseded is skipped: that one will
    // write (or remove) the file.
    const jobs = [...last.values()].filter((p) => pending.get(p.ghid) === p.raw && pending.has(p.ghid));
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const { ghid, raw, unlink } = jobs[next++]!;
        await this.apply(ghid, raw, unlink);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.ioConcurrency, jobs.length) }, worker));
  }

  /** Retries the files that could not be written; stops at the first failure. Returns whether none is left. */
  private async retryStranded(): Promise<boolean> {
    const { pending } = this.o;
    for (const ghid of [...pending.stranded]) {
      if (!pending.has(ghid)) pending.stranded.delete(ghid);
      else if (!(await this.apply(ghid, pending.get(ghid) ?? null, true))) return false;
    }
    return pending.stranded.size === 0;
  }

  /** Waits `ms`, or less if woken. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wakers = this.wakers;
      // Unref'd: the journal already holds the object, so this wait alone need not keep a process up.
      const timer = setTimeout(done, ms).unref();
      function done(): void {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      }
      wakers.add(done);
    });
  }
}
