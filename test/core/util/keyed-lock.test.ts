import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedLock } from '../../../src/core/util/keyed-lock.js';

const tick = () => new Promise((r) => setImmediate(r));

test('work under one key runs one at a time in call order, a failure included; other keys run alongside', async () => {
  const lock = new KeyedLock();
  const log: string[] = [];
  const step = (name: string, fail = false) => async () => {
    log.push(`${name} start`);
    await tick();
    log.push(`${name} end`);
    if (fail) throw new Error(name);
    return name;
  };
  const a1 = lock.run('a', step('a1', true));
  const a2 = lock.run('a', step('a2'));
  const b1 = lock.run('b', step('b1'));
  await assert.rejects(a1, /a1/);
  assert.equal(await a2, 'a2');
  assert.equal(await b1, 'b1');
  assert.deepEqual(log.filter((l) => l.startsWith('a')), ['a1 start', 'a1 end', 'a2 start', 'a2 end']);
  assert.ok(log.indexOf('b1 start') < log.indexOf('a1 end'), 'b did not wait for a');
});
