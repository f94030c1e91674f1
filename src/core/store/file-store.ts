import { basename } from 'node:path';
import { Ghid, HypergolixError } from '../golix/index.js';
import { nodeFs, type FsOps } from '../util/fs-ops.js';
import { entryLength, writeEntry, type Entry } from './entry.js';
import { EntryTable } from './entry-table.js';
import { reconcile } from './ghidcache-dir.js';
import { writeSnapshot } from './index-snapshot.js';
import { JournalFile, OP_DEL, OP_PUT, RECORD_HEAD, newRecord, sealRecord } from './journal-file.js';
import { ObjectFiles } from './object-files.js';
import type { LoadResult, ObjectStore } from './object-store.js';
import { StorageMonitor } from './storage-monitor.js';
import type { StorageState } from './storage-state.js';
import { listJournals, readIndex, replayJournal } from './store-recovery.js';
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
   * How long after its journal commit an object file is written. Objects replaced or removed
   * within this time (a hot object's frames and containers) are never written at all: the
   * journal already made them durable. @default 100
   */
  fileDelayMs?: number;
  /** File operations in flight at once. */
  ioConcurrency?: number;
  /** How often to check for room again while writes fail. @default 2000 */
  probeIntervalMs?: number;
  /** The file operations to go through (tests inject faults here). Default: node:fs. */
  fs?: FsOps;
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

interface Pending {
  record: Buffer;
  ghid: string;
  raw: Buffer | null;
  /** For a delete: whether there may be a file to remove. */
  unlink: boolean;
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
 *   batch (group commit) before it is acknowledged; object files are then written by temp file
 *   and rename. After a crash the journal restores any file that did not reach the disk.
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
  private journal?: JournalFile;
  private journalIndex = 0;
  private journalBytes = 0;
  private committing?: Promise<void>;
  /** The batch being written now (to the journal it started on), through queueing its files. */
  private batchInFlight: Promise<void> = Promise.resolve();
  private fileOps: Promise<unknown> = Promise.resolve();
  private checkpointing?: Promise<void>;
  private closed = false;
  private readonly rollbackListeners: (() => void)[] = [];
  /** Ends the wait of the file writes that are waiting out their delay. */
  private readonly wakers = new Set<() => void>();
  private readonly monitor: StorageMonitor;
  private readonly fs: FsOps;
  private readonly checkpointBytes: number;
  private readonly ioConcurrency: number;
  private readonly fileDelayMs: number;

  constructor(
    readonly dir: string,
    private readonly options: FileStoreOptions = {},
  ) {
    this.checkpointBytes = options.checkpointBytes ?? 64 * 1024 * 1024;
    this.ioConcurrency = options.ioConcurrency ?? 32;
    this.fileDelayMs = options.fileDelayMs ?? 100;
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
          this.wake();
        }
        options.warn?.(`ghidcache: ${message}`);
      },
    });
  }

  private get indexPath(): string {
    return `${this.dir}.index`;
  }

  private journalPath(n: number): string {
    return `${this.dir}.journal.${n}`;
  }

  storage(): StorageState {
    return this.monitor.state();
  }

  /** Called, synchronously, each time entries were put back because their journal commit failed. */
  onRollback(listener: () => void): void {
    this.rollbackListeners.push(listener);
  }

  async load(): Promise<LoadResult> {
    const warnings: string[] = [];
    await this.fs.mkdir(this.dir, { recursive: true, mode: 0o700 }).catch(async (err: unknown) => {
      // A directory that is already there opens even where nothing can be created (a full or read-only disk).
      if (!(await this.fs.stat(this.dir).then((s) => (s.mode & 0o170000) === 0o040000, () => false))) throw err;
    });
    const snapshot = await readIndex(this.fs, this.indexPath, this.entries, warnings);
    let dirty = !snapshot.ok;
    const journals = await listJournals(this.fs, this.dir);
    for (const n of journals) {
      await replayJournal(this.fs, this.journalPath(n), n, warnings, {
        entries: this.entries,
        apply: (ghid, raw) => {
          // A later record supersedes what an earlier one left stranded in memory.
          if (this.pending.has(ghid)) this.pending.set(ghid, raw);
          return this.applyFile(ghid, raw, true);
        },
        fileSize: (ghid) => this.files.size(ghid),
      });
      dirty = true;
    }
    // A directory's mtime changes whenever a file is added to or removed from it. Our own writes
    // all pass through the journal; so with no journal left and the directory untouched since
    // the snapshot, the index is exact and the 100,000-name listing can be skipped.
    const untouched = snapshot.ok && journals.length === 0 && snapshot.dirMtimeNs !== null && (await this.dirMtimeNs()) === snapshot.dirMtimeNs;
    if (!untouched && (await reconcile(this.dir, this.entries, warnings, this.fs, (g) => this.pending.has(g)))) dirty = true;
    this.journalIndex = (journals.at(-1) ?? 0) + 1;
    await this.openJournal(warnings);
    if (dirty) {
      // Everything recovered is now in the files; make them durable and start clean. What could
      // not be written stays in memory and in its journal, which is kept until it can be.
      if (await this.makeDurable()) await this.removeJournals(journals);
      else warnings.push(`ghidcache: could not make all it recovered durable (${this.failure()}); kept the journals for the next start`);
    }
    this.monitor.start();
    return { entries: this.entries, warnings };
  }

  put(entry: Entry, received: Buffer): Promise<void> {
    // The journal record is built in one allocation of its own, and the bytes held until the
    // object's file is written are a view into it: received bytes are usually a view into a
    // much larger socket read, which holding them would keep alive.
    try {
      const elen = entryLength(entry);
      const record = newRecord(OP_PUT, 4 + elen + received.length);
      record.writeUInt32BE(elen, RECORD_HEAD);
      writeEntry(entry, record, RECORD_HEAD + 4);
      received.copy(record, RECORD_HEAD + 4 + elen);
      const raw = record.subarray(RECORD_HEAD + 4 + elen);
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
    const record = newRecord(OP_DEL, ghid.length);
    record.write(ghid, RECORD_HEAD, 'latin1');
    return this.enqueue(record, ghid, null);
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
    this.wake();
    await this.drain();
    await this.checkpointing;
    const clean = await this.makeDurable();
    this.monitor.stop();
    await this.journal?.close().catch(() => undefined);
    if (clean) {
      await this.removeJournals(await listJournals(this.fs, this.dir));
      return;
    }
    this.options.warn?.(
      `ghidcache: closed without flushing everything (${this.failure()}); ${this.pending.size} object file(s) not written, ` +
        `kept in ${basename(this.journalPath(this.journalIndex))} and older journals: the next start restores them`,
    );
  }

  // ---- writing

  private enqueue(record: Buffer, ghid: string, raw: Buffer | null, entry?: Entry): Promise<void> {
    if (this.closed) return Promise.reject(new HypergolixError('Object store is closed'));
    if (!this.monitor.ok || !this.journal) {
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
        const bytes = this.commitBatch(batch);
        this.batchInFlight = bytes.then(
          (length) => {
            this.journalBytes += length;
            for (const p of batch) p.resolve();
            const due = Date.now() + this.fileDelayMs;
            this.fileOps = this.fileOps.then(() => this.applyFiles(batch, due));
          },
          (err: unknown) => this.rollBack(batch, err),
        );
        await this.batchInFlight;
        if (this.journalBytes >= this.checkpointBytes && !this.checkpointing) {
          this.checkpointing = this.checkpoint().finally(() => (this.checkpointing = undefined));
        }
      }
    } finally {
      this.committing = undefined;
    }
  }

  private async commitBatch(batch: Pending[]): Promise<number> {
    const data = Buffer.concat(batch.map((p) => p.record));
    await this.journal!.commit(data);
    return data.length;
  }

  /**
   * A commit failed: its batch, and everything queued after it (made on top of it), is undone
   * newest first, so readers see what they saw before it; then each caller gets StorageFull.
   */
  private rollBack(batch: Pending[], err: unknown): void {
    this.monitor.fail(this.journal!.path, err);
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
    this.fileOps = this.fileOps.then(() => this.retryStranded());
  }

  /** Resolves once every write asked for so far has been carried out or has failed (tests, and a caller about to report state). */
  async idle(): Promise<void> {
    await this.drain();
    await this.checkpointing;
  }

  private async drain(): Promise<void> {
    while (this.committing) await this.committing;
    await this.fileOps;
  }

  /** Writes a committed batch's files. Only the last operation per GHID matters. */
  private async applyFiles(batch: Pending[], due: number): Promise<void> {
    const wait = due - Date.now();
    // Closing writes everything at once; so does a backlog that callers are waiting on.
    if (wait > 0 && !this.closed && !this.pending.waiting && this.monitor.ok) await this.sleep(wait);
    const last = new Map<string, Pending>();
    for (const p of batch) last.set(p.ghid, p);
    // An operation that a later one on the same GHID has superseded is skipped: that one will
    // write (or remove) the file. File operations run one batch after another, so a skipped
    // write can never race the removal that superseded it.
    const jobs = [...last.values()].filter((p) => this.pending.get(p.ghid) === p.raw && this.pending.has(p.ghid));
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const { ghid, raw, unlink } = jobs[next++]!;
        await this.applyFile(ghid, raw, unlink);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.ioConcurrency, jobs.length) }, worker));
  }

  /** Waits `ms`, or less if the store closes or writes start failing (then files go out at once). */
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

  private wake(): void {
    for (const done of [...this.wakers]) done();
  }

  /**
   * Writes (or removes) one object's file. On failure the bytes stay in memory, the object is
   * marked stranded for the probe to retry, and the journal holding it is kept. Returns whether it worked.
   */
  private async applyFile(ghid: string, raw: Buffer | null, unlink: boolean): Promise<boolean> {
    try {
      if (raw) {
        // From here on a delete must remove the file, even if it comes before the write ends.
        this.pending.fileless.delete(ghid);
        await this.files.write(ghid, raw);
      } else if (unlink) {
        await this.files.remove(ghid);
      }
    } catch (err) {
      // Kept (replay's objects are not held otherwise); a newer operation's state is left alone.
      if (!this.pending.has(ghid)) this.pending.set(ghid, raw);
      this.pending.stranded.add(ghid);
      this.monitor.fail(this.files.path(ghid), err);
      return false;
    }
    this.pending.written(ghid, raw);
    return true;
  }

  /** Retries the files that could not be written; stops at the first failure. Returns whether none is left. */
  private async retryStranded(): Promise<boolean> {
    for (const ghid of [...this.pending.stranded]) {
      if (!this.pending.has(ghid)) this.pending.stranded.delete(ghid);
      else if (!(await this.applyFile(ghid, this.pending.get(ghid) ?? null, true))) return false;
    }
    return this.pending.stranded.size === 0;
  }

  /** Makes every file written so far durable, then starts a new journal and drops the old ones. */
  private async checkpoint(): Promise<void> {
    const old = this.journalIndex;
    const oldHandle = this.journal!;
    let fresh: JournalFile;
    try {
      fresh = await JournalFile.create(this.journalPath(old + 1), this.fs);
    } catch (err) {
      // Keep writing the old journal; it is only longer than it should be.
      this.monitor.fail(this.journalPath(old + 1), err);
      return;
    }
    this.journalIndex = old + 1;
    this.journal = fresh;
    this.journalBytes = 0;
    // Later batches go to the new journal. The one in flight may be on the old one; once it is
    // through, every batch the old journal holds has its files queued. Waiting for the commit
    // loop to go idle instead would starve the checkpoint for as long as writes keep coming.
    await this.batchInFlight;
    await this.fileOps;
    const clean = await this.makeDurable();
    await oldHandle.close().catch(() => undefined);
    if (clean) await this.removeJournals((await listJournals(this.fs, this.dir)).filter((n) => n <= old));
  }

  /**
   * Writes what is stranded, fsyncs the files written since the last time and writes the index.
   * Returns whether all of it worked, which is when the journals before now may go.
   */
  private async makeDurable(): Promise<boolean> {
    if (this.pending.stranded.size > 0) {
      const done = this.fileOps.then(() => this.retryStranded());
      this.fileOps = done.catch(() => false);
      if (!(await done)) return false;
    }
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

  private async openJournal(warnings: string[]): Promise<void> {
    const path = this.journalPath(this.journalIndex);
    try {
      this.journal = await JournalFile.create(path, this.fs);
    } catch (err) {
      this.monitor.fail(path, err);
      warnings.push(`ghidcache: cannot start a journal (${(err as Error).message}); reads are served, writes wait for room`);
    }
  }

  /**
   * Removes journals, oldest first, and stops at the first it cannot remove: what is left is
   * always the newest ones, which replay to the state the files already have.
   */
  private async removeJournals(ns: number[]): Promise<void> {
    for (const n of ns) {
      if (n === this.journalIndex && !this.closed) continue;
      try {
        await this.fs.rm(this.journalPath(n), { force: true });
      } catch (err) {
        this.monitor.fail(this.journalPath(n), err);
        return;
      }
    }
  }

  /** While writes fail: retries what is stranded and shows that a journal and a file can be written. */
  private async probe(): Promise<boolean> {
    if (this.closed) return false;
    if (!this.journal) {
      try {
        this.journal = await JournalFile.create(this.journalPath(this.journalIndex), this.fs);
      } catch {
        return false;
      }
    }
    const retried = this.fileOps.then(() => this.retryStranded());
    this.fileOps = retried.catch(() => false);
    if (!(await retried)) return false;
    try {
      await this.journal.reserve(64 * 1024);
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
