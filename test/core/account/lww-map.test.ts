// LwwMap's ranks: a map may rank some values above others whatever their times, and its
// replicas still converge. (Merging by time alone is in account-primitives.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LwwMap, type JsonValue, type Rank } from '../../../src/core/account/lww-map.js';

/** Under `n:` keys numbers rank by size and a deletion above them; everything else goes by time. */
const bigger: Rank = (key, value) => (!key.startsWith('n:') ? 0n : value === null ? 1000n : typeof value === 'number' ? BigInt(value) : -1n);
const copy = (m: LwwMap, device: string) => LwwMap.decode(m.encode(), device, bigger);

test('a ranked value wins over a later write of a lower one, from either side; unranked keys go by time', () => {
  const early = new LwwMap('early', bigger);
  const late = new LwwMap('late', bigger);
  early.set('n:x', 12);
  early.set('t:x', 'early');
  // Written afterwards: later times (or the same millisecond, and "late" > "early" breaks the tie).
  late.set('n:x', 3);
  late.set('t:x', 'late');
  const a = copy(early, 'a');
  const b = copy(late, 'b');
  assert.equal(a.merge(copy(late, 'x')), true);
  assert.equal(b.merge(copy(early, 'y')), true);
  for (const m of [a, b]) {
    assert.equal(m.get('n:x'), 12, 'the higher number, though written first');
    assert.equal(m.get('t:x'), 'late', 'the later write');
  }
  assert.equal(copy(late, 'z').isCoveredBy(a), true, 'what the later map holds is covered: it lost');
  assert.equal(copy(early, 'z').isCoveredBy(b), true);
});

test('replicas with a rank converge whatever order they merge in', () => {
  let seed = 20261204;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let round = 0; round < 50; round++) {
    const replicas = ['p', 'q', 'r'].map((d) => new LwwMap(d, bigger));
    for (let i = 0; i < 30; i++) {
      const m = replicas[Math.floor(random() * 3)]!;
      const key = `${random() < 0.5 ? 'n' : 't'}:${Math.floor(random() * 4)}`;
      if (random() < 0.15) m.delete(key);
      else m.set(key, Math.floor(random() * 10) as JsonValue);
    }
    const orders = [[0, 1, 2], [2, 1, 0], [1, 0, 2]];
    const results = orders.map((order) => {
      const into = new LwwMap('sum', bigger);
      for (const i of order) into.merge(copy(replicas[i]!, 'x'));
      return JSON.stringify([...into.entries()].sort(([x], [y]) => (x < y ? -1 : 1)));
    });
    assert.equal(new Set(results).size, 1, `round ${round}: ${results.join(' / ')}`);
  }
});

test("a merge tells of the value a write of higher rank took the key from, on either side, and of one another device's later write of the same rank took; not of a device's own older write, nor of a deletion", () => {
  const told: [string, JsonValue][] = [];
  const earlier = new LwwMap('here', bigger);
  earlier.set('t:own', 'first');
  const here = new LwwMap('here', bigger);
  here.outranked = (key, value) => told.push([key, value]);
  here.set('n:mine-higher', 9);
  here.set('n:theirs-higher', 2);
  here.set('n:same', 5);
  here.set('t:time', 'old');
  here.set('n:deleted', 4);
  here.delete('n:deleted');
  here.set('t:own', 'second');
  const there = new LwwMap('there', bigger);
  there.set('n:mine-higher', 3);
  there.set('n:theirs-higher', 7);
  there.set('n:same', 6);
  there.set('n:same', 5);
  there.set('t:time', 'new');
  there.set('n:deleted', 8);
  here.merge(there);
  here.merge(earlier);
  assert.deepEqual(told.sort(), [
    ['n:deleted', 8],
    ['n:mine-higher', 3],
    ['n:same', 5],
    ['n:theirs-higher', 2],
    ['t:time', 'old'],
  ]);
  assert.equal(here.get('n:theirs-higher'), 7);
  assert.equal(here.get('n:mine-higher'), 9);
  assert.equal(here.get('t:time'), 'new');
  assert.equal(here.get('t:own'), 'second', "a device's own later write moves its value on, and is not told of");
  // A second merge of the same tells again of what still loses there (a merge remembers nothing).
  told.length = 0;
  here.merge(there);
  assert.deepEqual(told.map(([k]) => k).sort(), ['n:deleted', 'n:mine-higher']);
});
