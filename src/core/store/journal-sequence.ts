/**
 * The file store's journals, `<dir>.journal.<n>`: the one being written, its number and how much
 * it holds, starting the next one at a checkpoint, and removing the old ones once what they cover
 * is durable. A failure to write any of them is reported to the storage monitor, never thrown at
 * a writer: the store then refuses new writes until a probe succeeds.
 */
import type { FsOps } from '../util/fs-ops.js';
import { JournalFile } from './journal-file.js';
import type { StorageMonitor } from './storage-monitor.js';
import { listJournals } from './store-recovery.js';

export class JournalSequence {
  private current?: JournalFile;
  private index = 0;
  /** Bytes committed to the current journal (a checkpoint is due once this grows large). */
  bytes = 0;

  constructor(
    private readonly dir: string,
    private readonly fs: FsOps,
    private readonly monitor: StorageMonitor,
  ) {}

  path(n: number): string {
    return `${this.dir}.journal.${n}`;
  }

  /** The path of the journal being written. */
  get currentPath(): string {
    return this.current?.path ?? this.path(this.index);
  }

  /** Whether there is a journal to commit to (not after a failure to start one). */
  get ready(): boolean {
    return this.current !== undefined;
  }

  /** The numbers of the journals on disk, oldest first. */
  list(): Promise<number[]> {
    return listJournals(this.fs, this.dir);
  }

  /** Starts writing the journal after `newest` (the newest found at open). */
  async start(newest: number, warnings: string[]): Promise<void> {
    this.index = newest + 1;
    try {
      this.current = await JournalFile.create(this.currentPath, this.fs);
    } catch (err) {
      this.monitor.fail(this.currentPath, err);
      warnings.push(`ghidcache: cannot start a journal (${(err as Error).message}); reads are served, writes wait for room`);
    }
  }

  /** Commits one batch's records with one synchronous write; rejects when the write fails. */
  async commit(data: Buffer): Promise<void> {
    const journal = this.current!;
    await journal.commit(data);
    // A checkpoint may have started the next journal meanwhile: these bytes are the old one's.
    if (this.current === journal) this.bytes += data.length;
  }

  /**
   * Starts the next journal: later commits go there. Returns the number and handle of the one
   * before (to close and remove once what it holds is durable), or null when the next one cannot
   * be created — then writing goes on in the old one, which is only longer than it should be.
   */
  async rotate(): Promise<{ old: number; handle: JournalFile } | null> {
    const old = this.index;
    const handle = this.current!;
    let fresh: JournalFile;
    try {
      fresh = await JournalFile.create(this.path(old + 1), this.fs);
    } catch (err) {
      this.monitor.fail(this.path(old + 1), err);
      return null;
    }
    this.index = old + 1;
    this.current = fresh;
    this.bytes = 0;
    return { old, handle };
  }

  /** While writes fail: whether there is a journal, creating it if none could be started before. */
  async ensure(): Promise<boolean> {
    try {
      this.current ??= await JournalFile.create(this.currentPath, this.fs);
      return true;
    } catch {
      return false;
    }
  }

  /** Shows that `bytes` more fit in the journal (rejects when they do not). */
  reserve(bytes: number): Promise<void> {
    return this.current!.reserve(bytes);
  }

  async close(): Promise<void> {
    await this.current?.close().catch(() => undefined);
  }

  /**
   * Removes journals, oldest first, and stops at the first it cannot remove: what is left is
   * always the newest ones, which replay to the state the files already have. The one being
   * written is kept unless `evenCurrent` (the store is closed).
   */
  async remove(ns: number[], evenCurrent: boolean): Promise<void> {
    for (const n of ns) {
      if (n === this.index && !evenCurrent) continue;
      try {
        await this.fs.rm(this.path(n), { force: true });
      } catch (err) {
        this.monitor.fail(this.path(n), err);
        return;
      }
    }
  }
}
