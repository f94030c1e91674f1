// The IPC protocol version check at connect time (`?V`): a real daemon passes and says its
// version; a daemon of another version, or one that does not know `?V`, is refused at once with
// IncompatibleDaemon naming both sides (a legacy link to a daemon without `?V` goes on).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { HGXLink, IncompatibleDaemon, IPC_PROTOCOL_VERSION, SDK_VERSION, SUPPORTED_IPC_PROTOCOLS } from '../../packages/hgx/src/index.js';
import { IpcVerb, Peer, encodeProtocolVersion, fromHex, type RequestHandler, type WireSocket } from '../../src/wire/index.js';
import { world } from '../fixtures/ipc/world.js';
import { keyProofHandlers } from '../fixtures/hgx/key-proof.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FINGERPRINT = Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 1 : i));

/** A daemon that proves the key (AC/AP) and answers ?I, and ?V as told (a handler that throws is an NK, absent is "unknown request"). */
async function fakeDaemon(version: RequestHandler | null) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const asked: number[] = [];
  wss.on('connection', (ws: WebSocket) => {
    const handlers = new Map<string, RequestHandler>([
      ...keyProofHandlers(fromHex(TOKEN), () => (wss.address() as { port: number }).port),
      [IpcVerb.whoami, () => FINGERPRINT],
    ]);
    if (version) {
      handlers.set(IpcVerb.version, (body, ctx) => {
        asked.push((body[0]! << 8) | body[1]!);
        return version(body, ctx);
      });
    }
    new Peer(ws as unknown as WireSocket, { name: 'fake daemon', handlers });
  });
  const port = (wss.address() as { port: number }).port;
  return { port, asked, close: () => new Promise<void>((r) => wss.close(() => r())) };
}

const TOKEN = 'ab'.repeat(32);

test('a real daemon answers ?V with its IPC protocol version; the link keeps it', async () => {
  const w = await world();
  const a = await w.user(0);
  const link = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  try {
    assert.equal(link.daemonProtocol, IPC_PROTOCOL_VERSION);
    assert.ok(link.daemonProtocol! >= SUPPORTED_IPC_PROTOCOLS.min && link.daemonProtocol! <= SUPPORTED_IPC_PROTOCOLS.max);
  } finally {
    await link.close();
  }
});

test('a daemon of a newer protocol is IncompatibleDaemon at once, naming both versions and the fix', async (t) => {
  const d = await fakeDaemon(() => encodeProtocolVersion(SUPPORTED_IPC_PROTOCOLS.max + 1));
  t.after(d.close);
  await assert.rejects(HGXLink.connect({ port: d.port, token: TOKEN, timeoutMs: 60_000 }), (err: Error) => {
    assert.ok(err instanceof IncompatibleDaemon, String(err));
    assert.equal(err.daemonProtocol, SUPPORTED_IPC_PROTOCOLS.max + 1);
    assert.deepEqual(err.supported, SUPPORTED_IPC_PROTOCOLS);
    assert.match(err.message, new RegExp(`IPC protocol ${SUPPORTED_IPC_PROTOCOLS.max + 1}`));
    assert.match(err.message, new RegExp(`@hypergolix/hgx ${SDK_VERSION.replaceAll('.', '\\.')}`));
    assert.match(err.message, /update the SDK/);
    return true;
  });
  // Refused on the first answer, not retried until the (long) timeout: the daemon was asked once.
  assert.deepEqual(d.asked, [IPC_PROTOCOL_VERSION]);
});

test('a daemon of an older protocol, and one that does not know ?V, are IncompatibleDaemon', async (t) => {
  const old = await fakeDaemon(() => encodeProtocolVersion(SUPPORTED_IPC_PROTOCOLS.min - 1));
  t.after(old.close);
  await assert.rejects(HGXLink.connect({ port: old.port, token: TOKEN }), (err: Error) => err instanceof IncompatibleDaemon && err.daemonProtocol === SUPPORTED_IPC_PROTOCOLS.min - 1 && /update Hypergolix/.test(err.message));
  const none = await fakeDaemon(null);
  t.after(none.close);
  await assert.rejects(HGXLink.connect({ port: none.port, token: TOKEN }), (err: Error) => err instanceof IncompatibleDaemon && err.daemonProtocol === null && /does not tell its IPC protocol version/.test(err.message));
  const garbled = await fakeDaemon(() => Uint8Array.of(1, 2, 3));
  t.after(garbled.close);
  await assert.rejects(HGXLink.connect({ port: garbled.port, token: TOKEN }), (err: Error) => err instanceof IncompatibleDaemon && /3 bytes instead of 2/.test(err.message));
});

test('a legacy link to a daemon without ?V (the reference) connects, with daemonProtocol null', async (t) => {
  const d = await fakeDaemon(null);
  t.after(d.close);
  const link = await HGXLink.connect({ port: d.port, legacy: true, reconnect: false });
  try {
    assert.equal(link.daemonProtocol, null);
    assert.equal(link.whoami.length, 88);
  } finally {
    await link.close();
  }
});

test("a daemon of 0.4 (no DR verb) asked for an app's \"Try now\" is IncompatibleDaemon, saying what to update", async (t) => {
  const d = await fakeDaemon(() => encodeProtocolVersion(IPC_PROTOCOL_VERSION));
  t.after(d.close);
  // Closed before the fake daemon (whose close waits for its connections to end).
  const link = await HGXLink.connect({ port: d.port, token: TOKEN, reconnect: false });
  try {
    await assert.rejects(link.status({ reconnect: true }), (err: Error) => {
      assert.ok(err instanceof IncompatibleDaemon, String(err));
      assert.equal(err.daemonProtocol, IPC_PROTOCOL_VERSION);
      assert.equal(err.message, 'The daemon is of Hypergolix 0.4 or older, which cannot try its remotes now (it tries them on its own, at most 30 s apart): update Hypergolix');
      return true;
    });
  } finally {
    await link.close();
  }
});

test('SDK_VERSION is the package version', () => {
  assert.equal(SDK_VERSION, JSON.parse(readFileSync(join(ROOT, 'packages/hgx/package.json'), 'utf8')).version);
});
