/**
 * The file store's journal (docs/formats.md): records `u32 length | op u8 | crc32 u32 | body`,
 * written in place into space extended ahead with zeros, each batch committed with one
 * synchronous write. Replay reads records until the first that is zero, torn or fails its
 * checksum.
 */
import { constants as fsc } from 'node:fs';
import { crc32 } from 'node:zlib';
import { dirname } from 'node:path';
import { fsyncDir } from '../util/atomic-write.js';
import { DSYNC_FLAG, writeDurably } from '../util/durable-write.js';
import { nodeFs, writeAll, type FsHandle, type FsOps } from '../util/fs-ops.js';
import { entryLength, writeEntry, type Entry } from './entry.js';

export const OP_PUT = 1;
export const OP_DEL = 2;
/**
 * The op bytes written: a PUT or DEL whose checksum covers the op byte too (crc32 of op, then
 * body). A record written before them (ops 1 and 2) covers its body only, so a damaged op byte
 * read as intact: a PUT replayed as a delete of a garbage name. Those still replay, as written.
 */
const SEALED_OP: Record<number, number> = { [OP_PUT]: 3, [OP_DEL]: 4 };
const OP_OF_SEALED: Record<number, number> = { 3: OP_PUT, 4: OP_DEL };
/** `u32 length | op u8 | crc32 u32` before each record's body. */
export const RECORD_HEAD = 9;

/** A record with room for a body of `length` bytes; seal() fills in its checksum once the body is written. */
export function newRecord(op: number, length: number): Buffer {
  const record = Buffer.allocUnsafeSlow(RECORD_HEAD + length);
  record.writeUInt32BE(length + 5, 0);
  record.writeUInt8(SEALED_OP[op] ?? op, 4);
  return record;
}

/** The checksum of a record: over its op byte and body, or (ops 1 and 2, written before) its body only. */
function checksum(op: number, body: Buffer): number {
  return OP_OF_SEALED[op] === undefined ? crc32(body) : crc32(body, crc32(Buffer.of(op)));
}

/** Fills in a record's checksum once its body is written; returns the record. */
export function sealRecord(record: Buffer): Buffer {
  record.writeUInt32BE(checksum(record.readUInt8(4), record.subarray(RECORD_HEAD)), 5);
  return record;
}

/**
 * A PUT record, not sealed yet: `u32 entry length | entry | object bytes`, in one allocation of
 * its own (the object's bytes held until its file is written are a view into it: `raw` is
 * usually a view into a much larger socket read, which holding it would keep alive).
 */
export function putRecord(entry: Entry, raw: Buffer): Buffer {
  const elen = entryLength(entry);
  const record = newRecord(OP_PUT, 4 + elen + raw.length);
  record.writeUInt32BE(elen, RECORD_HEAD);
  writeEntry(entry, record, RECORD_HEAD + 4);
  raw.copy(record, RECORD_HEAD + 4 + elen);
  return record;
}

/** A DEL record, not sealed yet: the 88-character GHID. */
export function delRecord(ghid: string): Buffer {
  const record = newRecord(OP_DEL, ghid.length);
  record.write(ghid, RECORD_HEAD, 'latin1');
  return record;
}

/** The intact records of a journal's bytes, in order, and where they end. */
export function readRecords(data: Buffer): { records: { op: number; body: Buffer }[]; end: number } {
  const records: { op: number; body: Buffer }[] = [];
  let pos = 0;
  while (pos + RECORD_HEAD <= data.length) {
    const len = data.readUInt32BE(pos);
    if (len < 5 || pos + 4 + len > data.length) break;
    const body = data.subarray(pos + RECORD_HEAD, pos + 4 + len);
    const written = data.readUInt8(pos + 4);
    const op = OP_OF_SEALED[written] ?? written;
    // An op no journal writes is damage, as a failed checksum is: the records end there.
    if ((op !== OP_PUT && op !== OP_DEL) || checksum(written, body) !== data.readUInt32BE(pos + 5)) break;
    records.push({ op, body });
    pos += 4 + len;
  }
  return { records, end: pos };
}

export function isZero(data: Buffer): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}

const ZEROS = Buffer.alloc(256 * 1024);
const MAX_EXTEND = 4 * 1024 * 1024;

/**
 * A journal being written. Overwriting blocks the file already has leaves the sync nothing but
 * the data to flush; appending would also commit the file's new size through the file system's
 * own journal on every commit, which costs latency and CPU on the critical path of every
 * acknowledged write. Replay stops at the first zero length, so the padding reads as the end.
 */
export class JournalFile {
  private position = 0;
  private allocated = 0;
  /** Extensions run one at a time (a probe may reserve while a commit does). */
  private extending: Promise<unknown> = Promise.resolve();
  /** Commits run one at a time, each after the previous one's place. */
  private committing: Promise<unknown> = Promise.resolve();
  /** The end of a failed commit's bytes that could not be zeroed: the next commit zeroes up to it. */
  private dirtyEnd = 0;

  private constructor(
    readonly path: string,
    private readonly fh: FsHandle,
  ) {}

  static async create(path: string, fs: FsOps = nodeFs): Promise<JournalFile> {
    const flags = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | DSYNC_FLAG;
    const fh = await fs.open(path, flags, 0o600);
    try {
      // Its name durable before any commit to it is acknowledged: POSIX promises a new file's
      // directory entry only after the directory is synced (a power cut could lose the journal).
      await fsyncDir(dirname(path), fs);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    return new JournalFile(path, fh);
  }

  /**
   * Writes `data` after the previous commit and makes it durable. When it fails, nothing counts
   * as committed and the next commit writes over the same place; the failed bytes are zeroed
   * where possible, so that a crash before then cannot replay part of a batch nobody was told
   * had been stored.
   */
  commit(data: Buffer): Promise<void> {
    const run = this.committing.then(() => this.commitNow(data));
    this.committing = run.catch(() => undefined);
    return run;
  }

  private async commitNow(data: Buffer): Promise<void> {
    // A failed commit whose zeroing failed too left records past this one's end: they go in the
    // same durable write, or replay would take them after this one.
    const stale = Math.max(0, this.dirtyEnd - (this.position + data.length));
    const out = stale > 0 ? Buffer.concat([data, Buffer.alloc(stale)]) : data;
    await this.reserve(out.length);
    try {
      await writeDurably(this.fh, out, this.position);
    } catch (err) {
      await writeDurably(this.fh, Buffer.alloc(out.length), this.position).then(
        () => {
          if (this.dirtyEnd <= this.position + out.length) this.dirtyEnd = 0;
        },
        () => {
          this.dirtyEnd = Math.max(this.dirtyEnd, this.position + out.length);
        },
      );
      throw err;
    }
    this.position += data.length;
    if (this.dirtyEnd <= this.position) this.dirtyEnd = 0;
  }

  /** Makes sure the next `length` bytes are allocated (a full disk shows here, before any record is written). */
  reserve(length: number): Promise<void> {
    const run = this.extending.then(() => this.extend(this.position + length));
    this.extending = run.catch(() => undefined);
    return run;
  }

  private async extend(end: number): Promise<void> {
    while (end > this.allocated) {
      // Grow by doubling from 64 KiB up to 4 MiB at a time: small for an idle daemon, rare for a busy server.
      const step = Math.min(MAX_EXTEND, Math.max(64 * 1024, this.allocated));
      try {
        for (let done = 0; done < step; done += ZEROS.length) {
          await writeAll(this.fh, ZEROS, 0, Math.min(ZEROS.length, step - done), this.allocated + done);
        }
      } catch (err) {
        // A step that did not fit gives back what it took: a full disk keeps its last free bytes
        // for the object files and the probe, not for padding nobody can use.
        await this.fh.truncate(this.allocated).catch(() => undefined);
        throw err;
      }
      this.allocated += step;
    }
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
