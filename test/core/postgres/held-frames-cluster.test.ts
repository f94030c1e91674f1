// Frames published before their target, on a cluster of server nodes over one PostgreSQL
// (src/core/postgres/transaction.ts releaseWaitingFrames, waiting-uploaders.ts, engine.ts heard):
// when the target arrives — in a later transaction, perhaps over another connection, perhaps on
// another node — every subscriber hears of the frame once, except the connection that uploaded
// the frame (hypergolix-reference §3.4); the target's publisher is told like anyone else. The
// target is a container, or a dynamic GHID that had no frame yet (D1 → D2 before D2's first frame).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Secret, makeContainer, makeFrame, type Ghid } from '../../../src/core/golix/index.js';
import { frameOf } from '../../../src/core/golix/builders.js';
import { PostgresEngine } from '../../../src/core/postgres/engine.js';
import { UPLOADED_ELSEWHERE, WaitingUploaders } from '../../../src/core/postgres/waiting-uploaders.js';
import { RemoteClient } from '../../../src/core/remote/client.js';
import { PersistenceServer } from '../../../src/core/remote/server.js';
import type { Notification } from '../../../src/core/rules/persistence-engine.js';
import { POSTGRES_SKIP, startPostgres, type TestPostgres } from '../../fixtures/postgres.js';
import { v16Identity } from '../../fixtures/vectors.js';
import { until } from '../../fixtures/wait.js';

const alice = v16Identity(0);

let cluster: TestPostgres | null = null;
async function database(): Promise<string> {
  cluster ??= startPostgres();
  return cluster.database();
}

const container = () => makeContainer(alice, Secret.random(), Buffer.from(`state ${randomBytes(12).toString('hex')}`));

interface Node {
  engine: PostgresEngine;
  server: PersistenceServer;
  port: number;
}

/** Two server nodes on one fresh database, on 127.0.0.1 ephemeral ports. */
async function twoNodes(t: { after: (fn: () => Promise<void>) => void }): Promise<[Node, Node]> {
  const url = await database();
  const nodes: Node[] = [];
  for (let i = 0; i < 2; i++) {
    const { engine } = await PostgresEngine.open({ url });
    const server = new PersistenceServer({ engine, host: '127.0.0.1', port: 0, notificationTimeoutMs: 60_000 });
    const { port } = await server.listen();
    await server.whenReady();
    nodes.push({ engine, server, port });
  }
  t.after(async () => {
    for (const n of nodes) {
      await n.server.close();
      await n.engine.close();
    }
  });
  return nodes as [Node, Node];
}

interface Connection {
  c: RemoteClient;
  heard: { subscribed: string; object: string }[];
}

async function connect(t: { after: (fn: () => Promise<void>) => void }, node: Node, subscriptions: Ghid[]): Promise<Connection> {
  const c = new RemoteClient({ host: '127.0.0.1', port: node.port, backoff: { initialMs: 10, maxMs: 50 } });
  const heard: Connection['heard'] = [];
  c.on('notification', (subscribed, raw) => void heard.push({ subscribed: subscribed.text, object: raw.toString('hex') }));
  t.after(() => c.close());
  c.start();
  await c.whenConnected(5000);
  for (const g of subscriptions) await c.subscribe(g);
  return { c, heard };
}

/** A frame to be released by a later publish: its target, and what must be published for the release. */
async function waitingFrame(kind: 'container' | 'dynamic binding') {
  const c = await container();
  if (kind === 'container') {
    const frame = await makeFrame(alice, c.ghid);
    return { frame, release: [c.raw] };
  }
  // D1 → D2 before D2 has a frame (golix §11 accepts it): released by D2's first frame.
  const inner = await makeFrame(alice, c.ghid);
  const frame = await makeFrame(alice, inner.dynamic);
  return { frame, release: [inner.raw, c.raw] };
}

for (const kind of ['container', 'dynamic binding'] as const) {
  for (const where of ['the same node', 'another node'] as const) {
    test(`a frame released by its ${kind} from another connection on ${where}: every subscriber but its uploader hears it once`, { skip: POSTGRES_SKIP }, async (t) => {
      const [a, b] = await twoNodes(t);
      const { frame, release } = await waitingFrame(kind);
      const subs = [frame.dynamic];
      const uploader = await connect(t, a, subs);
      const publisher = await connect(t, where === 'the same node' ? a : b, subs);
      const watchers = [await connect(t, a, subs), await connect(t, b, subs)];
      await uploader.c.publish(alice.publicIdentity.raw);
      assert.equal(await uploader.c.publish(frame.raw), true);
      for (const raw of release) assert.equal(await publisher.c.publish(raw), true);
      const others = [publisher, ...watchers];
      const ofFrame = (x: Connection) => x.heard.filter((h) => h.subscribed === frame.dynamic.text);
      await until(() => others.every((x) => ofFrame(x).length >= 1), 'every subscriber but the uploader hearing of the frame');
      // A stray push (a second one, or the uploader's) would come within this.
      await new Promise((r) => setTimeout(r, 300));
      for (const [i, x] of others.entries()) {
        assert.deepEqual(ofFrame(x), [{ subscribed: frame.dynamic.text, object: frame.raw.toString('hex') }], `subscriber ${i} (0: the target's publisher) hears the frame once`);
      }
      assert.deepEqual(ofFrame(uploader), [], 'the frame went back to the connection that uploaded it');
    });
  }
}

test('the engine names the uploader of a released frame: its own, this node’s record of it, or UPLOADED_ELSEWHERE', { skip: POSTGRES_SKIP }, async (t) => {
  const url = await database();
  const [a, b] = [(await PostgresEngine.open({ url })).engine, (await PostgresEngine.open({ url })).engine];
  t.after(() => Promise.all([a.close(), b.close()]).then(() => {}));
  const heardByA: Notification[] = [];
  a.follow({ notifications: (n) => heardByA.push(...n), lost: () => {} });
  const [U, P] = [Symbol('U'), Symbol('P')];
  await a.ingest(alice.publicIdentity.raw);
  const originOf = (notes: Notification[], frame: { ghid: Ghid }) => {
    const found = notes.filter((n) => n.object.ghid.equals(frame.ghid));
    assert.equal(found.length, 1, 'announced once');
    return found[0]!.origin;
  };

  // Same node, a later transaction.
  let c = await container();
  let f = await makeFrame(alice, c.ghid);
  assert.deepEqual((await a.ingest(f.raw, { origin: U })).notifications, []);
  assert.equal(originOf((await a.ingest(c.raw, { origin: P })).notifications, f), U);

  // Same node, perhaps the same transaction.
  c = await container();
  f = await makeFrame(alice, c.ghid);
  const both = await Promise.all([a.ingest(f.raw, { origin: U }), a.ingest(c.raw, { origin: P })]);
  assert.equal(originOf(both.flatMap((r) => r.notifications), f), U);

  // Another node releases it: there, nobody local uploaded it; here, the uploader is left out.
  c = await container();
  f = await makeFrame(alice, c.ghid);
  await a.ingest(f.raw, { origin: U });
  assert.equal(originOf((await b.ingest(c.raw, { origin: P })).notifications, f), UPLOADED_ELSEWHERE);
  const heard = await until(() => heardByA.find((n) => n.object.ghid.equals(f.ghid)), 'node a hearing of the release');
  assert.equal(heard.origin, U);

  // An ordinary frame heard from another node names no uploader: everyone here is told.
  const g = await makeFrame(alice, c.ghid, frameOf(f));
  await b.ingest(g.raw, { origin: P });
  assert.equal((await until(() => heardByA.find((n) => n.object.ghid.equals(g.ghid)), 'node a hearing of g')).origin, undefined);
});

test('WaitingUploaders: bounded, oldest forgotten first; a frame is taken once', () => {
  const w = new WaitingUploaders(2);
  w.remember('f1', 'u1');
  w.remember('f2', 'u2');
  w.remember('f3', 'u3');
  assert.equal(w.size, 2);
  assert.equal(w.uploaderOf('f1'), undefined, 'the oldest is forgotten');
  w.remember('f2', 'u2'); // remembered again: now the newest
  w.remember('f4', 'u4');
  assert.deepEqual([w.uploaderOf('f2'), w.uploaderOf('f3'), w.uploaderOf('f4')], ['u2', undefined, 'u4']);
  assert.equal(w.take('f4'), 'u4');
  assert.equal(w.take('f4'), undefined);
  w.remember('f5', undefined);
  assert.equal(w.size, 1, 'an unknown uploader is not remembered');
});
