// Walking the settings table and plain values by key path, as the config module, the contract
// and the host do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childKeys, isGroup, isKey, isRemotes, keysOf, nodeAt, putIn, valueIn } from '../../src/common/config-paths.js';

test('nodeAt and childKeys walk sections, groups and the items of remotes', () => {
  assert.deepEqual(childKeys([]), ['process', 'instrumentation', 'user', 'remotes', 'server', 'sharing', 'account', 'desktop']);
  assert.deepEqual(childKeys(['remotes']), []);
  assert.deepEqual(childKeys(['remotes', 3]), ['host', 'port', 'tls', 'registration']);
  assert.deepEqual(childKeys(['desktop', 'notifications']), ['incoming_share', 'share_result', 'remote_unreachable', 'daemon_error', 'account_change']);
  assert.deepEqual(childKeys(['server', 'port']), []);
  assert.deepEqual(childKeys(['nothing', 'here']), []);
  assert.ok(isRemotes(nodeAt(['remotes'])!));
  assert.ok(isGroup(nodeAt(['desktop', 'notifications'])!));
  assert.ok(isKey(nodeAt(['remotes', 0, 'tls'])!));
  assert.equal(nodeAt(['remotes', 'tls']), undefined);
  assert.equal(nodeAt(['server', 'port', 'deeper']), undefined);
  assert.equal(nodeAt(['toString']), undefined, 'no prototype keys');
  assert.equal(nodeAt(['server', '__proto__']), undefined);
});

test('keysOf flattens groups and names a remote item remotes[].key', () => {
  const paths = keysOf().map((k) => k.path.join('.'));
  assert.ok(paths.includes('desktop.notifications.share_result'));
  assert.ok(paths.includes('remotes[].registration'));
  assert.equal(paths.includes('desktop.notifications'), false);
  assert.equal(new Set(paths).size, paths.length);
});

test('valueIn and putIn read and build nested objects by key path', () => {
  const o: Record<string, unknown> = {};
  putIn(o, ['a', 'b', 'c'], 1);
  putIn(o, ['a', 'd'], 2);
  assert.deepEqual(o, { a: { b: { c: 1 }, d: 2 } });
  assert.equal(valueIn(o, ['a', 'b', 'c']), 1);
  assert.equal(valueIn(o, ['a', 'x', 'c']), undefined);
  assert.equal(valueIn(o, ['a', 'd', 'e']), undefined);
  assert.equal(valueIn({}, ['constructor']), undefined, 'only own keys');
});
