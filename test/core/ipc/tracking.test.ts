import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RemoteNak } from '../../../src/core/golix/index.js';
import { Tracking } from '../../../src/core/ipc/tracking.js';
import { AppVerb, decodeObjDef } from '../../../src/wire/index.js';
import { API_A, FakeDaemon, fakeSession, randomGhid } from '../../fixtures/ipc/fakes.js';
import { until } from '../../fixtures/wait.js';

test('an object is pinned while any connection tracks it, and unpinned when the last lets go', async () => {
  const daemon = new FakeDaemon();
  const tracking = new Tracking(daemon, 10);
  const { s: a } = fakeSession(1);
  const { s: b } = fakeSession(2);
  const g = (await daemon.create(API_A, Buffer.from('x'))).ghid.text;
  tracking.track(a, g);
  tracking.track(a, g);
  tracking.track(b, g);
  assert.equal(daemon.pins.get(g), 1, 'pinned once, however many track it');
  tracking.untrack(a, g);
  assert.equal(daemon.pins.get(g), 1);
  tracking.untrackAll(b);
  assert.equal(daemon.pins.get(g), 0);
  assert.equal(b.tracked.size, 0);
});

test('a connection tracks at most maxTracked objects', () => {
  const tracking = new Tracking(new FakeDaemon(), 2);
  const { s } = fakeSession(1);
  tracking.track(s, randomGhid().text);
  assert.equal(tracking.hasRoom(s), true);
  tracking.track(s, randomGhid().text);
  assert.equal(tracking.hasRoom(s), false);
  assert.throws(() => tracking.checkRoom(s), RemoteNak);
});

test("updates reach every tracker but the author, without the author's records; a deletion untracks everyone", async () => {
  const daemon = new FakeDaemon();
  const tracking = new Tracking(daemon, 10);
  const a = fakeSession(1);
  const b = fakeSession(2);
  const obj = await daemon.create(API_A, Buffer.from('v1'));
  tracking.track(a.s, obj.ghid.text);
  tracking.track(b.s, obj.ghid.text);
  tracking.distributeUpdate(obj, a.s);
  assert.equal(a.conn.pushes.length, 0);
  assert.equal(b.conn.pushes.length, 1);
  assert.equal(b.conn.pushes[0]!.verb, AppVerb.update);
  const def = decodeObjDef(b.conn.pushes[0]!.body);
  assert.deepEqual(Buffer.from(def.address!), Buffer.from(obj.ghid.bytes));
  assert.equal(def.private, false);
  assert.equal(def.legroom, 0);
  assert.equal(Buffer.from(def.state).toString(), 'v1');

  tracking.distributeDelete(obj.ghid, b.s);
  assert.deepEqual(a.conn.pushes.map((p) => p.verb), [AppVerb.delete]);
  assert.equal(b.conn.pushes.length, 1, 'the deleting app hears no XO');
  assert.equal(a.s.tracked.size + b.s.tracked.size, 0);
  assert.equal(daemon.pins.get(obj.ghid.text), 0);
});

/** A connection whose app holds its answers back until `answer()`, tracking one object. */
async function slowApp() {
  const daemon = new FakeDaemon();
  const tracking = new Tracking(daemon, 10);
  const slow = fakeSession(1);
  let release!: () => void;
  slow.conn.gate = new Promise((r) => (release = r));
  const obj = await daemon.create(API_A, Buffer.from('v0'));
  tracking.track(slow.s, obj.ghid.text);
  const answer = () => {
    slow.conn.gate = null;
    release();
  };
  return { daemon, tracking, slow, obj, answer };
}

test('an app that has not answered an update gets only the newest of those that came meanwhile, once it answers', async () => {
  const { daemon, tracking, slow, obj, answer } = await slowApp();
  const other = await daemon.create(API_A, Buffer.from('w0'));
  tracking.track(slow.s, other.ghid.text);
  const stateOf = (p: { body: Buffer }) => Buffer.from(decodeObjDef(p.body).state).toString();

  for (let n = 1; n <= 50; n++) tracking.distributeUpdate({ ...obj, state: Buffer.from(`v${n}`) }, null);
  tracking.distributeUpdate({ ...other, state: Buffer.from('w1') }, null);
  assert.deepEqual(slow.conn.pushes.map(stateOf), ['v1', 'w1'], 'one on its way per object; the rest wait');

  answer();
  await until(() => slow.conn.pushes.length === 3, 'the newest update to go out');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(slow.conn.pushes.map(stateOf), ['v1', 'w1', 'v50'], 'then only the newest: v2…v49 skipped');
});

test('what waits for a slow app is dropped when the object is deleted or untracked: no update after its XO', async () => {
  const { tracking, slow, obj, answer } = await slowApp();
  tracking.distributeUpdate({ ...obj, state: Buffer.from('v1') }, null);
  tracking.distributeUpdate({ ...obj, state: Buffer.from('v2') }, null);
  tracking.distributeDelete(obj.ghid, null);
  answer();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(slow.conn.pushes.map((p) => p.verb), [AppVerb.update, AppVerb.delete]);
});

/** What a connection was sent, as the states of its updates. */
const statesSent = (conn: { pushes: { body: Buffer }[] }) => conn.pushes.map((p) => Buffer.from(decodeObjDef(p.body).state).toString());

test("an update that crossed an app's own change on the way is followed by the object as it is after the change", async () => {
  const { tracking, slow, obj, answer } = await slowApp();
  // Another computer's version goes out to the app, which has not read it yet...
  tracking.distributeUpdate({ ...obj, counter: 1n, state: Buffer.from('theirs') }, null);
  // ...when the app's own change arrives, and is written after it.
  const mark = tracking.changeArrived(slow.s, obj.ghid.text);
  tracking.changeApplied(slow.s, { ...obj, counter: 2n, state: Buffer.from('mine') }, mark);
  answer();
  await until(() => slow.conn.pushes.length === 2, 'the object as it is now');
  assert.deepEqual(statesSent(slow.conn), ['theirs', 'mine'], 'the app ends on its own change, which is the newest');
});

test("an app's change crossed by nothing is not sent back to it, nor one older than what it was sent since", async () => {
  const { tracking, slow, obj, answer } = await slowApp();
  answer();
  tracking.distributeUpdate({ ...obj, counter: 1n, state: Buffer.from('heard') }, null);
  await new Promise((r) => setImmediate(r));
  tracking.changeApplied(slow.s, { ...obj, counter: 2n, state: Buffer.from('mine') }, tracking.changeArrived(slow.s, obj.ghid.text));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(statesSent(slow.conn), ['heard'], 'it answered before it wrote: it shows its own change');

  const late = await slowApp();
  late.tracking.distributeUpdate({ ...late.obj, counter: 1n, state: Buffer.from('theirs') }, null);
  const mark = late.tracking.changeArrived(late.slow.s, late.obj.ghid.text);
  late.tracking.distributeUpdate({ ...late.obj, counter: 3n, state: Buffer.from('newer') }, null);
  late.tracking.changeApplied(late.slow.s, { ...late.obj, counter: 2n, state: Buffer.from('mine') }, mark);
  late.answer();
  await until(() => late.slow.conn.pushes.length === 2, 'the newest version');
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(statesSent(late.slow.conn), ['theirs', 'newer'], 'a newer version came after the change: that one is the last');
});
