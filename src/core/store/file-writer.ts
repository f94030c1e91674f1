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
  /** How long after its commit an object's file is written (superseded ones never are). */
  delayMs: number;
  /** Whether the store is closing: then files go out at once. */
  closing: () => boolean;
}

export class FileWriter {
  /** File operations run one batch after another, so a skipped write never races the removal that superseded it. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Ends the wait of the file writes that are waiting out their delay. */
  private readonly wakers = new Set<() => void>();

  constructor(private readonly o: FileWriterOptions) {}

  /** Queues a committed batch's files, written once their delay is over. */
  queueBatch(batch: readonly FileOp[]): void {
    const due = Date.now() + this.o.delayMs;
    this.chain = this.chain.then(() => this.applyBatch(batch, due));
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

  /** Writes a committed batch's files. Only the last operation per GHID matters. */
  private async applyBatch(batch: readonly FileOp[], due: number): Promise<void> {
    const { pending, monitor } = this.o;
    const wait = due - Date.now();
    // Closing writes everything at once; so does a backlog that callers are waiting on.
    if (wait > 0 && !this.o.closing() && !pending.waiting && monitor.ok) await this.sleep(wait);
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
