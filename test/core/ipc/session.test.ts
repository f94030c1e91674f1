import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpcRefusal } from '../../../src/core/ipc/refusal.js';
import { SessionTable } from '../../../src/core/ipc/session.js';
import { fakeSession } from '../../fixtures/ipc/fakes.js';

test('the session table finds a session by its token or its connection key, and forgets both on removal', () => {
  const table = new SessionTable();
  const { s: a } = fakeSession(1);
  const { s: b } = fakeSession(2, { admitted: false });
  table.add(a);
  table.add(b);
  assert.equal(table.size, 2);
  assert.deepEqual(table.admitted(), [a]);
  assert.equal(table.find(b.connKey), b);
  table.bindToken(a, 'aa'.repeat(16));
  assert.equal(a.token, 'aa'.repeat(16));
  assert.equal(table.holderOf('aa'.repeat(16)), a);
  assert.equal(table.find('aa'.repeat(16)), a);
  table.remove(a);
  assert.equal(table.holderOf('aa'.repeat(16)), undefined);
  assert.equal(table.find(a.connKey), undefined);
  assert.deepEqual([...table], [b]);
});

test('requireToken names what needs the token', () => {
  const { s } = fakeSession(1);
  assert.throws(() => s.requireToken('A startup object'), (e: unknown) => e instanceof IpcRefusal && /A startup object needs an app token/.test((e as Error).message));
  s.token = 'bb'.repeat(16);
  assert.equal(s.requireToken('A startup object'), 'bb'.repeat(16));
});

test('a push resolves to whether the app took it; a closed connection is not asked', async () => {
  const { s, conn } = fakeSession(1);
  assert.equal(await s.push('@O', Uint8Array.of(7)), true);
  conn.takes = false;
  assert.equal(await s.push('@O', Uint8Array.of(8)), false);
  conn.isOpen = false;
  assert.equal(await s.push('@O', Uint8Array.of(9)), false);
  assert.deepEqual(conn.pushes.map((p) => [...p.body]), [[7], [8]]);
});
