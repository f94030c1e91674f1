import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HostFailure,
  checkResponse,
  dispatch,
  hostPortFrom,
  parseEvent,
  parseRequest,
  type HostEvent,
  type HostHandlers,
  type Request,
  type Settings,
} from '../../src/common/contract.js';
import { tryParse } from '../../src/common/wire-check.js';
import { FakeHost, defaultSettings } from '../fixtures/ui/fake-host.js';

const goodRequests: Request[] = [
  { kind: 'getState' },
  { kind: 'createAccount', password: 'correct horse' },
  { kind: 'unlock', password: 'pw', rememberOnThisComputer: false },
  { kind: 'lock' },
  { kind: 'getSettings' },
  { kind: 'saveSettings', settings: defaultSettings() },
  { kind: 'whoami' },
  { kind: 'status' },
  { kind: 'acceptShare', id: 's1' },
  { kind: 'declineShare', id: 's1' },
];

test('every well-formed request parses to itself', () => {
  for (const req of goodRequests) assert.deepEqual(parseRequest(req), { ok: true, value: req }, req.kind);
});

test('a request keeps only the keys the contract names', () => {
  const parsed = parseRequest(JSON.parse('{"kind":"unlock","password":"p","rememberOnThisComputer":true,"__proto__":{"admin":true},"extra":1}'));
  assert.ok(parsed.ok);
  assert.deepEqual(Object.keys(parsed.value).sort(), ['kind', 'password', 'rememberOnThisComputer']);
  assert.equal(Object.getPrototypeOf(parsed.value), Object.prototype);
});

test('malformed requests are refused with a typed error naming the problem', () => {
  const bad: [unknown, string, RegExp][] = [
    [null, 'bad-request', /kind/],
    ['getState', 'bad-request', /kind/],
    [[{ kind: 'getState' }], 'bad-request', /kind/],
    [{}, 'bad-request', /kind/],
    [{ kind: 7 }, 'bad-request', /kind/],
    [{ kind: 'rm -rf' }, 'unknown-request', /unknown kind/],
    [{ kind: 'toString' }, 'unknown-request', /unknown kind/],
    [{ kind: '__proto__' }, 'unknown-request', /unknown kind/],
    [{ kind: 'createAccount' }, 'bad-request', /password/],
    [{ kind: 'createAccount', password: '' }, 'bad-request', /password/],
    [{ kind: 'createAccount', password: 'x'.repeat(1025) }, 'bad-request', /password/],
    [{ kind: 'unlock', password: 'p' }, 'bad-request', /rememberOnThisComputer/],
    [{ kind: 'unlock', password: 'p', rememberOnThisComputer: 'yes' }, 'bad-request', /rememberOnThisComputer/],
    [{ kind: 'acceptShare', id: 3 }, 'bad-request', /id/],
    [{ kind: 'saveSettings' }, 'bad-request', /settings/],
  ];
  for (const [input, code, message] of bad) {
    const r = parseRequest(input);
    assert.equal(r.ok, false, JSON.stringify(input));
    if (!r.ok) {
      assert.equal(r.error.code, code, JSON.stringify(input));
      assert.match(r.error.message, message, JSON.stringify(input));
    }
  }
});

test('settings are checked field by field, with the path of the first bad one', () => {
  const cases: [(s: Settings) => void, RegExp][] = [
    [(s) => ((s.remotes[0] as unknown as { port: string }).port = '7770'), /settings\.remotes\.0\.port/],
    [(s) => ((s.remotes[0] as unknown as { tls: string }).tls = 'yes'), /settings\.remotes\.0\.tls/],
    [(s) => (s.remotes = Array.from({ length: 65 }, () => ({ host: 'h', port: 1, tls: false }))), /settings\.remotes/],
    [(s) => ((s.instrumentation as { verbosity: string }).verbosity = 'loud'), /instrumentation\.verbosity/],
    [(s) => ((s.server as { host: string }).host = 'any'), /server\.host/],
    [(s) => ((s.sharing as { accept: string }).accept = 'none'), /sharing\.accept/],
    [(s) => ((s.process as { ipc_port: unknown }).ipc_port = Number.NaN), /process\.ipc_port/],
    [(s) => delete (s.desktop.notifications as Partial<Settings['desktop']['notifications']>).daemon_error, /notifications\.daemon_error/],
    [(s) => ((s as { desktop: unknown }).desktop = null), /settings\.desktop/],
  ];
  for (const [spoil, where] of cases) {
    const settings = defaultSettings();
    spoil(settings);
    const r = parseRequest({ kind: 'saveSettings', settings });
    assert.equal(r.ok, false, String(where));
    if (!r.ok) assert.match(r.error.message, where);
  }
  // Semantics (port ranges, host syntax) belong to the config rules, not the wire.
  const odd = defaultSettings();
  odd.server.port = 99999;
  assert.equal(parseRequest({ kind: 'saveSettings', settings: odd }).ok, true);
});

test('events: good ones parse, malformed ones are refused', () => {
  const good: HostEvent[] = [
    { kind: 'accountProgress', stage: 'keys' },
    { kind: 'accountProgress', stage: 'publish', fraction: 0.5 },
    { kind: 'restartProgress', phase: 'stopping' },
    { kind: 'restartProgress', phase: 'failed', message: 'port in use' },
    { kind: 'configChanged', settings: defaultSettings() },
    {
      kind: 'status',
      status: {
        state: 'error',
        message: 'boom',
        remotes: [{ host: 'h', port: 1, tls: true, connected: false }],
        objectsCached: 3,
        connectedApps: 0,
        incomingShares: [{ id: 'a', from: 'AQ', apiId: 'AA', receivedAt: 1 }],
        warnings: [{ code: 'legacy-ipc', message: 'on' }],
      },
    },
  ];
  for (const ev of good) assert.deepEqual(parseEvent(ev), { ok: true, value: ev }, ev.kind);
  const bad = [
    { kind: 'accountProgress', stage: 'mining' },
    { kind: 'restartProgress' },
    { kind: 'status', status: { state: 'sleeping' } },
    { kind: 'status', status: { ...(good[5] as { status: object }).status, objectsCached: -1 } },
    { kind: 'configChanged', settings: {} },
    { kind: 'shutdown' },
  ];
  for (const ev of bad) assert.equal(parseEvent(ev).ok, false, JSON.stringify(ev));
});

test('responses are checked against the kind of request they answer', () => {
  assert.equal(tryParse(checkResponse('whoami'), { ok: true, value: { fingerprint: 'AQ', userId: 'AS' } }).ok, true);
  assert.equal(tryParse(checkResponse('whoami'), { ok: true, value: { fingerprint: 'AQ' } }).ok, false);
  assert.equal(tryParse(checkResponse('saveSettings'), { ok: false, error: { code: 'invalid-settings', message: 'm', fields: { 'server.port': 'too big' } } }).ok, true);
  assert.equal(tryParse(checkResponse('saveSettings'), { ok: false, error: { code: 'x', message: 'm', fields: { a: 1 } } }).ok, false);
  assert.equal(tryParse(checkResponse('lock'), { ok: 'yes' }).ok, false);
  assert.equal(tryParse(checkResponse('lock'), { ok: false }).ok, false);
  // The embedded server's store check: one going on, the last, what is damaged now.
  const store = { running: { checked: 3, total: 9 }, last: { finishedAt: 5, checked: 9, damaged: 1 }, damagedNow: 1 };
  assert.equal(tryParse(checkResponse('checkServerStore'), { ok: true, value: store }).ok, true);
  assert.equal(tryParse(checkResponse('checkServerStore'), { ok: true, value: { running: null, last: null, damagedNow: 0 } }).ok, true);
  for (const bad of [{ ...store, damagedNow: undefined }, { ...store, damagedNow: -1 }, { ...store, running: { checked: 3 } }, { ...store, last: { ...store.last, finishedAt: 'today' } }]) {
    assert.equal(tryParse(checkResponse('checkServerStore'), { ok: true, value: bad }).ok, false, JSON.stringify(bad));
  }
});

test('hostPortFrom turns throws into typed errors; dispatch never lets bad input through', async () => {
  const handlers = {
    unlock: async () => {
      throw new HostFailure('wrong-password', 'Incorrect password');
    },
    saveSettings: async () => {
      throw new HostFailure('invalid-settings', 'bad', { 'server.port': 'Enter a port from 1 to 65535.' });
    },
    lock: async () => {
      throw new Error('disk on fire');
    },
  } as unknown as HostHandlers;
  const port = hostPortFrom(handlers, () => () => {});
  assert.deepEqual(await port.request({ kind: 'unlock', password: 'p', rememberOnThisComputer: false }), {
    ok: false,
    error: { code: 'wrong-password', message: 'Incorrect password' },
  });
  assert.deepEqual(await port.request({ kind: 'saveSettings', settings: defaultSettings() }), {
    ok: false,
    error: { code: 'invalid-settings', message: 'bad', fields: { 'server.port': 'Enter a port from 1 to 65535.' } },
  });
  assert.deepEqual(await port.request({ kind: 'lock' }), { ok: false, error: { code: 'internal', message: 'disk on fire' } });

  const host = new FakeHost();
  assert.equal((await dispatch(host, { kind: 'lock', junk: true })).ok, true);
  assert.equal((await dispatch(host, { kind: 'unlock' })).ok, false);
  const throwing = { request: () => Promise.reject(new Error('host crashed')), subscribe: () => () => {} };
  assert.deepEqual(await dispatch(throwing, { kind: 'status' }), { ok: false, error: { code: 'internal', message: 'host crashed' } });
  assert.deepEqual(host.calls, [{ kind: 'lock' }]);
});
