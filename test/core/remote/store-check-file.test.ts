// The state of a server's check of its store, kept in a file for `hypergolix server check`: written
// whole each time (a start and an end at once, progress at most once a second), read back as
// written, refused in words when it is not a state, and a directory it cannot be written to said
// once in the log, not thrown at the check. Real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreCheckFile, StoreCheckFileError, readStoreCheckFile, type StoreCheckState } from '../../../src/core/remote/store-check-file.js';
import { memoryLogger } from '../../fixtures/remote/helpers.js';

async function tempDir(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-store-check-file-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const started: StoreCheckState = { pid: 4242, running: { startedAt: '2026-12-07T06:00:00.000Z', checked: 0, total: 3 }, last: null, lastFailure: null };
const ended: StoreCheckState = {
  pid: 4242,
  running: null,
  last: { startedAt: '2026-12-07T06:00:00.000Z', finishedAt: '2026-12-07T06:00:02.000Z', checked: 3, damaged: [{ ghid: 'AQ-example', why: 'object: truncated' }], damagedCount: 1 },
  lastFailure: null,
};

test('a start and an end are written at once, progress at most once a second, each read back whole', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'logs', 'store-check.json');
  assert.equal(await readStoreCheckFile(path), null, 'no file: no check has run');
  const file = new StoreCheckFile(path, memoryLogger());
  file.write(started, true);
  await file.flush();
  assert.deepEqual(await readStoreCheckFile(path), started, 'the directory is made');

  file.write({ ...started, running: { ...started.running!, checked: 1 } }, false);
  await file.flush();
  assert.equal((await readStoreCheckFile(path))?.running?.checked, 0, 'progress within a second of the last write waits');
  file.write(ended, true);
  await file.flush();
  assert.deepEqual(await readStoreCheckFile(path), ended);
  assert.deepEqual(await readdir(join(dir, 'logs')), ['store-check.json'], 'nothing left aside');
});

test('a file that is no state is refused in words', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'store-check.json');
  const cases: [string, RegExp][] = [
    ['{"format": 1, "pid"', /is not JSON/],
    ['[]', /is not one this version reads/],
    [JSON.stringify({ ...ended, format: 2 }), /is not one this version reads/],
    [JSON.stringify({ ...ended, format: 1, pid: -1 }), /is not one this version reads/],
    [JSON.stringify({ ...started, format: 1, running: { startedAt: 'yesterday', checked: 0, total: 1 } }), /is not one this version reads/],
    [JSON.stringify({ ...ended, format: 1, last: { ...ended.last, damaged: [{ ghid: 7 }] } }), /is not one this version reads/],
    [JSON.stringify({ ...ended, format: 1, last: { ...ended.last, damagedCount: 0 } }), /is not one this version reads/],
  ];
  for (const [text, why] of cases) {
    await writeFile(path, text);
    await assert.rejects(readStoreCheckFile(path), (e: unknown) => e instanceof StoreCheckFileError && why.test((e as Error).message), text);
  }
  await assert.rejects(readStoreCheckFile(dir), (e: unknown) => e instanceof StoreCheckFileError && /Cannot read the store check's state/.test((e as Error).message));
});

test('a place it cannot be written is said once in the log, and again when it can be', async (t) => {
  const dir = await tempDir(t);
  const blocker = join(dir, 'logs');
  await writeFile(blocker, 'a file where the directory should be');
  const logger = memoryLogger();
  const file = new StoreCheckFile(join(blocker, 'store-check.json'), logger);
  file.write(started, true);
  file.write(ended, true);
  await file.flush();
  const warned = logger.lines.filter((l) => l.startsWith('warn') && /cannot write its state to .*hypergolix server check cannot follow it/.test(l));
  assert.equal(warned.length, 1, logger.lines.join('\n'));
  await rm(blocker);
  file.write(ended, true);
  await file.flush();
  assert.deepEqual(await readStoreCheckFile(join(blocker, 'store-check.json')), ended);
  assert.ok(logger.lines.some((l) => /its state is written to .* again/.test(l)), logger.lines.join('\n'));
});
