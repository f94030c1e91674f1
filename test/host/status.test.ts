// The status the UI and the tray see, from its sources: warnings merged per code, remotes from
// the right config, and events only when something changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, HOST_WARNINGS, HostFailure, type HostEvent } from '../../src/common/contract.js';
import { PASSWORD_CHANGED_ELSEWHERE } from '../../src/host/notice-words.js';
import { validateConfig } from '../../src/core/config/index.js';
import { createMemoryLogger } from '../../src/core/log/index.js';
import { StatusFeed, mergeWarnings, statusOf, tryRemotesNow, type StatusSources } from '../../src/host/status.js';
import { NOT_CHECKED } from '../../src/core/daemon/cache-check.js';
import { until } from './helpers.js';

const withRemote = validateConfig('remotes:\n  - host: hgx.example\n    port: 7770\n    tls: true\n', { file: '/h/hypergolix.yml', homedir: '/h' }).config;

test('mergeWarnings: one per code in order of first appearance, repeats counted, at most 32', () => {
  assert.deepEqual(
    mergeWarnings([
      ['unknown-key', 'Unknown key a'],
      ['root-secret', 'A root secret is in the file'],
      ['unknown-key', 'Unknown key b'],
      ['unknown-key', 'Unknown key c'],
    ]),
    [
      { code: 'unknown-key', message: 'Unknown key a (and 2 more like it)' },
      { code: 'root-secret', message: 'A root secret is in the file' },
    ],
  );
  assert.equal(mergeWarnings(Array.from({ length: 40 }, (_, i) => [`code-${i}`, 'm'] as const)).length, 32);
});

test("damaged objects in the embedded server's store are a standing warning, in words, while there are some", () => {
  const sources: StatusSources = { app: null, config: null, configWarnings: [], serverProblem: null, serverDamaged: 0 };
  assert.deepEqual(statusOf('running', null, sources, new Map()).warnings, []);
  sources.serverDamaged = 1;
  assert.deepEqual(statusOf('running', null, sources, new Map()).warnings, [
    {
      code: 'embedded-server-damaged',
      message: "This computer's server holds an object damaged on its disk. It answers it as not there until a computer that holds it sends it again, which each computer of an account does at its daily check.",
    },
  ]);
  sources.serverDamaged = 1234;
  assert.match(statusOf('running', null, sources, new Map()).warnings[0]!.message, /^This computer's server holds 1,234 objects damaged on its disk\. It answers them as not there until a computer that holds them sends them again/);
});

test('statusOf while locked: the file\'s remotes (not connected), nothing counted, warnings from the file, the server and the host', () => {
  const sources: StatusSources = { app: null, config: withRemote, configWarnings: [{ code: 'root-secret', message: 'secret in the file' }], serverProblem: 'port taken' };
  const status = statusOf('locked', 'enter your password', sources, new Map([['config-invalid', 'the file has a problem']]));
  assert.deepEqual(status, {
    state: 'locked',
    message: 'enter your password',
    remotes: [{ host: 'hgx.example', port: 7770, tls: true, connected: false }],
    objectsCached: 0,
    connectedApps: 0,
    incomingShares: [],
    warnings: [
      { code: 'root-secret', message: 'secret in the file' },
      { code: 'embedded-server', message: 'port taken' },
      { code: 'config-invalid', message: 'the file has a problem' },
    ],
  });
  assert.deepEqual(statusOf('no-account', null, { app: null, config: null, configWarnings: [], serverProblem: null }, new Map()).remotes, []);
});

test('StatusFeed: a state change is sent; nothing is sent without subscribers; polling sends only what changed', async () => {
  const sources: StatusSources = { app: null, config: null, configWarnings: [], serverProblem: null };
  const feed = new StatusFeed(createMemoryLogger(), () => sources);
  feed.setState('no-account');
  const events: HostEvent[] = [];
  const stop = feed.subscribe((ev) => events.push(ev));
  feed.setState('locked', 'hello');
  assert.deepEqual(events.map((e) => e.kind === 'status' && [e.status.state, e.status.message]), [['locked', 'hello']]);
  feed.say('enter your password');
  assert.equal(feed.message, 'enter your password');
  assert.equal(events.length, 2);

  feed.poll(10);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(events.length, 2, 'nothing changed, nothing sent');
  sources.serverProblem = 'the port is taken';
  await until(() => events.length === 3, 'the changed status');
  feed.setStateQuietly('error');
  assert.equal(feed.state, 'error');
  feed.close();
  stop();
  sources.serverProblem = null;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(events.length, 3, 'closed: no more polling');
});

test('statusOf while running: a storage line for the local cache (ok, or full with path and free space) and remotes whose storage is full, or failed', () => {
  let storage: unknown = { kind: 'ok' };
  let remoteStorage = 'storage_full';
  const app = {
    daemon: {
      network: { status: () => [{ label: 'hgx.example:7770', connected: true, pending: 3, storage: remoteStorage, lastFailure: null, lastConnectedAt: 5 }] },
      engine: { stats: () => ({ objects: 7, byType: {} }), storage: () => storage },
      cacheCheck: { ...NOT_CHECKED, lastCheckedAt: 9, checked: 7, putRight: 1 },
      rootWatch: { passwordChangedElsewhereAt: null as number | null },
    },
    sharing: { pending: () => [] },
    ipc: null,
  } as unknown as NonNullable<StatusSources['app']>;
  const sources: StatusSources = { app, config: withRemote, configWarnings: [], serverProblem: null };
  const ok = statusOf('running', null, sources, new Map());
  assert.deepEqual(ok.storage, { kind: 'ok', path: null, freeBytes: null, message: null });
  assert.deepEqual(ok.cacheCheck, { lastCheckedAt: 9, running: false, checked: 7, putRight: 1, givenToRemotes: 0, damaged: [], damagedCount: 0 });
  assert.deepEqual(ok.remotes, [{ host: 'hgx.example', port: 7770, tls: true, connected: true, storageFull: true, problem: null, lastConnectedAt: 5, nextAttemptAt: null, backlog: 3 }]);
  // Its database down: failed, not full.
  remoteStorage = 'storage_failed';
  assert.deepEqual(statusOf('running', null, sources, new Map()).remotes, [{ host: 'hgx.example', port: 7770, tls: true, connected: true, storageFailed: true, problem: null, lastConnectedAt: 5, nextAttemptAt: null, backlog: 3 }]);
  remoteStorage = 'storage_full';

  storage = { kind: 'full', path: '/h/ghidcache/journal', errno: 'ENOSPC', freeBytes: 4096, since: 1, message: 'The disk holding /h/ghidcache is full (4 KiB free)' };
  const full = statusOf('running', null, sources, new Map());
  assert.deepEqual(full.storage, { kind: 'full', path: '/h/ghidcache/journal', freeBytes: 4096, message: 'The disk holding /h/ghidcache is full (4 KiB free)' });
  assert.deepEqual(full.warnings, []);

  // The password changed on another computer: said on the Status page while it stays unlocked.
  (app.daemon as unknown as { rootWatch: { passwordChangedElsewhereAt: number | null } }).rootWatch.passwordChangedElsewhereAt = 1_700_000_000_000;
  assert.deepEqual(statusOf('running', null, sources, new Map()).warnings, [{ code: HOST_WARNINGS.passwordChangedElsewhere, message: PASSWORD_CHANGED_ELSEWHERE }]);
});

test('a remote away is told with when it is tried next; Try now asks the daemon, and is refused in words while locked', async () => {
  let tried = 0;
  const app = {
    daemon: {
      network: { status: () => [{ label: 'hgx.example:7770', connected: false, pending: 0, storage: 'ok', lastFailure: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED', at: 1 }, lastConnectedAt: 5, nextAttemptAt: 25_000 }] },
      engine: { stats: () => ({ objects: 7, byType: {} }), storage: () => ({ kind: 'ok' }) },
      cacheCheck: NOT_CHECKED,
      tryRemotes: async () => void tried++,
      rootWatch: { passwordChangedElsewhereAt: null },
    },
    sharing: { pending: () => [] },
    ipc: null,
  } as unknown as NonNullable<StatusSources['app']>;
  const away = statusOf('running', null, { app, config: withRemote, configWarnings: [], serverProblem: null }, new Map()).remotes[0]!;
  assert.equal(away.connected, false);
  assert.equal(away.nextAttemptAt, 25_000);
  assert.match(away.problem!, /\S/, 'why, in words');
  await tryRemotesNow(app);
  assert.equal(tried, 1);
  await assert.rejects(tryRemotesNow(null), (err: unknown) => err instanceof HostFailure && err.code === ERROR_CODES.invalidState && /Unlock Hypergolix/.test(err.message));
});
