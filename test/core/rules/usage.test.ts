// Per-identity storage quotas (defect 8): the engine's usage ledger follows what is stored through
// replacements, debindings and garbage collection, is rebuilt from the entries at open, and a
// publish over the limit is refused (NK 000A) without storing anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ghid, RemoteNak, Secret, frameOf, makeDebinding, makeUpdate, type GolixObject } from '../../../src/core/golix/index.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { QuotaExceeded, type QuotaOptions } from '../../../src/core/rules/usage.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { v16Identity, v16Objects } from '../../fixtures/vectors.js';

const v16 = v16Objects();
const byIndex = (i: number) => v16[i]!;
const alice = v16Identity(0);
const ids = [0, 1, 2].map((i) => Ghid.fromText(byIndex(i).entry.ghid));
const frame = (counter: number) => v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === counter)!;
const chainContainer = (counter: number) => v16.find((o) => o.obj.type === 'GEOC' && o.entry.chain_counter === counter)!;
const size = (...is: number[]) => is.reduce((n, i) => n + byIndex(i).raw.length, 0);

async function open(store: MemoryStore, quota: QuotaOptions | null) {
  return (await RulesEngine.open(store, { quota })).engine;
}

/** What every identity should be charged: the signed v16 objects still stored, by signer. */
function expectedUsage(engine: RulesEngine, extra: GolixObject[] = []): Map<string, { bytes: number; objects: number }> {
  const out = new Map<string, { bytes: number; objects: number }>();
  for (const obj of [...v16.map((o) => o.obj), ...extra]) {
    const e = engine.entry(obj.ghid);
    if (!e?.signer) continue;
    const u = out.get(e.signer) ?? { bytes: 0, objects: 0 };
    u.bytes += obj.raw.length;
    u.objects++;
    out.set(e.signer, u);
  }
  return out;
}

function assertLedger(engine: RulesEngine, extra: GolixObject[] = [], when = '') {
  const want = expectedUsage(engine, extra);
  for (const id of ids) {
    assert.deepEqual(engine.usageOf(id), want.get(id.text) ?? { bytes: 0, objects: 0 }, `usage of ${id.short} ${when}`);
  }
  const total = [...want.values()].reduce((n, u) => n + u.bytes, 0);
  assert.equal(engine.usage()!.bytes, total, `total ${when}`);
  assert.equal(engine.usage()!.identities, want.size, `identities ${when}`);
}

test('without a quota nothing is counted', async () => {
  const engine = await open(new MemoryStore(), null);
  await engine.ingest(byIndex(0).raw);
  assert.equal(engine.usage(), null);
  assert.equal(engine.usageOf(ids[0]!), null);
  const alsoOff = await open(new MemoryStore(), { bytesPerIdentity: null, objectsPerIdentity: null });
  assert.equal(alsoOff.usage(), null);
});

test('the ledger follows every store, replacement, debinding and collection, and is rebuilt at open', async () => {
  const store = new MemoryStore();
  const engine = await open(store, { bytesPerIdentity: 1 << 30 });
  for (const i of [0, 1, 2]) await engine.ingest(byIndex(i).raw);
  assert.deepEqual(engine.usageOf(ids[0]!), { bytes: 0, objects: 0 }, 'GIDCs are charged to nobody');
  for (const i of [11, 3]) await engine.ingest(byIndex(i).raw);
  assertLedger(engine, [], 'after a static binding');
  for (let c = 0; c < 10; c++) {
    await engine.ingest(frame(c).raw);
    assertLedger(engine, [], `after frame ${c}`);
    await engine.ingest(chainContainer(c).raw);
    assertLedger(engine, [], `after container ${c}`);
  }
  // Only the last frame and its container are stored now: the others were replaced and collected.
  assert.deepEqual(engine.usageOf(ids[0]!), { bytes: size(11, 3) + frame(9).raw.length + chainContainer(9).raw.length, objects: 4 });
  for (const i of [35, 36, 37, 38]) await engine.ingest(byIndex(i).raw);
  assertLedger(engine, [], 'after GARQs (charged to nobody)');
  await engine.ingest(byIndex(32).raw); // debinds the GOBS: it and its container go
  assertLedger(engine, [], 'after debinding the static binding');
  await engine.ingest(byIndex(34).raw); // debinds that debinding
  assertLedger(engine, [], 'after debinding the debinding');
  const before = engine.usage();
  const again = await open(store.snapshot(), { bytesPerIdentity: 1 << 30 });
  assert.deepEqual(again.usage(), before, 'rebuilt at open from the entries alone');
  await engine.ingest(byIndex(33).raw); // debinds the dynamic binding: frame and container go
  assertLedger(engine, [], 'after debinding the dynamic binding');
  assert.deepEqual(engine.usageOf(ids[0]!), { bytes: size(34, 33), objects: 2 }, 'the GDXX of a GDXX removed it; two GDXXs remain');
});

test('a publish over the byte quota is refused with NK 000A and stores nothing; other identities are unaffected', async () => {
  const engine = await open(new MemoryStore(), { bytesPerIdentity: size(11, 3) + 100 });
  for (const i of [0, 1, 2, 11, 3]) await engine.ingest(byIndex(i).raw);
  const before = engine.stats().objects;
  await assert.rejects(engine.ingest(frame(0).raw), (err: unknown) => {
    assert.ok(err instanceof QuotaExceeded);
    assert.ok(err instanceof RemoteNak);
    assert.equal(err.code, 0x000a);
    assert.match(err.message, /^Storage quota exceeded: identity AYjM4FAI3uv5… stores 1376 of its 1476 bytes on this server, and this GOBD needs 791 more/);
    return true;
  });
  assert.equal(engine.stats().objects, before);
  assert.equal(engine.exists(frame(0).obj.ghid), false);
  assert.deepEqual(engine.usageOf(ids[0]!), { bytes: size(11, 3), objects: 2 });
  // GARQs are charged to nobody, so a full identity still receives requests.
  assert.equal((await engine.ingest(byIndex(36).raw)).stored, true);
});

test('the object quota counts objects', async () => {
  const engine = await open(new MemoryStore(), { objectsPerIdentity: 2 });
  for (const i of [0, 1, 2, 11, 3]) await engine.ingest(byIndex(i).raw);
  await assert.rejects(engine.ingest(frame(0).raw), (err: unknown) => err instanceof QuotaExceeded && /stores 2 of its 2 objects/.test(err.message));
});

test('a newer frame is admitted net of the frame it replaces and the container that goes with it', async () => {
  // Room for one frame and its container, with a little to spare (later frames list one old
  // target: 65 bytes more): every update must still fit, because each frees its predecessor and
  // that one's container.
  const secret = Secret.random();
  const first = await makeUpdate(alice, secret, Buffer.from('state 0'));
  const quota = first.frame.raw.length + first.container.raw.length + 100;
  const engine = await open(new MemoryStore(), { bytesPerIdentity: quota });
  await engine.ingest(byIndex(0).raw);
  await engine.ingest(first.frame.raw);
  await engine.ingest(first.container.raw);
  let previous = first.frame;
  for (let n = 1; n <= 3; n++) {
    const next = await makeUpdate(alice, secret, Buffer.from(`state ${n}`), frameOf(previous), 1);
    assert.equal((await engine.ingest(next.frame.raw)).stored, true, `frame ${n}`);
    assert.equal((await engine.ingest(next.container.raw)).stored, true, `container ${n}`);
    assert.equal(engine.exists(previous.targets[0]!), false, 'the old container was collected');
    previous = next.frame;
  }
  assert.deepEqual(engine.usageOf(alice.ghid), { bytes: previous.raw.length + first.container.raw.length, objects: 2 });
});

test('a debinding that frees something is admitted over the quota; one that frees nothing is not', async () => {
  const engine = await open(new MemoryStore(), { bytesPerIdentity: size(11, 3) });
  for (const i of [0, 1, 2, 11, 3]) await engine.ingest(byIndex(i).raw);
  // Alice is exactly at her limit: the GDXX of her binding still goes through and frees it.
  assert.equal((await engine.ingest(byIndex(32).raw)).stored, true);
  assert.deepEqual(engine.usageOf(ids[0]!), { bytes: size(32), objects: 1 });
  // A debinding of something not stored here (accepted provisionally) frees nothing: it is charged.
  const extra = await makeDebinding(alice, chainContainer(5).obj.ghid);
  await assert.rejects(engine.ingest(extra.raw), QuotaExceeded);
  assert.equal(engine.exists(extra.ghid), false);
  assertLedger(engine);
});
