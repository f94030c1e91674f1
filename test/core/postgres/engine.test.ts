// The PostgresEngine against the reference's vectors: the same scenario the rules engine passes
// on its own stores (test/core/rules/rules-engine.test.ts), then what only a shared database has:
// two engines (two nodes) on one database, racing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlreadyDebound, DoesNotExist, Ghid, HypergolixError, IllegalDynamicFrame, UnboundContainer } from '../../../src/core/golix/index.js';
import { PostgresEngine } from '../../../src/core/postgres/engine.js';
import type { PersistenceEngine } from '../../../src/core/rules/persistence-engine.js';
import { POSTGRES_SKIP, startPostgres, type TestPostgres } from '../../fixtures/postgres.js';
import { v16Identity, v16Objects } from '../../fixtures/vectors.js';

const v16 = v16Objects();
const byIndex = (i: number) => v16[i]!;
const bob = v16Identity(1);
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
  await engine.close();
});
