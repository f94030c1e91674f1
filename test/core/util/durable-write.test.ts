import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DSYNC_FLAG, syncFileSystem, writeDurably } from '../../../src/core/util/durable-write.js';

test('writeDurably writes at the position given, through an O_DSYNC handle where there is one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-durable-'));
  try {
    const path = join(dir, 'f');
    await writeFile(path, Buffer.alloc(8));
    const handle = await open(path, constants.O_WRONLY | DSYNC_FLAG);
    await writeDurably(handle, Buffer.from('abc'), 2);
    await handle.close();
    assert.deepEqual(await readFile(path), Buffer.from([0, 0, 0x61, 0x62, 0x63, 0, 0, 0]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('syncFileSystem flushes the file system where syncfs is reachable, and says so', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-durable-'));
  try {
    await writeFile(join(dir, 'a'), 'x');
    const synced = await syncFileSystem(dir);
    if (process.platform !== 'linux') {
      assert.equal(synced, false, 'elsewhere the caller fsyncs per file');
      return;
    }
    if (!existsSync('/usr/bin/sync') && !existsSync('/bin/sync')) {
      t.skip('no sync binary on this machine: the caller falls back to per-file fsync');
      return;
    }
    assert.equal(synced, true);
    // A path that is not there makes sync fail: the caller then fsyncs per file.
    assert.equal(await syncFileSystem(join(dir, 'missing', 'deeper')), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
