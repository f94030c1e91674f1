import { constants as fsc } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Ghid, HypergolixError } from '../golix/index.js';
import { syncFileSystem } from '../util/durable-write.js';
import { decodeEntry, entryLength, writeEntry, type Entry } from './entry.js';
import { EntryTable } from './entry-table.js';
import { SUFFIX, TEMP_PREFIX, objectFile, reconcile } from './ghidcache-dir.js';
import { GhidList } from './ghid-list.js';
import { readSnapshot, syncDir, writeSnapshot } from './index-snapshot.js';
import { JournalFile, OP_DEL, OP_PUT, RECORD_HEAD, isZero, newRecord, readRecords, sealRecord } from './journal-file.js';
import type { LoadResult, ObjectStore } from './object-store.js';

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
  /** Called with warnings found at run time (corrupt files met on read). */
  warn?: (message: string) => void;
}

/** Files to make durable at a checkpoint from which one syncfs replaces an fsync each. */
const SYNCFS_FROM_FILES = 2000;

interface Pending {
  record: Buffer;
  ghid: string;
  raw: Buffer | null;
  /** For a delete: whether there may be a file to remove. */
  unlink: boolean;
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
 * Files are the source of truth: at open, the index is made to agree with them (ghidcache-dir.ts).
 */
export class FileStore implements ObjectStore {
  private readonly entries = new EntryTable();
  /** Latest not-yet-written file state per GHID (bytes, or null for a delete). */
  private readonly unwritten = new Map<string, Buffer | null>();
  /** Objects put in this run whose file has not been started yet (so a delete has none to remove). */
  private readonly fileless = new Set<string>();
  private unwrittenBytes = 0;
  private roomWaiters: (() => void)[] = [];
  /** Files written since the last checkpoint; fsynced before the journal that covers them goes. */
  private readonly unsynced = new GhidList();
  private queue: Pending[] = [];
  private journal?: JournalFile;
  private journalIndex = 0;
  private journalBytes = 0;
  private committing?: Promise<void>;
  /** The batch being written now (to the journal it started on), through queueing its files. */
  private batchInFlight: Promise<void> = Promise.resolve();
  private fileOps = Promise.resolve();
  private checkpointing?: Promise<void>;
  private closed = false;
  private readonly checkpointBytes: number;
  private readonly ioConcurrency: number;
  private readonly maxUnwrittenBytes: number;
  private readonly fileDelayMs: number;

  constructor(
    readonly dir: string,
    private readonly options: FileStoreOptions = {},
  ) {
    this.checkpointBytes = options.checkpointBytes ?? 64 * 1024 * 1024;
    this.ioConcurrency = options.ioConcurrency ?? 32;
    this.maxUnwrittenBytes = options.maxUnwrittenBytes ?? 8 * 1024 * 1024;
    this.fileDelayMs = options.fileDelayMs ?? 100;
  }

  private get indexPath(): string {
    return `${this.dir}.index`;
  }

  private journalPath(n: number): string {
    return `${this.dir}.journal.${n}`;
  }

  private filePath(ghid: string): string {
    return objectFile(this.dir, ghid);
  }

  async load(): Promise<LoadResult> {
    const warnings: string[] = [];
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const snapshot = await this.readSnapshot(warnings);
    let dirty = !snapshot.ok;
    const journals = await this.listJournals();
    for (const n of journals) {
      await this.replayJournal(n, warnings);
      dirty = true;
    }
    // A directory's mtime changes whenever a file is added to or removed from it. Our own writes
    // all pass through the journal; so with no journal left and the directory untouched since
    // the snapshot, the index is exact and the 100,000-name listing can be skipped.
    const untouched = snapshot.ok && journals.length === 0 && snapshot.dirMtimeNs !== null && (await dirMtimeNs(this.dir)) === snapshot.dirMtimeNs;
    if (!untouched && (await reconcile(this.dir, this.entries, warnings))) dirty = true;
    this.journalIndex = (journals.at(-1) ?? 0) + 1;
    this.journal = await JournalFile.create(this.journalPath(this.journalIndex));
    if (dirty) {
      // Everything recovered is now in the files; make them durable and start clean.
      await this.syncFiles();
      await this.writeSnapshot();
      await Promise.all(journals.map((n) => rm(this.journalPath(n), { force: true })));
    }
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
      return this.enqueue(record, entry.ghid, raw, entry).then(() => this.room());
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /** Resolves once the backlog of unwritten files is under its limit. */
  private room(): Promise<void> {
    if (this.unwrittenBytes <= this.maxUnwrittenBytes) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private setUnwritten(ghid: string, raw: Buffer | null): void {
    this.unwrittenBytes += (raw?.length ?? 0) - (this.unwritten.get(ghid)?.length ?? 0);
    this.unwritten.set(ghid, raw);
  }

  private written(ghid: string, raw: Buffer | null): void {
    if (this.unwritten.get(ghid) !== raw) return;
    this.unwrittenBytes -= raw?.length ?? 0;
    this.unwritten.delete(ghid);
    if (this.unwrittenBytes <= this.maxUnwrittenBytes && this.roomWaiters.length > 0) {
      const waiting = this.roomWaiters;
      this.roomWaiters = [];
      for (const resolve of waiting) resolve();
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
    if (this.unwritten.has(ghid)) return this.unwritten.get(ghid)!;
    if (!this.entries.has(ghid)) return null;
    try {
      return await readFile(this.filePath(ghid));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        // Re-check: the file may have been replaced by a newer write while we read.
        return this.unwritten.get(ghid) ?? null;
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.drain();
    await this.checkpointing;
    await this.syncFiles();
    await this.writeSnapshot();
    await this.journal?.close();
    await rm(this.journalPath(this.journalIndex), { force: true });
    // Older journals are removed by the checkpoint that covered them.
  }

  // ---- writing

  private enqueue(record: Buffer, ghid: string, raw: Buffer | null, entry?: Entry): Promise<void> {
    if (this.closed) return Promise.reject(new HypergolixError('Object store is closed'));
    let unlink = false;
    if (entry) {
      const added = !this.entries.has(ghid);
      this.entries.set(entry);
      if (added) this.fileless.add(ghid);
    } else {
      this.entries.delete(ghid);
      // An object replaced before its file was written (a daemon's frames, mostly) has no
      // file to remove: skip the unlink rather than fail it.
      unlink = !this.fileless.delete(ghid);
    }
    this.setUnwritten(ghid, raw);
    sealRecord(record);
    return new Promise((resolve, reject) => {
      this.queue.push({ record, ghid, raw, unlink, resolve, reject });
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
          (err: unknown) => {
            for (const p of batch) p.reject(err as Error);
          },
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

  private async drain(): Promise<void> {
    while (this.committing) await this.committing;
    await this.fileOps;
  }

  /** Writes a committed batch's files. Only the last operation per GHID matters. */
  private async applyFiles(batch: Pending[], due: number): Promise<void> {
    const wait = due - Date.now();
    // Closing writes everything at once; so does a backlog that callers are waiting on.
    if (wait > 0 && !this.closed && this.roomWaiters.length === 0) await new Promise((r) => setTimeout(r, wait));
    const last = new Map<string, Pending>();
    for (const p of batch) last.set(p.ghid, p);
    // An operation that a later one on the same GHID has superseded is skipped: that one will
    // write (or remove) the file. File operations run one batch after another, so a skipped
    // write can never race the removal that superseded it.
    const jobs = [...last.values()].filter((p) => this.unwritten.get(p.ghid) === p.raw);
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const { ghid, raw, unlink } = jobs[next++]!;
        try {
          if (raw) {
            // From here on a delete must remove the file, even if it comes before the write ends.
            this.fileless.delete(ghid);
            await this.writeObjectFile(ghid, raw);
          } else if (unlink) {
            await unlinkIfExists(this.filePath(ghid));
          }
        } catch (err) {
          this.options.warn?.(`ghidcache: could not write ${ghid}${SUFFIX}: ${(err as Error).message} (the journal still holds it)`);
        }
        this.written(ghid, raw);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.ioConcurrency, jobs.length) }, worker));
  }

  private async writeObjectFile(ghid: string, raw: Buffer): Promise<void> {
    const final = this.filePath(ghid);
    const temp = join(this.dir, `${TEMP_PREFIX}${ghid}-${process.pid}`);
    await writeWhole(temp, raw);
    await rename(temp, final);
    this.unsynced.push(ghid);
  }

  /** Makes every file written so far durable, then starts a new journal and drops the old ones. */
  private async checkpoint(): Promise<void> {
    const old = this.journalIndex;
    const oldHandle = this.journal!;
    this.journalIndex += 1;
    this.journal = await JournalFile.create(this.journalPath(this.journalIndex));
    this.journalBytes = 0;
    // Later batches go to the new journal. The one in flight may be on the old one; once it is
    // through, every batch the old journal holds has its files queued. Waiting for the commit
    // loop to go idle instead would starve the checkpoint for as long as writes keep coming.
    await this.batchInFlight;
    await this.fileOps;
    await this.syncFiles();
    await this.writeSnapshot();
    await oldHandle.close();
    for (let n = old; n > 0; n--) {
      if (!(await rm(this.journalPath(n)).then(() => true, () => false))) break;
    }
  }

  private async syncFiles(): Promise<void> {
    const written = this.unsynced.take();
    // syncfs also waits for every other process's writes to the same file system, which a
    // desktop app closing with a handful of files to sync should not; past a few thousand
    // files it is much the cheaper way.
    if (written.size >= SYNCFS_FROM_FILES && (await syncFileSystem(this.dir))) return syncDir(this.dir);
    const ghids = written[Symbol.iterator]();
    const worker = async () => {
      // Files removed since they were written have nothing left to sync.
      for (let next = ghids.next(); !next.done; next = ghids.next()) {
        const fh = await open(this.filePath(next.value), 'r').catch(() => null);
        if (fh) await fh.sync().finally(() => fh.close());
      }
    };
    await Promise.all(Array.from({ length: Math.min(64, written.size) }, worker));
    await syncDir(this.dir);
  }

  private async writeSnapshot(): Promise<void> {
    await writeSnapshot(this.indexPath, this.entries.values(), await dirMtimeNs(this.dir));
  }

  // ---- loading

  private async readSnapshot(warnings: string[]): Promise<{ ok: boolean; dirMtimeNs: bigint | null }> {
    let data: Buffer;
    try {
      data = await readFile(this.indexPath);
    } catch {
      return { ok: false, dirMtimeNs: null };
    }
    try {
      return { ok: true, ...readSnapshot(data, (e) => this.entries.set(e)) };
    } catch (err) {
      this.entries.clear();
      warnings.push(`ghidcache index ${basename(this.indexPath)} is unreadable (${(err as Error).message}); rebuilding it from the files`);
      return { ok: false, dirMtimeNs: null };
    }
  }

  private async listJournals(): Promise<number[]> {
    const prefix = basename(this.dir) + '.journal.';
    const names = await readdir(dirname(this.dir)).catch(() => [] as string[]);
    return names
      .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
      .map((n) => Number(n.slice(prefix.length)))
      .sort((a, b) => a - b);
  }

  /** Re-applies a journal; its tail may be torn by a crash, which ends the replay. */
  private async replayJournal(n: number, warnings: string[]): Promise<void> {
    const data = await readFile(this.journalPath(n));
    const { records, end } = readRecords(data);
    for (const { op, body } of records) {
      if (op === OP_PUT) {
        const elen = body.readUInt32BE(0);
        const entry = decodeEntry(body.subarray(4, 4 + elen));
        const raw = body.subarray(4 + elen);
        this.entries.set(entry);
        const existing = await stat(this.filePath(entry.ghid)).catch(() => null);
        if (!existing || existing.size !== raw.length) await this.writeObjectFile(entry.ghid, Buffer.from(raw));
      } else if (op === OP_DEL) {
        const ghid = body.toString('latin1');
        this.entries.delete(ghid);
        await unlinkIfExists(this.filePath(ghid));
      }
    }
    // Past the last record: the zeros the journal was extended with, or a torn write.
    if (end < data.length && !isZero(data.subarray(end))) {
      warnings.push(`ghidcache journal ${n}: ignored a torn tail of ${data.length - end} bytes (an unacknowledged write)`);
    }
    if (records.length > 0) warnings.push(`ghidcache journal ${n}: replayed ${records.length} records after an unclean stop`);
  }
}

async function dirMtimeNs(dir: string): Promise<bigint | null> {
  try {
    return (await stat(dir, { bigint: true })).mtimeNs;
  } catch {
    return null;
  }
}

async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Writes a whole file, not synced: a checkpoint syncs the files written since the last one. */
async function writeWhole(path: string, data: Buffer): Promise<void> {
  const fh = await open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC, 0o600);
  try {
    await fh.writeFile(data);
  } finally {
    await fh.close();
  }
}
