// A database shared by server nodes is checked and put right as a file store is
// (test/core/remote/store-check.test.ts), with what only a shared store has: what one node's
// check finds, every node answers as not here (GT and CK) and counts; a publish on any node puts
// it right for all; one check runs at a time, and a node's scheduled check is not needed when
// another checked lately. Real PostgreSQL, two real servers, real signatures, real clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DoesNotExist, StorageFull, VerificationFailure, type GolixObject } from '../../../src/core/golix/index.js';
import { openPool } from '../../../src/core/postgres/connect.js';
import { PostgresEngine } from '../../../src/core/postgres/engine.js';
import { RemoteClient } from '../../../src/core/remote/client.js';
import { PersistenceServer } from '../../../src/core/remote/server.js';
import type { StoreCheckOptions } from '../../../src/core/remote/store-check.js';
import type { SqlPool } from '../../../src/core/postgres/sql.js';
import { memoryLogger } from '../../fixtures/remote/helpers.js';
import { POSTGRES_SKIP, startPostgres, type TestPostgres } from '../../fixtures/postgres.js';
import { v16Objects } from '../../fixtures/vectors.js';
import { decodeEntry, entryOf } from '../../../src/core/store/entry.js';
import { until } from '../../fixtures/wait.js';

const v16 = v16Objects();
const gidcs = v16.filter((o) => o.obj.type === 'GIDC');
const frame = v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === 0)!;
const container = v16.find((o) => o.obj.type === 'GEOC' && o.entry.chain_counter === 0)!;
const dynamic = (frame.obj as Extract<GolixObject, { type: 'GOBD' }>).dynamic;
const author = gidcs.find((g) => g.obj.ghid.equals((frame.obj as Extract<GolixObject, { type: 'GOBD' }>).binder))!;
const HOUR = 3_600_000;

let cluster: TestPostgres | null = null;
async function database(): Promise<string> {
  cluster ??= startPostgres();
  return cluster.database();
}

type After = { after: (fn: () => Promise<void>) => void };

async function node(t: After, url: string, storeCheck: StoreCheckOptions | false = false) {
  const logger = memoryLogger();
  const { engine } = await PostgresEngine.open({ url, statsIntervalMs: 100 });
  const server = new PersistenceServer({ engine, host: '127.0.0.1', port: 0, logger, storeCheck });
  const { port } = await server.listen();
  await server.whenReady();
  const client = new RemoteClient({ host: '127.0.0.1', port });
  client.start();
  await client.whenConnected(5000);
  const metric = async () => Number(/^hypergolix_damaged_objects (\S+)$/m.exec(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())?.[1]);
  t.after(async () => {
    await client.close();
    await server.close();
    await engine.close();
  });
  return { engine, server, client, logger, metric };
}

/** A database holding the identities, a frame and its container, and a pool to damage it by hand. */
async function stored(t: After): Promise<{ url: string; sql: SqlPool }> {
  const url = await database();
  const first = await node(t, url);
  for (const o of [...gidcs, frame, container]) await first.client.publish(o.raw);
  const sql = await openPool({ url, poolSize: 1 });
  sql.on('error', () => {});
  t.after(() => sql.end());
  return { url, sql };
}

/** The container cut short; the frame whole but its signature's last byte flipped (its GHID does not cover it). */
async function damage(sql: SqlPool): Promise<void> {
  await sql.query('UPDATE objects SET raw = substring(raw from 1 for 300) WHERE ghid = $1', [container.obj.ghid.text]);
  await sql.query('UPDATE objects SET raw = overlay(raw placing $2 from octet_length(raw)) WHERE ghid = $1', [frame.obj.ghid.text, Buffer.from([frame.raw.at(-1)! ^ 0xff])]);
}

test("one node's check finds what nobody asked for; every node answers it as not here and counts it; a publish on another node puts it right for all", { skip: POSTGRES_SKIP }, async (t) => {
  const { url, sql } = await stored(t);
  await damage(sql);
  const a = await node(t, url);
  const b = await node(t, url);
  assert.equal(await b.client.exists(container.obj.ghid), true, 'before any check, nothing is known');

  assert.deepEqual(await a.server.storeCheck.run(), { checked: gidcs.length + 2, damaged: 2 });
  assert.deepEqual(a.server.storeCheck.state.last?.damaged.map((d) => d.ghid).sort(), [container.obj.ghid.text, frame.obj.ghid.text].sort());
  assert.ok(a.logger.lines.some((l) => /^error Store check: \d+ objects read, 2 damaged/.test(l)), a.logger.lines.join('\n'));
  // The other node, which read nothing: the marks are in the database.
  assert.equal(await b.client.exists(container.obj.ghid), false, 'CK on the other node');
  assert.equal(await b.client.exists(frame.obj.ghid), false, "CK of the frame's own GHID (a daemon's daily check asks so)");
  await assert.rejects(b.client.get(dynamic), (e: unknown) => e instanceof DoesNotExist && /damaged in this server's store/.test((e as Error).message));
  await until(async () => ((await b.metric()) === 2 ? true : null), "the other node's /metrics count");
  assert.deepEqual(await a.server.storeCheck.run(), { checked: gidcs.length + 2, damaged: 2 }, 'a second check finds them marked still');
  assert.equal(a.logger.lines.filter((l) => l.startsWith('error') && l.includes(container.obj.ghid.short)).length, 1, 'said once');

  // Their author's daemon sends them again, to the other node.
  await b.client.publish(frame.raw);
  await b.client.publish(container.raw);
  assert.deepEqual(await a.client.get(dynamic), frame.raw, 'put right for every node');
  assert.deepEqual(await a.client.get(container.obj.ghid), container.raw);
  assert.equal(await a.client.exists(frame.obj.ghid), true);
  assert.ok(b.logger.lines.some((l) => l.includes(container.obj.ghid.short) && /put right from a publish/.test(l)), b.logger.lines.join('\n'));
  await until(async () => ((await a.metric()) === 0 ? true : null), '/metrics back to 0');
  assert.deepEqual(await b.server.storeCheck.run(), { checked: gidcs.length + 2, damaged: 0 });
});

test('damaged again after another node put it right: the node that found it first marks it again, for every node', { skip: POSTGRES_SKIP }, async (t) => {
  const { url, sql } = await stored(t);
  await damage(sql);
  const a = await node(t, url);
  const b = await node(t, url);
  // Found by a read on the first node (a client asking for it).
  await assert.rejects(a.client.get(container.obj.ghid), DoesNotExist);
  assert.equal(await b.client.exists(container.obj.ghid), false);
  await b.client.publish(container.raw);
  assert.equal(await b.client.exists(container.obj.ghid), true, 'put right by a publish on the other node');
  // Damaged again before the first node read it whole since (it still remembers it as damaged), and asked for there.
  await sql.query('UPDATE objects SET raw = substring(raw from 1 for 300) WHERE ghid = $1', [container.obj.ghid.text]);
  await assert.rejects(a.client.get(container.obj.ghid), DoesNotExist);
  assert.equal(await b.client.exists(container.obj.ghid), false, 'marked again: the other node answers it as not here');
});

test('one check at a time on a database; a scheduled check is not needed when another node checked lately, and tells that one', { skip: POSTGRES_SKIP }, async (t) => {
  const { url } = await stored(t);
  const a = await node(t, url);
  const turn = await a.engine.checkTurn({});
  assert.ok(!('refused' in turn));
  const other = await node(t, url);
  await assert.rejects(other.server.storeCheck.run(), /another server node is checking this database now/);
  assert.match(other.server.storeCheck.state.lastFailure?.message ?? '', /another server node is checking/);
  await turn.end(null);
  const report = await a.server.storeCheck.run();
  assert.equal(report.checked, gidcs.length + 2);
  const last = a.server.storeCheck.state.last!;

  // A node started since: its first scheduled check finds the database checked within the day.
  const late = await node(t, url, { firstAfterMs: 20, everyMs: HOUR });
  await until(() => (late.logger.lines.some((l) => l.startsWith('info Store check: not now, this database was checked whole at')) ? true : null), 'the scheduled check skipped');
  assert.deepEqual(late.server.storeCheck.state.last, last, "the last whole check is the other node's");
  assert.equal(late.server.storeCheck.state.lastFailure, null, 'skipping is no failure');
  assert.deepEqual(await late.engine.checkTurn({ scheduledEveryMs: 1 }).then((r) => ('refused' in r ? r.refused : (void r.end(null), 'a turn'))), 'a turn', 'a period shorter than since: a turn');
});

test('a damaged identity is unknown until it is sent again; a copy whose signature fails does not put a frame right', { skip: POSTGRES_SKIP }, async (t) => {
  const { url, sql } = await stored(t);
  const flipped = Buffer.from(author.raw);
  flipped[40]! ^= 0x01;
  await sql.query('UPDATE objects SET raw = $2 WHERE ghid = $1', [author.obj.ghid.text, flipped]);
  const a = await node(t, url);
  const report = await a.server.storeCheck.run();
  assert.equal(report.damaged, 1);
  // Not this node's cache: the copy that reads as another object is not trusted as the signer's key.
  assert.equal(await a.engine.signatureHolds(frame.obj), null, 'the signer is as good as unknown');
  await assert.rejects(a.client.get(author.obj.ghid), DoesNotExist);
  await a.client.publish(author.raw);
  assert.deepEqual(await a.client.get(author.obj.ghid), author.raw);
  assert.equal(await a.engine.signatureHolds(frame.obj), true);

  await damage(sql);
  assert.equal((await a.server.storeCheck.run()).damaged, 2);
  const forged = Buffer.from(frame.raw);
  forged[forged.length - 1]! ^= 0x0f;
  await assert.rejects(a.engine.repair(forged), VerificationFailure);
  assert.equal(await a.engine.repair(container.raw), true);
  assert.equal(await a.engine.repair(container.raw), false, 'sound already: nothing written');
  assert.equal(await a.engine.exists(container.obj.ghid), true);
  assert.equal(await a.engine.exists(dynamic), false, 'the frame still marked');

  // The operator puts the frame's row right from a backup: the next check reads it past its mark, and it is served again.
  await sql.query('UPDATE objects SET raw = $2 WHERE ghid = $1', [frame.obj.ghid.text, frame.raw]);
  assert.equal(await a.engine.exists(dynamic), false, 'marked until a check reads it');
  assert.deepEqual(await a.server.storeCheck.run(), { checked: gidcs.length + 2, damaged: 0 });
  assert.deepEqual(await a.client.get(dynamic), frame.raw);
  assert.ok(a.logger.lines.some((l) => l.includes(dynamic.short) && /is sound again \(put right outside Hypergolix\): served again/.test(l)), a.logger.lines.join('\n'));
});

test("what the database derives from an object (its row's columns, the rules' entry), found not to match it, is rebuilt from it by the check", { skip: POSTGRES_SKIP }, async (t) => {
  const { url, sql } = await stored(t);
  const a = await node(t, url);
  assert.deepEqual((await a.engine.bindingsOf(container.obj.ghid)).map((g) => g.text), [dynamic.text]);
  // The frame's row says it binds something else, with another counter, and its entry is cut: the object itself is sound.
  await sql.query("UPDATE objects SET target = 'elsewhere', counter = 999, entry = substring(entry from 1 for 10) WHERE ghid = $1", [frame.obj.ghid.text]);
  assert.deepEqual(await a.engine.bindingsOf(container.obj.ghid), [], 'the container looks unbound');
  assert.deepEqual(await a.server.storeCheck.run(), { checked: gidcs.length + 2, damaged: 0 }, 'the object is sound');
  assert.ok(a.logger.lines.some((l) => l.startsWith('warn') && l.includes(dynamic.short) && /did not match it, and was rebuilt from it/.test(l)), a.logger.lines.join('\n'));
  assert.deepEqual((await a.engine.bindingsOf(container.obj.ghid)).map((g) => g.text), [dynamic.text], 'bound again');
  const { rows } = await sql.query<{ counter: string; target: string }>('SELECT counter::text AS counter, target FROM objects WHERE ghid = $1', [frame.obj.ghid.text]);
  assert.deepEqual(rows[0], { counter: '0', target: container.obj.ghid.text });
  const before = a.logger.lines.length;
  await a.server.storeCheck.run();
  assert.ok(!a.logger.lines.slice(before).some((l) => /was rebuilt/.test(l)), 'a second check finds nothing to rebuild');
});

test("a row whose entry is damaged does not fail the publishes near it; one whose object is damaged too refuses them as the store's fault, naming it", { skip: POSTGRES_SKIP }, async (t) => {
  const { url, sql } = await stored(t);
  const a = await node(t, url);
  const at = (type: 'GOBD' | 'GEOC', n: number) => v16.find((o) => o.obj.type === type && (type === 'GOBD' ? o.entry.counter === n : o.entry.chain_counter === n))!;
  // Frame 0's entry no longer decodes; its object is sound. Frame 1 replaces it: the rules read frame 0 to decide.
  await sql.query("UPDATE objects SET entry = '\\xff00'::bytea WHERE ghid = $1", [frame.obj.ghid.text]);
  await a.client.publish(at('GOBD', 1).raw);
  await a.client.publish(at('GEOC', 1).raw);
  assert.deepEqual(await a.client.get(dynamic), at('GOBD', 1).raw, 'the next frame taken, as if nothing were wrong');

  // Frame 1's entry and object both damaged: frame 2 is refused as the store's fault, not as malformed.
  await sql.query("UPDATE objects SET entry = '\\xff00'::bytea, raw = substring(raw from 1 for 50) WHERE ghid = $1", [at('GOBD', 1).obj.ghid.text]);
  await assert.rejects(a.client.publish(at('GOBD', 2).raw), (e: unknown) => e instanceof StorageFull && e.reason === 'storage_failed' && (e.retryAfterMs ?? 0) > 0);
  // The node's own refusal (and its log line) names it.
  await assert.rejects(a.engine.ingest(at('GOBD', 2).raw), (e: unknown) => e instanceof StorageFull && new RegExp(`damaged object \\(${at('GOBD', 1).obj.ghid.text.slice(0, 12)}…\\) that this publish depends on`).test(e.message));

  // A daemon gives frame 1 again (its check found it not here): its publish stands in for the
  // damaged copy, which is marked and written again from it, entry and all; frame 2 goes then.
  assert.equal(await a.client.publish(at('GOBD', 1).raw), false, 'held already: not stored as new');
  const { rows } = await sql.query<{ raw: Buffer; entry: Buffer; damaged: string | null }>('SELECT raw, entry, damaged FROM objects WHERE ghid = $1', [at('GOBD', 1).obj.ghid.text]);
  assert.ok(rows[0]!.raw.equals(at('GOBD', 1).raw), 'its bytes written again');
  assert.equal(rows[0]!.damaged, null, 'the mark cleared');
  assert.deepEqual(decodeEntry(rows[0]!.entry), entryOf(at('GOBD', 1).obj), 'its entry rebuilt');
  assert.ok(a.logger.lines.some((l) => l.includes('its damaged copy in this server\'s store was put right from a publish of it')), a.logger.lines.join('\n'));
  assert.equal(a.engine.damage.count(), 0, 'nothing counted damaged after');
  await a.client.publish(at('GOBD', 2).raw);
  assert.deepEqual(await a.client.get(dynamic), at('GOBD', 2).raw, 'the next frame taken');
});

test('the database lost during a check ends it with why, and its turn with it: once back, a check starts over', { skip: POSTGRES_SKIP }, async (t) => {
  const { url } = await stored(t);
  const a = await node(t, url);
  const turn = await a.engine.checkTurn({});
  assert.ok(!('refused' in turn));
  const pages = turn.pages()[Symbol.asyncIterator]();
  assert.equal((await pages.next()).value?.length, gidcs.length, 'the identities first');
  cluster!.stop();
  try {
    await assert.rejects(pages.next(), (e: unknown) => e instanceof Error && /^the database was lost during the check \(\w+\)$/.test(e.message));
    await turn.end(null);
    await assert.rejects(a.server.storeCheck.run(), /Cannot check the store: the database is unavailable/);
    assert.match(a.server.storeCheck.state.lastFailure?.message ?? '', /database is unavailable/, 'why, in the state');
  } finally {
    cluster!.start();
  }
  const report = await until(() => a.server.storeCheck.run().then((r) => r, () => null), 'a check once the database is back', 30_000, 200);
  assert.deepEqual(report, { checked: gidcs.length + 2, damaged: 0 }, 'the lost turn held nothing');
});
