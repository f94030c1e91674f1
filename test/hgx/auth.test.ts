// The SDK's side of the IPC key proof (packages/hgx/src/auth.ts): a listener that cannot prove
// the key — a stranger on the port, or a relay to the real daemon on another port — is
// AuthFailed and never receives the key or a proof it could pass on; a host that relays its page
// on purpose names the daemon's port (`daemonPort`); a daemon older than the proof is
// IncompatibleDaemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { WebSocket, WebSocketServer } from 'ws';
import { AuthFailed, HGXLink, HgxError, IncompatibleDaemon } from '../../packages/hgx/src/index.js';
import { IpcVerb, Peer, decodeFrame, encodeProtocolVersion, type RequestHandler, type WireSocket } from '../../src/wire/index.js';
import { world } from '../fixtures/ipc/world.js';

/** A WebSocket listener on an ephemeral port; `onConnection` decides what it does. */
async function listener(onConnection: (ws: WebSocket) => void) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', onConnection);
  const port = (wss.address() as { port: number }).port;
  return {
    port,
    close: () => new Promise<void>((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => r());
    }),
  };
}

/** A relay to the daemon on `daemonPort`, keeping every frame the app sent (decoded). */
async function relayTo(daemonPort: number) {
  const fromApp: { code: string; body: Buffer }[] = [];
  const l = await listener((app) => {
    const daemon = new WebSocket(`ws://127.0.0.1:${daemonPort}/`, { perMessageDeflate: false });
    const early: Buffer[] = [];
    app.on('message', (d: Buffer) => {
      const f = decodeFrame(d);
      fromApp.push({ code: f.code, body: Buffer.from(f.body) });
      if (daemon.readyState === WebSocket.OPEN) daemon.send(d);
      else early.push(d);
    });
    daemon.on('open', () => early.splice(0).forEach((d) => daemon.send(d)));
    daemon.on('message', (d: Buffer) => app.send(d));
    const both = () => (app.terminate(), daemon.terminate());
    app.on('close', both);
    daemon.on('close', both);
    daemon.on('error', both);
  });
  return { ...l, fromApp };
}

test('a relay on another port to the real daemon: AuthFailed, only AC went through, and the daemon admitted nobody', async (t) => {
  const w = await world();
  const a = await w.user(0);
  const relay = await relayTo(a.port);
  t.after(relay.close);
  await assert.rejects(HGXLink.connect({ port: relay.port, tokenFile: a.tokenFile, timeoutMs: 3000, reconnect: false }), (err: unknown) => {
    assert.ok(err instanceof AuthFailed, String(err));
    assert.match((err as Error).message, new RegExp(`What answers on IPC port ${relay.port} could not prove it holds this IPC key .*The key was not sent\\.$`));
    return true;
  });
  assert.deepEqual(relay.fromApp.map((f) => f.code), [IpcVerb.authChallenge]);
  assert.equal(relay.fromApp.some((f) => f.body.includes(a.key)), false);
  assert.equal(a.ipc.connectedApps(), 0);
});

test('a host relaying its page on purpose names the daemon\'s port: the link connects through it', async (t) => {
  const w = await world();
  const a = await w.user(0);
  const relay = await relayTo(a.port);
  t.after(relay.close);
  const link = await HGXLink.connect({ port: relay.port, daemonPort: a.port, tokenFile: a.tokenFile, reconnect: false });
  t.after(() => link.close());
  assert.equal(link.whoami, a.daemon.fingerprint.text);
  assert.equal(relay.fromApp.some((f) => f.body.includes(a.key)), false, 'the key did not cross the relay');
});

test('a stranger answering AC with 64 bytes of its own, or anything else, is AuthFailed and gets nothing but a nonce', async (t) => {
  const key = randomBytes(32);
  for (const answer of [randomBytes(64), randomBytes(7), Buffer.alloc(0)]) {
    const got: Buffer[] = [];
    const stranger = await listener((ws) => {
      ws.on('message', (d: Buffer) => got.push(Buffer.from(d)));
      new Peer(ws as unknown as WireSocket, { name: 'stranger', handlers: new Map<string, RequestHandler>([[IpcVerb.authChallenge, () => answer]]) });
    });
    t.after(stranger.close);
    await assert.rejects(HGXLink.connect({ port: stranger.port, token: key, timeoutMs: 3000, reconnect: false }), (err: unknown) => err instanceof AuthFailed && /could not prove it holds this IPC key/.test((err as Error).message));
    assert.equal(got.length, 1, 'one frame: AC');
    assert.equal(got[0]!.includes(key), false);
  }
});

test('a daemon older than the key proof (AC unknown): IncompatibleDaemon saying to update Hypergolix, and AU is not tried', async (t) => {
  const verbs: string[] = [];
  const old = await listener((ws) => {
    // The Peer below reads ArrayBuffers (binaryType): bytes are made of whatever arrives.
    ws.on('message', (d: ArrayBuffer | Buffer) => verbs.push(decodeFrame(new Uint8Array(d)).code));
    new Peer(ws as unknown as WireSocket, { name: 'old daemon', handlers: new Map<string, RequestHandler>([[IpcVerb.version, () => encodeProtocolVersion(1)]]) });
  });
  t.after(old.close);
  await assert.rejects(HGXLink.connect({ port: old.port, token: randomBytes(32), timeoutMs: 3000, reconnect: false }), (err: unknown) => {
    assert.ok(err instanceof IncompatibleDaemon, String(err));
    assert.equal(err.daemonProtocol, null);
    assert.match(err.message, /does not know the IPC key proof \(AC\).*Update Hypergolix/);
    return true;
  });
  assert.deepEqual(verbs, [IpcVerb.authChallenge]);
});

test('daemonPort is checked like port', async () => {
  for (const bad of [0, 70000, 1.5, '7772']) {
    await assert.rejects(HGXLink.connect({ daemonPort: bad as number, token: randomBytes(32) }), (err: unknown) => (err as object).constructor === HgxError && /^daemonPort is a whole number from 1 to 65535/.test((err as Error).message));
  }
});
