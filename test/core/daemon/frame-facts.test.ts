// What the daemon reads of queued frames, and its index of them by object: real frames made by the
// reference (vectors), among other objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueuedFrames, frameFacts } from '../../../src/core/daemon/frame-facts.js';
import type { GolixObject } from '../../../src/core/golix/index.js';
import { vectors } from '../../fixtures/remote/setup.js';

type Frame = Extract<GolixObject, { type: 'GOBD' }>;

function framesByCounter() {
  const v = vectors();
  const frames = v.frames.map((f) => f.obj).filter((f): f is Frame => f.type === 'GOBD' && f.dynamic.equals(v.dynamic));
  assert.ok(frames.length >= 2);
  return { v, frames: [...frames].sort((a, b) => Number((a.counter ?? 0n) - (b.counter ?? 0n))) };
}

const factsOf = (f: Frame) => ({ dynamic: f.dynamic.text, counter: f.counter ?? 0n, container: f.targets[0]!.text, previous: f.targets[1]?.text ?? null });

test('frameFacts: a frame\'s object, counter, container and the container it was written on; null for anything else', () => {
  const { v, frames } = framesByCounter();
  for (const f of frames) assert.deepEqual(frameFacts(f.raw), factsOf(f));
  for (const other of [v.geocs[0]!.obj, v.gidcs[0]!.obj, v.gobs.obj, v.gdxx[0]!.obj]) assert.equal(frameFacts(other.raw), null, other.type);
  assert.equal(frameFacts(Buffer.from('GOBD')), null, 'a frame cut short');
  assert.equal(frameFacts(Buffer.alloc(0)), null, 'nothing');
});

test('QueuedFrames: the lowest-counter frame of each object, whatever the order queued; removed frames leave it', () => {
  const { v, frames } = framesByCounter();
  const q = new QueuedFrames();
  // Queued newest first, with other objects between: the counter decides, not the order.
  for (const f of [...frames].reverse()) {
    q.add(f.ghid.text, f.raw);
    q.add(v.geocs[0]!.obj.ghid.text, v.geocs[0]!.obj.raw);
  }
  const [oldest, second] = frames as [Frame, Frame];
  assert.deepEqual(q.oldest(v.dynamic.text), factsOf(oldest));
  assert.deepEqual([...q.oldestEach()], [factsOf(oldest)], 'one object');
  q.remove(oldest.ghid.text);
  q.remove(v.geocs[0]!.obj.ghid.text);
  assert.deepEqual(q.oldest(v.dynamic.text), factsOf(second));
  for (const f of frames) q.remove(f.ghid.text);
  assert.equal(q.oldest(v.dynamic.text), null);
  assert.deepEqual([...q.oldestEach()], []);
});
