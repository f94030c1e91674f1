// Issue #15, tests: three persistence server processes (`hypergolix start server --foreground`)
// on one throwaway PostgreSQL, as an operator runs them behind a load balancer: a publish on one
// node reaches a subscriber of another; the same counter raced on two nodes has exactly one
// winner; a node SIGKILLed under load loses no acknowledged object; PostgreSQL stopped and
// started again: the nodes refuse with a clear code meanwhile and recover by themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CommsError, Ghid, HypergolixError, RegistrationRequired, Secret, makeContainer, makeFrame, parseObject } from '../../src/core/golix/index.js';
import { frameOf } from '../../src/core/golix/builders.js';
import { RemoteClient } from '../../src/core/remote/client.js';
import { POSTGRES_SKIP, startPostgres, type TestPostgres } from '../fixtures/postgres.js';
import { signedPairs } from '../fixtures/server/objects.js';
import { runCli, serverHome, startForeground, until, type ForegroundServer, type ServerHome, type TestContext } from '../fixtures/server/helpers.js';
import { registrationLink, remoteAccount } from '../../src/core/registration/client.js';
import { v16Identity, v16Objects } from '../fixtures/vectors.js';

const v16 = v16Objects();
const alice = v16Identity(0);
const bob = v16Identity(1);
const gidcOf = (g: Ghid) => v16.find((o) => o.obj.type === 'GIDC' && o.obj.ghid.equals(g))!.raw;
const garq = v16.find((o) => o.obj.type === 'GARQ' && o.entry.recipient === bob.ghid.text)!;
const skip = POSTGRES_SKIP;

let cluster: TestPostgres | null = null;

interface Node {
  port: number;
  home: ServerHome;
  server: ForegroundServer;
}

/** `n` server processes on one fresh database. */
async function nodes(t: TestContext, n: number, keys: Record<string, string | number> = {}): Promise<Node[]> {
  cluster ??= startPostgres();
  const url = JSON.stringify(await cluster.database());
  const out: Node[] = [];
  for (let i = 0; i < n; i++) {
    const home = await serverHome({ store: 'postgres', postgres: url, ...keys });
    out.push({ port: home.port, home, server: startForeground(home, t) });
  }
  await Promise.all(out.map((node) => node.server.ready(60_000)));
  return out;
}

type Pushes = { subscribed: string; raw: Buffer }[];

async function client(t: TestContext, node: Node, subscriptions: Ghid[] = []): Promise<{ c: RemoteClient; pushes: Pushes }> {
  const c = new RemoteClient({ host: '127.0.0.1', port: node.port, backoff: { initialMs: 20, maxMs: 200 } });
  const pushes: Pushes = [];
  c.on('notification', (subscribed, raw) => void pushes.push({ subscribed: subscribed.text, raw }));
  // As a daemon does: subscribe again on every (re)connection.
  c.on('connected', () => void Promise.all(subscriptions.map((g) => c.subscribe(g))).catch(() => {}));
  t.after(() => c.close());
  c.start();
  await c.whenConnected(10_000);
  await until(async () => (await c.listSubscriptions()).length === subscriptions.length, 'the subscriptions');
  return { c, pushes };
}

test('a publish on one node is pushed (!!) to subscribers of the two others', { skip }, async (t) => {
  const [n1, n2, n3] = await nodes(t, 3);
  const container = await makeContainer(alice, Secret.random(), Buffer.from('cross-node'));
  const frame = await makeFrame(alice, container.ghid);
  const onTwo = await client(t, n2!, [frame.dynamic]);
  const onThree = await client(t, n3!, [bob.ghid]);
  const pub = await client(t, n1!);
  for (const g of [alice.ghid, bob.ghid]) await pub.c.publish(gidcOf(g));
  assert.equal(await pub.c.publish(frame.raw), true);
  assert.equal(await pub.c.publish(container.raw), true);
  assert.equal(await pub.c.publish(garq.raw), true);
  await until(() => onTwo.pushes.length > 0, 'the frame pushed by node 2');
  assert.deepEqual(onTwo.pushes, [{ subscribed: frame.dynamic.text, raw: frame.raw }]);
  await until(() => onThree.pushes.length > 0, 'the request pushed by node 3');
  assert.deepEqual(onThree.pushes, [{ subscribed: bob.ghid.text, raw: garq.raw }]);
  assert.deepEqual(await onThree.c.get(frame.dynamic), frame.raw, 'and read back from a third node');
});

test('the same counter raced on two nodes: exactly one wins (AK 01), the other gets NK 0009', { skip }, async (t) => {
  const [n1, n2] = await nodes(t, 2);
  const [a, b] = [await client(t, n1!), await client(t, n2!)];
  await a.c.publish(gidcOf(alice.ghid));
  let current = await makeFrame(alice, Ghid.fromDigest(randomBytes(64)));
  await a.c.publish(current.raw);
  for (let round = 0; round < 8; round++) {
    const [fa, fb] = await Promise.all([0, 1].map(() => makeFrame(alice, Ghid.fromDigest(randomBytes(64)), frameOf(current))));
    const results = await Promise.allSettled([a.c.publish(fa!.raw), b.c.publish(fb!.raw)]);
    const codes = results.map((r) => (r.status === 'fulfilled' ? (r.value ? 'AK' : 'AK 00') : r.reason instanceof HypergolixError ? r.reason.code : String(r.reason)));
    assert.deepEqual([...codes].sort(), [0x0009, 'AK'].sort(), `round ${round}: ${codes.join(', ')}`);
    current = results[0]!.status === 'fulfilled' ? fa! : fb!;
    assert.deepEqual(await b.c.get(current.dynamic), current.raw);
  }
});

test('a node SIGKILLed under load loses no acknowledged object', { skip }, async (t) => {
  const [n1, n2] = await nodes(t, 2);
  const pairs = await signedPairs(alice, 120, { concurrency: 4 });
  const pub = await client(t, n1!);
  await pub.c.publish(gidcOf(alice.ghid));
  const acked: Buffer[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pairs.length) {
      const p = pairs[next++]!;
      try {
        if (await pub.c.publish(p.binding)) acked.push(p.binding);
        if (await pub.c.publish(p.container)) acked.push(p.container);
      } catch {
        return; // the node is gone
      }
    }
  };
  const load = Promise.all(Array.from({ length: 8 }, worker));
  await until(() => acked.length >= 60, 'sixty acknowledged publishes', 60_000);
  n1!.server.child.kill('SIGKILL');
  await load;
  await n1!.server.exited;
  const reader = await client(t, n2!);
  const ghids = acked.map((raw) => parseObject(raw).ghid);
  const missing: string[] = [];
  for (const g of ghids) if (!(await reader.c.exists(g))) missing.push(g.short);
  assert.ok(acked.length >= 60);
  assert.deepEqual(missing, [], `acknowledged by the killed node but not stored (${acked.length} acknowledged)`);
});

test('PostgreSQL stopped: nodes refuse publishes with NK 0010 storage_failed, close their clients, and recover by themselves', { skip }, async (t) => {
  const [n1, n2] = await nodes(t, 2);
  const container = await makeContainer(alice, Secret.random(), Buffer.from('before'));
  const frame = await makeFrame(alice, container.ghid);
  const sub = await client(t, n2!, [frame.dynamic]);
  let reconnects = 0;
  sub.c.on('connected', () => reconnects++);
  const pub = await client(t, n1!);
  await pub.c.publish(gidcOf(alice.ghid));
  await pub.c.publish(frame.raw);
  await pub.c.publish(container.raw);
  await until(() => sub.pushes.length === 1, 'the first push');

  cluster!.stop();
  let refusal: unknown;
  try {
    const c1 = await makeContainer(alice, Secret.random(), Buffer.from('during'));
    const during = (await makeFrame(alice, c1.ghid, frameOf(frame))).raw;
    // Node 1 loses its push channel too and closes its clients: a publish that meets that close
    // is a CommsError, not the node's verdict; reconnect and ask again (bounded).
    for (let attempt = 0; attempt < 20; attempt++) {
      refusal = await pub.c.publish(during).then(
        (v) => v,
        (err: unknown) => err,
      );
      if (!(refusal instanceof CommsError)) break;
      await pub.c.whenConnected(5000).catch(() => {});
    }
  } finally {
    cluster!.start();
  }
  assert.ok(refusal instanceof HypergolixError && refusal.code === 0x0010, String(refusal));
  assert.equal(refusal.reason, 'storage_failed');
  assert.ok((refusal.retryAfterMs ?? 0) > 0);

  // Node 2 lost its push channel: it closed its clients, which came back and resubscribed. What
  // is committed before it listens again reaches them only by catching up; what is committed
  // after, by push.
  await until(() => reconnects > 0, 'the subscriber reconnecting', 30_000);
  await until(() => /push channel listening again/.test(n2!.server.output()), 'node 2 listening again', 30_000);
  await until(async () => (await sub.c.listSubscriptions().catch(() => [])).length === 1, 'the subscriber subscribed again', 30_000);
  const c2 = await makeContainer(alice, Secret.random(), Buffer.from('after'));
  const f2 = await makeFrame(alice, c2.ghid, frameOf(frame));
  await until(async () => (await pub.c.publish(f2.raw).then(() => true, () => false)), 'a publish accepted again', 30_000, 250);
  assert.equal(await pub.c.publish(c2.raw), true);
  await until(() => sub.pushes.some((p) => p.raw.equals(f2.raw)), 'the push of the frame published after the restart', 30_000);
});

test('registration on a cluster: a link from one node registers on another; the operator approves from the CLI; every node agrees at the next upload', { skip }, async (t) => {
  const [n1, n2] = await nodes(t, 2, { registration: 'approval', unregistered_upload_bytes: 0 });
  const [a, b] = [await client(t, n1!), await client(t, n2!)];
  await a.c.publish(gidcOf(alice.ghid));
  const [first, second] = await signedPairs(alice, 2);
  const refused = await b.c.publish(first!.binding).catch((err: unknown) => err);
  assert.ok(refused instanceof RegistrationRequired, `node 2 knows the free tier: ${String(refused)}`);

  // Behind a load balancer the challenge comes from one node and the signed link reaches another.
  const link = new URL(await registrationLink({ host: '127.0.0.1', port: n1!.port, tls: false }, alice));
  link.port = String(n2!.port);
  const page = await fetch(link);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /data-result="waiting"/);
  assert.equal((await remoteAccount({ host: '127.0.0.1', port: n1!.port, tls: false }, alice.ghid.text)).status, 'pending', 'node 1 sees the request node 2 recorded');

  // The operator, on any machine with the cluster's hypergolix.yml.
  const cli = (...args: string[]) => runCli(['server', 'accounts', ...args], { env: n1!.home.env, cwd: n1!.home.dir });
  const listed = await cli('list', '--json');
  assert.equal(listed.code, 0, listed.stderr);
  assert.equal((JSON.parse(listed.stdout.trim()) as { status: string }).status, 'pending');
  const approved = await cli('approve', alice.ghid.text);
  assert.equal(approved.code, 0, approved.stderr);

  // At once, on both nodes: no waiting for a timer.
  assert.equal(await b.c.publish(first!.binding), true);
  assert.equal(await b.c.publish(first!.container), true);
  assert.equal(await a.c.publish(second!.binding), true);
  const status = await remoteAccount({ host: '127.0.0.1', port: n2!.port, tls: false }, alice.ghid.text);
  assert.equal(status.status, 'registered');
  assert.ok(status.usedBytes > 0, 'usage as the database counts it');

  assert.equal((await cli('revoke', alice.ghid.text)).code, 0);
  assert.ok((await a.c.publish(second!.container).catch((err: unknown) => err)) instanceof RegistrationRequired, 'revoked: the free tier again, on node 1 too');
});
