// The server host: config → FileStore + RulesEngine + PersistenceServer, and back down again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommsError, HypergolixError, parseObject } from '../../../src/core/golix/index.js';
import { createMemoryLogger } from '../../../src/core/log/index.js';
import { RemoteClient } from '../../../src/core/remote/client.js';
import { encodeFrame } from '../../../src/wire/index.js';
import { startServer } from '../../../src/core/assembly/server.js';
import type { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { RawPeer } from '../../fixtures/remote/helpers.js';
import { requests } from '../../fixtures/server/objects.js';
import { freePort, httpGet, serverHome, type ServerHome } from '../../fixtures/server/helpers.js';
import { V2016_DIRS, read2016, v16Identity, v16Objects } from '../../fixtures/vectors.js';

const v16 = v16Objects();
const gidcs = [0, 1, 2].map((i) => v16[i]!);

function onPort0(home: ServerHome) {
  return { ...home.config, server: { ...home.config.server, port: 0 } };
}

async function connect(port: number, t: { after(fn: () => Promise<void>): void }): Promise<RemoteClient> {
  const c = new RemoteClient({ host: '127.0.0.1', port, backoff: { initialMs: 10, maxMs: 50 } });
  t.after(() => c.close());
  c.start();
  await c.whenConnected(5000);
  return c;
}

const nkCode = (p: Promise<unknown>) => p.then(() => -1, (err: unknown) => (err instanceof HypergolixError ? err.code : -2));

test('starts from the config: listens, logs listening and ready, serves /healthz; close flushes the store', async (t) => {
  const home = await serverHome();
  const log = createMemoryLogger({ name: 'hgxserver', verbosity: 'info' });
  const running = await startServer(onPort0(home), { logger: log });
  assert.equal(running.address.host, '127.0.0.1');
  assert.ok(running.address.port > 0);
  assert.equal(running.url, `ws://127.0.0.1:${running.address.port}/`);
  assert.equal(running.objectsAtStart, 0);
  assert.ok(running.openMs >= 0);
  const text = log.lines.join('\n');
  assert.match(text, new RegExp(`Persistence server listening on 127\\.0\\.0\\.1:${running.address.port}`));
  assert.match(text, /Store loaded: 0 objects in \d+ ms/);
  assert.match(text, new RegExp(`Persistence server ready on 127\\.0\\.0\\.1:${running.address.port}`));
  assert.equal((await httpGet(running.address.port, '/healthz')).status, 200);

  const c = await connect(running.address.port, t);
  for (const g of gidcs) assert.equal(await c.publish(g.raw), true);
  await c.close();
  await running.close();
  assert.match(log.lines.join('\n'), /Store flushed; persistence server stopped/);
  // Flushed: the journal is gone and the index covers everything, so the next open replays nothing.
  const siblings = readdirSync(join(home.dir, 'server'));
  assert.deepEqual(siblings.filter((n) => n.includes('.journal.')), []);
  const again = await startServer(onPort0(home));
  t.after(() => again.close());
  assert.equal(again.objectsAtStart, 3);
  assert.deepEqual(again.storeWarnings, []);
});

test('a port in use fails start-up with a clear error and releases the store', async () => {
  const home = await serverHome();
  const blocker = await startServer(onPort0(home));
  const other = await serverHome();
  const config = { ...other.config, server: { ...other.config.server, port: blocker.address.port } };
  await assert.rejects(startServer(config), (err: unknown) => err instanceof CommsError && /already in use/.test((err as Error).message));
  await blocker.close();
  // The failed start closed its store cleanly: nothing to recover now.
  const retry = await startServer(config);
  assert.deepEqual(retry.storeWarnings, []);
  await retry.close();
});

test('a store that cannot open fails start-up and frees the port', async () => {
  const home = await serverHome();
  const port = await freePort();
  // The ghidcache path is a file, not a directory.
  mkdirSync(join(home.dir, 'server'), { recursive: true });
  writeFileSync(join(home.dir, 'server', 'ghidcache'), 'not a directory');
  const config = { ...home.config, server: { ...home.config.server, port } };
  await assert.rejects(startServer(config));
  // Nothing listens any more.
  const h2 = await serverHome();
  const free = await startServer({ ...h2.config, server: { ...h2.config.server, port } });
  await free.close();
});

test('the store’s own warnings (a stray file quarantined) are logged at start', async (t) => {
  const home = await serverHome();
  mkdirSync(home.config.server.ghidcache, { recursive: true });
  writeFileSync(join(home.config.server.ghidcache, 'notes.txt'), 'left here by someone');
  const log = createMemoryLogger({ name: 'hgxserver', verbosity: 'warning' });
  const running = await startServer(onPort0(home), { logger: log });
  t.after(() => running.close());
  assert.equal(running.storeWarnings.length, 1);
  assert.match(running.storeWarnings[0]!, /notes\.txt/);
  assert.ok(log.lines.some((l) => /WARN/.test(l) && /notes\.txt/.test(l)), log.lines.join('\n'));
});

test('the config’s limits apply: publish allow-list, subscriptions per connection, message size', async (t) => {
  const alice = v16Identity(0);
  const home = await serverHome({ max_subscriptions: 2, max_message_bytes: '64 KiB' });
  const config = onPort0(home);
  const running = await startServer({ ...config, server: { ...config.server, publish_allowlist: [alice.ghid] } });
  t.after(() => running.close());
  const c = await connect(running.address.port, t);
  for (const g of gidcs) assert.equal(await c.publish(g.raw), true, 'GIDCs always pass the allow-list');
  const byBob = v16.find((o) => o.obj.type === 'GEOC' && o.entry.author === gidcs[1]!.entry.ghid)!;
  assert.equal(await nkCode(c.publish(byBob.raw)), 0x000a, 'identity 1 may not publish');
  const byAlice = v16[11]!; // alice's GOBS
  assert.equal(await c.publish(byAlice.raw), true);

  await c.subscribe(gidcs[0]!.obj.ghid);
  await c.subscribe(gidcs[1]!.obj.ghid);
  assert.equal(await nkCode(c.subscribe(gidcs[2]!.obj.ghid)), 0x000a, 'third subscription refused');

  assert.equal(running.engine.stats().objects, 4);

  const big = await RawPeer.connect(running.url);
  big.send(encodeFrame('PB', 1, Buffer.alloc(65 * 1024)));
  assert.equal((await big.closed()).code, 1009, 'a message over max_message_bytes closes that socket');
  await c.ping();
});

test('the config’s quota and rate limits apply and are logged at start (defect 8)', async (t) => {
  const home = await serverHome({ quota_bytes_per_identity: '2 KiB', publish_rate_per_identity: 0.001, publish_burst: 2, unsigned_publish_rate_per_connection: 100, max_requests_per_recipient: 1 });
  const log = createMemoryLogger({ name: 'hgxserver', verbosity: 'info' });
  const running = await startServer(onPort0(home), { logger: log });
  t.after(() => running.close());
  const text = log.lines.join('\n');
  assert.match(text, /Storage quota per identity: 2 KiB/);
  assert.match(text, /Publish rate per identity: 0\.001\/s, bursts of 2/);
  assert.match(text, /Publish rate of identities and requests per connection: 100\/s, bursts of 1000/);
  assert.match(text, /Requests waiting per identity: at most 1/);
  assert.equal(running.engine.usage?.()?.bytesLimit, 2048);

  const c = await connect(running.address.port, t);
  for (const g of gidcs) assert.equal(await c.publish(g.raw), true);
  const gobs = v16[11]!;
  const geoc = v16[3]!;
  assert.equal(await c.publish(gobs.raw), true);
  assert.equal(await c.publish(geoc.raw), true);
  assert.deepEqual((running.engine as RulesEngine).usageOf(gidcs[0]!.obj.ghid), { bytes: gobs.raw.length + geoc.raw.length, objects: 2 });
  const frame = v16.find((o) => o.obj.type === 'GOBD')!;
  assert.equal(await nkCode(c.publish(frame.raw)), 0x000a, 'the burst of 2 is spent');
  assert.equal(running.metrics.refusalsOf('rate_identity'), 1);
  const [first, second] = requests(v16Identity(1), v16Identity(0).publicIdentity, 2);
  assert.equal(await c.publish(first!), true);
  assert.equal(await nkCode(c.publish(second!)), 0x000a, 'one request may wait for identity 0');
  assert.equal(running.metrics.refusalsOf('requests_waiting'), 1);
});

test('the check of a file store follows server.check_store_hours, and the start says so; 0 turns it off', async (t) => {
  for (const [hours, said, scheduled] of [
    [24, 'Store check: every 24 hours, the first 10 minutes after this start', true],
    [1, 'Store check: every hour, the first 10 minutes after this start', true],
    [0, 'Store check: off (server.check_store_hours: 0)', false],
  ] as const) {
    const home = await serverHome({ check_store_hours: hours });
    const log = createMemoryLogger({ name: 'hgxserver', verbosity: 'info' });
    const running = await startServer(onPort0(home), { logger: log });
    t.after(() => running.close());
    assert.ok(log.lines.some((l) => l.includes(said)), log.lines.join('\n'));
    assert.equal(running.server.storeCheck.scheduled, scheduled, `${hours} hours`);
    assert.equal(running.damagedObjects(), 0);
  }
});

test('shouty verbosity logs WebSocket frames; info does not', async (t) => {
  const home = await serverHome();
  const shouty = createMemoryLogger({ name: 'hgxserver', verbosity: 'shouty' });
  const running = await startServer(onPort0(home), { logger: shouty });
  t.after(() => running.close());
  const c = await connect(running.address.port, t);
  await c.ping();
  assert.ok(shouty.lines.some((l) => /hgxserver\.remote/.test(l) && /\bin\b.*\?\?/.test(l)), shouty.lines.join('\n'));

  const quietHome = await serverHome();
  const info = createMemoryLogger({ name: 'hgxserver', verbosity: 'info' });
  const quiet = await startServer(onPort0(quietHome), { logger: info });
  t.after(() => quiet.close());
  const q = await connect(quiet.address.port, t);
  await q.ping();
  assert.ok(!info.lines.some((l) => /\?\?/.test(l)));
});

test('2016 (v15) frames: refused by default like the reference, accepted with server.accept_v15', async (t) => {
  const files = read2016(V2016_DIRS[0]!).map((f) => parseObject(f.raw));
  const v15 = files.find((o) => o.type === 'GOBD' && o.version === 15)!;
  const ids = files.filter((o) => o.type === 'GIDC');
  for (const [accept, expected] of [[false, 0x0001], [true, -1]] as const) {
    const home = await serverHome({ accept_v15: accept });
    const running = await startServer(onPort0(home));
    t.after(() => running.close());
    const c = await connect(running.address.port, t);
    for (const id of ids) await c.publish(id.raw);
    assert.equal(await nkCode(c.publish(v15.raw)), expected, `accept_v15: ${accept}`);
  }
});
