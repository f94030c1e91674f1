import { basename } from 'node:path';
import { Ghid, HypergolixError } from '../golix/index.js';
import { errnoOf, nodeFs, type FsOps } from '../util/fs-ops.js';
import { Histogram, type HistogramSnapshot } from '../util/histogram.js';
import type { Entry } from './entry.js';
import { EntryTable } from './entry-table.js';
import { FileWriter, type FileOp } from './file-writer.js';
import { reconcile } from './ghidcache-dir.js';
import { removeStaleSnapshots, writeSnapshot } from './index-snapshot.js';
import { delRecord, putRecord, sealRecord } from './journal-file.js';
import { JournalSequence } from './journal-sequence.js';
import { ObjectFiles } from './object-files.js';
import type { LoadResult, ObjectStore } from './object-store.js';
import { StorageMonitor } from './storage-monitor.js';
import type { StorageState } from './storage-state.js';
import { StoreLock, StoreLocked, type StoreLockOwner } from './store-lock.js';
import { readIndex, replayJournal } from './store-recovery.js';
import { UnwrittenFiles } from './unwritten-files.js';

export interface FileStoreOptions {
  /** Rotate the journal and checkpoint once it grows past this. */
  checkpointBytes?: number;
  /**
   * Bytes of committed objects whose files are not written yet. A put resolves (durable, from
   * the journal) only while the backlog is under this, so a burst cannot grow memory without
   * bound: sustained ingest then runs at the disk's file-creation rate. @default 8 MiB
   */
  maxUnwrittenBytes?: number;
  /**
   * How long after its journal commit an object file is written at the soonest, and how long
   * commits must pause before files are written (a burst's files follow the burst). Objects
   * replaced or removed meanwhile (a hot object's frames and containers) are never written at
   * all: the journal already made them durable. @default 100
   */
  fileDelayMs?: number;
  /**
   * How long files may be held back waiting for commits to pause, at the most. Half of
   * maxUnwrittenBytes bounds it too: past that, files are written as they come due. @default 5000
   */
  maxFileDelayMs?: number;
  /** File operations in flight at once. */
  ioConcurrency?: number;
  /** How often to check for room again while writes fail. @default 2000 */
  probeIntervalMs?: number;
  /** The file operations to go through (tests inject faults here). Default: node:fs. */
  fs?: FsOps;
  /**
   * Hold `<dir>.lock` while open, refusing (StoreLocked) when another live store holds it.
   * Who this store is, for the message the other one gets.
   */
  lock?: StoreLockOwner;
  /** Called with warnings found at run time (corrupt files met on read, writes failing, recovery). */
  warn?: (message: string) => void;
}

/** How to put a GHID back as it was before an operation that failed to commit. */
interface Undo {
  entry: Entry | undefined;
  unwritten: Buffer | null | undefined;
  hadUnwritten: boolean;
  fileless: boolean;
}

interface Pending extends FileOp {
  record: Buffer;
  undo: Undo;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The ghidcache: the reference's layout (one `<ghid>.ghid` file per object, exact bytes, a GOBD
 * under its frame GHID), so caches stay portable both ways, made crash-safe and fast to open
 * (defect 29) by two siblings of the directory:
 *
 * - `<dir>.journal.<n>`: every put/delete is written and committed with one synchronous write per
 *   batch (group commit) before it is acknowledged; object files follow once commits pause
 *   (FileWriter). After a crash the journal restores any file that did not reach the disk.
 * - `<dir>.index`: a snapshot of every entry, written atomically at checkpoints, so opening a
 *   store reads one file and one directory listing instead of parsing every object.
 *
 * The write contract (docs/formats.md, "The write contract"): an entry is visible from the moment
 * put() is called, and undone if its journal commit fails; an object's bytes stay in memory
 * until its file is written; a journal is removed only once every file it covers is durable;
 * while writes fail, storage() says so and new writes are refused until a probe succeeds.
 * Files are the source of truth: at open, the index is made to agree with them (ghidcache-dir.ts).
 */
export class FileStore implements ObjectStore {
  private readonly entries = new EntryTable();
  private readonly pending: UnwrittenFiles;
  private readonly files: ObjectFiles;
  private queue: Pending[] = [];
  private readonly journals: JournalSequence;
  private committing?: Promise<void>;
  /** The batch being written now (to the journal it started on), through queueing its files. */
  private batchInFlight: Promise<void> = Promise.resolve();
  private checkpointing?: Promise<void>;
  private closed = false;
  private readonly rollbackListeners: (() => void)[] = [];
  private lock?: StoreLock;
  /** load() finished: the table is whole and the journals are this store's to manage. */
  private opened = false;
  private readonly monitor: StorageMonitor;
  private readonly fs: FsOps;
  private readonly checkpointBytes: number;
  private readonly writer: FileWriter;
  private readonly commitTimes = new Histogram();

  constructor(
    readonly dir: string,
    private readonly options: FileStoreOptions = {},
  ) {
    this.checkpointBytes = options.checkpointBytes ?? 64 * 1024 * 1024;
    this.fs = options.fs ?? nodeFs;
    this.files = new ObjectFiles(dir, this.fs);
    this.pending = new UnwrittenFiles(options.maxUnwrittenBytes ?? 8 * 1024 * 1024);
    this.monitor = new StorageMonitor({
      probe: () => this.probe(),
      probeIntervalMs: options.probeIntervalMs,
      changed: (state, message) => {
        // Waiting for room that failing writes will not make would hold acknowledgements forever.
        if (state.kind !== 'ok') {
          this.pending.releaseWaiters();
          this.writer.wake();
        }
        options.warn?.(`ghidcache: ${message}`);
      },
    });
    this.journals = new JournalSequence(dir, this.fs, this.monitor);
    this.writer = new FileWriter({
      files: this.files,
      pending: this.pending,
      monitor: this.monitor,
      ioConcurrency: options.ioConcurrency ?? 32,
      delayMs: options.fileDelayMs ?? 100,
      maxDelayMs: options.maxFileDelayMs ?? 5000,
      closing: () => this.closed,
    });
  }

  private get indexPath(): string {
    return `${this.dir}.index`;
  }

  storage(): StorageState {
    return this.monitor.state();
  }

  commitDurations(): HistogramSnapshot {
    return this.commitTimes.snapshot();
  }

  /** Called, synchronously, each time entries were put back because their journal commit failed. */
  onRollback(listener: () => void): void {
    this.rollbackListeners.push(listener);
  }

  async load(): Promise<LoadResult> {
    try {
      return await this.open();
    } catch (err) {
      this.lock?.release();
      throw err;
    }
  }

  private async open(): Promise<LoadResult> {
    const warnings: string[] = [];
    await this.fs.mkdir(this.dir, { recursive: true, mode: 0o700 }).catch(async (err: unknown) => {
      // A directory that is already there opens even where nothing can be created (a full or read-only disk).
      if (!(await this.fs.stat(this.dir).then((s) => (s.mode & 0o170000) === 0o040000, () => false))) throw err;
    });
    if (this.options.lock) {
      try {
        this.lock = StoreLock.acquire(this.dir, this.options.lock);
      } catch (err) {
        // A full or read-only disk cannot take the lock file; the store still opens (to serve
        // reads, and to report the state) rather than refuse to start over it.
        if (err instanceof StoreLocked) throw err;
        warnings.push(`ghidcache: could not write the lock ${this.dir}.lock (${errnoOf(err) ?? 'write failed'}); opened without it`);
      }
    }
    if (this.lock) await removeStaleSnapshots(this.indexPath, this.fs);
    const snapshot = await readIndex(this.fs, this.indexPath, this.entries, warnings);
    let dirty = !snapshot.ok;
    const journals = await this.journals.list();
    for (const n of journals) {
      await replayJournal(this.fs, this.journals.path(n), n, warnings, {
        entries: this.entries,
        apply: (ghid, raw) => {
          // A later record supersedes what an earlier one left stranded in memory.
          if (this.pending.has(ghid)) this.pending.set(ghid, raw);
          return this.writer.apply(ghid, raw, true);
        },
        // What an earlier record left unwritten in memory (its file not yet brought in line, a
        // delete whose unlink failed) is superseded only through apply, whatever the file holds.
        fileHolds: async (ghid, raw) => !this.pending.has(ghid) && (await this.files.holds(ghid, raw)),
      });
      dirty = true;
    }
    // A directory's mtime changes whenever a file is added to or removed from it. Our own writes
    // all pass through the journal; so with no journal left and the directory untouched since
    // the snapshot, the index is exact and the 100,000-name listing can be skipped.
    const untouched = snapshot.ok && journals.length === 0 && snapshot.dirMtimeNs !== null && (await this.dirMtimeNs()) === snapshot.dirMtimeNs;
    if (!untouched && (await reconcile(this.dir, this.entries, warnings, this.fs, (g) => this.pending.has(g)))) dirty = true;
    await this.journals.start(journals.at(-1) ?? 0, warnings);
    if (dirty) {
      // Everything recovered is now in the files; make them durable and start clean. What could
      // not be written stays in memory and in its journal, which is kept until it can be.
      if (await this.makeDurable()) await this.journals.remove(journals, false);
      else warnings.push(`ghidcache: could not make all it recovered durable (${this.failure()}); kept the journals for the next start`);
    }
    this.monitor.start();
    this.opened = true;
    return { entries: this.entries, warnings };
  }

  put(entry: Entry, received: Buffer): Promise<void> {
    try {
      const record = putRecord(entry, received);
      // The bytes held until the object's file is written: a view into the record (putRecord).
      const raw = record.subarray(record.length - received.length);
      return this.enqueue(record, entry.ghid, raw, entry).then(() => (this.monitor.ok ? this.pending.room() : undefined));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  delete(ghid: string): Promise<void> {
    // Anything stored has a canonical name; other text must never become a path to unlink.
    if (!this.entries.has(ghid)) {
      try {
        Ghid.fromText(ghid);
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    return this.enqueue(delRecord(ghid), ghid, null);
  }

  async read(ghid: string): Promise<Buffer | null> {
    if (this.pending.has(ghid)) return this.pending.get(ghid)!;
    if (!this.entries.has(ghid)) return null;
    try {
      return await this.fs.readFile(this.files.path(ghid));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        // Re-check: the file may have been replaced by a newer write while we read.
        return this.pending.get(ghid) ?? null;
      }
      throw err;
    }
  }

  /**
   * Flushes everything. On a full or failing disk it keeps what it cannot flush — the journal
   * holding it stays, and the next open restores it — and says so through `warn`.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.opened) {
      // Never opened, or its opening failed (another live store's lock, a read error midway):
      // its table may be partial and the journals another store's, so nothing is written or
      // removed. What a replay started writing is let finish; the next start replays again.
      await this.writer.idle();
      this.monitor.stop();
      return;
    }
    this.writer.wake();
    await this.drain();
    await this.checkpointing;
    const clean = await this.makeDurable();
    this.monitor.stop();
    await this.journals.close();
    if (clean) await this.journals.remove(await this.journals.list(), true);
    this.lock?.release();
    if (clean) return;
    this.options.warn?.(
      `ghidcache: closed without flushing everything (${this.failure()}); ${this.pending.size} object file(s) not written, ` +
        `kept in ${basename(this.journals.currentPath)} and older journals: the next start restores them`,
    );
  }

  // ---- writing

  private enqueue(record: Buffer, ghid: string, raw: Buffer | null, entry?: Entry): Promise<void> {
    if (this.closed) return Promise.reject(new HypergolixError('Object store is closed'));
    if (!this.monitor.ok || !this.journals.ready) {
      // Refused before anything changes. The refusal is also the prompt to look again.
      void this.monitor.probeNow();
      return Promise.reject(this.monitor.refusal());
    }
    const undo: Undo = {
      entry: this.entries.get(ghid),
      hadUnwritten: this.pending.has(ghid),
      unwritten: this.pending.get(ghid),
      fileless: this.pending.fileless.has(ghid),
    };
    let unlink = false;
    if (entry) {
      const added = undo.entry === undefined;
      this.entries.set(entry);
      if (added) this.pending.fileless.add(ghid);
    } else {
      this.entries.delete(ghid);
      // An object replaced before its file was written (a daemon's frames, mostly) has no
      // file to remove: skip the unlink rather than fail it.
      unlink = !this.pending.fileless.delete(ghid);
    }
    this.pending.set(ghid, raw);
    sealRecord(record);
    return new Promise((resolve, reject) => {
      this.queue.push({ record, ghid, raw, unlink, undo, resolve, reject });
      this.committing ??= this.commitLoop();
    });
  }

  /** Group commit: everything queued while one commit is being written goes out in the next. */
  private async commitLoop(): Promise<void> {
    // Start on the next microtask: an ingest enqueues all its records (puts and the deletes
    // they cause) in one synchronous step, and they belong in one commit, not the first alone.
    await null;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        // No closure may capture the concatenated copy: the one queueing the batch's files
        // lives until they are written, and would keep a second copy of the bytes that long.
        const started = performance.now();
        const bytes = this.commitBatch(batch);
        this.batchInFlight = bytes.then(
          () => {
            this.commitTimes.observeSince(started);
            for (const p of batch) p.resolve();
            this.writer.queueBatch(batch);
          },
          (err: unknown) => this.rollBack(batch, err),
        );
        await this.batchInFlight;
        if (this.journals.bytes >= this.checkpointBytes && !this.checkpointing) {
          this.checkpointing = this.checkpoint().finally(() => (this.checkpointing = undefined));
        }
      }
    } finally {
      this.committing = undefined;
    }
  }

  private commitBatch(batch: Pending[]): Promise<void> {
    return this.journals.commit(Buffer.concat(batch.map((p) => p.record)));
  }

  /**
   * A commit failed: its batch, and everything queued after it (made on top of it), is undone
   * newest first, so readers see what they saw before it; then each caller gets StorageFull.
   */
  private rollBack(batch: Pending[], err: unknown): void {
    this.monitor.fail(this.journals.currentPath, err);
    const failed = [...batch, ...this.queue];
    this.queue = [];
    for (let i = failed.length - 1; i >= 0; i--) {
      const { ghid, undo } = failed[i]!;
      if (undo.entry) this.entries.set(undo.entry);
      else this.entries.delete(ghid);
      this.pending.restore(ghid, undo.hadUnwritten, undo.unwritten, undo.fileless);
    }
    for (const listener of this.rollbackListeners) listener();
    const refusal = this.monitor.refusal();
    Object.defineProperty(refusal, 'cause', { value: err, enumerable: false });
    for (const p of failed) p.reject(refusal);
    // A restored object may have had its file write skipped meanwhile, as superseded: it is
    // written by the retry, and until then it counts as stranded (its journal is kept).
    for (const { ghid } of failed) if (this.pending.has(ghid)) this.pending.stranded.add(ghid);
    void this.writer.retry();
  }

  /** Resolves once every write asked for so far has been carried out or has failed (tests, and a caller about to report state). */
  async idle(): Promise<void> {
    await this.drain();
    await this.checkpointing;
  }

  private async drain(): Promise<void> {
    while (this.committing) await this.committing;
    await this.writer.idle();
  }

  /** Makes every file written so far durable, then starts a new journal and drops the old ones. */
  private async checkpoint(): Promise<void> {
    const rotated = await this.journals.rotate();
    if (!rotated) return;
    // Later batches go to the new journal. The one in flight may be on the old one; once it is
    // through, every batch the old journal holds has its files queued. Waiting for the commit
    // loop to go idle instead would starve the checkpoint for as long as writes keep coming.
    await this.batchInFlight;
    this.writer.hurry();
    await this.writer.idle();
    const clean = await this.makeDurable();
    await rotated.handle.close().catch(() => undefined);
    if (clean) await this.journals.remove((await this.journals.list()).filter((n) => n <= rotated.old), false);
  }

  /**
   * Writes what is stranded, fsyncs the files written since the last time and writes the index.
   * Returns whether all of it worked, which is when the journals before now may go.
   */
  private async makeDurable(): Promise<boolean> {
    if (this.pending.stranded.size > 0 && !(await this.writer.retry())) return false;
    try {
      await this.files.sync();
    } catch (err) {
      this.monitor.fail(this.dir, err);
      return false;
    }
    try {
      await writeSnapshot(this.indexPath, this.entries.values(), await this.dirMtimeNs(), this.fs);
    } catch (err) {
      this.monitor.fail(this.indexPath, err);
      return false;
    }
    return true;
  }

  /** While writes fail: retries what is stranded and shows that a journal and a file can be written. */
  private async probe(): Promise<boolean> {
    if (this.closed) return false;
    if (!(await this.journals.ensure())) return false;
    if (!(await this.writer.retry())) return false;
    try {
      await this.journals.reserve(64 * 1024);
      await this.files.probe();
      return true;
    } catch {
      return false;
    }
  }

  private failure(): string {
    const state = this.monitor.state();
    return state.kind === 'ok' ? 'a write failed' : state.message;
  }

  private async dirMtimeNs(): Promise<bigint | null> {
    return this.fs.mtimeNs(this.dir).catch(() => null);
  }
}
