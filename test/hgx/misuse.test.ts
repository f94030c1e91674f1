// Mistakes an app can make with objects, found when made and typed: a once() listener that is
// not a function, recasting another link's object or a dead one, a JSON state holding values
// JSON has not (NaN, Infinity, undefined in an array) that would silently be stored as null.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeadObject, HGXLink, HgxError, IpcError, JsonObj, Obj, StateError } from '../../packages/hgx/src/index.js';
import { Emitter } from '../../packages/hgx/src/emitter.js';
import { until, world } from '../fixtures/ipc/world.js';

async function twoLinks() {
  const w = await world();
  const a = await w.user(0);
  const one = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  const two = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  return { one, two, close: () => Promise.all([one.close(), two.close()]) };
}

test('once() refuses a listener that is not a function, as on() does, instead of failing when the event fires', async (t) => {
  const { one, close } = await twoLinks();
  t.after(close);
  const obj = await one.new(JsonObj, { n: 0 });
  assert.throws(() => obj.once('update', 'render' as never), (e: Error) => e instanceof HgxError && /^The 'update' listener is a function, not "render"$/.test(e.message));
  assert.throws(() => one.once('reconnected', null as never), (e: Error) => e instanceof HgxError && /^The 'reconnected' listener is a function, not null$/.test(e.message));
  assert.equal(obj.listenerCount('update'), 0);
  assert.equal(one.listenerCount('reconnected'), 0);
});

test("recast() refuses another link's object (which its own link keeps, alive and updated) and a dead one (DeadObject)", async (t) => {
  const { one, two, close } = await twoLinks();
  t.after(close);
  const mine = await one.new(JsonObj, { v: 0 });
  const theirs = await two.get(JsonObj, mine.ghid);
  assert.throws(() => one.recast(theirs, Obj), (e: Error) => Object.getPrototypeOf(e) === HgxError.prototype && /opened by this link/.test(e.message));
  assert.equal(theirs.isAlive, true);
  assert.equal(await two.get(JsonObj, mine.ghid), theirs);
  const seen: unknown[] = [];
  theirs.on('update', (o) => seen.push(o.state));
  mine.state = { v: 1 };
  await mine.push();
  await until(() => seen.length === 1, 'the update on the link that opened it');
  // A dead object is DeadObject, as every other use of one.
  await theirs.discard();
  assert.throws(() => two.recast(theirs, Obj), DeadObject);
  assert.throws(() => theirs.recast(JsonObj), DeadObject);
});

test('a JsonObj state with NaN, Infinity or an undefined array element is a StateError, not stored as null', async (t) => {
  const { one, two, close } = await twoLinks();
  t.after(close);
  for (const [what, state] of [
    ['NaN', { v: NaN }],
    ['Infinity in an array', [1, Infinity]],
    ['-Infinity alone', -Infinity],
    ['undefined in an array', [1, undefined]],
    ['a function in an array', [() => 1]],
  ] as const) {
    await assert.rejects(one.new(JsonObj, state as never), (e: Error) => e instanceof StateError && /^A JsonObj state must be a JSON value: /.test(e.message), what);
  }
  // JSON's own nulls, and undefined properties (left out, as JSON.stringify does), are fine.
  const ok = await one.new(JsonObj, { a: null, b: [null, 'null'], c: undefined } as never);
  assert.deepEqual((await two.get(JsonObj, ok.ghid)).state, { a: null, b: [null, 'null'] });
  // A push of such a state is refused and sends nothing: the object keeps its stored state.
  ok.state = { a: NaN };
  await assert.rejects(ok.push(), StateError);
  const copy = await two.get(JsonObj, ok.ghid);
  await copy.sync();
  assert.deepEqual(copy.state, { a: null, b: [null, 'null'] });
  assert.equal(new TextDecoder().decode(ok.stateBytes), '{"a":null,"b":[null,"null"]}');
});

test('an Obj state edited in place and not pushed stays local: stateBytes keep what was pushed, and a reconnect sends no update', async (t) => {
  const w = await world();
  let a = await w.user(0);
  const link = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile, reconnect: { minDelayMs: 20, maxDelayMs: 200 } });
  t.after(() => link.close());
  const bytes = Uint8Array.of(1, 2, 3);
  const obj = await link.new(Obj, bytes);
  const updates: number[][] = [];
  obj.on('update', (o) => void updates.push([...o.state]));
  obj.state[0] = 9;
  assert.deepEqual([...obj.stateBytes], [1, 2, 3]);
  let reconnected = false;
  link.on('reconnected', () => (reconnected = true));
  a = await a.restart();
  await until(() => reconnected, 'the link to reconnect');
  assert.deepEqual(updates, []);
  assert.deepEqual([...obj.state], [9, 2, 3]);
  // Pushed, the edit is what the daemon has.
  await obj.push();
  bytes[1] = 7;
  assert.deepEqual([...obj.stateBytes], [9, 2, 3]);
  const other = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  t.after(() => other.close());
  assert.deepEqual([...(await other.get(Obj, obj.ghid)).state], [9, 2, 3]);
});

test("a once() listener that is also added with on() stays subscribed by on() after the once fired, in either order", () => {
  class Pinger extends Emitter<{ ping: [n: number] }> {
    constructor() {
      super({ ping: true });
    }
    fire(n: number): void {
      this.emit('ping', n);
    }
  }
  for (const onceFirst of [true, false]) {
    const e = new Pinger();
    const heard: number[] = [];
    const listener = (n: number) => void heard.push(n);
    if (onceFirst) e.once('ping', listener);
    e.on('ping', listener);
    if (!onceFirst) e.once('ping', listener);
    e.fire(1);
    e.fire(2);
    // Once for the once, and once per ping for the on().
    assert.deepEqual(heard, [1, 1, 2], `once ${onceFirst ? 'before' : 'after'} on`);
    assert.equal(e.listenerCount('ping'), 1);
    // The function once() returns removes that once only; off() removes the listener.
    const undo = e.once('ping', listener);
    undo();
    e.fire(3);
    assert.deepEqual(heard, [1, 1, 2, 3]);
    e.off('ping', listener);
    e.fire(4);
    assert.deepEqual(heard, [1, 1, 2, 3]);
  }
});

test('get() of an object found nowhere is IpcError 0x000D UnknownSecret, as the README says, and names it', async (t) => {
  const { one, close } = await twoLinks();
  t.after(close);
  const nowhere = Buffer.concat([Buffer.from([1]), Buffer.alloc(64, 7)]).toString('base64url').padEnd(88, '=');
  await assert.rejects(one.get(JsonObj, nowhere), (e: Error) => e instanceof IpcError && e.code === 0x000d && e.codeName === 'UnknownSecret' && /was not found locally or on any remote/.test(e.message));
});
