import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommsError, Ghid, MalformedGolixPrimitive } from '../../../src/core/golix/index.js';
import {
  MalformedFrame,
  decodeBool,
  decodeFrame,
  decodeGhidList,
  decodeNak,
  encodeAck,
  encodeBool,
  encodeFrame,
  encodeGhidList,
  encodeNak,
  summarizeFrame,
} from '../../../src/core/remote/wire.js';
import { REMOTE_VERBS, REMOTE_VERB_NAMES, RemoteVerb } from '../../../src/core/remote/verbs.js';

const ghid = (n: number) => Ghid.fromDigest(Buffer.alloc(64, n));

test('a request frame is version 00 00, two ASCII bytes, token BE, body', () => {
  const f = encodeFrame('PB', 0x1234, Buffer.from('hello'));
  assert.equal(f.toString('hex'), '0000' + Buffer.from('PB').toString('hex') + '1234' + Buffer.from('hello').toString('hex'));
  const d = decodeFrame(f);
  assert.deepEqual({ code: d.code, token: d.token, body: d.body.toString() }, { code: 'PB', token: 0x1234, body: 'hello' });
});

test('an empty body and the edge tokens survive a round trip', () => {
  for (const token of [0, 1, 0xffff]) {
    const d = decodeFrame(encodeFrame('??', token));
    assert.equal(d.token, token);
    assert.equal(d.body.length, 0);
  }
});

test('encoding refuses bad codes and tokens with CommsError', () => {
  assert.throws(() => encodeFrame('P', 1), CommsError);
  assert.throws(() => encodeFrame('PBX', 1), CommsError);
  assert.throws(() => encodeFrame('P\u00e9', 1), CommsError);
  assert.throws(() => encodeFrame('PB', -1), CommsError);
  assert.throws(() => encodeFrame('PB', 0x10000), CommsError);
  assert.throws(() => encodeFrame('PB', 1.5), CommsError);
});

test('short frames, wrong versions and non-ASCII codes are typed decode errors carrying what could be read', () => {
  for (const len of [0, 1, 5]) {
    const err = catchErr(() => decodeFrame(Buffer.alloc(len)));
    assert.ok(err instanceof MalformedFrame && err instanceof CommsError);
    assert.equal(err.reason, 'short');
    assert.equal(err.token, null);
    assert.equal(err.code, 0x000e);
  }
  const wrong = encodeFrame('GT', 0xbeef);
  wrong.writeUInt16BE(0x0001, 0);
  const v = catchErr(() => decodeFrame(wrong)) as MalformedFrame;
  assert.deepEqual([v.reason, v.token, v.verb], ['version', 0xbeef, 'GT']);
  const bin = Buffer.from([0, 0, 0xff, 0x01, 0x00, 0x07]);
  const c = catchErr(() => decodeFrame(bin)) as MalformedFrame;
  assert.deepEqual([c.reason, c.token, c.verb], ['code', 7, null]);
});

test('AK carries the body; NK carries a u16 code and a UTF-8 message, or nothing', () => {
  assert.deepEqual(decodeFrame(encodeAck(9, Buffer.of(1))).body, Buffer.of(1));
  const nk = decodeFrame(encodeNak(9, 0x0008, 'gone ✓'));
  assert.equal(nk.code, 'NK');
  assert.deepEqual(decodeNak(nk.body), { code: 0x0008, message: 'gone ✓' });
  const empty = decodeFrame(encodeNak(9, null));
  assert.equal(empty.body.length, 0);
  assert.deepEqual(decodeNak(empty.body), { code: null, message: '' });
  assert.deepEqual(decodeNak(Buffer.of(1)), { code: null, message: '' });
});

test('long NK messages are cut on a character boundary', () => {
  const body = decodeFrame(encodeNak(1, 0xffff, '€'.repeat(1000))).body;
  assert.ok(body.length <= 2 + 1024);
  assert.ok(!decodeNak(body).message.includes('\ufffd'));
});

test('GHID lists are 65-byte GHIDs back to back without a count', () => {
  const list = [ghid(1), ghid(2), ghid(3)];
  const raw = encodeGhidList(list);
  assert.equal(raw.length, 195);
  assert.deepEqual(decodeGhidList(raw).map((g) => g.text), list.map((g) => g.text));
  assert.deepEqual(decodeGhidList(Buffer.alloc(0)), []);
  assert.throws(() => decodeGhidList(Buffer.alloc(64)), MalformedGolixPrimitive);
  assert.throws(() => decodeGhidList(Buffer.alloc(65)), MalformedGolixPrimitive); // algo 0
});

test('01/00 results', () => {
  assert.deepEqual(encodeBool(true), Buffer.of(1));
  assert.equal(decodeBool(Buffer.of(0)), false);
  assert.throws(() => decodeBool(Buffer.of(2)), CommsError);
  assert.throws(() => decodeBool(Buffer.alloc(0)), CommsError);
});

test('the verb table holds exactly the reference verbs', () => {
  assert.deepEqual([...REMOTE_VERBS].sort(), ['!!', '+S', '-S', '??', '?B', '?D', '?E', '?S', 'GT', 'PB', 'XX']);
  assert.equal(REMOTE_VERB_NAMES[RemoteVerb.publish], 'publish');
});

test('frame summaries never include the body', () => {
  assert.equal(summarizeFrame(encodeFrame('PB', 0x00ab, Buffer.from('secret'))), 'PB #00ab 6 B');
  assert.match(summarizeFrame(encodeNak(1, 8, 'nope')), /^NK #0001 0x0008 "nope"$/);
  assert.match(summarizeFrame(Buffer.of(1)), /short/);
});

function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected a throw');
}
