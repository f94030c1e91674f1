// SDK objects on one daemon: raw and JSON states, pickles never unpickled, freeze/hold/sync/
// discard, update events only for upstream changes, @O between local apps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiId, DeadObject, HGXLink, JsonObj, LocallyImmutable, Obj, StateError, type GhidText } from '../../packages/hgx/src/index.js';
import { until, world } from '../fixtures/ipc/world.js';

async function twoApps() {
  const w = await world();
  const a = await w.user(0);
  const one = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  const warnings: string[] = [];
  const two = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile, logger: { warn: (m, ...d) => void warnings.push(`${m} ${d.join(' ')}`) } });
  return { a, one, two, warnings, close: () => Promise.all([one.close(), two.close()]) };
}

test('raw bytes, JSON with non-ASCII text, and pickles exposed only as opaque bytes', async (t) => {
  const { one, two, close } = await twoApps();
  t.after(close);
  const raw = await one.new(Obj, Uint8Array.of(0, 1, 2, 255));
  assert.equal(raw.apiId, ApiId.RAW);
  assert.deepEqual([...(await two.get(Obj, raw.ghid)).state], [0, 1, 2, 255]);
  const j = await one.new(JsonObj, { text: 'Grüße, 世界', n: [1, null, true] });
  assert.deepEqual((await two.get(JsonObj, j.ghid)).state, { text: 'Grüße, 世界', n: [1, null, true] });
  const pickle = await one.new(Obj, Uint8Array.of(0x80, 4, 0x95), { apiId: ApiId.PICKLE });
  await assert.rejects(two.get(JsonObj, pickle.ghid), (e: Error) => e instanceof StateError && /never unpickled/.test(e.message));
  assert.deepEqual([...(await two.get(Obj, pickle.ghid)).state], [0x80, 4, 0x95]);
  const custom = ApiId.random();
  const c = await one.new(JsonObj, 'x', { apiId: custom, dynamic: false });
  assert.equal(c.apiId, custom);
  await assert.rejects(c.push(), LocallyImmutable);
});

test('update events are upstream only; another local app is told of new objects (@O) and pushes (!O)', async (t) => {
  const { one, two, warnings, close } = await twoApps();
  t.after(close);
  const announced: [GhidText, GhidText][] = [];
  await two.registerShareHandler(ApiId.JSON, (ghid, origin) => void announced.push([ghid, origin]));
  const obj = await one.new(JsonObj, { v: 0 });
  await until(() => announced.length === 1, 'the announcement');
  assert.deepEqual(announced[0], [obj.ghid, one.whoami]);
  const mine: unknown[] = [];
  obj.on('update', (o) => mine.push(o.state));
  const theirs = await two.get(JsonObj, obj.ghid);
  const seen: unknown[] = [];
  theirs.on('update', (o) => seen.push(o.state));
  obj.state = { v: 1 };
  await obj.push();
  await until(() => seen.length === 1, 'the other app to see the push');
  assert.deepEqual(seen, [{ v: 1 }]);
  assert.deepEqual(mine, []);
  // A failing listener is logged and swallowed.
  theirs.on('update', () => {
    throw new Error('app bug');
  });
  obj.state = { v: 2 };
  await obj.push();
  await until(() => seen.length === 2, 'the next push despite a failing listener');
  assert.match(warnings.join('\n'), /app bug/);
});

test('freeze, hold, sync, discard and delete', async (t) => {
  const { one, two, close } = await twoApps();
  t.after(close);
  const obj = await one.new(JsonObj, { stage: 'draft' });
  const frozen = await obj.freeze();
  assert.equal(frozen.dynamic, false);
  assert.notEqual(frozen.ghid, obj.ghid);
  assert.deepEqual(frozen.state, { stage: 'draft' });
  await assert.rejects(frozen.push(), LocallyImmutable);
  await obj.hold();
  await obj.sync();
  const other = await two.get(JsonObj, obj.ghid);
  const seen: unknown[] = [];
  other.on('update', (o) => seen.push(o.state));
  await other.discard();
  assert.equal(other.isAlive, false);
  await assert.rejects(other.sync(), DeadObject);
  obj.state = { stage: 'final' };
  await obj.push();
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(seen, []);
  // Opened again after a discard: a fresh instance with the current state.
  const again = await two.get(JsonObj, obj.ghid);
  assert.notEqual(again, other);
  assert.deepEqual(again.state, { stage: 'final' });
  let gone = false;
  again.on('delete', () => (gone = true));
  await obj.delete();
  await until(() => gone, 'the other app to hear the delete');
  assert.equal(again.isAlive, false);
  assert.throws(() => {
    again.state = 1;
  }, DeadObject);
});
