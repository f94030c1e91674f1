// The consent rule, every policy against every trust: the behaviour the settings' words promise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideShare } from '../../../src/core/sharing/consent.js';
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
