import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ghid } from '../../../src/core/golix/index.js';
import type { AppObject } from '../../../src/core/objects/app-object.js';
import { API_ID_RAW } from '../../../src/core/objects/hgxd.js';
import { LiveObjects } from '../../../src/core/objects/live-objects.js';

const ghid = (n: number) => Ghid.fromDigest(Buffer.alloc(64, n));
const object = (n: number): AppObject => ({ ghid: ghid(n), dynamic: false, apiId: API_ID_RAW, state: Buffer.from(`${n}`), author: ghid(99), counter: 0n, container: ghid(n) });

test('the least recently used objects leave first, down to the bound, and each is reported once', () => {
  const evicted: number[] = [];
  const live = new LiveObjects(2, (g) => evicted.push(g.address[0]!));
  live.remember(object(1));
  live.remember(object(2));
  live.remember(object(1));
  live.remember(object(3));
  assert.deepEqual(evicted, [2], 'the second was the least recently used');
  assert.deepEqual([1, 2, 3].map((n) => live.has(ghid(n))), [true, false, true]);
});

test('pinned objects stay past the bound; unpinned, they leave at once if over it', () => {
  const evicted: number[] = [];
  const live = new LiveObjects(1, (g) => evicted.push(g.address[0]!));
  live.pin(ghid(1));
  live.remember(object(1));
  live.remember(object(2));
  assert.deepEqual(evicted, [2], 'the unpinned one left, though newer');
  live.pin(ghid(3));
  live.remember(object(3));
  assert.deepEqual(evicted, [2], 'two pinned, one over the bound');
  live.unpin(ghid(1));
  assert.deepEqual(evicted, [2, 1]);
  assert.equal(live.get(ghid(3))?.state.toString(), '3');
});

test('a busy object stays past the bound, and leaves at a later trim once it is not', () => {
  const evicted: number[] = [];
  let busy = true;
  const live = new LiveObjects(1, (g) => evicted.push(g.address[0]!), (g) => busy && g.address[0] === 1);
  live.remember(object(1));
  live.remember(object(2));
  assert.deepEqual(evicted, [2], 'the busy one stayed, though older');
  busy = false;
  live.remember(object(3));
  assert.deepEqual(evicted, [2, 1]);
  assert.deepEqual([1, 3].map((n) => live.has(ghid(n))), [false, true]);
});

test('an object discarded, or evicted, leaves with its frame; one remembered without a frame keeps the last', () => {
  const live = new LiveObjects(1, () => {});
  const frame = { dynamic: ghid(1) } as unknown as Parameters<LiveObjects['remember']>[1];
  live.remember(object(1), frame);
  live.remember(object(1));
  assert.equal(live.frame(ghid(1)), frame);
  live.discard(ghid(1));
  assert.equal(live.frame(ghid(1)), undefined);
  assert.equal(live.get(ghid(1)), undefined);
  live.remember(object(1), frame);
  live.remember(object(2));
  assert.equal(live.frame(ghid(1)), undefined, 'evicted with it');
});
