import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ghid } from '../../../src/core/golix/index.js';
import { MovingRate, ServerMetrics } from '../../../src/core/remote/metrics.js';
import { Histogram } from '../../../src/core/util/histogram.js';
import { SubscriptionRegistry } from '../../../src/core/remote/subscriptions.js';

test('the moving rate averages over the last minute and forgets older seconds', () => {
  let now = 1_000_000;
  const rate = new MovingRate(60, () => now);
  for (let i = 0; i < 120; i++) rate.mark();
  assert.equal(rate.perSecond(), 2);
  now += 30_000;
  rate.mark(60);
  assert.equal(rate.perSecond(), 3);
  now += 31_000; // the first burst is now older than a minute
  assert.equal(rate.perSecond(), 1);
  now += 60_000;
  assert.equal(rate.perSecond(), 0);
});

test('rejections are counted per code, code-less NKs apart', () => {
  const m = new ServerMetrics();
  m.rejection(8);
  m.rejection(8);
  m.rejection(null);
  const text = m.render({ ready: true, store: { objects: 0, byType: {} }, connections: 0, subscriptions: 0 });
  assert.match(text, /^hypergolix_rejections_total\{code="0008",name="DoesNotExist"\} 2$/m);
  assert.match(text, /^hypergolix_rejections_total\{code="none",name="none"\} 1$/m);
});

test('the subscription registry is consistent in both directions', () => {
  const g = (n: number) => Ghid.fromDigest(Buffer.alloc(64, n));
  const r = new SubscriptionRegistry<string>();
  assert.equal(r.add('a', g(1)), true);
  assert.equal(r.add('a', g(1)), false);
  r.add('a', g(2));
  r.add('b', g(1));
  assert.equal(r.size, 3);
  assert.deepEqual(r.subscribersOf(g(1)).sort(), ['a', 'b']);
  assert.deepEqual(r.of('a').map((x) => x.text), [g(1).text, g(2).text]);
  assert.equal(r.removeAll('a'), 2);
  assert.deepEqual(r.subscribersOf(g(1)), ['b']);
  assert.deepEqual(r.subscribersOf(g(2)), []);
  assert.equal(r.remove('b', g(2)), false);
  assert.equal(r.remove('b', g(1)), true);
  assert.equal(r.size, 0);
  assert.equal(r.countOf('b'), 0);
});

test('latencies render as Prometheus histograms: cumulative buckets, +Inf, sum and count', () => {
  const m = new ServerMetrics();
  m.publish(true, performance.now());
  const commits = new Histogram([0.001, 0.01]);
  for (const v of [0.0005, 0.002, 0.002, 3]) commits.observe(v);
  const text = m.render({ ready: true, store: { objects: 0, byType: {} }, connections: 0, subscriptions: 0, commitDurations: commits.snapshot() });
  const lines = text.split('\n');
  const block = lines.slice(lines.indexOf('# TYPE hypergolix_store_commit_duration_seconds histogram') + 1).slice(0, 5);
  assert.deepEqual(block, [
    'hypergolix_store_commit_duration_seconds_bucket{le="0.001"} 1',
    'hypergolix_store_commit_duration_seconds_bucket{le="0.01"} 3',
    'hypergolix_store_commit_duration_seconds_bucket{le="+Inf"} 4',
    'hypergolix_store_commit_duration_seconds_sum 3.0045',
    'hypergolix_store_commit_duration_seconds_count 4',
  ]);
  assert.ok(lines.includes('hypergolix_publish_duration_seconds_count 1'));
  assert.ok(lines.includes('hypergolix_publish_duration_seconds_bucket{le="+Inf"} 1'));
  assert.ok(lines.some((l) => /^hypergolix_publish_duration_seconds_bucket\{le="0\.0001"\} [01]$/.test(l)), 'the first bound is written in full');
  m.publish(true);
  assert.ok(m.render({ ready: true, store: null, connections: 0, subscriptions: 0 }).includes('hypergolix_publish_duration_seconds_count 1\n'), 'a publish with no start time is counted but not timed');
  assert.doesNotMatch(m.render({ ready: true, store: null, connections: 0, subscriptions: 0 }), /store_commit/);
});
