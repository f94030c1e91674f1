// The index snapshot itself (src/core/store/index-snapshot.ts, docs/formats.md `<ghidcache>.index`):
// `"HGXIDX03" | dir mtime ns u64 | (u32 length | entry)* | u32 count | crc32`, written by temp file,
// fsync, rename, directory fsync; read back by readSnapshot, which refuses anything not whole.
// (readIndex over snapshots is pinned in store-recovery.test.ts; this file pins writeSnapshot,
// readSnapshot and the directory sync (fsyncDir) they use.) Real files in a temp dir; v16 vectors for the entries.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { entryLength, entryOf, writeEntry, type Entry } from '../../../src/core/store/entry.js';
import { readSnapshot, removeStaleSnapshots, writeSnapshot } from '../../../src/core/store/index-snapshot.js';
import { fsyncDir as syncDir } from '../../../src/core/util/atomic-write.js';
import { nodeFs, type FsHandle, type FsOps } from '../../../src/core/util/fs-ops.js';
import { errnoError } from '../../fixtures/store/faulty-fs.js';
import { v16Objects } from '../../fixtures/vectors.js';

const entries: Entry[] = v16Objects().map((o) => entryOf(o.obj));

const root = mkdtempSync(join(tmpdir(), 'hgx-index-snapshot-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** `<root>/<n>/ghidcache.index` in a fresh directory holding nothing yet. */
function freshIndex(): string {
  const d = join(root, String(n++));
  mkdirSync(d);
  return join(d, 'ghidcache.index');
}

/** The entries readSnapshot gives, in order, and what it returns. */
function read(data: Buffer): { got: Entry[]; dirMtimeNs: bigint | null } {
  const got: Entry[] = [];
  const { dirMtimeNs } = readSnapshot(data, (e) => got.push(e));
  return { got, dirMtimeNs };
}

/** `u32 length | entry` for each, concatenated. */
function framed(list: readonly Entry[]): Buffer {
  return Buffer.concat(
    list.map((e) => {
      const b = Buffer.alloc(4 + entryLength(e));
      b.writeUInt32BE(entryLength(e), 0);
      writeEntry(e, b, 4);
      return b;
    }),
  );
}
const u32 = (v: number) => Buffer.from([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
const u64 = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  return b;
};
const sealed = (body: Buffer) => Buffer.concat([body, u32(crc32(body))]);

/** A handle passing every call to `h` (a FileHandle's methods live on its prototype), some replaced. */
function handleOf(h: FsHandle, over: Partial<FsHandle> = {}): FsHandle {
  return {
    write: (...a) => h.write(...a),
    writeFile: (d) => h.writeFile(d),
    chmod: (m) => h.chmod(m),
    truncate: (l) => h.truncate(l),
    sync: () => h.sync(),
    datasync: () => h.datasync(),
    close: () => h.close(),
    ...over,
  };
}

/** nodeFs, logging every call (and each handle's calls) as `op path`. */
function loggingFs(log: string[], over: Partial<FsOps> = {}, handle: (path: string, h: FsHandle) => FsHandle = (_p, h) => h): FsOps {
  const base: FsOps = { ...nodeFs, ...over };
  return {
    ...base,
    open: async (path, flags, mode) => {
      log.push(`open ${path} ${flags === 'r' ? 'r' : 'w'}`);
      const real = handleOf(handle(path, await base.open(path, flags, mode)));
      return {
        ...real,
        write: (...a) => (log.push(`write ${path}`), real.write(...a)),
        sync: () => (log.push(`sync ${path}`), real.sync()),
        close: () => (log.push(`close ${path}`), real.close()),
      };
    },
    rename: (from, to) => (log.push(`rename ${from} ${to}`), base.rename(from, to)),
    rm: (p, o) => (log.push(`rm ${p}`), base.rm(p, o)),
  };
}

// ---------------------------------------------------------------------------------------------
// the format

test('writeSnapshot: the bytes are exactly "HGXIDX03" | mtime u64 BE | (u32 length | entry)* | u32 count | crc32 of all before', async () => {
  const path = freshIndex();
  const mtime = 1_723_456_789_123_456_789n;
  await writeSnapshot(path, entries, mtime);
  const body = Buffer.concat([Buffer.from('HGXIDX03', 'latin1'), u64(mtime), framed(entries), u32(entries.length)]);
  assert.ok(readFileSync(path).equals(sealed(body)));
});

test('writeSnapshot → readSnapshot: every entry of every kind back, in order, with the directory mtime', async () => {
  const path = freshIndex();
  const mtime = 0xfedcba9876543210n;
  await writeSnapshot(path, entries, mtime);
  const { got, dirMtimeNs } = read(readFileSync(path));
  assert.deepEqual(got, entries);
  assert.equal(dirMtimeNs, mtime, 'the full u64 range survives');
  assert.deepEqual(new Set(got.map((e) => e.type)), new Set(['GIDC', 'GEOC', 'GOBS', 'GOBD', 'GDXX', 'GARQ']));
});

test('writeSnapshot: an empty index is 24 bytes and reads back as no entries', async () => {
  const path = freshIndex();
  await writeSnapshot(path, [], 42n);
  const data = readFileSync(path);
  assert.equal(data.length, 8 + 8 + 4 + 4);
  assert.deepEqual(read(data), { got: [], dirMtimeNs: 42n });
});

test('writeSnapshot: no known mtime is recorded as 0 (which no real directory has), read back as 0n', async () => {
  const path = freshIndex();
  await writeSnapshot(path, entries.slice(0, 2), null);
  assert.equal(readFileSync(path).readBigUInt64BE(8), 0n);
  assert.equal(read(readFileSync(path)).dirMtimeNs, 0n);
});

test('writeSnapshot: an index past the 1 MiB write buffer is streamed in several writes and reads back whole', async () => {
  const path = freshIndex();
  // ~14,000 entries of 98–466 bytes: a few MiB, several buffer flushes.
  const many = Array.from({ length: 14_000 }, (_, i) => entries[i % entries.length]!);
  const log: string[] = [];
  await writeSnapshot(path, many, 5n, loggingFs(log));
  const writes = log.filter((l) => l.startsWith('write ')).length;
  const size = statSync(path).size;
  assert.ok(size > 2 * 1024 * 1024, `${size} bytes`);
  assert.ok(writes >= Math.ceil(size / (1024 * 1024)), `${writes} writes for ${size} bytes`);
  const { got, dirMtimeNs } = read(readFileSync(path));
  assert.equal(got.length, many.length);
  assert.deepEqual(got, many);
  assert.equal(dirMtimeNs, 5n);
});

test('writeSnapshot takes any iterable, consumed once (a generator over a changing table)', async () => {
  const path = freshIndex();
  let pulls = 0;
  function* gen() {
    for (const e of entries) {
      pulls++;
      yield e;
    }
  }
  await writeSnapshot(path, gen(), 1n);
  assert.equal(pulls, entries.length);
  assert.deepEqual(read(readFileSync(path)).got, entries);
});

// ---------------------------------------------------------------------------------------------
// how it is written

test('writeSnapshot: temp file <path>.tmp-<pid>, fsync, close, rename over the path, then fsync of the directory', async () => {
  const path = freshIndex();
  const temp = `${path}.tmp-${process.pid}`;
  const log: string[] = [];
  await writeSnapshot(path, entries.slice(0, 3), 9n, loggingFs(log));
  const dir = dirname(path);
  const steps = log.filter((l) => !l.startsWith('write '));
  assert.deepEqual(steps, [`open ${temp} w`, `sync ${temp}`, `close ${temp}`, `rename ${temp} ${path}`, `open ${dir} r`, `sync ${dir}`, `close ${dir}`]);
  assert.ok(log.indexOf(`write ${temp}`) > 0 && log.lastIndexOf(`write ${temp}`) < log.indexOf(`sync ${temp}`), 'all writes before the fsync');
  assert.deepEqual(readdirSync(dir), ['ghidcache.index'], 'no temp file left');
});

test('writeSnapshot: the snapshot is mode 0600', { skip: process.platform === 'win32' && 'POSIX modes' }, async () => {
  const path = freshIndex();
  await writeSnapshot(path, entries, 1n);
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('writeSnapshot replaces an older snapshot whole, and a stale temp file of this pid is overwritten, not appended to', async () => {
  const path = freshIndex();
  await writeSnapshot(path, entries, 1n);
  writeFileSync(`${path}.tmp-${process.pid}`, Buffer.alloc(5000, 0xee));
  await writeSnapshot(path, entries.slice(0, 1), 2n);
  assert.deepEqual(read(readFileSync(path)), { got: entries.slice(0, 1), dirMtimeNs: 2n });
  assert.deepEqual(readdirSync(dirname(path)), ['ghidcache.index']);
});

test('writeSnapshot: a full disk midway (ENOSPC on the second write) leaves the old snapshot byte-identical and no temp file', async () => {
  const path = freshIndex();
  await writeSnapshot(path, entries, 1n);
  const old = readFileSync(path);
  const many = Array.from({ length: 14_000 }, (_, i) => entries[i % entries.length]!);
  let writes = 0;
  const log: string[] = [];
  const fs = loggingFs(log, {}, (p, h) =>
    handleOf(h, {
      write: async (...a) => {
        if (++writes === 2) throw errnoError('ENOSPC', 'write', p);
        return h.write(...a);
      },
    }),
  );
  await assert.rejects(writeSnapshot(path, many, 2n, fs), { code: 'ENOSPC' });
  assert.ok(readFileSync(path).equals(old));
  assert.deepEqual(readdirSync(dirname(path)), ['ghidcache.index']);
  assert.ok(!log.some((l) => l.startsWith('rename')), 'never renamed into place');
  assert.ok(log.includes(`close ${path}.tmp-${process.pid}`), 'the temp file was closed');
});

test('writeSnapshot: a failed fsync (EIO) or rename (EROFS) leaves the old snapshot and no temp file', async () => {
  for (const fault of ['fsync', 'rename'] as const) {
    const path = freshIndex();
    await writeSnapshot(path, entries.slice(0, 2), 1n);
    const old = readFileSync(path);
    const fs =
      fault === 'rename'
        ? loggingFs([], { rename: async (from) => Promise.reject(errnoError('EROFS', 'rename', from)) })
        : loggingFs([], {}, (p, h) => handleOf(h, { sync: async () => Promise.reject(errnoError('EIO', 'fsync', p)) }));
    await assert.rejects(writeSnapshot(path, entries, 2n, fs), { code: fault === 'rename' ? 'EROFS' : 'EIO' }, fault);
    assert.ok(readFileSync(path).equals(old), fault);
    assert.deepEqual(readdirSync(dirname(path)), ['ghidcache.index'], fault);
  }
});

test('writeSnapshot: entries that throw midway leave no snapshot and no temp file', async () => {
  const path = freshIndex();
  function* broken() {
    yield entries[0]!;
    throw new Error('table changed shape');
  }
  await assert.rejects(writeSnapshot(path, broken(), 1n), /table changed shape/);
  assert.deepEqual(readdirSync(dirname(path)), []);
});

test('writeSnapshot: a failing directory fsync rejects, after the new snapshot is in place', async () => {
  const path = freshIndex();
  const dir = dirname(path);
  const fs = loggingFs([], {}, (p, h) => (p === dir ? handleOf(h, { sync: async () => Promise.reject(errnoError('EIO', 'fsync', p)) }) : h));
  await assert.rejects(writeSnapshot(path, entries, 3n, fs), { code: 'EIO' });
  assert.deepEqual(read(readFileSync(path)), { got: entries, dirMtimeNs: 3n });
});

test('writeSnapshot into a missing directory rejects with ENOENT and creates nothing', async () => {
  const path = join(dirname(freshIndex()), 'missing', 'ghidcache.index');
  await assert.rejects(writeSnapshot(path, entries, 1n), { code: 'ENOENT' });
  assert.equal(existsSync(dirname(path)), false);
});

// ---------------------------------------------------------------------------------------------
// older versions

test('readSnapshot reads v2: "HGXIDX02" | mtime | u32 count | entries | crc32', () => {
  const body = Buffer.concat([Buffer.from('HGXIDX02', 'latin1'), u64(77n), u32(entries.length), framed(entries)]);
  assert.deepEqual(read(sealed(body)), { got: entries, dirMtimeNs: 77n });
  const empty = Buffer.concat([Buffer.from('HGXIDX02', 'latin1'), u64(1n), u32(0)]);
  assert.deepEqual(read(sealed(empty)), { got: [], dirMtimeNs: 1n });
});

test('readSnapshot reads v1: "HGXIDX01" | u32 count | entries | crc32, with no mtime (null)', () => {
  const body = Buffer.concat([Buffer.from('HGXIDX01', 'latin1'), u32(entries.length), framed(entries)]);
  assert.deepEqual(read(sealed(body)), { got: entries, dirMtimeNs: null });
  assert.deepEqual(read(sealed(Buffer.concat([Buffer.from('HGXIDX01', 'latin1'), u32(0)]))), { got: [], dirMtimeNs: null });
});

// ---------------------------------------------------------------------------------------------
// refusing what is not whole

test('readSnapshot refuses every truncation of a snapshot, adding nothing', async () => {
  const path = freshIndex();
  await writeSnapshot(path, entries.slice(0, 4), 7n);
  const whole = readFileSync(path);
  for (let len = 0; len < whole.length; len++) {
    let added = 0;
    assert.throws(() => readSnapshot(whole.subarray(0, len), () => added++), Error, `${len} of ${whole.length} bytes`);
    assert.equal(added, 0, `${len} bytes: nothing added before the checksum is checked`);
  }
});

test('readSnapshot refuses every single bit flip, anywhere (magic, mtime, entries, count, checksum), adding nothing', async () => {
  const path = freshIndex();
  await writeSnapshot(path, entries.slice(0, 4), 7n);
  const whole = readFileSync(path);
  let added = 0;
  for (let at = 0; at < whole.length; at++) {
    for (let bit = 0; bit < 8; bit++) {
      const bad = Buffer.from(whole);
      bad[at]! ^= 1 << bit;
      assert.throws(() => readSnapshot(bad, () => added++), /bad checksum/, `bit ${bit} of byte ${at}`);
    }
  }
  assert.equal(added, 0);
});

test('readSnapshot refuses bytes appended after a whole snapshot', async () => {
  const path = freshIndex();
  await writeSnapshot(path, entries.slice(0, 2), 7n);
  const whole = readFileSync(path);
  assert.throws(() => readSnapshot(Buffer.concat([whole, Buffer.alloc(4)]), () => undefined));
  assert.throws(() => readSnapshot(Buffer.concat([whole, whole]), () => undefined));
});

test('readSnapshot refuses an unknown magic even with a valid checksum', () => {
  for (const magic of ['HGXIDX04', 'HGXIDX00', 'hgxidx03', '\0\0\0\0\0\0\0\0']) {
    const body = Buffer.concat([Buffer.from(magic, 'latin1'), u64(1n), framed(entries.slice(0, 1)), u32(1)]);
    assert.throws(() => readSnapshot(sealed(body), () => undefined), /bad checksum/, magic);
  }
});

test('readSnapshot refuses a sealed v3 whose entry length runs past the count (a "truncated entry")', () => {
  const one = framed(entries.slice(0, 1));
  one.writeUInt32BE(one.readUInt32BE(0) + 10, 0);
  const body = Buffer.concat([Buffer.from('HGXIDX03', 'latin1'), u64(1n), one, u32(1)]);
  assert.throws(() => readSnapshot(sealed(body), () => undefined), /truncated entry/);
});

test('readSnapshot refuses a sealed v2 with entries beyond its count', () => {
  const body = Buffer.concat([Buffer.from('HGXIDX02', 'latin1'), u64(1n), u32(1), framed(entries.slice(0, 2))]);
  assert.throws(() => readSnapshot(sealed(body), () => undefined), /1 entries where 1 were counted/);
});

// ---------------------------------------------------------------------------------------------
// syncDir

test('syncDir: opens the directory read-only, fsyncs it and closes it', async () => {
  const dir = dirname(freshIndex());
  const log: string[] = [];
  await syncDir(dir, loggingFs(log));
  assert.deepEqual(log, [`open ${dir} r`, `sync ${dir}`, `close ${dir}`]);
  await syncDir(dir); // with the real node:fs
});

test('syncDir: a directory that cannot be opened is skipped where a platform has no directory handles', async () => {
  const dir = dirname(freshIndex());
  for (const code of ['EISDIR', 'EPERM', 'EACCES', 'ENOTSUP']) {
    const log: string[] = [];
    await syncDir(dir, loggingFs(log, { open: async (p) => Promise.reject(errnoError(code, 'open', p)) }));
    assert.deepEqual(log, [`open ${dir} r`]);
  }
});

test('syncDir: any other failure to open the directory (missing, EMFILE, EIO) rejects: its names are not known durable', async () => {
  const missing = join(dirname(freshIndex()), 'missing');
  await assert.rejects(syncDir(missing), { code: 'ENOENT' });
  const dir = dirname(freshIndex());
  for (const code of ['EMFILE', 'EIO']) {
    await assert.rejects(syncDir(dir, loggingFs([], { open: async (p) => Promise.reject(errnoError(code, 'open', p)) })), { code });
  }
});

test('syncDir: a failing fsync (EIO) is the caller\'s: it rejects, and the handle is still closed', async () => {
  const dir = dirname(freshIndex());
  const log: string[] = [];
  const fs = loggingFs(log, {}, (p, h) => handleOf(h, { sync: async () => Promise.reject(errnoError('EIO', 'fsync', p)) }));
  await assert.rejects(syncDir(dir, fs), { code: 'EIO' });
  assert.deepEqual(log, [`open ${dir} r`, `sync ${dir}`, `close ${dir}`]);
});

test('removeStaleSnapshots: half-written snapshots of earlier processes beside the index go; the index and other files stay', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-snap-stale-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const index = join(dir, 'ghidcache.index');
  for (const name of ['ghidcache.index', 'ghidcache.index.tmp-4242', 'ghidcache.index.tmp-1', 'ghidcache.journal.1', 'other.index.tmp-7']) writeFileSync(join(dir, name), 'x');
  await removeStaleSnapshots(index);
  assert.deepEqual(readdirSync(dir).sort(), ['ghidcache.index', 'ghidcache.journal.1', 'other.index.tmp-7']);
  await removeStaleSnapshots(join(dir, 'missing', 'ghidcache.index')); // no folder: nothing to do
});
