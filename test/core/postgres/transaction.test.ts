// commitBatch (src/core/postgres/transaction.ts) and applyWrites/readUsage (writes.ts) against a
// scripted fake session — no PostgreSQL needed — plus how PostgresEngine.commit (engine.ts) turns
// what commitBatch throws into release() and the publisher's error. Each session records every
// statement; a rule fails the n-th statement of a kind with an Error carrying a SQLSTATE `code`,
// as node-postgres errors do, or breaks the connection (every later statement then fails too).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { HypergolixError, RemoteNak, StorageFull } from '../../../src/core/golix/index.js';
import { CommitOutcomeUnknown, commitBatch, leavesSessionUnusable, type BatchItem, type RuleSettings } from '../../../src/core/postgres/transaction.js';
import { applyWrites, packEntry, readUsage } from '../../../src/core/postgres/writes.js';
import { WriteConflict } from '../../../src/core/postgres/errors.js';
import { PostgresEngine, type PostgresEngineOptions } from '../../../src/core/postgres/engine.js';
import type { SqlPool, SqlResult, SqlSession } from '../../../src/core/postgres/sql.js';
import { entryOf } from '../../../src/core/store/entry.js';
import { v16Identity, v16Objects } from '../../fixtures/vectors.js';

const v16 = v16Objects();
const alice = v16Identity(0);
const aliceGidc = v16.find((o) => o.obj.type === 'GIDC' && o.obj.ghid.equals(alice.ghid))!;
const SETTINGS: RuleSettings = { quota: null };
/** Alice's identity, a binding by her, and the container it binds: three objects stored. */
const THREE: BatchItem[] = [0, 11, 3].map((i) => ({ obj: v16[i]!.obj }));

// ---- the fake

type Kind = 'BEGIN' | 'COMMIT' | 'ROLLBACK' | 'NEIGHBOURHOOD' | 'READ USAGE' | 'INSERT OBJECTS' | 'DELETE OBJECTS' | 'DELETE USAGE' | 'UPSERT USAGE' | 'OTHER';

function kindOf(text: string): Kind {
  const t = text.trim();
  if (t === 'BEGIN ISOLATION LEVEL SERIALIZABLE') return 'BEGIN';
  if (t === 'COMMIT' || t === 'ROLLBACK') return t;
  if (t.startsWith('WITH RECURSIVE reach')) return 'NEIGHBOURHOOD';
  if (t.startsWith('SELECT identity, bytes, objects FROM usage')) return 'READ USAGE';
  if (t.startsWith('INSERT INTO objects')) return 'INSERT OBJECTS';
  if (t.startsWith('DELETE FROM objects')) return 'DELETE OBJECTS';
  if (t.startsWith('DELETE FROM usage')) return 'DELETE USAGE';
  if (t.startsWith('INSERT INTO usage')) return 'UPSERT USAGE';
  return 'OTHER';
}

interface Rule {
  kind: Kind;
  /** Which occurrence of `kind` on this session fails (1-based); every one when absent. */
  nth?: number;
  error: () => Error;
  /** The connection is gone after this: every later statement fails with "not queryable". */
  breaks?: boolean;
  /** The statement is applied before the error comes back (a COMMIT whose answer was lost). */
  applied?: boolean;
}

type Answer = (kind: Kind, values: readonly unknown[] | undefined) => SqlResult<unknown> | undefined;

/** What a statement affects by default: every row it was given (no other writer). */
function defaultAnswer(kind: Kind, values: readonly unknown[] | undefined): SqlResult<unknown> {
  const n = Array.isArray(values?.[0]) ? (values[0] as unknown[]).length : 0;
  return { rows: [], rowCount: kind === 'INSERT OBJECTS' || kind === 'DELETE OBJECTS' ? n : 0 };
}

class FakeSession implements SqlSession {
  readonly statements: Kind[] = [];
  readonly texts: { text: string; values: readonly unknown[] | undefined }[] = [];
  readonly releases: (Error | boolean | undefined)[] = [];
  /** Statements whose effect reached the database: COMMITs that went through. */
  readonly applied: Kind[] = [];
  broken = false;
  private readonly seen = new Map<Kind, number>();

  constructor(
    private readonly rules: Rule[] = [],
    private readonly answer: Answer = () => undefined,
  ) {}

  async query<R>(text: string, values?: readonly unknown[]): Promise<SqlResult<R>> {
    const kind = kindOf(text);
    this.statements.push(kind);
    this.texts.push({ text, values });
    await Promise.resolve();
    if (this.broken) throw new Error('Client was closed and is not queryable');
    const n = (this.seen.get(kind) ?? 0) + 1;
    this.seen.set(kind, n);
    const rule = this.rules.find((r) => r.kind === kind && (r.nth === undefined || r.nth === n));
    if (rule) {
      if (rule.breaks) this.broken = true;
      if (rule.applied) this.applied.push(kind);
      throw rule.error();
    }
    if (kind === 'COMMIT') this.applied.push(kind);
    return (this.answer(kind, values) ?? defaultAnswer(kind, values)) as SqlResult<R>;
  }

  release(err?: Error | boolean): void {
    this.releases.push(err);
  }
}

function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}
const serialization = () => pgError('40001', 'could not serialize access due to read/write dependencies among transactions');
const deadlock = () => pgError('40P01', 'deadlock detected');
const uniqueTaken = () => pgError('23505', 'duplicate key value violates unique constraint "objects_pkey"');
const adminShutdown = () => pgError('57P01', 'terminating connection due to administrator command');
/** node-postgres when the socket closes under a query: no SQLSTATE at all. */
const terminated = () => new Error('Connection terminated unexpectedly');
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', errno: -111 });

/** The statements of one successful run of THREE (see the first tests). */
const RUN_OF_THREE: Kind[] = ['BEGIN', 'NEIGHBOURHOOD', 'READ USAGE', 'INSERT OBJECTS', 'UPSERT USAGE', 'COMMIT'];

/** No jitter: the retries' back-off sleeps are setTimeout(0). */
function noJitter(t: TestContext): void {
  t.mock.method(Math, 'random', () => 0);
}

// ---- commitBatch: success

test('an empty batch: BEGIN SERIALIZABLE, the neighbourhood read, COMMIT; the session is left to the caller', async () => {
  const s = new FakeSession();
  const r = await commitBatch(s, [], SETTINGS);
  assert.deepEqual(s.statements, ['BEGIN', 'NEIGHBOURHOOD', 'COMMIT']);
  assert.equal(s.texts[0]!.text, 'BEGIN ISOLATION LEVEL SERIALIZABLE');
  assert.deepEqual(s.texts[1]!.values, [[]]);
  assert.deepEqual(r, { outcomes: [], inserted: [], deleted: 0, attempts: 1, damagedCopies: [] });
  assert.deepEqual(s.releases, [], 'commitBatch never releases: the engine owns the session');
});

test('a batch that stores three objects: its reads and writes between BEGIN and COMMIT, results only after COMMIT', async () => {
  const s = new FakeSession();
  const r = await commitBatch(s, THREE, SETTINGS);
  assert.deepEqual(s.statements, RUN_OF_THREE);
  assert.ok(!s.statements.includes('ROLLBACK'));
  // The neighbourhood starts from every GHID the batch names, the usage read covers the signer.
  const seeds = s.texts[1]!.values![0] as string[];
  for (const { obj } of THREE) assert.ok(seeds.includes(obj.ghid.text), `seed ${obj.ghid.short}`);
  assert.deepEqual(s.texts[2]!.values, [[alice.ghid.text]]);
  const insert = s.texts[3]!.values!;
  assert.deepEqual(insert[0], THREE.map((i) => i.obj.ghid.text));
  assert.deepEqual(insert[8], THREE.map((i) => i.obj.raw));
  const usage = s.texts[4]!.values!;
  assert.deepEqual(usage[0], [alice.ghid.text]);
  assert.deepEqual(usage[2], [2], 'the binding and the container count towards Alice');
  assert.equal(r.attempts, 1);
  assert.deepEqual(r.outcomes.map((o) => o.ok && o.result.stored), [true, true, true]);
  assert.deepEqual(r.inserted.map((e) => e.ghid), THREE.map((i) => i.obj.ghid.text));
  assert.equal(r.deleted, 0);
});

test('an object the rules refuse is an outcome, not a failure: the rest of the batch commits', async () => {
  const s = new FakeSession();
  const lone = v16[4]!.obj; // a container nothing binds
  const r = await commitBatch(s, [{ obj: aliceGidc.obj }, { obj: lone }], SETTINGS);
  assert.equal(s.statements.at(-1), 'COMMIT');
  assert.ok(!s.statements.includes('ROLLBACK'));
  assert.equal(r.outcomes[0]!.ok, true);
  const refused = r.outcomes[1]!;
  assert.ok(!refused.ok && refused.error instanceof HypergolixError);
  assert.deepEqual(r.inserted.map((e) => e.ghid), [aliceGidc.obj.ghid.text]);
});

test('an object already in the database is stored:false, and nothing is written', async () => {
  const row = { ghid: aliceGidc.obj.ghid.text, entry: packEntry(entryOf(aliceGidc.obj)), raw: aliceGidc.raw };
  const s = new FakeSession([], (kind) => (kind === 'NEIGHBOURHOOD' ? { rows: [row], rowCount: 1 } : undefined));
  const r = await commitBatch(s, [{ obj: aliceGidc.obj }], SETTINGS);
  assert.deepEqual(s.statements, ['BEGIN', 'NEIGHBOURHOOD', 'COMMIT']);
  const o = r.outcomes[0]!;
  assert.ok(o.ok && o.result.stored === false && o.result.notifications.length === 0);
  assert.deepEqual(r.inserted, []);
});

// ---- commitBatch: failures that are not conflicts

test('a non-conflict error inside the transaction: ROLLBACK, no retry, the same error object reaches the caller', async () => {
  const boom = pgError('42P01', 'relation "objects" does not exist');
  const s = new FakeSession([{ kind: 'NEIGHBOURHOOD', error: () => boom }]);
  await assert.rejects(commitBatch(s, THREE, SETTINGS), (err) => err === boom);
  assert.deepEqual(s.statements, ['BEGIN', 'NEIGHBOURHOOD', 'ROLLBACK']);
  assert.deepEqual(s.releases, []);
});

test('an error of the rules code itself (not a HypergolixError) aborts the whole batch: ROLLBACK, rethrown unchanged', async () => {
  const bug = new TypeError('cannot read properties of undefined');
  // The usage read answers garbage: readUsage's loop throws a TypeError inside the body.
  const s = new FakeSession([], (kind) => (kind === 'READ USAGE' ? ({ rows: null, rowCount: 0 } as unknown as SqlResult<unknown>) : undefined));
  await assert.rejects(commitBatch(s, THREE, SETTINGS), (err) => err instanceof TypeError && err !== bug);
  assert.deepEqual(s.statements, ['BEGIN', 'NEIGHBOURHOOD', 'READ USAGE', 'ROLLBACK']);
});

test('ROLLBACK failing after a body error: the body error, not the ROLLBACK error, reaches the caller', async () => {
  const boom = pgError('22P02', 'invalid input syntax');
  const s = new FakeSession([
    { kind: 'INSERT OBJECTS', error: () => boom },
    { kind: 'ROLLBACK', error: terminated, breaks: true },
  ]);
  await assert.rejects(commitBatch(s, THREE, SETTINGS), (err) => err === boom);
  assert.deepEqual(s.statements, ['BEGIN', 'NEIGHBOURHOOD', 'READ USAGE', 'INSERT OBJECTS', 'ROLLBACK']);
});

test('a connection lost mid-transaction (no SQLSTATE): not retried, the connection error reaches the caller', async () => {
  const s = new FakeSession([{ kind: 'READ USAGE', error: terminated, breaks: true }]);
  await assert.rejects(commitBatch(s, THREE, SETTINGS), /Connection terminated unexpectedly/);
  // ROLLBACK is still tried (and fails on the dead connection, silently); no second BEGIN.
  assert.deepEqual(s.statements, ['BEGIN', 'NEIGHBOURHOOD', 'READ USAGE', 'ROLLBACK']);
});

test('a database restart (57P01 admin shutdown) mid-transaction: not retried, rethrown with its SQLSTATE', async () => {
  const s = new FakeSession([{ kind: 'NEIGHBOURHOOD', error: adminShutdown, breaks: true }]);
  await assert.rejects(commitBatch(s, THREE, SETTINGS), (err) => (err as { code?: string }).code === '57P01');
  assert.deepEqual(s.statements, ['BEGIN', 'NEIGHBOURHOOD', 'ROLLBACK']);
});

test('BEGIN itself refused (connection refused): not retried, rethrown', async () => {
  const s = new FakeSession([{ kind: 'BEGIN', error: refused, breaks: true }]);
  await assert.rejects(commitBatch(s, THREE, SETTINGS), (err) => (err as { code?: string }).code === 'ECONNREFUSED');
  assert.deepEqual(s.statements, ['BEGIN', 'ROLLBACK']);
});

test("COMMIT's connection lost: not run again, and thrown as CommitOutcomeUnknown carrying what the batch did", async () => {
  const s = new FakeSession([{ kind: 'COMMIT', error: terminated, breaks: true, applied: true }]);
  const err = await commitBatch(s, THREE, SETTINGS).then(
    () => assert.fail('COMMIT failed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CommitOutcomeUnknown, String(err));
  assert.equal((err.cause as Error).message, 'Connection terminated unexpectedly');
  assert.equal(err.result.inserted.length, 3, 'what the batch wrote, for the caller to look for');
  assert.deepEqual(err.result.outcomes.map((o) => o.ok && o.result.stored), [true, true, true]);
  assert.ok(leavesSessionUnusable(err));
  assert.deepEqual(s.statements, RUN_OF_THREE, 'no ROLLBACK after COMMIT');
});

test('a refusal at COMMIT on a live connection (not a conflict) is no unknown outcome: rolled back and thrown as it is', async () => {
  const refused = Object.assign(new Error('deferred constraint'), { code: '23514' });
  const s = new FakeSession([{ kind: 'COMMIT', error: () => refused }]);
  await assert.rejects(commitBatch(s, THREE, SETTINGS), (e) => e === refused);
  assert.deepEqual(s.statements, [...RUN_OF_THREE, 'ROLLBACK']);
  assert.equal(leavesSessionUnusable(refused), false);
});

// ---- commitBatch: conflicts

for (const [name, error, at] of [
  ['serialization failure (40001) at the neighbourhood read', serialization, 'NEIGHBOURHOOD'],
  ['deadlock (40P01) at the insert', deadlock, 'INSERT OBJECTS'],
  ['unique key taken meanwhile (23505) at the insert', uniqueTaken, 'INSERT OBJECTS'],
  ['serialization failure (40001) at COMMIT', serialization, 'COMMIT'],
  ['deadlock (40P01) at COMMIT', deadlock, 'COMMIT'],
] as const) {
  test(`${name}: ROLLBACK, then the whole transaction again from BEGIN on the same session`, async (t) => {
    noJitter(t);
    const s = new FakeSession([{ kind: at, nth: 1, error }]);
    const r = await commitBatch(s, THREE, SETTINGS);
    const first = RUN_OF_THREE.slice(0, RUN_OF_THREE.indexOf(at) + 1);
    assert.deepEqual(s.statements, [...first, 'ROLLBACK', ...RUN_OF_THREE]);
    assert.equal(r.attempts, 2);
    assert.deepEqual(r.outcomes.map((o) => o.ok && o.result.stored), [true, true, true], 'the second run decides afresh');
    assert.equal(r.inserted.length, 3, 'not doubled by the first run');
  });
}

test('a newer frame stored by another writer (INSERT affects fewer rows): WriteConflict, run again', async (t) => {
  noJitter(t);
  let inserts = 0;
  const s = new FakeSession([], (kind) => (kind === 'INSERT OBJECTS' && ++inserts === 1 ? { rows: [], rowCount: 2 } : undefined));
  const r = await commitBatch(s, THREE, SETTINGS);
  assert.deepEqual(s.statements, [...RUN_OF_THREE.slice(0, 4), 'ROLLBACK', ...RUN_OF_THREE]);
  assert.equal(r.attempts, 2);
});

test('conflicts every time: 30 runs by default (30 BEGINs, 30 ROLLBACKs), then the last conflict error itself', async (t) => {
  noJitter(t);
  const errors: Error[] = [];
  const s = new FakeSession([{ kind: 'COMMIT', error: () => (errors.push(serialization()), errors.at(-1)!) }]);
  await assert.rejects(commitBatch(s, THREE, SETTINGS), (err) => err === errors[29]);
  assert.equal(errors.length, 30);
  assert.equal(s.statements.filter((k) => k === 'BEGIN').length, 30);
  assert.equal(s.statements.filter((k) => k === 'ROLLBACK').length, 30);
  assert.equal(s.statements.at(-1), 'ROLLBACK');
});

test('maxAttempts bounds the runs: 3 → three runs; 1 → no retry', async (t) => {
  noJitter(t);
  const s3 = new FakeSession([{ kind: 'NEIGHBOURHOOD', error: deadlock }]);
  await assert.rejects(commitBatch(s3, THREE, SETTINGS, 3), (err) => (err as { code?: string }).code === '40P01');
  assert.deepEqual(s3.statements, ['BEGIN', 'NEIGHBOURHOOD', 'ROLLBACK', 'BEGIN', 'NEIGHBOURHOOD', 'ROLLBACK', 'BEGIN', 'NEIGHBOURHOOD', 'ROLLBACK']);
  const s1 = new FakeSession([{ kind: 'NEIGHBOURHOOD', error: deadlock }]);
  await assert.rejects(commitBatch(s1, THREE, SETTINGS, 1));
  assert.deepEqual(s1.statements, ['BEGIN', 'NEIGHBOURHOOD', 'ROLLBACK']);
});

test('the retry back-off stays small: below 2·attempt ms, capped at 50 ms', async (t) => {
  const delays: number[] = [];
  const real = globalThis.setTimeout;
  t.mock.method(globalThis, 'setTimeout', ((fn: () => void, ms?: number) => (delays.push(ms ?? 0), real(fn, 0))) as typeof setTimeout);
  t.mock.method(Math, 'random', () => 0.999);
  const s = new FakeSession([{ kind: 'COMMIT', error: serialization }]);
  await assert.rejects(commitBatch(s, [], SETTINGS, 30));
  assert.equal(delays.length, 29, 'no sleep after the last run');
  delays.forEach((d, i) => assert.ok(d < Math.min(50, 2 * (i + 1)) && d >= Math.min(50, 2 * (i + 1)) * 0.99, `sleep ${i + 1}: ${d}`));
});

test('a conflict whose ROLLBACK fails is not run again on that session: the conflict is thrown, the session marked unusable', async (t) => {
  noJitter(t);
  const s = new FakeSession([
    { kind: 'COMMIT', nth: 1, error: serialization },
    { kind: 'ROLLBACK', nth: 1, error: terminated, breaks: true },
  ]);
  const err = await commitBatch(s, THREE, SETTINGS).then(
    () => assert.fail('the conflict is thrown'),
    (e: unknown) => e,
  );
  assert.equal((err as { code?: string }).code, '40001');
  assert.deepEqual(s.statements, [...RUN_OF_THREE, 'ROLLBACK']);
  assert.ok(leavesSessionUnusable(err));
});

// ---- writes.ts

test('applyWrites: deletions before insertions, then usage (gone identities deleted, the others upserted)', async () => {
  const s = new FakeSession();
  const e = entryOf(aliceGidc.obj);
  await applyWrites(s, {
    deletes: ['a', 'b'],
    inserts: [{ entry: e, raw: aliceGidc.raw }],
    usage: new Map([
      ['gone', { bytes: 0, objects: 0 }],
      ['kept', { bytes: 10, objects: 2 }],
    ]),
  });
  assert.deepEqual(s.statements, ['DELETE OBJECTS', 'INSERT OBJECTS', 'DELETE USAGE', 'UPSERT USAGE']);
  assert.deepEqual(s.texts[0]!.values, [['a', 'b']]);
  assert.deepEqual(s.texts[1]!.values![7], [packEntry(e)]);
  assert.deepEqual(s.texts[2]!.values, [['gone']]);
  assert.deepEqual(s.texts[3]!.values, [['kept'], [10], [2]]);
});

test('applyWrites: nothing to write sends nothing; a delete or insert that misses rows throws WriteConflict', async () => {
  const none = new FakeSession();
  await applyWrites(none, { deletes: [], inserts: [], usage: new Map() });
  assert.deepEqual(none.statements, []);

  const del = new FakeSession([], (kind) => (kind === 'DELETE OBJECTS' ? { rows: [], rowCount: 1 } : undefined));
  await assert.rejects(applyWrites(del, { deletes: ['a', 'b'], inserts: [], usage: new Map() }), (err) => err instanceof WriteConflict && /1 object/.test(err.message));

  const ins = new FakeSession([], (kind) => (kind === 'INSERT OBJECTS' ? { rows: [], rowCount: null } : undefined));
  await assert.rejects(applyWrites(ins, { deletes: [], inserts: [{ entry: entryOf(aliceGidc.obj), raw: aliceGidc.raw }], usage: new Map() }), WriteConflict);
  assert.deepEqual(ins.statements, ['INSERT OBJECTS'], 'usage is not written after a conflict');
});

test('readUsage: no query for no identities; bigint strings become numbers', async () => {
  const none = new FakeSession();
  assert.equal((await readUsage(none, [])).size, 0);
  assert.deepEqual(none.statements, []);
  const s = new FakeSession([], () => ({ rows: [{ identity: 'x', bytes: '12345678901', objects: '3' }], rowCount: 1 }));
  assert.deepEqual([...(await readUsage(s, ['x', 'y']))], [['x', { bytes: 12345678901, objects: 3 }]]);
});

// ---- the engine around it: release() and what the publisher gets

class FakePool implements SqlPool {
  readonly sessions: FakeSession[] = [];
  /** What the pool's own queries (outside a session) answer; nothing found by default. */
  answer: (text: string, values?: readonly unknown[]) => SqlResult<unknown> = () => ({ rows: [], rowCount: 0 });
  constructor(private readonly next: (n: number) => FakeSession) {}
  async connect(): Promise<SqlSession> {
    const s = this.next(this.sessions.length + 1);
    this.sessions.push(s);
    return s;
  }
  async query<R>(text: string, values?: readonly unknown[]): Promise<SqlResult<R>> {
    return this.answer(text, values) as SqlResult<R>;
  }
  async end(): Promise<void> {}
  on(): unknown {
    return this;
  }
}

/** A PostgresEngine on the fake pool, without open() (which needs a real database). */
function engineOn(t: TestContext, pool: FakePool): PostgresEngine {
  const Ctor = PostgresEngine as unknown as new (pool: SqlPool, o: PostgresEngineOptions) => PostgresEngine;
  const engine = new Ctor(pool, { url: 'postgres://db.invalid/hypergolix' });
  Object.assign(engine, {
    channel: { close: async () => {} },
    stats_: { applied: () => {}, stop: () => {}, counts: () => ({ objects: 0, byType: {} }), usage: () => null },
  });
  t.after(() => engine.close());
  return engine;
}

test('engine: a committed batch releases its session with no error', async (t) => {
  const pool = new FakePool(() => new FakeSession());
  const engine = engineOn(t, pool);
  const r = await engine.ingest(aliceGidc.raw);
  assert.equal(r.stored, true);
  assert.equal(pool.sessions.length, 1);
  assert.deepEqual(pool.sessions[0]!.releases, [undefined]);
});

test('engine: conflicts to the end → session kept (release(false)), the publisher gets RemoteNak busy', async (t) => {
  noJitter(t);
  const pool = new FakePool(() => new FakeSession([{ kind: 'COMMIT', error: serialization }]));
  const engine = engineOn(t, pool);
  await assert.rejects(engine.ingest(aliceGidc.raw), (err) => err instanceof RemoteNak && err.reason === 'busy' && err.retryAfterMs === 100);
  assert.deepEqual(pool.sessions[0]!.releases, [false]);
  assert.equal(pool.sessions[0]!.statements.filter((k) => k === 'BEGIN').length, 30);
  assert.equal(engine.storage().kind, 'ok');
});

for (const [name, error] of [
  ['connection lost (no SQLSTATE)', terminated],
  ['admin shutdown (57P01)', adminShutdown],
  ['connection refused', refused],
] as const) {
  test(`engine: ${name} mid-transaction → session discarded (release(true)), StorageFull storage_failed, no retry`, async (t) => {
    const pool = new FakePool(() => new FakeSession([{ kind: 'NEIGHBOURHOOD', error, breaks: true }]));
    const engine = engineOn(t, pool);
    await assert.rejects(engine.ingest(aliceGidc.raw), (err) => err instanceof StorageFull && err.reason === 'storage_failed' && err.retryAfterMs === 1000);
    assert.deepEqual(pool.sessions[0]!.releases, [true]);
    assert.equal(pool.sessions[0]!.statements.filter((k) => k === 'BEGIN').length, 1);
    assert.equal(engine.storage().kind, 'failed');
  });
}

test('engine: a non-HypergolixError fault → session kept (release(false)), HypergolixError "The store failed"', async (t) => {
  const pool = new FakePool(() => new FakeSession([{ kind: 'NEIGHBOURHOOD', error: () => pgError('42P01', 'relation "objects" does not exist') }]));
  const engine = engineOn(t, pool);
  await assert.rejects(engine.ingest(aliceGidc.raw), (err) => err instanceof HypergolixError && /The store failed: relation "objects"/.test(err.message));
  assert.deepEqual(pool.sessions[0]!.releases, [false]);
});

// pg-pool discards a client that is no longer queryable whatever release() says; this is the
// case of a live connection whose ROLLBACK failed, left inside its aborted transaction.
test('engine: a fault whose ROLLBACK failed too → the session must not go back to the pool (it may still be in the transaction)', async (t) => {
  const pool = new FakePool(() => new FakeSession([
    { kind: 'INSERT OBJECTS', error: () => pgError('22P02', 'invalid input syntax') },
    { kind: 'ROLLBACK', error: () => pgError('57014', 'canceling statement due to statement timeout') },
  ]));
  const engine = engineOn(t, pool);
  await assert.rejects(engine.ingest(aliceGidc.raw), HypergolixError);
  const released = pool.sessions[0]!.releases;
  assert.equal(released.length, 1);
  assert.notEqual(released[0], false, 'release(false) returns a session whose ROLLBACK failed to the pool');
});

test("engine: COMMIT's connection lost after the database committed → answered as stored, with what it announces", async (t) => {
  // The database applied the COMMIT; its answer was lost with the connection. The engine looks
  // again and finds the batch's first object stored.
  const pool = new FakePool(() => new FakeSession([{ kind: 'COMMIT', error: terminated, breaks: true, applied: true }]));
  const asked: unknown[] = [];
  pool.answer = (text, values) => {
    asked.push(values?.[0]);
    assert.match(text, /FROM objects WHERE ghid = \$1/);
    return { rows: [{ n: pool.sessions[0]!.applied.includes('COMMIT') ? '1' : '0' }], rowCount: 1 };
  };
  const engine = engineOn(t, pool);
  const r = await engine.ingest(aliceGidc.raw);
  assert.equal(r.stored, true);
  assert.deepEqual(asked, [aliceGidc.obj.ghid.text]);
  assert.deepEqual(pool.sessions[0]!.releases, [true], 'the broken session is discarded');
  assert.equal(engine.storage().kind, 'ok');
});

test("engine: COMMIT's connection lost and the batch not committed, or the database out of reach → refused, to be sent again", async (t) => {
  for (const [what, answer] of [
    ['not committed', () => ({ rows: [{ n: '0' }], rowCount: 1 })],
    [
      'out of reach',
      () => {
        throw terminated;
      },
    ],
  ] as const) {
    const pool = new FakePool(() => new FakeSession([{ kind: 'COMMIT', error: terminated, breaks: true }]));
    pool.answer = answer;
    const engine = engineOn(t, pool);
    await assert.rejects(engine.ingest(aliceGidc.raw), (e) => e instanceof StorageFull, what);
    assert.deepEqual(pool.sessions[0]!.releases, [true], what);
  }
});

test('engine: a publish sent again as soon as its refusal arrives is taken, not left waiting for another publish', async (t) => {
  // The pump has left its loop but not yet said so: a publish queued in that moment must still run.
  const pool = new FakePool((n) => (n === 1 ? new FakeSession([{ kind: 'BEGIN', error: () => pgError('22P02', 'invalid input') }]) : new FakeSession()));
  const engine = engineOn(t, pool);
  for (let hops = 0; hops < 6; hops++) {
    const again = engine.ingest(aliceGidc.raw).then(
      () => assert.fail('the first publish is refused'),
      async () => {
        for (let i = 0; i < hops; i++) await null;
        return engine.ingest(aliceGidc.raw);
      },
    );
    const r = await Promise.race([again, new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), 2000).unref())]);
    assert.notEqual(r, 'stuck', `sent again after ${hops} microtask(s): left waiting`);
    pool.sessions.length = 0;
  }
});
