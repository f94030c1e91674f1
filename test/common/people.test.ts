// The words a share's object type is shown with (the CLI's `shares list`, the Shares view): a
// stranger's app chooses its API ID, so only a plain-text name in it is shown, quoted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STRANGER, UNNAMED_CONTACT, apiIdName, apiTypeWords, askedAgainWords, personWords, shareGroups } from '../../src/common/people.js';

/** An API ID as the SDK's ApiId.from makes it: 0x00, then the app's 64 bytes. */
function apiId(body: Uint8Array): string {
  assert.equal(body.length, 64);
  return Buffer.concat([Buffer.from([0]), body]).toString('base64url') + '=';
}
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

test('the reference\'s own types are named, and no type is said before a share is accepted', () => {
  assert.equal(apiTypeWords('A'.repeat(86) + 'M='), 'JSON');
  assert.equal(apiTypeWords('A'.repeat(86) + 'E='), 'raw bytes');
  assert.equal(apiTypeWords(null), 'type not known until accepted');
});

test('an app that wrote a name into its API ID is shown by that name, its padding dropped', () => {
  const notes = apiId(text('hypergolix example: shared notes, v1'.padEnd(64, '.')));
  assert.equal(apiIdName(notes), 'hypergolix example: shared notes, v1');
  assert.equal(apiTypeWords(notes), 'an app\'s own type ("hypergolix example: shared notes, v1")');
  const zeros = new Uint8Array(64);
  zeros.set(text('recipes/2'));
  assert.equal(apiTypeWords(apiId(zeros)), 'an app\'s own type ("recipes/2")');
  assert.equal(apiIdName(apiId(text('x'.repeat(64)))), 'x'.repeat(64));
});

test('an API ID that is not plain text is shown by its last characters, never as text', () => {
  const random = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
  const id = apiId(random);
  assert.equal(apiIdName(id), null);
  assert.equal(apiTypeWords(id), `an app's own type (${id.slice(-10)})`);
  // Control characters (a terminal's escape sequences) and non-ASCII bytes are not a name.
  assert.equal(apiIdName(apiId(text('\u001b[31mred'.padEnd(64, ' ')))), null);
  assert.equal(apiIdName(apiId(Buffer.from('caf\u00e9'.padEnd(63, '.'), 'utf8'))), null);
  // Too short to be a name once the padding is gone.
  assert.equal(apiIdName(apiId(text('ab'.padEnd(64, '.')))), null);
  // Not an API ID at all (a GHID's first byte is 1; a damaged text): no name.
  assert.equal(apiIdName(Buffer.concat([Buffer.from([1]), text('y'.repeat(64))]).toString('base64url') + '='), null);
  assert.equal(apiIdName('not base64 at all!'), null);
});

test('only a share sent to this person waits for their answer: one they sent, unanswered, is listed with what they sent', () => {
  const share = (id: string, direction: 'incoming' | 'outgoing', state: 'waiting' | 'accepted' | 'declined') => ({ id, direction, state });
  const all = [share('in-waiting', 'incoming', 'waiting'), share('out-waiting', 'outgoing', 'waiting'), share('in-accepted', 'incoming', 'accepted'), share('out-declined', 'outgoing', 'declined'), share('in-declined', 'incoming', 'declined')];
  const ids = (list: { id: string }[]) => list.map((s) => s.id);
  const groups = shareGroups(all);
  assert.deepEqual(ids(groups.waiting), ['in-waiting']);
  assert.deepEqual(ids(groups.received), ['in-accepted', 'in-declined']);
  assert.deepEqual(ids(groups.sent), ['out-waiting', 'out-declined']);
  assert.deepEqual(shareGroups([]), { waiting: [], received: [], sent: [] });
});

test('a person in words: their name; else an unnamed contact, or someone not in your contacts', () => {
  assert.equal(personWords('Ada', true), 'Ada');
  assert.equal(personWords(null, true), UNNAMED_CONTACT);
  assert.equal(personWords(null), STRANGER);
  assert.equal(personWords(undefined, false), STRANGER);
  assert.match(askedAgainWords(null, true), /asked an unnamed contact to share it again$/);
  assert.match(askedAgainWords(null), /asked someone not in your contacts to share it again$/);
});
