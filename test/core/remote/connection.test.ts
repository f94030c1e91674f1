import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { CommsError, DoesNotExist, HypergolixError, RemoteNak } from '../../../src/core/golix/index.js';
import { Connection, type ConnectionOptions } from '../../../src/core/remote/connection.js';
import { decodeNak, encodeAck, encodeFrame, encodeNak } from '../../../src/core/remote/wire.js';
import { RawPeer, memoryLogger, sleep, waitFor } from '../../fixtures/remote/helpers.js';

const servers: WebSocketServer[] = [];
after(() => servers.forEach((s) => s.close()));

/** A ws server on 127.0.0.1:0 whose every socket becomes a Connection with `options`. */
async function listen(options: ConnectionOptions, maxPayload = 10 * 1024 * 1024) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload, perMessageDeflate: false });
  servers.push(wss);
  await once(wss, 'listening');
  const accepted: Connection[] = [];
  wss.on('connection', (ws) => accepted.push(new Connection(ws, options)));
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
  return { wss, url, accepted };
}

/** Two Connections over one real socket. */
async function pair(serverOptions: ConnectionOptions, clientOptions: ConnectionOptions = {}) {
  const srv = await listen(serverOptions);
  const ws = new WebSocket(srv.url, { perMessageDeflate: false });
  await once(ws, 'open');
  const client = new Connection(ws, clientOptions);
  await waitFor(() => srv.accepted.length === 1);
  return { server: srv.accepted[0]!, client };
}

test('both ends send requests on one socket and each gets its own answers', async () => {
  const { server, client } = await pair(
    { handlers: { EC: (body) => Buffer.concat([Buffer.from('srv:'), body]) } },
    { handlers: { EC: (body) => Buffer.concat([Buffer.from('cli:'), body]) } },
  );
  const fromServer = Array.from({ length: 50 }, (_, i) => server.request('EC', Buffer.from(String(i))));
  const fromClient = Array.from({ length: 50 }, (_, i) => client.request('EC', Buffer.from(String(i))));
  const [a, b] = await Promise.all([Promise.all(fromServer), Promise.all(fromClient)]);
  assert.deepEqual(a.map(String), Array.from({ length: 50 }, (_, i) => `cli:${i}`));
  assert.deepEqual(b.map(String), Array.from({ length: 50 }, (_, i) => `srv:${i}`));
  assert.equal(server.outstanding, 0);
  client.close();
  await server.closed;
});

test('a HypergolixError becomes NK with its code and comes back as the same class', async () => {
  const { client } = await pair({ handlers: { GT: () => { throw new DoesNotExist('not here'); } } });
  await assert.rejects(client.request('GT'), (err: unknown) => err instanceof DoesNotExist && err.message === 'not here');
  client.close();
});

test('any other error becomes NK FFFF with a generic message, and the connection lives on', async () => {
  const logger = memoryLogger();
  const srv = await listen({ logger, handlers: { XX: () => { throw new TypeError('secret internals'); }, '??': () => Buffer.of(1) } });
  const peer = await RawPeer.connect(srv.url);
  peer.send(encodeFrame('XX', 77));
  const nk = await peer.next();
  assert.equal(nk.code, 'NK');
  assert.equal(nk.token, 77);
  assert.deepEqual(decodeNak(nk.body), { code: 0xffff, message: 'Internal error' });
  assert.ok(logger.lines.some((l) => l.startsWith('error') && l.includes('secret internals')));
  peer.send(encodeFrame('??', 78));
  assert.deepEqual(await peer.next(), { code: 'AK', token: 78, body: Buffer.of(1) });
  peer.close();
});

test('an unknown verb gets NK 000E and the connection stays usable', async () => {
  const srv = await listen({ handlers: { '??': () => Buffer.of(1) } });
  const peer = await RawPeer.connect(srv.url);
  peer.send(encodeFrame('ZZ', 5));
  const nk = await peer.next();
  assert.equal(nk.token, 5);
  assert.equal(decodeNak(nk.body).code, 0x000e);
  peer.send(encodeFrame('??', 6));
  assert.equal((await peer.next()).code, 'AK');
  peer.close();
});

test('short, wrong-version and non-ASCII frames get NK 000E and the connection stays usable', async () => {
  const srv = await listen({ handlers: { '??': () => Buffer.of(1) } });
  const peer = await RawPeer.connect(srv.url);

  peer.send(Buffer.of(0, 0, 0x3f));
  let nk = await peer.next();
  assert.equal(nk.code, 'NK');
  assert.equal(nk.token, 0, 'a frame without a token is answered on token 0');
  assert.equal(decodeNak(nk.body).code, 0x000e);

  const v1 = encodeFrame('??', 0x4242);
  v1.writeUInt16BE(1, 0);
  peer.send(v1);
  nk = await peer.next();
  assert.equal(nk.token, 0x4242);
  assert.equal(decodeNak(nk.body).code, 0x000e);
  assert.match(decodeNak(nk.body).message, /version/);

  peer.send(Buffer.from([0, 0, 0x80, 0xff, 0x00, 0x09, 1, 2, 3]));
  nk = await peer.next();
  assert.equal(nk.token, 9);
  assert.equal(decodeNak(nk.body).code, 0x000e);

  peer.send(encodeFrame('??', 10));
  assert.equal((await peer.next()).code, 'AK');
  peer.close();
});

test('a text message closes the socket cleanly with 1003', async () => {
  const srv = await listen({ handlers: {} });
  const peer = await RawPeer.connect(srv.url);
  peer.send('hello');
  const info = await peer.closed();
  assert.equal(info.code, 1003);
  await srv.accepted[0]!.closed;
});

test('an oversize message closes the socket with 1009', async () => {
  const srv = await listen({ handlers: { PB: () => Buffer.of(1) } }, 1024);
  const peer = await RawPeer.connect(srv.url);
  peer.send(encodeFrame('PB', 1, Buffer.alloc(2048)));
  assert.equal((await peer.closed()).code, 1009);
  // ws stops reading after sending its 1009, so this end records an abnormal close (1006).
  await srv.accepted[0]!.closed;
  assert.equal(srv.accepted[0]!.isOpen, false);
});

test('answers to unknown tokens are logged and dropped; answers are matched only to own requests', async () => {
  const logger = memoryLogger();
  const srv = await listen({ logger, handlers: { '??': () => Buffer.of(1) } });
  const peer = await RawPeer.connect(srv.url);
  peer.send(encodeAck(1234, Buffer.of(1)));
  peer.send(encodeNak(1235, 8, 'x'));
  peer.send(encodeFrame('??', 1234)); // the same token as a request from the peer's side is independent
  const ak = await peer.next();
  assert.deepEqual([ak.code, ak.token], ['AK', 1234]);
  assert.equal(logger.lines.filter((l) => l.includes('unknown token')).length, 2);
  assert.equal(peer.frames.length, 0, 'no answer is sent to an answer');
  peer.close();
});

test('a request times out with CommsError; its late answer is dropped', async () => {
  const logger = memoryLogger();
  const srv = await listen({ handlers: {} });
  const peer = await RawPeer.connect(srv.url);
  await waitFor(() => srv.accepted.length === 1);
  const conn = srv.accepted[0]!;
  (conn as unknown as { logger: unknown }).logger = logger;
  const started = Date.now();
  const pending = conn.request('!!', Buffer.of(1), { timeoutMs: 60 });
  const req = await peer.next();
  await assert.rejects(pending, (err: unknown) => err instanceof CommsError && /no answer within 60 ms/.test((err as Error).message));
  assert.ok(Date.now() - started >= 55);
  assert.equal(conn.outstanding, 0);
  peer.send(encodeAck(req.token, Buffer.of(1)));
  await waitFor(() => logger.lines.some((l) => l.includes('late answer')));
  peer.close();
});

test('a malformed answer to a pending request fails that request, and is not answered', async () => {
  const srv = await listen({ handlers: {} });
  const peer = await RawPeer.connect(srv.url);
  await waitFor(() => srv.accepted.length === 1);
  const pending = srv.accepted[0]!.request('!!');
  const req = await peer.next();
  const bad = encodeAck(req.token, Buffer.of(1));
  bad.writeUInt16BE(7, 0);
  peer.send(bad);
  await assert.rejects(pending, CommsError);
  await sleep(30);
  assert.equal(peer.frames.length, 0);
  peer.close();
});

test('an empty NK is a generic refusal (RemoteNak); an unknown code too', async () => {
  const srv = await listen({ handlers: {} });
  const peer = await RawPeer.connect(srv.url);
  await waitFor(() => srv.accepted.length === 1);
  const conn = srv.accepted[0]!;
  const a = conn.request('!!');
  peer.send(encodeNak((await peer.next()).token, null));
  await assert.rejects(a, RemoteNak);
  const b = conn.request('!!');
  peer.send(encodeNak((await peer.next()).token, 0x1234, 'odd'));
  await assert.rejects(b, (err: unknown) => err instanceof HypergolixError && err.message === 'odd');
  peer.close();
});

test('closing rejects every pending request, and requests after close fail at once', async () => {
  const { server, client } = await pair({ handlers: { SL: () => new Promise<never>(() => {}) } });
  const pending = [client.request('SL'), client.request('SL'), client.request('SL')];
  await waitFor(() => server.busy === 3);
  server.close(1001, 'bye');
  for (const p of pending) await assert.rejects(p, (err: unknown) => err instanceof CommsError && /closed/.test((err as Error).message));
  await assert.rejects(client.request('SL'), /not connected/);
  assert.equal(client.outstanding, 0);
});

test('outstanding requests are bounded: over the bound rejects at once', async () => {
  const { client, server } = await pair({ handlers: { SL: () => new Promise<never>(() => {}) } }, { maxOutstandingRequests: 2 });
  void client.request('SL').catch(() => {});
  void client.request('SL').catch(() => {});
  await assert.rejects(client.request('SL'), /too many outstanding/);
  server.close();
  await client.closed;
});

test('handler concurrency is bounded, the overflow waits, and beyond the queue NK 000A', async () => {
  let running = 0;
  let peak = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const srv = await listen({
    maxConcurrentHandlers: 2,
    maxQueuedRequests: 2,
    handlers: {
      SL: async () => {
        running++;
        peak = Math.max(peak, running);
        await gate;
        running--;
        return Buffer.of(1);
      },
    },
  });
  const peer = await RawPeer.connect(srv.url);
  for (let t = 1; t <= 5; t++) peer.send(encodeFrame('SL', t));
  const busy = await peer.next();
  assert.equal(busy.token, 5);
  assert.equal(decodeNak(busy.body).code, 0x000a);
  release();
  const rest = [await peer.next(), await peer.next(), await peer.next(), await peer.next()];
  assert.deepEqual(rest.map((f) => f.code), ['AK', 'AK', 'AK', 'AK']);
  assert.deepEqual(rest.map((f) => f.token).sort(), [1, 2, 3, 4]);
  assert.equal(peak, 2);
  peer.close();
});

test('an answer bigger than the message cap becomes NK 000E instead of a dropped socket', async () => {
  const srv = await listen({ maxMessageBytes: 100, handlers: { GT: () => Buffer.alloc(200) } });
  const peer = await RawPeer.connect(srv.url);
  peer.send(encodeFrame('GT', 3));
  const nk = await peer.next();
  assert.equal(decodeNak(nk.body).code, 0x000e);
  peer.close();
});

test('afterResponse tasks run after the answer is on the wire', async () => {
  const srv = await listen({
    handlers: {
      '+S': (_body, ctx) => {
        ctx.afterResponse(() => void ctx.connection.request('!!', Buffer.from('push')).catch(() => {}));
        return Buffer.of(1);
      },
    },
  });
  const peer = await RawPeer.connect(srv.url);
  peer.send(encodeFrame('+S', 1));
  assert.equal((await peer.next()).code, 'AK');
  const push = await peer.next();
  assert.equal(push.code, '!!');
  assert.equal(String(push.body), 'push');
  peer.close();
});
