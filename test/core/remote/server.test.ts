import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import {
  CommsError,
  DoesNotExist,
  Ghid,
  HypergolixError,
  InconsistentAuthor,
  MalformedGolixPrimitive,
  RemoteNak,
} from '../../../src/core/golix/index.js';
import { PersistenceServer } from '../../../src/core/remote/server.js';
import { decodeGhidList } from '../../../src/core/remote/bodies.js';
import { decodeNak, encodeFrame } from '../../../src/wire/index.js';
import { FakeEngine } from '../../fixtures/remote/fake-engine.js';
import { RawPeer, memoryLogger, sleep, waitFor } from '../../fixtures/remote/helpers.js';
import { startServer, vectors } from '../../fixtures/remote/setup.js';

const V = vectors();
const frameA = V.frames[0]!;
const frameB = V.frames[1]!;

type Note = { subscribed: Ghid; raw: Buffer };
function collect(client: { on(e: 'notification', l: (s: Ghid, r: Buffer) => void): unknown }): Note[] {
  const notes: Note[] = [];
  client.on('notification', (subscribed, raw) => void notes.push({ subscribed, raw }));
  return notes;
}

test('every verb round-trips', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const c = await s.client();

  await c.ping();
  assert.equal(await c.publish(V.gidcs[0]!.raw), true);
  assert.equal(await c.publish(V.gidcs[0]!.raw), false, 'already stored → 00');
  for (const o of [V.geocs[0]!, V.gobs, frameA, frameB]) assert.equal(await c.publish(o.raw), true);

  assert.deepEqual(await c.get(V.gidcs[0]!.obj.ghid), V.gidcs[0]!.raw);
  assert.deepEqual(await c.get(V.dynamic), frameB.raw, 'a dynamic GHID gives the current frame');
  await assert.rejects(c.get(V.ids[2]), DoesNotExist);

  assert.equal(await c.exists(V.gidcs[0]!.obj.ghid), true);
  assert.equal(await c.exists(V.ids[2]), false);
  assert.deepEqual((await c.bindings(V.geocs[0]!.obj.ghid)).map(String), [V.gobs.obj.ghid.text]);
  assert.deepEqual(await c.debindings(V.gobs.obj.ghid), []);
  await c.publish(V.gdxx[0]!.raw);
  assert.deepEqual((await c.debindings(V.gobs.obj.ghid)).map(String), [V.gdxx[0]!.obj.ghid.text]);

  await c.subscribe(V.dynamic);
  await c.subscribe(V.ids[0]);
  await c.subscribe(V.dynamic); // idempotent
  assert.deepEqual((await c.listSubscriptions()).map(String), [V.dynamic.text, V.ids[0].text]);
  assert.equal(await c.unsubscribe(V.ids[0]), true);
  assert.equal(await c.unsubscribe(V.ids[0]), false);
  assert.equal(s.server.subscriptionCount, 1);
  await c.disconnect();
  assert.deepEqual(await c.listSubscriptions(), []);
  assert.equal(s.server.subscriptionCount, 0);
});

test('a publish notifies every other subscribed connection, never the publisher', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const [pub, sub, other] = await Promise.all([s.client(), s.client(), s.client()]);
  const [pubNotes, subNotes, otherNotes] = [collect(pub), collect(sub), collect(other)];
  await pub.subscribe(V.dynamic);
  await sub.subscribe(V.dynamic);

  await pub.publish(frameA.raw);
  await waitFor(() => subNotes.length === 1, 2000, 'the !! to the subscriber');
  assert.equal(subNotes[0]!.subscribed.text, V.dynamic.text);
  assert.deepEqual(subNotes[0]!.raw, frameA.raw);

  // The subscriber publishes the next frame: now only the first client hears of it.
  await sub.publish(frameB.raw);
  await waitFor(() => pubNotes.length === 1, 2000, 'the !! back to the first client');
  assert.deepEqual(pubNotes[0]!.raw, frameB.raw);
  await sleep(30);
  assert.equal(subNotes.length, 1, 'the publisher is skipped');
  assert.equal(otherNotes.length, 0, 'unsubscribed connections hear nothing');
  assert.equal(s.server.metrics.notificationsSent, 2);
  await waitFor(() => s.server.metrics.notificationsFailed === 0);

  // A re-publish of a stored object changes nothing and notifies nobody.
  assert.equal(await pub.publish(frameA.raw), false);
  await sleep(30);
  assert.equal(subNotes.length, 1);
});

test('+S replays every stored GARQ for the recipient, after its AK', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const sender = await s.client();
  for (const g of V.garqs) await sender.publish(g.raw);
  const recipient = await s.client();
  const notes = collect(recipient);
  await recipient.subscribe(V.recipient);
  await waitFor(() => notes.length === V.garqs.length, 2000, 'the GARQ replay');
  assert.ok(notes.every((n) => n.subscribed.text === V.recipient.text));
  assert.deepEqual(notes.map((n) => n.raw.toString('hex')).sort(), V.garqs.map((g) => g.raw.toString('hex')).sort());
  // Subscribing to something without requests replays nothing.
  await recipient.subscribe(V.ids[2]);
  await sleep(30);
  assert.equal(notes.length, V.garqs.length);
});

test('XX drops all of the connection’s subscriptions', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const [a, b] = await Promise.all([s.client(), s.client()]);
  const notes = collect(b);
  await b.subscribe(V.dynamic);
  await b.subscribe(V.recipient);
  await b.disconnect();
  assert.equal(b.connected, true, 'XX keeps the socket');
  await a.publish(frameA.raw);
  await a.publish(V.garqs[0]!.raw);
  await sleep(50);
  assert.equal(notes.length, 0);
});

test('malformed input gets NK or a clean close, and the server keeps serving everyone', async (t) => {
  const s = await startServer({ maxMessageBytes: 64 * 1024 });
  t.after(() => s.stop());
  const bystander = await s.client();
  await bystander.subscribe(V.dynamic);
  const notes = collect(bystander);
  const peer = await RawPeer.connect(s.url);

  const expectNak = async (frame: Uint8Array | string, token: number, code: number) => {
    peer.send(frame);
    const nk = await peer.next();
    assert.equal(nk.code, 'NK');
    assert.equal(nk.token, token);
    assert.equal(decodeNak(nk.body).code, code);
  };
  await expectNak(Buffer.of(0, 0), 0, 0x000e); // short
  await expectNak(Buffer.from('not a frame at all, just bytes'), 0x6120, 0x000e); // garbage: "no" is not version 0, "a " is the token
  const v9 = Buffer.from(encodeFrame('??', 300));
  v9.writeUInt16BE(9, 0);
  await expectNak(v9, 300, 0x000e); // wrong version
  await expectNak(encodeFrame('Q?', 301), 301, 0x000e); // unknown verb
  await expectNak(encodeFrame('!!', 302, Buffer.alloc(80)), 302, 0x000e); // a server-bound !! is not a server verb
  await expectNak(encodeFrame('PB', 303, Buffer.from('GIDC but not really')), 303, 0x0001); // about the object
  await expectNak(encodeFrame('GT', 304, Buffer.alloc(10, 1)), 304, 0x0001); // not a GHID
  await expectNak(encodeFrame('+S', 305, Buffer.alloc(65)), 305, 0x0001); // algo 0
  await expectNak(encodeFrame('GT', 306, V.ids[2].bytes), 306, 0x0008);
  peer.send(encodeFrame('??', 307));
  assert.deepEqual(await peer.next(), { code: 'AK', token: 307, body: Buffer.of(1) });

  const texter = await RawPeer.connect(s.url);
  texter.send('{"hello":"json"}');
  assert.equal((await texter.closed()).code, 1003);

  const big = await RawPeer.connect(s.url);
  big.send(encodeFrame('PB', 1, Buffer.alloc(70 * 1024)));
  assert.equal((await big.closed()).code, 1009);

  // Everyone else is still served, notifications included.
  await bystander.ping();
  const other = await s.client();
  await other.publish(frameA.raw);
  await waitFor(() => notes.length === 1);
  peer.send(encodeFrame('??', 308));
  assert.equal((await peer.next()).code, 'AK');
  assert.equal(s.server.metrics.rejectionsOf(0x000e), 6);
  assert.equal(s.server.metrics.rejectionsOf(0x0001), 3);
  peer.close();
});

test('engine errors map to NK codes: ours keep theirs, anything else is FFFF', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const c = await s.client();
  s.engine.beforeIngest = () => {
    throw new InconsistentAuthor('binder differs');
  };
  await assert.rejects(c.publish(frameA.raw), (err: unknown) => err instanceof InconsistentAuthor && err.message === 'binder differs');
  s.engine.beforeIngest = () => {
    throw new Error('disk on fire at /secret/path');
  };
  await assert.rejects(c.publish(frameA.raw), (err: unknown) => err instanceof HypergolixError && err.message === 'Internal error');
  s.engine.beforeIngest = null;
  await assert.rejects(c.publish(Buffer.from('junk')), MalformedGolixPrimitive);
  assert.equal(await c.publish(frameA.raw), true);
  assert.equal(s.server.metrics.rejectionsOf(0xffff), 1);
  assert.equal(s.server.metrics.rejectionsOf(0x0007), 1);
});

test('a subscriber that refuses a !! answers NK; the server just counts it', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const [a, b] = await Promise.all([s.client(), s.client()]);
  b.on('notification', () => {
    throw new DoesNotExist('container not found');
  });
  await b.subscribe(V.dynamic);
  await a.publish(frameA.raw);
  await waitFor(() => s.server.metrics.notificationsFailed === 1);
  assert.equal(s.server.metrics.rejectionsOf(0x0008), 0, 'NKs received are not NKs sent');
  await b.ping();
});

test('publishes on one connection are ingested in arrival order', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const order: string[] = [];
  s.engine.beforeIngest = async (raw) => {
    // The first object is slowest: without ordering it would land last.
    if (raw.equals(V.gidcs[0]!.raw)) await sleep(40);
    order.push(raw.toString('hex', 0, 40));
  };
  const c = await s.client();
  const objs = [V.gidcs[0]!, V.gidcs[1]!, V.gidcs[2]!];
  await Promise.all(objs.map((o) => c.publish(o.raw)));
  assert.deepEqual(order, objs.map((o) => o.raw.toString('hex', 0, 40)));
});

test('the publish allow-list refuses signed objects from others with NK 000A; GIDCs always pass', async (t) => {
  const [alice, bob, carol] = V.ids;
  const s = await startServer({ publishAllowlist: [alice, bob] });
  t.after(() => s.stop());
  const c = await s.client();
  for (const g of V.gidcs) assert.equal(await c.publish(g.raw), true);
  const byAlice = V.geocs.find((o) => o.entry.author === alice.text)!;
  const byCarol = V.geocs.find((o) => o.entry.author === carol.text)!;
  assert.equal(await c.publish(byAlice.raw), true);
  await assert.rejects(c.publish(byCarol.raw), (err: unknown) => err instanceof RemoteNak && /may not publish/.test(err.message) && err.reason === 'allowlist');
  assert.equal(s.engine.objects.has(byCarol.obj.ghid.text), false);
  assert.equal(await c.publish(V.garqs[0]!.raw), true, 'a request to an allowed identity (bob) passes');

  const strict = await startServer({ publishAllowlist: [alice] });
  t.after(() => strict.stop());
  const d = await strict.client();
  await assert.rejects(d.publish(V.garqs[0]!.raw), RemoteNak, 'a request to an identity not on the list is refused');
  assert.equal(strict.server.metrics.rejectionsOf(0x000a), 1);
});

test('subscriptions per connection are bounded', async (t) => {
  const s = await startServer({ maxSubscriptionsPerConnection: 2 });
  t.after(() => s.stop());
  const c = await s.client();
  await c.subscribe(V.ids[0]);
  await c.subscribe(V.ids[1]);
  await assert.rejects(c.subscribe(V.ids[2]), (err: unknown) => err instanceof RemoteNak && err.reason === 'subscriptions' && err.retryAfterMs === undefined);
  await c.subscribe(V.ids[1]); // already held: not a new one
  assert.equal(await c.unsubscribe(V.ids[0]), true);
  await c.subscribe(V.ids[2]);
});

test('WebSocket ping/pong drops a dead peer and keeps live ones', async (t) => {
  const s = await startServer({ pingIntervalMs: 100 });
  t.after(() => s.stop());
  const live = await s.client({ heartbeatMs: 0 });
  const dead = await RawPeer.connect(s.url, { autoPong: false });
  await waitFor(() => s.server.connectionCount === 2);
  const info = await dead.closed(3000);
  assert.equal(info.code, 1006, 'terminated, no closing handshake');
  await waitFor(() => s.server.connectionCount === 1);
  await sleep(100);
  assert.equal(live.connected, true);
  await live.ping();
});

test('/healthz and /metrics over plain HTTP on the WebSocket port; another method 405, anything else 404', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const c = await s.client();
  await c.subscribe(V.dynamic);
  await c.publish(V.gidcs[0]!.raw);
  await c.publish(frameA.raw);
  await assert.rejects(c.get(V.ids[2]));
  const base = `http://127.0.0.1:${s.port}`;

  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });

  const metrics = await fetch(`${base}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
  const text = await metrics.text();
  for (const line of [
    'hypergolix_ready 1',
    'hypergolix_objects_stored 2',
    'hypergolix_objects_stored_by_type{type="GIDC"} 1',
    'hypergolix_objects_stored_by_type{type="GOBD"} 1',
    'hypergolix_connections_open 1',
    'hypergolix_subscriptions 1',
    'hypergolix_publishes_total 2',
    'hypergolix_rejections_total{code="0008",name="DoesNotExist"} 1',
    'hypergolix_notifications_sent_total 0',
  ]) {
    assert.ok(text.split('\n').includes(line), `missing: ${line}\n${text}`);
  }
  assert.match(text, /^# TYPE hypergolix_publishes_total counter$/m);
  assert.match(text, /^# TYPE hypergolix_publish_duration_seconds histogram$/m);
  assert.ok(text.split('\n').includes('hypergolix_publish_duration_seconds_count 2'), 'both accepted publishes timed');
  assert.ok(text.split('\n').includes('hypergolix_publish_duration_seconds_bucket{le="+Inf"} 2'));
  assert.doesNotMatch(text, /hypergolix_store_commit_duration_seconds/, 'an in-memory store makes nothing durable, so it reports no commits');
  assert.match(text, /^hypergolix_publishes_per_second 0\.0333$/m, 'two publishes over a one-minute window');

  assert.equal((await fetch(`${base}/`)).status, 404);
  assert.equal((await fetch(`${base}/healthz/x`)).status, 404);
  const post = await fetch(`${base}/metrics`, { method: 'POST' });
  assert.equal(post.status, 405, 'the page is there; the method is not');
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  assert.equal((await fetch(`${base}/healthz`, { method: 'DELETE' })).status, 405);
  assert.equal((await fetch(`${base}/healthz`, { method: 'HEAD' })).status, 200);

  // What HTTP cannot parse is answered, then closed: headers past Node's limit 431, garbage 400.
  const raw = async (request: string) => {
    const socket = connect(s.port, '127.0.0.1');
    socket.end(request);
    const chunks: Buffer[] = [];
    for await (const chunk of socket) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('latin1').split('\r\n')[0];
  };
  assert.equal(await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 'HTTP/1.1 431 Request Header Fields Too Large');
  assert.equal(await raw('NOT HTTP AT ALL\r\n\r\n'), 'HTTP/1.1 400 Bad Request');
  assert.equal((await fetch(`${base}/healthz`)).status, 200, 'and the server goes on');
});

test('until the store is ready: /healthz 503 and WebSocket upgrades refused', async (t) => {
  let open!: (e: FakeEngine) => void;
  const engine = new Promise<FakeEngine>((r) => (open = r));
  const server = new PersistenceServer({ engine, host: null, port: 0 });
  t.after(() => server.close());
  const { host, port } = await server.listen();
  assert.equal(host, '127.0.0.1');
  const starting = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(starting.status, 503);
  assert.deepEqual(await starting.json(), { status: 'starting' });
  assert.match(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), /^hypergolix_ready 0$/m);
  await assert.rejects(RawPeer.connect(`ws://127.0.0.1:${port}/`), /503/);

  open(new FakeEngine());
  await server.whenReady();
  assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  const peer = await RawPeer.connect(`ws://127.0.0.1:${port}/any/path`);
  peer.send(encodeFrame('??', 1));
  assert.equal((await peer.next()).code, 'AK');
  peer.close();
});

test('a store that fails to open keeps the server unready', async (t) => {
  const logger = memoryLogger();
  const server = new PersistenceServer({ engine: Promise.reject(new Error('corrupt index')), host: '127.0.0.1', port: 0, logger });
  t.after(() => server.close());
  const { port } = await server.listen();
  await server.whenReady();
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { status: 'failed' });
  // Whoever handed over the engine promise reports its failure (once); the server keeps the detail at debug.
  assert.ok(logger.lines.some((l) => l.startsWith('debug') && l.includes('corrupt index')));
  assert.ok(!logger.lines.some((l) => l.startsWith('error')), 'not printed a second time');
});

test('close() lets in-flight publishes finish and answer, then closes connections with 1001', async () => {
  const s = await startServer();
  const c = await s.client();
  const closes: number[] = [];
  c.on('disconnected', (info) => closes.push(info.code));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  s.engine.beforeIngest = () => gate;
  const publishing = c.publish(frameA.raw);
  await waitFor(() => (s.server as unknown as { inFlight: Set<unknown> }).inFlight.size === 1);

  let closed = false;
  const closing = s.server.close().then(() => (closed = true));
  await sleep(50);
  assert.equal(closed, false, 'close waits for the ingest');
  // A publish arriving now is refused for now, and the NK details say so and when to come back.
  await assert.rejects(c.publish(V.gidcs[0]!.raw), (err: unknown) => err instanceof RemoteNak && err.reason === 'shutting_down' && err.retryAfterMs === 1000);
  assert.equal((await fetch(`http://127.0.0.1:${s.port}/healthz`).catch(() => null))?.status ?? 'refused', 'refused', 'no new connections');
  release();
  assert.equal(await publishing, true, 'the in-flight publish is answered');
  await closing;
  await waitFor(() => closes.length === 1);
  assert.equal(closes[0], 1001);
  await c.close();
  assert.equal(s.server.connectionCount, 0);
});

test('listen() on a port in use fails with a clear CommsError', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const second = new PersistenceServer({ engine: new FakeEngine(), host: '127.0.0.1', port: s.port });
  await assert.rejects(second.listen(), (err: unknown) => err instanceof CommsError && /already in use/.test((err as Error).message));
  await second.close();
});

test('a raw !! answer with garbage does not disturb the server', async (t) => {
  // A subscriber answering !! with a frame of the wrong version: the push fails, nothing else.
  const s = await startServer();
  t.after(() => s.stop());
  const pub = await s.client();
  const raw = await RawPeer.connect(s.url);
  raw.send(encodeFrame('+S', 1, V.dynamic.bytes));
  assert.equal((await raw.next()).code, 'AK');
  await pub.publish(frameA.raw);
  const push = await raw.next();
  assert.equal(push.code, '!!');
  assert.deepEqual(decodeGhidList(push.body.subarray(0, 65)).map(String), [V.dynamic.text]);
  const bad = Buffer.from(encodeFrame('AK', push.token, Buffer.of(1)));
  bad.writeUInt16BE(0xffff, 0);
  raw.send(bad);
  await waitFor(() => s.server.metrics.notificationsFailed === 1);
  await sleep(20);
  assert.equal(raw.frames.length, 0, 'no NK for a broken answer');
  await pub.ping();
  raw.close();
});


test('a large +S replay is windowed, so a subscriber gets every !! without being flooded', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const garq = V.garqs[0]!.raw;
  s.engine.requestsFor = async () => Array.from({ length: 1000 }, () => garq);
  const c = await s.client();
  let peak = 0;
  let received = 0;
  c.on('notification', async () => {
    peak = Math.max(peak, (s.server as unknown as { peers: Set<{ connection: { outstanding: number } }> }).peers.values().next().value!.connection.outstanding);
    await sleep(1);
    received++;
  });
  await c.subscribe(V.recipient);
  await waitFor(() => received === 1000, 5000, 'all 1000 replays');
  assert.ok(peak <= 128, `at most 128 !! in flight, saw ${peak}`);
  await waitFor(() => s.server.metrics.notificationsSent === 1000);
  assert.equal(s.server.metrics.notificationsFailed, 0);
});
