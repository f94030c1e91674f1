import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Inbox } from '../../../src/core/ipc/inbox.js';
import { SessionTable } from '../../../src/core/ipc/session.js';
import { AppVerb, decodeShareNotice, idText } from '../../../src/wire/index.js';
import { silentLogger } from '../../../src/core/remote/logger.js';
import { memoryState } from '../../fixtures/account/memory-state.js';
import { API_A, API_B, fakeSession, randomGhid } from '../../fixtures/ipc/fakes.js';

function setup() {
  const state = memoryState();
  const sessions = new SessionTable();
  const inbox = new Inbox(state, sessions, silentLogger);
  const share = { ghid: randomGhid(), from: randomGhid(), apiId: API_A };
  return { state, sessions, inbox, share };
}

test('a share no app takes is kept under inbox:<ghid>, written at once', async () => {
  const { state, sessions, inbox, share } = setup();
  const refusing = fakeSession(1);
  refusing.s.apis.add(idText(API_A));
  refusing.conn.takes = false;
  sessions.add(refusing.s);
  await inbox.deliverShare(share);
  const kept = state.map.raw.get(`inbox:${share.ghid.text}`) as { f: string; a: string; at: number };
  assert.equal(kept.f, share.from.text);
  assert.equal(kept.a, idText(API_A));
  assert.equal(typeof kept.at, 'number');
  assert.equal(state.map.flushes, 1);
});

test('a share goes to the apps registered for its api_id or tracking it, and is then not kept', async () => {
  const { state, sessions, inbox, share } = setup();
  const registered = fakeSession(1);
  registered.s.apis.add(idText(API_A));
  const tracking = fakeSession(2);
  tracking.s.tracked.add(share.ghid.text);
  const other = fakeSession(3);
  other.s.apis.add(idText(API_B));
  const unadmitted = fakeSession(4, { admitted: false });
  unadmitted.s.apis.add(idText(API_A));
  for (const x of [registered, tracking, other, unadmitted]) sessions.add(x.s);
  await inbox.deliverShare(share);
  for (const x of [registered, tracking]) {
    assert.deepEqual(x.conn.pushes.map((p) => p.verb), [AppVerb.share]);
    const notice = decodeShareNotice(x.conn.pushes[0]!.body);
    assert.equal(idText(notice.origin), share.from.text);
  }
  assert.equal(other.conn.pushes.length + unadmitted.conn.pushes.length, 0);
  assert.equal(state.map.raw.size, 0);
});

test('kept shares go to the first app that registers their api_id, once, and leave the inbox', async () => {
  const { state, inbox, share } = setup();
  await inbox.deliverShare(share);
  const otherApi = { ghid: randomGhid(), from: randomGhid(), apiId: API_B };
  await inbox.deliverShare(otherApi);
  state.map.raw.set(`inbox:not-a-ghid`, { f: share.from.text, a: idText(API_A), at: 0 });

  const app = fakeSession(1);
  let open!: () => void;
  app.conn.gate = new Promise((r) => (open = r));
  // Two registrations racing (+T and +A answered back to back): one delivery.
  const both = Promise.all([inbox.deliverTo(app.s, idText(API_A)), inbox.deliverTo(app.s, idText(API_A))]);
  setImmediate(open);
  await both;
  assert.equal(app.conn.pushes.length, 1);
  assert.equal(idText(decodeShareNotice(app.conn.pushes[0]!.body).ghid), share.ghid.text);
  assert.deepEqual([...state.map.raw.keys()], [`inbox:${otherApi.ghid.text}`], 'taken and unreadable records leave; the other api_id stays');
});

test('a deleted object no longer waits in the inbox', async () => {
  const { state, inbox, share } = setup();
  await inbox.deliverShare(share);
  inbox.forget(share.ghid);
  assert.equal(state.map.raw.size, 0);
});
