// The token buckets behind the server's publish rate limits (defect 8), on a hand-driven clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter, defaultBurst } from '../../../src/core/remote/rate-limit.js';

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

test('a bucket allows a burst, then one per 1/rate seconds; wait() says how long', () => {
  const c = clock();
  const limiter = new RateLimiter<string>({ ratePerSecond: 2, burst: 3, now: c.now });
  assert.equal(limiter.wait('a'), 0, 'an unknown key may go ahead');
  assert.equal(limiter.size, 0, 'and checking it creates nothing');
  for (let i = 0; i < 3; i++) assert.equal(limiter.tryTake('a'), true);
  assert.equal(limiter.tryTake('a'), false);
  assert.equal(limiter.wait('a'), 500);
  c.t += 499;
  assert.equal(limiter.wait('a'), 1);
  c.t += 1;
  assert.equal(limiter.tryTake('a'), true);
  assert.equal(limiter.tryTake('a'), false);
  assert.equal(limiter.tryTake('b'), true, 'keys are independent');
  // A long quiet spell refills to the burst, never beyond.
  c.t += 60_000;
  for (let i = 0; i < 3; i++) assert.equal(limiter.tryTake('a'), true);
  assert.equal(limiter.tryTake('a'), false);
});

test('take() may go into debt, and the debt is paid off before the next request', () => {
  const c = clock();
  const limiter = new RateLimiter<string>({ ratePerSecond: 1, burst: 1, now: c.now });
  // Four requests passed the check at once (each saw a full bucket) and are charged afterwards.
  for (let i = 0; i < 4; i++) assert.equal(limiter.wait('x'), 0);
  for (let i = 0; i < 4; i++) limiter.take('x');
  assert.equal(limiter.wait('x'), 4000, 'three tokens of debt and one to spend');
  c.t += 4000;
  assert.equal(limiter.wait('x'), 0);
});

test('fractional rates work', () => {
  const c = clock();
  const limiter = new RateLimiter<number>({ ratePerSecond: 0.5, burst: 1, now: c.now });
  assert.equal(limiter.tryTake(1), true);
  assert.equal(limiter.wait(1), 2000);
  assert.equal(defaultBurst(0.5), 5);
  assert.equal(defaultBurst(0.01), 1);
  assert.equal(defaultBurst(20), 200);
});

test('memory is bounded: full buckets are swept, and beyond maxKeys the oldest go', () => {
  const c = clock();
  const limiter = new RateLimiter<number>({ ratePerSecond: 10, burst: 10, now: c.now, sweepMs: 1000, maxKeys: 5 });
  for (let k = 0; k < 5; k++) limiter.take(k);
  assert.equal(limiter.size, 5);
  limiter.take(5);
  assert.equal(limiter.size, 5, 'the oldest bucket made room');
  assert.equal(limiter.wait(0), 0, 'a dropped bucket only lets its owner go sooner');
  // Idle for longer than the refill time: the next take sweeps every full bucket.
  c.t += 1000;
  limiter.take(99);
  assert.equal(limiter.size, 1);
  limiter.delete(99);
  assert.equal(limiter.size, 0);
});

test('nonsense settings are refused', () => {
  assert.throws(() => new RateLimiter({ ratePerSecond: 0, burst: 1 }), RangeError);
  assert.throws(() => new RateLimiter({ ratePerSecond: Infinity, burst: 1 }), RangeError);
  assert.throws(() => new RateLimiter({ ratePerSecond: 1, burst: 0 }), RangeError);
});
