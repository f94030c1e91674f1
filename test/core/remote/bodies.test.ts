// The remote protocol's non-object bodies (hypergolix-reference §3.3) and its verb table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommsError, Ghid, MalformedGolixPrimitive } from '../../../src/core/golix/index.js';
import { decodeBool, decodeGhid, decodeGhidList, encodeBool, encodeGhidList } from '../../../src/core/remote/bodies.js';
import { REMOTE_VERBS, REMOTE_VERB_NAMES, RemoteVerb } from '../../../src/core/remote/verbs.js';

const ghid = (n: number) => Ghid.fromDigest(Buffer.alloc(64, n));

test('GHID lists are 65-byte GHIDs back to back without a count', () => {
  const list = [ghid(1), ghid(2), ghid(3)];
  const raw = encodeGhidList(list);
  assert.equal(raw.length, 195);
  assert.deepEqual(decodeGhidList(raw).map((g) => g.text), list.map((g) => g.text));
  assert.deepEqual(decodeGhidList(Buffer.alloc(0)), []);
  assert.throws(() => decodeGhidList(Buffer.alloc(64)), MalformedGolixPrimitive);
  assert.throws(() => decodeGhidList(Buffer.alloc(65)), MalformedGolixPrimitive); // algo 0
});

test('a GHID body is exactly one GHID', () => {
  assert.equal(decodeGhid(ghid(4).bytes).text, ghid(4).text);
  assert.throws(() => decodeGhid(Buffer.alloc(66, 1)), MalformedGolixPrimitive);
});

test('01/00 results', () => {
  assert.deepEqual(encodeBool(true), Buffer.of(1));
  assert.deepEqual(encodeBool(false), Buffer.of(0));
  assert.equal(decodeBool(Buffer.of(0)), false);
  assert.equal(decodeBool(Uint8Array.of(1)), true);
  assert.throws(() => decodeBool(Buffer.of(2)), CommsError);
  assert.throws(() => decodeBool(Buffer.alloc(0)), CommsError);
});

test('the verb table holds exactly the reference verbs', () => {
  assert.deepEqual([...REMOTE_VERBS].sort(), ['!!', '+S', '-S', '??', '?B', '?D', '?E', '?S', 'GT', 'PB', 'XX']);
  assert.equal(REMOTE_VERB_NAMES[RemoteVerb.publish], 'publish');
});
