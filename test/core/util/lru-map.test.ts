// LruMap: at most `max` entries, the least recently used (read or written) forgotten first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LruMap } from '../../../src/core/util/lru-map.js';

test('holds at most max entries and forgets the least recently used first; a read counts as a use', () => {
  const m = new LruMap<string, number>(3);
  for (const [i, k] of ['a', 'b', 'c'].entries()) m.set(k, i);
  assert.equal(m.get('a'), 0, 'a read: a is now the most recently used');
  m.set('d', 3);
  assert.equal(m.size, 3);
  assert.equal(m.get('b'), undefined, 'b, the least recently used, went');
  assert.deepEqual(['a', 'c', 'd'].map((k) => m.get(k)), [0, 2, 3]);
  m.set('c', 20);
  m.set('e', 4);
  assert.equal(m.get('a'), undefined, 'a went: the reads of c and d and the write of c came after its last use');
  assert.equal(m.get('c'), 20);
  assert.equal(m.delete('c'), true);
  assert.equal(m.delete('c'), false);
  m.clear();
  assert.equal(m.size, 0);
});

test('a size below one is refused', () => {
  for (const max of [0, -1, 1.5, Number.NaN]) assert.throws(() => new LruMap(max), RangeError);
});
