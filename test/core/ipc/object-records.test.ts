import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ObjectRecords } from '../../../src/core/ipc/object-records.js';
import { IpcRefusal } from '../../../src/core/ipc/refusal.js';
import { memoryState } from '../../fixtures/account/memory-state.js';
import { fakeSession, randomGhid } from '../../fixtures/ipc/fakes.js';

const OWNER = '11'.repeat(16);

test('a private object is for its owner token only; its owner record is written at once', async () => {
  const state = memoryState();
  const records = new ObjectRecords(state);
  const g = randomGhid();
  const owner = fakeSession(1, { token: OWNER });
  const other = fakeSession(2, { token: '22'.repeat(16) });
  assert.equal(records.checkAccess(other.s, g), null, 'a public object is for everyone');
  await records.setOwner(g, OWNER);
  assert.equal(state.map.raw.get(`ipc:private:${g.text}`), OWNER);
  assert.equal(state.map.flushes, 1);
  assert.equal(records.checkAccess(owner.s, g), OWNER);
  assert.throws(() => records.checkAccess(other.s, g), IpcRefusal);
  assert.throws(() => records.checkAccess(fakeSession(3).s, g), IpcRefusal, 'nor for a connection without a token');
  records.clearOwner(g);
  assert.equal(records.checkAccess(other.s, g), null);
});

test('only a legroom the app chose is recorded; a forgotten object loses its records', async () => {
  const state = memoryState();
  const records = new ObjectRecords(state);
  const g = randomGhid();
  records.setLegroom(g, 0);
  assert.equal(state.map.raw.size, 0);
  assert.equal(records.legroomOf(g), 0);
  records.setLegroom(g, 12);
  assert.equal(state.map.raw.get(`ipc:legroom:${g.text}`), 12);
  assert.equal(records.legroomOf(g), 12);
  records.copyOwner(g, OWNER);
  records.forget(g);
  assert.equal(state.map.raw.size, 0);
});
