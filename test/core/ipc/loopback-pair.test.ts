// The IPC port on both loopback addresses (src/core/ipc/loopback-pair.ts): the key proof names the
// port but not the address, so the daemon holds its port on the other loopback address too — an
// app dialling either reaches it, and no program can sit on the other one to relay. Skipped where
// this machine has no IPv6 loopback (then there is nothing to hold).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { createServer as createHttp } from 'node:http';
import { listenLoopbackPair } from '../../../src/core/ipc/loopback-pair.js';
import { checkIpcPortFree, otherLoopback } from '../../../src/core/ipc/port-check.js';
import { CommsError } from '../../../src/core/golix/index.js';
import { HGXLink } from '../../../packages/hgx/src/index.js';
import { world } from '../../fixtures/ipc/world.js';

const listen = (host: string, port = 0) =>
  new Promise<Server>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, host, () => resolve(s));
  });
const close = (s: { close(cb: () => void): unknown }) => new Promise<void>((r) => void s.close(() => r()));
const portOf = (s: Server) => (s.address() as { port: number }).port;

const V6 = await listen('::1').then(
  (s) => close(s).then(() => true),
  () => false,
);
const NO_V6 = V6 ? false : 'this machine has no IPv6 loopback (::1): there is no second address to hold';

test('the other loopback address: 127.0.0.1 ⇄ ::1; localhost names either, so none', () => {
  assert.equal(otherLoopback('127.0.0.1'), '::1');
  assert.equal(otherLoopback('::1'), '127.0.0.1');
  assert.equal(otherLoopback('localhost'), null);
});

test('both addresses are bound on one port, and both serve', { skip: NO_V6 }, async () => {
  const primary = createHttp((_q, r) => r.end('primary'));
  const { port, twin } = await listenLoopbackPair(primary, () => createHttp((_q, r) => r.end('twin')), '127.0.0.1', 0);
  try {
    assert.ok(twin);
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'primary');
    assert.equal(await (await fetch(`http://[::1]:${port}/`)).text(), 'twin');
    await assert.rejects(listen('::1', port), /EADDRINUSE/, 'nobody else can take the other address');
  } finally {
    await close(primary);
    if (twin) await close(twin);
  }
});

test('a given port held on the other address by another program: refused naming it, and the first address let go', { skip: NO_V6 }, async () => {
  const squatter = await listen('::1');
  const port = portOf(squatter);
  const primary = createHttp();
  try {
    await assert.rejects(listenLoopbackPair(primary, () => createHttp(), '127.0.0.1', port), (err: unknown) => {
      assert.ok(err instanceof CommsError, String(err));
      assert.equal((err as Error).message, `Cannot listen for apps on [::1]:${port}: the port is already in use (is another daemon running?)`);
      return true;
    });
    assert.equal(primary.listening, false);
    await close(await listen('127.0.0.1', port));
    await assert.rejects(checkIpcPortFree('127.0.0.1', port), /\[::1\]:\d+: the port is already in use/, 'the start check says so before anything costly');
  } finally {
    await close(squatter);
  }
});

test('with port 0, a port whose other address is taken is given up for another; a given port is not', { skip: NO_V6 }, async () => {
  // The first twin finds its address taken (as if another program held ::1 on that port).
  let twins = 0;
  const makeTwin = () => {
    const h = createHttp();
    if (twins++ === 0) h.listen = ((() => (setImmediate(() => h.emit('error', Object.assign(new Error('taken'), { code: 'EADDRINUSE' }))), h)) as unknown) as typeof h.listen;
    return h;
  };
  const primary = createHttp();
  const { port, twin } = await listenLoopbackPair(primary, makeTwin, '127.0.0.1', 0);
  try {
    assert.equal(twins, 2, 'tried again on another port');
    assert.ok(twin?.listening && primary.listening);
    assert.equal((twin!.address() as { port: number }).port, port);
  } finally {
    await close(primary);
    if (twin) await close(twin);
  }
  twins = 0;
  const again = createHttp();
  await assert.rejects(listenLoopbackPair(again, makeTwin, '127.0.0.1', port), /Cannot listen for apps on \[::1\]:\d+: the port is already in use/);
  assert.equal(twins, 1, 'a port the user chose is not traded for another');
  assert.equal(again.listening, false);
});

test('a real daemon: an app dialling ::1 reaches it too, and the daemon does not start while another program holds its port there', { skip: NO_V6 }, async () => {
  const w = await world();
  const a = await w.user(0);
  const link = await HGXLink.connect({ host: '::1', port: a.port, tokenFile: a.tokenFile, reconnect: false });
  assert.equal(link.whoami, a.daemon.fingerprint.text);
  await link.close();
  const squatter = await listen('::1');
  try {
    await assert.rejects(w.user(1, { ipc: { port: portOf(squatter) } }), /Cannot listen for apps on \[::1\]:\d+: the port is already in use/);
  } finally {
    await close(squatter);
  }
});
