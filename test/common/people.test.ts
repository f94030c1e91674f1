// The words a share's object type is shown with (the CLI's `shares list`, the Shares view): a
// stranger's app chooses its API ID, so only a plain-text name in it is shown, quoted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiIdName, apiTypeWords } from '../../src/common/people.js';

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
