import { constants as fsc } from 'node:fs';
import { mkdir, open, type FileHandle, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Ghid, HypergolixError, parseObject } from '../golix/index.js';
import { DSYNC_FLAG, syncFileSystem, writeDurably } from '../util/durable-write.js';
import { decodeEntry, entryLength, entryOf, writeEntry, type Entry } from './entry.js';
import { EntryTable } from './entry-table.js';
import { GhidList } from './ghid-list.js';
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

const SUFFIX = '.ghid';
const TEMP_PREFIX = '.tmp-';
/**
 * v3 moves the entry count after the entries, so that a snapshot can be streamed while the store
 * keeps changing; v2 added the ghidcache directory's mtime (ns). v1 and v2 are still read.
 */
const SNAPSHOT_MAGIC = Buffer.from('HGXIDX03', 'latin1');
const SNAPSHOT_MAGIC_V2 = Buffer.from('HGXIDX02', 'latin1');
const SNAPSHOT_MAGIC_V1 = Buffer.from('HGXIDX01', 'latin1');
const SNAPSHOT_CHUNK = 1024 * 1024;
/** Files to make durable at a checkpoint from which one syncfs replaces an fsync each. */
const SYNCFS_FROM_FILES = 2000;
const OP_PUT = 1;
const OP_DEL = 2;
/** `u32 length | op u8 | crc32 u32` before each journal record's body. */
const RECORD_HEAD = 9;

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
 * Files are the source of truth: an object file missing from the index is parsed and indexed,
 * an index entry without its file is dropped, and a stray or corrupt file is moved to
 * `<dir>.quarantine/` with a warning instead of stopping the boot.
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

  private get quarantineDir(): string {
    return `${this.dir}.quarantine`;
  }

  private journalPath(n: number): string {
    return `${this.dir}.journal.${n}`;
  }

  private filePath(ghid: string): string {
    return join(this.dir, ghid + SUFFIX);
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
    if (!untouched && (await this.reconcile(warnings))) dirty = true;
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
      const record = this.record(OP_PUT, 4 + elen + received.length);
      record.writeUInt32BE(elen, RECORD_HEAD);
      writeEntry(entry, record, RECORD_HEAD + 4);
      received.copy(record, RECORD_HEAD + 4 + elen);
      const raw = record.subarray(RECORD_HEAD + 4 + elen);
      return this.enqueue(record, entry.ghid, raw, entry).then(() => this.room());
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /** A journal record with room for a body of `length` bytes; enqueue() fills in its checksum. */
  private record(op: number, length: number): Buffer {
    const record = Buffer.allocUnsafeSlow(RECORD_HEAD + length);
    record.writeUInt32BE(length + 5, 0);
    record.writeUInt8(op, 4);
    return record;
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
    const record = this.record(OP_DEL, ghid.length);
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
    record.writeUInt32BE(crc32(record.subarray(RECORD_HEAD)), 5);
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
    await writeWhole(temp, raw, false);
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

  /**
   * Streamed through one reused 1 MiB buffer, entry by entry: the index of 100,000 objects is
   * ~20 MB, which built whole (or listed first) would sit in memory until the next full
   * collection. A checkpoint writes it while ingests go on, so it may hold any state of an entry
   * from the journal rotation onwards; replaying the newer journal, which has every change since
   * the rotation, brings each entry to its latest state.
   */
  private async writeSnapshot(): Promise<void> {
    const chunk = Buffer.allocUnsafeSlow(SNAPSHOT_CHUNK);
    let pos = SNAPSHOT_MAGIC.copy(chunk, 0);
    pos = chunk.writeBigUInt64BE((await dirMtimeNs(this.dir)) ?? 0n, pos);
    let count = 0;
    const temp = `${this.indexPath}${TEMP_PREFIX}${process.pid}`;
    const fh = await open(temp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC, 0o600);
    try {
      let crc = 0;
      const flush = async () => {
        crc = crc32(chunk.subarray(0, pos), crc);
        await fh.write(chunk, 0, pos);
        pos = 0;
      };
      for (const e of this.entries.values()) {
        const length = entryLength(e);
        if (pos + 4 + length + 8 > chunk.length) await flush();
        pos = chunk.writeUInt32BE(length, pos);
        pos = writeEntry(e, chunk, pos);
        count++;
      }
      pos = chunk.writeUInt32BE(count, pos);
      await flush();
      pos = chunk.writeUInt32BE(crc, 0);
      await fh.write(chunk, 0, pos);
      await fh.sync();
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    } finally {
      await fh.close();
    }
    await rename(temp, this.indexPath);
    await syncDir(dirname(this.indexPath));
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
      const body = data.subarray(0, data.length - 4);
      const magic = body.subarray(0, 8);
      const version = magic.equals(SNAPSHOT_MAGIC) ? 3 : magic.equals(SNAPSHOT_MAGIC_V2) ? 2 : magic.equals(SNAPSHOT_MAGIC_V1) ? 1 : 0;
      if (data.length < 16 || version === 0 || crc32(body) !== data.readUInt32BE(data.length - 4)) {
        throw new Error('bad checksum');
      }
      const dirMtime = version >= 2 ? body.readBigUInt64BE(8) : null;
      let pos = version >= 2 ? 16 : 8;
      let end = body.length;
      let count: number;
      if (version === 3) {
        end -= 4;
        count = body.readUInt32BE(end);
      } else {
        count = body.readUInt32BE(pos);
        pos += 4;
      }
      let read = 0;
      for (; pos < end && read < count; read++) {
        const len = body.readUInt32BE(pos);
        if (pos + 4 + len > end) throw new Error('truncated entry');
        this.entries.set(decodeEntry(body.subarray(pos + 4, pos + 4 + len)));
        pos += 4 + len;
      }
      if (read !== count || pos !== end) throw new Error(`${read} entries where ${count} were counted`);
      return { ok: true, dirMtimeNs: dirMtime };
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
    let pos = 0;
    let applied = 0;
    while (pos + 9 <= data.length) {
      const len = data.readUInt32BE(pos);
      if (len < 5 || pos + 4 + len > data.length) break;
      const op = data.readUInt8(pos + 4);
      const body = data.subarray(pos + 9, pos + 4 + len);
      if (crc32(body) !== data.readUInt32BE(pos + 5)) break;
      pos += 4 + len;
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
      applied++;
    }
    // Past the last record: the zeros the journal was extended with, or a torn write.
    if (pos < data.length && !isZero(data.subarray(pos))) {
      warnings.push(`ghidcache journal ${n}: ignored a torn tail of ${data.length - pos} bytes (an unacknowledged write)`);
    }
    if (applied > 0) warnings.push(`ghidcache journal ${n}: replayed ${applied} records after an unclean stop`);
  }

  /** Makes the entries agree with the files, which are the truth. Returns whether anything changed. */
  private async reconcile(warnings: string[]): Promise<boolean> {
    let changed = false;
    const names = await readdir(this.dir);
    const present = new Set<string>();
    for (const name of names) {
      if (name.startsWith(TEMP_PREFIX)) {
        await rm(join(this.dir, name), { force: true });
        continue;
      }
      const ghid = name.endsWith(SUFFIX) ? name.slice(0, -SUFFIX.length) : null;
      if (ghid && this.entries.has(ghid)) {
        present.add(ghid);
        continue;
      }
      const why = ghid ? await this.adopt(ghid) : 'not an object file';
      if (why === null) {
        present.add(ghid!);
      } else {
        await this.quarantine(name, why, warnings);
      }
      changed = true;
    }
    for (const ghid of [...this.entries.refs()].map((ref) => this.entries.ghidAt(ref))) {
      if (!present.has(ghid)) {
        this.entries.delete(ghid);
        warnings.push(`ghidcache: ${ghid.slice(0, 12)}… was indexed but its file is gone; forgetting it`);
        changed = true;
      }
    }
    return changed;
  }

  /** Indexes an unindexed object file. Returns null, or why the file is unusable. */
  private async adopt(ghid: string): Promise<string | null> {
    try {
      const raw = await readFile(this.filePath(ghid));
      const obj = parseObject(raw, { maxBytes: Number.MAX_SAFE_INTEGER });
      if (obj.ghid.text !== ghid) return `its content is object ${obj.ghid.text.slice(0, 12)}…, not the one its name says`;
      this.entries.set(entryOf(obj));
      return null;
    } catch (err) {
      return err instanceof HypergolixError ? `${err.name}: ${err.message}` : (err as Error).message;
    }
  }

  private async quarantine(name: string, why: string, warnings: string[]): Promise<void> {
    await mkdir(this.quarantineDir, { recursive: true, mode: 0o700 });
    const dest = join(this.quarantineDir, `${Date.now()}-${name}`);
    await rename(join(this.dir, name), dest).catch(() => rm(join(this.dir, name), { force: true, recursive: true }));
    warnings.push(`ghidcache: moved ${name} to ${dest} (${why})`);
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

async function writeWhole(path: string, data: Buffer, sync: boolean): Promise<void> {
  const fh = await open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC, 0o600);
  try {
    await fh.writeFile(data);
    if (sync) await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => null);
  if (fh) await fh.sync().catch(() => {}).finally(() => fh.close());
}

function isZero(data: Buffer): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}

const ZEROS = Buffer.alloc(256 * 1024);
const MAX_EXTEND = 4 * 1024 * 1024;

/**
 * A store journal written in place into space extended ahead with zeros. Overwriting blocks
 * the file already has leaves the sync nothing but the data to flush; appending would also
 * commit the file's new size through the file system's own journal on every commit, which
 * costs latency and CPU on the critical path of every acknowledged write. Replay stops at the
 * first zero length, so the padding reads as the end.
 */
class JournalFile {
  private position = 0;
  private allocated = 0;

  private constructor(private readonly fh: FileHandle) {}

  static async create(path: string): Promise<JournalFile> {
    const flags = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | DSYNC_FLAG;
    return new JournalFile(await open(path, flags, 0o600));
  }

  /** Writes `data` after the previous commit and makes it durable. */
  async commit(data: Buffer): Promise<void> {
    const end = this.position + data.length;
    while (end > this.allocated) {
      // Grow by doubling from 64 KiB up to 4 MiB at a time: small for an idle daemon, rare for a busy server.
      const step = Math.min(MAX_EXTEND, Math.max(64 * 1024, this.allocated));
      for (let done = 0; done < step; done += ZEROS.length) {
        await this.fh.write(ZEROS, 0, Math.min(ZEROS.length, step - done), this.allocated + done);
      }
      this.allocated += step;
    }
    await writeDurably(this.fh, data, this.position);
    this.position = end;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
