// Who is subscribed to what (src/core/remote/subscriptions.ts, and the server's +S/-S/XX/close
// handling over it), and the rules engine's indexes (src/core/rules/indexes.ts: frames, binders,
// debinders, requests, and the held-back frame notifications) as the engine's public API shows
// them: what it serves, lists, refuses, collects and announces — after deletes, debindings, a
// replaced frame, a rolled-back commit, and objects stored twice.
//
// The engine's incremental indexes are checked against the indexes an engine derives from
// scratch over the same stored entries (a MemoryStore snapshot, reopened): any divergence is an
// index left inconsistent by some step. Real objects: the reference's identities sign everything.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DoesNotExist,
  Ghid,
  HypergolixError,
  Secret,
  buildRequest,
  makeContainer,
  makeDebinding,
  makeFrame,
  makeStatic,
  parseObject,
  type Gdxx,
  type Geoc,
  type Gobd,
  type Gobs,
  type PrivateIdentity,
} from '../../../src/core/golix/index.js';
import { frameOf } from '../../../src/core/golix/builders.js';
import { RemoteClient } from '../../../src/core/remote/client.js';
import { PersistenceServer, type PersistenceServerOptions } from '../../../src/core/remote/server.js';
import { SubscriptionRegistry } from '../../../src/core/remote/subscriptions.js';
import { PUSH_WINDOW } from '../../../src/core/remote/push-queue.js';
import { RemoteVerb } from '../../../src/core/remote/verbs.js';
import { encodeFrame } from '../../../src/wire/index.js';
import type { IngestResult, Notification, PersistenceEngine } from '../../../src/core/rules/persistence-engine.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { FileStore } from '../../../src/core/store/file-store.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { FaultyFs } from '../../fixtures/store/faulty-fs.js';
import { requests } from '../../fixtures/server/objects.js';
import { RawPeer } from '../../fixtures/remote/helpers.js';
import { v16Identity, v16Objects } from '../../fixtures/vectors.js';
import { until } from '../../fixtures/wait.js';

const alice = v16Identity(0);
const bob = v16Identity(1);
const carol = v16Identity(2);
const v16 = v16Objects();

const temps: string[] = [];
test.after(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

/** A container of `author` with a fresh secret and a unique plaintext. */
function container(author: PrivateIdentity = alice): Promise<Geoc> {
  return makeContainer(author, Secret.random(), Buffer.from(`state ${randomBytes(12).toString('hex')}, long enough to be unique`));
}

const texts = (gs: Iterable<Ghid>): string[] => [...gs].map((g) => g.text).sort();
const frameNotes = (notes: readonly Notification[]): [string, string][] => notes.map((n) => [n.subscribed.text, n.object.ghid.text]);

// ───────────────────────────── SubscriptionRegistry ─────────────────────────────

/** The registry's two maps, to check that nothing empty is left behind (memory growth). */
function internals<P>(r: SubscriptionRegistry<P>): { byGhid: Map<string, Set<P>>; byPeer: Map<P, Map<string, Ghid>> } {
  return r as unknown as { byGhid: Map<string, Set<P>>; byPeer: Map<P, Map<string, Ghid>> };
}

/** A GHID that is not the same object as `g` but has its text. */
const twin = (g: Ghid): Ghid => Ghid.fromText(g.text);

describe('SubscriptionRegistry', () => {
  const [g1, g2, g3] = [alice.ghid, bob.ghid, carol.ghid];

  test('a subscription counts once however often it is added, by GHID text, not object identity', () => {
    const r = new SubscriptionRegistry<string>();
    assert.equal(r.add('a', g1), true);
    assert.equal(r.add('a', g1), false);
    assert.equal(r.add('a', twin(g1)), false, 'an equal GHID object is the same subscription');
    assert.equal(r.size, 1);
    assert.equal(r.countOf('a'), 1);
    assert.equal(r.has('a', twin(g1)), true);
    assert.deepEqual(r.subscribersOf(twin(g1)), ['a']);
    assert.equal(r.add('b', g1), true, 'another peer has its own');
    assert.equal(r.size, 2);
    assert.deepEqual(r.subscribersOf(g1).sort(), ['a', 'b']);
    assert.equal(r.countOf('a'), 1);
  });

  test('removing what was never subscribed changes nothing (another peer’s, an unknown peer, an unknown GHID)', () => {
    const r = new SubscriptionRegistry<string>();
    r.add('a', g1);
    r.add('b', g2);
    assert.equal(r.remove('a', g2), false, "b's GHID, not a's");
    assert.equal(r.remove('c', g1), false, 'a peer with nothing');
    assert.equal(r.remove('a', g3), false, 'a GHID nobody has');
    assert.equal(r.size, 2);
    assert.deepEqual([r.countOf('a'), r.countOf('b'), r.countOf('c')], [1, 1, 0]);
    assert.deepEqual(r.subscribersOf(g2), ['b']);
    assert.equal(r.watched(g3.text), false);
    // Nothing was created for the peer or GHID that only appeared in a failed remove.
    const { byGhid, byPeer } = internals(r);
    assert.equal(byPeer.has('c'), false);
    assert.equal(byGhid.has(g3.text), false);
  });

  test('remove, then removeAll: nothing empty is left for a peer or a GHID', () => {
    const r = new SubscriptionRegistry<object>();
    const [a, b] = [{}, {}];
    r.add(a, g1);
    r.add(a, g2);
    r.add(b, g2);
    assert.equal(r.remove(a, twin(g1)), true);
    assert.equal(r.remove(a, g1), false, 'only once');
    assert.equal(r.watched(g1.text), false, 'nobody watches g1 any more');
    assert.equal(r.removeAll(a), 1);
    assert.equal(r.removeAll(a), 0, 'idempotent');
    assert.deepEqual(r.of(a), []);
    assert.deepEqual(r.subscribersOf(g2), [b], 'the other peer keeps its subscription');
    assert.equal(r.size, 1);
    assert.equal(r.removeAll(b), 1);
    assert.equal(r.size, 0);
    const { byGhid, byPeer } = internals(r);
    assert.equal(byPeer.size, 0, 'no map kept for peers with nothing');
    assert.equal(byGhid.size, 0, 'no set kept for GHIDs nobody watches');
  });

  test('subscribersOf is a copy: subscriptions may change while a fan-out iterates it', () => {
    const r = new SubscriptionRegistry<string>();
    for (const p of ['a', 'b', 'c']) r.add(p, g1);
    const seen: string[] = [];
    for (const p of r.subscribersOf(g1)) {
      seen.push(p);
      r.removeAll(p);
      r.add('late', g1);
    }
    assert.deepEqual(seen, ['a', 'b', 'c']);
    assert.deepEqual(r.subscribersOf(g1), ['late']);
    assert.equal(r.size, 1);
  });

  test('of() lists a peer’s subscriptions in the order they were made, re-adding does not move one', () => {
    const r = new SubscriptionRegistry<string>();
    r.add('a', g2);
    r.add('a', g1);
    r.add('a', g2);
    r.add('a', g3);
    assert.deepEqual(r.of('a').map((g) => g.text), [g2.text, g1.text, g3.text]);
    r.remove('a', g1);
    r.add('a', g1);
    assert.deepEqual(r.of('a').map((g) => g.text), [g2.text, g3.text, g1.text]);
  });

  test('random add/remove/removeAll agree with a plain model at every step (size, counts, watchers, no empty leftovers)', () => {
    let seed = 0x2545f491;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const ghids = [g1, g2, g3, ...v16.slice(3, 8).map((o) => o.obj.ghid)];
    const peers = ['p0', 'p1', 'p2', 'p3'];
    const r = new SubscriptionRegistry<string>();
    const model = new Map<string, Set<string>>(peers.map((p) => [p, new Set()]));
    for (let step = 0; step < 3000; step++) {
      const p = peers[rand(peers.length)]!;
      const g = ghids[rand(ghids.length)]!;
      const mine = model.get(p)!;
      const op = rand(10);
      if (op < 5) {
        assert.equal(r.add(p, rand(2) ? g : twin(g)), !mine.has(g.text), `step ${step}: add`);
        mine.add(g.text);
      } else if (op < 9) {
        assert.equal(r.remove(p, rand(2) ? g : twin(g)), mine.has(g.text), `step ${step}: remove`);
        mine.delete(g.text);
      } else {
        assert.equal(r.removeAll(p), mine.size, `step ${step}: removeAll`);
        mine.clear();
      }
      const total = [...model.values()].reduce((n, s) => n + s.size, 0);
      assert.equal(r.size, total, `step ${step}: size`);
      for (const q of peers) assert.equal(r.countOf(q), model.get(q)!.size, `step ${step}: countOf ${q}`);
      for (const h of ghids) {
        const expected = peers.filter((q) => model.get(q)!.has(h.text));
        assert.deepEqual(r.subscribersOf(h).sort(), expected, `step ${step}: subscribersOf`);
        assert.equal(r.watched(h.text), expected.length > 0);
      }
      const { byGhid, byPeer } = internals(r);
      for (const [q, m] of byPeer) assert.ok(m.size > 0, `step ${step}: empty map kept for ${q}`);
      for (const [h, s] of byGhid) assert.ok(s.size > 0, `step ${step}: empty set kept for ${h.slice(0, 8)}`);
    }
  });
});

// ───────────────────────────── the server's subscriptions, over the real rules engine ─────────────────────────────

interface Served {
  engine: RulesEngine;
  server: PersistenceServer;
  port: number;
  client(): Promise<RemoteClient>;
  stop(): Promise<void>;
}

/** Holds every notification `sub` gets unanswered until `open()`; `received()` counts them. */
function heldAnswers(sub: RemoteClient): { open: () => void; received: () => number } {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let received = 0;
  sub.on('notification', async () => {
    received++;
    await gate;
  });
  return { open, received: () => received };
}

async function serve(options: Partial<PersistenceServerOptions> = {}, wrap?: (e: RulesEngine) => PersistenceEngine): Promise<Served> {
  const { engine } = await RulesEngine.open(new MemoryStore());
  const server = new PersistenceServer({ engine: wrap ? wrap(engine) : engine, host: '127.0.0.1', port: 0, notificationTimeoutMs: 60_000, ...options });
  const { port } = await server.listen();
  await server.whenReady();
  const clients: RemoteClient[] = [];
  let stopped: Promise<void> | null = null;
  return {
    engine,
    server,
    port,
    async client() {
      const c = new RemoteClient({ host: '127.0.0.1', port, backoff: { initialMs: 10, maxMs: 50 } });
      clients.push(c);
      c.start();
      await c.whenConnected(5000);
      return c;
    },
    stop() {
      stopped ??= (async () => {
        await Promise.all(clients.map((c) => c.close()));
        await server.close();
        await engine.close();
      })();
      return stopped;
    },
  };
}

/** The notifications a client is given: subscribed GHID text and packed object. */
function heard(c: RemoteClient): { subscribed: string; raw: Buffer }[] {
  const out: { subscribed: string; raw: Buffer }[] = [];
  c.on('notification', (subscribed, raw) => void out.push({ subscribed: subscribed.text, raw }));
  return out;
}

/** What /metrics says for one unlabelled sample. */
async function metric(port: number, name: string): Promise<number> {
  const page = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = page.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `no ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

async function refusalOf(p: Promise<unknown>): Promise<HypergolixError | null> {
  try {
    await p;
    return null;
  } catch (err) {
    assert.ok(err instanceof HypergolixError, String(err));
    return err;
  }
}

describe('PersistenceServer subscriptions', () => {
  test('the per-connection limit: exactly N, a repeat is free, a refusal or an unknown -S changes nothing, -S frees one', async (t) => {
    const s = await serve({ maxSubscriptionsPerConnection: 3 });
    t.after(() => s.stop());
    const [c, other] = [await s.client(), await s.client()];
    const g = [alice.ghid, bob.ghid, carol.ghid, ...v16.slice(3, 6).map((o) => o.obj.ghid)];
    for (const x of g.slice(0, 3)) await c.subscribe(x);
    assert.equal(s.server.subscriptionCount, 3, 'N subscriptions fit');
    // A repeat is not a new subscription: neither refused nor counted twice.
    await c.subscribe(g[1]!);
    assert.equal(s.server.subscriptionCount, 3);
    const nk = await refusalOf(c.subscribe(g[3]!));
    assert.equal(nk?.code, 0x000a, 'N + 1 is refused');
    assert.equal(nk?.reason, 'subscriptions');
    assert.deepEqual(texts(await c.listSubscriptions()), texts(g.slice(0, 3)), 'the refused one was not added');
    assert.equal(s.server.subscriptionCount, 3);
    // Unsubscribing something never subscribed frees no slot.
    assert.equal(await c.unsubscribe(g[4]!), false);
    assert.equal(s.server.subscriptionCount, 3);
    assert.equal((await refusalOf(c.subscribe(g[3]!)))?.code, 0x000a, 'still full');
    // Another connection has its own allowance, and its -S of c's GHID touches nothing of c's.
    for (const x of g.slice(3, 6)) await other.subscribe(x);
    assert.equal(await other.unsubscribe(g[0]!), false);
    assert.equal(s.server.subscriptionCount, 6);
    assert.equal(await c.unsubscribe(g[0]!), true);
    await c.subscribe(g[3]!);
    assert.deepEqual(texts(await c.listSubscriptions()), texts(g.slice(1, 4)));
    assert.equal(await metric(s.port, 'hypergolix_subscriptions'), 6);
  });

  test('a connection’s subscriptions go when it closes or sends XX; nothing is pushed to it after -S, XX or close', async (t) => {
    const s = await serve();
    t.after(() => s.stop());
    const [pub, stays, leaves, quits, closes] = await Promise.all([s.client(), s.client(), s.client(), s.client(), s.client()]);
    for (const id of [alice, bob]) await pub.publish(id.publicIdentity.raw);
    const notes = { stays: heard(stays), leaves: heard(leaves), quits: heard(quits), closes: heard(closes) };
    let f = await makeFrame(alice, (await container()).ghid);
    const dyn = f.dynamic;
    for (const c of [stays, leaves, quits, closes]) await c.subscribe(dyn);
    await quits.subscribe(bob.ghid);
    assert.equal(s.server.subscriptionCount, 5);

    assert.equal(await leaves.unsubscribe(dyn), true);
    await quits.disconnect();
    await closes.close();
    await until(() => s.server.connectionCount === 4, 'the closed connection to be forgotten');
    assert.equal(s.server.subscriptionCount, 1, 'only `stays` is still subscribed');
    assert.equal(internals(registryOf(s.server)).byPeer.size, 1, 'no map is kept for the peers with nothing');
    assert.deepEqual(await quits.listSubscriptions(), []);

    // Each update reaches `stays` and nobody else: the server sends exactly one !! for it.
    for (let i = 0; i < 3; i++) {
      const c = await container();
      f = await makeFrame(alice, c.ghid, frameOf(f));
      const before = s.server.metrics.notificationsSent;
      await pub.publish(f.raw);
      await pub.publish(c.raw);
      assert.equal(s.server.metrics.notificationsSent - before, 1, `update ${i}: one !!`);
      await until(() => notes.stays.length === i + 1, `update ${i} at the subscriber`);
    }
    assert.deepEqual([notes.leaves.length, notes.quits.length, notes.closes.length], [0, 0, 0]);
    const before = s.server.metrics.notificationsSent;
    await pub.publish(buildRequest(alice, bob.publicIdentity, { kind: 'AK', target: alice.ghid, status: 7 }).raw);
    assert.equal(s.server.metrics.notificationsSent, before, 'XX dropped the identity subscription too: nobody is told');
    assert.equal(notes.quits.length, 0);
  });

  test('a held frame released by another connection’s container goes to every subscriber but the frame’s uploader', async (t) => {
    // §3.4: a !! is never sent to the connection that uploaded the object. A frame published
    // before its container is announced when the container arrives, perhaps from someone else.
    const s = await serve();
    t.after(() => s.stop());
    const [framer, carrier, watcher] = [await s.client(), await s.client(), await s.client()];
    await framer.publish(alice.publicIdentity.raw);
    const c = await container();
    const f = await makeFrame(alice, c.ghid);
    const notes = { framer: heard(framer), carrier: heard(carrier), watcher: heard(watcher) };
    for (const x of [framer, carrier, watcher]) await x.subscribe(f.dynamic);
    assert.equal(await framer.publish(f.raw), true);
    assert.equal(s.server.metrics.notificationsSent, 0, 'held: its container is not here yet');
    assert.equal(await carrier.publish(c.raw), true);
    assert.equal(s.server.metrics.notificationsSent, 2, 'two of the three subscribers are told');
    await until(() => notes.framer.length + notes.carrier.length + notes.watcher.length === 2, 'both pushes');
    assert.equal(notes.watcher.length, 1);
    assert.deepEqual(
      { framer: notes.framer.length, carrier: notes.carrier.length },
      { framer: 0, carrier: 1 },
      'the frame went back to the connection that uploaded it, and the subscriber that only uploaded the container never hears of the frame',
    );
  });

  test('a +S replay of stored requests stops once the connection unsubscribes (-S)', async (t) => {
    const s = await serve();
    t.after(() => s.stop());
    const [pub, sub] = [await s.client(), await s.client()];
    for (const id of [alice, bob]) await pub.publish(id.publicIdentity.raw);
    const n = PUSH_WINDOW * 3;
    for (const raw of requests(alice, bob.publicIdentity, n)) assert.equal(await pub.publish(raw), true);

    // The subscriber holds every !! unanswered until it has unsubscribed: a full window is in flight.
    const { open, received } = heldAnswers(sub);
    await sub.subscribe(bob.ghid);
    await until(() => s.server.metrics.notificationsSent === PUSH_WINDOW, 'the first window of the replay');
    assert.equal(await sub.unsubscribe(bob.ghid), true);
    const sentWhenUnsubscribed = s.server.metrics.notificationsSent;
    open();
    // Wait until nothing is queued or in flight any more (the replay is either dropped or done).
    await until(async () => received() === s.server.metrics.notificationsSent && (await metric(s.port, 'hypergolix_push_queue_bytes')) === 0, 'the push queue to drain');
    assert.equal(
      s.server.metrics.notificationsSent,
      sentWhenUnsubscribed,
      `after -S the server went on replaying: ${s.server.metrics.notificationsSent - sentWhenUnsubscribed} more !! for a GHID the connection no longer holds`,
    );
  });

  test('a +S replay of stored requests stops once the connection sends XX', async (t) => {
    const s = await serve();
    t.after(() => s.stop());
    const [pub, sub] = [await s.client(), await s.client()];
    for (const id of [alice, bob]) await pub.publish(id.publicIdentity.raw);
    for (const raw of requests(alice, bob.publicIdentity, PUSH_WINDOW * 3, carol.ghid)) await pub.publish(raw);
    const { open, received } = heldAnswers(sub);
    await sub.subscribe(bob.ghid);
    await until(() => s.server.metrics.notificationsSent === PUSH_WINDOW, 'the first window of the replay');
    await sub.disconnect();
    const sentAtXX = s.server.metrics.notificationsSent;
    open();
    await until(async () => received() === s.server.metrics.notificationsSent && (await metric(s.port, 'hypergolix_push_queue_bytes')) === 0, 'the push queue to drain');
    assert.equal(s.server.metrics.notificationsSent, sentAtXX, 'after XX (shutting down) the replay went on');
  });

  test('two +S of one GHID at once: when the first fails reading its replay, the second’s AK still stands', async (t) => {
    // An engine whose first requestsFor() waits for the test and then fails (a read error).
    let fail!: () => void;
    const failing = new Promise<void>((r) => (fail = r));
    let calls = 0;
    const s = await serve({}, (engine) =>
      delegate(engine, async (recipient) => {
        if (calls++ === 0) {
          await failing;
          throw new HypergolixError('read failed (injected)');
        }
        return engine.requestsFor(recipient);
      }),
    );
    t.after(() => s.stop());
    const c = await s.client();
    const first = refusalOf(c.subscribe(bob.ghid));
    await until(() => calls === 1, 'the first +S to be reading');
    await c.subscribe(bob.ghid); // answered AK: "you are subscribed"
    fail();
    assert.ok(await first, 'the first +S is refused');
    assert.deepEqual(
      texts(await c.listSubscriptions()),
      [bob.ghid.text],
      'the connection was told AK for its second +S, but the failed first one removed the subscription',
    );
    assert.equal(s.server.subscriptionCount, 1);
  });

  test('a +S still reading its replay when the connection closes leaves no subscription behind, whether the read succeeds or fails', async (t) => {
    const gates: { release: () => void; fail: () => void }[] = [];
    const s = await serve({}, (engine) =>
      delegate(engine, async (recipient) => {
        await new Promise<void>((resolve, reject) => gates.push({ release: resolve, fail: () => reject(new HypergolixError('read failed (injected)')) }));
        return engine.requestsFor(recipient);
      }),
    );
    t.after(() => s.stop());
    await (await s.client()).publish(bob.publicIdentity.raw);
    for (const outcome of ['release', 'fail'] as const) {
      // A raw peer: +S, then the socket drops (no XX first, as a client that goes away).
      const others = s.server.connectionCount;
      const raw = await RawPeer.connect(`ws://127.0.0.1:${s.port}/`);
      raw.send(encodeFrame(RemoteVerb.subscribe, 1, bob.ghid.bytes));
      await until(() => gates.length === 1, 'the +S to be reading');
      assert.equal(s.server.subscriptionCount, 1);
      raw.close();
      await until(() => s.server.connectionCount === others, 'the connection to be gone');
      assert.equal(s.server.subscriptionCount, 0);
      gates.shift()![outcome]();
      // The handler finishes after the close; a round trip through the server lets it.
      await (await s.client()).ping();
      assert.equal(s.server.subscriptionCount, 0, `${outcome}: a subscription of a closed connection is left`);
      assert.equal(internals(registryOf(s.server)).byPeer.size, 0, `${outcome}: the closed peer is still held by the registry`);
    }
  });
});

/** A PersistenceEngine that is `engine` but for requestsFor(). */
function delegate(engine: RulesEngine, requestsFor: (recipient: Ghid) => Promise<Buffer[]>): PersistenceEngine {
  return {
    ingest: (raw, hooks) => engine.ingest(raw, hooks),
    get: (g) => engine.get(g),
    exists: (g) => engine.exists(g),
    bindingsOf: (g) => engine.bindingsOf(g),
    debindingsOf: (g) => engine.debindingsOf(g),
    requestsFor,
    requestCount: (g) => engine.requestCount(g),
    stats: () => engine.stats(),
    close: () => engine.close(),
  };
}

/** The server's registry, to look for peers it still holds after they closed. */
function registryOf(server: PersistenceServer): SubscriptionRegistry<unknown> {
  return (server as unknown as { subscriptions: SubscriptionRegistry<unknown> }).subscriptions;
}

// ───────────────────────────── the rules engine's indexes ─────────────────────────────

/** Quotas far above anything here: only so that the engine keeps (and the tests compare) its usage ledger. */
const COUNTED = { quota: { bytesPerIdentity: 1 << 30 } };

async function engineOver(store: MemoryStore = new MemoryStore()) {
  const { engine } = await RulesEngine.open(store, COUNTED);
  for (const id of [alice, bob, carol]) await engine.ingest(id.publicIdentity.raw);
  return engine;
}

/** Ingests and returns the result, or the refusal's class name. */
async function tryIngest(engine: RulesEngine, raw: Buffer): Promise<IngestResult | string> {
  try {
    return await engine.ingest(raw);
  } catch (err) {
    assert.ok(err instanceof HypergolixError, String(err));
    return err.name;
  }
}

/** What the engine's public API says about every GHID in `ghids` and requests for `ids`. */
async function view(engine: RulesEngine, ghids: Iterable<Ghid>, ids: Ghid[]) {
  const out: Record<string, unknown> = { stats: engine.stats(), usage: engine.usage() };
  for (const id of ids) out[`usage ${id.short}`] = engine.usageOf(id);
  for (const g of ghids) {
    let got: string;
    try {
      got = (await engine.get(g)).toString('base64').slice(0, 40);
    } catch (err) {
      assert.ok(err instanceof DoesNotExist, String(err));
      got = 'DoesNotExist';
    }
    out[g.text] = {
      exists: engine.exists(g),
      get: got,
      bindings: texts(engine.bindingsOf(g)),
      debindings: texts(engine.debindingsOf(g)),
      current: engine.currentFrame(g)?.ghid ?? null,
    };
  }
  for (const id of ids) out[`requests ${id.short}`] = (await engine.requestsFor(id)).map((b) => b.toString('hex').slice(0, 32)).sort();
  return out;
}

/** The engine's incremental indexes agree with those derived from scratch over the same store. */
async function assertConsistent(engine: RulesEngine, store: MemoryStore, ghids: Iterable<Ghid>, label: string): Promise<void> {
  const fresh = (await RulesEngine.open(store.snapshot(), COUNTED)).engine;
  const all = [...ghids];
  const ids = [alice.ghid, bob.ghid, carol.ghid];
  assert.deepEqual(await view(engine, all, ids), await view(fresh, all, ids), `${label}: the live indexes differ from the ones rebuilt from the store`);
  // Nothing unbound is left stored: a container goes when nothing binds it (golix §11).
  for (const g of all) {
    if (engine.entry(g)?.type === 'GEOC') assert.ok(engine.bindingsOf(g).length > 0, `${label}: ${g.short}, a container nothing binds, is still stored`);
  }
}

describe('rules engine indexes', () => {
  test('a debound static binding stops holding its container; debinding the debinding lifts the block; a re-upload is indexed once', async () => {
    const store = new MemoryStore();
    const engine = await engineOver(store);
    const c = await container();
    const [s1, s2] = [await makeStatic(alice, c.ghid), await makeStatic(bob, c.ghid)];
    for (const o of [s1, s2, c]) assert.equal((await engine.ingest(o.raw)).stored, true);
    assert.equal((await engine.ingest(s1.raw)).stored, false, 'stored twice: a no-op');
    assert.deepEqual(texts(engine.bindingsOf(c.ghid)), texts([s1.ghid, s2.ghid]), 'each binding listed once');
    const x1 = await makeDebinding(alice, s1.ghid);
    await engine.ingest(x1.raw);
    assert.deepEqual(texts(engine.bindingsOf(c.ghid)), [s2.ghid.text], 'the debound binding no longer counts');
    assert.equal(engine.exists(c.ghid), true, "bob's binding still holds it");
    assert.deepEqual(texts(engine.debindingsOf(s1.ghid)), [x1.ghid.text]);
    const x2 = await makeDebinding(bob, s2.ghid);
    await engine.ingest(x2.raw);
    assert.deepEqual(engine.bindingsOf(c.ghid), []);
    assert.equal(engine.exists(c.ghid), false, 'collected once nothing binds it');
    const lift = await makeDebinding(alice, x1.ghid);
    await engine.ingest(lift.raw);
    assert.deepEqual(engine.debindingsOf(s1.ghid), [], 'the debinding of the debinding removed it from the index');
    assert.equal((await engine.ingest(s1.raw)).stored, true, 'the binding may be uploaded again');
    assert.equal((await engine.ingest(c.raw)).stored, true);
    assert.deepEqual(texts(engine.bindingsOf(c.ghid)), [s1.ghid.text]);
    await assertConsistent(engine, store, [c.ghid, s1.ghid, s2.ghid, x1.ghid, x2.ghid, lift.ghid], 'end');
  });

  test('a replaced or debound frame leaves no trace in the binders or frame index; requests go with their debinding', async () => {
    const store = new MemoryStore();
    const engine = await engineOver(store);
    const [c0, c1] = [await container(), await container()];
    const f0 = await makeFrame(alice, c0.ghid);
    for (const o of [f0, c0]) await engine.ingest(o.raw);
    const f1 = await makeFrame(alice, c1.ghid, frameOf(f0));
    for (const o of [f1, c1]) await engine.ingest(o.raw);
    assert.deepEqual(engine.bindingsOf(c0.ghid), []);
    assert.equal(engine.exists(c0.ghid), false);
    assert.equal(engine.exists(f0.ghid), false, 'the replaced frame is gone');
    assert.deepEqual(texts(engine.bindingsOf(c1.ghid)), [f1.dynamic.text]);
    // The old frame cannot come back, even though its GHID is free again.
    assert.equal(await tryIngest(engine, f0.raw), 'IllegalDynamicFrame');
    const garqs = requests(bob, alice.publicIdentity, 3);
    for (const r of garqs) await engine.ingest(r);
    assert.equal((await engine.ingest(garqs[0]!)).stored, false, 'a request stored twice is listed once');
    assert.equal((await engine.requestsFor(alice.ghid)).length, 3);
    const ghids = [c0.ghid, c1.ghid, f0.ghid, f1.ghid, f1.dynamic];
    await assertConsistent(engine, store, ghids, 'before the debindings');
    const rx = await makeDebinding(alice, v16Ghid(garqs[1]!));
    const r = await engine.ingest(rx.raw);
    assert.deepEqual(frameNotes(r.notifications), [[alice.ghid.text, rx.ghid.text]], 'the recipient is told');
    assert.equal((await engine.requestsFor(alice.ghid)).length, 2);
    const dx = await makeDebinding(alice, f1.dynamic);
    assert.deepEqual(frameNotes((await engine.ingest(dx.raw)).notifications), [[f1.dynamic.text, dx.ghid.text]]);
    assert.equal(engine.exists(f1.dynamic), false);
    assert.equal(engine.exists(c1.ghid), false);
    assert.deepEqual(engine.bindingsOf(c1.ghid), []);
    assert.equal(await tryIngest(engine, f1.raw), 'AlreadyDebound');
    await assertConsistent(engine, store, [...ghids, rx.ghid, dx.ghid], 'after the debindings');
  });

  test('a frame whose target is another dynamic binding, not stored yet, is announced once that binding is', async () => {
    // D1 → D2 → C, published D1's frame first (its target D2 unknown: accepted, golix §11).
    const engine = await engineOver();
    const c = await container();
    const f2 = await makeFrame(alice, c.ghid); // D2 → C
    const f1 = await makeFrame(alice, f2.dynamic); // D1 → D2
    const notes: Notification[] = [];
    for (const o of [f1, f2, c]) notes.push(...(await engine.ingest(o.raw)).notifications);
    assert.equal(engine.exists(f1.dynamic), true);
    assert.deepEqual(await engine.get(f1.dynamic), f1.raw);
    // For comparison: published after D2 exists, the same kind of frame is announced at once.
    // Bob's: alice's first frame to D2 would be f1 again (a first frame is its binder and target).
    const f3 = await makeFrame(bob, f2.dynamic); // D3 → D2
    assert.deepEqual(frameNotes((await engine.ingest(f3.raw)).notifications), [[f3.dynamic.text, f3.ghid.text]]);
    assert.deepEqual(
      frameNotes(notes.filter((n) => n.subscribed.equals(f1.dynamic))),
      [[f1.dynamic.text, f1.ghid.text]],
      "D1's frame was held for D2 and never released: its subscribers never hear of it",
    );
  });

  test('a frame debound before its container arrives is never announced; its container then needs another binding', async () => {
    const store = new MemoryStore();
    const engine = await engineOver(store);
    const c = await container();
    const f = await makeFrame(alice, c.ghid);
    assert.deepEqual((await engine.ingest(f.raw)).notifications, [], 'held: its container is not here yet');
    const dx = await makeDebinding(alice, f.dynamic);
    await engine.ingest(dx.raw);
    assert.equal(await tryIngest(engine, c.raw), 'UnboundContainer');
    const s = await makeStatic(bob, c.ghid);
    await engine.ingest(s.raw);
    const r = await engine.ingest(c.raw);
    assert.deepEqual(r.notifications, [], 'nothing for the removed frame');
    await assertConsistent(engine, store, [c.ghid, f.ghid, f.dynamic, s.ghid, dx.ghid], 'end');
  });

  test('a debound dynamic binding held by another is kept while held, then collected with what only it bound', async () => {
    const store = new MemoryStore();
    const engine = await engineOver(store);
    const c = await container();
    const inner = await makeFrame(alice, c.ghid); // D1 → C
    const c2 = await container(bob);
    let outer = await makeFrame(bob, inner.dynamic); // D2 (bob) → D1
    const hold = await makeStatic(carol, inner.dynamic); // and a GOBS of carol's → D1
    for (const o of [inner, c, outer, hold]) await engine.ingest(o.raw);
    await engine.ingest((await makeDebinding(alice, inner.dynamic)).raw);
    const ghids = [c.ghid, c2.ghid, inner.dynamic, inner.ghid, outer.dynamic, hold.ghid];
    assert.equal(engine.exists(inner.dynamic), true, 'held by two');
    assert.deepEqual(texts(engine.bindingsOf(inner.dynamic)), texts([outer.dynamic, hold.ghid]));
    await assertConsistent(engine, store, ghids, 'held twice');
    // Bob's binding moves on: still held by carol's.
    outer = await makeFrame(bob, c2.ghid, frameOf(outer));
    for (const o of [outer, c2]) await engine.ingest(o.raw);
    assert.deepEqual(texts(engine.bindingsOf(inner.dynamic)), [hold.ghid.text]);
    assert.equal(engine.exists(inner.dynamic), true);
    await assertConsistent(engine, store, [...ghids, outer.ghid], 'held once');
    // Carol lets go: the debound binding goes, and its container with it.
    await engine.ingest((await makeDebinding(carol, hold.ghid)).raw);
    assert.equal(engine.exists(inner.dynamic), false);
    assert.equal(engine.exists(c.ghid), false);
    assert.deepEqual(engine.bindingsOf(c.ghid), []);
    await assertConsistent(engine, store, [...ghids, outer.ghid], 'released');
  });

  // FUZZ_SEED and FUZZ_STEPS run other sequences (seeds 1–32 at 200 steps pass; 9 and 19 re-upload a frame after its removal).
  test('random publishes, updates, debindings and re-uploads keep the live indexes equal to rebuilt ones', async () => {
    let seed = Number(process.env.FUZZ_SEED ?? 0x1badf00d);
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const pick = <T>(xs: readonly T[]): T | undefined => (xs.length ? xs[rand(xs.length)] : undefined);
    const people = [alice, bob, carol];
    const store = new MemoryStore();
    const engine = await engineOver(store);
    const known: Ghid[] = [];
    const built: Buffer[] = [];
    const containers: Ghid[] = [];
    const statics: { obj: Gobs; by: PrivateIdentity }[] = [];
    const dynamics: { last: Gobd; by: PrivateIdentity }[] = [];
    const debindings: { obj: Gdxx; by: PrivateIdentity }[] = [];
    const garqs: { ghid: Ghid; to: PrivateIdentity }[] = [];
    /** Built but held back, to be published later (a debinding that arrives before its target). */
    const later: Buffer[] = [];
    const announced = new Set<string>();
    /** Every object announced is stored when it is announced; a frame is current, its target there, and announced once. */
    const checkNotes = (r: IngestResult | string, step: number) => {
      // A frame that left the store (debound, and its debinding debound in turn) may be uploaded
      // and announced again: once only while it stays stored.
      for (const g of announced) if (!engine.entry(Ghid.fromText(g))) announced.delete(g);
      if (typeof r === 'string') return r;
      for (const n of r.notifications) {
        const what = `step ${step}: ${n.object.type} ${n.object.ghid.short} for ${n.subscribed.short}`;
        assert.ok(engine.entry(n.object.ghid), `${what} announced but not stored`);
        if (n.object.type === 'GOBD') {
          assert.equal(engine.currentFrame(n.subscribed)?.ghid, n.object.ghid.text, `${what}: not the current frame`);
          assert.ok(engine.exists(n.object.targets[0]!), `${what}: its target is not stored`);
          assert.ok(!announced.has(n.object.ghid.text), `${what}: announced twice`);
          announced.add(n.object.ghid.text);
        }
      }
      return r;
    };
    let step = 0;
    const ingest = async (raw: Buffer) => {
      built.push(raw);
      return checkNotes(await tryIngest(engine, raw), step);
    };
    const log: string[] = [];
    const steps = Number(process.env.FUZZ_STEPS ?? 60);
    for (step = 0; step < steps; step++) {
      const who = pick(people)!;
      const op = rand(12);
      if (op === 0) {
        const c = await container(who);
        const s = await makeStatic(who, c.ghid);
        statics.push({ obj: s, by: who });
        known.push(c.ghid, s.ghid);
        containers.push(c.ghid);
        // Mostly binding first; sometimes the container first (refused), or the binding held back.
        const order = rand(4);
        if (order === 0) log.push(`${step}: container first ${await ingest(c.raw).then(res)}, static ${await ingest(s.raw).then(res)}`);
        else if (order === 1) {
          later.push(s.raw, c.raw);
          log.push(`${step}: static + container built, held back`);
        } else log.push(`${step}: static ${await ingest(s.raw).then(res)} + container ${await ingest(c.raw).then(res)}`);
      } else if (op <= 3) {
        // A new frame: of an existing dynamic binding (its owner) or a new one; to a new
        // container (before or after the frame), a stored container, another dynamic binding,
        // or anything known (often illegal).
        const d = rand(4) > 0 ? pick(dynamics) : undefined;
        const by = d?.by ?? who;
        const kind = rand(6);
        const c = kind <= 1 ? await container(by) : null;
        const target =
          c?.ghid ?? (kind === 2 ? pick(containers) : kind === 3 ? pick(dynamics)?.last.dynamic : kind === 4 ? pick(known) : Ghid.fromDigest(randomBytes(64))) ?? (await container(by)).ghid;
        const f = await makeFrame(by, target, d ? frameOf(d.last) : undefined);
        if (d) d.last = f;
        else dynamics.push({ last: f, by });
        known.push(f.ghid, f.dynamic);
        if (c) known.push(c.ghid), containers.push(c.ghid);
        if (c && kind === 1) log.push(`${step}: container ${await ingest(c.raw).then(res)} before frame ${await ingest(f.raw).then(res)}`);
        else log.push(`${step}: frame ${await ingest(f.raw).then(res)}${c ? ` + container ${await ingest(c.raw).then(res)}` : ''}`);
      } else if (op === 4) {
        // A static binding of a dynamic binding (holds it).
        const d = pick(dynamics);
        if (!d) continue;
        const s = await makeStatic(who, d.last.dynamic);
        statics.push({ obj: s, by: who });
        known.push(s.ghid);
        log.push(`${step}: hold ${await ingest(s.raw).then(res)}`);
      } else if (op <= 7) {
        // A debinding, mostly by the rightful party, of a static or dynamic binding, a debinding
        // or a request; sometimes by someone else (refused, or provisional for an unknown target).
        const choices: [Ghid, PrivateIdentity][] = [
          ...statics.map((s): [Ghid, PrivateIdentity] => [s.obj.ghid, s.by]),
          ...dynamics.map((d): [Ghid, PrivateIdentity] => [d.last.dynamic, d.by]),
          ...debindings.map((x): [Ghid, PrivateIdentity] => [x.obj.ghid, x.by]),
          ...garqs.map((g): [Ghid, PrivateIdentity] => [g.ghid, g.to]),
        ];
        const chosen = pick(choices);
        if (!chosen) continue;
        const by = rand(5) === 0 ? who : chosen[1];
        const x = await makeDebinding(by, chosen[0]);
        debindings.push({ obj: x, by });
        known.push(x.ghid);
        log.push(`${step}: debind ${chosen[0].short}${by === chosen[1] ? '' : ' (by another)'} ${await ingest(x.raw).then(res)}`);
      } else if (op === 8) {
        const to = pick(people)!;
        const [raw] = requests(who, to.publicIdentity, 1, Ghid.fromDigest(randomBytes(64)));
        garqs.push({ ghid: v16Ghid(raw!), to });
        known.push(v16Ghid(raw!));
        log.push(`${step}: request ${await ingest(raw!).then(res)}`);
      } else if (op === 9) {
        const raw = later.shift();
        if (!raw) continue;
        log.push(`${step}: held-back ${parseObject(raw).type} ${await ingest(raw).then(res)}`);
      } else {
        const raw = pick(built);
        if (!raw) continue;
        log.push(`${step}: re-upload ${parseObject(raw).type} ${await tryIngest(engine, raw).then((r) => res(checkNotes(r, step)))}`);
      }
      await assertConsistent(engine, store, known, `step ${step}\n${log.join('\n')}`);
    }
  });
});

// ───────────────────────────── indexes after a rolled-back commit ─────────────────────────────

/** A rules engine over a FileStore whose disk can fail (a full disk makes its commit roll back). */
async function failingEngine() {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-subs-'));
  temps.push(dir);
  const fs = new FaultyFs();
  const store = new FileStore(join(dir, 'ghidcache'), { fs, fileDelayMs: 0, probeIntervalMs: 5 });
  const { engine } = await RulesEngine.open(store, { quota: { bytesPerIdentity: 1 << 20 } });
  for (const id of [alice, bob]) await engine.ingest(id.publicIdentity.raw);
  /** Ingests `raw` with the disk full (its commit fails and is undone), then frees the disk. */
  const rolledBack = async (raw: Buffer) => {
    await store.idle();
    fs.arm(1, 'ENOSPC', true);
    await assert.rejects(engine.ingest(raw), (err: Error) => err.name === 'StorageFull');
    fs.heal();
    await until(() => store.storage().kind === 'ok', 'the store to find room again');
  };
  return { engine, store, rolledBack };
}

describe('rules engine indexes after a rollback (the store’s onRollback)', () => {
  test('a frame whose commit was rolled back is never announced, even when its container arrives later', async (t) => {
    const { engine, rolledBack } = await failingEngine();
    t.after(() => engine.close());
    const c = await container();
    const f = await makeFrame(alice, c.ghid);
    await rolledBack(f.raw);
    assert.equal(engine.exists(f.dynamic), false);
    assert.equal(engine.exists(f.ghid), false);
    await assert.rejects(engine.get(f.dynamic), DoesNotExist);
    // The container arrives under another binding.
    const s = await makeStatic(bob, c.ghid);
    await engine.ingest(s.raw);
    const r = await engine.ingest(c.raw);
    assert.deepEqual(frameNotes(r.notifications), [], 'announced a frame that is not stored (the held notification survived the rollback)');
  });

  test('a frame whose replacement was rolled back is still announced when its container arrives', async (t) => {
    const { engine, rolledBack } = await failingEngine();
    t.after(() => engine.close());
    const [c0, c1] = [await container(), await container()];
    const f0 = await makeFrame(alice, c0.ghid);
    assert.deepEqual((await engine.ingest(f0.raw)).notifications, [], 'held until c0 arrives');
    await rolledBack((await makeFrame(alice, c1.ghid, frameOf(f0))).raw);
    assert.equal(engine.currentFrame(f0.dynamic)?.ghid, f0.ghid.text, 'the first frame is current again');
    assert.deepEqual(texts(engine.bindingsOf(c0.ghid)), [f0.dynamic.text]);
    assert.deepEqual(engine.bindingsOf(c1.ghid), []);
    const r = await engine.ingest(c0.raw);
    assert.deepEqual(
      frameNotes(r.notifications),
      [[f0.dynamic.text, f0.ghid.text]],
      "the rolled-back replacement took the first frame's held notification with it: its subscribers never hear of it",
    );
  });

  test('frames a rolled-back container released are held again, and announced once when it is stored', async (t) => {
    const { engine, rolledBack } = await failingEngine();
    t.after(() => engine.close());
    const c = await container();
    const f = await makeFrame(alice, c.ghid);
    assert.deepEqual((await engine.ingest(f.raw)).notifications, [], 'held until c arrives');
    await rolledBack(c.raw);
    assert.equal(engine.exists(c.ghid), false);
    assert.deepEqual(frameNotes((await engine.ingest(c.raw)).notifications), [[f.dynamic.text, f.ghid.text]], 'the undone release took the held frame with it');
    assert.deepEqual((await engine.ingest(c.raw)).notifications, [], 'announced once');
  });

  test('a rolled-back update puts back the replaced frame, its collected container, the binders and the usage', async (t) => {
    const { engine, rolledBack } = await failingEngine();
    t.after(() => engine.close());
    const [c0, c1] = [await container(), await container()];
    const f0 = await makeFrame(alice, c0.ghid);
    for (const o of [f0, c0]) await engine.ingest(o.raw);
    const usage = engine.usageOf(alice.ghid);
    const stats = engine.stats();
    const f1 = await makeFrame(alice, c1.ghid, frameOf(f0));
    await rolledBack(f1.raw);
    assert.deepEqual(await engine.get(f0.dynamic), f0.raw);
    assert.equal(engine.exists(c0.ghid), true, 'the container the update collected is back');
    assert.deepEqual(texts(engine.bindingsOf(c0.ghid)), [f0.dynamic.text]);
    assert.deepEqual(engine.bindingsOf(c1.ghid), []);
    assert.deepEqual(engine.usageOf(alice.ghid), usage);
    assert.deepEqual(engine.stats(), stats);
    // The update goes through on the second try, announced once, and c0 goes then.
    const notes: Notification[] = [];
    for (const o of [f1, c1]) notes.push(...(await engine.ingest(o.raw)).notifications);
    assert.deepEqual(frameNotes(notes), [[f1.dynamic.text, f1.ghid.text]]);
    assert.equal(engine.exists(c0.ghid), false);
    assert.deepEqual(engine.bindingsOf(c0.ghid), []);
  });

  test('a rolled-back debinding leaves the binding, its container and the debinders index as they were', async (t) => {
    const { engine, rolledBack } = await failingEngine();
    t.after(() => engine.close());
    const c = await container();
    const s = await makeStatic(alice, c.ghid);
    for (const o of [s, c]) await engine.ingest(o.raw);
    const x = await makeDebinding(alice, s.ghid);
    await rolledBack(x.raw);
    assert.equal(engine.exists(s.ghid), true);
    assert.equal(engine.exists(c.ghid), true);
    assert.deepEqual(texts(engine.bindingsOf(c.ghid)), [s.ghid.text]);
    assert.deepEqual(engine.debindingsOf(s.ghid), [], 'a debinding that is not stored is not listed');
    assert.equal((await engine.ingest(s.raw)).stored, false, 'not blocked as debound');
    assert.equal((await engine.ingest(x.raw)).stored, true);
    assert.equal(engine.exists(c.ghid), false);
  });
});

/** The GHID of a packed object (a GARQ built by the fixtures). */
function v16Ghid(raw: Buffer): Ghid {
  return parseObject(raw).ghid;
}

const res = (r: IngestResult | string): string => (typeof r === 'string' ? r : r.stored ? 'stored' : 'had');
