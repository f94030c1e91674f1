// How a failed write is recognised as storage trouble and described (src/core/util/disk-space.ts):
// the errno (ENOSPC/EDQUOT full; EIO/EROFS refusing), the path named, the free bytes via statfs,
// and the one-line message. A real ENOSPC and EROFS come from a small tmpfs (root only; skipped
// with the reason elsewhere); the other errnos are constructed the way Node builds them.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FULL_ERRNOS,
  STORAGE_ERRNOS,
  errorPath,
  freeBytesAt,
  readableBytes,
  storageErrno,
  storageTrouble,
} from '../../../src/core/util/disk-space.js';
import { mountSmallDisk, type SmallDisk } from '../../fixtures/server/small-disk.js';

const dir = mkdtempSync(join(tmpdir(), 'hgx-disk-space-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An fs error as Node makes one: `CODE: text, syscall 'path'` with code, errno, syscall and path. */
function errnoError(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: constructed, ${syscall}${path ? ` '${path}'` : ''}`);
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  return err;
}

const disks: SmallDisk[] = [];
after(() => disks.forEach((d) => d.unmount()));
/** A mounted 256 KiB tmpfs, or the reason there is none (the test is then skipped with it). */
function smallDisk(): SmallDisk | string {
  const d = mountSmallDisk(256 * 1024);
  if (typeof d !== 'string') disks.push(d);
  return d;
}

// ---------------------------------------------------------------------------------------------
// the errno sets

test('STORAGE_ERRNOS are ENOSPC, EDQUOT, EIO, EROFS; FULL_ERRNOS the two that mean no room', () => {
  assert.deepEqual([...STORAGE_ERRNOS].sort(), ['EDQUOT', 'EIO', 'ENOSPC', 'EROFS']);
  assert.deepEqual([...FULL_ERRNOS].sort(), ['EDQUOT', 'ENOSPC']);
  for (const e of FULL_ERRNOS) assert.ok(STORAGE_ERRNOS.has(e));
});

// ---------------------------------------------------------------------------------------------
// storageErrno, errorPath

test('storageErrno: each storage errno is recognised; other errnos, plain errors and non-errors are not', () => {
  for (const code of ['ENOSPC', 'EDQUOT', 'EIO', 'EROFS']) assert.equal(storageErrno(errnoError(code, 'write')), code);
  for (const code of ['ENOENT', 'EACCES', 'EEXIST', 'EISDIR', 'EMFILE', 'ERR_INVALID_ARG_TYPE']) {
    assert.equal(storageErrno(errnoError(code, 'open', '/x')), null, code);
  }
  assert.equal(storageErrno(new Error('ENOSPC: only in the message')), null, 'the message is not read');
  assert.equal(storageErrno(Object.assign(new Error('numeric'), { code: 28 })), null, 'a numeric code is not an errno name');
  assert.equal(storageErrno({ code: 'ENOSPC' }), null, 'a plain object is not an Error');
  assert.equal(storageErrno('ENOSPC'), null);
  assert.equal(storageErrno(null), null);
  assert.equal(storageErrno(undefined), null);
});

test('storageErrno: found through causes, the nearest storage errno first, at most four levels deep', () => {
  const wrap = (cause: unknown, code?: string) => Object.assign(new Error('wrapper', { cause }), code ? { code } : {});
  const enospc = errnoError('ENOSPC', 'write');
  assert.equal(storageErrno(wrap(enospc)), 'ENOSPC');
  assert.equal(storageErrno(wrap(enospc, 'ERR_STREAM_DESTROYED')), 'ENOSPC', 'a non-storage code above it is passed over');
  assert.equal(storageErrno(wrap(enospc, 'EIO')), 'EIO', 'the outermost storage errno wins');
  // Levels: the error itself and three causes.
  assert.equal(storageErrno(wrap(wrap(wrap(enospc)))), 'ENOSPC', 'three wrappers: the fourth level is read');
  assert.equal(storageErrno(wrap(wrap(wrap(wrap(enospc))))), null, 'four wrappers: too deep');
  assert.equal(storageErrno(wrap({ code: 'ENOSPC' })), null, 'a cause that is not an Error ends the walk');
  // A cycle of causes ends too.
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  (a as { cause?: unknown }).cause = b;
  assert.equal(storageErrno(a), null);
});

test('errorPath: the path an fs error names, through causes; null when none does', () => {
  assert.equal(errorPath(errnoError('ENOSPC', 'open', '/srv/ghidcache/x.ghid')), '/srv/ghidcache/x.ghid');
  assert.equal(errorPath(errnoError('ENOSPC', 'write')), null, 'write(2) errors name no path');
  assert.equal(errorPath(new Error('wrapped', { cause: errnoError('EROFS', 'open', '/ro/file') })), '/ro/file');
  assert.equal(errorPath(Object.assign(new Error('odd'), { path: 42 })), null, 'a non-string path is not a path');
  assert.equal(errorPath('nope'), null);
});

// ---------------------------------------------------------------------------------------------
// readableBytes

test('readableBytes: bytes below 1 KiB, then KiB/MiB/GiB/TiB with one decimal below 10 and none from 10', () => {
  const cases: [number, string][] = [
    [0, '0 bytes'],
    [1, '1 byte'],
    [2, '2 bytes'],
    [1023, '1023 bytes'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024, '10 KiB'],
    [812 * 1024, '812 KiB'],
    [1024 ** 2, '1 MiB'],
    [Math.round(1.4 * 1024 ** 3), '1.4 GiB'],
    [1024 ** 4, '1 TiB'],
    [2048 * 1024 ** 4, '2048 TiB'],
  ];
  for (const [n, text] of cases) assert.equal(readableBytes(n), text, String(n));
});

// ---------------------------------------------------------------------------------------------
// freeBytesAt

test('freeBytesAt: bavail × bsize of the file system holding the path', () => {
  const s = statfsSync(dir);
  const free = freeBytesAt(dir);
  assert.equal(typeof free, 'number');
  // Other runs write on this disk meanwhile: the same order of magnitude, block-aligned.
  assert.ok(free! >= 0);
  assert.equal(free! % s.bsize, 0);
  assert.ok(Math.abs(free! - s.bavail * s.bsize) < 1024 ** 3, `${free} vs ${s.bavail * s.bsize}`);
});

test('freeBytesAt: a path that does not exist yet is measured at its nearest existing parent', () => {
  const deep = join(dir, 'not', 'yet', 'there.ghid');
  const free = freeBytesAt(deep);
  assert.equal(typeof free, 'number');
  assert.ok(Math.abs(free! - freeBytesAt(dir)!) < 1024 ** 3);
});

test('freeBytesAt: on a full tmpfs it is 0, and it comes back when the room does', (t) => {
  const disk = smallDisk();
  if (typeof disk === 'string') return t.skip(disk);
  assert.equal(freeBytesAt(disk.dir), 256 * 1024, 'an empty 256 KiB tmpfs');
  disk.fill();
  assert.equal(freeBytesAt(disk.dir), 0);
  assert.equal(freeBytesAt(join(disk.dir, 'missing', 'file')), 0, 'through a missing path, the tmpfs itself is measured');
  disk.free();
  assert.equal(freeBytesAt(disk.dir), 256 * 1024);
});

// ---------------------------------------------------------------------------------------------
// storageTrouble

test('storageTrouble: not storage trouble (a bug, a missing file, a bad argument) is null', () => {
  assert.equal(storageTrouble(errnoError('ENOENT', 'open', dir), dir), null);
  assert.equal(storageTrouble(errnoError('EACCES', 'open', dir), dir), null);
  assert.equal(storageTrouble(new TypeError('x is undefined'), dir), null);
  assert.equal(storageTrouble(undefined, dir), null);
});

test('storageTrouble: ENOSPC and EDQUOT say "is full", with the free space and the errno', () => {
  const file = join(dir, 'object.ghid');
  for (const code of ['ENOSPC', 'EDQUOT']) {
    const t = storageTrouble(errnoError(code, 'open', file));
    assert.ok(t, code);
    assert.equal(t.errno, code);
    assert.equal(t.path, file);
    assert.equal(typeof t.freeBytes, 'number', 'the missing file is measured at its parent');
    assert.equal(t.message, `the disk holding ${file} is full (${readableBytes(t.freeBytes!)} free, ${code})`);
  }
});

test('storageTrouble: EIO and EROFS say "refuses writes", with the free space and the errno', () => {
  for (const code of ['EIO', 'EROFS']) {
    const t = storageTrouble(errnoError(code, 'fsync', dir));
    assert.ok(t, code);
    assert.equal(t.errno, code);
    assert.equal(t.path, dir);
    assert.match(t.message, new RegExp(`^the disk holding ${dir} refuses writes \\(\\d+(\\.\\d)? (bytes?|KiB|MiB|GiB|TiB) free, ${code}\\)$`));
    assert.doesNotMatch(t.message, /is full/);
  }
});

test('storageTrouble: the path the error names wins over the fallback; the fallback serves when it names none', () => {
  const named = join(dir, 'named.ghid');
  const fallback = join(dir, 'fallback');
  assert.equal(storageTrouble(errnoError('ENOSPC', 'open', named), fallback)!.path, named);
  const t = storageTrouble(errnoError('ENOSPC', 'write'), fallback)!;
  assert.equal(t.path, fallback);
  assert.match(t.message, new RegExp(`^the disk holding ${fallback} is full \\(`));
});

test('storageTrouble: with no path at all, "an unknown path" and no free space is measured', () => {
  const t = storageTrouble(errnoError('ENOSPC', 'write'));
  assert.deepEqual(t, { errno: 'ENOSPC', path: 'an unknown path', freeBytes: null, message: 'the disk holding an unknown path is full (ENOSPC)' });
  const r = storageTrouble(errnoError('EROFS', 'write'))!;
  assert.equal(r.message, 'the disk holding an unknown path refuses writes (EROFS)');
});

test('storageTrouble: a relative path is named but not measured (statfs would measure the working directory)', () => {
  const t = storageTrouble(errnoError('ENOSPC', 'open', 'ghidcache/x.ghid'))!;
  assert.equal(t.path, 'ghidcache/x.ghid');
  assert.equal(t.freeBytes, null);
  assert.equal(t.message, 'the disk holding ghidcache/x.ghid is full (ENOSPC)');
});

test('storageTrouble: an errno wrapped as a cause is found, with the path the cause names', () => {
  const file = join(dir, 'journal.3');
  const wrapped = new Error('journal commit failed', { cause: errnoError('EDQUOT', 'write', file) });
  const t = storageTrouble(wrapped, '/elsewhere')!;
  assert.equal(t.errno, 'EDQUOT');
  assert.equal(t.path, file);
  assert.match(t.message, /is full \(.* free, EDQUOT\)$/);
});

test('storageTrouble: a real ENOSPC from a full tmpfs (sync and async writes) is "full (0 bytes free, ENOSPC)"', async (t) => {
  const disk = smallDisk();
  if (typeof disk === 'string') return t.skip(disk);
  disk.fill();
  const target = join(disk.dir, 'object.ghid');
  let syncErr: unknown;
  try {
    writeFileSync(target, Buffer.alloc(16 * 1024, 1));
  } catch (err) {
    syncErr = err;
  }
  const asyncErr = await writeFile(join(disk.dir, 'other.ghid'), Buffer.alloc(16 * 1024, 1)).then(
    () => null,
    (err: unknown) => err,
  );
  for (const err of [syncErr, asyncErr]) {
    assert.ok(err instanceof Error, 'the write failed');
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
    // write(2) names no path: the caller's fallback is the one shown, and measured.
    const trouble = storageTrouble(err, target);
    assert.deepEqual(trouble, {
      errno: 'ENOSPC',
      path: target,
      freeBytes: 0,
      message: `the disk holding ${target} is full (0 bytes free, ENOSPC)`,
    });
    assert.doesNotMatch(trouble!.message, /no space left on device/, 'not the bare errno text');
  }
  // Room again: the same fallback now measures the free room.
  disk.free();
  assert.equal(storageTrouble(syncErr, target)!.message, `the disk holding ${target} is full (256 KiB free, ENOSPC)`);
});

test('storageTrouble: a short write then ENOSPC midway on a real tmpfs', (t) => {
  const disk = smallDisk();
  if (typeof disk === 'string') return t.skip(disk);
  writeFileSync(join(disk.dir, 'filler'), Buffer.alloc(200 * 1024));
  const path = join(disk.dir, 'big');
  const fd = openSync(path, 'w');
  let err: unknown;
  try {
    const wrote = writeSync(fd, Buffer.alloc(100 * 1024, 2));
    assert.ok(wrote < 100 * 1024, `a short write (${wrote} bytes), not an error, comes first`);
    writeSync(fd, Buffer.alloc(100, 2));
  } catch (e) {
    err = e;
  } finally {
    closeSync(fd);
  }
  const trouble = storageTrouble(err, path);
  assert.ok(trouble);
  assert.equal(trouble.errno, 'ENOSPC');
  assert.equal(trouble.freeBytes, 0);
});

test('storageTrouble: a real EROFS from a tmpfs remounted read-only names the path and "refuses writes"', (t) => {
  const disk = smallDisk();
  if (typeof disk === 'string') return t.skip(disk);
  try {
    execFileSync('mount', ['-o', 'remount,ro', disk.dir], { stdio: 'pipe' });
  } catch (err) {
    return t.skip(`remount read-only was refused: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`);
  }
  const path = join(disk.dir, 'new.ghid');
  let err: unknown;
  try {
    writeFileSync(path, 'x');
  } catch (e) {
    err = e;
  }
  assert.equal((err as NodeJS.ErrnoException).code, 'EROFS');
  const trouble = storageTrouble(err, '/fallback/not/used')!;
  assert.equal(trouble.errno, 'EROFS');
  assert.equal(trouble.path, path, 'open(2) names the path');
  // A read-only tmpfs still reports its blocks: free space is measured, not refused.
  assert.equal(trouble.freeBytes, freeBytesAt(disk.dir));
  assert.equal(trouble.message, `the disk holding ${path} refuses writes (${readableBytes(trouble.freeBytes!)} free, EROFS)`);
});

test('readableBytes rounds before it picks the unit: just under a MiB or a GiB reads as 1 MiB / 1 GiB, never 1024 KiB', () => {
  assert.equal(readableBytes(1048575), '1 MiB');
  assert.equal(readableBytes(1024 ** 3 - 1), '1 GiB');
  assert.equal(readableBytes(1024 * 1023), '1023 KiB');
});
