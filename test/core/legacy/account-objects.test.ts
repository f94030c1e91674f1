// Focused tests of reading the Python reference's pickled account objects: the restricted
// decoder's values at their edges (pickle-values), the reference classes (pickle-classes), the
// readers that type the decoded values (account-objects) and the object source helpers
// (source). pickle.test.ts covers the opcode allow-list, limits and the real pickles' decoded
// form; this file covers what it does not: hostile and damaged shapes through every reader,
// text/int/None edges, the classes the reference writes only in non-empty stores, and the
// master-secret helpers against the real vectors.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { createHash, scryptSync } from 'node:crypto';
import { join } from 'node:path';
import { DoesNotExist, Ghid, Secret, fromB64url, parseObject, type Geoc, type GolixObject, type Gobd } from '../../../src/core/golix/index.js';
import {
  readIdentity,
  readIncoming,
  readNameMap,
  readOutstanding,
  readPending,
  readPrivate,
  readSecrets,
  readStartup,
  readTokens,
  readUnusedSetMap,
  unpickle,
} from '../../../src/core/legacy/account-objects.js';
import { DamagedAccount, LegacyObjectMissing, PickleRefused, type PickleFault } from '../../../src/core/legacy/errors.js';
import { DEFAULT_PICKLE_LIMITS, decodePickle, type PickleOptions } from '../../../src/core/legacy/pickle.js';
import { PyDict, PyList, PySet, PyTuple, SetMap, ShareLog, SharePair, type PyValue } from '../../../src/core/legacy/pickle-values.js';
import { fetchAccountFrame, fetchCurrentContainer, fetchObject, masterFrameSecret, openMasterObject, readMasterFrame, type ObjectSource } from '../../../src/core/legacy/source.js';
import { ACCOUNTS_2016, KDF_2016, REFERENCE_ACCOUNTS, ghid, poolOf, referenceAccounts, type AccountEntry } from '../../fixtures/legacy.js';
import { tagValue } from '../../fixtures/pickle-json.js';
import { V2016_DIRS, read2016, v16Objects } from '../../fixtures/vectors.js';

// ---- building pickles by hand (protocol 4, as the reference writes them)

type Part = number | string | Buffer;
/** Opcode bytes, latin1 strings and buffers, concatenated. */
function pk(...parts: Part[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.of(p) : typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));
}
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const P4 = Buffer.of(0x80, 4);
const STOP = 0x2e;
const EMPTY = Buffer.alloc(0);
/** A whole pickle: PROTO 4, the body, STOP. */
const whole = (...body: Part[]) => pk(P4, ...body, STOP);
/** A str, as the reference's pickler writes it (UTF-8). */
const str = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  return b.length < 256 ? pk(0x8c, b.length, b) : pk(0x58, u32(b.length), b);
};
/** A str whose UTF-8 bytes are given. */
const rawStr = (b: Buffer) => pk(0x8c, b.length, b);
const bytes = (b: Buffer) => (b.length < 256 ? pk(0x43, b.length, b) : pk(0x42, u32(b.length), b));
const int1 = (n: number) => pk(0x4b, n);
const cls = (module: string, name: string) => pk(str(module), str(name), 0x93);
const dictP = (...pairs: [Buffer, Buffer][]) => pk(0x7d, pairs.length ? pk(0x28, ...pairs.flat(), 0x75) : EMPTY);
const setP = (...items: Buffer[]) => pk(0x8f, items.length ? pk(0x28, ...items, 0x90) : EMPTY);
const tupleP = (...items: Buffer[]) => pk(0x28, ...items, 0x74);
const slots = (...pairs: [string, Buffer][]) => pk(0x4e, dictP(...pairs.map(([k, v]) => [str(k), v] as [Buffer, Buffer])), 0x86);
const ghidP = (g: Ghid) => pk(cls('golix.utils', 'Ghid'), 0x29, 0x81, slots(['_algo', int1(g.bytes[0]!)], ['_address', bytes(g.address)]), 0x62);
const secretP = (s: Secret, className = 'golix.crypto_utils.Secret') => {
  const dot = className.lastIndexOf('.');
  return pk(
    cls(className.slice(0, dot), className.slice(dot + 1)),
    0x29,
    0x81,
    slots(['_key', bytes(s.key)], ['_seed', bytes(s.seed)], ['_version', int1(2)], ['_cipher', int1(1)]),
    0x62,
  );
};
const tokenP = (b: Buffer) => pk(cls('hypergolix.utils', 'AppToken'), bytes(b), 0x85, 0x81);
const pairP = (module: string, name: string, a: Ghid, b: Ghid) => pk(cls(module, name), ghidP(a), ghidP(b), 0x86, 0x81);
const setMapP = (...entries: [Buffer, Buffer[]][]) =>
  pk(cls('hypergolix.utils', 'SetMap'), 0x29, 0x81, dictP([str('_mapping'), dictP(...entries.map(([k, items]) => [k, setP(...items)] as [Buffer, Buffer]))]), 0x62);

function refused(data: Buffer, fault: PickleFault, expect: { opcode?: string; className?: string } = {}, options?: PickleOptions): PickleRefused {
  let caught: unknown;
  try {
    decodePickle(data, options);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof PickleRefused, `expected PickleRefused (${fault}), got ${caught instanceof Error ? caught.stack : String(caught)}`);
  assert.equal(caught.fault, fault, caught.message);
  if (expect.opcode !== undefined) assert.equal(caught.opcode, expect.opcode, caught.message);
  if (expect.className !== undefined) assert.equal(caught.className, expect.className, caught.message);
  return caught;
}

/** Asserts a DamagedAccount naming `part` (and nothing less typed). */
function damaged(fn: () => unknown, part: string, message?: RegExp): DamagedAccount {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof DamagedAccount, `expected DamagedAccount for ${part}, got ${caught instanceof Error ? caught.stack : String(caught)}`);
  assert.equal(caught.part, part, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

const G = (n: number | string) => Ghid.fromDigest(createHash('sha512').update(`account-objects ${n}`).digest());
const S = (n: number) => Secret.create(Buffer.alloc(32, n), Buffer.alloc(16, 0x80 + n));
const dictOf = (...entries: [PyValue, PyValue][]) => {
  const d = new PyDict();
  d.entries.push(...entries);
  return d;
};
const setOf = (...items: PyValue[]) => {
  const s = new PySet();
  s.items.push(...items);
  return s;
};

// ---- the real reference accounts

const NAMES = ['alice', 'bob'] as const;
type Name = (typeof NAMES)[number];
const entry = (name: Name): AccountEntry => referenceAccounts().accounts[name];
const pools = new Map<Name, ReturnType<typeof poolOf>>();
const poolFor = (name: Name) => pools.get(name) ?? pools.set(name, poolOf(join(REFERENCE_ACCOUNTS, entry(name).ghidcache))).get(name)!;
/** An object of one account's ghidcache, by GHID (its current frame for a dynamic GHID). */
function objectOf(name: Name, g: Ghid): GolixObject {
  const o = poolFor(name).get(g);
  if (!o || o instanceof Promise) throw new Error(`${g.short} is not in ${name}'s ghidcache`);
  return o;
}
const plaintextOf = (name: Name, object: string) => fromB64url(entry(name).system_objects[object]!.plaintext);
interface RootNode {
  frame: string;
  container: string;
  container_secret: string;
  plaintext: string;
}
const rootNode = (name: Name) => (entry(name) as unknown as { root_node: RootNode }).root_node;

describe('pickle-values: valid values at their edges', () => {
  test('unicode text keeps every code point: multi-byte, astral, NUL, empty, and a 300-byte BINUNICODE', () => {
    for (const s of ['', 'é', 'ghid', '\u0000', 'snow ☃ and 𝄞 and 😀', 'x'.repeat(100) + '€'.repeat(100), '\u00a0\u2028\u2029']) {
      assert.equal(decodePickle(whole(str(s))), s, JSON.stringify(s));
    }
    // Invalid UTF-8 (a lone continuation byte, an overlong NUL) is refused, typed.
    refused(whole(rawStr(Buffer.from('80', 'hex'))), 'shape', { opcode: 'SHORT_BINUNICODE' });
    refused(whole(rawStr(Buffer.from('c080', 'hex'))), 'shape', { opcode: 'SHORT_BINUNICODE' });
  });

  test('a str that begins with U+FEFF keeps it: Python does not strip a byte-order mark from pickled text', () => {
    // Python: pickle.dumps('\ufeffabc', 4) holds the UTF-8 bytes EF BB BF 61 62 63, and loads gives '\ufeffabc' back.
    assert.equal(decodePickle(whole(rawStr(Buffer.from('efbbbf616263', 'hex')))), '\ufeffabc');
    assert.equal(decodePickle(whole(pk(0x58, u32(3), Buffer.from('efbbbf', 'hex'))))!, '\ufeff');
    // {'a': 1, '\ufeffa': 2} has two distinct keys in Python.
    const d = decodePickle(whole(dictP([str('a'), int1(1)], [rawStr(Buffer.from('efbbbf61', 'hex')), int1(2)]))) as PyDict;
    assert.deepEqual(d.entries, [['a', 1], ['\ufeffa', 2]]);
    // A damaged secondary manifest whose name carries a BOM is not one of the eight names.
    const names = ['rolodex.pending'] as const;
    const value = decodePickle(whole(dictP([rawStr(Buffer.concat([Buffer.from('efbbbf', 'hex'), Buffer.from(names[0])])), ghidP(G(1))])));
    damaged(() => readNameMap('secondary_manifest', value, names), 'secondary_manifest');
  });

  test('integers: BININT1/BININT2 unsigned, BININT signed, LONG1 two\'s complement up to ±(2^53 − 1); booleans stay booleans', () => {
    const cases: [Buffer, number | boolean][] = [
      [pk(0x4b, 255), 255],
      [pk(0x4d, 0xff, 0xff), 65535],
      [pk(0x4a, u32(0x80000000)), -(2 ** 31)],
      [pk(0x4a, u32(0x7fffffff)), 2 ** 31 - 1],
      [pk(0x4a, u32(0xffffffff)), -1],
      [pk(0x8a, 0), 0],
      [pk(0x8a, 1, 0xff), -1],
      [pk(0x8a, 1, 0x80), -128],
      [pk(0x8a, 2, 0x80, 0x00), 128],
      [pk(0x8a, 5, 0, 0, 0, 0x80, 0), 2 ** 31],
      [pk(0x8a, 7, Buffer.from('ffffffffffff1f', 'hex')), Number.MAX_SAFE_INTEGER],
      [pk(0x8a, 7, Buffer.from('010000000000e0', 'hex')), Number.MIN_SAFE_INTEGER],
      // Non-minimal encodings Python also reads: zero in 200 bytes, 1 with sign padding.
      [pk(0x8a, 200, Buffer.alloc(200)), 0],
      [pk(0x8a, 9, 1, Buffer.alloc(8)), 1],
      [pk(0x88), true],
      [pk(0x89), false],
    ];
    for (const [body, value] of cases) assert.equal(decodePickle(whole(body)), value, body.toString('hex'));
    refused(whole(pk(0x8a, 7, Buffer.from('00000000000020', 'hex'))), 'limit', { opcode: 'LONG1' }); // 2^53
    refused(whole(pk(0x8a, 7, Buffer.from('000000000000e0', 'hex'))), 'limit', { opcode: 'LONG1' }); // −2^53
    refused(whole(pk(0x8a, 255, Buffer.alloc(254), 0x40)), 'limit', { opcode: 'LONG1' });
    // A bool where the reference writes an int is not that int: a Ghid with _algo True is refused.
    refused(
      whole(cls('golix.utils', 'Ghid'), 0x29, 0x81, slots(['_algo', pk(0x88)], ['_address', bytes(Buffer.alloc(64, 1))]), 0x62),
      'shape',
      { opcode: 'BUILD', className: 'golix.utils.Ghid' },
    );
  });

  test('None and empty collections: a None value is null, an absent key undefined, and empty stores read as empty', () => {
    const d = decodePickle(whole(dictP([str('none'), pk(0x4e)], [pk(0x4e), str('key is None')], [str('empty'), pk(0x29)]))) as PyDict;
    assert.equal(d.get('none'), null);
    assert.equal(d.get('absent'), undefined);
    assert.deepEqual(d.entries[1], [null, 'key is None']);
    assert.deepEqual(tagValue(d.get('empty')!), { tuple: [] });
    assert.deepEqual(tagValue(decodePickle(whole(setP(pk(0x4e), tupleP()))) as PyValue), { set: [null, { tuple: [] }] });
    assert.deepEqual(tagValue(decodePickle(whole(pk(0x28, 0x74))) as PyValue), { tuple: [] }, 'TUPLE of nothing is ()');
    assert.deepEqual(tagValue(decodePickle(whole(pk(0x5d, 0x28, 0x65))) as PyValue), { list: [] }, 'APPENDS of nothing');
    // Empty stores, as a new account has them, read as empty.
    assert.equal(readSecrets('privateer_quarantine', decodePickle(whole(dictP()))).size, 0);
    assert.deepEqual(readTokens('dispatch_tokens', decodePickle(whole(setP(tokenP(Buffer.alloc(16))))), 16), []);
    assert.deepEqual(readStartup('dispatch_startup', decodePickle(whole(setMapP())), 4), []);
    assert.deepEqual(readOutstanding('rolodex_outstanding', decodePickle(whole(setMapP())), 16), []);
    assert.deepEqual(readIncoming('dispatch_incoming', decodePickle(whole(setP()))), []);
    assert.deepEqual(readPending('rolodex_pending', decodePickle(whole(dictP()))), []);
    // A None where a store is expected is damage, not an empty store.
    damaged(() => readSecrets('privateer_persistent', null), 'privateer_persistent', /found None/);
    damaged(() => readTokens('dispatch_tokens', null, 16), 'dispatch_tokens', /found None/);
  });

  test('decoded bytes, GHIDs and secrets do not alias the plaintext: wiping it afterwards changes nothing', () => {
    const g = G('alias');
    const s = S(7);
    const data = whole(tupleP(bytes(Buffer.from('keep me')), ghidP(g), secretP(s), tokenP(Buffer.alloc(16, 9))));
    const value = decodePickle(data) as PyTuple;
    data.fill(0);
    const [b, gh, se, token] = value.items as [Buffer, Ghid, Secret, Buffer];
    assert.equal(b.toString(), 'keep me');
    assert.ok(gh.equals(g));
    assert.ok(se.equals(s));
    assert.ok(token.equals(Buffer.alloc(16, 9)));
  });
});

describe('pickle-classes: the classes the reference pickles', () => {
  test('a non-empty rolodex_outstanding (SetMap _SharePair → {AppToken}) reads as the reference writes it', () => {
    const [target, recipient, other] = [G('target'), G('recipient'), G('other')];
    const [t1, t2] = [Buffer.alloc(16, 1), Buffer.alloc(16, 2)];
    const value = decodePickle(
      whole(
        setMapP(
          [pairP('hypergolix.rolodex', '_SharePair', target, recipient), [tokenP(t1), tokenP(t2)]],
          [tupleP(ghidP(other), ghidP(recipient)), [tokenP(t2)]],
        ),
      ),
    );
    assert.ok(value instanceof SetMap);
    const shares = readOutstanding('rolodex_outstanding', value, 16);
    assert.deepEqual(
      shares.map((s) => [s.target.text, s.recipient.text, s.tokens.map((t) => t[0])]),
      [
        [target.text, recipient.text, [1, 2]],
        [other.text, recipient.text, [2]],
      ],
    );
    // The same with 2016's 4-byte tokens is refused at HEAD's 16 and read at 4.
    const old = decodePickle(whole(setMapP([tupleP(ghidP(target), ghidP(recipient)), [bytes(Buffer.alloc(4, 3))]])));
    damaged(() => readOutstanding('rolodex_outstanding', old, 16), 'rolodex_outstanding', /4 bytes, not 16/);
    assert.equal(readOutstanding('rolodex_outstanding', old, 4)[0]!.tokens[0]!.length, 4);
  });

  test('rolodex_pending reads _SharePair and plain-tuple values; dispatch_incoming reads _ShareLog of both eras', () => {
    const [req1, req2, target, recipient] = [G('req1'), G('req2'), G('t'), G('r')];
    const pending = decodePickle(
      whole(dictP([ghidP(req1), pairP('hypergolix.rolodex', '_SharePair', target, recipient)], [ghidP(req2), tupleP(ghidP(target), ghidP(recipient))])),
    );
    assert.deepEqual(
      readPending('rolodex_pending', pending).map((p) => [p.request.text, p.target.text, p.recipient.text]),
      [
        [req1.text, target.text, recipient.text],
        [req2.text, target.text, recipient.text],
      ],
    );
    const incoming = decodePickle(
      whole(setP(pairP('hypergolix.dispatch', '_ShareLog', G(1), G(2)), pairP('hypergolix.ipc', '_ShareLog', G(3), G(4)))),
    );
    assert.deepEqual(
      readIncoming('dispatch_incoming', incoming).map((s) => [s.ghid.text, s.origin.text]),
      [
        [G(1).text, G(2).text],
        [G(3).text, G(4).text],
      ],
    );
    // A _SharePair where a _ShareLog belongs, or a _ShareLog where a pair belongs, is damage.
    damaged(() => readIncoming('dispatch_incoming', decodePickle(whole(setP(pairP('hypergolix.rolodex', '_SharePair', G(1), G(2)))))), 'dispatch_incoming', /_ShareLog/);
    damaged(() => readPending('rolodex_pending', decodePickle(whole(dictP([ghidP(req1), pairP('hypergolix.dispatch', '_ShareLog', target, recipient)])))), 'rolodex_pending');
  });

  test('Secret: both class names read; a wrong version, cipher, length, a missing or extra slot, or a dict state is refused', () => {
    const s = S(3);
    for (const name of ['golix.crypto_utils.Secret', 'golix.utils.Secret']) {
      const read = decodePickle(whole(secretP(s, name)));
      assert.ok(read instanceof Secret && read.equals(s), name);
    }
    const secretWith = (...pairs: [string, Buffer][]) => whole(cls('golix.crypto_utils', 'Secret'), 0x29, 0x81, slots(...pairs), 0x62);
    const key = ['_key', bytes(s.key)] as [string, Buffer];
    const seed = ['_seed', bytes(s.seed)] as [string, Buffer];
    const version = ['_version', int1(2)] as [string, Buffer];
    const cipher = ['_cipher', int1(1)] as [string, Buffer];
    const bad: [string, Buffer][] = [
      ['version 1', secretWith(key, seed, ['_version', int1(1)], cipher)],
      ['cipher 2', secretWith(key, seed, version, ['_cipher', int1(2)])],
      ['version None', secretWith(key, seed, ['_version', pk(0x4e)], cipher)],
      ['31-byte key', secretWith(['_key', bytes(Buffer.alloc(31))], seed, version, cipher)],
      ['seed None', secretWith(key, ['_seed', pk(0x4e)], version, cipher)],
      ['key as str', secretWith(['_key', str('k'.repeat(32))], seed, version, cipher)],
      ['missing slot', secretWith(key, seed, version)],
      ['extra slot', secretWith(key, seed, version, cipher, ['_extra', pk(0x4e)])],
      ['dict state', whole(cls('golix.crypto_utils', 'Secret'), 0x29, 0x81, dictP([str('_key'), bytes(s.key)]), 0x62)],
      ['(dict, None) state', whole(cls('golix.crypto_utils', 'Secret'), 0x29, 0x81, dictP(), 0x4e, 0x86, 0x62)],
      ['NEWOBJ args', whole(cls('golix.crypto_utils', 'Secret'), bytes(s.key), 0x85, 0x81)],
    ];
    for (const [label, data] of bad) {
      const err = refused(data, 'shape');
      assert.equal(err.className, 'golix.crypto_utils.Secret', label);
    }
  });

  test('Ghid: a state other than (None, {_algo, _address}) is refused; one Ghid reused through the memo is one value', () => {
    const ghidWith = (state: Buffer) => whole(cls('golix.utils', 'Ghid'), 0x29, 0x81, state, 0x62);
    const address = ['_address', bytes(Buffer.alloc(64, 5))] as [string, Buffer];
    refused(ghidWith(slots(['_algo', int1(1)], address, ['_x', pk(0x4e)])), 'shape', { className: 'golix.utils.Ghid' });
    refused(ghidWith(slots(address)), 'shape', { className: 'golix.utils.Ghid' });
    refused(ghidWith(pk(dictP([str('_algo'), int1(1)]), 0x4e, 0x86)), 'shape', { className: 'golix.utils.Ghid' });
    refused(ghidWith(dictP([str('_algo'), int1(1)], [str('_address'), bytes(Buffer.alloc(64))])), 'shape', { className: 'golix.utils.Ghid' });
    refused(ghidWith(slots(['_algo', int1(1)], ['_address', str('x'.repeat(64))])), 'shape', { className: 'golix.utils.Ghid' });
    refused(ghidWith(slots(['_algo', pk(0x4d, 1, 1)], address)), 'shape', { className: 'golix.utils.Ghid' });
    // BUILD applied twice (the second through the memo) is refused.
    refused(whole(cls('golix.utils', 'Ghid'), 0x29, 0x81, 0x94, slots(['_algo', int1(1)], address), 0x62, 0x68, 0, slots(['_algo', int1(1)], address), 0x62), 'shape', {
      opcode: 'BUILD',
    });
    // As the reference writes a repeated Ghid: MEMOIZE after NEWOBJ, then BINGET of that slot.
    const g = G('memo');
    const value = decodePickle(
      whole(cls('golix.utils', 'Ghid'), 0x94, 0x29, 0x81, 0x94, slots(['_algo', int1(1)], ['_address', bytes(g.address)]), 0x62, 0x68, 1, 0x86),
    ) as PyTuple;
    assert.ok((value.items[0] as Ghid).equals(g) && value.items[0] === value.items[1]);
  });

  test('AppToken, _ShareLog and SetMap built from anything but the reference\'s shape are refused', () => {
    const token = cls('hypergolix.utils', 'AppToken');
    refused(whole(token, bytes(Buffer.alloc(16)), bytes(Buffer.alloc(16)), 0x86, 0x81), 'shape', { className: 'hypergolix.utils.AppToken' });
    refused(whole(token, str('x'.repeat(16)), 0x85, 0x81), 'shape', { className: 'hypergolix.utils.AppToken' });
    refused(whole(token, 0x29, 0x81), 'shape', { className: 'hypergolix.utils.AppToken' });
    refused(whole(tokenP(Buffer.alloc(16)), dictP(), 0x62), 'shape', { opcode: 'BUILD' });
    refused(whole(token, bytes(Buffer.alloc(16)), 0x81), 'shape', { opcode: 'NEWOBJ' }); // args not a tuple
    refused(whole(bytes(Buffer.alloc(16)), 0x29, 0x81), 'shape', { opcode: 'NEWOBJ' }); // no class
    const log = cls('hypergolix.dispatch', '_ShareLog');
    refused(whole(log, ghidP(G(1)), bytes(G(2).bytes), 0x86, 0x81), 'shape', { className: 'hypergolix.dispatch._ShareLog' });
    refused(whole(log, ghidP(G(1)), 0x85, 0x81), 'shape', { className: 'hypergolix.dispatch._ShareLog' });
    refused(whole(log, ghidP(G(1)), ghidP(G(2)), ghidP(G(3)), 0x87, 0x81), 'shape', { className: 'hypergolix.dispatch._ShareLog' });
    const setMap = cls('hypergolix.utils', 'SetMap');
    const mappingOf = (value: Buffer) => dictP([str('_mapping'), dictP([bytes(Buffer.alloc(16)), value])]);
    refused(whole(setMap, 0x29, 0x81, mappingOf(pk(0x5d)), 0x62), 'shape', { className: 'hypergolix.utils.SetMap' });
    refused(whole(setMap, 0x29, 0x81, mappingOf(dictP()), 0x62), 'shape', { className: 'hypergolix.utils.SetMap' });
    refused(whole(setMap, 0x29, 0x81, mappingOf(pk(0x4e)), 0x62), 'shape', { className: 'hypergolix.utils.SetMap' });
    refused(whole(setMap, 0x29, 0x81, dictP([str('_mapping'), dictP()], [str('_lock'), pk(0x4e)]), 0x62), 'shape', { className: 'hypergolix.utils.SetMap' });
    refused(whole(setMap, 0x29, 0x81, dictP([str('_mapping'), setP()]), 0x62), 'shape', { className: 'hypergolix.utils.SetMap' });
    refused(whole(setMap, bytes(Buffer.alloc(1)), 0x85, 0x81), 'shape', { className: 'hypergolix.utils.SetMap' });
    // A SetMap is unhashable: it is no set item.
    refused(whole(pk(0x8f, 0x28, setMapP(), 0x90)), 'shape', { opcode: 'ADDITEMS' });
  });

  test('classes the reference never writes are refused as globals, near-miss spellings included', () => {
    const names: [string, string][] = [
      ['hypergolix.rolodex', '_ShareLog'],
      ['hypergolix.dispatch', '_SharePair'],
      ['hypergolix.utils', 'ApiID'],
      ['golix.utils', 'ghid'],
      ['golix.utils ', 'Ghid'],
      ['golix.utils', 'Ghid '],
      ['golix.crypto_utils', 'Ghid'],
      ['builtins', 'set'],
      ['builtins', 'frozenset'],
      ['builtins', 'bytearray'],
      ['collections', 'OrderedDict'],
      ['copyreg', '_reconstructor'],
      ['__main__', 'Ghid'],
      ['', 'golix.utils.Ghid'],
    ];
    for (const [module, name] of names) refused(whole(cls(module, name), 0x29, 0x81), 'global', { opcode: 'STACK_GLOBAL', className: `${module}.${name}` });
    // GLOBAL operands are printable ASCII lines.
    refused(pk(P4, 'c', 'golix.utils\nGhid\x00\n', 0x29, 0x81, STOP), 'shape', { opcode: 'GLOBAL' });
    refused(pk(P4, 'c', 'golix.utils\r\nGhid\r\n', STOP), 'shape', { opcode: 'GLOBAL' });
    refused(pk(P4, 'c', `${'a'.repeat(300)}\nGhid\n`, STOP), 'limit', { opcode: 'GLOBAL' });
    // STACK_GLOBAL needs two strings.
    refused(whole(bytes(Buffer.from('golix.utils')), str('Ghid'), 0x93), 'shape', { opcode: 'STACK_GLOBAL' });
    refused(whole(str('golix.utils'), pk(0x4e), 0x93), 'shape', { opcode: 'STACK_GLOBAL' });
    refused(whole(str('golix.utils'), 0x93), 'structure', { opcode: 'STACK_GLOBAL' });
  });

  test('namedtuples hash as tuples: a _ShareLog and the equal plain tuple are one set item, as in Python', () => {
    refused(whole(setP(pairP('hypergolix.dispatch', '_ShareLog', G(1), G(2)), tupleP(ghidP(G(1)), ghidP(G(2))))), 'shape', { opcode: 'ADDITEMS' });
    refused(whole(dictP([pairP('hypergolix.rolodex', '_SharePair', G(1), G(2)), pk(0x4e)], [pairP('hypergolix.dispatch', '_ShareLog', G(1), G(2)), pk(0x4e)])), 'shape', {
      opcode: 'SETITEMS',
    });
    // The same GHIDs in the other order are another item; a Ghid and its 65 bytes are two items.
    assert.equal((decodePickle(whole(setP(pairP('hypergolix.dispatch', '_ShareLog', G(1), G(2)), tupleP(ghidP(G(2)), ghidP(G(1)))))) as PySet).items.length, 2);
    assert.equal((decodePickle(whole(setP(ghidP(G(1)), bytes(G(1).bytes)))) as PySet).items.length, 2);
    // A Secret is no dict key.
    refused(whole(dictP([secretP(S(1)), pk(0x4e)])), 'shape', { opcode: 'SETITEMS' });
  });
});

describe('the decoder on hostile streams', () => {
  test('cycles, and changing a container after it was placed, are refused as structure', () => {
    // a = []; b = [a]; a.append(b)
    refused(whole(0x5d, 0x94, 0x5d, 0x94, 0x68, 0, 0x61, 0x68, 0, 0x68, 1, 0x61), 'structure', { opcode: 'APPEND' });
    // d = {}; d['self'] = d
    refused(whole(0x7d, 0x94, str('self'), 0x68, 0, 0x73), 'structure', { opcode: 'SETITEM' });
    // d = {}; d['l'] = [d] (the dict is sealed once it is placed in the list)
    refused(whole(0x7d, 0x94, str('l'), 0x5d, 0x68, 0, 0x61, 0x73), 'structure', { opcode: 'SETITEM' });
    // s = set(); l = [s]; s.add(1)
    refused(whole(0x8f, 0x94, 0x5d, 0x68, 0, 0x61, 0x68, 0, 0x28, int1(1), 0x90), 'structure', { opcode: 'ADDITEMS' });
  });

  test('nesting through dicts and through a set of tuples stops at maxDepth; exactly maxDepth reads', () => {
    const max = DEFAULT_PICKLE_LIMITS.maxDepth;
    // n + 1 dicts, each the value of the one before: depth n + 1.
    const dicts = (n: number) => whole(...Array.from({ length: n }, () => pk(0x7d, str('k'))), 0x7d, ...Array<number>(n).fill(0x73));
    let value = decodePickle(dicts(max - 1));
    for (let i = 0; i < max - 1; i++) value = (value as PyDict).get('k')!;
    assert.ok(value instanceof PyDict && value.entries.length === 0);
    refused(dicts(max), 'limit', { opcode: 'SETITEM' });
    // A tuple `n` deep (the empty tuple is 1) as a set item makes the set n + 1 deep.
    const tuples = (n: number) => pk(0x29, ...Array<number>(n - 1).fill(0x85));
    assert.ok(decodePickle(whole(setP(tuples(max - 1)))) instanceof PySet);
    refused(whole(setP(tuples(max))), 'limit', { opcode: 'ADDITEMS' });
    // A SetMap's mapping deeper than the bound is refused before BUILD.
    refused(whole(setMapP([bytes(Buffer.alloc(16)), [tuples(max - 2)]])), 'limit');
    // Tighter bounds are honoured the same way.
    refused(whole(dictP([str('a'), dictP([str('b'), dictP()])])), 'limit', { opcode: 'SETITEMS' }, { limits: { maxDepth: 2 } });
  });

  test('lying lengths and truncated operands are refused as truncated (or a missing memo entry), never a RangeError', () => {
    const cases: [Buffer, PickleFault, string][] = [
      [pk(0x80), 'truncated', 'PROTO'],
      [pk(P4), 'truncated', ''],
      [pk(P4, 0x43, 255, 'abc'), 'truncated', 'SHORT_BINBYTES'],
      [pk(P4, 0x42, u32(0x80000000), 'abc'), 'truncated', 'BINBYTES'],
      [pk(P4, 0x42, 1, 0), 'truncated', 'BINBYTES'],
      [pk(P4, 0x4a, 1, 2), 'truncated', 'BININT'],
      [pk(P4, 0x4d, 1), 'truncated', 'BININT2'],
      [pk(P4, 0x4b), 'truncated', 'BININT1'],
      [pk(P4, 0x8a, 255, 1), 'truncated', 'LONG1'],
      [pk(P4, 0x8c, 200, 'ab'), 'truncated', 'SHORT_BINUNICODE'],
      [pk(P4, 0x58, u32(0xffffffff)), 'truncated', 'BINUNICODE'],
      [pk(P4, 0x55, 9, 'x'), 'truncated', 'SHORT_BINSTRING'],
      [pk(P4, 0x4e, 0x72, 1, 0), 'truncated', 'LONG_BINPUT'],
      [pk(P4, 0x6a, 1), 'truncated', 'LONG_BINGET'],
      [pk(P4, 0x95, 1, 2, 3), 'truncated', 'FRAME'],
      [pk(P4, 0x95, Buffer.from('0200000000000000', 'hex'), 0x4e), 'truncated', 'FRAME'],
      [pk(P4, 0x6a, u32(0xffffffff), STOP), 'structure', 'LONG_BINGET'],
      [pk(P4, 0x68, 0, STOP), 'structure', 'BINGET'],
    ];
    for (const [data, fault, opcode] of cases) {
      const err = refused(data, fault);
      assert.ok((err.opcode ?? '').startsWith(opcode), `${data.toString('hex')}: ${err.message}`);
    }
    // The largest memo index is only a key, not an allocation.
    assert.deepEqual(tagValue(decodePickle(whole(0x4e, 0x72, u32(0xffffffff), 0x6a, u32(0xffffffff), 0x86))), { tuple: [null, null] });
  });

  test('an input one byte over the bound is refused before its first opcode; one at the bound reads', () => {
    const max = DEFAULT_PICKLE_LIMITS.maxBytes;
    const over = Buffer.alloc(max + 1);
    P4.copy(over);
    const err = refused(over, 'limit');
    assert.equal(err.offset, 0);
    const at = pk(P4, 0x42, u32(max - 8), Buffer.alloc(max - 8, 1), STOP);
    assert.equal(at.length, max);
    assert.equal((decodePickle(at) as Buffer).length, max - 8);
  });

  test('seeded opcode soups over the allowed subset only ever decode or throw PickleRefused', () => {
    let seed = 0x5eed;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = (n: number) => Math.floor(rand() * n);
    const classes = [...['Ghid', 'Secret'].map((n) => ['golix.utils', n]), ['golix.crypto_utils', 'Secret'], ['hypergolix.utils', 'AppToken'], ['hypergolix.utils', 'SetMap'], ['hypergolix.dispatch', '_ShareLog'], ['hypergolix.ipc', '_ShareLog'], ['hypergolix.rolodex', '_SharePair']];
    const words = ['_algo', '_address', '_key', '_seed', '_version', '_cipher', '_mapping', 'ghid', 'signature'];
    const simple = [0x28, 0x94, 0x7d, 0x5d, 0x8f, 0x29, 0x85, 0x86, 0x87, 0x74, 0x61, 0x65, 0x73, 0x75, 0x90, 0x4e, 0x88, 0x89, 0x81, 0x62, 0x2e, 0x93];
    const fragment = (): Buffer => {
      switch (pick(16)) {
        case 0: {
          const [m, n] = classes[pick(classes.length)]!;
          return cls(m!, n!);
        }
        case 1: {
          const [m, n] = classes[pick(classes.length)]!;
          return pk('c', `${m}\n${n}\n`);
        }
        case 2:
          return str(words[pick(words.length)]!);
        case 3: {
          const n = [0, 1, 4, 16, 32, 64, 65][pick(7)]!;
          return bytes(Buffer.alloc(n, pick(3)));
        }
        case 4:
          return int1(pick(3));
        case 5:
          return pk(0x8a, pick(3), pick(256), pick(256));
        case 6:
          return pk(0x68, pick(4));
        case 7:
          return pk(0x71, pick(4));
        case 8:
          return ghidP(G(pick(3)));
        default:
          return Buffer.of(simple[pick(simple.length)]!);
      }
    };
    let decoded = 0;
    for (let i = 0; i < 8000; i++) {
      const data = pk(P4, ...Array.from({ length: 1 + pick(30) }, fragment), ...(rand() < 0.8 ? [STOP] : []));
      try {
        decodePickle(data);
        decoded++;
      } catch (err) {
        assert.ok(err instanceof PickleRefused, `${data.toString('hex')}: ${err instanceof Error ? err.stack : String(err)}`);
      }
    }
    assert.ok(decoded > 0);
  });
});

describe('account-objects: the readers', () => {
  test('unpickle names the part and keeps the refusal as cause; an empty or garbage plaintext is damage', () => {
    for (const [plaintext, fault] of [
      [EMPTY, 'truncated'],
      [Buffer.from('not a pickle'), 'opcode'],
      [whole(pk(0x4e), 0x4e), 'structure'],
      [whole(cls('posix', 'system')), 'global'],
    ] as [Buffer, PickleFault][]) {
      const err = damaged(() => unpickle('dispatch_tokens', plaintext), 'dispatch_tokens');
      assert.ok(err.cause instanceof PickleRefused);
      assert.equal(err.cause.fault, fault);
    }
    // A real object reads.
    assert.ok(unpickle('dispatch_incoming', plaintextOf('bob', 'dispatch_incoming')) instanceof PySet);
  });

  test('every reader given every kind of wrong value throws a DamagedAccount naming its part, never a TypeError', () => {
    const [g1, g2] = [G(1), G(2)];
    const list = new PyList();
    list.items.push(g1);
    const kinds: [string, PyValue][] = [
      ['None', null],
      ['True', true],
      ['0', 0],
      ['-1', -1],
      ['str', 'ghid'],
      ['empty str', ''],
      ['bytes 0', Buffer.alloc(0)],
      ['bytes 4', Buffer.alloc(4, 1)],
      ['bytes 16', Buffer.alloc(16, 1)],
      ['bytes 65', g1.bytes],
      ['Ghid', g1],
      ['Secret', S(1)],
      ['()', new PyTuple([])],
      ['(Ghid,)', new PyTuple([g1])],
      ['(Ghid, Ghid)', new PyTuple([g1, g2])],
      ['(Ghid, Ghid, Ghid)', new PyTuple([g1, g2, g1])],
      ['(bytes, Ghid)', new PyTuple([g1.bytes, g2])],
      ['list', list],
      ['{}', new PyDict()],
      ['set()', new PySet()],
      ['SetMap', new SetMap([])],
      ['_ShareLog', new ShareLog(g1, g2)],
      ['_SharePair', new SharePair(g1, g2)],
    ];
    const values: [string, PyValue][] = [...kinds];
    for (const [kl, k] of kinds) {
      values.push([`{${kl}}`, setOf(k)]);
      values.push([`SetMap ${kl} → {}`, new SetMap([[k, setOf()]])]);
      values.push([`SetMap bytes 16 → {${kl}}`, new SetMap([[Buffer.alloc(16, 2), setOf(k)]])]);
      values.push([`SetMap bytes 4 → {${kl}}`, new SetMap([[Buffer.alloc(4, 2), setOf(k)]])]);
      values.push([`SetMap (Ghid, Ghid) → {${kl}}`, new SetMap([[new SharePair(g1, g2), setOf(k)]])]);
      for (const [vl, v] of kinds) values.push([`{${kl}: ${vl}}`, dictOf([k, v])]);
    }
    const fingerprint = ghid(entry('alice').fingerprint);
    const readers: [string, (v: PyValue) => unknown][] = [
      ['identity', (v) => readIdentity(v, fingerprint)],
      ['privateer_persistent', (v) => readSecrets('privateer_persistent', v)],
      ['dispatch_tokens', (v) => readTokens('dispatch_tokens', v, 16)],
      ['dispatch_tokens', (v) => readTokens('dispatch_tokens', v, 4)],
      ['dispatch_startup', (v) => readStartup('dispatch_startup', v, 16)],
      ['dispatch_startup', (v) => readStartup('dispatch_startup', v, 4)],
      ['dispatch_private', (v) => readPrivate('dispatch_private', v, 16)],
      ['dispatch_incoming', (v) => readIncoming('dispatch_incoming', v)],
      ['rolodex_pending', (v) => readPending('rolodex_pending', v)],
      ['rolodex_outstanding', (v) => readOutstanding('rolodex_outstanding', v, 16)],
      ['dispatch_orphan_acks', (v) => readUnusedSetMap('dispatch_orphan_acks', v)],
      ['secondary_manifest', (v) => readNameMap('secondary_manifest', v, ['rolodex.pending'])],
    ];
    let accepted = 0;
    let refusedCount = 0;
    for (const [part, read] of readers) {
      for (const [label, value] of values) {
        try {
          read(value);
          accepted++;
        } catch (err) {
          assert.ok(err instanceof DamagedAccount, `${part} of ${label}: ${err instanceof Error ? err.stack : String(err)}`);
          assert.equal(err.part, part, `${part} of ${label}`);
          refusedCount++;
        }
      }
    }
    assert.ok(accepted > 0 && refusedCount > accepted);
  });

  test('readIdentity: the real identities read; missing, extra or non-bytes fields and another account\'s keys are damage', () => {
    for (const name of NAMES) {
      const identity = readIdentity(unpickle('identity', plaintextOf(name, 'identity')), ghid(entry(name).fingerprint));
      assert.equal(identity.ghid.text, entry(name).fingerprint);
    }
    const alice = decodePickle(plaintextOf('alice', 'identity')) as PyDict;
    const bob = decodePickle(plaintextOf('bob', 'identity')) as PyDict;
    const fp = ghid(entry('alice').fingerprint);
    const edited = (edit: (entries: [PyValue, PyValue][]) => [PyValue, PyValue][]) => dictOf(...edit(alice.entries.map(([k, v]) => [k, v] as [PyValue, PyValue])));
    const field = (f: string, value: PyValue) => edited((es) => es.map(([k, v]) => [k, k === f ? value : v]));
    damaged(() => readIdentity(edited((es) => es.filter(([k]) => k !== 'exchange')), fp), 'identity', /exactly the fields/);
    damaged(() => readIdentity(edited((es) => [...es, ['extra', null]]), fp), 'identity', /exactly the fields/);
    damaged(() => readIdentity(edited((es) => es.map(([k, v]) => [k === 'ghid' ? 'Ghid' : k, v])), fp), 'identity', /exactly the fields/);
    damaged(() => readIdentity(field('signature', 'not bytes'), fp), 'identity', /expected bytes, found string/);
    damaged(() => readIdentity(field('ghid', fp), fp), 'identity', /expected bytes, found Ghid/);
    damaged(() => readIdentity(field('exchange', Buffer.alloc(31)), fp), 'identity');
    damaged(() => readIdentity(field('signature', Buffer.from('garbage')), fp), 'identity');
    // The two RSA keys swapped: a GIDC that is not the fingerprint's.
    damaged(() => readIdentity(edited((es) => es.map(([k, v]) => [k === 'signature' ? 'encryption' : k === 'encryption' ? 'signature' : k, v])), fp), 'identity', /its keys make/);
    // Bob's keys under Alice's ghid, and Bob's whole identity for Alice's fingerprint.
    damaged(() => readIdentity(edited((es) => es.map(([k, v]) => [k, k === 'ghid' ? v : bob.get(k as string)!])), fp), 'identity', /its keys make/);
    damaged(() => readIdentity(bob, fp), 'identity', /not the account's fingerprint/);
  });

  test('readIdentity: a ghid field that is no GHID (64 bytes, 66 bytes, algorithm 0) is a DamagedAccount for "identity"', () => {
    const alice = decodePickle(plaintextOf('alice', 'identity')) as PyDict;
    const fp = ghid(entry('alice').fingerprint);
    for (const bad of [fp.bytes.subarray(1), Buffer.concat([fp.bytes, Buffer.of(0)]), Buffer.concat([Buffer.of(0), fp.address]), Buffer.alloc(0)]) {
      const value = dictOf(...alice.entries.map(([k, v]) => [k, k === 'ghid' ? bad : v] as [PyValue, PyValue]));
      damaged(() => readIdentity(value, fp), 'identity');
    }
  });

  test('readIdentity: RSA keys damaged where the modulus is not (private exponent and a prime) are damage, as in our own format', () => {
    // Such a key still loads and still derives the account's GIDC, but signs nothing that verifies:
    // PrivateIdentity.deserialize (our format) refuses it with checkKeysWork().
    const alice = decodePickle(plaintextOf('alice', 'identity')) as PyDict;
    const fp = ghid(entry('alice').fingerprint);
    for (const which of ['signature', 'encryption']) {
      const key = Buffer.from(alice.get(which) as Buffer);
      const ints = rsaPrivateKeyIntegers(key);
      assert.equal(ints.length, 9, 'version, n, e, d, p, q, dp, dq, qinv');
      for (const i of [3, 4]) key[ints[i]!.end - 1]! ^= 0x02; // keeps p odd
      const value = dictOf(...alice.entries.map(([k, v]) => [k, k === which ? key : v] as [PyValue, PyValue]));
      damaged(() => readIdentity(value, fp), 'identity');
    }
  });

  test('app tokens: the null token is dropped at either length; 2016 SetMap startups flatten; lengths are checked', () => {
    const [t4, t16] = [Buffer.from('eadf2a27', 'hex'), Buffer.alloc(16, 0xab)];
    assert.deepEqual(readTokens('dispatch_tokens', setOf(t4, Buffer.alloc(4)), 4), [t4]);
    assert.deepEqual(readTokens('dispatch_tokens', setOf(Buffer.alloc(16), t16), 16), [t16]);
    damaged(() => readTokens('dispatch_tokens', setOf(t16), 4), 'dispatch_tokens', /16 bytes, not 4/);
    damaged(() => readTokens('dispatch_tokens', setOf(Buffer.alloc(4)), 16), 'dispatch_tokens', /4 bytes, not 16/);
    const list = new PyList();
    list.items.push(t16);
    damaged(() => readTokens('dispatch_tokens', list, 16), 'dispatch_tokens', /expected a set, found PyList/);
    // 2016: SetMap token → {GHID}, through the decoder.
    const startup = decodePickle(whole(setMapP([bytes(t4), [ghidP(G(1)), ghidP(G(2))]], [bytes(Buffer.from('00000001', 'hex')), []])));
    assert.deepEqual(
      readStartup('dispatch_startup', startup, 4).map((s) => [s.token.toString('hex'), s.ghid.text]),
      [
        ['eadf2a27', G(1).text],
        ['eadf2a27', G(2).text],
      ],
    );
    damaged(() => readStartup('dispatch_startup', startup, 16), 'dispatch_startup');
    damaged(() => readStartup('dispatch_startup', new SetMap([[t4, setOf(G(1).bytes)]]), 4), 'dispatch_startup', /expected a Ghid, found bytes/);
    // HEAD: dict AppToken → Ghid, and private: dict Ghid → AppToken.
    const head = decodePickle(whole(dictP([tokenP(t16), ghidP(G(3))])));
    assert.deepEqual(readStartup('dispatch_startup', head, 16).map((s) => s.ghid.text), [G(3).text]);
    const priv = decodePickle(whole(dictP([ghidP(G(4)), tokenP(t16)])));
    assert.deepEqual(readPrivate('dispatch_private', priv, 16).map((p) => [p.ghid.text, p.token.equals(t16)]), [[G(4).text, true]]);
    damaged(() => readPrivate('dispatch_private', dictOf([G(4), G(5)]), 16), 'dispatch_private', /expected bytes, found Ghid/);
  });

  test('secret stores: keys must be Ghids and values Secrets; the real stores read every entry', () => {
    for (const name of NAMES) {
      for (const part of ['privateer_persistent', 'privateer_quarantine']) {
        const decoded = decodePickle(plaintextOf(name, part)) as PyDict;
        const read = readSecrets(part, decoded);
        assert.equal(read.size, decoded.entries.length, `${name}.${part}`);
      }
    }
    assert.deepEqual([...readSecrets('p', dictOf([G(1), S(1)]))].map(([k, s]) => [k, s.text]), [[G(1).text, S(1).text]]);
    damaged(() => readSecrets('privateer_persistent', dictOf([G(1).bytes, S(1)])), 'privateer_persistent', /expected a Ghid, found bytes/);
    damaged(() => readSecrets('privateer_persistent', dictOf([G(1), null])), 'privateer_persistent', /expected a Secret, found None/);
    damaged(() => readSecrets('privateer_persistent', dictOf([G(1), S(1).toRecord()])), 'privateer_persistent', /expected a Secret, found bytes/);
    damaged(() => readSecrets('privateer_quarantine', new SetMap([])), 'privateer_quarantine', /expected a dict, found SetMap/);
  });

  test('readNameMap: exactly the names, each a Ghid', () => {
    const names = ['rolodex.pending', 'ipc.incoming'] as const;
    const read = readNameMap('secondary_manifest', dictOf(['ipc.incoming', G(2)], ['rolodex.pending', G(1)]), names);
    assert.deepEqual([...read].map(([k, g]) => [k, g.text]), [
      ['ipc.incoming', G(2).text],
      ['rolodex.pending', G(1).text],
    ]);
    damaged(() => readNameMap('secondary_manifest', dictOf(['rolodex.pending', G(1)]), names), 'secondary_manifest', /expected the entries/);
    damaged(() => readNameMap('secondary_manifest', dictOf(['rolodex.pending', G(1)], ['ipc.incoming', G(2)], ['ipc.other', G(3)]), names), 'secondary_manifest', /unexpected entry/);
    damaged(() => readNameMap('secondary_manifest', dictOf([G(1), G(1)], ['ipc.incoming', G(2)]), names), 'secondary_manifest', /unexpected entry/);
    damaged(() => readNameMap('secondary_manifest', dictOf(['rolodex.pending', G(1).bytes], ['ipc.incoming', G(2)]), names), 'secondary_manifest', /expected a Ghid/);
    damaged(() => readNameMap('secondary_manifest', dictOf(['rolodex.pending ', G(1)], ['ipc.incoming', G(2)]), names), 'secondary_manifest', /unexpected entry/);
  });
});

describe('source: fetching and opening master-secret objects', () => {
  test('masterFrameSecret derives every reference system object\'s container secret (salt = target_vector[1]); openMasterObject gives its plaintext', async () => {
    for (const name of NAMES) {
      const e = entry(name);
      const pool = poolFor(name);
      const fingerprint = ghid(e.fingerprint);
      const root = pool.get(ghid(rootNode(name).frame)) as Gobd;
      assert.equal(masterFrameSecret(root, Secret.fromText(e.root_secret), 'root').text, rootNode(name).container_secret);
      const { plaintext: manifest } = await readMasterFrame(pool.get, root, Secret.fromText(e.root_secret), 'root');
      assert.ok(manifest.equals(fromB64url(rootNode(name).plaintext)));
      for (const [object, o] of Object.entries(e.system_objects)) {
        const frame = pool.get(ghid(o.frame)) as Gobd;
        assert.equal(frame.version, 16);
        assert.ok(frame.targets[1]!.equals(masterSalt(o)), `${name}.${object}: the salt is the previous container`);
        assert.equal(masterFrameSecret(frame, Secret.fromText(o.master_secret), object).text, o.container_secret, `${name}.${object}`);
        const opened = await openMasterObject(pool.get, ghid(o.ghid), Secret.fromText(o.master_secret), fingerprint, object);
        assert.deepEqual([opened.frame.ghid.text, opened.container.ghid.text], [o.frame, o.container]);
        assert.ok(opened.plaintext.equals(fromB64url(o.plaintext)), `${name}.${object}`);
      }
    }
  });

  test('masterFrameSecret: a first frame (v16 with one target, v15 with an empty history) is damage, not a throwaway secret', () => {
    const master = S(9);
    const firstV16 = v16Objects()
      .map((x) => x.obj)
      .filter((o): o is Gobd => o.type === 'GOBD' && o.targets.length === 1);
    assert.ok(firstV16.length > 0);
    for (const frame of firstV16) damaged(() => masterFrameSecret(frame, master, 'rolodex_pending'), 'rolodex_pending', /first frame/);
    const frames2016 = read2016(V2016_DIRS[0]!)
      .map((f) => parseObject(f.raw))
      .filter((o): o is Gobd => o.type === 'GOBD');
    const first2016 = frames2016.filter((f) => f.history.length === 0);
    assert.equal(first2016.length, 5, 'vectors README §1.2: 5 first frames per directory');
    for (const frame of first2016) damaged(() => masterFrameSecret(frame, master, 'identity'), 'identity', /first frame/);
    // A later v15 frame's salt is history[0] (the previous frame), never its single target.
    const later = frames2016.find((f) => f.history.length > 0)!;
    assert.equal(later.targets.length, 1);
    assert.ok(masterFrameSecret(later, master, 'x').equals(master.ratchet(later.dynamic, later.history[0]!)));
  });

  test('2016: the primary manifest opens with the history[0] rule and starts with the password validator', async () => {
    const a = ACCOUNTS_2016[0];
    const pool = poolOf(V2016_DIRS[0]!);
    const fingerprint = ghid(a.fingerprint);
    const { n, r, p } = KDF_2016;
    const out = scryptSync(Buffer.from('hello world', 'latin1'), fingerprint.bytes, 48, { N: n, r, p });
    const master = Secret.create(out.subarray(0, 32), out.subarray(32));
    const { frame, plaintext } = await openMasterObject(pool.get, ghid(a.userId), master, fingerprint, 'root');
    assert.equal(frame.version, 15);
    const validator = scryptSync(master.key, Buffer.alloc(32), 32, { N: n, r, p });
    assert.ok(plaintext.subarray(0, 32).equals(validator));
    // The v16 rule on the same frame (its single target) does not open it.
    const wrong = master.ratchet(frame.dynamic, frame.targets[0]!).apply((pool.get(frame.targets[0]!) as Geoc).payload);
    assert.ok(!wrong.subarray(0, 32).equals(validator));
  });

  test('fetchObject: nothing or DoesNotExist is a LegacyObjectMissing naming role and GHID; other failures pass through unchanged', async () => {
    const g = ghid(entry('alice').user_id);
    const missing = (err: unknown) => err instanceof LegacyObjectMissing && err.role === 'root node' && err.ghid.equals(g);
    await assert.rejects(fetchObject(() => null, g, 'root node'), missing);
    await assert.rejects(fetchObject(async () => null, g, 'root node'), missing);
    await assert.rejects(fetchObject(() => undefined as unknown as null, g, 'root node'), missing);
    await assert.rejects(fetchObject(() => Promise.reject(new DoesNotExist('gone')), g, 'root node'), missing);
    await assert.rejects(
      fetchObject(() => {
        throw new DoesNotExist('gone');
      }, g, 'root node'),
      missing,
    );
    const bug = new TypeError('a bug in the source');
    await assert.rejects(
      fetchObject(() => {
        throw bug;
      }, g, 'root node'),
      (err) => err === bug,
    );
    const obj = poolFor('alice').get(g)!;
    assert.equal(await fetchObject(async () => obj, g, 'root node'), obj);
  });

  test('fetchAccountFrame and fetchCurrentContainer refuse a non-frame, another object\'s frame, another binder, a non-container and another author', async () => {
    const e = entry('alice');
    const pool = poolFor('alice');
    const fingerprint = ghid(e.fingerprint);
    const tokens = e.system_objects.dispatch_tokens!;
    const startup = e.system_objects.dispatch_startup!;
    const dyn = ghid(tokens.ghid);
    const frame = await fetchAccountFrame(pool.get, dyn, fingerprint, 'dispatch_tokens');
    assert.equal(frame.ghid.text, tokens.frame);
    const swap = (from: string, to: GolixObject | null): ObjectSource => (g) => (g.text === from ? to : pool.get(g));
    // The dynamic GHID resolves to its container, to another object's frame, to nothing.
    await assert.rejects(fetchAccountFrame(swap(tokens.ghid, objectOf('alice', ghid(tokens.container))), dyn, fingerprint, 'dispatch_tokens'), (err) => err instanceof DamagedAccount && err.part === 'dispatch_tokens');
    await assert.rejects(fetchAccountFrame(swap(tokens.ghid, objectOf('alice', ghid(startup.ghid))), dyn, fingerprint, 'dispatch_tokens'), (err) => err instanceof DamagedAccount && /not a dynamic object/.test(err.message));
    await assert.rejects(fetchAccountFrame(swap(tokens.ghid, null), dyn, fingerprint, 'dispatch_tokens'), (err) => err instanceof LegacyObjectMissing && err.role === 'dispatch_tokens frame');
    // Bound by another account.
    await assert.rejects(fetchAccountFrame(pool.get, dyn, ghid(entry('bob').fingerprint), 'dispatch_tokens'), (err) => err instanceof DamagedAccount && /bound by/.test(err.message));
    // The target resolves to a GIDC, to a frame, to Bob's container, to nothing.
    const gidc = objectOf('alice', fingerprint);
    assert.equal(gidc.type, 'GIDC');
    for (const other of [gidc, frame]) {
      await assert.rejects(fetchCurrentContainer(swap(tokens.container, other), frame, 'dispatch_tokens'), (err) => err instanceof DamagedAccount && /not a container/.test(err.message));
    }
    const bobContainer = objectOf('bob', ghid(entry('bob').system_objects.dispatch_tokens!.container));
    await assert.rejects(fetchCurrentContainer(swap(tokens.container, bobContainer), frame, 'dispatch_tokens'), (err) => err instanceof DamagedAccount && /written by/.test(err.message));
    await assert.rejects(fetchCurrentContainer(swap(tokens.container, null), frame, 'dispatch_tokens'), (err) => err instanceof LegacyObjectMissing && err.role === 'dispatch_tokens container');
    // A wrong master secret is not detected by the source (CTR has no integrity): the pickle decoder refuses the garbage.
    const { plaintext } = await openMasterObject(pool.get, dyn, S(1), fingerprint, 'dispatch_tokens');
    damaged(() => unpickle('dispatch_tokens', plaintext), 'dispatch_tokens');
  });
});

// ---- helpers

/** The salt the manifest names for a system object's current frame. */
function masterSalt(o: object): Ghid {
  return ghid((o as { salt_previous_container: string }).salt_previous_container);
}

interface Tlv {
  tag: number;
  start: number;
  end: number;
}
function tlv(buf: Buffer, at: number): Tlv {
  const tag = buf[at]!;
  let length = buf[at + 1]!;
  let header = 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    length = buf.readUIntBE(at + 2, n);
    header += n;
  }
  return { tag, start: at + header, end: at + header + length };
}
function children(buf: Buffer, start: number, end: number): Tlv[] {
  const out: Tlv[] = [];
  for (let at = start; at < end; at = out.at(-1)!.end) out.push(tlv(buf, at));
  return out;
}
/** The INTEGERs of the RSAPrivateKey inside a PKCS#8 PrivateKeyInfo (DER). */
function rsaPrivateKeyIntegers(pkcs8: Buffer): Tlv[] {
  const info = tlv(pkcs8, 0);
  const octets = children(pkcs8, info.start, info.end)[2]!;
  const key = tlv(pkcs8, octets.start);
  return children(pkcs8, key.start, key.end).filter((t) => t.tag === 0x02);
}
