// The frame codec (hypergolix-reference §3.1): layout, edge tokens, typed decode errors that carry
// what could be salvaged, AK/NK, frame summaries for logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  CommsError,
  FRAME_HEADER_BYTES,
  MalformedFrame,
  decodeFrame,
  decodeNak,
  encodeAck,
  encodeFrame,
  encodeNak,
  summarizeFrame,
} from '../../src/wire/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('a request frame is version 00 00, two ASCII bytes, token BE, body', () => {
  const f = encodeFrame('PB', 0x1234, Buffer.from('hello'));
  assert.equal(hex(f), '0000' + Buffer.from('PB').toString('hex') + '1234' + Buffer.from('hello').toString('hex'));
  const d = decodeFrame(f);
  assert.deepEqual({ code: d.code, token: d.token, body: Buffer.from(d.body).toString() }, { code: 'PB', token: 0x1234, body: 'hello' });
});

test('frames of any verb, token and body survive a round trip, byte for byte', () => {
  for (const [code, token, body] of [['?I', 1, new Uint8Array(0)], ['+O', 0xffff, randomBytes(300)], ['AK', 77, Uint8Array.of(1)], ['!!', 0, randomBytes(5000)]] as const) {
    const raw = encodeFrame(code, token, body);
    assert.equal(raw.length, FRAME_HEADER_BYTES + body.length);
    assert.deepEqual([raw[0], raw[1]], [0, 0]);
    const back = decodeFrame(raw);
    assert.deepEqual([back.code, back.token, Buffer.from(back.body)], [code, token, Buffer.from(body)]);
  }
});

test('an empty body and the edge tokens survive a round trip', () => {
  for (const token of [0, 1, 0xffff]) {
    const d = decodeFrame(encodeFrame('??', token));
    assert.equal(d.token, token);
    assert.equal(d.body.length, 0);
  }
});

test('the body is a view of the message, of its class: a Buffer in gives a Buffer body', () => {
  const message = Buffer.from(encodeFrame('PB', 5, Buffer.from('abc')));
  const d = decodeFrame(message);
  assert.ok(Buffer.isBuffer(d.body));
  assert.equal(d.body.buffer, message.buffer);
  const plain = decodeFrame(encodeFrame('PB', 5, Buffer.from('abc')));
  assert.equal(Object.getPrototypeOf(plain.body), Uint8Array.prototype);
});

test('encoding refuses bad codes and tokens with CommsError', () => {
  assert.throws(() => encodeFrame('P', 1), CommsError);
  assert.throws(() => encodeFrame('PBX', 1), CommsError);
  assert.throws(() => encodeFrame('P\u00e9', 1), CommsError);
  assert.throws(() => encodeFrame('PB', -1), CommsError);
  assert.throws(() => encodeFrame('PB', 0x10000), CommsError);
  assert.throws(() => encodeFrame('PB', 1.5), CommsError);
  assert.throws(() => encodeNak(1, 0x10000, 'x'), CommsError);
});

test('short frames, wrong versions and non-ASCII codes are typed decode errors carrying what could be read', () => {
  for (const len of [0, 1, 3, 5]) {
    const err = catchErr(() => decodeFrame(new Uint8Array(len)));
    assert.ok(err instanceof MalformedFrame && err instanceof CommsError);
    assert.equal(err.flaw, 'short');
    assert.equal(err.token, null);
    assert.equal(err.code, 0x000e);
  }
  const wrong = Buffer.from(encodeFrame('GT', 0xbeef));
  wrong.writeUInt16BE(0x0001, 0);
  const v = catchErr(() => decodeFrame(wrong)) as MalformedFrame;
  assert.deepEqual([v.flaw, v.token, v.verb], ['version', 0xbeef, 'GT']);
  assert.match(v.message, /version 0x0001/);
  const latin = catchErr(() => decodeFrame(Buffer.from('0001?I0001', 'latin1'))) as MalformedFrame;
  assert.equal(latin.flaw, 'version');
  const bin = Uint8Array.of(0, 0, 0xff, 0x01, 0x00, 0x07);
  const c = catchErr(() => decodeFrame(bin)) as MalformedFrame;
  assert.deepEqual([c.flaw, c.token, c.verb], ['code', 7, null]);
  assert.match(c.message, /0xff01/);
});

test('AK carries the body; NK carries a u16 code and a UTF-8 message, or nothing', () => {
  assert.deepEqual(Buffer.from(decodeFrame(encodeAck(9, Uint8Array.of(1))).body), Buffer.of(1));
  assert.equal(hex(encodeAck(5, Uint8Array.of(1))), '0000414b000501');
  const nk = decodeFrame(encodeNak(9, 0x0008, 'gone ✓'));
  assert.equal(nk.code, 'NK');
  assert.deepEqual(decodeNak(nk.body), { code: 0x0008, message: 'gone ✓' });
  assert.equal(hex(encodeNak(5, 0xffff, 'naïve')), '00004e4b0005ffff' + Buffer.from('naïve').toString('hex'));
  const empty = decodeFrame(encodeNak(9, null));
  assert.equal(empty.body.length, 0);
  assert.deepEqual(decodeNak(empty.body), { code: null, message: '' });
  assert.deepEqual(decodeNak(Uint8Array.of(1)), { code: null, message: '' });
});

test('frame summaries never include the body', () => {
  assert.equal(summarizeFrame(encodeFrame('PB', 0x00ab, Buffer.from('secret'))), 'PB #00ab 6 B');
  assert.match(summarizeFrame(encodeNak(1, 8, 'nope')), /^NK #0001 0x0008 "nope"$/);
  assert.match(summarizeFrame(encodeNak(1, 10, 'slow down', { retryAfterMs: 1500 })), /^NK #0001 0x000a "slow down" retry after 1500 ms$/);
  assert.match(summarizeFrame(encodeNak(2, null)), /^NK #0002 no code ""$/);
  assert.match(summarizeFrame(Uint8Array.of(1)), /short/);
  assert.match(summarizeFrame(Uint8Array.of(0, 1, 0x50, 0x42, 0, 1)), /^PB #0001 0 B \(version 0x0001\)$/);
  assert.match(summarizeFrame(Uint8Array.of(0, 0, 0xff, 0x42, 0, 1)), /^0xff42 #0001/);
});

function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected a throw');
}
