// The cluster's registration challenges (PgChallengeBook) on a real throwaway PostgreSQL:
// sealed under the key the nodes share, many nodes racing for one challenge, malformed ones
// never reaching the database, issuing writing nothing, spent rows swept once expired, and the
// database restarting meanwhile (including in the middle of a registration).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PgChallengeBook } from '../../../src/core/postgres/challenges.js';
import { openPool } from '../../../src/core/postgres/connect.js';
import { PgRegistry } from '../../../src/core/postgres/registry.js';
import { mintChallenge, newChallengeKey } from '../../../src/core/registration/challenges.js';
import { POSTGRES_SKIP, startPostgres, type TestPostgres } from '../../fixtures/postgres.js';
import { until } from '../../fixtures/wait.js';
import { GIDCS, NAME, aChallenge, alice, deps, linkQuery, serveEndpoints, type After } from '../registration/challenge-helpers.js';

describe('PgChallengeBook (a cluster, on PostgreSQL)', { skip: POSTGRES_SKIP }, () => {
  let cluster: TestPostgres | null = null;
  const database = (): Promise<string> => (cluster ??= startPostgres()).database();

  /** A node's pool, its idle connections' errors (a restart) left to the pool. */
  async function nodePool(t: After, url: string) {
    const pool = await openPool({ url, poolSize: 2, connectTimeoutMs: 2000 });
    pool.on('error', () => {});
    t.after(() => pool.end().catch(() => {}));
    return pool;
  }

  test('many nodes racing for the same challenges: each is taken exactly once', async (t) => {
    const url = await database();
    const registry = await PgRegistry.open({ url, refreshMs: 0 });
    t.after(() => registry.close());
    const nodes = [registry.challengeBook()];
    for (let i = 0; i < 3; i++) nodes.push(new PgChallengeBook(await nodePool(t, url)));
    for (let round = 0; round < 10; round++) {
      const { challenge } = await nodes[round % nodes.length]!.issue(NAME);
      const raced = await Promise.all(nodes.flatMap((n) => [n.take(challenge), n.isLive(challenge).then(() => false), n.take(challenge)]));
      assert.equal(raced.filter(Boolean).length, 1, `round ${round}: ${JSON.stringify(raced)}`);
      for (const n of nodes) assert.equal(await n.isLive(challenge), false);
    }
  });

  test('malformed challenges never reach the database; issuing writes nothing; spent rows are swept once expired', async (t) => {
    const url = await database();
    const pool = await nodePool(t, url);
    const registry = await PgRegistry.open({ url, refreshMs: 0 });
    t.after(() => registry.close());
    const book = registry.challengeBook();
    const count = async (table: string) => Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
    // Before any node issued one there is no key, and looking does not make one.
    assert.equal(await book.isLive(aChallenge()), false);
    assert.equal(await count('registration_key'), 0);
    for (const m of ['', 'x', 'A'.repeat(43), 'A'.repeat(44), `${'A'.repeat(42)}+`, 'é'.repeat(43), 'A'.repeat(100_000)]) {
      assert.equal(await book.isLive(m), false);
      assert.equal(await book.take(m), false);
    }
    // A book whose challenges are born expired (no waiting on a clock).
    const dead = new PgChallengeBook(pool, -1_000);
    const expired = (await dead.issue(NAME)).challenge;
    assert.equal(await count('registration_key'), 1, 'the first issue made the key');
    assert.equal(await count('registration_spent'), 0, 'issuing writes nothing');
    assert.equal(await book.isLive(expired), false);
    assert.equal(await book.take(expired), false, 'expired');
    assert.equal(await count('registration_spent'), 0, 'an expired challenge is never remembered');
    assert.equal(await book.take(mintChallenge(newChallengeKey(), NAME, Date.now() + 60_000)), false, 'sealed under another key');
    // Spent ones are remembered until they expire, and swept by a later spend.
    const brief = new PgChallengeBook(pool, 300);
    const soon = (await brief.issue(NAME)).challenge;
    assert.equal(await brief.take(soon), true);
    assert.equal(await count('registration_spent'), 1);
    await new Promise((r) => setTimeout(r, 400));
    const live = (await book.issue(NAME)).challenge;
    assert.equal(await book.take(live), true);
    assert.equal(await count('registration_spent'), 1, 'the expired row was swept');
    assert.equal(book.spent, 1);
    assert.equal(await book.take(live), false, 'replayed');
    await book.release(live);
    assert.equal(await book.take(live), true, 'given back by the request that took it, then taken again');
    assert.equal(await count('registration_key'), 1);
  });

  test('the database restarting: calls meanwhile reject (no false "yes", no hang); a challenge issued before is good once after', async (t) => {
    const url = await database();
    await (await PgRegistry.open({ url, refreshMs: 0 })).close(); // the schema
    const a = new PgChallengeBook(await nodePool(t, url));
    const b = new PgChallengeBook(await nodePool(t, url));
    const { challenge } = await a.issue(NAME);
    cluster!.stop();
    try {
      await assert.rejects(b.isLive(challenge));
      await assert.rejects(b.take(challenge));
      await assert.rejects(a.issue(NAME));
    } finally {
      cluster!.start();
    }
    await until(async () => a.isLive(challenge).catch(() => null), 'the challenge readable again', 30_000, 100);
    const raced = await Promise.all([a.take(challenge), b.take(challenge)]);
    assert.equal(raced.filter(Boolean).length, 1, JSON.stringify(raced));
  });

  // DEFECT: http.ts:76-82: when the database goes away after the accounts were read (between
  // checking the link and taking its challenge), the error falls to the generic catch and the
  // person's browser gets a JSON 500 ("Connection terminated…") instead of the 503 page
  // "Try again shortly" it gets when the database is down from the start. (Nothing is spent:
  // the same link works once the database is back.)
  test('the database going away in the middle of a registration: the browser gets the 503 page, and the link works once it is back', async (t) => {
    const url = await database();
    const registry = await PgRegistry.open({ url, refreshMs: 0, connectTimeoutMs: 2000 });
    t.after(() => registry.close());
    const book = registry.challengeBook();
    let stopOnce = true;
    const identityOf = async (fp: { text: string }): Promise<Buffer | null> => {
      if (stopOnce) {
        stopOnce = false;
        cluster!.stop(); // after the link was found live, before its challenge is taken
      }
      return GIDCS.get(fp.text) ?? null;
    };
    const { base } = await serveEndpoints(t, deps(registry, book, 'open', identityOf));
    const link = await linkQuery(alice, (await book.issue(NAME)).challenge);
    let first: { status: number; type: string; text: string };
    try {
      const res = await fetch(`${base}/register?${link}`);
      first = { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
    } finally {
      cluster!.start();
    }
    await until(async () => registry.refresh().then(() => true, () => null), 'the accounts readable again', 30_000, 100);
    const again = await fetch(`${base}/register?${link}`);
    await again.text();
    assert.equal(again.status, 200, 'the link was not spent by the failed attempt');
    assert.equal(registry.get(alice.ghid.text)?.status, 'registered');
    assert.equal(first.status, 503, `${first.status} ${first.type}: ${first.text.slice(0, 160)}`);
    assert.match(first.type, /text\/html/);
    assert.match(first.text, /Try again shortly/);
  });
});
