// The wire module's own SHA-256 and HMAC-SHA-256 (the IPC key proof's): the published vectors
// (FIPS 180-4 examples, RFC 4231), then agreement with node:crypto over every message length
// across several blocks, keys longer than a block, and parts split anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { constantTimeEqual, hmacSha256, sha256 } from '../../src/wire/sha256.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const text = (s: string) => new TextEncoder().encode(s);

test('SHA-256: the FIPS 180-4 examples and a million "a"s', () => {
  assert.equal(hex(sha256()), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(hex(sha256(text('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(hex(sha256(text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  assert.equal(hex(sha256(new Uint8Array(1_000_000).fill(0x61))), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
});

test('HMAC-SHA-256: the RFC 4231 test cases 1–4, 6 and 7', () => {
  const cases: [key: Uint8Array, data: Uint8Array, mac: string][] = [
    [new Uint8Array(20).fill(0x0b), text('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    [text('Jefe'), text('what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    [new Uint8Array(20).fill(0xaa), new Uint8Array(50).fill(0xdd), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
    [bytes('0102030405060708090a0b0c0d0e0f10111213141516171819'), new Uint8Array(50).fill(0xcd), '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b'],
    [new Uint8Array(131).fill(0xaa), text('Test Using Larger Than Block-Size Key - Hash Key First'), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
    [new Uint8Array(131).fill(0xaa), text('This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.'), '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2'],
  ];
  for (const [key, data, mac] of cases) assert.equal(hex(hmacSha256(key, data)), mac);
});

test('agrees with node:crypto for every length 0–300, keys of 0–200 bytes, and messages given in parts', () => {
  for (let n = 0; n <= 300; n++) {
    const m = randomBytes(n);
    assert.equal(hex(sha256(m)), createHash('sha256').update(m).digest('hex'), `sha256 of ${n} bytes`);
    const key = randomBytes(n % 201);
    assert.equal(hex(hmacSha256(key, m)), createHmac('sha256', key).update(m).digest('hex'), `hmac, key ${key.length}, message ${n}`);
    const cut = n === 0 ? 0 : (n * 7) % n;
    assert.equal(hex(hmacSha256(key, m.subarray(0, cut), new Uint8Array(0), m.subarray(cut))), hex(hmacSha256(key, m)), `parts cut at ${cut}`);
  }
});

test('works on views into larger buffers, and leaves its inputs as they were', () => {
  const big = randomBytes(200);
  const view = new Uint8Array(big.buffer, big.byteOffset + 13, 100);
  const copy = Buffer.from(view);
  assert.equal(hex(sha256(view)), createHash('sha256').update(copy).digest('hex'));
  assert.equal(hex(hmacSha256(view.subarray(0, 32), view)), createHmac('sha256', copy.subarray(0, 32)).update(copy).digest('hex'));
  assert.deepEqual(Buffer.from(view), copy);
});

test('constantTimeEqual: equal, one bit apart, different lengths', () => {
  const a = randomBytes(32);
  assert.equal(constantTimeEqual(a, Buffer.from(a)), true);
  for (const bit of [0, 7, 128, 255]) {
    const b = Buffer.from(a);
    b[bit >> 3]! ^= 1 << (bit & 7);
    assert.equal(constantTimeEqual(a, b), false, `bit ${bit}`);
  }
  assert.equal(constantTimeEqual(a, a.subarray(0, 31)), false);
  assert.equal(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true);
});
