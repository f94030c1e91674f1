import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryLogger } from '../../src/core/log/index.js';
import { Listeners } from '../../src/host/listeners.js';

test('a listener that throws is logged and the others are still told; removed ones are not', () => {
  const log = createMemoryLogger();
  const listeners = new Listeners<number>(log, 'A notice listener');
  const seen: number[] = [];
  listeners.add(() => {
    throw new Error('window gone');
  });
  const remove = listeners.add((n) => seen.push(n * 10));
  listeners.add((n) => seen.push(n));
  assert.equal(listeners.size, 3);
  listeners.emit(1);
  remove();
  listeners.emit(2);
  assert.deepEqual(seen, [10, 1, 2]);
  assert.equal(log.lines.filter((l) => l.includes('A notice listener failed: window gone')).length, 2);
  listeners.clear();
  listeners.emit(3);
  assert.deepEqual(seen, [10, 1, 2]);
});
