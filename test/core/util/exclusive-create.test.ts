// Creating a file that must not exist yet (src/core/util/exclusive-create.ts): the content goes
// to a private temp file, which is hard-linked into place, so the file appears whole or not at all
// and an existing one is never touched (EEXIST). Real files in a temp dir; a full disk midway is a
// real 256 KiB tmpfs (root only; skipped with the reason elsewhere).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileExclusiveSync } from '../../../src/core/util/exclusive-create.js';
import { mountSmallDisk, type SmallDisk } from '../../fixtures/server/small-disk.js';

const root = mkdtempSync(join(tmpdir(), 'hgx-exclusive-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** A fresh empty directory for one test. */
function freshDir(): string {
  const d = join(root, String(n++));
  mkdirSync(d);
  return d;
}
const posix = process.platform !== 'win32';
const modeOf = (p: string) => statSync(p).mode & 0o777;

const disks: SmallDisk[] = [];
after(() => disks.forEach((d) => d.unmount()));

test('a new file holds exactly the content given, string (UTF-8) or bytes, and nothing else is left in the directory', () => {
  const d = freshDir();
  createFileExclusiveSync(join(d, 'a.txt'), 'héllo ✓\n');
  assert.equal(readFileSync(join(d, 'a.txt'), 'utf8'), 'héllo ✓\n');
  const bytes = new Uint8Array(300_000).map((_, i) => (i * 31) & 0xff);
  createFileExclusiveSync(join(d, 'b.bin'), bytes);
  assert.ok(readFileSync(join(d, 'b.bin')).equals(Buffer.from(bytes)));
  createFileExclusiveSync(join(d, 'empty'), '');
  assert.equal(statSync(join(d, 'empty')).size, 0);
  assert.deepEqual(readdirSync(d).sort(), ['a.txt', 'b.bin', 'empty'], 'no temp file stays behind');
});

test('the new file is a single link (the temp name is gone, not a second name for it)', { skip: !posix && 'link counts' }, () => {
  const d = freshDir();
  const p = join(d, 'lock');
  createFileExclusiveSync(p, '{"pid":1}');
  assert.equal(statSync(p).nlink, 1);
});

test('an existing file is refused with EEXIST and left byte-identical, with no temp file behind', () => {
  const d = freshDir();
  const p = join(d, 'pid');
  writeFileSync(p, 'held by 1234\n');
  assert.throws(() => createFileExclusiveSync(p, 'mine'), { code: 'EEXIST' });
  assert.throws(() => createFileExclusiveSync(p, 'mine', { fsync: true, mode: 0o644 }), { code: 'EEXIST' });
  assert.equal(readFileSync(p, 'utf8'), 'held by 1234\n');
  assert.deepEqual(readdirSync(d), ['pid']);
});

test('a second create of the same path fails: exactly one of two creates wins', () => {
  const d = freshDir();
  const p = join(d, 'token');
  createFileExclusiveSync(p, 'first');
  assert.throws(() => createFileExclusiveSync(p, 'second'), { code: 'EEXIST' });
  assert.equal(readFileSync(p, 'utf8'), 'first');
});

test('a dangling symlink at the path counts as existing: it is neither followed nor replaced', { skip: !posix && 'symlinks' }, () => {
  const d = freshDir();
  const p = join(d, 'key');
  const elsewhere = join(d, 'elsewhere');
  symlinkSync(elsewhere, p);
  assert.throws(() => createFileExclusiveSync(p, 'secret'), { code: 'EEXIST' });
  assert.deepEqual(readdirSync(d), ['key'], 'nothing was written through the link');
});

test('mode is 0600 by default, and the one given otherwise', { skip: !posix && 'POSIX modes' }, () => {
  const d = freshDir();
  createFileExclusiveSync(join(d, 'default'), 'x');
  assert.equal(modeOf(join(d, 'default')), 0o600);
  createFileExclusiveSync(join(d, 'shared'), 'x', { mode: 0o640 });
  assert.equal(modeOf(join(d, 'shared')), 0o640);
  createFileExclusiveSync(join(d, 'synced'), 'x', { mode: 0o600, fsync: true });
  assert.equal(modeOf(join(d, 'synced')), 0o600);
});

test('fsync: true gives the same whole file (the file and its directory are synced on the way)', () => {
  const d = freshDir();
  const p = join(d, 'ipc.key');
  createFileExclusiveSync(p, Buffer.alloc(64, 7), { fsync: true });
  assert.ok(readFileSync(p).equals(Buffer.alloc(64, 7)));
  assert.deepEqual(readdirSync(d), ['ipc.key']);
});

test('a missing directory fails with ENOENT and creates nothing', () => {
  const d = freshDir();
  assert.throws(() => createFileExclusiveSync(join(d, 'no', 'such.txt'), 'x'), { code: 'ENOENT' });
  assert.deepEqual(readdirSync(d), []);
});

test('a full disk before the write leaves nothing under the name and no temp file; with room again it succeeds', (t) => {
  const disk = mountSmallDisk(256 * 1024);
  if (typeof disk === 'string') return t.skip(disk);
  disks.push(disk);
  disk.fill();
  const p = join(disk.dir, 'store.lock');
  assert.throws(() => createFileExclusiveSync(p, Buffer.alloc(8 * 1024, 1)), { code: 'ENOSPC' });
  assert.deepEqual(readdirSync(disk.dir), ['filler'], 'no empty store.lock, no temp file');
  disk.free();
  createFileExclusiveSync(p, Buffer.alloc(8 * 1024, 1));
  assert.ok(readFileSync(p).equals(Buffer.alloc(8 * 1024, 1)));
});

test('a full disk midway (a short write, then ENOSPC) leaves no partial file and no temp file', (t) => {
  const disk = mountSmallDisk(256 * 1024);
  if (typeof disk === 'string') return t.skip(disk);
  disks.push(disk);
  // 56 KiB left: the first write of 100 KiB is short, the next one fails.
  writeFileSync(join(disk.dir, 'filler'), Buffer.alloc(200 * 1024));
  const p = join(disk.dir, 'ipc.key');
  for (const fsync of [false, true]) {
    assert.throws(() => createFileExclusiveSync(p, Buffer.alloc(100 * 1024, 3), { fsync }), { code: 'ENOSPC' });
    assert.deepEqual(readdirSync(disk.dir), ['filler'], `fsync ${fsync}: nothing under the name, nothing half-written`);
  }
  // The failed attempt gave its room back: what fits is created whole.
  createFileExclusiveSync(p, Buffer.alloc(40 * 1024, 4), { fsync: true });
  assert.ok(readFileSync(p).equals(Buffer.alloc(40 * 1024, 4)));
  assert.deepEqual(readdirSync(disk.dir).sort(), ['filler', 'ipc.key']);
});

test('a read-only file system refuses with EROFS and nothing is created', (t) => {
  const disk = mountSmallDisk(256 * 1024);
  if (typeof disk === 'string') return t.skip(disk);
  disks.push(disk);
  try {
    execFileSync('mount', ['-o', 'remount,ro', disk.dir], { stdio: 'pipe' });
  } catch (err) {
    return t.skip(`remount read-only was refused: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`);
  }
  assert.throws(() => createFileExclusiveSync(join(disk.dir, 'x'), 'x'), { code: 'EROFS' });
  assert.deepEqual(readdirSync(disk.dir), []);
});
