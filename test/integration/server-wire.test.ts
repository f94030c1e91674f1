// Issue 3 proof (a) and (b): the reference protocol over a real WebSocket against the real
// server host — PersistenceServer over RulesEngine over a FileStore ghidcache, configured from a
// hypergolix.yml — with the reference-v16 vectors (vectors README §2.6 item 10) and the
// rejection codes of golix §11.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HypergolixError, Ghid, makeDebinding, type GolixObject } from '../../src/core/golix/index.js';
import { createMemoryLogger } from '../../src/core/log/index.js';
import { RemoteClient } from '../../src/core/remote/client.js';
import { decodeNak, encodeFrame } from '../../src/wire/index.js';
import { startServer, type RunningServer } from '../../src/core/assembly/server.js';
import { RawPeer } from '../fixtures/remote/helpers.js';
import { backendKeys } from '../fixtures/server/backend.js';
import { httpGet, metric, serverHome, sleep, until, type TestContext } from '../fixtures/server/helpers.js';
import { readV16, v16Identity, v16Objects } from '../fixtures/vectors.js';

const v16 = v16Objects();
const at = (i: number) => v16[i]!;
const alice = v16Identity(0);
const bob = v16Identity(1);
const gidcs = [0, 1, 2].map(at);
const gobs = at(11);
const geoc3 = at(3);
const frame = (counter: number) => v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === counter)!;
const chainGeoc = (counter: number) => v16.find((o) => o.obj.type === 'GEOC' && o.entry.chain_counter === counter)!;
const dynamic = Ghid.fromText(frame(0).entry.ghid_dynamic!);
const garqs = [35, 36, 37, 38].map(at);
const ghidOf = (o: { obj: GolixObject }) => o.obj.ghid;

type Note = { subscribed: string; raw: Buffer };

async function host(t: TestContext, server: Record<string, string | number | boolean> = {}) {
  const home = await serverHome({ ...(await backendKeys()), ...server });
  const log = createMemoryLogger({ name: 'hgxserver', verbosity: 'debug' });
  // Port 0: the OS picks a free one, so parallel test files never collide.
  const running = await startServer({ ...home.config, server: { ...home.config.server, port: 0 } }, { logger: log });
  const clients: RemoteClient[] = [];
  t.after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await running.close();
  });
  const client = async (): Promise<{ c: RemoteClient; notes: Note[] }> => {
    const c = new RemoteClient({ host: '127.0.0.1', port: running.address.port, backoff: { initialMs: 10, maxMs: 100 } });
    clients.push(c);
    const notes: Note[] = [];
    c.on('notification', (subscribed, raw) => void notes.push({ subscribed: subscribed.text, raw }));
    c.start();
    await c.whenConnected(5000);
    return { c, notes };
  };
  return { home, running, log, client };
}

/** The NK code a publish got, after checking that it stored nothing. */
async function nkOf(running: RunningServer, c: RemoteClient, raw: Buffer, ghid?: Ghid): Promise<number> {
  const before = running.engine.stats().objects;
  const code = await c.publish(raw).then(
    () => -1,
    (err: unknown) => (err instanceof HypergolixError ? err.code : -2),
  );
  // No more than before: on PostgreSQL the counts are read again now and then (every 10 s), and
  // only that read counts the deletions of earlier commits, so they may drop meanwhile.
  const after = running.engine.stats().objects;
  assert.ok(after <= before, `a refusal stores nothing (${before} objects before, ${after} after)`);
  if (ghid) assert.equal(await c.exists(ghid), false, 'the refused object is not there');
  return code;
}

test('the reference-v16 scenario over the wire: valid order accepted and read back byte-exact, refusals with the reference codes, !! to other connections only', async (t) => {
  const { running, client } = await host(t);
  const pub = await client(); // publishes everything; also subscribed, so we can see it is skipped
  const sub = await client(); // another connection subscribed to the same things
  await pub.c.subscribe(dynamic);
  await sub.c.subscribe(dynamic);
  await pub.c.subscribe(bob.ghid);
  await sub.c.subscribe(bob.ghid);

  // Before the identities are known: unknown author / binder / recipient → 0003.
  assert.equal(await nkOf(running, pub.c, gobs.raw, ghidOf(gobs)), 0x0003);
  assert.equal(await nkOf(running, pub.c, geoc3.raw, ghidOf(geoc3)), 0x0003);
  assert.equal(await nkOf(running, pub.c, garqs[0]!.raw, ghidOf(garqs[0]!)), 0x0003, 'a GARQ needs its recipient GIDC');

  // Malformed (parse error, payload hash mismatch, frame digest mismatch) → 0001.
  assert.equal(await nkOf(running, pub.c, readV16('negative/truncated_gidc.bin')), 0x0001);
  assert.equal(await nkOf(running, pub.c, readV16('negative/geoc_payload_bitflip.bin')), 0x0001);
  assert.equal(await nkOf(running, pub.c, readV16('negative/gobd_ghid_bitflip.bin')), 0x0001);
  assert.equal(await nkOf(running, pub.c, Buffer.from('GIDC and then nonsense')), 0x0001);

  // The valid order (vectors README §2.6 item 10): GIDCs; the GOBS then GEOC #3; each frame then its container.
  for (const g of gidcs) assert.equal(await pub.c.publish(g.raw), true);
  assert.equal(await pub.c.publish(gidcs[0]!.raw), false, 'already stored → AK 00');
  assert.equal(await nkOf(running, pub.c, readV16('negative/geoc_wrong_signature.bin')), 0x0002, 'bad signature');
  assert.equal(await pub.c.publish(gobs.raw), true);
  assert.equal(await pub.c.publish(geoc3.raw), true);
  for (let n = 0; n < 10; n++) {
    assert.equal(await pub.c.publish(frame(n).raw), true, `frame ${n}`);
    assert.equal(await pub.c.publish(chainGeoc(n).raw), true, `container ${n}`);
  }

  // Read back byte for byte.
  for (const o of [...gidcs, gobs, geoc3, frame(9), chainGeoc(9)]) assert.deepEqual(await pub.c.get(ghidOf(o)), o.raw, `${o.obj.type} ${o.entry.file}`);
  assert.deepEqual(await pub.c.get(dynamic), frame(9).raw, 'GT of the dynamic GHID is frame 9');
  assert.deepEqual((await pub.c.bindings(ghidOf(geoc3))).map(String), [gobs.entry.ghid]);

  // The subscriber saw every frame, in order, once its container had arrived; the publisher saw none.
  await until(() => sub.notes.length >= 10, 'ten frame notifications');
  assert.deepEqual(
    sub.notes.map((n) => [n.subscribed, n.raw.toString('hex')]),
    Array.from({ length: 10 }, (_, n) => [dynamic.text, frame(n).raw.toString('hex')]),
  );

  // Containers nothing binds → 0004; an older frame → 0009; bob debinding alice's GOBS → 0007.
  for (let i = 4; i <= 10; i++) assert.equal(await nkOf(running, pub.c, at(i).raw, ghidOf(at(i))), 0x0004, `GEOC #${i}`);
  assert.equal(await nkOf(running, pub.c, frame(3).raw), 0x0009, 'counter not increasing');
  assert.equal(await pub.c.publish(frame(9).raw), false, 're-publishing the current frame is a no-op AK 00');
  const wrongDebinder = await makeDebinding(bob, ghidOf(gobs));
  assert.equal(await nkOf(running, pub.c, wrongDebinder.raw, wrongDebinder.ghid), 0x0007, 'wrong debinder');

  // GARQs: accepted, announced live to the other subscriber of the recipient, replayed on +S.
  for (const g of garqs) assert.equal(await pub.c.publish(g.raw), true);
  await until(() => sub.notes.length >= 14, 'four live GARQ notifications');
  assert.deepEqual(
    sub.notes.slice(10).map((n) => [n.subscribed, n.raw.toString('hex')]),
    garqs.map((g) => [bob.ghid.text, g.raw.toString('hex')]),
  );
  const late = await client();
  await late.c.subscribe(bob.ghid);
  await until(() => late.notes.length >= 4, 'the +S replay');
  assert.deepEqual(late.notes.map((n) => n.raw.toString('hex')).sort(), garqs.map((g) => g.raw.toString('hex')).sort());
  assert.ok(late.notes.every((n) => n.subscribed === bob.ghid.text));

  // Debindings: GDXX #32 removes the GOBS (and collects GEOC #3); replaying it → 0005; GDXX #34 lifts that.
  assert.equal(await pub.c.publish(at(32).raw), true);
  assert.equal(await pub.c.exists(ghidOf(gobs)), false);
  assert.equal(await pub.c.exists(ghidOf(geoc3)), false, 'its container is collected');
  assert.equal(await nkOf(running, pub.c, gobs.raw, ghidOf(gobs)), 0x0005, 'debound replay');
  assert.equal(await pub.c.publish(at(34).raw), true);
  assert.equal(await pub.c.publish(gobs.raw), true, 'accepted again once its debinding is debound');

  // GDXX #33 removes the dynamic binding: GT → 0008, and the GDXX goes to the other subscriber.
  const notesBefore = sub.notes.length;
  assert.equal(await pub.c.publish(at(33).raw), true);
  await assert.rejects(pub.c.get(dynamic), (err: unknown) => err instanceof HypergolixError && err.code === 0x0008);
  await until(() => sub.notes.length > notesBefore, 'the GDXX notification');
  assert.deepEqual(sub.notes.at(-1), { subscribed: dynamic.text, raw: at(33).raw });

  // Bob (from his own connection) debinds a GARQ addressed to him: its subscribers hear of it, he does not.
  const bobConn = await client();
  await bobConn.c.subscribe(bob.ghid);
  await until(() => bobConn.notes.length >= 4, 'bob’s replay');
  const subBefore = sub.notes.length;
  const debindGarq = await makeDebinding(bob, ghidOf(garqs[0]!));
  assert.equal(await bobConn.c.publish(debindGarq.raw), true);
  assert.equal(await pub.c.exists(ghidOf(garqs[0]!)), false);
  await until(() => sub.notes.length > subBefore, 'the GARQ debinding notification');
  assert.deepEqual(sub.notes.at(-1), { subscribed: bob.ghid.text, raw: debindGarq.raw });
  await sleep(50);
  assert.equal(bobConn.notes.length, 4, 'the publisher of the debinding is skipped');
  // Alice may not debind a request addressed to Bob.
  const aliceOnGarq = await makeDebinding(alice, ghidOf(garqs[1]!));
  assert.equal(await nkOf(running, pub.c, aliceOnGarq.raw, aliceOnGarq.ghid), 0x0007);

  // The first connection, subscribed to everything it published, never heard of its own objects:
  // only of the debinding Bob published from his connection.
  assert.deepEqual(pub.notes, [{ subscribed: bob.ghid.text, raw: debindGarq.raw }]);
  assert.equal(running.metrics.rejectionsOf(0x0004), 7);
});

test('the store persists across a graceful restart of the host; /healthz and /metrics on the same port', async (t) => {
  const home = await serverHome(await backendKeys());
  const config = { ...home.config, server: { ...home.config.server, port: 0 } };
  const first = await startServer(config);
  const c = new RemoteClient({ host: '127.0.0.1', port: first.address.port, backoff: { initialMs: 10, maxMs: 50 } });
  c.start();
  await c.whenConnected(5000);
  for (const o of [...gidcs, gobs, geoc3]) await c.publish(o.raw);
  const health = await httpGet(first.address.port, '/healthz');
  assert.deepEqual([health.status, JSON.parse(health.body)], [200, { status: 'ok' }]);
  const page = (await httpGet(first.address.port, '/metrics')).body;
  assert.equal(metric(page, 'hypergolix_objects_stored'), 5);
  assert.equal(metric(page, 'hypergolix_connections_open'), 1);
  assert.equal(metric(page, 'hypergolix_publish_duration_seconds_count'), 5);
  const commits = metric(page, 'hypergolix_store_commit_duration_seconds_count')!;
  assert.ok(commits >= 1 && commits <= 5, `the file store timed its journal commits (${commits})`);
  assert.ok(metric(page, 'hypergolix_store_commit_duration_seconds_sum')! > 0);
  await c.close();
  await first.close();
  await first.close(); // idempotent

  const second = await startServer(config);
  t.after(() => second.close());
  assert.equal(second.objectsAtStart, 5);
  assert.deepEqual(second.storeWarnings, [], 'a graceful stop needs no recovery');
  assert.deepEqual(await second.engine.get(ghidOf(geoc3)), geoc3.raw);
});

test('malformed frames get NK or a clean close while another client keeps being served', async (t) => {
  const { running, client } = await host(t, { max_message_bytes: '64 KiB' });
  const bystander = await client();
  await bystander.c.subscribe(dynamic);
  for (const g of gidcs) await bystander.c.publish(g.raw);
  const other = await client();

  // The bystander keeps a steady stream of requests going while the attacks happen.
  let served = 0;
  let failed: unknown = null;
  let stop = false;
  const stream = (async () => {
    while (!stop) {
      try {
        await bystander.c.ping();
        assert.deepEqual(await bystander.c.get(ghidOf(gidcs[0]!)), gidcs[0]!.raw);
        served++;
      } catch (err) {
        failed = err;
        return;
      }
    }
  })();

  const url = `ws://127.0.0.1:${running.address.port}/`;
  const peer = await RawPeer.connect(url);
  const nak = async (data: Uint8Array | string, token: number, code: number) => {
    peer.send(data);
    const f = await peer.next(5000);
    assert.equal(f.code, 'NK');
    assert.equal(f.token, token);
    assert.equal(decodeNak(f.body).code, code);
  };
  await nak(Buffer.of(0), 0, 0x000e); // short
  await nak(Buffer.of(0, 0, 0x50), 0, 0x000e); // still shorter than a header
  const wrongVersion = Buffer.from(encodeFrame('??', 41));
  wrongVersion.writeUInt16BE(1, 0);
  await nak(wrongVersion, 41, 0x000e);
  await nak(encodeFrame('ZZ', 42), 42, 0x000e); // unknown verb
  await nak(Buffer.from('\x00\x00PB\x00\x2b' + 'garbage'.repeat(20), 'latin1'), 43, 0x0001); // garbage object
  await nak(encodeFrame('GT', 44, Buffer.alloc(64, 7)), 44, 0x0001); // not a GHID
  await nak(encodeFrame('+S', 45, Buffer.alloc(200, 1)), 45, 0x0001); // not a GHID either
  peer.send(encodeFrame('??', 46));
  assert.deepEqual(await peer.next(), { code: 'AK', token: 46, body: Buffer.of(1) }, 'the same connection still works');

  const texter = await RawPeer.connect(url);
  texter.send('PB hello');
  assert.equal((await texter.closed()).code, 1003, 'text messages: clean close (unsupported data)');
  const big = await RawPeer.connect(url);
  big.send(encodeFrame('PB', 1, Buffer.alloc(65 * 1024)));
  assert.equal((await big.closed()).code, 1009, 'oversize: clean close (message too big)');
  const noise = await RawPeer.connect(url);
  for (let i = 0; i < 50; i++) noise.send(Buffer.from(Array.from({ length: 1 + ((i * 37) % 90) }, (_, k) => (k * 131 + i) & 0xff)));
  await until(() => noise.frames.length >= 50 || noise.closeInfo !== null, 'answers to 50 random frames');
  assert.ok(noise.frames.every((f) => f.code === 'NK'), 'random bytes only ever get NK');

  // Meanwhile: another client publishes a frame, and the bystander is told.
  assert.equal(await other.c.publish(at(11).raw), true);
  assert.equal(await other.c.publish(frame(0).raw), true);
  assert.equal(await other.c.publish(chainGeoc(0).raw), true);
  await until(() => bystander.notes.length === 1, 'the bystander’s notification');
  stop = true;
  await stream;
  assert.equal(failed, null);
  assert.ok(served > 0, 'the bystander was served throughout');
  const health = await httpGet(running.address.port, '/healthz');
  assert.equal(health.status, 200);
  for (const p of [peer, texter, big, noise]) p.close();
});
