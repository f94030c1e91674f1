import { test } from 'node:test';
import assert from 'node:assert/strict';
import { untilSettled } from '../../../src/core/daemon/settle-wait.js';

test('untilSettled: true once nothing waits (at once when nothing did); false after the time allowed, or once stopped', async () => {
  assert.equal(await untilSettled(() => false, 0, new AbortController().signal), true, 'nothing waits');
  let waits = true;
  setTimeout(() => (waits = false), 60);
  const began = Date.now();
  assert.equal(await untilSettled(() => waits, 5_000, new AbortController().signal), true, 'answered meanwhile');
  assert.ok(Date.now() - began < 4_000, 'not the whole time allowed');
  assert.equal(await untilSettled(() => true, 80, new AbortController().signal), false, 'never answered');
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 40);
  assert.equal(await untilSettled(() => true, 60_000, stop.signal), false, 'the daemon stopped');
});
