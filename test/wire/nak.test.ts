// NK bodies and NK details (docs/formats.md, "NK details"): the message for people, the field
// block for programs, what a reference peer sees, and strict reading of a hostile block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_NAK_FIELDS_BYTES,
  RemoteNak,
  decodeFrame,
  decodeNak,
  encodeNak,
  encodeNakBody,
  errorFromCode,
  parseFields,
  type NakDetails,
} from '../../src/wire/index.js';

/** An NK body as a reference peer would send it: code, then UTF-8 bytes. */
const raw = (code: number, text: string | Uint8Array) => Buffer.concat([Buffer.of(code >> 8, code & 0xff), typeof text === 'string' ? Buffer.from(text, 'utf8') : text]);

test('details round-trip beside the message', () => {
  const details: NakDetails = { retryAfterMs: 1500, reason: 'rate_identity' };
  const body = decodeFrame(encodeNak(7, 0x000a, 'Publishing too fast; retry in 1.5 s', details)).body;
  assert.deepEqual(decodeNak(body), { code: 0x000a, message: 'Publishing too fast; retry in 1.5 s', retryAfterMs: 1500, reason: 'rate_identity' });
  assert.deepEqual(decodeNak(encodeNakBody(0x000a, 'down', { reason: 'shutting_down' })), { code: 0x000a, message: 'down', reason: 'shutting_down' });
  // An NK without details is byte for byte what it always was.
  assert.deepEqual(Buffer.from(encodeNakBody(8, 'gone')), raw(8, 'gone'));
});

test('a reference peer decoding the body as UTF-8 reads the message, then the block, without error', () => {
  const body = encodeNakBody(0x000a, 'naïve ✓ slow down', { retryAfterMs: 250 });
  const asReference = new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(2));
  assert.equal(asReference, 'naïve ✓ slow down\u0000{"retryAfterMs":250}');
  for (const byte of body.subarray(body.indexOf(0, 2) + 1)) assert.ok(byte >= 0x20 && byte <= 0x7e, 'the block is printable ASCII');
});

test('the wait is sent as whole milliseconds, rounded up and capped; invalid details are not sent', () => {
  assert.equal(decodeNak(encodeNakBody(10, 'x', { retryAfterMs: 0.2 })).retryAfterMs, 1);
  assert.equal(decodeNak(encodeNakBody(10, 'x', { retryAfterMs: 1e12 })).retryAfterMs, 86_400_000);
  assert.deepEqual(decodeNak(encodeNakBody(10, 'x', { retryAfterMs: -5, reason: 'Not A Token' })), { code: 10, message: 'x' });
  assert.deepEqual(decodeNak(encodeNakBody(10, 'x', { retryAfterMs: Number.NaN })), { code: 10, message: 'x' });
});

test('a NUL in a message never passes for the start of a block', () => {
  const body = encodeNakBody(1, 'a\u0000{"retryAfterMs":5}');
  assert.deepEqual(decodeNak(body), { code: 1, message: 'a\ufffd{"retryAfterMs":5}' });
});

test('long NK messages are cut on a character boundary, and the details still follow', () => {
  const body = decodeFrame(encodeNak(1, 0xffff, '€'.repeat(1000), { retryAfterMs: 9 })).body;
  const nak = decodeNak(body);
  assert.ok(Buffer.byteLength(nak.message) <= 1024);
  assert.ok(!nak.message.includes('\ufffd'));
  assert.equal(nak.retryAfterMs, 9);
});

test('a hostile field block is ignored as a whole; the message stays', () => {
  const hostile: (string | Uint8Array)[] = [
    '{"retryAfterMs":"soon"}',
    '{"retryAfterMs":-1}',
    '{"retryAfterMs":1.5}',
    '{"retryAfterMs":1e300}',
    '{"retryAfterMs":99999999999,"reason":"ok"}',
    '{"reason":"DROP TABLE"}',
    '{"reason":{"toString":1}}',
    '[1500]',
    '1500',
    'null',
    '{"retryAfterMs":1500',
    '{"retryAfterMs":1500}\u0000{"reason":"x"}',
    '{"reason":"caf\u00e9"}',
    Buffer.from('{"retryAfterMs":1500}\u00ff', 'latin1'),
    '{"retryAfterMs":1500,"pad":"' + 'x'.repeat(MAX_NAK_FIELDS_BYTES) + '"}',
    '',
  ];
  for (const block of hostile) {
    const tail = typeof block === 'string' ? Buffer.from(block, 'utf8') : block;
    const nak = decodeNak(Buffer.concat([raw(0x000a, 'refused'), Buffer.of(0), tail]));
    assert.deepEqual(nak, { code: 0x000a, message: 'refused' }, `block ${JSON.stringify(String(block)).slice(0, 60)}`);
  }
});

test('unknown fields are skipped, known ones kept; prototype keys change nothing', () => {
  const nak = decodeNak(Buffer.concat([raw(0x000a, 'later'), Buffer.of(0), Buffer.from('{"retryAfterMs":20,"colour":"blue","__proto__":{"reason":"x"}}')]));
  assert.deepEqual(nak, { code: 0x000a, message: 'later', retryAfterMs: 20 });
  assert.deepEqual(parseFields(Buffer.from('{}')), {});
});

test('errors carry the details as typed properties, and only when there are some', () => {
  const err = errorFromCode(0x000a, 'slow down', { retryAfterMs: 300, reason: 'rate_connection' });
  assert.ok(err instanceof RemoteNak);
  assert.equal(err.retryAfterMs, 300);
  assert.equal(err.reason, 'rate_connection');
  const plain = errorFromCode(0x0008, 'gone');
  assert.equal(plain.retryAfterMs, undefined);
  assert.ok(!Object.hasOwn(plain, 'retryAfterMs') && !Object.hasOwn(plain, 'reason'));
});

test('byte counts (used of limit) travel as fields and rebuild the error with them; bad ones void the block', () => {
  const body = encodeNakBody(0x0011, 'register to upload more', { reason: 'unregistered', used: 10_000, limit: 10_485_760 });
  assert.deepEqual(decodeNak(body), { code: 0x0011, message: 'register to upload more', reason: 'unregistered', used: 10_000, limit: 10_485_760 });
  const err = errorFromCode(0x0011, 'register to upload more', decodeNak(body));
  assert.equal(err.name, 'RegistrationRequired');
  assert.equal(err.used, 10_000);
  assert.equal(err.limit, 10_485_760);
  assert.deepEqual(parseFields(Buffer.from('{"used":-1,"limit":5}')), {});
  assert.deepEqual(parseFields(Buffer.from('{"used":1.5}')), {});
  assert.deepEqual(decodeNak(encodeNakBody(0x0011, 'x', { used: -3, limit: Number.NaN })), { code: 0x0011, message: 'x' }, 'invalid counts are not sent');
});
