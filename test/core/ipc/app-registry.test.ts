import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MalformedGolixPrimitive, UnknownToken } from '../../../src/core/golix/index.js';
import { AppRegistry } from '../../../src/core/ipc/app-registry.js';
import { Inbox } from '../../../src/core/ipc/inbox.js';
import { ObjectRecords } from '../../../src/core/ipc/object-records.js';
import { IpcRefusal } from '../../../src/core/ipc/refusal.js';
import { SessionTable } from '../../../src/core/ipc/session.js';
import { AppVerb, idText } from '../../../src/wire/index.js';
import { silentLogger } from '../../../src/core/remote/logger.js';
import { memoryState } from '../../fixtures/account/memory-state.js';
import { API_A, API_B, fakeContext, fakeSession, randomGhid } from '../../fixtures/ipc/fakes.js';

const ZERO = Buffer.alloc(16);

function setup() {
  const daemon = memoryState();
  const sessions = new SessionTable();
  const records = new ObjectRecords(daemon);
  const inbox = new Inbox(daemon, sessions, silentLogger);
  let changes = 0;
  const registry = new AppRegistry({ daemon, sessions, records, inbox, logger: silentLogger, changed: () => changes++ });
  const connect = (id: number, o: { authenticated?: boolean } = {}) => {
    const x = fakeSession(id, { authenticated: o.authenticated ?? true });
    sessions.add(x.s);
    return x;
  };
  return { daemon, sessions, records, inbox, registry, connect, changes: () => changes };
}

test('a zero token asks for a new one, kept in the account; it binds one connection at a time', async () => {
  const { daemon, registry, connect, changes } = setup();
  const a = connect(1);
  const ctx = fakeContext();
  const token = Buffer.from(await registry.setToken(a.s, ZERO, ctx)).toString('hex');
  assert.equal(a.s.token, token);
  assert.deepEqual(Object.keys(daemon.map.raw.get(`ipc:token:${token}`) as object), ['at']);
  assert.equal(daemon.map.flushes, 1, 'the new token is written before it is answered');
  ctx.runAfter();
  assert.equal(changes(), 1);

  await assert.rejects(registry.setToken(a.s, ZERO, fakeContext()), IpcRefusal, 'one token per connection');
  const b = connect(2);
  await assert.rejects(registry.setToken(b.s, Buffer.from(token, 'hex'), fakeContext()), IpcRefusal, 'in use elsewhere');
  await assert.rejects(registry.setToken(b.s, Buffer.alloc(16, 9), fakeContext()), UnknownToken);
  await assert.rejects(registry.setToken(b.s, Buffer.alloc(15), fakeContext()), MalformedGolixPrimitive);
  await assert.rejects(registry.setToken(connect(3, { authenticated: false }).s, ZERO, fakeContext()), IpcRefusal, 'legacy clients get no tokens');
});

test("api_ids registered before and after the token are the token's, and come back with it", async () => {
  const { daemon, sessions, registry, connect } = setup();
  const a = connect(1);
  registry.registerApi(a.s, API_A, fakeContext());
  const token = Buffer.from(await registry.setToken(a.s, ZERO, fakeContext())).toString('hex');
  registry.registerApi(a.s, API_B, fakeContext());
  assert.deepEqual(daemon.map.raw.get(`ipc:apis:${token}`), [idText(API_A), idText(API_B)]);
  registry.deregisterApi(a.s, API_A);
  assert.deepEqual(daemon.map.raw.get(`ipc:apis:${token}`), [idText(API_B)]);

  sessions.remove(a.s);
  const again = connect(2);
  await registry.setToken(again.s, Buffer.from(token, 'hex'), fakeContext());
  assert.deepEqual([...again.s.apis], [idText(API_B)]);
  registry.deregisterApi(again.s, API_B);
  assert.equal(daemon.map.raw.has(`ipc:apis:${token}`), false, 'no api_ids left: no record');
});

test('registering an api_id delivers the shares kept for it once the answer is out', async () => {
  const { registry, inbox, connect } = setup();
  const share = { ghid: randomGhid(), from: randomGhid(), apiId: API_A };
  await inbox.deliverShare(share);
  const a = connect(1);
  const ctx = fakeContext();
  registry.registerApi(a.s, API_A, ctx);
  assert.equal(a.conn.pushes.length, 0, 'nothing before the answer');
  ctx.runAfter();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(a.conn.pushes.map((p) => p.verb), [AppVerb.share]);
});

test("a startup object is the token's, and must be one the token may use", async () => {
  const { daemon, registry, records, connect } = setup();
  const a = connect(1);
  assert.throws(() => registry.getStartup(a.s), IpcRefusal);
  const token = Buffer.from(await registry.setToken(a.s, ZERO, fakeContext())).toString('hex');
  assert.equal(registry.getStartup(a.s).length, 0);
  const g = randomGhid();
  registry.registerStartup(a.s, Buffer.from(g.bytes));
  assert.equal(daemon.map.raw.get(`ipc:startup:${token}`), g.text);
  assert.deepEqual(Buffer.from(registry.getStartup(a.s)), Buffer.from(g.bytes));
  const foreign = randomGhid();
  await records.setOwner(foreign, '33'.repeat(16));
  assert.throws(() => registry.registerStartup(a.s, Buffer.from(foreign.bytes)), IpcRefusal);
  registry.deregisterStartup(a.s);
  assert.equal(registry.getStartup(a.s).length, 0);
});
