// Edges of the file-operations seam (src/core/util/fs-ops.ts) that fs-ops.test.ts does not
// reach: a real small disk (tmpfs) filling part-way through writeWhole (a real short write
// followed by ENOSPC, not /dev/full's immediate refusal), what errnoOf calls an errno, and the
// nodeFs pass-throughs' failures as the typed errno codes the store classifies them by.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FULL_ERRNOS, errnoOf, nodeFs, writeAll } from '../../../src/core/util/fs-ops.js';
import { mountSmallDisk } from '../../fixtures/server/small-disk.js';

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'hgx-fsops-edges-'));
  temps.push(d);
  return d;
}
after(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

const linux = process.platform === 'linux';
/**
 * Descriptors of this process open on `path` or anything under it. Not a count of all of them: other work of the
 * process (the test runner, a sibling test) opens and closes its own meanwhile, which once made a
 * before/after count differ by one with nothing leaked.
 */
const fdsOn = (given: string) => {
  // The links name real paths: a temp folder reached through a symbolic link would match nothing.
  const path = realpathSync(given);
  return linux
    ? readdirSync('/proc/self/fd').filter((fd) => {
        try {
          const on = readlinkSync(join('/proc/self/fd', fd));
          return on === path || on.startsWith(`${path}/`);
        } catch {
          return false; // closed while listed
        }
      }).length
    : 0;
};

describe('writeWhole and writeAll on a real small disk (2 MiB tmpfs)', () => {
  test('writeWhole of 256 KiB with 64 KiB free: a real short write then ENOSPC is refused with ENOSPC, no descriptor leaks, and a write that fits works after', async (t) => {
    const disk = mountSmallDisk(2 * 1024 * 1024);
    if (typeof disk === 'string') return t.skip(disk);
    try {
      const spare = join(disk.dir, 'spare');
      writeFileSync(spare, Buffer.alloc(64 * 1024, 1));
      disk.fill();
      await rm(spare);
      const target = join(disk.dir, 'object');
      const data = Buffer.alloc(256 * 1024, 7);
      await assert.rejects(nodeFs.writeWhole(target, data, 0o600), (e: unknown) => errnoOf(e) === 'ENOSPC' && FULL_ERRNOS.has(errnoOf(e)!));
      assert.equal(fdsOn(target), 0, 'the descriptor was closed');
      // Documented: a failure part-way may leave the file torn; it is never taken for whole.
      const left = statSync(target).size;
      assert.ok(left < data.length, `the torn file holds ${left} bytes`);
      await rm(target);
      const small = Buffer.alloc(16 * 1024, 9);
      await nodeFs.writeWhole(target, small, 0o600);
      assert.deepEqual(readFileSync(target), small);
      // And again over the whole file once the disk is freed: the longer write lands whole.
      disk.free();
      await nodeFs.writeWhole(target, data, 0o600);
      assert.deepEqual(readFileSync(target), data);
    } finally {
      disk.unmount();
    }
  });

  test('writeAll on a handle of a filling disk: the short write is continued and the final ENOSPC passed on, with what landed a prefix of the data', async (t) => {
    const disk = mountSmallDisk(2 * 1024 * 1024);
    if (typeof disk === 'string') return t.skip(disk);
    try {
      const spare = join(disk.dir, 'spare');
      writeFileSync(spare, Buffer.alloc(32 * 1024, 1));
      disk.fill();
      await rm(spare);
      const path = join(disk.dir, 'f');
      const fh = await open(path, 'w');
      const data = Buffer.alloc(200 * 1024);
      for (let i = 0; i < data.length; i++) data[i] = i % 251;
      let calls = 0;
      const counting = { write: (b: Buffer, o: number, l: number, p: number | null) => (calls++, fh.write(b, o, l, p)) };
      try {
        await assert.rejects(writeAll(counting, data, 0, data.length, 0), (e: unknown) => errnoOf(e) === 'ENOSPC');
      } finally {
        await fh.close();
      }
      assert.ok(calls >= 2, `the short write was followed by another call (${calls} calls)`);
      const landed = readFileSync(path);
      assert.ok(landed.length > 0 && landed.length < data.length);
      assert.deepEqual(landed, data.subarray(0, landed.length), 'what landed is the start of the data, in place');
    } finally {
      disk.unmount();
    }
  });

  test('mkdir, rename and unlink on a full disk fail with typed errnos (or succeed), never with a bare Error', async (t) => {
    const disk = mountSmallDisk(1024 * 1024);
    if (typeof disk === 'string') return t.skip(disk);
    try {
      writeFileSync(join(disk.dir, 'a'), 'a');
      disk.fill();
      // tmpfs counts inodes and blocks; a name in a full tmpfs may or may not fit: either way the
      // outcome is a success or an errno code.
      for (const op of [
        () => nodeFs.mkdir(join(disk.dir, 'sub', 'deeper'), { recursive: true }),
        () => nodeFs.rename(join(disk.dir, 'a'), join(disk.dir, 'b')),
        () => nodeFs.writeWhole(join(disk.dir, 'c'), Buffer.alloc(8192, 1), 0o600),
        () => nodeFs.unlink(join(disk.dir, 'filler')),
      ]) {
        await op().then(
          () => undefined,
          (e: unknown) => assert.ok(typeof errnoOf(e) === 'string' && /^E[A-Z]+$/.test(errnoOf(e)!), `an errno code, not ${String(e)}`),
        );
      }
    } finally {
      disk.unmount();
    }
  });
});

describe('errnoOf: only errno codes', () => {
  // Fixed: documented as "the errno code of a failed
  // file operation, or null for anything else", it returns any string `code`: Node's argument
  // errors (ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE), an abort (ABORT_ERR), a library error's own
  // code. storage-monitor.ts:41 then records that as the storage's errno (`errno ?? 'EIO'` never
  // falls back) and shows the user a "write failed (ERR_INVALID_ARG_VALUE)" storage state for what
  // is a programming error, not a disk condition.
  test('a Node argument error (a path with a NUL byte) is not an errno', async () => {
    const err = await nodeFs.open(`/tmp/x\0y`, 'r').then(
      () => assert.fail('opened a path with a NUL byte'),
      (e: unknown) => e,
    );
    assert.equal((err as NodeJS.ErrnoException).code, 'ERR_INVALID_ARG_VALUE', 'the premise: Node refuses it with its own code');
    assert.equal(errnoOf(err), null, 'ERR_INVALID_ARG_VALUE reported as an errno');
  });

  // Fixed: as above: a caller's out-of-range write or
  // an abort is classified as an errno, so storage-monitor.ts:41 reports it as the disk's state.
  test('a writeAll past the end of its buffer (ERR_OUT_OF_RANGE) and an abort (ABORT_ERR) are not errnos', async () => {
    const dir = await tempDir();
    const fh = await open(join(dir, 'f'), 'w');
    let range: unknown;
    try {
      await writeAll(fh, Buffer.alloc(4), 0, 100, 0).catch((e: unknown) => (range = e));
    } finally {
      await fh.close();
    }
    assert.ok(range, 'writing 100 bytes of a 4-byte buffer was refused');
    const abort = Object.assign(new Error('aborted'), { code: 'ABORT_ERR', name: 'AbortError' });
    assert.deepEqual([errnoOf(range), errnoOf(abort)], [null, null]);
  });

  test('errno codes of real failures come through as they are', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'file'), 'x');
    const codes = await Promise.all([
      nodeFs.readFile(join(dir, 'missing')).catch(errnoOf),
      nodeFs.readdir(join(dir, 'file')).catch(errnoOf),
      nodeFs.unlink(dir).catch(errnoOf),
      nodeFs.mkdir(join(dir, 'file', 'sub'), { recursive: true }).catch(errnoOf),
      nodeFs.writeWhole(join(dir, 'missing-dir', 'f'), Buffer.from('x'), 0o600).catch(errnoOf),
      nodeFs.rename(join(dir, 'missing'), join(dir, 'other')).catch(errnoOf),
    ]);
    assert.equal(codes[0], 'ENOENT');
    assert.equal(codes[1], 'ENOTDIR');
    assert.ok(codes[2] === 'EISDIR' || codes[2] === 'EPERM', `unlink of a directory: ${codes[2]}`);
    assert.equal(codes[3], 'ENOTDIR');
    assert.equal(codes[4], 'ENOENT');
    assert.equal(codes[5], 'ENOENT');
  });

  test('hostile values: a code that is not a string, a throwing getter-free object, primitives', () => {
    assert.equal(errnoOf({ code: 28 }), null);
    assert.equal(errnoOf({ code: { toString: () => 'ENOSPC' } }), null);
    assert.equal(errnoOf('ENOSPC'), null);
    assert.equal(errnoOf(0), null);
    assert.equal(errnoOf(undefined), null);
    assert.equal(FULL_ERRNOS.has('ENOSPC '), false);
  });
});

describe('nodeFs pass-throughs, edges', () => {
  test('rename across file systems fails with EXDEV (a typed errno the caller can act on)', async (t) => {
    const disk = mountSmallDisk(256 * 1024);
    if (typeof disk === 'string') return t.skip(disk);
    try {
      const dir = await tempDir();
      const from = join(dir, 'f');
      await writeFile(from, 'x');
      await assert.rejects(nodeFs.rename(from, join(disk.dir, 'f')), (e: unknown) => errnoOf(e) === 'EXDEV');
      assert.equal(readFileSync(from, 'utf8'), 'x', 'the source is untouched');
    } finally {
      disk.unmount();
    }
  });

  test('mtimeNs moves when a name is removed, and when a file is renamed within the directory', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a'), 'x');
    const t0 = await nodeFs.mtimeNs(dir);
    await new Promise((r) => setTimeout(r, 15));
    await nodeFs.unlink(join(dir, 'a'));
    const t1 = await nodeFs.mtimeNs(dir);
    assert.ok(t1 > t0, 'a removal moves the directory mtime');
    await writeFile(join(dir, 'b'), 'x');
    const t2 = await nodeFs.mtimeNs(dir);
    await new Promise((r) => setTimeout(r, 15));
    await nodeFs.rename(join(dir, 'b'), join(dir, 'c'));
    assert.ok((await nodeFs.mtimeNs(dir)) > t2, 'a rename moves it');
  });

  test('writeWhole replacing an existing file keeps it private: a file created 0600 is not widened', async () => {
    const dir = await tempDir();
    const p = join(dir, 'f');
    await nodeFs.writeWhole(p, Buffer.from('first, longer'), 0o600);
    await nodeFs.writeWhole(p, Buffer.from('2nd'), 0o644);
    assert.equal(statSync(p).mode & 0o777, 0o600);
    assert.equal(readFileSync(p, 'utf8'), '2nd');
  });

  test('writeWhole refuses a path ending in a slash or naming a directory with a typed errno and leaks no descriptor', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'd'));
    for (const p of [join(dir, 'd'), join(dir, 'x') + '/']) {
      await assert.rejects(nodeFs.writeWhole(p, Buffer.from('x'), 0o600), (e: unknown) => typeof errnoOf(e) === 'string' && /^E/.test(errnoOf(e)!));
    }
    assert.equal(fdsOn(dir), 0);
  });

  test('200 concurrent writeWholes of distinct files with a range of sizes each land their own bytes and close every descriptor', async () => {
    const dir = await tempDir();
    const held = await open(join(dir, 'held'), 'w');
    assert.equal(fdsOn(dir), linux ? 1 : 0, 'an open descriptor under the folder is seen');
    await held.close();
    const datas = Array.from({ length: 200 }, (_, i) => Buffer.alloc((i * 977) % 70_000, i & 0xff));
    await Promise.all(datas.map((d, i) => nodeFs.writeWhole(join(dir, `o${i}`), d, 0o600)));
    for (let i = 0; i < datas.length; i++) assert.deepEqual(readFileSync(join(dir, `o${i}`)), datas[i]);
    assert.equal(fdsOn(dir), 0);
  });
});
