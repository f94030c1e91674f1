import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RECORD_WAITS_MS, nextUpdateStep } from '../../../src/core/daemon/record-waits.js';
import { IllegalDynamicFrame, InconsistentAuthor, StorageFull, UnknownSecret } from '../../../src/core/golix/index.js';

const unreadable = new UnknownSecret('The newest version is not readable here yet');
const raced = new IllegalDynamicFrame('Frame counter 3 is not greater than the stored 4');
const here = { live: true, online: true, stopping: false };

test('online, an unreadable newest frame is waited for, asking the secrets map again each time, then written over', () => {
  const steps = RECORD_WAITS_MS.map((_, attempt) => nextUpdateStep(unreadable, attempt, here));
  assert.deepEqual(steps, RECORD_WAITS_MS.map((waitMs) => ({ waitMs, refresh: true })));
  assert.equal(nextUpdateStep(unreadable, RECORD_WAITS_MS.length, here), 'over', 'the record did not come: the write is not refused for it');
});

test('offline, the record cannot come: written over at once', () => {
  assert.equal(nextUpdateStep(unreadable, 0, { ...here, online: false }), 'over');
});

test('a race lost to every catch-up waits for a pause without asking the map, then fails', () => {
  assert.deepEqual(nextUpdateStep(raced, 0, here), { waitMs: RECORD_WAITS_MS[0], refresh: false });
  assert.deepEqual(nextUpdateStep(raced, 0, { ...here, online: false }), { waitMs: RECORD_WAITS_MS[0], refresh: false });
  assert.equal(nextUpdateStep(raced, RECORD_WAITS_MS.length, here), 'fail');
});

test('an object never read here, a stopping daemon, and any other error fail at once', () => {
  assert.equal(nextUpdateStep(unreadable, 0, { ...here, live: false }), 'fail');
  assert.equal(nextUpdateStep(unreadable, 0, { ...here, online: false, live: false }), 'fail');
  assert.equal(nextUpdateStep(unreadable, 0, { ...here, stopping: true }), 'fail');
  assert.equal(nextUpdateStep(raced, 0, { ...here, stopping: true }), 'fail');
  for (const err of [new InconsistentAuthor('not ours'), new StorageFull('full'), new Error('anything')]) assert.equal(nextUpdateStep(err, 0, here), 'fail');
});
