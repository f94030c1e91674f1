// Defect 8 on the wire: per-identity storage quotas and publish rate limits of a real
// PersistenceServer over the real rules engine and a FileStore, on 127.0.0.1, with the reference
// vectors' identities. Every refusal is NK 000A; nothing refused is stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HypergolixError, makeDebinding, parseObject, type Gobd } from '../../../src/core/golix/index.js';
import { RemoteClient } from '../../../src/core/remote/client.js';
import { PersistenceServer, type PersistenceServerOptions } from '../../../src/core/remote/server.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import type { QuotaOptions } from '../../../src/core/rules/usage.js';
import { FileStore } from '../../../src/core/store/file-store.js';
import { FakeEngine } from '../../fixtures/remote/fake-engine.js';
import { requests } from '../../fixtures/server/objects.js';
import { v16Identity, v16Objects } from '../../fixtures/vectors.js';

const v16 = v16Objects();
const byIndex = (i: number) => v16[i]!;
const frame = (counter: number) => v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === counter)!;
const chainContainer = (counter: number) => v16.find((o) => o.obj.type === 'GEOC' && o.entry.chain_counter === counter)!;
const size = (...objs: { raw: Buffer }[]) => objs.reduce((n, o) => n + o.raw.length, 0);
const [gidcA, gidcB, gidcC] = [0, 1, 2].map(byIndex);
const aliceId = gidcA!.obj.ghid;
const gobs = byIndex(11); // alice binds…
const geoc = byIndex(3); // …this container of hers

const temps: string[] = [];
test.after(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));
async function storeDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'hgx-limits-'));
  temps.push(d);
  return join(d, 'ghidcache');
}

interface Served {
  engine: RulesEngine;
  server: PersistenceServer;
  port: number;
  client(): Promise<RemoteClient>;
  stop(): Promise<void>;
}

async function serve(dir: string, quota: QuotaOptions | null, options: Partial<PersistenceServerOptions> = {}): Promise<Served> {
  const { engine } = await RulesEngine.open(new FileStore(dir), { quota });
  const server = new PersistenceServer({ engine, host: '127.0.0.1', port: 0, ...options });
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

/** The NK code a request was refused with (and its message), or null when it succeeded. */
async function refusal(p: Promise<unknown>): Promise<{ code: number; message: string; retryAfterMs?: number; reason?: string } | null> {
  try {
    await p;
    return null;
  } catch (err) {
    assert.ok(err instanceof HypergolixError, String(err));
    return { code: err.code, message: err.message, retryAfterMs: err.retryAfterMs, reason: err.reason };
  }
}

async function metricsPage(port: number): Promise<string[]> {
  return (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).split('\n');
}

// ───────────────────────────── quotas ─────────────────────────────

test('a publish over the identity’s quota gets NK 000A and stores nothing; /metrics shows it', async (t) => {
  const s = await serve(await storeDir(), { bytesPerIdentity: size(gobs, geoc) + 100 });
  t.after(() => s.stop());
  const c = await s.client();
  for (const o of [gidcA!, gidcB!, gidcC!, gobs, geoc]) assert.equal(await c.publish(o.raw), true);
  const nk = await refusal(c.publish(frame(0).raw));
  assert.equal(nk?.code, 0x000a);
  assert.match(nk!.message, /Storage quota exceeded: identity AYjM4FAI3uv5… stores 1376 of its 1476 bytes/);
  assert.equal(await c.exists(frame(0).obj.ghid), false, 'nothing stored');
  assert.equal(await c.exists((frame(0).obj as Gobd).dynamic), false);
  assert.deepEqual(s.engine.usageOf(aliceId), { bytes: size(gobs, geoc), objects: 2 });
  // GIDCs and GARQs are charged to nobody: the full identity is still reachable.
  assert.equal(await c.publish(byIndex(36).raw), true);

  assert.equal(s.server.metrics.refusalsOf('quota'), 1);
  assert.equal(s.server.metrics.rejectionsOf(0x000a), 1);
  const page = await metricsPage(s.port);
  for (const line of [
    'hypergolix_refusals_total{reason="quota"} 1',
    'hypergolix_rejections_total{code="000a",name="RemoteNak"} 1',
    `hypergolix_quota_bytes_per_identity ${size(gobs, geoc) + 100}`,
    `hypergolix_quota_bytes_charged ${size(gobs, geoc)}`,
    'hypergolix_quota_identities 1',
    `hypergolix_quota_largest_identity_bytes ${size(gobs, geoc)}`,
  ]) {
    assert.ok(page.includes(line), `missing: ${line}\n${page.join('\n')}`);
  }
});

test('space freed by a newer frame, and by a debinding and its collection, can be used again', async (t) => {
  const [f0, c0, f1, c1] = [frame(0), chainContainer(0), frame(1), chainContainer(1)];
  const quota = size(f0, c0) + 120; // one frame and one container, with a little to spare
  const s = await serve(await storeDir(), { bytesPerIdentity: quota });
  t.after(() => s.stop());
  const c = await s.client();
  await c.publish(gidcA!.raw);
  assert.equal(await c.publish(f0.raw), true);
  assert.equal(await c.publish(c0.raw), true);
  assert.equal((await refusal(c.publish(gobs.raw)))?.code, 0x000a, 'nearly full: a static binding does not fit');

  // The next frame replaces the first; the first frame's container is collected with it.
  assert.equal(await c.publish(f1.raw), true);
  assert.equal(await c.exists(c0.obj.ghid), false, 'collected');
  assert.deepEqual(s.engine.usageOf(aliceId), { bytes: size(f1), objects: 1 });
  assert.equal(await c.publish(c1.raw), true, 'fits only because the old frame and container were freed');
  assert.deepEqual(s.engine.usageOf(aliceId), { bytes: size(f1, c1), objects: 2 });

  // Debinding the dynamic binding removes its frame and collects its container: room again.
  const debind = byIndex(33);
  assert.equal(await c.publish(debind.raw), true);
  assert.deepEqual(s.engine.usageOf(aliceId), { bytes: size(debind), objects: 1 });
  assert.equal(await c.publish(gobs.raw), true);
  assert.equal((await refusal(c.publish(geoc.raw)))?.code, 0x000a, 'and the quota still applies');
});

test('usage is rebuilt from the store’s index after a restart on the same directory', async () => {
  const dir = await storeDir();
  const quota = { bytesPerIdentity: size(gobs, geoc) + 100 };
  const first = await serve(dir, quota);
  const c = await first.client();
  for (const o of [gidcA!, gidcB!, gidcC!, gobs, geoc, byIndex(36)]) assert.equal(await c.publish(o.raw), true);
  const before = first.engine.usage();
  await first.stop();

  const again = await serve(dir, quota);
  try {
    assert.deepEqual(again.engine.usage(), before);
    assert.deepEqual(again.engine.usageOf(aliceId), { bytes: size(gobs, geoc), objects: 2 });
    const d = await again.client();
    assert.equal((await refusal(d.publish(frame(0).raw)))?.code, 0x000a, 'still over the quota after the restart');
  } finally {
    await again.stop();
  }
  // Raising the quota at the next start lets it through.
  const raised = await serve(dir, { bytesPerIdentity: 1 << 20 });
  try {
    const e = await raised.client();
    assert.equal(await e.publish(frame(0).raw), true);
  } finally {
    await raised.stop();
  }
});

// ───────────────────────────── rate limits ─────────────────────────────

test('an identity over its publish rate gets NK 000A with a retry delay, and goes ahead once tokens are back', async (t) => {
  const clock = { t: 5_000_000 };
  const s = await serve(await storeDir(), null, { publishRatePerIdentity: 1, publishBurst: 3, now: () => clock.t });
  t.after(() => s.stop());
  const [c, other] = [await s.client(), await s.client()];
  for (const g of [gidcA!, gidcB!, gidcC!]) assert.equal(await c.publish(g.raw), true, 'GIDCs name no signer: not charged');

  // A forged claim (alice's binding with a broken signature) fails and costs alice nothing.
  const forged = Buffer.from(gobs.raw);
  forged[forged.length - 1]! ^= 0xff;
  for (let i = 0; i < 3; i++) assert.equal((await refusal(c.publish(forged)))?.code, 0x0002);
  // A genuine object the rules refuse (a container before its binding) was sent by her: it counts.
  assert.equal((await refusal(c.publish(chainContainer(0).raw)))?.code, 0x0004);

  assert.equal(await c.publish(gobs.raw), true);
  assert.equal(await c.publish(geoc.raw), true);
  const nk = await refusal(other.publish(frame(0).raw));
  assert.equal(nk?.code, 0x000a, 'the burst is spent, on every connection of hers');
  assert.match(nk!.message, /^Publishing too fast: identity AYjM4FAI3uv5… may publish 1 object\(s\) a second on this server \(3 at once\); retry in 1\.0 s$/);
  // The same facts as NK details, for programs.
  assert.deepEqual([nk!.retryAfterMs, nk!.reason], [1000, 'rate_identity']);
  assert.equal(await c.exists(frame(0).obj.ghid), false);
  assert.equal(s.server.metrics.refusalsOf('rate_identity'), 1);

  clock.t += 999;
  assert.equal((await refusal(c.publish(frame(0).raw)))?.code, 0x000a, 'not quite yet');
  clock.t += 1;
  assert.equal(await c.publish(frame(0).raw), true);
  assert.ok((await metricsPage(s.port)).includes('hypergolix_refusals_total{reason="rate_identity"} 2'));
});

test('publishes that name no signer are rate-limited per connection when asked', async (t) => {
  const clock = { t: 5_000_000 };
  const s = await serve(await storeDir(), null, { unsignedPublishRatePerConnection: 1, unsignedPublishBurst: 1, now: () => clock.t });
  t.after(() => s.stop());
  const [a, b] = [await s.client(), await s.client()];
  assert.equal(await a.publish(gidcA!.raw), true);
  const nk = await refusal(a.publish(gidcB!.raw));
  assert.equal(nk?.code, 0x000a);
  assert.match(nk!.message, /retry in 1\.0 s$/);
  assert.deepEqual([nk!.retryAfterMs, nk!.reason], [1000, 'rate_connection']);
  assert.equal(await b.publish(gidcB!.raw), true, 'another connection has its own allowance');
  assert.equal(await a.publish(gobs.raw), true, 'signed objects are not limited per connection');
  assert.equal(await a.publish(geoc.raw), true);
  clock.t += 1000;
  assert.equal(await a.publish(gidcC!.raw), true);
  assert.equal(s.server.metrics.refusalsOf('rate_connection'), 1);
});

// ───────────────────────────── requests per recipient ─────────────────────────────

test('a recipient with as many requests waiting as the server allows gets no more (NK 000A) until its daemon takes one', async (t) => {
  const s = await serve(await storeDir(), null, { maxRequestsPerRecipient: 3 });
  t.after(() => s.stop());
  const c = await s.client();
  const [alice, bob] = [v16Identity(0), v16Identity(1)];
  for (const g of [gidcA!, gidcB!, gidcC!]) await c.publish(g.raw);
  const garqs = requests(alice, bob.publicIdentity, 5);
  for (const raw of garqs.slice(0, 3)) assert.equal(await c.publish(raw), true);
  const nk = await refusal(c.publish(garqs[3]!));
  assert.deepEqual([nk?.code, nk?.reason, nk?.retryAfterMs], [0x000a, 'requests_waiting', 60_000]);
  assert.match(nk!.message, /has 3 requests waiting on this server \(at most 3\)/);
  assert.equal(await s.engine.exists(parseObject(garqs[3]!).ghid), false, 'nothing refused is stored');
  // Another recipient has its own room.
  assert.equal(await c.publish(requests(bob, alice.publicIdentity, 1)[0]!), true);
  // Bob's daemon takes one (debinds it): room for one more.
  assert.equal(await c.publish((await makeDebinding(bob, parseObject(garqs[0]!).ghid)).raw), true);
  assert.equal(await c.publish(garqs[3]!), true);
  assert.equal((await refusal(c.publish(garqs[4]!)))?.reason, 'requests_waiting');
  assert.equal(s.server.metrics.refusalsOf('requests_waiting'), 2);
  assert.ok((await metricsPage(s.port)).some((l) => /reason="requests_waiting"} 2$/.test(l)));
});

test('maxRequestsPerRecipient must be a whole number of at least 1, or null', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => new PersistenceServer({ engine: new FakeEngine(), host: '127.0.0.1', port: 0, maxRequestsPerRecipient: bad }), /maxRequestsPerRecipient/);
  }
});
