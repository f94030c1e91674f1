import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClientMessage, parseServerMessage } from '../../src/common/contract-envelope.js';

test('the WebSocket envelope keeps the caller id when only the request is bad', () => {
  assert.deepEqual(parseClientMessage({ id: 4, request: { kind: 'lock' } }), { ok: true, value: { id: 4, request: { kind: 'lock' } } });
  const inner = parseClientMessage({ id: 5, request: { kind: 'nope' } });
  assert.ok(!inner.ok);
  assert.equal(inner.id, 5);
  assert.equal(inner.error.code, 'unknown-request');
  for (const env of [{ id: -1, request: { kind: 'lock' } }, { id: 1.5 }, { id: '1' }, 'x', null]) {
    const r = parseClientMessage(env);
    assert.ok(!r.ok);
    assert.equal(r.id, null);
  }
  const kinds = new Map([[9, 'whoami' as const]]);
  const k = (id: number) => kinds.get(id);
  assert.equal(parseServerMessage({ id: 9, response: { ok: true, value: { fingerprint: 'a', userId: 'b' } } }, k).ok, true);
  assert.equal(parseServerMessage({ id: 9, response: { ok: true, value: {} } }, k).ok, false);
  assert.equal(parseServerMessage({ id: null, response: { ok: false, error: { code: 'bad-request', message: 'Not JSON' } } }, k).ok, true);
  assert.equal(parseServerMessage({ id: 10, response: { ok: true, value: {} } }, k).ok, false, 'a success for no known request');
  assert.equal(parseServerMessage({ event: { kind: 'restartProgress', phase: 'done' } }, k).ok, true);
  assert.equal(parseServerMessage({ event: { kind: 'restartProgress', phase: 'later' } }, k).ok, false);
});
