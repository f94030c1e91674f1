/**
 * The file store's index snapshot, `<dir>.index` (docs/formats.md): every entry, written
 * atomically at checkpoints so that opening a store reads one file instead of parsing every
 * object. v3 puts the entry count after the entries, so a snapshot can be streamed while the
 * store keeps changing; v2 added the ghidcache directory's mtime (ns). v1 and v2 are still read.
 */
import { constants as fsc } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { fsyncDir } from '../util/atomic-write.js';
import { nodeFs, writeAll, type FsOps } from '../util/fs-ops.js';
import { decodeEntry, entryLength, writeEntry, type Entry } from './entry.js';

const MAGIC_V3 = Buffer.from('HGXIDX03', 'latin1');
const MAGIC_V2 = Buffer.from('HGXIDX02', 'latin1');
const MAGIC_V1 = Buffer.from('HGXIDX01', 'latin1');
const CHUNK = 1024 * 1024;

/**
 * Removes snapshots a crash left half-written beside `path` (`<path>.tmp-<pid>`, ~20 MB each at
 * 100,000 objects): a later process has another pid and never overwrites them. Only for the
 * holder of the store's lock, so no other process is writing one now.
 */
export async function removeStaleSnapshots(path: string, fs: FsOps = nodeFs): Promise<void> {
  const prefix = `${basename(path)}.tmp-`;
  const names = await fs.readdir(dirname(path)).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(prefix)).map((n) => fs.rm(join(dirname(path), n), { force: true }).catch(() => undefined)));
}

/**
 * Writes a snapshot of `entries` to `path` (temp file, fsync, rename, fsync the directory),
 * streamed through one reused 1 MiB buffer entry by entry: the index of 100,000 objects is
 * ~20 MB, which built whole (or listed first) would sit in memory until the next full
 * collection. The entries may change while it is written; the caller replays what changed since.
 */
export async function writeSnapshot(path: string, entries: Iterable<Entry>, dirMtimeNs: bigint | null, fs: FsOps = nodeFs): Promise<void> {
  const chunk = Buffer.allocUnsafeSlow(CHUNK);
  let pos = MAGIC_V3.copy(chunk, 0);
  pos = chunk.writeBigUInt64BE(dirMtimeNs ?? 0n, pos);
  let count = 0;
  const temp = `${path}.tmp-${process.pid}`;
  const fh = await fs.open(temp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC, 0o600);
  try {
    let crc = 0;
    const flush = async () => {
      crc = crc32(chunk.subarray(0, pos), crc);
      await writeAll(fh, chunk, 0, pos, null);
      pos = 0;
    };
    for (const e of entries) {
      const length = entryLength(e);
      if (pos + 4 + length + 8 > chunk.length) await flush();
      pos = chunk.writeUInt32BE(length, pos);
      pos = writeEntry(e, chunk, pos);
      count++;
    }
    pos = chunk.writeUInt32BE(count, pos);
    await flush();
    pos = chunk.writeUInt32BE(crc, 0);
    await writeAll(fh, chunk, 0, pos, null);
    await fh.sync();
    await fh.close();
    await fs.rename(temp, path);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dirname(path), fs);
}

/** The entries of a snapshot's bytes and the directory mtime it recorded; throws when the bytes are not a whole snapshot. */
export function readSnapshot(data: Buffer, add: (e: Entry) => void): { dirMtimeNs: bigint | null } {
  const body = data.subarray(0, data.length - 4);
  const magic = body.subarray(0, 8);
  const version = magic.equals(MAGIC_V3) ? 3 : magic.equals(MAGIC_V2) ? 2 : magic.equals(MAGIC_V1) ? 1 : 0;
  if (data.length < 16 || version === 0 || crc32(body) !== data.readUInt32BE(data.length - 4)) {
    throw new Error('bad checksum');
  }
  const dirMtimeNs = version >= 2 ? body.readBigUInt64BE(8) : null;
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
    add(decodeEntry(body.subarray(pos + 4, pos + 4 + len)));
    pos += 4 + len;
  }
  if (read !== count || pos !== end) throw new Error(`${read} entries where ${count} were counted`);
  return { dirMtimeNs };
}
