// A peer's own pending requests: tokens never 0, never one in use, never one retired by a timeout
// (so a late answer cannot settle a newer request), and every waiter rejected on close.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { PendingRequests } from '../../src/wire/pending.js';

/** Makes the CSPRNG hand out `values` (then zeros) for the test's duration. */
function scriptRandom(t: TestContext, values: number[]): void {
  const queue = [...values];
  t.mock.method(globalThis.crypto, 'getRandomValues', <T extends ArrayBufferView | null>(array: T): T => {
    const a = array as unknown as Uint16Array;
    for (let i = 0; i < a.length; i++) a[i] = queue.shift() ?? 0;
    return array;
  });
}

test('a token is never 0 and never one in use', (t) => {
  scriptRandom(t, [0, 7, 0, 7, 9]);
  const p = new PendingRequests<Uint8Array>(16);
  const first = p.allocate();
  assert.equal(first, 7);
  void p.add(first, 1000, () => new Error('timeout'));
  assert.equal(p.allocate(), 9, '0 and the pending 7 are skipped');
  p.settle(first, Uint8Array.of(1));
});

test('a timed-out token is retired: not reused, and its late answer is recognized once', async (t) => {
  scriptRandom(t, [5, 5, 6]);
  const p = new PendingRequests<Uint8Array>(16);
  const token = p.allocate();
  await assert.rejects(p.add(token, 10, () => new Error('no answer')), /no answer/);
  assert.equal(p.size, 0);
  assert.equal(p.allocate(), 6, 'the retired 5 is skipped');
  assert.equal(p.settle(token, Uint8Array.of(1)), false, 'nothing waits on it any more');
  assert.equal(p.takeRetired(token), true);
  assert.equal(p.takeRetired(token), false);
});

test('settle resolves or rejects the waiter once; failAll rejects every waiter', async () => {
  const p = new PendingRequests<Uint8Array>(16);
  const a = p.add(p.allocate(), 1000, () => new Error('timeout'));
  const tokenB = p.allocate();
  const b = p.add(tokenB, 1000, () => new Error('timeout'));
  const tokenC = p.allocate();
  const c = p.add(tokenC, 1000, () => new Error('timeout'));
  assert.equal(p.settle(tokenB, Uint8Array.of(2)), true);
  assert.equal(p.settle(tokenB, Uint8Array.of(3)), false);
  assert.deepEqual(await b, Uint8Array.of(2));
  assert.equal(p.settle(tokenC, new Error('refused')), true);
  await assert.rejects(c, /refused/);
  p.failAll(new Error('closed'));
  await assert.rejects(a, /closed/);
  assert.equal(p.size, 0);
});
