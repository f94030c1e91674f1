// The object verbs' own rules (privacy, legroom records, who hears what) over a fake daemon;
// every verb against a real daemon is in server.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Inbox } from '../../../src/core/ipc/inbox.js';
import { ObjectAccess } from '../../../src/core/ipc/object-access.js';
import { ObjectRecords } from '../../../src/core/ipc/object-records.js';
import { IpcRefusal } from '../../../src/core/ipc/refusal.js';
import { SessionTable } from '../../../src/core/ipc/session.js';
import { Tracking } from '../../../src/core/ipc/tracking.js';
import { AppVerb, decodeObjDef, encodeObjDef, encodeShareRequest, idText } from '../../../src/wire/index.js';
import { silentLogger } from '../../../src/core/remote/logger.js';
import type { Sharing } from '../../../src/core/sharing/sharing.js';
import { API_A, FakeDaemon, fakeContext, fakeSession, randomGhid } from '../../fixtures/ipc/fakes.js';
import { until } from '../../fixtures/wait.js';

const TOKEN = '44'.repeat(16);

function setup() {
  const daemon = new FakeDaemon();
  const sessions = new SessionTable();
  const records = new ObjectRecords(daemon);
  const tracking = new Tracking(daemon, 100);
  const inbox = new Inbox(daemon, sessions, silentLogger);
  const shares: [string, string, string | null][] = [];
  const sharing = { share: async (g, r, t) => (shares.push([g.text, r.text, t ?? null]), randomGhid()) } as Pick<Sharing, 'share'>;
  const access = new ObjectAccess({ daemon, sharing, sessions, records, tracking, inbox, logger: silentLogger });
  const connect = (id: number, token: string | null = null) => {
    const x = fakeSession(id);
    x.s.apis.add(idText(API_A));
    sessions.add(x.s);
    if (token) sessions.bindToken(x.s, token);
    return x;
  };
  return { daemon, records, access, shares, connect, raw: daemon.shared.map.raw };
}

const newDef = (o: { private?: boolean; legroom?: number } = {}) =>
  Buffer.from(encodeObjDef({ apiId: API_A, state: Buffer.from('s'), dynamic: true, private: o.private ?? false, legroom: o.legroom ?? 0 }));

test('a new public object is announced to the other apps of its api_id; a private one to nobody', async () => {
  const { access, connect, raw } = setup();
  const a = connect(1, TOKEN);
  const b = connect(2);
  const ctx = fakeContext();
  await access.newObject(a.s, newDef({ legroom: 9 }), ctx);
  ctx.runAfter();
  assert.deepEqual(b.conn.pushes.map((p) => p.verb), [AppVerb.share]);
  assert.equal(a.conn.pushes.length, 0);
  assert.equal([...raw.values()].includes(9), true, 'the chosen legroom is recorded');

  const priv = fakeContext();
  const g = await access.newObject(a.s, newDef({ private: true }), priv);
  priv.runAfter();
  assert.equal(b.conn.pushes.length, 1);
  assert.equal(raw.get(`ipc:private:${textOf(g)}`), TOKEN);
  await assert.rejects(access.newObject(b.s, newDef({ private: true }), fakeContext()), IpcRefusal, 'private objects need a token');
});

test('a private object: hidden from other apps, never shared, and a public one cannot turn private', async () => {
  const { access, connect, shares } = setup();
  const a = connect(1, TOKEN);
  const b = connect(2, '55'.repeat(16));
  const priv = await access.newObject(a.s, newDef({ private: true }), fakeContext());
  await assert.rejects(access.getObject(b.s, Buffer.from(priv)), IpcRefusal);
  const def = decodeObjDef(await access.getObject(a.s, Buffer.from(priv)));
  assert.equal(def.private, true);
  const recipient = randomGhid();
  await assert.rejects(access.shareObject(a.s, Buffer.from(encodeShareRequest(priv, recipient.bytes))), IpcRefusal);

  const pub = await access.newObject(a.s, newDef(), fakeContext());
  const update = Buffer.from(encodeObjDef({ address: pub, apiId: API_A, state: Buffer.from('t'), dynamic: true, private: true }));
  await assert.rejects(access.updateObject(a.s, update, fakeContext()), /CatOuttaBagError/);
  await access.shareObject(b.s, Buffer.from(encodeShareRequest(pub, recipient.bytes)));
  const c = connect(3);
  await access.shareObject(c.s, Buffer.from(encodeShareRequest(pub, recipient.bytes)));
  // The outcome goes to the token that asked, else to the connection.
  assert.deepEqual(shares, [
    [textOf(pub), recipient.text, '55'.repeat(16)],
    [textOf(pub), recipient.text, c.s.connKey],
  ]);
});

test('freezing a private object keeps the copy private; deleting one forgets its records and tells the other trackers', async () => {
  const { daemon, access, connect, raw } = setup();
  const a = connect(1, TOKEN);
  const g = await access.newObject(a.s, newDef({ private: true, legroom: 5 }), fakeContext());
  const frozen = await access.freezeObject(a.s, Buffer.from(g));
  assert.equal(raw.get(`ipc:private:${textOf(frozen)}`), TOKEN);

  const pub = await access.newObject(a.s, newDef({ legroom: 5 }), fakeContext());
  const b = connect(2);
  await access.getObject(b.s, Buffer.from(pub));
  await access.deleteObject(a.s, Buffer.from(pub));
  assert.deepEqual(daemon.deleted, [textOf(pub)]);
  assert.equal(raw.has(`ipc:legroom:${textOf(pub)}`), false);
  assert.deepEqual(b.conn.pushes.map((p) => p.verb), [AppVerb.delete]);
  assert.equal(b.s.tracked.size, 0);
});

test('a share result reaches the token that asked, or is only logged', () => {
  const { access, connect } = setup();
  const a = connect(1, TOKEN);
  const r = { ghid: randomGhid(), recipient: randomGhid() };
  access.shareResult({ ...r, ok: true, token: TOKEN });
  access.shareResult({ ...r, ok: false, token: a.s.connKey });
  access.shareResult({ ...r, ok: true, token: '66'.repeat(16) });
  access.shareResult({ ...r, ok: true, token: null });
  assert.deepEqual(a.conn.pushes.map((p) => p.verb), [AppVerb.shareSucceeded, AppVerb.shareFailed]);
});

/** A GHID as the wire carries it, as text. */
function textOf(bytes: Uint8Array): string {
  return idText(bytes);
}

test("an app whose change crossed another app's on the way hears the object as it is after its own", async () => {
  const { access, connect } = setup();
  const a = connect(1);
  const b = connect(2);
  const g = await access.newObject(a.s, newDef(), fakeContext());
  await access.getObject(b.s, Buffer.from(g));
  const updateTo = (state: string) => Buffer.from(encodeObjDef({ address: g, apiId: API_A, state: Buffer.from(state), dynamic: true, private: false }));
  let release!: () => void;
  b.conn.gate = new Promise((r) => (release = r));

  const first = fakeContext();
  await access.updateObject(a.s, updateTo('from a'), first);
  first.runAfter();
  // b has not read a's version yet when its own change arrives.
  const second = fakeContext();
  await access.updateObject(b.s, updateTo('from b'), second);
  second.runAfter();
  b.conn.gate = null;
  release();
  const statesOf = (conn: typeof a.conn) => conn.pushes.map((p) => Buffer.from(decodeObjDef(p.body).state).toString());
  await until(() => b.conn.pushes.length === 2, "b's own version after a's");
  assert.deepEqual(statesOf(b.conn), ['from a', 'from b']);
  assert.deepEqual(statesOf(a.conn), ['from b'], 'a hears b, once');
});
