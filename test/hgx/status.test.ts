// The SDK's view of the daemon's status (the `D?` verb): what an app needs to show "offline" or
// "not synced yet"; authenticated links only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HGXLink, IpcError, JsonObj, type CacheCheck, type DaemonStatus } from '../../packages/hgx/src/index.js';
import { CuttableLink } from '../fixtures/remote/cuttable-link.js';
import { until, world } from '../fixtures/ipc/world.js';

test('an app reads how the daemon stands: its account, cache and remote, and when the remote is away; a legacy client may not', async (t) => {
  const w = await world();
  const a = await w.user(0, { ipc: { legacyClients: true } });
  const link = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  t.after(() => link.close());
  const status = await link.status();
  assert.equal(status.fingerprint, a.daemon.fingerprint.text);
  assert.equal(status.storage.kind, 'ok');
  assert.equal(status.appsConnected, 0, 'the asking app is not counted');
  assert.deepEqual(status.remotes.map((r) => [r.remote, r.connected, r.waiting]), [[`127.0.0.1:${w.serverPort}`, true, 0]]);

  // The remote goes away; what the app writes meanwhile waits for it, and the status says so.
  await w.server.close();
  await until(async () => !(await link.status()).remotes[0]!.connected, 'the remote seen as gone');
  const before = (await link.status()).objectsCached;
  await link.new(JsonObj, { offline: true });
  const away = await link.status();
  assert.ok(away.remotes[0]!.waiting >= 2, `the new object's binding and container wait: ${away.remotes[0]!.waiting}`);
  assert.notEqual(away.remotes[0]!.lastFailure, null);
  assert.ok(away.objectsCached >= before + 2);

  const legacy = await HGXLink.connect({ port: a.port, legacy: true });
  t.after(() => legacy.close());
  await assert.rejects(legacy.status(), (e) => e instanceof IpcError && /authenticated with the IPC key/.test(e.message));
});

test('an app watching the status hears the remote go and what waits for it, again after the daemon restarts, and nothing once it stops watching', async (t) => {
  const w = await world();
  let a = await w.user(0, { ipc: { statusIntervalMs: 50 } });
  const link = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  t.after(() => link.close());
  const heard: DaemonStatus[] = [];
  link.on('status', (s) => heard.push(s));
  const now = await link.watchStatus();
  assert.equal(now.remotes[0]!.connected, true);

  await w.server.close();
  await until(() => heard.some((s) => !s.remotes[0]!.connected), "the remote's going told");
  await link.new(JsonObj, { offline: true });
  await until(() => heard.some((s) => s.remotes[0]!.waiting >= 2), 'what waits for the remote told');

  // The daemon restarts: the watch is restored, and the status after it told.
  const order: string[] = [];
  link.on('reconnected', () => order.push('reconnected'));
  link.on('status', () => order.push('status'));
  a = await a.restart();
  await until(() => order.includes('reconnected'), 'the link back', 10_000);
  assert.ok(order.includes('status'), `a status with the reconnection: ${order.join(', ')}`);
  const other = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  t.after(() => other.close());
  await until(() => heard.at(-1)!.appsConnected === 1, 'the watch kept across the restart');

  await link.unwatchStatus();
  const count = heard.length;
  await other.close();
  await until(async () => (await link.status()).appsConnected === 0, 'the other app gone');
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(heard.length, count, 'no status after unwatchStatus()');
});

test('unwatchStatus() called while watchStatus() waits for its answer wins: no status after it, not even on reconnecting', async (t) => {
  const w = await world();
  let a = await w.user(0, { ipc: { statusIntervalMs: 50 } });
  const link = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile, reconnect: { minDelayMs: 20, maxDelayMs: 200 } });
  t.after(() => link.close());
  const heard: DaemonStatus[] = [];
  link.on('status', (s) => heard.push(s));
  const watching = link.watchStatus();
  await link.unwatchStatus();
  assert.equal((await watching).remotes.length, 1);
  let reconnected = false;
  link.on('reconnected', () => (reconnected = true));
  a = await a.restart();
  await until(() => reconnected, 'the link back', 10_000);
  const other = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  t.after(() => other.close());
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(heard, [], 'no status after unwatchStatus()');
});

test("an app reads the daemon's checks of its files, as a check asked for elsewhere (the CLI, the Status page) leaves them", async (t) => {
  const w = await world();
  const a = await w.user(0);
  const link = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  t.after(() => link.close());
  const before: CacheCheck | undefined = (await link.status()).cacheCheck;
  assert.deepEqual(before, { lastCheckedAt: null, running: false, checked: 0, putRight: 0, givenToRemotes: 0, damaged: [], damagedCount: 0 });
  const report = await a.daemon.checkCache();
  assert.ok(report.checked > 0);
  assert.deepEqual((await link.status()).cacheCheck, report);
});

test('an app\'s "Try now": status({ reconnect: true }) tries a remote away at once instead of at the end of its wait, and tells how it went', async (t) => {
  const w = await world();
  const cut = await CuttableLink.open(w.serverPort);
  t.after(() => cut.close());
  // A wait of a minute between tries: only the app's ask brings the remote back within the test.
  const a = await w.user(0, { remotePort: cut.port, reconnect: { initialMs: 60_000, maxMs: 60_000, jitter: 'none' } });
  const link = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  t.after(() => link.close());
  cut.cut();
  const away = await until(async () => {
    const r = (await link.status()).remotes[0]!;
    return r.connected || r.nextAttemptAt === null ? null : r;
  }, 'the remote seen as gone, its next try set');
  assert.ok(away.nextAttemptAt! > Date.now() + 50_000, 'tried next in a minute');
  const still = (await link.status({ reconnect: true })).remotes[0]!;
  assert.equal(still.connected, false, 'the link is still cut');
  assert.notEqual(still.lastFailure, null);
  cut.restore();
  const back = (await link.status({ reconnect: true })).remotes[0]!;
  assert.deepEqual([back.connected, back.nextAttemptAt, back.lastFailure], [true, null, null]);

});
