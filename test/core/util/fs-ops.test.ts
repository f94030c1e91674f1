// The file-operations seam (src/core/util/fs-ops.ts): writeAll's loop over short writes,
// writeWhole on node:fs's callback API (including a real full device, /dev/full), errnoOf and
// the nodeFs pass-throughs, on real files in a temp dir.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { constants as fsc } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FULL_ERRNOS, errnoOf, nodeFs, writeAll, type FsHandle } from '../../../src/core/util/fs-ops.js';
import { UNPRIVILEGED_SKIP, moduleUrl, unprivileged, unprivilegedDir } from '../../fixtures/process/unprivileged.js';

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'hgx-fsops-'));
  temps.push(d);
  return d;
}
test.after(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

const posix = process.platform !== 'win32';
const linux = process.platform === 'linux';
const openFds = () => (linux ? readdirSync('/proc/self/fd').length : 0);

/** A handle that records each write call and answers with `answer(i, length)` bytes written. */
function recorder(answer: (call: number, length: number) => number | Error) {
  const calls: { offset: number; length: number; position: number | null; bytes: Buffer }[] = [];
  const handle: Pick<FsHandle, 'write'> = {
    async write(data, offset, length, position) {
      const a = answer(calls.length, length);
      calls.push({ offset, length, position, bytes: Buffer.from(data.subarray(offset, offset + length)) });
      if (a instanceof Error) throw a;
      return { bytesWritten: a };
    },
  };
  return { handle, calls };
}

describe('writeAll', () => {
  test('loops over short writes, advancing offset and position by what each call wrote', async () => {
    const data = Buffer.from('0123456789abcdef');
    const { handle, calls } = recorder((_, len) => Math.min(3, len));
    await writeAll(handle, data, 2, 10, 100);
    assert.deepEqual(
      calls.map((c) => [c.offset, c.length, c.position]),
      [
        [2, 10, 100],
        [5, 7, 103],
        [8, 4, 106],
        [11, 1, 109],
      ],
    );
    assert.equal(Buffer.concat(calls.map((c) => c.bytes.subarray(0, Math.min(3, c.length)))).toString(), '23456789ab');
  });

  test('position null is passed as null on every call (append / current position)', async () => {
    const { handle, calls } = recorder(() => 1);
    await writeAll(handle, Buffer.from('abc'), 0, 3, null);
    assert.deepEqual(
      calls.map((c) => c.position),
      [null, null, null],
    );
  });

  test('a zero-length write makes no call', async () => {
    const { handle, calls } = recorder(() => 0);
    await writeAll(handle, Buffer.alloc(10), 0, 0, 0);
    assert.equal(calls.length, 0);
  });

  test('a call that writes nothing fails with EIO naming how far it got', async () => {
    const { handle } = recorder((i) => (i === 0 ? 4 : 0));
    await assert.rejects(writeAll(handle, Buffer.alloc(10), 0, 10, 0), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'EIO');
      assert.equal(errnoOf(err), 'EIO');
      assert.match(err.message, /4 of 10/);
      return true;
    });
  });

  test('an error from the second call (a disk that filled midway) is passed on as it is', async () => {
    const enospc = Object.assign(new Error('no space'), { code: 'ENOSPC' });
    const { handle, calls } = recorder((i) => (i === 0 ? 5 : enospc));
    await assert.rejects(writeAll(handle, Buffer.alloc(10), 0, 10, 0), (err) => err === enospc);
    assert.equal(calls.length, 2);
  });

  // Fixed: writeAll only rejects `bytesWritten <= 0`; a count that is
  // not a number (NaN, undefined from a wrapper or a mocked/foreign handle) makes `done` NaN, the loop
  // condition `NaN < length` false, and writeAll resolves as if every byte were written: exactly the
  // "torn write called durable" the function exists to prevent (a journal commit would be acknowledged
  // with nothing on disk). Low likelihood with node:fs itself, but the FsOps seam is pluggable.
  test('a write reporting a non-numeric byte count is not taken as a complete write', async () => {
    const { handle } = recorder(() => Number.NaN);
    await assert.rejects(writeAll(handle, Buffer.alloc(10), 0, 10, 0));
  });

  test('on a real file: a large buffer from an offset lands whole at the position', async () => {
    const dir = await tempDir();
    const p = join(dir, 'f');
    const fh = await nodeFs.open(p, fsc.O_WRONLY | fsc.O_CREAT, 0o600);
    const big = Buffer.alloc(3 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    await writeAll(fh, big, 7, big.length - 7, 1000);
    await fh.close();
    const got = await readFile(p);
    assert.equal(got.length, 1000 + big.length - 7);
    assert.ok(got.subarray(0, 1000).every((x) => x === 0));
    assert.deepEqual(got.subarray(1000), big.subarray(7));
  });
});

describe('nodeFs.writeWhole', () => {
  test('creates a file with the content and the mode asked for', async () => {
    const p = join(await tempDir(), 'obj');
    await nodeFs.writeWhole(p, Buffer.from('hello'), 0o600);
    assert.equal(await readFile(p, 'utf8'), 'hello');
    if (posix) assert.equal((await stat(p)).mode & 0o777, 0o600);
  });

  test('replaces a longer existing file entirely (no stale tail)', async () => {
    const p = join(await tempDir(), 'obj');
    await writeFile(p, 'x'.repeat(10000));
    await nodeFs.writeWhole(p, Buffer.from('short'), 0o600);
    assert.equal(await readFile(p, 'utf8'), 'short');
  });

  test('an empty buffer leaves an empty file', async () => {
    const p = join(await tempDir(), 'obj');
    await writeFile(p, 'old');
    await nodeFs.writeWhole(p, Buffer.alloc(0), 0o600);
    assert.equal((await stat(p)).size, 0);
  });

  test('a view into a larger buffer writes only the view', async () => {
    const p = join(await tempDir(), 'obj');
    const backing = Buffer.from('AAAAhelloBBBB');
    await nodeFs.writeWhole(p, backing.subarray(4, 9), 0o600);
    assert.equal(await readFile(p, 'utf8'), 'hello');
  });

  test('a large buffer (several MiB) lands whole', async () => {
    const p = join(await tempDir(), 'obj');
    const big = Buffer.alloc(6 * 1024 * 1024 + 3, 0x5a);
    big[big.length - 1] = 1;
    await nodeFs.writeWhole(p, big, 0o600);
    assert.deepEqual(await readFile(p), big);
  });

  test('a missing directory fails with ENOENT, a directory with EISDIR, and no descriptor leaks', async () => {
    const dir = await tempDir();
    const before = openFds();
    await assert.rejects(nodeFs.writeWhole(join(dir, 'no', 'obj'), Buffer.from('x'), 0o600), { code: 'ENOENT' });
    await mkdir(join(dir, 'd'));
    await assert.rejects(nodeFs.writeWhole(join(dir, 'd'), Buffer.from('x'), 0o600), { code: 'EISDIR' });
    assert.equal(openFds(), before);
  });

  test('a full device (/dev/full) fails with ENOSPC, a FULL errno, and closes its descriptor', { skip: !existsSync('/dev/full') }, async () => {
    const before = openFds();
    for (let i = 0; i < 20; i++) {
      await assert.rejects(nodeFs.writeWhole('/dev/full', Buffer.alloc(4096, 1), 0o600), (err) => {
        assert.equal(errnoOf(err), 'ENOSPC');
        assert.ok(FULL_ERRNOS.has(errnoOf(err)!));
        return true;
      });
    }
    assert.equal(openFds(), before, 'no descriptor leaked by the failed writes');
  });

  // Root writes any file: as root, the check runs in a child as nobody (fixtures/process/unprivileged.ts).
  test('a read-only file fails with EACCES, and keeps its bytes', { skip: UNPRIVILEGED_SKIP }, async () => {
    const p = join(unprivilegedDir(), 'ro');
    const seen = await unprivileged<{ code: string | null; kept: string }>(`
      const { readFileSync, writeFileSync } = await import('node:fs');
      const { nodeFs } = await import(${JSON.stringify(moduleUrl('src/core/util/fs-ops.ts'))});
      writeFileSync(${JSON.stringify(p)}, 'keep', { mode: 0o400 });
      const code = await nodeFs.writeWhole(${JSON.stringify(p)}, Buffer.from('x'), 0o600).then(() => null, (err) => err.code);
      return { code, kept: readFileSync(${JSON.stringify(p)}, 'utf8') };`);
    assert.deepEqual(seen, { code: 'EACCES', kept: 'keep' });
  });

  test('many concurrent writeWholes each land their own bytes', async () => {
    const dir = await tempDir();
    await Promise.all(Array.from({ length: 200 }, (_, i) => nodeFs.writeWhole(join(dir, `f${i}`), Buffer.from(`content ${i}`), 0o600)));
    for (let i = 0; i < 200; i += 17) assert.equal(await readFile(join(dir, `f${i}`), 'utf8'), `content ${i}`);
  });
});

describe('errnoOf and FULL_ERRNOS', () => {
  test('the code of an errno error, null for anything else', () => {
    assert.equal(errnoOf(Object.assign(new Error('x'), { code: 'ENOSPC' })), 'ENOSPC');
    assert.equal(errnoOf({ code: 'EIO' }), 'EIO');
    assert.equal(errnoOf(new Error('plain')), null);
    assert.equal(errnoOf(null), null);
    assert.equal(errnoOf(undefined), null);
    assert.equal(errnoOf('ENOSPC'), null);
    assert.equal(errnoOf(42), null);
    assert.equal(errnoOf({ code: 28 }), null);
  });

  test('FULL_ERRNOS is exactly the out-of-room errors', () => {
    assert.deepEqual([...FULL_ERRNOS].sort(), ['EDQUOT', 'ENOSPC']);
    for (const c of ['EIO', 'EROFS', 'EACCES', 'EBADF']) assert.equal(FULL_ERRNOS.has(c), false);
  });
});

describe('nodeFs pass-throughs', () => {
  test('readdir lists names as strings; mtimeNs is a bigint that moves when a name is added', async () => {
    const dir = await tempDir();
    const t0 = await nodeFs.mtimeNs(dir);
    assert.equal(typeof t0, 'bigint');
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(join(dir, 'a'), '');
    const t1 = await nodeFs.mtimeNs(dir);
    assert.ok(t1 > t0);
    assert.deepEqual(await nodeFs.readdir(dir), ['a']);
  });

  test('stat reports size and mode; realpath resolves a symlink', { skip: !posix }, async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'real'), '12345', { mode: 0o640 });
    await symlink(join(dir, 'real'), join(dir, 'link'));
    const st = await nodeFs.stat(join(dir, 'link'));
    assert.equal(st.size, 5);
    assert.equal(await nodeFs.realpath(join(dir, 'link')), await nodeFs.realpath(join(dir, 'real')));
  });

  test('open with O_EXCL on an existing file fails with EEXIST; rm with force on a missing path resolves', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'x'), '');
    await assert.rejects(nodeFs.open(join(dir, 'x'), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600), { code: 'EEXIST' });
    await nodeFs.rm(join(dir, 'missing'), { force: true });
    await assert.rejects(nodeFs.unlink(join(dir, 'missing')), { code: 'ENOENT' });
  });

  test('a handle from open writes, truncates and syncs', async () => {
    const p = join(await tempDir(), 'h');
    const fh = await nodeFs.open(p, fsc.O_WRONLY | fsc.O_CREAT, 0o600);
    await writeAll(fh, Buffer.from('abcdef'), 0, 6, 0);
    await fh.truncate(3);
    await fh.datasync();
    await fh.sync();
    await fh.close();
    assert.equal(await readFile(p, 'utf8'), 'abc');
  });
});
