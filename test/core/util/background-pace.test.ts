// BackgroundPace: a rest (or a yield) at every 64th item, said by step(), and whether to rest
// asked at each rest, so a run asked for meanwhile goes on flat out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackgroundPace } from '../../../src/core/util/background-pace.js';

test('step() rests at every 64th item and says so; `paced` is asked at each rest only', async () => {
  for (const paced of [false, true]) {
    let asked = 0;
    const pace = new BackgroundPace(() => (asked++, paced));
    const rests: number[] = [];
    for (let i = 1; i <= 200; i++) if (await pace.step()) rests.push(i);
    assert.deepEqual(rests, [64, 128, 192], `paced ${paced}`);
    assert.equal(asked, 3);
  }
});

test('a step that yields lets other work in before the next item', async () => {
  const pace = new BackgroundPace(() => false);
  let other = false;
  setImmediate(() => (other = true));
  for (let i = 1; i < 64; i++) await pace.step();
  assert.equal(other, false, 'no yield before the 64th');
  await pace.step();
  assert.equal(other, true, 'the 64th let it in');
});
