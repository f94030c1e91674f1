// The daemon's status over IPC (`D?`, what `hypergolix status` shows): for authenticated
// connections only, the asker not counted among the apps, and each remote and the cache's
// storage as the daemon knows them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daemonStatusJson } from '../../../src/core/ipc/daemon-status.js';
import { NOT_CHECKED } from '../../../src/core/daemon/cache-check.js';
import type { Sharing } from '../../../src/core/sharing/sharing.js';
import { checkCacheCheck, decodeJsonBody, type DaemonStatusJson } from '../../../src/wire/index.js';
import { FakeDaemon } from '../../fixtures/ipc/fakes.js';
import { RawClient, until, world } from '../../fixtures/ipc/world.js';
import { CuttableLink } from '../../fixtures/remote/cuttable-link.js';

test('D? tells an authenticated app the account, its cache and its remote; the asker is not among the apps; a legacy client is refused', async (t) => {
  const w = await world();
  const a = await w.user(0, { ipc: { legacyClients: true } });
  const legacy = await RawClient.open(a.port);
  t.after(() => legacy.close());
  await assert.rejects(legacy.ok('D?'), /needs a connection authenticated with the IPC key/);

  const raw = await RawClient.open(a.port);
  t.after(() => raw.close());
  await raw.ok('AU', a.key);
  const status = decodeJsonBody(await raw.ok('D?')) as DaemonStatusJson;
  assert.equal(status.fingerprint, a.daemon.fingerprint.text);
  assert.equal(status.objectsCached, a.daemon.engine.stats().objects);
  assert.ok(status.objectsCached > 0, 'the account objects are cached');
  assert.deepEqual(status.storage, { kind: 'ok', path: null, freeBytes: null, message: null });
  assert.equal(status.remotes.length, 1);
  assert.equal(status.remotes[0]!.remote, `127.0.0.1:${w.serverPort}`);
  assert.equal(status.remotes[0]!.connected, true);
  assert.equal(status.remotes[0]!.waiting, 0);
  assert.equal(status.remotes[0]!.lastFailure, null);
  assert.equal(status.sharesWaiting, 0);
  assert.equal(status.appsConnected, 1, 'the legacy client is an app connected; the asker is not counted');

  const other = await RawClient.open(a.port);
  t.after(() => other.close());
  await other.ok('AU', a.key);
  assert.equal((decodeJsonBody(await raw.ok('D?')) as DaemonStatusJson).appsConnected, 2);
});

test('a remote away, one that wants us registered, and a full cache are told as data', () => {
  const daemon = new FakeDaemon();
  daemon.current = {
    remotes: [
      { label: 'a.example:7770', connected: false, pending: 3, storage: 'ok', freeTier: null, lastFailure: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED', at: 5 }, lastConnectedAt: 1_700_000_000_000, nextAttemptAt: 1_700_000_030_000 },
      { label: 'b.example:7770', connected: true, pending: 1, storage: 'storage_full', freeTier: { used: 10, limit: 10, message: 'register on b.example:7770 to upload more' }, lastFailure: { code: 'ECONNRESET', message: 'old', at: 4 }, lastConnectedAt: 1_700_000_001_000, nextAttemptAt: 1_700_000_002_000 },
    ],
    storage: { kind: 'full', path: '/home/x/ghidcache', errno: 'ENOSPC', freeBytes: 512, since: 1, message: 'The disk holding /home/x/ghidcache is full' },
    cacheCheck: NOT_CHECKED,
    passwordChangedElsewhereAt: 1_700_000_003_000,
  };
  const sharing = { pending: () => [{}, {}] } as unknown as Sharing;
  const status = daemonStatusJson(daemon, sharing, 2);
  assert.deepEqual(status.storage, { kind: 'full', path: '/home/x/ghidcache', freeBytes: 512, message: 'The disk holding /home/x/ghidcache is full' });
  assert.deepEqual(status.remotes, [
    { remote: 'a.example:7770', connected: false, waiting: 3, storage: 'ok', registerHint: null, lastFailure: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, lastConnectedAt: 1_700_000_000_000, nextAttemptAt: 1_700_000_030_000 },
    { remote: 'b.example:7770', connected: true, waiting: 1, storage: 'storage_full', registerHint: 'register on b.example:7770 to upload more', lastFailure: null, lastConnectedAt: 1_700_000_001_000, nextAttemptAt: null },
  ]);
  assert.equal(status.sharesWaiting, 2);
  assert.equal(status.appsConnected, 2);
  assert.equal(status.objectsCached, 0);
  assert.equal(status.passwordChangedElsewhereAt, 1_700_000_003_000, 'a password changed on another computer, and when this one learned of it');
});

test('D+ answers the status and then tells each change with D!, at once when an app comes or the remote goes; D- ends it; a legacy client may not watch', async (t) => {
  const w = await world();
  const a = await w.user(0, { ipc: { legacyClients: true, statusIntervalMs: 60_000 } });
  const legacy = await RawClient.open(a.port);
  t.after(() => legacy.close());
  await assert.rejects(legacy.ok('D+'), /needs a connection authenticated with the IPC key/);

  const watcher = await RawClient.open(a.port);
  t.after(() => watcher.close());
  await watcher.ok('AU', a.key);
  const first = decodeJsonBody(await watcher.ok('D+')) as DaemonStatusJson;
  assert.equal(first.appsConnected, 1, 'the legacy client');
  assert.equal(first.remotes[0]!.connected, true);
  const told = () => watcher.pushes.filter((p) => p.code === 'D!').map((p) => decodeJsonBody(p.body) as DaemonStatusJson);

  // Another app connects: told at once (the interval here is a minute).
  const other = await RawClient.open(a.port);
  await other.ok('AU', a.key);
  await until(() => told().length === 1, 'D! after an app connected');
  assert.equal(told()[0]!.appsConnected, 2);

  // The remote goes away: told at once, with why.
  await w.server.close();
  await until(() => told().some((s) => !s.remotes[0]!.connected), 'D! after the remote went away');
  const away = told().find((s) => !s.remotes[0]!.connected)!;
  assert.notEqual(away.remotes[0]!.lastFailure, null);

  // Unwatched: the other app leaving is not told.
  assert.deepEqual(await watcher.ok('D-'), Buffer.of(1));
  const count = told().length;
  other.close();
  await until(async () => (decodeJsonBody(await watcher.ok('D?')) as DaemonStatusJson).appsConnected === 1, 'the other app gone');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(told().length, count);
});

test('DC checks the local files and answers what it found, for an authenticated connection only; D? then tells the same', async (t) => {
  const w = await world();
  const a = await w.user(0, { ipc: { legacyClients: true } });
  const legacy = await RawClient.open(a.port);
  t.after(() => legacy.close());
  await assert.rejects(legacy.ok('DC'), /needs a connection authenticated with the IPC key/);
  assert.equal(a.daemon.status().cacheCheck.lastCheckedAt, null, 'a refused check does not run');

  const raw = await RawClient.open(a.port);
  t.after(() => raw.close());
  await raw.ok('AU', a.key);
  const report = checkCacheCheck(decodeJsonBody(await raw.ok('DC')));
  assert.equal(report.checked, a.daemon.engine.stats().objects);
  assert.deepEqual([report.running, report.damagedCount, report.putRight], [false, 0, 0]);
  assert.deepEqual((decodeJsonBody(await raw.ok('D?')) as DaemonStatusJson).cacheCheck, report);
});

test('DR tries a remote away at once instead of at the end of its back-off, and answers the status after; D? tells when the next try is', async (t) => {
  const w = await world();
  const link = await CuttableLink.open(w.serverPort);
  t.after(() => link.close());
  // A back-off of a minute: only DR brings it back within the test.
  const a = await w.user(0, { remotePort: link.port, reconnect: { initialMs: 60_000, maxMs: 60_000, jitter: 'none' }, ipc: { legacyClients: true } });
  const raw = await RawClient.open(a.port);
  t.after(() => raw.close());
  await assert.rejects(raw.ok('DR'), /needs a connection authenticated with the IPC key/);
  await raw.ok('AU', a.key);
  link.cut();
  const away = await until(async () => {
    const s = decodeJsonBody(await raw.ok('D?')) as DaemonStatusJson;
    return s.remotes[0]!.connected || s.remotes[0]!.nextAttemptAt === null ? null : s.remotes[0]!;
  }, 'the remote to go away, its next try set');
  assert.ok(away.nextAttemptAt! > Date.now() + 50_000, `the next try is a minute away: ${away.nextAttemptAt}`);

  // Still cut: the try fails, and is told as it ended.
  const stillAway = (decodeJsonBody(await raw.ok('DR')) as DaemonStatusJson).remotes[0]!;
  assert.equal(stillAway.connected, false);
  assert.ok(stillAway.lastFailure !== null, 'why it failed');
  assert.ok(stillAway.nextAttemptAt! > Date.now(), 'and when it tries again');

  link.restore();
  const back = (decodeJsonBody(await raw.ok('DR')) as DaemonStatusJson).remotes[0]!;
  assert.equal(back.connected, true, 'connected in the answer itself');
  assert.equal(back.nextAttemptAt, null);
  assert.equal(back.lastFailure, null);
  // Nothing to try: answered at once.
  assert.equal((decodeJsonBody(await raw.ok('DR')) as DaemonStatusJson).remotes[0]!.connected, true);
});
