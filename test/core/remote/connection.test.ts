// The wire peer over `ws` as the engine uses it (Connection): Buffer views without copies, the
// ws close listener API, and the ping/terminate adapter.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { Connection, type ConnectionOptions } from '../../../src/core/remote/connection.js';
import { encodeFrame } from '../../../src/wire/index.js';
import { RawPeer, waitFor } from '../../fixtures/remote/helpers.js';

const servers: WebSocketServer[] = [];
after(() => servers.forEach((s) => s.close()));

async function listen(options: ConnectionOptions, serverOptions: { autoPong?: boolean } = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, ...serverOptions });
  servers.push(wss);
  await once(wss, 'listening');
  const accepted: Connection[] = [];
  wss.on('connection', (ws) => accepted.push(new Connection(ws, options)));
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, accepted };
}

test('handlers get Buffer views of the received message, and answers resolve as Buffers', async () => {
  const seen: Buffer[] = [];
  const srv = await listen({ handlers: { EC: (body) => (seen.push(body), Buffer.concat([Buffer.from('re:'), body])) } });
  const ws = new WebSocket(srv.url, { perMessageDeflate: false });
  await once(ws, 'open');
  const client = new Connection(ws);
  const answer = await client.request('EC', Buffer.from('hello'));
  assert.ok(Buffer.isBuffer(answer));
  assert.equal(answer.toString(), 're:hello');
  assert.ok(Buffer.isBuffer(seen[0]));
  assert.equal(seen[0]!.toString('utf8'), 'hello');
  const header = Buffer.from(seen[0]!.buffer, seen[0]!.byteOffset - 6, 4);
  assert.equal(header.toString('hex'), '00004543', 'a view just after the frame header (00 00 "EC"), not a copy');
  client.close();
  await client.closed;
});

test("close listeners use ws's once('close') form", async () => {
  const srv = await listen({ handlers: {} });
  const peer = await RawPeer.connect(srv.url);
  await waitFor(() => srv.accepted.length === 1);
  const infos: { code: number; reason: string }[] = [];
  srv.accepted[0]!.once('close', (info) => infos.push(info));
  peer.socket.close(1000, 'done');
  await srv.accepted[0]!.closed;
  assert.deepEqual(infos, [{ code: 1000, reason: 'done' }]);
});

test('the heartbeat terminates a peer that answers no ping; terminate drops at once', async () => {
  const srv = await listen({ handlers: { '??': () => Buffer.of(1) }, heartbeatMs: 40 });
  const silent = await RawPeer.connect(srv.url, { autoPong: false });
  await waitFor(() => srv.accepted.length === 1);
  const info = await srv.accepted[0]!.closed;
  assert.equal(info.code, 1006, 'dropped without a closing handshake');
  silent.close();

  const other = await RawPeer.connect(srv.url);
  await waitFor(() => srv.accepted.length === 2);
  other.send(encodeFrame('??', 1));
  assert.equal((await other.next()).code, 'AK', 'a peer that answers pings stays');
  srv.accepted[1]!.terminate();
  assert.equal((await srv.accepted[1]!.closed).code, 1006);
});

test('a probe is true while the peer answers pings; a peer that went silent is dropped by it at once, not at the next beats', async () => {
  const srv = await listen({ handlers: {} });
  const live = await RawPeer.connect(srv.url);
  const ws = new WebSocket(srv.url, { perMessageDeflate: false });
  await once(ws, 'open');
  const client = new Connection(ws, { heartbeatMs: 60_000 });
  assert.equal(await client.probe(2_000), true);
  client.close();
  live.close();

  const silentSrv = await listen({ handlers: {} }, { autoPong: false });
  const ws2 = new WebSocket(silentSrv.url, { perMessageDeflate: false });
  await once(ws2, 'open');
  const toSilent = new Connection(ws2, { heartbeatMs: 60_000 });
  assert.equal(await toSilent.probe(50), false);
  assert.equal((await toSilent.closed).code, 1006, 'dropped without a closing handshake');
  assert.equal(await toSilent.probe(50), false, 'closed: nothing to ask');

  // Without a heartbeat nothing can be asked: whether it is open.
  const ws3 = new WebSocket(srv.url, { perMessageDeflate: false });
  await once(ws3, 'open');
  const bare = new Connection(ws3, { heartbeatMs: 0 });
  assert.equal(await bare.probe(50), true);
  bare.close();
  await bare.closed;
});
