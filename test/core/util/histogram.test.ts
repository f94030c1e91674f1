import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DURATION_BUCKETS_SECONDS, Histogram } from '../../../src/core/util/histogram.js';

test('each value lands in the first bucket whose bound it does not exceed; counts are cumulative', () => {
  const h = new Histogram([1, 5, 10]);
  for (const v of [0, 1, 1.5, 5, 7, 10, 11, 1000]) h.observe(v);
  assert.deepEqual(h.snapshot(), { bounds: [1, 5, 10], cumulative: [2, 4, 6], sum: 1035.5, count: 8 });
});

test('a negative or non-finite value (a clock that went back) is not counted', () => {
  const h = new Histogram([1]);
  for (const v of [-0.001, Number.NaN, Number.POSITIVE_INFINITY]) h.observe(v);
  assert.deepEqual(h.snapshot(), { bounds: [1], cumulative: [0], sum: 0, count: 0 });
});

test('observeSince counts the seconds since a performance.now() reading', async () => {
  const h = new Histogram();
  const started = performance.now();
  await new Promise((r) => setTimeout(r, 20));
  h.observeSince(started);
  const s = h.snapshot();
  assert.equal(s.count, 1);
  assert.ok(s.sum >= 0.015 && s.sum < 5, `${s.sum} s`);
  assert.equal(s.cumulative[DURATION_BUCKETS_SECONDS.indexOf(0.01)], 0, 'not in the 10 ms bucket');
});

test('bounds must be finite and strictly ascending', () => {
  assert.throws(() => new Histogram([]), RangeError);
  assert.throws(() => new Histogram([1, 1]), RangeError);
  assert.throws(() => new Histogram([2, 1]), RangeError);
  assert.throws(() => new Histogram([1, Number.POSITIVE_INFINITY]), RangeError);
  assert.ok(DURATION_BUCKETS_SECONDS.every((b, i) => i === 0 || b > DURATION_BUCKETS_SECONDS[i - 1]!));
});
