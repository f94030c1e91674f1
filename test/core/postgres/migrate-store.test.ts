// `copyFilesToPostgres` / `copyPostgresToFiles` (src/core/postgres/migrate-store.ts) on their own,
// against a real throwaway cluster, real ghidcaches in a temp directory and the reference's signed
// objects: what an operator moving a server counts on — every object copied once (in chunks, with
// its entry, its bytes and its signer's usage), nothing left behind by a copy that failed part-way,
// no merge of two stores, no copy of a store that is still in use or does not exist, damaged files
// and unfinished deletions handled as the file server handles them, typed errors, no connection
// left open. Then what the copy feeds: the transaction view (view.ts) over migrated rows, the
// counts and usage of /metrics (stats.ts), and a node carrying on from a migrated binding.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DoesNotExist, Ghid, HypergolixError, ValueError, parseObject } from '../../../src/core/golix/index.js';
import { nullLogger } from '../../../src/core/log/index.js';
import { openPool, newClient } from '../../../src/core/postgres/connect.js';
import { PostgresEngine } from '../../../src/core/postgres/engine.js';
import { copyFilesToPostgres, copyPostgresToFiles, type MigrateOptions } from '../../../src/core/postgres/migrate-store.js';
import { PgRegistry } from '../../../src/core/postgres/registry.js';
import { migrate } from '../../../src/core/postgres/schema.js';
import type { SqlPool } from '../../../src/core/postgres/sql.js';
import { StatsCache } from '../../../src/core/postgres/stats.js';
import { TransactionView, loadNeighbourhood, seedsOf } from '../../../src/core/postgres/view.js';
import { packEntry } from '../../../src/core/postgres/writes.js';
import { FileRegistry, registrationsPath } from '../../../src/core/registration/registry.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { entryOf, type Entry } from '../../../src/core/store/entry.js';
import { FileStore } from '../../../src/core/store/file-store.js';
import { StoreLocked } from '../../../src/core/store/store-lock.js';
import { DamagedObjects } from '../../../src/core/remote/damaged-objects.js';
import { StoreCheck } from '../../../src/core/remote/store-check.js';
import { memoryLogger } from '../../fixtures/remote/helpers.js';
import { POSTGRES_SKIP, startPostgres, type TestPostgres } from '../../fixtures/postgres.js';
import { requests } from '../../fixtures/server/objects.js';
import { V2016_DIRS, v16Identity, v16Objects } from '../../fixtures/vectors.js';
import { until } from '../../fixtures/wait.js';

const skip = POSTGRES_SKIP;

// ---- the reference's objects

const v16 = v16Objects();
const at = (i: number) => v16[i]!;
const alice = v16Identity(0);
const bob = v16Identity(1);
const frameN = (n: number) => v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === n)!;
const geocN = (n: number) => v16.find((o) => o.obj.type === 'GEOC' && o.entry.chain_counter === n)!;
const dynamic = frameN(0).entry.ghid_dynamic!;
const [aliceGidc, bobGidc, carolGidc, gobs, gobsContainer, gobsDebinding] = [at(0), at(1), at(2), at(11), at(3), at(32)];
/** The reference's valid order up to the third frame (as test/cli/server-migrate.test.ts publishes it). */
const published = [aliceGidc, bobGidc, carolGidc, gobs, gobsContainer].concat([0, 1, 2].flatMap((n) => [frameN(n), geocN(n)]), [at(35), at(36)]);
/** What a file server keeps of `published`: frames 0 and 1 and their containers are replaced and collected. */
const kept = published.filter((o) => ![frameN(0), frameN(1), geocN(0), geocN(1)].includes(o));

/** Requests to bob: cheap real objects in bulk (no RSA signature), free of quota. */
let bulkRequests: Buffer[] | null = null;
const bulk = (): Buffer[] => (bulkRequests ??= requests(alice, bob.publicIdentity, 620));

// ---- the cluster, temp directories, ghidcaches

let cluster: TestPostgres | null = null;
function pg(): TestPostgres {
  return (cluster ??= startPostgres());
}
const database = (): Promise<string> => pg().database();

const tmp = mkdtempSync(join(tmpdir(), 'hgx-migrate-store-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (name = 'ghidcache'): string => join(tmp, `${name}-${++dirs}`);

/** A ghidcache made by a file server: `raws` published in order through the rules. */
async function serverStore(raws: Buffer[]): Promise<string> {
  const dir = freshDir();
  const { engine } = await RulesEngine.open(new FileStore(dir));
  for (let i = 0; i < raws.length; i += 100) await engine.ingestBatch(raws.slice(i, i + 100));
  await engine.close();
  return dir;
}

/** A ghidcache of bare object files (as the reference lays them out, or a crash leaves them), no index, no rules. */
function objectFiles(objs: { obj: { ghid: Ghid }; raw: Buffer }[]): string {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true });
  for (const o of objs) writeFileSync(join(dir, `${o.obj.ghid.text}.ghid`), o.raw);
  return dir;
}

/** The entries a ghidcache holds (its own index), by GHID. */
async function entriesOf(dir: string): Promise<Map<string, Entry>> {
  const store = new FileStore(dir);
  const { entries } = await store.load();
  const out = new Map([...entries.values()].map((e) => [e.ghid, e] as const));
  await store.close();
  return out;
}

/** Quota usage as the rules count it (rules/usage.ts): by signer, GIDCs and GARQs free. */
function usageOf(entries: Iterable<Entry>): Map<string, { bytes: number; objects: number }> {
  const out = new Map<string, { bytes: number; objects: number }>();
  for (const e of entries) {
    if (e.signer === undefined) continue;
    const u = out.get(e.signer) ?? { bytes: 0, objects: 0 };
    out.set(e.signer, { bytes: u.bytes + e.size, objects: u.objects + 1 });
  }
  return out;
}

// ---- reading the database

async function withPool<T>(url: string, fn: (pool: SqlPool) => Promise<T>): Promise<T> {
  const pool = await openPool({ url, applicationName: 'hgx-migrate-test' });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

interface Row {
  ghid: string;
  type: string;
  party: string | null;
  size: number;
  entry: Buffer;
  raw: Buffer;
}

/** The objects table by GHID; empty when there is no such table yet. */
function dbObjects(url: string): Promise<Map<string, Row>> {
  return withPool(url, async (pool) => {
    const { rows: t } = await pool.query<{ t: string | null }>("SELECT to_regclass('objects')::text AS t");
    if (t[0]!.t === null) return new Map();
    const { rows } = await pool.query<Row>('SELECT ghid, type, party, size, entry, raw FROM objects');
    return new Map(rows.map((r) => [r.ghid, r]));
  });
}

function dbUsage(url: string): Promise<Map<string, { bytes: number; objects: number }>> {
  return withPool(url, async (pool) => {
    const { rows: t } = await pool.query<{ t: string | null }>("SELECT to_regclass('usage')::text AS t");
    if (t[0]!.t === null) return new Map();
    const { rows } = await pool.query<{ identity: string; bytes: string; objects: string }>('SELECT identity, bytes, objects FROM usage');
    return new Map(rows.map((r) => [r.identity, { bytes: Number(r.bytes), objects: Number(r.objects) }]));
  });
}

function dbOps(url: string): Promise<string[]> {
  return withPool(url, async (pool) => {
    const { rows: t } = await pool.query<{ t: string | null }>("SELECT to_regclass('registration_ops')::text AS t");
    if (t[0]!.t === null) return [];
    return (await pool.query<{ op: string }>('SELECT op FROM registration_ops ORDER BY seq')).rows.map((r) => r.op);
  });
}

/** The schema alone, as a node's first start leaves it. */
async function withSchema(url: string): Promise<void> {
  await withPool(url, async (pool) => {
    const session = await pool.connect();
    try {
      await migrate(session);
    } finally {
      session.release();
    }
  });
}

/** Connections the migration holds, over the whole cluster (`application_name` hypergolix-migrate). */
function migrationSessions(where = ''): Promise<number> {
  return withPool(pg().url, async (pool) => {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'hypergolix-migrate' ${where}`);
    return Number(rows[0]!.n);
  });
}

async function noMigrationSessionsLeft(): Promise<void> {
  await until(async () => (await migrationSessions()) === 0, "the migration's connections to be closed");
}

/** A node's check of the copied store: every object sound, and what each row derives from its object as the engine itself derives it (nothing rebuilt). */
async function checkedClean(url: string, objects: number, acceptV15 = false): Promise<void> {
  const logger = memoryLogger();
  const { engine } = await PostgresEngine.open({ url, acceptV15 });
  try {
    assert.deepEqual(await new StoreCheck(() => engine, new DamagedObjects(() => engine, logger), logger).run(), { checked: objects, damaged: 0 });
    assert.deepEqual(logger.lines.filter((l) => /rebuilt|damaged in/.test(l)), [], 'nothing damaged, nothing rebuilt');
  } finally {
    await engine.close();
  }
}

function options(ghidcache: string, url: string, extra: Partial<MigrateOptions> = {}): MigrateOptions {
  return { ghidcache, url, ...extra };
}

/** Settles `p`: its value, or the error it threw. */
async function outcome<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

const describeError = (err: unknown): string => (err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err));

// ---- files → postgres

test('files → postgres: every object once, in chunks, with its entry, bytes and its signer\'s usage; the journal\'s complete ops; no connection left open', { skip }, async () => {
  const dir = await serverStore([...published.map((o) => o.raw), ...bulk()]);
  const source = await entriesOf(dir);
  assert.equal(source.size, kept.length + bulk().length, 'the store holds what the file server kept');
  // The accounts: two ops, then a line torn by a crash (the server does not read it either).
  const journal = await FileRegistry.open(registrationsPath(dir));
  await journal.register(alice.ghid.text, 'operator');
  await journal.request(bob.ghid.text);
  const accounts = journal.list();
  await journal.close();
  appendFileSync(registrationsPath(dir), '{"op":"revoke","fp":"' + alice.ghid.text.slice(0, 20));

  const url = await database();
  const progress: [number, number][] = [];
  const warnings: string[] = [];
  const copied = await copyFilesToPostgres(options(dir, url, { progress: (c, t) => progress.push([c, t]), warn: (m) => warnings.push(m) }));
  assert.deepEqual(copied, { objects: source.size, registrations: 2 });
  assert.deepEqual(warnings, []);
  assert.ok(progress.length >= 2, `more than one chunk (${progress.length} progress calls for ${source.size} objects)`);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i]![0] > progress[i - 1]![0], 'progress only goes forward');
  assert.ok(
    progress.every(([, total]) => total === source.size),
    'the total is the number of objects',
  );
  assert.deepEqual(progress.at(-1), [source.size, source.size]);

  const rows = await dbObjects(url);
  assert.deepEqual([...rows.keys()].sort(), [...source.keys()].sort(), 'the same GHIDs, each once');
  for (const [ghid, e] of source) {
    const row = rows.get(ghid)!;
    assert.ok(row.entry.equals(packEntry(e)), `${ghid.slice(0, 12)}: the entry as the store holds it`);
    assert.ok(row.raw.equals(readFileSync(join(dir, `${ghid}.ghid`))), `${ghid.slice(0, 12)}: the file's bytes`);
    assert.equal(row.type, e.type);
    assert.equal(row.size, e.size);
    assert.equal(row.party, e.signer ?? e.recipient ?? null);
  }
  assert.deepEqual(await dbUsage(url), usageOf(source.values()), 'quota usage as the rules count it');
  assert.equal((await dbOps(url)).length, 2, 'the torn line is not copied');
  const cluster = await PgRegistry.open({ url, refreshMs: 0 });
  assert.deepEqual(cluster.list(), accounts);
  await cluster.close();
  await checkedClean(url, source.size);
  await noMigrationSessionsLeft();
});

test('files → postgres: a copy that fails part-way leaves the database empty; the retry copies each object exactly once; a third run is refused', { skip }, async () => {
  const dir = await serverStore([bobGidc.raw, ...bulk()]);
  const journal = await FileRegistry.open(registrationsPath(dir));
  await journal.register(bob.ghid.text, 'operator');
  await journal.close();
  const url = await database();

  // Interrupted after the first chunk went in (the progress report is the last thing before the next chunk).
  const interruption = new Error('interrupted after the first chunk');
  let chunks = 0;
  await assert.rejects(
    copyFilesToPostgres(
      options(dir, url, {
        progress: () => {
          chunks++;
          throw interruption;
        },
      }),
    ),
    (err) => err === interruption,
  );
  assert.equal(chunks, 1);
  assert.equal((await dbObjects(url)).size, 0, 'no object of the failed copy stays');
  assert.equal((await dbUsage(url)).size, 0, 'no usage of the failed copy stays');
  assert.deepEqual(await dbOps(url), [], 'no registration of the failed copy stays');
  await noMigrationSessionsLeft();

  const copied = await copyFilesToPostgres(options(dir, url));
  assert.deepEqual(copied, { objects: bulk().length + 1, registrations: 1 });
  const rows = await dbObjects(url);
  assert.equal(rows.size, bulk().length + 1);
  const ghids = [...rows.values()].map((r) => r.ghid);
  assert.equal(new Set(ghids).size, ghids.length, 'no object twice');

  await assert.rejects(copyFilesToPostgres(options(dir, url)), (err: unknown) => err instanceof HypergolixError && /already holds \d+ objects/.test(err.message));
  assert.equal((await dbObjects(url)).size, bulk().length + 1, 'the refused copy added nothing');
  assert.equal((await dbOps(url)).length, 1);
  await noMigrationSessionsLeft();
});

test('files → postgres: two copies into one empty database at the same time — one is refused, two stores are never merged', { skip }, async () => {
  const a = await serverStore([aliceGidc.raw, gobs.raw, gobsContainer.raw]);
  const b = await serverStore([bobGidc.raw, ...requests(alice, bob.publicIdentity, 5)]);
  const url = await database();
  await withSchema(url);
  // Another session holds the usage table: both copies get as far as their last statement and
  // wait there, as two operators' copies started together would be at once.
  const locker = await newClient({ url, applicationName: 'hgx-migrate-test-locker' });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE usage IN ACCESS EXCLUSIVE MODE');
  let settled = 0;
  const copies = [copyFilesToPostgres(options(a, url)), copyFilesToPostgres(options(b, url))].map((p) => outcome(p).finally(() => settled++));
  await until(async () => settled > 0 || (await migrationSessions("AND wait_event_type = 'Lock'")) >= 2, 'both copies to be under way');
  await locker.query('COMMIT');
  await locker.end();
  const [ra, rb] = await Promise.all(copies);

  const won = [ra!, rb!].filter((r) => r.ok);
  const refused = [ra!, rb!].filter((r) => !r.ok);
  const rows = await dbObjects(url);
  assert.equal(won.length, 1, `exactly one copy goes in (the database holds ${rows.size} objects: ${[ra, rb].map((r) => (r!.ok ? 'copied' : describeError(r!.error))).join('; ')})`);
  assert.ok(!refused[0]!.ok && refused[0]!.error instanceof HypergolixError, `the other is refused with a ValueError: ${!refused[0]!.ok ? describeError(refused[0]!.error) : ''}`);
  const winner = ra!.ok ? a : b;
  assert.deepEqual([...rows.keys()].sort(), [...(await entriesOf(winner)).keys()].sort(), "the database holds the winner's store, alone");
  await noMigrationSessionsLeft();
});

test('files → postgres: a database emptied of objects by hand but still holding usage rows is refused, or its usage made right — never a raw SQL error', { skip }, async () => {
  const dir = await serverStore([aliceGidc.raw, gobs.raw, gobsContainer.raw]);
  const source = await entriesOf(dir);
  const url = await database();
  await withSchema(url);
  // What `DELETE FROM objects` leaves: the usage of alice and of someone else, now wrong.
  const stranger = carolGidc.obj.ghid.text;
  await withPool(url, (pool) => pool.query('INSERT INTO usage (identity, bytes, objects) VALUES ($1, 1, 1), ($2, 999, 9)', [alice.ghid.text, stranger]));

  const r = await outcome(copyFilesToPostgres(options(dir, url)));
  if (r.ok) {
    assert.deepEqual(await dbUsage(url), usageOf(source.values()), 'the usage table holds the copied store\'s usage and nothing else');
  } else {
    assert.ok(r.error instanceof HypergolixError, `refused with a typed error saying the database is not empty, not ${describeError(r.error)}`);
    assert.equal((await dbObjects(url)).size, 0);
  }
  await noMigrationSessionsLeft();
});

test('files → postgres: a ghidcache that does not exist is refused, not copied as an empty store (nor created)', { skip }, async () => {
  const missing = join(tmp, 'no-such-ghidcache');
  const url = await database();
  const r = await outcome(copyFilesToPostgres(options(missing, url)));
  assert.ok(!r.ok, `refused, not "copied ${r.ok ? r.value.objects : '?'} objects" (and the directory ${existsSync(missing) ? 'created' : 'not created'})`);
  assert.equal(existsSync(missing), false, 'the mistyped ghidcache is not created');
  assert.ok(r.error instanceof HypergolixError, describeError(r.error));
  assert.match(r.error.message, /no-such-ghidcache/);
  assert.equal((await dbObjects(url)).size, 0);
  await noMigrationSessionsLeft();
});

test('files → postgres: damaged object files (a flipped byte, a torn file) are reported by name, not copied silently', { skip }, async () => {
  const dir = await serverStore([aliceGidc.raw, gobs.raw, gobsContainer.raw, bobGidc.raw, at(35).raw]);
  // Damaged after the server wrote its index: bit rot in a container's ciphertext (before its
  // 512-byte signature, inside what its GHID hashes), a binding cut short.
  const flipped = gobsContainer.obj.ghid.text;
  const flippedBytes = Buffer.from(gobsContainer.raw);
  flippedBytes[flippedBytes.length - 512 - 10]! ^= 0x01;
  writeFileSync(join(dir, `${flipped}.ghid`), flippedBytes);
  const torn = gobs.obj.ghid.text;
  writeFileSync(join(dir, `${torn}.ghid`), gobs.raw.subarray(0, gobs.raw.length - 100));
  // They are damaged indeed: neither parses as the object its name says.
  for (const [ghid, bytes] of [
    [flipped, flippedBytes],
    [torn, readFileSync(join(dir, `${torn}.ghid`))],
  ] as const) {
    assert.throws(() => {
      if (parseObject(bytes).ghid.text !== ghid) throw new Error('another object');
    });
  }

  const url = await database();
  const warnings: string[] = [];
  const r = await outcome(copyFilesToPostgres(options(dir, url, { warn: (m) => warnings.push(m) })));
  const said = [...warnings, r.ok ? '' : describeError(r.error)].join('\n');
  for (const ghid of [flipped, torn]) {
    assert.ok(said.includes(ghid.slice(0, 12)), `${ghid.slice(0, 12)}… is named as damaged (said: ${JSON.stringify(said)}; ${r.ok ? `copied ${r.value.objects} objects` : 'refused'})`);
  }
  await noMigrationSessionsLeft();
});

test('files → postgres: a ghidcache still open in a running store (its lock held) is refused, and its journals are left alone', { skip }, async () => {
  const dir = freshDir();
  // The server, running: its objects in its journal, their files not written yet.
  const live = new FileStore(dir, { lock: { role: 'server', configKey: 'server.ghidcache' }, fileDelayMs: 600_000, maxFileDelayMs: 600_000 });
  const { engine } = await RulesEngine.open(live);
  try {
    for (const o of [aliceGidc, gobs, gobsContainer]) await engine.ingest(o.raw);
    const journals = readdirSync(tmp).filter((n) => n.startsWith(`${basename(dir)}.journal.`));
    assert.ok(journals.length > 0, 'the running store has a journal');

    const url = await database();
    const r = await outcome(copyFilesToPostgres(options(dir, url)));
    const gone = journals.filter((n) => !existsSync(join(tmp, n)));
    assert.deepEqual(gone, [], "the running store's journals are not removed under it");
    assert.ok(!r.ok, `refused, not copied (${r.ok ? `${r.value.objects} objects copied from a live store` : ''})`);
    assert.ok(r.error instanceof ValueError && r.error.cause instanceof StoreLocked, describeError(r.error));
    assert.equal((await dbObjects(url)).size, 0);
    await noMigrationSessionsLeft();
  } finally {
    await engine.close().catch(() => {});
  }
});

test('files → postgres: deletions a crash or a full disk left unfinished are finished, as the file server finishes them at its start', { skip }, async () => {
  // A debinding stored but its binding and container not yet deleted; two frames of one binding,
  // the older one's container still there.
  const files = [aliceGidc, gobs, gobsContainer, gobsDebinding, frameN(0), geocN(0), frameN(1), geocN(1)];
  const dir = objectFiles(files);
  // What the file server serves from the same files, once it has opened them.
  const copy = freshDir();
  cpSync(dir, copy, { recursive: true });
  const { engine: fileServer } = await RulesEngine.open(new FileStore(copy));
  const served = files.filter((o) => fileServer.exists(o.obj.ghid)).map((o) => o.obj.ghid.text);
  assert.equal(fileServer.exists(gobs.obj.ghid), false, 'the file server finishes the debinding');
  assert.equal(fileServer.exists(geocN(0).obj.ghid), false, "the file server collects the old frame's container");
  await fileServer.close();

  const url = await database();
  const copied = await copyFilesToPostgres(options(dir, url));
  const rows = await dbObjects(url);
  const node = (await PostgresEngine.open({ url })).engine;
  try {
    const debound = await outcome(node.get(gobs.obj.ghid));
    assert.ok(!debound.ok && debound.error instanceof DoesNotExist, 'a debound binding is not served from the database');
    assert.deepEqual([...rows.keys()].sort(), served.sort(), 'the database holds what the file server would serve');
    assert.equal(copied.objects, served.length);
  } finally {
    await node.close();
  }
  await noMigrationSessionsLeft();
});

test('files → postgres: of two frames of one binding left by a crash the newer is copied, and on PostgreSQL the binding takes its next frame', { skip }, async () => {
  const dir = objectFiles([aliceGidc, geocN(0), frameN(0), geocN(1), frameN(1)]);
  const url = await database();
  await copyFilesToPostgres(options(dir, url));
  const rows = await dbObjects(url);
  assert.ok(rows.has(frameN(1).obj.ghid.text), 'the newer frame');
  assert.ok(!rows.has(frameN(0).obj.ghid.text), 'not the older one');

  const node = (await PostgresEngine.open({ url })).engine;
  try {
    const d = Ghid.fromText(dynamic);
    assert.deepEqual(await node.get(d), frameN(1).raw);
    // The next frame and its container, checked against the migrated frame (view.ts loads it).
    assert.equal((await node.ingest(frameN(2).raw)).stored, true);
    assert.equal((await node.ingest(geocN(2).raw)).stored, true);
    assert.deepEqual(await node.get(d), frameN(2).raw);
    assert.equal(await node.exists(frameN(1).obj.ghid), false, 'the migrated frame is replaced');
    assert.equal(await node.exists(geocN(1).obj.ghid), false, 'and its container collected');
  } finally {
    await node.close();
  }
  await noMigrationSessionsLeft();
});

test('files → postgres → files: a 2016 reference ghidcache (v15 frames, no index) is copied as the file server serves it, and back', { skip }, async () => {
  const dir = freshDir();
  cpSync(V2016_DIRS[0]!, dir, { recursive: true });
  const copy = freshDir();
  cpSync(V2016_DIRS[0]!, copy, { recursive: true });
  const { engine: fileServer } = await RulesEngine.open(new FileStore(copy), { acceptV15: true });
  const fileStats = fileServer.stats();
  await fileServer.close();
  const served = await entriesOf(copy);
  assert.ok(fileStats.byType.GOBD! > 0, 'the cache has v15 frames');

  const url = await database();
  const warnings: string[] = [];
  const copied = await copyFilesToPostgres(options(dir, url, { warn: (m) => warnings.push(m) }));
  assert.deepEqual(warnings, []);
  assert.equal(copied.objects, fileStats.objects);
  const rows = await dbObjects(url);
  assert.deepEqual([...rows.keys()].sort(), [...served.keys()].sort());
  for (const [ghid, e] of served) {
    assert.ok(rows.get(ghid)!.raw.equals(readFileSync(join(copy, `${ghid}.ghid`))), ghid.slice(0, 12));
    assert.ok(rows.get(ghid)!.entry.equals(packEntry(e)), `${e.type} ${ghid.slice(0, 12)}: its entry (v15 history included)`);
  }
  await checkedClean(url, fileStats.objects, true);

  const back = freshDir();
  assert.deepEqual(await copyPostgresToFiles(options(back, url)), { objects: fileStats.objects, registrations: 0 });
  const returned = await entriesOf(back);
  assert.deepEqual([...returned.keys()].sort(), [...served.keys()].sort());
  for (const ghid of served.keys()) assert.ok(readFileSync(join(back, `${ghid}.ghid`)).equals(readFileSync(join(copy, `${ghid}.ghid`))), ghid.slice(0, 12));
  await noMigrationSessionsLeft();
});

// ---- what the copy feeds: the transaction view, the counts

test('view: migrated rows read back through the transaction view as the file store\'s entries; neighbourhoods of a binding, a container, a dynamic GHID', { skip }, async () => {
  const dir = await serverStore(published.map((o) => o.raw));
  const source = await entriesOf(dir);
  const url = await database();
  await copyFilesToPostgres(options(dir, url));

  await withPool(url, async (pool) => {
    const all = await loadNeighbourhood(pool, source.keys());
    assert.equal(all.length, source.size);
    for (const row of all) {
      const e = source.get(row.ghid)!;
      assert.ok(row.entry.equals(packEntry(e)), `${e.type} ${row.ghid.slice(0, 12)}: its entry`);
      if (e.type === 'GIDC' || e.type === 'GOBD') assert.ok(row.raw?.equals(readFileSync(join(dir, `${row.ghid}.ghid`))), `${e.type}: its bytes, for the rules`);
      else assert.equal(row.raw, null, `${e.type}: no bytes loaded`);
    }
    const view = new TransactionView(all);
    assert.deepEqual(view.loaded().map((e) => packEntry(e).toString('hex')).sort(), [...source.values()].map((e) => packEntry(e).toString('hex')).sort());

    const ghidsOf = async (seeds: string[]) => (await loadNeighbourhood(pool, seeds)).map((r) => r.ghid).sort();
    assert.deepEqual(await ghidsOf([dynamic]), [frameN(2).obj.ghid.text, geocN(2).obj.ghid.text].sort(), 'a dynamic GHID: its current frame and what it binds');
    assert.deepEqual(await ghidsOf([gobsContainer.obj.ghid.text]), [gobs.obj.ghid.text, gobsContainer.obj.ghid.text].sort(), 'a container: it and its binding');
    // What the next frame's transaction loads: the frame it replaces and that frame's container.
    const next = entryOf(frameN(3).obj);
    const loaded = await ghidsOf(seedsOf(next));
    for (const g of [frameN(2).obj.ghid.text, geocN(2).obj.ghid.text, aliceGidc.obj.ghid.text]) assert.ok(loaded.includes(g), `the next frame's neighbourhood has ${g.slice(0, 12)}`);

    // The view's writes: nothing before arm(), then exactly what the rules stored and deleted.
    const v = new TransactionView(await loadNeighbourhood(pool, seedsOf(next)));
    await v.put(next, frameN(3).raw);
    assert.equal(v.unexpectedWrites, 1);
    assert.deepEqual(v.writes(), { inserts: [], deletes: [] });
    v.arm();
    await v.put(next, frameN(3).raw);
    await v.delete(frameN(2).obj.ghid.text);
    assert.deepEqual(v.writes(), { inserts: [{ entry: next, raw: frameN(3).raw }], deletes: [frameN(2).obj.ghid.text] });
    assert.deepEqual(await v.read(next.ghid), frameN(3).raw);
    assert.equal(await v.read(geocN(2).obj.ghid.text), null, "a container's bytes are not loaded");
    assert.equal(v.wasStored(frameN(2).obj.ghid.text), true);
    await v.delete(next.ghid);
    assert.deepEqual(v.writes(), { inserts: [], deletes: [frameN(2).obj.ghid.text] }, 'an object put and deleted in one transaction is not written');
  });
  await noMigrationSessionsLeft();
});

test('stats: the counts and quota usage of a migrated database are what the file server reports; applied() follows a commit until the next read', { skip }, async () => {
  const quota = { objectsPerIdentity: 100 };
  const dir = await serverStore(published.map((o) => o.raw));
  const url = await database();
  const copied = await copyFilesToPostgres(options(dir, url));
  const { engine: fileServer } = await RulesEngine.open(new FileStore(dir), { quota });
  const fileStats = fileServer.stats();
  const fileUsage = fileServer.usage();
  await fileServer.close();
  assert.equal(copied.objects, fileStats.objects);

  await withPool(url, async (pool) => {
    const stats = new StatsCache(pool, quota, 600_000, nullLogger);
    try {
      assert.deepEqual(stats.counts(), { objects: 0, byType: { GIDC: 0, GEOC: 0, GOBS: 0, GOBD: 0, GDXX: 0, GARQ: 0 } }, 'nothing before the first read');
      assert.equal(stats.usage(), null);
      await stats.refresh();
      assert.deepEqual(stats.counts(), fileStats);
      assert.deepEqual(stats.usage(), fileUsage);
      stats.applied([entryOf(frameN(3).obj), entryOf(geocN(3).obj)], 2);
      const after = stats.counts();
      assert.equal(after.objects, fileStats.objects + 2);
      assert.equal(after.byType.GOBD, fileStats.byType.GOBD! + 1);
      assert.equal(after.byType.GEOC, fileStats.byType.GEOC! + 1);
      await stats.refresh();
      assert.deepEqual(stats.counts(), fileStats, 'the next read counts what the database holds');
    } finally {
      stats.stop();
    }
    const quotaless = new StatsCache(pool, null, 600_000, nullLogger);
    await quotaless.refresh();
    quotaless.stop();
    assert.equal(quotaless.usage(), null, 'no quota, no usage');
  });
});

// ---- both directions: errors

test('a database that does not exist is a typed error (HypergolixError) both ways, and no connection stays open', { skip }, async () => {
  const url = pg().url.replace('/postgres?', '/hgx_no_such_database?');
  const dir = await serverStore([aliceGidc.raw]);
  const there = await outcome(copyFilesToPostgres(options(dir, url)));
  assert.ok(!there.ok);
  const back = await outcome(copyPostgresToFiles(options(freshDir(), url)));
  assert.ok(!back.ok);
  await noMigrationSessionsLeft();
  // The CLI shows a HypergolixError as a message; anything else as "unexpected error" with a stack.
  assert.ok(there.error instanceof HypergolixError, `files → postgres: ${describeError(there.error)}`);
  assert.ok(back.error instanceof HypergolixError, `postgres → files: ${describeError(back.error)}`);
});

// ---- postgres → files

test('postgres → files: into a ghidcache holding objects or registrations is refused, nothing written', { skip }, async () => {
  const url = await database();
  await copyFilesToPostgres(options(await serverStore([aliceGidc.raw, gobs.raw, gobsContainer.raw]), url));

  const full = await serverStore([bobGidc.raw]);
  await assert.rejects(copyPostgresToFiles(options(full, url)), (err: unknown) => err instanceof HypergolixError && /already holds 1 objects/.test(err.message));
  assert.deepEqual([...(await entriesOf(full)).keys()], [bobGidc.obj.ghid.text], 'the destination keeps only its own object');
  assert.equal(existsSync(registrationsPath(full)), false);

  const accounts = freshDir();
  const journal = await FileRegistry.open(registrationsPath(accounts));
  await journal.register(bob.ghid.text, 'operator');
  await journal.close();
  await assert.rejects(copyPostgresToFiles(options(accounts, url)), (err: unknown) => err instanceof HypergolixError && /registration records/.test(err.message));
  assert.equal((await entriesOf(accounts)).size, 0, 'no object written');
  await noMigrationSessionsLeft();
});

test('postgres → files: a destination whose accounts journal ends in a torn line keeps every registration op', { skip }, async () => {
  const dir = await serverStore([aliceGidc.raw, bobGidc.raw]);
  const journal = await FileRegistry.open(registrationsPath(dir));
  await journal.register(alice.ghid.text, 'operator');
  await journal.request(bob.ghid.text);
  const accounts = journal.list();
  await journal.close();
  const url = await database();
  await copyFilesToPostgres(options(dir, url));

  // An empty ghidcache whose accounts journal holds only the start of a line (a crash mid-write).
  const dest = freshDir();
  writeFileSync(registrationsPath(dest), '{"op":"register","fp":"' + alice.ghid.text.slice(0, 30));
  const r = await outcome(copyPostgresToFiles(options(dest, url)));
  if (!r.ok) {
    assert.ok(r.error instanceof HypergolixError, describeError(r.error));
  } else {
    assert.deepEqual(r.value, { objects: 2, registrations: 2 });
    const restored = await FileRegistry.open(registrationsPath(dest));
    const list = restored.list();
    await restored.close();
    assert.deepEqual(
      list.map((a) => [a.fingerprint, a.status]),
      accounts.map((a) => [a.fingerprint, a.status]),
      `every copied op is read back (the journal: ${JSON.stringify(readFileSync(registrationsPath(dest), 'utf8'))})`,
    );
  }
  await noMigrationSessionsLeft();
});
