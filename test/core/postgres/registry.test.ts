// A server's accounts on PostgreSQL (`PgRegistry`, `PgChallengeBook`) as the nodes of a cluster
// use them, against a real throwaway cluster: what one node or the operator records holds on
// every node; the last use of an invite raced on two nodes goes to one; a challenge issued by one
// node is taken once on another; and the free tier is decided per batch on what the database
// knows, so an approval made elsewhere lifts it at the very next upload; while the database
// restarts, registration says so (503) and decides nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistrationRequired, type HypergolixError } from '../../../src/core/golix/index.js';
import { PostgresEngine } from '../../../src/core/postgres/engine.js';
import { PgChallengeBook } from '../../../src/core/postgres/challenges.js';
import { PgRegistry } from '../../../src/core/postgres/registry.js';
import { openPool } from '../../../src/core/postgres/connect.js';
import { FreeTierPolicy } from '../../../src/core/registration/quota.js';
import { POSTGRES_SKIP, startPostgres, type TestPostgres } from '../../fixtures/postgres.js';
import { signedPairs } from '../../fixtures/server/objects.js';
import { v16Identity, v16Objects } from '../../fixtures/vectors.js';
import { startServer } from '../../../src/core/assembly/server.js';
import { serverHome } from '../../fixtures/server/helpers.js';
import { until } from '../../fixtures/wait.js';

const skip = POSTGRES_SKIP;
let cluster: TestPostgres | null = null;
async function database(): Promise<string> {
  cluster ??= startPostgres();
  return cluster.database();
}

type Opened = { close(): Promise<void> };
function closing<T extends Opened>(t: { after(fn: () => Promise<void>): void }, x: T): T {
  t.after(() => x.close());
  return x;
}

const alice = v16Identity(0);
const bob = v16Identity(1);

test('what one node records, every node reads: register, request, revoke, invites', { skip }, async (t) => {
  const url = await database();
  const a = closing(t, await PgRegistry.open({ url, refreshMs: 0 }));
  const b = closing(t, await PgRegistry.open({ url, refreshMs: 0 }));
  await a.request(alice.ghid.text);
  await b.register(bob.ghid.text, 'operator');
  await a.refresh();
  await b.refresh();
  for (const r of [a, b]) {
    assert.equal(r.get(alice.ghid.text)?.status, 'pending');
    assert.deepEqual({ ...r.get(bob.ghid.text), since: 0 }, { fingerprint: bob.ghid.text, status: 'registered', via: 'operator', since: 0 });
    assert.deepEqual(r.counts(), { registered: 1, pending: 1, revoked: 0 });
  }
  await a.revoke(bob.ghid.text);
  await b.refresh();
  assert.equal(b.get(bob.ghid.text)?.status, 'revoked');
  assert.deepEqual(
    b.list().map((x) => x.fingerprint),
    [alice.ghid.text, bob.ghid.text],
  );

  // A third process (the operator's CLI) opening later reads the whole history.
  const c = closing(t, await PgRegistry.open({ url, refreshMs: 0 }));
  assert.deepEqual(c.counts(), { registered: 0, pending: 1, revoked: 1 });
});

test('the last use of an invite, raced on two nodes, goes to exactly one; expired and unknown codes are refused', { skip }, async (t) => {
  const url = await database();
  let now = 1_000_000;
  const a = closing(t, await PgRegistry.open({ url, refreshMs: 0, now: () => now }));
  const b = closing(t, await PgRegistry.open({ url, refreshMs: 0, now: () => now }));
  for (let round = 0; round < 5; round++) {
    const code = await a.createInvite(1, null);
    const won = await Promise.all([a.useInvite(code, alice.ghid.text), b.useInvite(code, bob.ghid.text), b.useInvite(code, bob.ghid.text)]);
    assert.equal(won.filter(Boolean).length, 1, `round ${round}: ${JSON.stringify(won)}`);
  }
  const twice = await b.createInvite(2, now + 60_000);
  assert.equal(await a.useInvite(twice, alice.ghid.text), true, 'an invite made on the other node');
  now += 61_000;
  assert.equal(await a.useInvite(twice, bob.ghid.text), false, 'expired');
  assert.equal(await a.useInvite('not-a-code', bob.ghid.text), false, 'unknown');
});

test('a challenge issued by one node is taken once on another; forged, replayed and expired ones are not', { skip }, async (t) => {
  const url = await database();
  const registry = closing(t, await PgRegistry.open({ url, refreshMs: 0 }));
  const poolB = await openPool({ url });
  t.after(() => poolB.end());
  const nodeA = registry.challengeBook();
  const nodeB = new PgChallengeBook(poolB);
  const { challenge } = await nodeA.issue('hgx.example.org');
  assert.equal(nodeA.issued, 1);
  assert.equal(await nodeB.isLive(challenge), true, 'sealed under the key the nodes share');
  const raced = await Promise.all([nodeA.take(challenge), nodeB.take(challenge)]);
  assert.equal(raced.filter(Boolean).length, 1, 'used once');
  assert.equal(await nodeB.isLive(challenge), false);
  assert.equal(await nodeB.take('A'.repeat(43)), false, 'never issued');
  assert.equal(await nodeB.take("'; DROP TABLE registration_challenges; --"), false, 'not a challenge at all');

  const shortLived = new PgChallengeBook(poolB, 1);
  const old = await shortLived.issue('hgx.example.org');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(await nodeA.take(old.challenge), false, 'expired');

  // A flood keeps nothing: issuing writes no row, and every challenge issued stays good.
  const rows = async () => Number((await poolB.query<{ n: string }>('SELECT (SELECT count(*) FROM registration_spent) + (SELECT count(*) FROM registration_challenges) AS n')).rows[0]!.n);
  const before = await rows();
  const issued = [];
  for (let i = 0; i < 50; i++) issued.push((await nodeB.issue('hgx.example.org')).challenge);
  assert.equal(await rows(), before, 'no row per challenge issued');
  assert.equal(await nodeA.take(issued[0]!), true, 'the first of the flood is still good');
  assert.equal(nodeA.spent, 2, 'spent and remembered until they expire: the raced one and this one');
});

test('the free tier on PostgreSQL: refused past it, and an approval on another node counts at the next upload', { skip }, async (t) => {
  const url = await database();
  const operator = closing(t, await PgRegistry.open({ url, refreshMs: 0 }));
  // The node's own registry is never refreshed by a timer here: only its per-batch catch-up can
  // tell it about the operator's approval.
  const node = closing(t, await PgRegistry.open({ url, refreshMs: 0 }));
  const policy = new FreeTierPolicy(node, { freeBytes: 0, registeredBytes: null, registeredObjects: null });
  const { engine } = await PostgresEngine.open({ url, quota: { policy }, beforeBatch: (c) => node.catchUp(c) });
  t.after(() => engine.close());
  for (const g of v16Objects().filter((o) => o.obj.type === 'GIDC')) await engine.ingest(g.raw);
  const [first, second, third] = await signedPairs(alice, 3);
  const refused = await engine.ingest(first!.binding).then(
    () => null,
    (err: unknown) => err as HypergolixError,
  );
  assert.ok(refused instanceof RegistrationRequired, String(refused));
  assert.equal((await engine.usageOf(alice.ghid.text)).bytes, 0);

  await operator.register(alice.ghid.text, 'operator');
  assert.equal(node.get(alice.ghid.text), null, 'the node has not looked yet');
  for (const raw of [first!.binding, first!.container, second!.binding, second!.container]) assert.equal((await engine.ingest(raw)).stored, true);
  assert.equal(node.get(alice.ghid.text)?.status, 'registered');
  assert.ok((await engine.usageOf(alice.ghid.text)).bytes > 0, 'usage is counted for the registration status page');

  await operator.revoke(alice.ghid.text);
  assert.ok((await engine.ingest(third!.binding).catch((e: unknown) => e)) instanceof RegistrationRequired, 'revoked: the free tier again');
});

test('a database that cannot be reached is named in a clear error', { skip }, async () => {
  await assert.rejects(PgRegistry.open({ url: 'postgres://nobody@127.0.0.1:1/none', connectTimeoutMs: 500 }), (err: Error) => {
    assert.match(err.message, /Cannot read the accounts in the database postgres:\/\/nobody@127\.0\.0\.1:1\/none: .*ECONNREFUSED/);
    return true;
  });
});

test('the database restarting: registration answers 503 (a page for the browser, JSON for clients) and decides nothing; then works again', { skip }, async (t) => {
  const url = await database();
  const home = await serverHome({ store: 'postgres', postgres: JSON.stringify(url), registration: 'open' });
  const running = await startServer({ ...home.config, server: { ...home.config.server, port: 0 } });
  t.after(() => running.close());
  const base = `http://127.0.0.1:${running.address.port}`;
  assert.equal((await fetch(`${base}/register/status?fingerprint=${alice.ghid.text}`)).status, 200);

  cluster!.stop();
  try {
    const status = await fetch(`${base}/register/status?fingerprint=${alice.ghid.text}`);
    assert.equal(status.status, 503);
    const body = (await status.json()) as { status: string; message: string };
    assert.equal(body.status, 'unavailable');
    assert.match(body.message, /accounts cannot be read or written right now.*try again/);
    const page = await fetch(`${base}/register?fingerprint=${alice.ghid.text}&challenge=${'A'.repeat(43)}&signature=x`);
    assert.equal(page.status, 503);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /Try again shortly/);
  } finally {
    cluster!.start();
  }
  const back = await until(async () => ((await fetch(`${base}/register/status?fingerprint=${alice.ghid.text}`)).status === 200 ? true : null), 'registration answering again', 30_000, 200);
  assert.equal(back, true);
});
