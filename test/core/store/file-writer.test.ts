import { afterEach, beforeEach, test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entryOf } from '../../../src/core/store/entry.js';
import { FileWriter } from '../../../src/core/store/file-writer.js';
import { ObjectFiles } from '../../../src/core/store/object-files.js';
import { StorageMonitor } from '../../../src/core/store/storage-monitor.js';
import { UnwrittenFiles } from '../../../src/core/store/unwritten-files.js';
import { nodeFs } from '../../../src/core/util/fs-ops.js';
import { v16Objects } from '../../fixtures/vectors.js';

// The writer's delays run on mocked timers and a mocked clock, so each test says exactly how
// much time passes between commits; the files themselves are real, in a temp directory.
const objects = v16Objects().map((o) => ({ ghid: entryOf(o.obj).ghid, raw: o.raw }));
const DELAY = 100;
let dir: string;
let closing = false;

beforeEach(async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  dir = join(await mkdtemp(join(tmpdir(), 'hgx-writer-')), 'ghidcache');
  await mkdir(dir);
  closing = false;
});
afterEach(async () => {
  mock.timers.reset();
  await rm(join(dir, '..'), { recursive: true, force: true });
});

function writer(options: { maxDelayMs?: number; maxBytes?: number } = {}) {
  const pending = new UnwrittenFiles(options.maxBytes ?? 8 * 1024 * 1024);
  const monitor = new StorageMonitor({ probe: async () => true });
  const w = new FileWriter({
    files: new ObjectFiles(dir, nodeFs),
    pending,
    monitor,
    ioConcurrency: 4,
    delayMs: DELAY,
    maxDelayMs: options.maxDelayMs ?? 60_000,
    closing: () => closing,
  });
  /** Commits the i-th vector object's file as the file store does after its journal commit. */
  const commit = (i: number) => {
    const { ghid, raw } = objects[i]!;
    pending.set(ghid, raw);
    pending.fileless.add(ghid);
    w.queueBatch([{ ghid, raw, unlink: false }]);
  };
  return { w, pending, commit };
}

/** Lets the writer's promise chain run (it sleeps on the mocked timers in between). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

async function advance(ms: number): Promise<void> {
  await settle();
  mock.timers.tick(ms);
  await settle();
}

/** Waits (real time, bounded) for file writes the writer has started: they run on the thread pool. */
async function eventually(cond: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!cond()) {
    if (performance.now() > deadline) assert.fail(`never happened: ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const written = async () => (await readdir(dir)).filter((n) => n.endsWith('.ghid')).length;

test('a burst\'s files wait until the commits pause, then all go', async () => {
  const { w, pending, commit } = writer();
  for (let i = 0; i < 8; i++) {
    commit(i);
    await advance(DELAY / 2);
  }
  // 400 ms after the first commit, long past its delay: nothing written while commits go on.
  assert.equal(await written(), 0);
  assert.equal(pending.size, 8);
  await advance(DELAY);
  await w.idle();
  assert.equal(await written(), 8);
  assert.equal(pending.size, 0);
});

test('a file waits for a pause at most maxDelayMs after its commit', async () => {
  const { w, pending, commit } = writer({ maxDelayMs: 3 * DELAY });
  for (let i = 0; i < 8; i++) {
    commit(i);
    await advance(DELAY / 2);
  }
  // Commits never paused, but the first ones are past their longest wait: written.
  await eventually(() => !pending.has(objects[0]!.ghid), 'the oldest file went without a pause');
  assert.equal(pending.has(objects[7]!.ghid), true, 'the newest still waits');
  await advance(DELAY);
  await w.idle();
  assert.equal(await written(), 8);
});

test('past half the backlog\'s limit, files go as soon as they are due', async () => {
  const half = objects.slice(0, 2).reduce((n, o) => n + o.raw.length, 0);
  const { w, pending, commit } = writer({ maxBytes: 2 * half });
  commit(0);
  await advance(DELAY / 2);
  commit(1); // the backlog reaches half its limit
  await advance(DELAY / 2);
  commit(2);
  await advance(DELAY / 2);
  await eventually(() => !pending.has(objects[0]!.ghid), 'the first file was written although commits went on');
  await advance(DELAY);
  await w.idle();
  assert.equal(pending.size, 0);
});

test('hurry: what is queued so far goes when due; later batches are held again', async () => {
  const { w, pending, commit } = writer();
  commit(0);
  commit(1);
  w.hurry();
  await advance(DELAY / 2);
  commit(2);
  await advance(DELAY / 2 + 1);
  await eventually(() => !pending.has(objects[0]!.ghid) && !pending.has(objects[1]!.ghid), 'the hurried batches are written');
  assert.equal(pending.has(objects[2]!.ghid), true, 'the later one waits for a pause');
  await advance(DELAY);
  await w.idle();
  assert.equal(await written(), 3);
});

test('closing writes at once, delay or not', async () => {
  const { w, commit } = writer();
  commit(0);
  closing = true;
  w.wake();
  await advance(0);
  await w.idle();
  assert.equal(await written(), 1);
});
