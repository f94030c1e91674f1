// Contacts over an account state map: names, trust, the verified mark, older accounts' `true`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Contacts, InvalidContact, checkContactName, parseFingerprint, parseTrust } from '../../../src/core/sharing/contacts.js';
import { memoryState } from '../../fixtures/account/memory-state.js';
import { randomGhid } from '../../fixtures/ipc/fakes.js';

function contacts() {
  const { map, state } = memoryState();
  const self = randomGhid();
  let clock = 1000;
  return { map, self, c: new Contacts(state('contact:'), self, () => clock++) };
}

test('add, rename, trust, verify and remove a contact; the list is sorted by name', () => {
  const { c, map } = contacts();
  const alice = randomGhid();
  const bob = randomGhid();
  c.set(bob, { name: 'Bob' });
  c.set(alice, { name: '  Alice ', trust: 'trusted' });
  assert.deepEqual(c.list().map((x) => [x.name, x.trust, x.verified]), [['Alice', 'trusted', false], ['Bob', 'ask', false]]);
  c.update(bob, { name: 'Robert', verified: true });
  assert.deepEqual({ ...c.get(bob)!, fingerprint: c.get(bob)!.fingerprint.text }, { fingerprint: bob.text, name: 'Robert', trust: 'ask', verified: true, addedAt: 1000 });
  c.update(bob, { trust: 'blocked' });
  assert.equal(c.trustOf(bob), 'blocked');
  assert.equal(c.get(bob)!.name, 'Robert');
  c.remove(alice);
  assert.equal(c.trustOf(alice), null);
  assert.deepEqual([...map.raw.keys()], [`contact:${bob.text}`]);
});

test('ensure keeps what an existing contact has; an unknown one is added with the given trust', () => {
  const { c } = contacts();
  const x = randomGhid();
  c.set(x, { name: 'X', trust: 'blocked' });
  assert.equal(c.ensure(x, 'trusted').trust, 'blocked');
  const y = randomGhid();
  assert.equal(c.ensure(y, 'ask').trust, 'ask');
});

test('older accounts stored true: read as a trusted contact without a name', () => {
  const { c, map } = contacts();
  const old = randomGhid();
  map.raw.set(`contact:${old.text}`, true);
  map.raw.set('contact:not-a-ghid', { n: 'ignored' });
  assert.deepEqual(c.list().map((x) => [x.fingerprint.text, x.name, x.trust]), [[old.text, null, 'trusted']]);
  c.update(old, { name: 'Old friend' });
  assert.deepEqual(c.get(old)!.trust, 'trusted');
});

test('bad input is an InvalidContact with a clear message', () => {
  const { c, self } = contacts();
  assert.throws(() => c.set(self, { name: 'me' }), /your own fingerprint/);
  assert.throws(() => c.update(randomGhid(), { name: 'nobody' }), (e) => e instanceof InvalidContact && /not in your contacts/.test(e.message));
  assert.throws(() => c.remove(randomGhid()), InvalidContact);
  assert.throws(() => checkContactName('   '), /cannot be empty/);
  assert.throws(() => checkContactName('x'.repeat(65)), /at most 64/);
  assert.throws(() => checkContactName('a\u0007b'), /control characters/);
  assert.equal(checkContactName('Zoë'), 'Zoë');
  assert.throws(() => parseTrust('maybe'), /trusted, ask, blocked/);
  assert.equal(parseTrust(' Trusted'), 'trusted');
  assert.throws(() => parseFingerprint('AfzpefQWOn'), /not a fingerprint/);
});
