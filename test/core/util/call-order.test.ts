import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallOrder } from '../../../src/core/util/call-order.js';

test('steps take effect in the order they entered, whatever order they got ready in', async () => {
  const order = new CallOrder();
  const done: number[] = [];
  const step = async (n: number, readyAfterMs: number) => {
    const turn = order.enter();
    await new Promise((r) => setTimeout(r, readyAfterMs));
    const release = await turn;
    done.push(n);
    release();
  };
  await Promise.all([step(1, 30), step(2, 0), step(3, 15)]);
  assert.deepEqual(done, [1, 2, 3]);
});

test('a step waits for the one before it to release', async () => {
  const order = new CallOrder();
  const first = await order.enter();
  let second = false;
  const next = order.enter().then((release) => {
    second = true;
    release();
  });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(second, false, 'not before the first released');
  first();
  await next;
  assert.equal(second, true);
});
