import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type ServerOptions } from 'ws';
import { CommsError, DoesNotExist } from '../../../src/core/golix/index.js';
import { RemoteClient, backoffDelay } from '../../../src/core/remote/client.js';
import { Connection } from '../../../src/core/remote/connection.js';
import { PersistenceServer } from '../../../src/core/remote/server.js';
import { ONE } from '../../../src/core/remote/bodies.js';
import { decodeFrame, type Frame } from '../../../src/wire/index.js';
import { FakeEngine } from '../../fixtures/remote/fake-engine.js';
import { memoryLogger, sleep, waitFor } from '../../fixtures/remote/helpers.js';
import { startServer, vectors } from '../../fixtures/remote/setup.js';
import { freePort } from '../../fixtures/free-port.js';

const V = vectors();

/** Whether `p` has settled by the next turn of the event loop (no socket, no timer involved). */
async function settlesAtOnce(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setImmediate(r));
  return settled;
}

test('back-off: full jitter under an exponential ceiling capped at maxMs', () => {
  const opts = { initialMs: 100, maxMs: 30_000 };
  assert.equal(backoffDelay(0, opts, () => 0.999999) < 100, true);
  assert.equal(backoffDelay(3, { ...opts, jitter: 'none' }), 800);
  assert.equal(backoffDelay(20, { ...opts, jitter: 'none' }), 30_000);
  assert.equal(backoffDelay(5000, { ...opts, jitter: 'none' }), 30_000, 'no overflow for huge attempt counts');
  assert.equal(backoffDelay(20, opts, () => 0), 0);
  assert.equal(backoffDelay(2, { ...opts, jitter: 'equal' }, () => 0), 200);
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(i % 20, opts);
    assert.ok(d >= 0 && d <= 30_000);
  }
  assert.equal(backoffDelay(0, {}, () => 0.5), 50, 'defaults: 100 ms initial');
});

test('calls while disconnected reject at once with CommsError', async () => {
  const c = new RemoteClient({ host: '127.0.0.1', port: 1 });
  assert.equal(await settlesAtOnce(c.publish(Buffer.of(1))), true);
  await assert.rejects(c.publish(Buffer.of(1)), (err: unknown) => err instanceof CommsError && /not connected/.test((err as Error).message));
  await assert.rejects(c.get(V.ids[0]), CommsError);
  await assert.rejects(c.whenConnected(), /not started/);
  await c.close();
});

test('reconnects with back-off after the server restarts on the same port and says connected again', async () => {
  const first = await startServer();
  const port = first.port;
  const c = new RemoteClient({ host: '127.0.0.1', port, backoff: { initialMs: 10, maxMs: 50 }, heartbeatMs: 0 });
  const events: string[] = [];
  c.on('connected', () => events.push('connected'));
  c.on('disconnected', (info) => events.push(`disconnected ${info.code}`));
  c.start();
  c.start(); // idempotent
  await c.whenConnected(2000);
  await c.subscribe(V.dynamic);

  await first.server.close();
  await waitFor(() => events.includes('disconnected 1001'));
  assert.equal(c.connected, false);
  assert.equal(await settlesAtOnce(c.ping()), true, 'fails fast');
  await assert.rejects(c.ping(), /not connected/);
  await sleep(120); // several failed attempts against a closed port

  const engine = new FakeEngine();
  const second = new PersistenceServer({ engine, host: '127.0.0.1', port });
  await second.listen();
  await c.whenConnected(2000);
  assert.deepEqual(events, ['connected', 'disconnected 1001', 'connected']);
  assert.deepEqual(await c.listSubscriptions(), [], 'subscriptions are per connection; the daemon resubscribes');
  assert.equal(await c.publish(V.gidcs[0]!.raw), true);
  await c.close();
  await second.close();
});

test('whenConnected: waits through refusals by default; with untilRefused the first refusal ends the wait, with its code', { timeout: 30_000 }, async () => {
  const port = await freePort();
  const c = new RemoteClient({ host: '127.0.0.1', port, backoff: { initialMs: 10, maxMs: 20 } });
  const failures: (string | null)[] = [];
  c.on('connect-failed', (f) => failures.push(f.code));
  c.start();
  await assert.rejects(c.whenConnected(300), /not connected within 300 ms/);
  assert.ok(failures.length > 1 && failures.every((code) => code === 'ECONNREFUSED'), `several refused attempts were waited through: ${failures}`);
  // A wait far longer than this test's own bound: only the refusal can end it.
  await assert.rejects(c.whenConnected(600_000, { untilRefused: true }), (err: unknown) => err instanceof CommsError && /ECONNREFUSED/.test((err as Error).message));
  assert.equal(c.lastFailure?.code, 'ECONNREFUSED');
  assert.equal(c.listenerCount('connect-failed'), 1, 'a settled wait leaves no listener behind');

  // Connected once the server is there; a wait begun before then resolves, and it too cleans up.
  const waiting = c.whenConnected(5_000);
  const server = new PersistenceServer({ engine: new FakeEngine(), host: '127.0.0.1', port });
  await server.listen();
  await waiting;
  assert.equal(c.listenerCount('connect-failed'), 1);
  await c.close();
  await server.close();
});

test('tryNow: a client waiting out a long back-off tries at once, tells how that try ended, and its back-off starts over', { timeout: 30_000 }, async () => {
  const port = await freePort();
  const c = new RemoteClient({ host: '127.0.0.1', port, backoff: { initialMs: 20_000, maxMs: 60_000, jitter: 'none' } });
  assert.equal(await c.tryNow(), false, 'not started: nothing to try');
  assert.equal(c.nextAttemptAt, null);
  const failures: (string | null)[] = [];
  c.on('connect-failed', (f) => failures.push(f.code));
  c.start();
  await waitFor(() => c.nextAttemptAt !== null);
  assert.ok(c.nextAttemptAt! > Date.now() + 15_000, 'the next try is 20 s away');
  assert.equal(await c.tryNow(), false, 'nothing listening: the try fails');
  assert.deepEqual(failures, ['ECONNREFUSED', 'ECONNREFUSED'], 'one try, at once');
  assert.notEqual(c.nextAttemptAt, null, 'told once the next try is set');
  // Its back-off started over: 20 s again, not the 40 s of a second failure in a row.
  assert.ok(c.nextAttemptAt! <= Date.now() + 20_000, `the back-off starts over: ${c.nextAttemptAt! - Date.now()} ms`);

  const server = new PersistenceServer({ engine: new FakeEngine(), host: '127.0.0.1', port });
  await server.listen();
  // Two asking at once share the one try.
  assert.deepEqual(await Promise.all([c.tryNow(), c.tryNow()]), [true, true]);
  assert.equal(c.connected, true);
  assert.equal(c.nextAttemptAt, null);
  assert.equal(await c.tryNow(), true, 'connected: at once');
  assert.equal(c.listenerCount('retry-scheduled'), 0, 'no listener left behind');
  assert.equal(c.listenerCount('connected'), 0);
  await c.close();
  assert.equal(await c.tryNow(), false, 'closed: nothing to try');
  await server.close();
});

test('close() sends XX, closes, and stops reconnecting', async () => {
  const logger = memoryLogger();
  const s = await startServer({ logger });
  const c = new RemoteClient({ host: '127.0.0.1', port: s.port, backoff: { initialMs: 5, maxMs: 10 } });
  let connects = 0;
  c.on('connected', () => connects++);
  c.start();
  await c.whenConnected(2000);
  await c.subscribe(V.dynamic);
  await c.close();
  assert.ok(logger.lines.some((l) => /^frame in .* XX #/.test(l)), 'XX was sent before closing');
  await waitFor(() => s.server.connectionCount === 0);
  await sleep(60);
  assert.equal(connects, 1, 'no reconnect after close()');
  await assert.rejects(c.whenConnected(), /not started/);
  await s.server.close();
});

test('close() while the server is unreachable ends the retry loop', async () => {
  const c = new RemoteClient({ host: '127.0.0.1', port: 1, backoff: { initialMs: 5, maxMs: 10 } });
  c.start();
  const waiting = c.whenConnected();
  await sleep(40);
  await c.close();
  await assert.rejects(waiting, /closed/);
});

test('a request without an answer times out with CommsError', async (t) => {
  const s = await startServer({ closeTimeoutMs: 200 });
  t.after(() => s.stop());
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  s.engine.beforeIngest = () => gate;
  const c = await s.client({ requestTimeoutMs: 80 });
  const t0 = Date.now();
  await assert.rejects(c.publish(V.gidcs[0]!.raw), (err: unknown) => err instanceof CommsError && /no answer within 80 ms/.test((err as Error).message));
  assert.ok(Date.now() - t0 >= 75);
  release();
  await c.ping();
});

/** A bare ws server on 127.0.0.1:0 that hands each socket to `onSocket`. */
async function bareServer(onSocket: (conn: Connection, frames: Frame[]) => void, options: ServerOptions = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, ...options });
  await once(wss, 'listening');
  wss.on('connection', (ws) => {
    const frames: Frame[] = [];
    ws.on('message', (d) => frames.push(decodeFrame(d as Buffer)));
    onSocket(new Connection(ws, { handlers: { '??': () => ONE, XX: () => ONE } }), frames);
  });
  return { wss, port: (wss.address() as AddressInfo).port };
}

test('!! is answered AK 01 after the listeners finish, NK with their code if one throws, NK 0001 if malformed', async (t) => {
  let server!: Connection;
  const { wss, port } = await bareServer((conn) => (server = conn));
  t.after(() => wss.close());
  const c = new RemoteClient({ host: '127.0.0.1', port, heartbeatMs: 0 });
  t.after(() => c.close());
  const seen: string[] = [];
  let fail = false;
  c.on('notification', async (subscribed, raw) => {
    await sleep(20);
    if (fail) throw new DoesNotExist('target container missing');
    seen.push(`${subscribed.text}:${raw.length}`);
  });
  c.start();
  await c.whenConnected(2000);
  await waitFor(() => server !== undefined);

  const body = Buffer.concat([V.dynamic.bytes, V.frames[0]!.raw]);
  const t0 = Date.now();
  assert.deepEqual(await server.request('!!', body), ONE);
  assert.ok(Date.now() - t0 >= 15, 'answered only after the async listener');
  assert.deepEqual(seen, [`${V.dynamic.text}:${V.frames[0]!.raw.length}`]);

  fail = true;
  await assert.rejects(server.request('!!', body), DoesNotExist);
  await assert.rejects(server.request('!!', V.dynamic.bytes), (err: unknown) => (err as { code?: number }).code === 0x0001);
  await assert.rejects(server.request('!!', Buffer.alloc(100)), (err: unknown) => (err as { code?: number }).code === 0x0001);
  // Verbs a client does not serve get 000E.
  await assert.rejects(server.request('PB', Buffer.of(1)), (err: unknown) => (err as { code?: number }).code === 0x000e);
  assert.deepEqual(await server.request('??'), ONE);
});

test('a server that stops answering pings is dropped and reconnected', async (t) => {
  let accepted = 0;
  const { wss, port } = await bareServer(() => accepted++, { autoPong: false });
  t.after(() => wss.close());
  const c = new RemoteClient({ host: '127.0.0.1', port, heartbeatMs: 30, backoff: { initialMs: 5, maxMs: 10 } });
  t.after(() => c.close());
  const codes: number[] = [];
  c.on('disconnected', (info) => codes.push(info.code));
  c.start();
  await waitFor(() => codes.length >= 1, 2000, 'the heartbeat to drop the silent server');
  assert.equal(codes[0], 1006);
  await waitFor(() => accepted >= 2, 2000, 'a reconnect');
});

function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('TLS: wss with a verified chain and host name; a wrong CA or name never connects', { skip: haveOpenssl() ? false : 'openssl not installed' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=hgx test CA', '-days', '1');
  ssl('req', ...ec, '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost\n');
  ssl('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt', '-days', '1', '-extfile', 'ext.cnf');
  const ca = readFileSync(join(dir, 'ca.crt'));

  const https = createHttpsServer({ key: readFileSync(join(dir, 'srv.key')), cert: readFileSync(join(dir, 'srv.crt')) });
  const wss = new WebSocketServer({ server: https, perMessageDeflate: false });
  wss.on('connection', (ws) => new Connection(ws, { handlers: { '??': () => ONE, XX: () => ONE } }));
  https.listen(0, '127.0.0.1');
  await once(https, 'listening');
  t.after(() => {
    wss.close();
    https.close();
  });
  const port = (https.address() as AddressInfo).port;
  const backoff = { initialMs: 5, maxMs: 20 };

  const good = new RemoteClient({ host: '127.0.0.1', port, tls: { ca, servername: 'localhost' }, backoff });
  assert.equal(good.url, `wss://127.0.0.1:${port}/`);
  good.start();
  await good.whenConnected(3000);
  await good.ping();
  await good.close();

  for (const tls of [true, { ca }] as const) {
    // Untrusted CA (system roots only), then the right CA but an IP that is not in the certificate.
    const logger = memoryLogger();
    const bad = new RemoteClient({ host: '127.0.0.1', port, tls, backoff, logger });
    let connected = false;
    bad.on('connected', () => (connected = true));
    bad.start();
    await waitFor(() => logger.lines.some((l) => l.includes('connect failed')), 3000);
    await sleep(50);
    assert.equal(connected, false);
    assert.ok(logger.lines.some((l) => /connect failed: .*certificate/i.test(l)), logger.lines.join('\n'));
    await bad.close();
  }
});


test('checkLink: a live link answers; a link gone silent is dropped at once and made again; a client away tries at once', { timeout: 30_000 }, async (t) => {
  let accepted = 0;
  const { wss, port } = await bareServer(() => accepted++, { autoPong: false });
  t.after(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
  // The heartbeat alone would take a minute or two to find the silent server out.
  const c = new RemoteClient({ host: '127.0.0.1', port, heartbeatMs: 60_000, backoff: { initialMs: 5, maxMs: 10 } });
  t.after(() => c.close());
  const codes: number[] = [];
  c.on('disconnected', (info) => codes.push(info.code));
  c.start();
  await c.whenConnected(2000);
  assert.equal(await c.checkLink(100), true, 'nothing heard: dropped, and made again at once');
  assert.deepEqual(codes, [1006]);
  assert.equal(accepted, 2, 'a new connection');

  const s = await startServer();
  t.after(() => s.stop());
  const live = await s.client();
  assert.equal(await live.checkLink(2_000), true, 'a server that answers pings keeps its link');
  assert.equal(live.connected, true);

  const away = new RemoteClient({ host: '127.0.0.1', port: await freePort(), backoff: { initialMs: 20_000, maxMs: 60_000, jitter: 'none' } });
  t.after(() => away.close());
  const failures: (string | null)[] = [];
  away.on('connect-failed', (f) => failures.push(f.code));
  away.start();
  await waitFor(() => away.nextAttemptAt !== null);
  assert.equal(await away.checkLink(), false, 'away: tried at once, and still away');
  assert.deepEqual(failures, ['ECONNREFUSED', 'ECONNREFUSED']);
});
