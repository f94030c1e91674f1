// The IPC codec: objdef layout (hypergolix-reference §4.2), frames byte-identical to the remote
// codec, identifiers' text form identical to the core Ghid's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Ghid } from '../../../src/core/golix/index.js';
import * as remote from '../../../src/core/remote/wire.js';
import {
  OBJDEF_HEADER_BYTES,
  b64urlDecode,
  b64urlEncode,
  decodeFrame,
  decodeNak,
  decodeObjDef,
  decodeShareNotice,
  encodeAck,
  encodeFrame,
  encodeNak,
  encodeObjDef,
  encodeShareNotice,
  idBytes,
  idText,
  IpcFrameError,
} from '../../../src/core/ipc/wire.js';
import { API_ID_JSON } from '../../../src/core/objects/hgxd.js';

const ghid = () => Buffer.concat([Buffer.of(1), randomBytes(64)]);

test('objdef: the reference layout, byte for byte', () => {
  const address = ghid();
  const author = ghid();
  const state = Buffer.from('{"a":1}');
  const raw = Buffer.from(encodeObjDef({ address, author, private: true, dynamic: true, legroom: 9, apiId: API_ID_JSON, isLink: false, state }));
  assert.equal(raw.length, OBJDEF_HEADER_BYTES + state.length);
  assert.equal(raw[0], 0);
  assert.deepEqual(raw.subarray(1, 66), address);
  assert.deepEqual(raw.subarray(66, 131), author);
  assert.deepEqual([raw[131], raw[132], raw[133]], [1, 1, 9]);
  assert.deepEqual(raw.subarray(134, 199), API_ID_JSON);
  assert.equal(raw[199], 0);
  assert.deepEqual(raw.subarray(200), state);
  const back = decodeObjDef(raw);
  assert.deepEqual(Buffer.from(back.address!), address);
  assert.deepEqual(Buffer.from(back.author!), author);
  assert.deepEqual([back.private, back.dynamic, back.legroom, back.isLink], [true, true, 9, false]);
  assert.deepEqual(Buffer.from(back.apiId!), API_ID_JSON);
  assert.deepEqual(Buffer.from(back.state), state);
});

test('objdef: zeros mean none; structural errors are MalformedGolixPrimitive (0001)', () => {
  const d = decodeObjDef(encodeObjDef({ state: new Uint8Array(0) }));
  assert.deepEqual([d.address, d.author, d.apiId, d.private, d.dynamic, d.legroom, d.isLink, d.state.length], [null, null, null, false, false, 0, false, 0]);
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return (err as { code: number }).code;
    }
    return null;
  };
  assert.equal(code(() => decodeObjDef(new Uint8Array(199))), 0x0001);
  const bad = Buffer.from(encodeObjDef({ state: new Uint8Array(0) }));
  bad[0] = 1;
  assert.equal(code(() => decodeObjDef(bad)), 0x0001);
  const flag = Buffer.from(encodeObjDef({ state: new Uint8Array(0) }));
  flag[131] = 2;
  assert.equal(code(() => decodeObjDef(flag)), 0x0001);
  const addr = Buffer.from(encodeObjDef({ state: new Uint8Array(0) }));
  addr[1] = 7;
  assert.equal(code(() => decodeObjDef(addr)), 0x0001);
  assert.throws(() => encodeObjDef({ state: new Uint8Array(0), legroom: 256 }), /legroom/);
});

test('frames and NK bodies match the remote codec in both directions', () => {
  for (const [code, token, body] of [['?I', 1, Buffer.alloc(0)], ['+O', 0xffff, randomBytes(300)], ['AK', 77, Buffer.of(1)]] as const) {
    const ours = Buffer.from(encodeFrame(code, token, body));
    assert.deepEqual(ours, remote.encodeFrame(code, token, body));
    const theirs = remote.decodeFrame(ours);
    const back = decodeFrame(ours);
    assert.deepEqual([back.code, back.token, Buffer.from(back.body)], [theirs.code, theirs.token, theirs.body]);
  }
  assert.deepEqual(Buffer.from(encodeAck(5, Buffer.of(1))), remote.encodeAck(5, Buffer.of(1)));
  assert.deepEqual(Buffer.from(encodeNak(5, 0xffff, 'naïve')), remote.encodeNak(5, 0xffff, 'naïve'));
  assert.deepEqual(Buffer.from(encodeNak(5, null)), remote.encodeNak(5, null));
  assert.deepEqual(decodeNak(remote.encodeNak(9, 0x000b, 'x').subarray(6)), { code: 0x000b, message: 'x' });
  const long = 'é'.repeat(2000);
  assert.deepEqual(Buffer.from(encodeNak(5, 1, long)), remote.encodeNak(5, 1, long));
  assert.throws(() => decodeFrame(Buffer.of(0, 0, 0x3f)), (e: IpcFrameError) => e.reason === 'short' && e.code === 0x000e);
  assert.throws(() => decodeFrame(Buffer.from('0001?I0001', 'latin1')), (e: IpcFrameError) => e.reason === 'version');
  assert.throws(() => decodeFrame(Buffer.of(0, 0, 0xff, 0x01, 0, 9)), (e: IpcFrameError) => e.reason === 'code' && e.token === 9);
});

test('identifier text is the core Ghid text; parsing is strict', () => {
  for (let i = 0; i < 50; i++) {
    const raw = ghid();
    const text = idText(raw);
    assert.equal(text, Ghid.fromBytes(raw).text);
    assert.deepEqual(Buffer.from(idBytes(text, 1)), raw);
    assert.deepEqual(Buffer.from(b64urlDecode(text)!), raw);
  }
  for (let n = 0; n < 8; n++) {
    const raw = randomBytes(n);
    assert.equal(b64urlEncode(raw), raw.toString('base64url') + '='.repeat((4 - ((raw.toString('base64url').length) % 4)) % 4));
  }
  assert.equal(idText(API_ID_JSON), API_ID_JSON.toString('base64url') + '=');
  assert.throws(() => idBytes(idText(API_ID_JSON), 1), /GHID/);
  assert.throws(() => idBytes('short', 1), /GHID/);
  const t = idText(ghid());
  assert.throws(() => idBytes(t.slice(0, 86) + '_=', 1)); // non-canonical trailing bits or wrong byte
});

test('share notices: GHID + origin + api_id; the api_id must be one', () => {
  const g = ghid();
  const o = ghid();
  const n = decodeShareNotice(encodeShareNotice(g, o, API_ID_JSON));
  assert.deepEqual([Buffer.from(n.ghid), Buffer.from(n.origin), Buffer.from(n.apiId)], [g, o, API_ID_JSON]);
  assert.throws(() => decodeShareNotice(encodeShareNotice(g, o, Buffer.alloc(65))), /none/);
  assert.throws(() => decodeShareNotice(Buffer.alloc(194)), /195/);
});
