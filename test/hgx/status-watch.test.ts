// The SDK's watch of the daemon's status alone: what is told, when, and what an unwatch made
// during a watch's request wins over (the link's end to end is in status.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusWatch } from '../../packages/hgx/src/status-watch.js';
import type { DaemonStatus } from '../../packages/hgx/src/index.js';

/** A status told apart by its objects cached; the rest does not matter here. */
const status = (n: number) => ({ objectsCached: n }) as unknown as DaemonStatus;
const told = () => {
  const seen: number[] = [];
  return { seen, watch: new StatusWatch((s) => seen.push(s.objectsCached)) };
};
const settled = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

test('nothing is told before a watch; after it every change is, until unwatched', async () => {
  const { seen, watch } = told();
  watch.heard(status(1));
  assert.deepEqual(seen, [], 'not watching yet');
  assert.equal((await watch.watch(async () => status(2))).objectsCached, 2, 'the answer is the status now');
  assert.equal(watch.watching, true);
  watch.heard(status(3));
  watch.unwatch();
  watch.heard(status(4));
  assert.equal(watch.watching, false);
  assert.deepEqual(seen, [3]);
});

test('a change heard while the watch waits for its answer is told after the answer, not before', async () => {
  const { seen, watch } = told();
  let answer!: (s: DaemonStatus) => void;
  const watching = watch.watch(() => new Promise((resolve) => (answer = resolve)));
  watch.heard(status(5));
  watch.heard(status(6));
  assert.deepEqual(seen, [], 'kept while the answer is awaited');
  answer(status(4));
  // What an app does right after `await link.watchStatus()` (show the status now) comes first,
  // even through a layer of async calls more.
  const shown = await (async () => (await watching).objectsCached)();
  assert.equal(shown, 4);
  assert.deepEqual(seen, [], 'the answer first');
  await settled();
  assert.deepEqual(seen, [6], 'then the newest change heard behind it, once');
});

test('an unwatch made while a watch waits for its answer wins: nothing is told, even what was kept', async () => {
  const { seen, watch } = told();
  let answer!: (s: DaemonStatus) => void;
  const watching = watch.watch(() => new Promise((resolve) => (answer = resolve)));
  watch.heard(status(7));
  watch.unwatch();
  answer(status(6));
  await watching;
  await settled();
  watch.heard(status(8));
  assert.equal(watch.watching, false);
  assert.deepEqual(seen, []);
});

test('a watch whose request fails leaves nothing watching and keeps nothing', async () => {
  const { seen, watch } = told();
  await assert.rejects(watch.watch(async () => Promise.reject(new Error('NotConnected'))), /NotConnected/);
  assert.equal(watch.watching, false);
  watch.heard(status(9));
  assert.deepEqual(seen, []);
});
