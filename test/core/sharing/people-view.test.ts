// What the CLI, the SDK and the UI share of contacts: the safety code with someone is refused for
// your own fingerprint (as adding yourself is), and is the pair's code otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidContact } from '../../../src/core/sharing/contacts.js';
import { safetyCodeWith } from '../../../src/core/sharing/people-view.js';
import { safetyCode } from '../../../src/core/sharing/safety-code.js';
import { randomGhid } from '../../fixtures/ipc/fakes.js';

test('safetyCodeWith: the pair\'s six words; your own fingerprint is refused, as is text that is none', () => {
  const me = randomGhid();
  const them = randomGhid();
  assert.deepEqual(safetyCodeWith(me, them.text), safetyCode(me, them));
  assert.throws(() => safetyCodeWith(me, me.text), (err: unknown) => err instanceof InvalidContact && /^That is your own fingerprint/.test((err as Error).message));
  assert.throws(() => safetyCodeWith(me, 'nope'), /fingerprint/);
});
