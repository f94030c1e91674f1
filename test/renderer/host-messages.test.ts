// Browser mode's routing of the bridge's messages, in Node (the socket and the
// page around it are covered by the browser-mode tests in a real Chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostEvent, Response } from '../../src/common/contract.js';
import { route, type Pending } from '../../src/renderer/host-messages.js';

function setUp() {
  const answers: Response[] = [];
  const pending: Pending = new Map([[7, { kind: 'whoami', resolve: (r: Response) => void answers.push(r) }]]);
  const events: HostEvent[] = [];
  return { answers, pending, listeners: new Set([(ev: HostEvent) => void events.push(ev)]), events };
}

test('an answer reaches the request waiting for it, once; an event reaches the listeners', () => {
  const { answers, pending, listeners, events } = setUp();
  const identity = { fingerprint: 'AXM3t9nuvmo-rTQ3obn0JUMir9d7nAqnfnvAscBkfB2mfOoW_PgyLfdr2U6eRpWcljy2FGXWx4WBMgPPW1XI7qE=', userId: 'AXM3t9nuvmo-rTQ3obn0JUMir9d7nAqnfnvAscBkfB2mfOoW_PgyLfdr2U6eRpWcljy2FGXWx4WBMgPPW1XI7qE=' };
  route(JSON.stringify({ id: 7, response: { ok: true, value: identity } }), pending, listeners);
  assert.deepEqual(answers, [{ ok: true, value: identity }]);
  assert.equal(pending.size, 0);
  route(JSON.stringify({ event: { kind: 'notice', title: 'Hello', body: 'from the host' } }), pending, listeners);
  assert.equal(events.length, 1);
});

test('an answer that does not parse ends its request with an internal failure instead of leaving it waiting', () => {
  const { answers, pending, listeners } = setUp();
  route(JSON.stringify({ id: 7, response: { ok: true, value: { fingerprint: 12 } } }), pending, listeners);
  assert.equal(answers.length, 1);
  const [answer] = answers;
  assert.equal(answer!.ok, false);
  assert.equal(!answer!.ok && answer!.error.code, 'internal');
  assert.match(!answer!.ok ? answer!.error.message : '', /The host answered oddly/);
  assert.equal(pending.size, 0);
});

test('malformed messages for no waiting request, and text that is not JSON, are ignored', (t) => {
  const { answers, pending, listeners, events } = setUp();
  const warn = t.mock.method(console, 'warn', () => {});
  route('{not json', pending, listeners);
  route(JSON.stringify({ id: 99, response: { ok: 'yes' } }), pending, listeners);
  route(JSON.stringify({ event: { kind: 'nonsense' } }), pending, listeners);
  assert.deepEqual(answers, []);
  assert.deepEqual(events, []);
  assert.equal(pending.size, 1, 'the waiting request still waits');
  assert.equal(warn.mock.callCount(), 2);
});
