import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ghid, type GolixObject } from '../../../src/core/golix/index.js';
import { newestAnswer } from '../../../src/core/daemon/newest-answer.js';
import { v16Objects } from '../../fixtures/vectors.js';

const v16 = v16Objects();
const frameAt = (n: number) => v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === n)!.obj;
const gidc = v16.find((o) => o.obj.type === 'GIDC')!.obj;
const dynamic = Ghid.fromText(v16.find((o) => o.obj.type === 'GOBD')!.entry.ghid_dynamic!);
const ok = (value: GolixObject): PromiseSettledResult<GolixObject> => ({ status: 'fulfilled', value });
const failed: PromiseSettledResult<GolixObject> = { status: 'rejected', reason: new Error('not there') };

test('the newest frame of the dynamic GHID wins, the copy here included; other objects and failures are passed over', () => {
  assert.equal(newestAnswer(dynamic, null, [failed, ok(frameAt(2)), ok(frameAt(5)), ok(frameAt(3))]), frameAt(5));
  assert.equal(newestAnswer(dynamic, frameAt(6), [ok(frameAt(5))]), frameAt(6), 'an older remote frame does not replace ours');
  assert.equal(newestAnswer(dynamic, null, [ok(gidc)]), null, 'an answer that is another object is no answer');
  assert.equal(newestAnswer(gidc.ghid, null, [failed, ok(gidc)]), gidc);
  assert.equal(newestAnswer(gidc.ghid, null, []), null);
});
