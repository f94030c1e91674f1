// The PostgresEngine against the reference's vectors: the same scenario the rules engine passes
// on its own stores (test/core/rules/rules-engine.test.ts), then what only a shared database has:
// two engines (two nodes) on one database, racing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  AlreadyDebound,
  DoesNotExist,
  Ghid,
  HypergolixError,
  IllegalDynamicFrame,
  Secret,
  StorageFull,
  UnboundContainer,
  makeContainer,
  makeFrame,
  makeDebinding,
  makeStatic,
  parseObject,
} from '../../../src/core/golix/index.js';
import { frameOf } from '../../../src/core/golix/builders.js';
import { QuotaExceeded } from '../../../src/core/rules/usage.js';
import type { Notification } from '../../../src/core/rules/persistence-engine.js';
import { until } from '../../fixtures/wait.js';
import { requests } from '../../fixtures/server/objects.js';
import { PostgresEngine } from '../../../src/core/postgres/engine.js';
import type { PersistenceEngine } from '../../../src/core/rules/persistence-engine.js';
import { POSTGRES_SKIP, startPostgres, type TestPostgres } from '../../fixtures/postgres.js';
import { v16Identity, v16Objects } from '../../fixtures/vectors.js';

const v16 = v16Objects();
const byIndex = (i: number) => v16[i]!;
const alice = v16Identity(0);
const bob = v16Identity(1);
const aliceGidc = v16.find((o) => o.obj.type === 'GIDC' && o.obj.ghid.equals(alice.ghid))!.raw;
const randomGhid = () => Ghid.fromDigest(randomBytes(64));
const frameN = (n: number) => v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === n)!;
const geocN = (n: number) => v16.find((o) => o.obj.type === 'GEOC' && o.entry.chain_counter === n)!;

let cluster: TestPostgres | null = null;
async function database(): Promise<string> {
  cluster ??= startPostgres();
  return cluster.database();
}

async function open(url: string, options: Partial<Parameters<typeof PostgresEngine.open>[0]> = {}): Promise<PostgresEngine> {
  return (await PostgresEngine.open({ url, ...options })).engine;
}

async function rejects(engine: PersistenceEngine, raw: Buffer, cls: new (...a: never[]) => HypergolixError) {
  await assert.rejects(engine.ingest(raw), (err: unknown) => err instanceof cls, cls.name);
}

test('the reference scenario — publish, get, refusals, debindings — on PostgreSQL', { skip: POSTGRES_SKIP }, async () => {
  const engine = await open(await database());
  const notes = [];
  for (const i of [0, 1, 2, 11, 3]) assert.equal((await engine.ingest(byIndex(i).raw)).stored, true);
  for (let n = 0; n < 10; n++) {
    notes.push(...(await engine.ingest(frameN(n).raw)).notifications, ...(await engine.ingest(geocN(n).raw)).notifications);
  }
  const dynamic = Ghid.fromText(frameN(0).entry.ghid_dynamic!);
  assert.equal(notes.filter((n) => n.subscribed.equals(dynamic)).length, 10, 'every frame is announced once its container is stored');
  assert.deepEqual(await engine.get(dynamic), frameN(9).raw);
  for (let i = 4; i <= 10; i++) await rejects(engine, byIndex(i).raw, UnboundContainer);
  await rejects(engine, frameN(3).raw, IllegalDynamicFrame);
  assert.equal((await engine.ingest(frameN(9).raw)).stored, false, 're-publishing the current frame is a no-op success');

  const garqs = [35, 36, 37, 38].map(byIndex);
  for (const g of garqs) {
    const r = await engine.ingest(g.raw);
    assert.deepEqual(r.notifications.map((n) => n.subscribed.text), [g.entry.recipient]);
  }
  const replay = await engine.requestsFor(bob.ghid);
  assert.deepEqual(replay.map((b) => b.toString('hex')).sort(), garqs.map((g) => g.raw.toString('hex')).sort());

  const gobs = byIndex(11);
  await engine.ingest(byIndex(32).raw); // GDXX of the GOBS
  assert.equal(await engine.exists(Ghid.fromText(gobs.entry.ghid)), false);
  assert.equal(await engine.exists(Ghid.fromText(byIndex(3).entry.ghid)), false, 'its container is collected');
  await rejects(engine, gobs.raw, AlreadyDebound);
  await engine.ingest(byIndex(34).raw); // GDXX of that GDXX lifts the block
  assert.equal((await engine.ingest(gobs.raw)).stored, true);
  assert.equal((await engine.ingest(byIndex(3).raw)).stored, true);

  const r = await engine.ingest(byIndex(33).raw); // GDXX of the dynamic binding
  assert.deepEqual(r.notifications.map((n) => [n.subscribed.text, n.object.type]), [[dynamic.text, 'GDXX']]);
  await assert.rejects(engine.get(dynamic), DoesNotExist);
  await rejects(engine, frameN(9).raw, AlreadyDebound);
  const commits = engine.commitDurations();
  assert.ok(commits.count >= 25 && commits.sum > 0, `each transaction is timed for /metrics (${commits.count} commits, ${commits.sum} s)`);
  await engine.close();
});

test('two nodes on one database: the same counter raced, exactly one frame wins each time', { skip: POSTGRES_SKIP }, async () => {
  const url = await database();
  const [a, b] = [await open(url), await open(url)];
  await a.ingest(aliceGidc);
  let current = await makeFrame(alice, randomGhid());
  await a.ingest(current.raw);
  for (let round = 0; round < 12; round++) {
    const [fa, fb] = await Promise.all([makeFrame(alice, randomGhid(), frameOf(current)), makeFrame(alice, randomGhid(), frameOf(current))]);
    const [ra, rb] = await Promise.allSettled([a.ingest(fa.raw), b.ingest(fb.raw)]);
    const won = [ra, rb].filter((r) => r.status === 'fulfilled');
    const lost = [ra, rb].filter((r) => r.status === 'rejected');
    assert.equal(won.length, 1, `round ${round}: exactly one wins`);
    assert.ok(lost[0]!.status === 'rejected' && lost[0]!.reason instanceof IllegalDynamicFrame, String((lost[0] as PromiseRejectedResult).reason));
    current = ra.status === 'fulfilled' ? fa : fb;
    assert.deepEqual(await a.get(current.dynamic), current.raw);
    assert.deepEqual(await b.get(current.dynamic), current.raw);
  }
  await Promise.all([a.close(), b.close()]);
});

test('two nodes: a commit on one is announced to the other; a frame stored on one is released by its container on the other', { skip: POSTGRES_SKIP }, async () => {
  const url = await database();
  const [a, b] = [await open(url), await open(url)];
  const heard: Notification[] = [];
  b.follow({ notifications: (n) => heard.push(...n), lost: () => {} });
  await a.ingest(aliceGidc);
  const c0 = await makeContainer(alice, Secret.random(), Buffer.from('zero'));
  const f0 = await makeFrame(alice, c0.ghid);
  assert.deepEqual((await a.ingest(f0.raw)).notifications, [], 'held until its container is stored');
  const released = await b.ingest(c0.raw);
  assert.deepEqual(released.notifications.map((n) => [n.subscribed.text, n.object.ghid.text]), [[f0.dynamic.text, f0.ghid.text]]);
  const c1 = await makeContainer(alice, Secret.random(), Buffer.from('one'));
  const f1 = await makeFrame(alice, c1.ghid, frameOf(f0));
  await a.ingest(f1.raw);
  await a.ingest(c1.raw);
  const note = await until(() => heard.find((n) => n.object.ghid.equals(f1.ghid)), 'node b hearing of frame 1');
  assert.ok(note.subscribed.equals(f1.dynamic));
  assert.deepEqual(note.object.raw, f1.raw);
  assert.equal(await b.exists(c0.ghid), false, 'the replaced container was collected');
  await Promise.all([a.close(), b.close()]);
});

test('two nodes: a node fetches only the announcements someone there is subscribed to', { skip: POSTGRES_SKIP }, async () => {
  const url = await database();
  const [a, b] = [await open(url), await open(url)];
  await a.ingest(aliceGidc);
  const [unwanted, wanted] = await Promise.all(
    ['nobody waits', 'somebody waits'].map(async (text) => {
      const c = await makeContainer(alice, Secret.random(), Buffer.from(text));
      return { c, f: await makeFrame(alice, c.ghid) };
    }),
  );
  const asked: string[] = [];
  const heard: Notification[] = [];
  b.follow({
    notifications: (n) => heard.push(...n),
    wants: (subscribed) => (asked.push(subscribed), subscribed === wanted!.f.dynamic.text),
    lost: () => {},
  });
  for (const x of [unwanted!, wanted!]) {
    // The frame first: a container must be bound when it arrives.
    await a.ingest(x.f.raw);
    await a.ingest(x.c.raw);
  }
  await until(() => heard.length > 0, 'node b hearing of the wanted frame');
  assert.deepEqual(heard.map((n) => n.object.ghid.text), [wanted!.f.ghid.text], 'announcements are heard in commit order: the unwanted one came first and was dropped');
  assert.ok(asked.includes(unwanted!.f.dynamic.text), 'the unwanted announcement was heard and asked about');
  await Promise.all([a.close(), b.close()]);
});

test("two nodes: an identity's quota holds across both under concurrent publishes", { skip: POSTGRES_SKIP }, async () => {
  const url = await database();
  const quota = { objectsPerIdentity: 5 };
  const [a, b] = [await open(url, { quota }), await open(url, { quota })];
  await a.ingest(aliceGidc);
  const bindings = await Promise.all(Array.from({ length: 12 }, () => makeStatic(alice, randomGhid())));
  const results = await Promise.allSettled(bindings.map((g, i) => (i % 2 ? a : b).ingest(g.raw)));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
  assert.ok(results.every((r) => r.status === 'fulfilled' || r.reason instanceof QuotaExceeded));
  let stored = 0;
  for (const g of bindings) if (await a.exists(g.ghid)) stored++;
  assert.equal(stored, 5);
  await Promise.all([a.close(), b.close()]);
});

test("two nodes: the requests waiting for a recipient, as the server's maxRequestsPerRecipient counts them", { skip: POSTGRES_SKIP }, async () => {
  const url = await database();
  const [a, b] = [await open(url), await open(url)];
  const bobGidc = v16.find((o) => o.obj.type === 'GIDC' && o.obj.ghid.equals(bob.ghid))!.raw;
  for (const g of [aliceGidc, bobGidc]) await a.ingest(g);
  const garqs = requests(alice, bob.publicIdentity, 3);
  for (const [i, raw] of garqs.entries()) await (i % 2 ? a : b).ingest(raw);
  assert.deepEqual([await a.requestCount(bob.ghid), await b.requestCount(bob.ghid), await a.requestCount(alice.ghid)], [3, 3, 0]);
  // Bob's daemon takes one: debound, and no longer waiting on either node.
  await b.ingest((await makeDebinding(bob, parseObject(garqs[1]!).ghid)).raw);
  assert.deepEqual([await a.requestCount(bob.ghid), await b.requestCount(bob.ghid)], [2, 2]);
  await Promise.all([a.close(), b.close()]);
});

test('the database stopped: publishes are refused with StorageFull (storage_failed), and accepted again once it is back', { skip: POSTGRES_SKIP }, async () => {
  const url = await database();
  const engine = await open(url);
  const lost: string[] = [];
  engine.follow({ notifications: () => {}, lost: (r) => lost.push(r) });
  await engine.ingest(aliceGidc);
  cluster!.stop();
  try {
    const refused = await engine.ingest((await makeStatic(alice, randomGhid())).raw).then(
      () => null,
      (err: unknown) => err,
    );
    assert.ok(refused instanceof StorageFull, String(refused));
    assert.equal(refused.reason, 'storage_failed');
    assert.ok((refused.retryAfterMs ?? 0) > 0);
    assert.equal(engine.storage().kind, 'failed');
    await until(() => lost.length > 0, 'the push channel reporting its loss');
  } finally {
    cluster!.start();
  }
  const later = await makeStatic(alice, randomGhid());
  await until(async () => (await engine.ingest(later.raw).then((r) => r.stored, () => false)), 'a publish accepted after the restart', 30_000, 200);
  assert.equal(engine.storage().kind, 'ok');
  await until(() => lost.length > 1, 'the push channel reporting it is back', 30_000);
  await engine.close();
});
