// The consent rule, every policy against every trust: the behaviour the settings' words promise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WAITING_LIMITS, decideShare, noRoomToWait } from '../../../src/core/sharing/consent.js';
import { SHARING_POLICIES } from '../../../src/common/config-fields.js';
import { TRUST_LEVELS } from '../../../src/common/people.js';

test('blocked is refused and trusted taken under every policy; others follow the policy', () => {
  const others = { all: 'take', known: 'refuse', ask: 'ask' } as const;
  for (const policy of SHARING_POLICIES) {
    assert.equal(decideShare(policy, 'blocked', false), 'refuse');
    assert.equal(decideShare(policy, 'trusted', false), 'take');
    assert.equal(decideShare(policy, 'trusted', true), 'refuse', 'sharing.block wins over trust');
    assert.equal(decideShare(policy, 'ask', false), others[policy]);
    assert.equal(decideShare(policy, null, false), others[policy]);
  }
  assert.deepEqual([...TRUST_LEVELS], ['trusted', 'ask', 'blocked']);
});

test('a new share of an object taken from the same sender before is taken under every policy, unless they are blocked', () => {
  for (const policy of SHARING_POLICIES) {
    for (const trust of [null, 'ask', 'trusted'] as const) assert.equal(decideShare(policy, trust, false, true), 'take', `${policy}/${trust}`);
    assert.equal(decideShare(policy, 'blocked', false, true), 'refuse');
    assert.equal(decideShare(policy, 'ask', true, true), 'refuse', 'sharing.block wins');
  }
});

test('the waiting list has room until one sender, or everyone, has filled it', () => {
  const limits = { perSender: 2, total: 4 };
  assert.equal(noRoomToWait([], 'a', limits), null);
  assert.equal(noRoomToWait(['a', 'b'], 'a', limits), null);
  assert.match(noRoomToWait(['a', 'b', 'a'], 'a', limits) ?? '', /2 of their shares already wait .*at most 2 from one person/);
  assert.equal(noRoomToWait(['a', 'b', 'a'], 'c', limits), null);
  assert.match(noRoomToWait(['a', 'b', 'a', 'c'], 'd', limits) ?? '', /4 shares already wait .*at most 4/);
  // The defaults: enough for any real person, far below what would swell the account's records.
  assert.deepEqual(WAITING_LIMITS, { perSender: 20, total: 200 });
  assert.equal(noRoomToWait(Array(19).fill('a'), 'a'), null);
  assert.notEqual(noRoomToWait(Array(20).fill('a'), 'a'), null);
});
