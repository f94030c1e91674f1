// The checks of a daemon's status body and of a check of its files (src/wire/status.ts): what an
// app reads is what it should be, or a ValueError naming the first field that is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError, checkCacheCheck, checkDaemonStatus } from '../../src/wire/index.js';

const check = { lastCheckedAt: 1_700_000_000_000, running: false, checked: 12, putRight: 1, givenToRemotes: 0, damaged: ['AAAA'], damagedCount: 1 };
const status = { fingerprint: 'AQ', objectsCached: 12, appsConnected: 0, sharesWaiting: 0, storage: { kind: 'ok' }, remotes: [{ remote: 'h:1', connected: true, waiting: 0 }] };

test('a sound status passes with or without its cacheCheck (daemons before 0.4 send none); a sound check passes', () => {
  assert.deepEqual(checkDaemonStatus(status), status);
  assert.deepEqual(checkDaemonStatus({ ...status, cacheCheck: check }), { ...status, cacheCheck: check });
  assert.deepEqual(checkCacheCheck({ ...check, lastCheckedAt: null }), { ...check, lastCheckedAt: null });
});

test('a check with a field that is not what it should be is a ValueError naming it, in a status too', () => {
  const cases: [Record<string, unknown> | unknown, RegExp][] = [
    [null, /to be a JSON object/],
    [[], /to be a JSON object/],
    [{ ...check, checked: -1 }, /no count of checked/],
    [{ ...check, putRight: 1.5 }, /no count of putRight/],
    [{ ...check, damagedCount: '1' }, /no count of damagedCount/],
    [{ ...check, lastCheckedAt: 'yesterday' }, /no time of its last check/],
    [{ ...check, running: 1 }, /no running flag/],
    [{ ...check, damaged: 'AAAA' }, /no list of damaged objects/],
    [{ ...check, damaged: [1] }, /no list of damaged objects/],
  ];
  for (const [value, why] of cases) {
    assert.throws(() => checkCacheCheck(value), (e: unknown) => e instanceof ValueError && why.test((e as Error).message), JSON.stringify(value));
    assert.throws(() => checkDaemonStatus({ ...status, cacheCheck: value }), (e: unknown) => e instanceof ValueError && why.test((e as Error).message), JSON.stringify(value));
  }
});

test("a status's time the password was changed elsewhere is a time, null, or absent (daemons before 0.5)", () => {
  for (const at of [1_700_000_000_000, null]) assert.deepEqual(checkDaemonStatus({ ...status, passwordChangedElsewhereAt: at }), { ...status, passwordChangedElsewhereAt: at });
  for (const at of [-1, 'yesterday', 1.5, {}]) {
    assert.throws(() => checkDaemonStatus({ ...status, passwordChangedElsewhereAt: at }), (e: unknown) => e instanceof ValueError && /password was changed elsewhere/.test((e as Error).message), JSON.stringify(at));
  }
});
