// The objects shared with us are read along their frames only, so Sharing has the daemon follow
// them (keep them subscribed whether an app has them open or not): every one recorded when it
// starts, the newest first up to MAX_FOLLOWED_SHARES, and each share as it is taken.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_FOLLOWED_SHARES, Sharing } from '../../../src/core/sharing/sharing.js';
import { FakeDaemon, randomGhid } from '../../fixtures/ipc/fakes.js';

function sharingOver(daemon: FakeDaemon) {
  return new Sharing(daemon, { policy: () => 'all', blocked: () => [], warn: () => {} });
}

test('at its start, Sharing has the daemon follow every object shared with us', () => {
  const daemon = new FakeDaemon();
  const from = randomGhid();
  const objects = [randomGhid(), randomGhid(), randomGhid()];
  objects.forEach((o, i) => daemon.shared.map.raw.set(`shared-in:${o.text}`, { f: from.text, a: null, z: 1, at: 1000 + i }));
  // Shares we sent are ours to write, not to follow.
  daemon.shared.map.raw.set(`shared-out:${randomGhid().text}`, { r: from.text, s: 'accepted', a: null, z: 1, at: 5 });
  sharingOver(daemon);
  assert.deepEqual(daemon.followed, new Set(objects.map((o) => o.text)));
});

test(`only the ${MAX_FOLLOWED_SHARES} newest shares are followed: a remote takes so many subscriptions per connection`, () => {
  const daemon = new FakeDaemon();
  const from = randomGhid();
  const objects = Array.from({ length: MAX_FOLLOWED_SHARES + 2 }, () => randomGhid());
  objects.forEach((o, i) => daemon.shared.map.raw.set(`shared-in:${o.text}`, { f: from.text, a: null, z: 1, at: 1000 + i }));
  sharingOver(daemon);
  assert.equal(daemon.followed.size, MAX_FOLLOWED_SHARES);
  assert.ok(!daemon.followed.has(objects[0]!.text) && !daemon.followed.has(objects[1]!.text), 'the two oldest are left out');
  assert.ok(daemon.followed.has(objects.at(-1)!.text));
});
