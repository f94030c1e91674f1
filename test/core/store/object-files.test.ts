// ObjectFiles on real files: what a sync leaves to sync again, and what a failed write leaves behind.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ObjectFiles } from '../../../src/core/store/object-files.js';
import { nodeFs, type FsOps } from '../../../src/core/util/fs-ops.js';
import { errnoError } from '../../fixtures/store/faulty-fs.js';

/** GHIDs in their canonical text form (65 bytes, padded URL-safe base64). */
const A = Buffer.alloc(65, 1).toString('base64url') + '=';
const B = Buffer.alloc(65, 2).toString('base64url') + '=';

/** nodeFs, with each open for reading recorded and failed with `failOpen`'s errno for the paths it names. */
function watchedFs(): { fs: FsOps; readOpens: string[]; failOpen: Map<string, string>; failRename: { errno: string | null } } {
  const readOpens: string[] = [];
  const failOpen = new Map<string, string>();
  const failRename = { errno: null as string | null };
  const fs: FsOps = {
    ...nodeFs,
    async open(path, flags, mode) {
      if (flags === 'r') {
        readOpens.push(path);
        const errno = failOpen.get(path);
        if (errno) throw errnoError(errno, 'open', path);
      }
      return nodeFs.open(path, flags, mode);
    },
    async rename(from, to) {
      if (failRename.errno) throw errnoError(failRename.errno, 'rename', to);
      return nodeFs.rename(from, to);
    },
  };
  return { fs, readOpens, failOpen, failRename };
}

/** The object files among the paths opened for reading (a sync opens the directory too). */
function fileOpens(paths: string[], files: ObjectFiles): string[] {
  return paths.filter((p) => p !== files.dir);
}

describe('ObjectFiles', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hgx-object-files-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a file removed before the sync has nothing to sync and is not tried again', async () => {
    const w = watchedFs();
    const files = new ObjectFiles(await mkdtemp(join(dir, 'gone-')), w.fs);
    await files.write(A, Buffer.from('a'), true);
    await files.write(B, Buffer.from('b'), true);
    await files.remove(A);
    await files.sync();
    assert.deepEqual(fileOpens(w.readOpens, files).sort(), [files.path(A), files.path(B)].sort());
    w.readOpens.length = 0;
    await files.sync();
    assert.deepEqual(fileOpens(w.readOpens, files), [], 'nothing is left to sync');
  });

  for (const errno of ['EMFILE', 'EIO', 'EACCES']) {
    test(`a file that cannot be opened to sync (${errno}) fails the sync and is synced next time`, async () => {
      const w = watchedFs();
      const files = new ObjectFiles(await mkdtemp(join(dir, 'emfile-')), w.fs);
      await files.write(A, Buffer.from('a'), true);
      await files.write(B, Buffer.from('b'), true);
      w.failOpen.set(files.path(A), errno);
      await assert.rejects(files.sync(), (err: NodeJS.ErrnoException) => err.code === errno);
      w.failOpen.clear();
      w.readOpens.length = 0;
      await files.sync();
      assert.ok(w.readOpens.includes(files.path(A)), 'the file not known durable is synced again');
      assert.ok(w.readOpens.includes(files.path(B)), 'and so is every file of the failed sync');
      w.readOpens.length = 0;
      await files.sync();
      assert.deepEqual(fileOpens(w.readOpens, files), []);
    });
  }

  test('a replacement whose rename fails leaves the old file and no temp file', async () => {
    const w = watchedFs();
    const files = new ObjectFiles(await mkdtemp(join(dir, 'rename-')), w.fs);
    await files.write(A, Buffer.from('old'), true);
    w.failRename.errno = 'EIO';
    await assert.rejects(files.write(A, Buffer.from('new'), false), (err: NodeJS.ErrnoException) => err.code === 'EIO');
    assert.equal(await files.holds(A, Buffer.from('old')), true);
    assert.deepEqual(await readdir(files.dir), [`${A}.ghid`].filter((n) => files.path(A).endsWith(n)));
    w.failRename.errno = null;
    await files.write(A, Buffer.from('new'), false);
    assert.equal(await files.holds(A, Buffer.from('new')), true);
    assert.equal(await files.holds(B, Buffer.from('')), false, 'a missing file holds nothing');
  });
});
