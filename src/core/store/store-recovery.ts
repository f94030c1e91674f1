/**
 * Opening a file store after any stop, clean or not: its index snapshot is read (or found
 * unusable and rebuilt from the files), and journals left behind are replayed in order. Never
 * refuses to open over a half-written file: a torn journal tail ends the replay, a bad index is
 * rebuilt, and each repair is reported as a warning.
 */
import { basename, dirname } from 'node:path';
import type { FsOps } from '../util/fs-ops.js';
import { decodeEntry } from './entry.js';
import type { EntryTable } from './entry-table.js';
import { readSnapshot } from './index-snapshot.js';
import { OP_DEL, OP_PUT, isZero, readRecords } from './journal-file.js';

/** Reads the index snapshot into `entries`; `ok` false when there is none or it was unusable. */
export async function readIndex(fs: FsOps, path: string, entries: EntryTable, warnings: string[]): Promise<{ ok: boolean; dirMtimeNs: bigint | null }> {
  let data: Buffer;
  try {
    data = await fs.readFile(path);
  } catch (err) {
    // None yet is the normal case; one that is there but cannot be read is a repair to report.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') warnings.push(`ghidcache index ${basename(path)} could not be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); rebuilding it from the files`);
    return { ok: false, dirMtimeNs: null };
  }
  try {
    return { ok: true, ...readSnapshot(data, (e) => entries.set(e)) };
  } catch (err) {
    entries.clear();
    warnings.push(`ghidcache index ${basename(path)} is unreadable (${(err as Error).message}); rebuilding it from the files`);
    return { ok: false, dirMtimeNs: null };
  }
}

/** The numbers of the journals `<dir>.journal.<n>` beside the directory, in order. */
export async function listJournals(fs: FsOps, dir: string): Promise<number[]> {
  const prefix = basename(dir) + '.journal.';
  // None when the folder is not there yet; any other failure is thrown: taken for "no journals",
  // it would let the store start journal 1 over one not yet replayed.
  const names = await fs.readdir(dirname(dir)).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => Number(n.slice(prefix.length)))
    .sort((a, b) => a - b);
}

export interface ReplayTarget {
  entries: EntryTable;
  /**
   * Brings an object's file in line with a record: writes `raw`, or removes the file for null.
   * A write that fails keeps the bytes in memory (the journal is kept too), so it resolves
   * whether it worked instead of throwing.
   */
  apply(ghid: string, raw: Buffer | null): Promise<boolean>;
  /**
   * Whether the object's file holds exactly these bytes. Sizes alone would miss a file torn
   * after it was extended (the right length, zeros where the data never landed).
   */
  fileHolds(ghid: string, raw: Buffer): Promise<boolean>;
}

/** Re-applies a journal; its tail may be torn by a crash, which ends the replay. */
export async function replayJournal(fs: FsOps, path: string, n: number, warnings: string[], target: ReplayTarget): Promise<void> {
  const data = await fs.readFile(path);
  const { records, end } = readRecords(data);
  for (const { op, body } of records) {
    if (op === OP_PUT) {
      const elen = body.readUInt32BE(0);
      const entry = decodeEntry(body.subarray(4, 4 + elen));
      const raw = body.subarray(4 + elen);
      target.entries.set(entry);
      if (!(await target.fileHolds(entry.ghid, raw))) await target.apply(entry.ghid, Buffer.from(raw));
    } else if (op === OP_DEL) {
      const ghid = body.toString('latin1');
      target.entries.delete(ghid);
      await target.apply(ghid, null);
    }
  }
  // Past the last record: the zeros the journal was extended with, or a torn write.
  if (end < data.length && !isZero(data.subarray(end))) {
    warnings.push(`ghidcache journal ${n}: ignored a torn tail of ${data.length - end} bytes (an unacknowledged write)`);
  }
  if (records.length > 0) warnings.push(`ghidcache journal ${n}: replayed ${records.length} records after an unclean stop`);
}
