// Asking the remotes whether this account registered, while one holds its uploads
// (src/core/daemon/free-tier-watch.ts): only then, every interval, until none holds them or the
// daemon stops; a failed ask is tried again at the next interval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FreeTierWatch } from '../../../src/core/daemon/free-tier-watch.js';
import { silentLogger } from '../../../src/core/remote/logger.js';
import { until } from '../../fixtures/wait.js';

function watch(answers: (() => void)[] = []) {
  let held = true;
  let asked = 0;
  const w = new FreeTierWatch(
    {
      held: () => held,
      ask: async () => {
        asked++;
        answers.shift()?.();
      },
      logger: silentLogger,
    },
    20,
  );
  return { w, asked: () => asked, release: () => (held = false) };
}

test('nothing is asked until a remote holds uploads; then every interval while one does', async () => {
  const x = watch();
  await sleep(60);
  assert.equal(x.asked(), 0, 'not held yet');
  x.w.held();
  x.w.held();
  await until(() => x.asked() >= 3 || null, 'three asks');
  x.release();
  const at = x.asked();
  await sleep(80);
  assert.ok(x.asked() <= at + 1, 'no more once none holds them');
  x.w.stop();
});

test('a failed ask is tried again; stop ends it, and nothing starts it again', async () => {
  const x = watch([
    () => {
      throw new Error('the page did not answer');
    },
  ]);
  x.w.held();
  await until(() => x.asked() >= 2 || null, 'asked again after a failure');
  x.w.stop();
  const at = x.asked();
  x.w.held();
  await sleep(80);
  assert.equal(x.asked(), at);
});

test('askIfHeld asks at once while a remote holds uploads, and not otherwise', async () => {
  const x = watch();
  const slow = new FreeTierWatch({ held: () => true, ask: async () => void asked++, logger: silentLogger }, 60_000);
  let asked = 0;
  slow.askIfHeld();
  await until(() => asked === 1 || null, 'asked at once');
  slow.stop();
  slow.askIfHeld();
  await sleep(20);
  assert.equal(asked, 1, 'not after a stop');
  x.release();
  x.w.askIfHeld();
  await sleep(20);
  assert.equal(x.asked(), 0, 'none holds uploads: nothing to ask');
  x.w.stop();
});
