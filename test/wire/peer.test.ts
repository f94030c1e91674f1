// The request/response peer over a WHATWG-shaped socket: here the `ws` package's WHATWG API, as
// the SDK uses it in Node (binaryType 'arraybuffer', no ping/terminate adapter).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import {
  CommsError,
  ConnectionClosed,
  DoesNotExist,
  HypergolixError,
  MessageTooLarge,
  Peer,
  RemoteNak,
  RequestTimeout,
  TooManyRequests,
  decodeNak,
  encodeAck,
  encodeFrame,
  encodeNak,
  type PeerOptions,
  type WireSocket,
} from '../../src/wire/index.js';
import { RawPeer, memoryLogger, sleep, waitFor } from '../fixtures/remote/helpers.js';

const servers: WebSocketServer[] = [];
// Connections a failed test left open go too: ws's close() keeps them, and they would keep this
// file's process alive after its last test, its results never reported (a CI run hung so).
after(() => {
  for (const s of servers) {
    for (const c of s.clients) c.terminate();
    s.close();
  }
});

const text = (b: Uint8Array) => Buffer.from(b).toString();
const bytes = (s: string) => new Uint8Array(Buffer.from(s));
const whatwg = (ws: WebSocket) => ws as unknown as WireSocket;

/** A ws server on 127.0.0.1:0 whose every socket becomes a Peer with `options`. */
async function listen(options: PeerOptions, maxPayload = 10 * 1024 * 1024) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload, perMessageDeflate: false });
  servers.push(wss);
  await once(wss, 'listening');
  const accepted: Peer[] = [];
  wss.on('connection', (ws) => accepted.push(new Peer(whatwg(ws), options)));
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
  return { wss, url, accepted };
}

/** Two Peers over one real socket. */
async function pair(serverOptions: PeerOptions, clientOptions: PeerOptions = {}) {
  const srv = await listen(serverOptions);
  const ws = new WebSocket(srv.url, { perMessageDeflate: false });
  await once(ws, 'open');
  const client = new Peer(whatwg(ws), clientOptions);
  await waitFor(() => srv.accepted.length === 1);
  return { server: srv.accepted[0]!, client };
}

test('both ends send requests on one socket and each gets its own answers', async () => {
  const { server, client } = await pair(
    { handlers: { EC: (body) => bytes(`srv:${text(body)}`) } },
    { handlers: { EC: (body) => bytes(`cli:${text(body)}`) } },
  );
  const fromServer = Array.from({ length: 50 }, (_, i) => server.request('EC', bytes(String(i))));
  const fromClient = Array.from({ length: 50 }, (_, i) => client.request('EC', bytes(String(i))));
  const [a, b] = await Promise.all([Promise.all(fromServer), Promise.all(fromClient)]);
  assert.deepEqual(a.map(text), Array.from({ length: 50 }, (_, i) => `cli:${i}`));
  assert.deepEqual(b.map(text), Array.from({ length: 50 }, (_, i) => `srv:${i}`));
  assert.equal(server.outstanding, 0);
  client.close();
  await server.closed;
});

test('a HypergolixError becomes NK with its code and comes back as the same class', async () => {
  const { client } = await pair({ handlers: { GT: () => { throw new DoesNotExist('not here'); } } });
  await assert.rejects(client.request('GT'), (err: unknown) => err instanceof DoesNotExist && err.message === 'not here');
  client.close();
});

test("an error's NK details travel with it and come back as typed properties", async () => {
  const { client } = await pair({
    handlers: { PB: () => { throw new RemoteNak('Publishing too fast', { retryAfterMs: 1234, reason: 'rate_identity' }); } },
  });
  await assert.rejects(client.request('PB', bytes('x')), (err: unknown) =>
    err instanceof RemoteNak && err.message === 'Publishing too fast' && err.retryAfterMs === 1234 && err.reason === 'rate_identity',
  );
  client.close();
});

test('any other error becomes NK FFFF with a generic message, and the connection lives on', async () => {
  const logger = memoryLogger();
  const srv = await listen({ logger, handlers: { XX: () => { throw new TypeError('secret internals'); }, '??': () => Uint8Array.of(1) } });
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

test('refusalOf decides how other failures are answered', async () => {
  class AppFailure extends Error {}
  const srv = await listen({
    handlers: { XX: () => { throw new AppFailure('no handler for that'); } },
    refusalOf: (err) => (err instanceof AppFailure ? { code: 0xffff, message: err.message, reason: 'no_handler' } : null),
  });
  const peer = await RawPeer.connect(srv.url);
  peer.send(encodeFrame('XX', 1));
  assert.deepEqual(decodeNak((await peer.next()).body), { code: 0xffff, message: 'no handler for that', reason: 'no_handler' });
  peer.close();
});

test('an unknown verb gets NK 000E and the connection stays usable', async () => {
  const srv = await listen({ handlers: { '??': () => Uint8Array.of(1) } });
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
  const srv = await listen({ handlers: { '??': () => Uint8Array.of(1) } });
  const peer = await RawPeer.connect(srv.url);

  peer.send(Buffer.of(0, 0, 0x3f));
  let nk = await peer.next();
  assert.equal(nk.code, 'NK');
  assert.equal(nk.token, 0, 'a frame without a token is answered on token 0');
  assert.equal(decodeNak(nk.body).code, 0x000e);

  const v1 = Buffer.from(encodeFrame('??', 0x4242));
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

test('an oversize message closes the socket with 1009, whether the socket or the peer catches it', async () => {
  const bySocket = await listen({ handlers: { PB: () => Uint8Array.of(1) } }, 1024);
  const a = await RawPeer.connect(bySocket.url);
  a.send(encodeFrame('PB', 1, new Uint8Array(2048)));
  assert.equal((await a.closed()).code, 1009);
  // ws stops reading after sending its 1009, so this end records an abnormal close (1006).
  await bySocket.accepted[0]!.closed;
  assert.equal(bySocket.accepted[0]!.isOpen, false);

  // A browser socket has no size cap of its own: the peer checks.
  const byPeer = await listen({ maxMessageBytes: 1024, handlers: { PB: () => Uint8Array.of(1) } });
  const b = await RawPeer.connect(byPeer.url);
  b.send(encodeFrame('PB', 1, new Uint8Array(2048)));
  assert.equal((await b.closed()).code, 1009);
  assert.equal((await byPeer.accepted[0]!.closed).code, 1009);
});

test('answers to unknown tokens are logged and dropped; answers are matched only to own requests', async () => {
  const logger = memoryLogger();
  const srv = await listen({ logger, handlers: { '??': () => Uint8Array.of(1) } });
  const peer = await RawPeer.connect(srv.url);
  peer.send(encodeAck(1234, Uint8Array.of(1)));
  peer.send(encodeNak(1235, 8, 'x'));
  peer.send(encodeFrame('??', 1234)); // the same token as a request from the peer's side is independent
  const ak = await peer.next();
  assert.deepEqual([ak.code, ak.token], ['AK', 1234]);
  assert.equal(logger.lines.filter((l) => l.includes('unknown token')).length, 2);
  assert.equal(peer.frames.length, 0, 'no answer is sent to an answer');
  peer.close();
});

test('a request times out with RequestTimeout (a CommsError); its late answer is dropped', async () => {
  const logger = memoryLogger();
  const srv = await listen({ logger, handlers: {} });
  const peer = await RawPeer.connect(srv.url);
  await waitFor(() => srv.accepted.length === 1);
  const conn = srv.accepted[0]!;
  const started = Date.now();
  const pending = conn.request('!!', Uint8Array.of(1), { timeoutMs: 60 });
  const req = await peer.next();
  assert.notEqual(req.token, 0, 'a peer never picks token 0');
  await assert.rejects(pending, (err: unknown) => err instanceof RequestTimeout && err instanceof CommsError && /no answer within 60 ms/.test((err as Error).message));
  assert.ok(Date.now() - started >= 55);
  assert.equal(conn.outstanding, 0);
  peer.send(encodeAck(req.token, Uint8Array.of(1)));
  // Called late while its token is still held back (one more timeout period, pending.test.ts);
  // "unknown" once that has passed too, which a loaded machine may take for 60 ms: dropped either way.
  const token = req.token.toString(16).padStart(4, '0');
  await waitFor(() => logger.lines.some((l) => new RegExp(`(late answer for token|answer for unknown token) ${token} dropped`).test(l)));
  await sleep(30);
  assert.equal(peer.frames.length, 0, 'nothing is sent back to an answer');
  assert.equal(conn.outstanding, 0);
  peer.close();
});

test('a malformed answer to a pending request fails that request, and is not answered', async () => {
  const srv = await listen({ handlers: {} });
  const peer = await RawPeer.connect(srv.url);
  await waitFor(() => srv.accepted.length === 1);
  const pending = srv.accepted[0]!.request('!!');
  const req = await peer.next();
  const bad = Buffer.from(encodeAck(req.token, Uint8Array.of(1)));
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

test('nakError decides what an NK rejects with', async () => {
  class Refused extends Error {
    constructor(readonly nakCode: number | null) {
      super('refused');
    }
  }
  const { client } = await pair({ handlers: { GT: () => { throw new DoesNotExist('no'); } } }, { nakError: (nak) => new Refused(nak.code) });
  await assert.rejects(client.request('GT'), (err: unknown) => err instanceof Refused && err.nakCode === 0x0008);
  client.close();
});

test('closing rejects every pending request, and requests after close fail at once', async () => {
  const { server, client } = await pair({ handlers: { SL: () => new Promise<never>(() => {}) } });
  const pending = [client.request('SL'), client.request('SL'), client.request('SL')];
  await waitFor(() => server.busy === 3);
  server.close(1001, 'bye');
  for (const p of pending) await assert.rejects(p, (err: unknown) => err instanceof ConnectionClosed && /closed/.test((err as Error).message));
  await assert.rejects(client.request('SL'), (err: unknown) => err instanceof ConnectionClosed && /not connected/.test((err as Error).message));
  assert.equal(client.outstanding, 0);
});

test('the close is reported once to onClose and once-listeners, before `closed` resolves', async () => {
  const order: string[] = [];
  const { server, client } = await pair({ handlers: {} }, { onClose: (info) => order.push(`option ${info.code}`) });
  client.once('close', (info) => order.push(`once ${info.code} ${info.reason}`));
  const closed = client.closed.then(() => order.push('promise'));
  server.close(1001, 'bye');
  await closed;
  assert.deepEqual(order, ['option 1001', 'once 1001 bye', 'promise']);
});

test('outstanding requests are bounded: over the bound rejects at once', async () => {
  const { client, server } = await pair({ handlers: { SL: () => new Promise<never>(() => {}) } }, { maxOutstandingRequests: 2 });
  void client.request('SL').catch(() => {});
  void client.request('SL').catch(() => {});
  await assert.rejects(client.request('SL'), (err: unknown) => err instanceof TooManyRequests && /too many outstanding/.test((err as Error).message));
  server.close();
  await client.closed;
});

test('a request over the message limit is refused before it is sent', async () => {
  const { client } = await pair({ handlers: { PB: () => Uint8Array.of(1) } }, { maxMessageBytes: 100 });
  await assert.rejects(client.request('PB', new Uint8Array(95)), MessageTooLarge);
  assert.equal(text(await client.request('PB', new Uint8Array(94))), '\u0001');
  client.close();
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
        return Uint8Array.of(1);
      },
    },
  });
  const peer = await RawPeer.connect(srv.url);
  for (let t = 1; t <= 5; t++) peer.send(encodeFrame('SL', t));
  const busy = await peer.next();
  assert.equal(busy.token, 5);
  assert.deepEqual([decodeNak(busy.body).code, decodeNak(busy.body).reason], [0x000a, 'busy']);
  release();
  const rest = [await peer.next(), await peer.next(), await peer.next(), await peer.next()];
  assert.deepEqual(rest.map((f) => f.code), ['AK', 'AK', 'AK', 'AK']);
  assert.deepEqual(rest.map((f) => f.token).sort(), [1, 2, 3, 4]);
  assert.equal(peak, 2);
  peer.close();
});

test('an answer bigger than the message cap becomes NK 000E instead of a dropped socket', async () => {
  const srv = await listen({ maxMessageBytes: 100, handlers: { GT: () => new Uint8Array(200) } });
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
        ctx.afterResponse(() => void ctx.connection.request('!!', bytes('push')).catch(() => {}));
        return Uint8Array.of(1);
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

test('every NK sent is reported to onNakSent, with its code', async () => {
  const codes: (number | null)[] = [];
  const srv = await listen({ onNakSent: (code) => codes.push(code), handlers: { GT: () => { throw new DoesNotExist('no'); } } });
  const peer = await RawPeer.connect(srv.url);
  peer.send(encodeFrame('GT', 1));
  peer.send(encodeFrame('QQ', 2));
  await peer.next();
  await peer.next();
  assert.deepEqual(codes.sort((x, y) => x! - y!), [0x0008, 0x000e]);
  peer.close();
});

test('a heartbeat needs a socket that can ping', async () => {
  const srv = await listen({ handlers: {} });
  const ws = new WebSocket(srv.url, { perMessageDeflate: false });
  await once(ws, 'open');
  assert.throws(() => new Peer(whatwg(ws), { heartbeatMs: 100 }), /ping/);
  ws.terminate();
});
