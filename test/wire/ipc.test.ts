// The IPC codec: objdef layout (hypergolix-reference §4.2), the fixed-layout bodies, identifiers'
// text form identical to the core Ghid's, hex.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Ghid } from '../../src/core/golix/index.js';
import { API_ID_JSON } from '../../src/core/objects/hgxd.js';
import {
  IPC_PROTOCOL_VERSION,
  MalformedGolixPrimitive,
  OBJDEF_HEADER_BYTES,
  decodeProtocolVersion,
  encodeProtocolVersion,
  b64urlDecode,
  b64urlEncode,
  bytesEqual,
  concatBytes,
  decodeObjDef,
  decodeShareNotice,
  decodeShareRequest,
  encodeObjDef,
  encodeShareNotice,
  encodeShareRequest,
  fromHex,
  idBytes,
  idText,
  toHex,
} from '../../src/wire/index.js';

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
  assert.throws(() => encodeObjDef({ state: new Uint8Array(0), address: new Uint8Array(64) }), /address is 65 bytes/);
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
  assert.equal(b64urlDecode('a*b='), null);
});

test('share notices: GHID + origin + api_id; the api_id must be one', () => {
  const g = ghid();
  const o = ghid();
  const n = decodeShareNotice(encodeShareNotice(g, o, API_ID_JSON));
  assert.deepEqual([Buffer.from(n.ghid), Buffer.from(n.origin), Buffer.from(n.apiId)], [g, o, API_ID_JSON]);
  assert.throws(() => decodeShareNotice(encodeShareNotice(g, o, Buffer.alloc(65))), /none/);
  assert.throws(() => decodeShareNotice(Buffer.alloc(194)), /195/);
});

test('share requests: GHID + recipient, both GHIDs', () => {
  const g = ghid();
  const r = ghid();
  const back = decodeShareRequest(encodeShareRequest(g, r));
  assert.deepEqual([Buffer.from(back.ghid), Buffer.from(back.recipient)], [g, r]);
  assert.throws(() => decodeShareRequest(concatBytes(g, new Uint8Array(65))), /recipient address algorithm 0/);
});

test('hex and byte helpers', () => {
  const raw = randomBytes(33);
  assert.equal(toHex(raw), raw.toString('hex'));
  assert.ok(bytesEqual(fromHex(raw.toString('hex').toUpperCase()), raw));
  assert.throws(() => fromHex('abc'), /hexadecimal/);
  assert.throws(() => fromHex('zz'), /hexadecimal/);
  assert.ok(!bytesEqual(Uint8Array.of(1), Uint8Array.of(1, 2)));
});

test('?V bodies: the IPC protocol version as a u16, big-endian; other lengths and values refused', () => {
  assert.equal(IPC_PROTOCOL_VERSION, 1);
  assert.deepEqual([...encodeProtocolVersion()], [0, IPC_PROTOCOL_VERSION]);
  assert.deepEqual([...encodeProtocolVersion(0x1234)], [0x12, 0x34]);
  assert.equal(decodeProtocolVersion(Uint8Array.of(0x12, 0x34)), 0x1234);
  assert.throws(() => decodeProtocolVersion(Uint8Array.of(1)), MalformedGolixPrimitive);
  assert.throws(() => decodeProtocolVersion(new Uint8Array(3)), MalformedGolixPrimitive);
  assert.throws(() => encodeProtocolVersion(0x10000), MalformedGolixPrimitive);
  assert.throws(() => encodeProtocolVersion(1.5), MalformedGolixPrimitive);
});
