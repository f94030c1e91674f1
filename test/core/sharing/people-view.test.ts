// What the CLI, the SDK and the UI share of contacts: the safety code with someone is refused for
// your own fingerprint (as adding yourself is), and is the pair's code otherwise; each share says
// whether the other person is a contact (named or not) or not one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidContact } from '../../../src/core/sharing/contacts.js';
import { listShares, safetyCodeWith } from '../../../src/core/sharing/people-view.js';
import type { Sharing } from '../../../src/core/sharing/sharing.js';
import { Contacts } from '../../../src/core/sharing/contacts.js';
import { memoryState } from '../../fixtures/account/memory-state.js';
import { safetyCode } from '../../../src/core/sharing/safety-code.js';
import { randomGhid } from '../../fixtures/ipc/fakes.js';

test('safetyCodeWith: the pair\'s six words; your own fingerprint is refused, as is text that is none', () => {
  const me = randomGhid();
  const them = randomGhid();
  assert.deepEqual(safetyCodeWith(me, them.text), safetyCode(me, them));
  assert.throws(() => safetyCodeWith(me, me.text), (err: unknown) => err instanceof InvalidContact && /^That is your own fingerprint/.test((err as Error).message));
  assert.throws(() => safetyCodeWith(me, 'nope'), /fingerprint/);
});

test('listShares: a named contact by name, an unnamed contact (someone shared with) marked a contact, a stranger neither', () => {
  const [named, unnamed, stranger, o1, o2, o3] = Array.from({ length: 6 }, () => randomGhid());
  const contacts = new Contacts(memoryState().state('contact:'), randomGhid());
  contacts.set(named!, { name: 'Ada' });
  contacts.ensure(unnamed!, 'trusted');
  const sharing = {
    contacts,
    pending: () => [{ id: o1!.text, ghid: o1!, from: stranger!, receivedAt: 1, apiId: null, size: 3, dynamic: true }],
    records: {
      receivedList: () => [{ object: o2!, from: named!, apiId: null, size: 4, at: 2 }],
      sentList: () => [{ object: o3!, recipient: unnamed!, state: 'waiting', apiId: null, size: 5, at: 3 }],
    },
    askedAgain: () => null,
  } as unknown as Sharing;
  const who = listShares(sharing).map((s) => [s.direction, s.state, s.name, s.contact ?? 'absent']);
  assert.deepEqual(who, [
    ['incoming', 'waiting', null, 'absent'],
    ['incoming', 'accepted', 'Ada', true],
    ['outgoing', 'waiting', null, true],
  ]);
});
