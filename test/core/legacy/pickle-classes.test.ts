// The allow-list of reference classes (pickle-classes.ts), through the restricted decoder that is
// its only user (pickle.ts). pickle.test.ts covers the opcode machine; this file covers each of
// the eight allowed class names: the exact shape the reference writes is accepted and becomes a
// typed value; every other argument list or state, every near-miss class name, every misuse of a
// class reference or a half-built instance, and hashing that Python would refuse, is a
// PickleRefused (a MalformedGolixPrimitive) naming the class. Nothing is ever imported or run, and
// nothing recurses without a bound.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ghid, MalformedGolixPrimitive, Secret, fromB64url } from '../../../src/core/golix/index.js';
import { PickleRefused, type PickleFault } from '../../../src/core/legacy/errors.js';
import { decodePickle, type PickleOptions } from '../../../src/core/legacy/pickle.js';
import { REFERENCE_CLASSES } from '../../../src/core/legacy/pickle-classes.js';
import { PyDict, PySet, PyTuple, SetMap, ShareLog, SharePair, type PyValue } from '../../../src/core/legacy/pickle-values.js';
import { referenceAccounts } from '../../fixtures/legacy.js';

// ---- a tiny pickle assembler -----------------------------------------------------------------

type Part = number | string | Buffer;
function pk(...parts: Part[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.of(p) : typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));
}
const OP = {
  PROTO4: pk(0x80, 4),
  STOP: 0x2e,
  MARK: 0x28,
  NONE: 0x4e,
  TRUE: 0x88,
  EMPTY_DICT: 0x7d,
  EMPTY_LIST: 0x5d,
  EMPTY_SET: 0x8f,
  EMPTY_TUPLE: 0x29,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  TUPLE: 0x74,
  SETITEM: 0x73,
  SETITEMS: 0x75,
  ADDITEMS: 0x90,
  APPEND: 0x61,
  NEWOBJ: 0x81,
  BUILD: 0x62,
  MEMOIZE: 0x94,
  BINGET: 0x68,
  STACK_GLOBAL: 0x93,
} as const;

const str = (s: string): Buffer => {
  const b = Buffer.from(s, 'utf8');
  return pk(0x8c, b.length, b);
};
const bytes = (b: Buffer): Buffer => (b.length < 256 ? pk(0x43, b.length, b) : pk(0x42, Buffer.from(new Uint32Array([b.length]).buffer), b));
const int = (n: number): Buffer => pk(0x4b, n);
const cls = (module: string, name: string): Buffer => pk(str(module), str(name), OP.STACK_GLOBAL);
const globalOp = (module: string, name: string): Buffer => pk('c', `${module}\n${name}\n`);
/** A dict from key/value opcode runs. */
const dict = (...items: [Buffer, Buffer][]): Buffer => pk(OP.EMPTY_DICT, ...(items.length ? [OP.MARK, ...items.flat(), OP.SETITEMS] : []));
const set = (...items: Buffer[]): Buffer => pk(OP.EMPTY_SET, ...(items.length ? [OP.MARK, ...items, OP.ADDITEMS] : []));
const tuple = (...items: Buffer[]): Buffer => pk(OP.MARK, ...items, OP.TUPLE);
const slots = (...items: [string, Buffer][]): Buffer => pk(OP.NONE, dict(...items.map(([k, v]) => [str(k), v] as [Buffer, Buffer])), OP.TUPLE2);
const whole = (body: Buffer): Buffer => pk(OP.PROTO4, body, OP.STOP);

const ADDRESS = Buffer.from(Array.from({ length: 64 }, (_, i) => i + 1));
const ADDRESS2 = Buffer.alloc(64, 0x77);
const KEY = Buffer.alloc(32, 0x4b);
const SEED = Buffer.alloc(16, 0x53);
const TOKEN = Buffer.from('0123456789abcdef');

function ghidState(algo: Buffer = int(1), address: Buffer = bytes(ADDRESS)): Buffer {
  return slots(['_algo', algo], ['_address', address]);
}
function ghidP(state: Buffer = ghidState(), module = 'golix.utils'): Buffer {
  return pk(cls(module, 'Ghid'), OP.EMPTY_TUPLE, OP.NEWOBJ, state, OP.BUILD);
}
function secretState(o: { key?: Buffer; seed?: Buffer; version?: Buffer; cipher?: Buffer } = {}): Buffer {
  return slots(['_key', o.key ?? bytes(KEY)], ['_seed', o.seed ?? bytes(SEED)], ['_version', o.version ?? int(2)], ['_cipher', o.cipher ?? int(1)]);
}
function secretP(state: Buffer = secretState(), module = 'golix.crypto_utils'): Buffer {
  return pk(cls(module, 'Secret'), OP.EMPTY_TUPLE, OP.NEWOBJ, state, OP.BUILD);
}
function tokenP(args: Buffer = pk(bytes(TOKEN), OP.TUPLE1)): Buffer {
  return pk(cls('hypergolix.utils', 'AppToken'), args, OP.NEWOBJ);
}
function setMapP(state: Buffer = dict([str('_mapping'), dict()])): Buffer {
  return pk(cls('hypergolix.utils', 'SetMap'), OP.EMPTY_TUPLE, OP.NEWOBJ, state, OP.BUILD);
}
function pairP(module: string, name: string, args: Buffer = pk(ghidP(), ghidP(ghidState(int(1), bytes(ADDRESS2))), OP.TUPLE2)): Buffer {
  return pk(cls(module, name), args, OP.NEWOBJ);
}

function refused(data: Buffer, fault: PickleFault, expect: { className?: string | null; opcode?: string } = {}, options?: PickleOptions): PickleRefused {
  let caught: unknown;
  try {
    decodePickle(data, options);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof PickleRefused, `expected PickleRefused, got ${caught === undefined ? 'a decoded value' : String(caught)}`);
  assert.ok(caught instanceof MalformedGolixPrimitive);
  assert.equal(caught.fault, fault, caught.message);
  if (expect.className !== undefined) assert.equal(caught.className, expect.className, caught.message);
  if (expect.opcode !== undefined) assert.equal(caught.opcode, expect.opcode, caught.message);
  return caught;
}

const ghidValue = Ghid.fromBytes(Buffer.concat([Buffer.of(1), ADDRESS]));
const ghidValue2 = Ghid.fromBytes(Buffer.concat([Buffer.of(1), ADDRESS2]));

// ---- the reference's own pickles -----------------------------------------------------------

describe('the reference accounts', () => {
  const pickles = referenceAccounts().names.flatMap((name) =>
    Object.entries(referenceAccounts().accounts[name].system_objects).map(([object, e]) => ({
      label: `${name}.${object}`,
      object,
      value: decodePickle(fromB64url(e.plaintext)),
    })),
  );

  test('each system object decodes to the typed values its kind holds (hypergolix-reference §2.4, vectors README §6)', () => {
    assert.equal(pickles.length, 22);
    for (const { label, object, value } of pickles) {
      switch (object) {
        case 'privateer_persistent':
        case 'privateer_quarantine':
          assert.ok(value instanceof PyDict, label);
          for (const [k, v] of value.entries) {
            assert.ok(k instanceof Ghid && v instanceof Secret, label);
            assert.equal(v.cipher, 1);
            assert.equal(v.key.length, 32);
            assert.equal(v.seed.length, 16);
          }
          break;
        case 'dispatch_tokens':
          assert.ok(value instanceof PySet, label);
          for (const t of value.items) assert.ok(Buffer.isBuffer(t) && t.length === 16, label);
          break;
        case 'dispatch_startup':
          assert.ok(value instanceof PyDict, label);
          for (const [k, v] of value.entries) assert.ok(Buffer.isBuffer(k) && k.length === 16 && v instanceof Ghid, label);
          break;
        case 'dispatch_private':
          assert.ok(value instanceof PyDict, label);
          for (const [k, v] of value.entries) assert.ok(k instanceof Ghid && Buffer.isBuffer(v) && v.length === 16, label);
          break;
        case 'dispatch_incoming':
          assert.ok(value instanceof PySet, label);
          for (const s of value.items) assert.ok(s instanceof ShareLog, label);
          break;
        case 'rolodex_outstanding':
        case 'dispatch_orphan_acks':
        case 'dispatch_orphan_naks':
          assert.ok(value instanceof SetMap, label);
          break;
        case 'rolodex_pending':
          assert.ok(value instanceof PyDict, label);
          break;
        case 'identity':
          assert.ok(value instanceof PyDict && value.entries.every(([k]) => typeof k === 'string'), label);
          break;
        default:
          assert.fail(`unexpected object ${label}`);
      }
    }
  });

  test('the values do not alias the pickle bytes: wiping the input afterwards changes nothing', () => {
    const e = referenceAccounts().accounts.bob.system_objects.privateer_persistent!;
    const data = fromB64url(e.plaintext);
    const value = decodePickle(data) as PyDict;
    const before = value.entries.map(([k, v]) => [(k as Ghid).text, (v as Secret).text]);
    data.fill(0);
    assert.deepEqual(
      value.entries.map(([k, v]) => [(k as Ghid).text, (v as Secret).text]),
      before,
    );
  });

  test('the allow-list is exactly the eight class names of HEAD and 2016', () => {
    assert.deepEqual([...REFERENCE_CLASSES.keys()].sort(), [
      'golix.crypto_utils.Secret',
      'golix.utils.Ghid',
      'golix.utils.Secret',
      'hypergolix.dispatch._ShareLog',
      'hypergolix.ipc._ShareLog',
      'hypergolix.rolodex._SharePair',
      'hypergolix.utils.AppToken',
      'hypergolix.utils.SetMap',
    ]);
  });
});

// ---- each class: accepted shape ------------------------------------------------------------

describe('each allowed class in the exact shape the reference writes', () => {
  test('Ghid: slots (None, {_algo: 1, _address: 64 bytes}) → a Ghid, also with the slots in the other order', () => {
    const g = decodePickle(whole(ghidP()));
    assert.ok(g instanceof Ghid && g.equals(ghidValue));
    const swapped = decodePickle(whole(ghidP(slots(['_address', bytes(ADDRESS)], ['_algo', int(1)]))));
    assert.ok(swapped instanceof Ghid && swapped.equals(ghidValue));
    // The same through protocol-2/3 GLOBAL instead of STACK_GLOBAL.
    const viaGlobal = decodePickle(pk(0x80, 2, globalOp('golix.utils', 'Ghid'), OP.EMPTY_TUPLE, OP.NEWOBJ, ghidState(), OP.BUILD, OP.STOP));
    assert.ok(viaGlobal instanceof Ghid && viaGlobal.equals(ghidValue));
  });

  test('Secret under both module names (HEAD golix.crypto_utils, 2016 golix.utils) → a Secret', () => {
    for (const module of ['golix.crypto_utils', 'golix.utils']) {
      const s = decodePickle(whole(secretP(secretState(), module)));
      assert.ok(s instanceof Secret && s.equals(Secret.create(KEY, SEED)), module);
    }
  });

  test('AppToken: NEWOBJ(cls, (16 bytes,)) → the 16 bytes', () => {
    const t = decodePickle(whole(tokenP()));
    assert.ok(Buffer.isBuffer(t));
    assert.deepEqual(t, TOKEN);
  });

  test('SetMap: {_mapping: {key: set}} → a SetMap with its entries in order; empty, too', () => {
    const empty = decodePickle(whole(setMapP()));
    assert.ok(empty instanceof SetMap && empty.entries.length === 0);
    const full = decodePickle(whole(setMapP(dict([str('_mapping'), dict([ghidP(), set(ghidP(ghidState(int(1), bytes(ADDRESS2))))], [str('k'), set()])]))));
    assert.ok(full instanceof SetMap);
    assert.equal(full.entries.length, 2);
    assert.ok((full.entries[0]![0] as Ghid).equals(ghidValue));
    assert.ok((full.entries[0]![1].items[0] as Ghid).equals(ghidValue2));
    assert.equal(full.entries[1]![0], 'k');
  });

  test('_ShareLog (dispatch and 2016 ipc) and _SharePair: NEWOBJ(cls, (Ghid, Ghid))', () => {
    for (const module of ['hypergolix.dispatch', 'hypergolix.ipc']) {
      const log = decodePickle(whole(pairP(module, '_ShareLog')));
      assert.ok(log instanceof ShareLog && log.ghid.equals(ghidValue) && log.origin.equals(ghidValue2), module);
    }
    const pair = decodePickle(whole(pairP('hypergolix.rolodex', '_SharePair')));
    assert.ok(pair instanceof SharePair && pair.ghid.equals(ghidValue) && pair.recipient.equals(ghidValue2));
  });
});

// ---- each class: refused shapes ------------------------------------------------------------

describe('allowed classes built from anything else are refused as shape, naming the class', () => {
  test('Ghid: wrong state containers, missing/extra/renamed slots, wrong algo or address', () => {
    const G = 'golix.utils.Ghid';
    const bad: [string, Buffer][] = [
      ['state None', pk(OP.NONE)],
      ['state a dict (no slots tuple)', dict([str('_algo'), int(1)], [str('_address'), bytes(ADDRESS)])],
      ['state a 1-tuple', pk(OP.NONE, OP.TUPLE1)],
      ['state a 3-tuple', pk(OP.NONE, dict([str('_algo'), int(1)], [str('_address'), bytes(ADDRESS)]), OP.NONE, OP.TUPLE3)],
      ['dict state {} instead of None', pk(OP.EMPTY_DICT, dict([str('_algo'), int(1)], [str('_address'), bytes(ADDRESS)]), OP.TUPLE2)],
      ['slots a list', pk(OP.NONE, OP.EMPTY_LIST, OP.TUPLE2)],
      ['slots missing _address', slots(['_algo', int(1)])],
      ['slots with an extra', slots(['_algo', int(1)], ['_address', bytes(ADDRESS)], ['_extra', pk(OP.NONE)])],
      ['slots renamed', slots(['algo', int(1)], ['_address', bytes(ADDRESS)])],
      ['slot names as bytes', pk(OP.NONE, dict([bytes(Buffer.from('_algo')), int(1)], [bytes(Buffer.from('_address')), bytes(ADDRESS)]), OP.TUPLE2)],
      ['algo 0', ghidState(int(0))],
      ['algo 2', ghidState(int(2))],
      ['algo True', ghidState(pk(OP.TRUE))],
      ['algo as bytes', ghidState(bytes(Buffer.of(1)))],
      ['algo as str', ghidState(str('1'))],
      ['address 63 bytes', ghidState(int(1), bytes(ADDRESS.subarray(1)))],
      ['address 65 bytes', ghidState(int(1), bytes(Buffer.concat([ADDRESS, Buffer.of(0)])))],
      ['address 0 bytes', ghidState(int(1), bytes(Buffer.alloc(0)))],
      ['address as str', ghidState(int(1), str('x'.repeat(64)))],
      ['address None', ghidState(int(1), pk(OP.NONE))],
    ];
    for (const [name, state] of bad) {
      const err = refused(whole(ghidP(state)), 'shape', { className: G, opcode: 'BUILD' });
      assert.match(err.message, /golix\.utils\.Ghid/, name);
    }
    // Arguments to a state class, and NEWOBJ without a tuple.
    refused(whole(pk(cls('golix.utils', 'Ghid'), bytes(ADDRESS), OP.TUPLE1, OP.NEWOBJ, ghidState(), OP.BUILD)), 'shape', { className: G, opcode: 'NEWOBJ' });
    refused(whole(pk(cls('golix.utils', 'Ghid'), OP.EMPTY_LIST, OP.NEWOBJ)), 'shape', { className: G, opcode: 'NEWOBJ' });
    refused(whole(pk(cls('golix.utils', 'Ghid'), OP.NONE, OP.NEWOBJ)), 'shape', { className: G, opcode: 'NEWOBJ' });
  });

  test('Secret: version, cipher, key and seed sizes and types other than (2, 1, 32, 16 bytes)', () => {
    const bad: [string, Buffer][] = [
      ['version 1', secretState({ version: int(1) })],
      ['version 3', secretState({ version: int(3) })],
      ['version "2"', secretState({ version: str('2') })],
      ['cipher 0', secretState({ cipher: int(0) })],
      ['cipher 2', secretState({ cipher: int(2) })],
      ['cipher True', secretState({ cipher: pk(OP.TRUE) })],
      ['key 31', secretState({ key: bytes(KEY.subarray(1)) })],
      ['key 33', secretState({ key: bytes(Buffer.concat([KEY, Buffer.of(0)])) })],
      ['key 64 (suite 2)', secretState({ key: bytes(Buffer.alloc(64)) })],
      ['key as str', secretState({ key: str('k'.repeat(32)) })],
      ['seed None (suite 0)', secretState({ seed: pk(OP.NONE) })],
      ['seed 15', secretState({ seed: bytes(SEED.subarray(1)) })],
      ['seed 17', secretState({ seed: bytes(Buffer.concat([SEED, Buffer.of(0)])) })],
      ['missing _cipher', slots(['_key', bytes(KEY)], ['_seed', bytes(SEED)], ['_version', int(2)])],
      ['extra slot', slots(['_key', bytes(KEY)], ['_seed', bytes(SEED)], ['_version', int(2)], ['_cipher', int(1)], ['_other', int(0)])],
      ['a dict state', dict([str('_key'), bytes(KEY)], [str('_seed'), bytes(SEED)], [str('_version'), int(2)], [str('_cipher'), int(1)])],
    ];
    for (const module of ['golix.crypto_utils', 'golix.utils']) {
      for (const [name, state] of bad) {
        const err = refused(whole(secretP(state, module)), 'shape', { className: `${module}.Secret`, opcode: 'BUILD' });
        assert.ok(err.message.length > 0, name);
      }
    }
  });

  test('AppToken: 15 or 17 bytes, a str, no or two arguments, a Ghid, and a BUILD after it', () => {
    const A = 'hypergolix.utils.AppToken';
    for (const args of [
      pk(bytes(TOKEN.subarray(1)), OP.TUPLE1),
      pk(bytes(Buffer.concat([TOKEN, Buffer.of(0)])), OP.TUPLE1),
      pk(str('0123456789abcdef'), OP.TUPLE1),
      pk(OP.EMPTY_TUPLE),
      pk(bytes(TOKEN), bytes(TOKEN), OP.TUPLE2),
      pk(ghidP(), OP.TUPLE1),
    ]) {
      refused(whole(tokenP(args)), 'shape', { className: A, opcode: 'NEWOBJ' });
    }
    // An AppToken is finished at NEWOBJ: a BUILD on it is refused.
    refused(whole(pk(tokenP(), OP.EMPTY_DICT, OP.BUILD)), 'shape', { opcode: 'BUILD' });
  });

  test('SetMap: state not {_mapping: dict}, values not sets, unhashable keys', () => {
    const S = 'hypergolix.utils.SetMap';
    for (const state of [
      pk(OP.NONE),
      pk(OP.EMPTY_DICT),
      dict([str('_mapping'), pk(OP.EMPTY_LIST)]),
      dict([str('_mapping'), set()]),
      dict([str('mapping'), dict()]),
      dict([str('_mapping'), dict()], [str('_lock'), pk(OP.NONE)]),
      pk(OP.NONE, dict([str('_mapping'), dict()]), OP.TUPLE2),
      dict([str('_mapping'), dict([str('k'), pk(OP.EMPTY_LIST)])]),
      dict([str('_mapping'), dict([str('k'), pk(OP.EMPTY_DICT)])]),
      dict([str('_mapping'), dict([str('k'), pk(OP.NONE)])]),
    ]) {
      refused(whole(setMapP(state)), 'shape', { className: S, opcode: 'BUILD' });
    }
    // A list or a set as a mapping key is refused where it is added (Python: unhashable).
    refused(whole(setMapP(dict([str('_mapping'), dict([set(), set()])]))), 'shape', { opcode: 'SETITEMS' });
  });

  test('_ShareLog/_SharePair: arity other than 2, or members that are not Ghids', () => {
    for (const [module, name] of [
      ['hypergolix.dispatch', '_ShareLog'],
      ['hypergolix.ipc', '_ShareLog'],
      ['hypergolix.rolodex', '_SharePair'],
    ] as const) {
      for (const args of [
        pk(OP.EMPTY_TUPLE),
        pk(ghidP(), OP.TUPLE1),
        pk(ghidP(), ghidP(), ghidP(), OP.TUPLE3),
        pk(ghidP(), bytes(Buffer.concat([Buffer.of(1), ADDRESS])), OP.TUPLE2),
        pk(str('a'), ghidP(), OP.TUPLE2),
        pk(ghidP(), OP.NONE, OP.TUPLE2),
        pk(tuple(ghidP(), ghidP()), OP.TUPLE1),
      ]) {
        refused(whole(pairP(module, name, args)), 'shape', { className: `${module}.${name}`, opcode: 'NEWOBJ' });
      }
      // A namedtuple has no state: a BUILD after it is refused.
      refused(whole(pk(pairP(module, name), OP.EMPTY_DICT, OP.BUILD)), 'shape', { opcode: 'BUILD' });
    }
  });
});

// ---- names ---------------------------------------------------------------------------------

describe('class names outside the allow-list', () => {
  test('near misses of every allowed name, and the usual gadgets, are refused as global before any use', () => {
    const names: [string, string][] = [
      ['golix.utils', 'ghid'],
      ['Golix.utils', 'Ghid'],
      ['golix.utils', 'Ghid '],
      ['golix.utils ', 'Ghid'],
      ['golix.crypto_utils', 'Ghid'],
      ['golix.utils', 'Secret2'],
      ['golix', 'Secret'],
      ['hypergolix.utils', 'apptoken'],
      ['hypergolix.utils', 'SetMap.__init__'],
      ['hypergolix.dispatch', '_SharePair'],
      ['hypergolix.rolodex', '_ShareLog'],
      ['hypergolix.ipc', '_SharePair'],
      ['hypergolix.utils', '_ShareLog'],
      ['builtins', 'set'],
      ['builtins', 'frozenset'],
      ['builtins', 'bytearray'],
      ['builtins', 'getattr'],
      ['builtins', 'eval'],
      ['builtins', 'exec'],
      ['builtins', '__import__'],
      ['__builtin__', 'set'],
      ['_codecs', 'encode'],
      ['copyreg', '_reconstructor'],
      ['copy_reg', '_reconstructor'],
      ['copyreg', '__newobj__'],
      ['collections', 'OrderedDict'],
      ['os', 'system'],
      ['posix', 'system'],
      ['subprocess', 'Popen'],
      ['pickle', 'loads'],
      ['golix.utils.Ghid', ''],
      ['', 'golix.utils.Ghid'],
    ];
    for (const [module, name] of names) {
      const full = `${module}.${name}`;
      // The class reference is the last thing the pickle does: refusal cannot depend on any later use.
      refused(pk(OP.PROTO4, cls(module, name)), 'global', { className: full, opcode: 'STACK_GLOBAL' });
      if (!module.includes('\n') && !name.includes('\n')) {
        refused(pk(0x80, 2, globalOp(module, name)), 'global', { className: full, opcode: 'GLOBAL' });
      }
    }
  });

  test('STACK_GLOBAL needs two strings: bytes, numbers, None or class references are refused as shape', () => {
    for (const [a, b] of [
      [bytes(Buffer.from('golix.utils')), str('Ghid')],
      [str('golix.utils'), bytes(Buffer.from('Ghid'))],
      [int(1), str('Ghid')],
      [str('golix.utils'), pk(OP.NONE)],
      [cls('golix.utils', 'Ghid'), str('Ghid')],
    ] as [Buffer, Buffer][]) {
      refused(whole(pk(a, b, OP.STACK_GLOBAL)), 'shape', { opcode: 'STACK_GLOBAL' });
    }
  });

  test('a class name is matched whole: STACK_GLOBAL("golix", "utils.Ghid") names the same class as Python resolves it', () => {
    // Python 4-protocol find_class resolves a dotted qualname by getattr, so this is the same class:
    // accepting it (as the same Ghid) or refusing it is fine, anything else is not.
    let v: PyValue | undefined;
    try {
      v = decodePickle(whole(pk(cls('golix', 'utils.Ghid'), OP.EMPTY_TUPLE, OP.NEWOBJ, ghidState(), OP.BUILD)));
    } catch (err) {
      assert.ok(err instanceof PickleRefused, String(err));
    }
    if (v !== undefined) assert.ok(v instanceof Ghid && v.equals(ghidValue));
  });
});

// ---- misuse of class references and instances -------------------------------------------------

describe('class references and half-built instances are never data', () => {
  const G = () => cls('golix.utils', 'Ghid');

  test('a class reference as a dict key or value, a set item, a list item, a tuple item, NEWOBJ args or BUILD state', () => {
    refused(whole(pk(OP.EMPTY_DICT, G(), OP.NONE, OP.SETITEM)), 'shape', { opcode: 'SETITEM' });
    refused(whole(pk(OP.EMPTY_DICT, OP.NONE, G(), OP.SETITEM)), 'shape', { opcode: 'SETITEM' });
    refused(whole(pk(OP.EMPTY_SET, OP.MARK, G(), OP.ADDITEMS)), 'shape', { opcode: 'ADDITEMS' });
    refused(whole(pk(OP.EMPTY_LIST, G(), OP.APPEND)), 'shape', { opcode: 'APPEND' });
    refused(whole(pk(OP.MARK, G(), OP.TUPLE)), 'shape', { opcode: 'TUPLE' });
    refused(whole(pk(G(), G(), OP.NEWOBJ)), 'shape', { opcode: 'NEWOBJ' });
    refused(whole(pk(G(), OP.EMPTY_TUPLE, OP.NEWOBJ, G(), OP.BUILD)), 'shape', { opcode: 'BUILD' });
    // The final value itself.
    refused(whole(G()), 'shape', { opcode: 'STOP' });
  });

  test('NEWOBJ of something that is not a class (a str, a tuple, a built Ghid) is refused', () => {
    refused(whole(pk(str('golix.utils.Ghid'), OP.EMPTY_TUPLE, OP.NEWOBJ)), 'shape', { opcode: 'NEWOBJ' });
    refused(whole(pk(OP.EMPTY_TUPLE, OP.EMPTY_TUPLE, OP.NEWOBJ)), 'shape', { opcode: 'NEWOBJ' });
    refused(whole(pk(ghidP(), OP.EMPTY_TUPLE, OP.NEWOBJ)), 'shape', { opcode: 'NEWOBJ' });
  });

  test('an instance before its BUILD: as a key, an item, NEWOBJ args, the result, or its own state', () => {
    const unbuilt = pk(G(), OP.EMPTY_TUPLE, OP.NEWOBJ);
    refused(whole(unbuilt), 'shape', { opcode: 'STOP' });
    refused(whole(pk(OP.EMPTY_DICT, unbuilt, OP.NONE, OP.SETITEM)), 'shape', { opcode: 'SETITEM' });
    refused(whole(pk(OP.EMPTY_SET, OP.MARK, unbuilt, OP.ADDITEMS)), 'shape', { opcode: 'ADDITEMS' });
    refused(whole(pk(unbuilt, OP.TUPLE1)), 'shape', { opcode: 'TUPLE1' });
    refused(whole(pk(cls('hypergolix.dispatch', '_ShareLog'), unbuilt, unbuilt, OP.TUPLE2, OP.NEWOBJ)), 'shape');
    // Its own (memoized) self as state: the instance cannot contain itself.
    refused(whole(pk(unbuilt, OP.MEMOIZE, OP.NONE, OP.MARK, str('_algo'), int(1), str('_address'), OP.BINGET, 0, OP.TUPLE, OP.TUPLE2, OP.BUILD)), 'shape');
  });

  test('BUILD twice on one instance is refused, through the memo too', () => {
    // Built once, then fetched from the memo (which now gives the Ghid value) and built again.
    refused(whole(pk(G(), OP.EMPTY_TUPLE, OP.NEWOBJ, OP.MEMOIZE, ghidState(), OP.BUILD, OP.BINGET, 0, ghidState(), OP.BUILD)), 'shape', { opcode: 'BUILD' });
    // Two copies of the same instance on the stack: building the second finishes the first too.
    const v = decodePickle(whole(pk(G(), OP.EMPTY_TUPLE, OP.NEWOBJ, OP.MEMOIZE, OP.BINGET, 0, ghidState(), OP.BUILD, OP.TUPLE2)));
    assert.ok(v instanceof PyTuple && v.items.length === 2);
    assert.ok((v.items[0] as Ghid).equals(ghidValue) && (v.items[1] as Ghid).equals(ghidValue));
  });

  test('one class reference from the memo builds many instances; a memoized instance read after BUILD is its value', () => {
    const body = pk(
      G(),
      OP.MEMOIZE, // memo 0 = the class
      OP.EMPTY_TUPLE,
      OP.NEWOBJ,
      OP.MEMOIZE, // memo 1 = the instance (unbuilt when stored)
      ghidState(),
      OP.BUILD,
      OP.BINGET,
      0,
      OP.EMPTY_TUPLE,
      OP.NEWOBJ,
      ghidState(int(1), bytes(ADDRESS2)),
      OP.BUILD,
      OP.BINGET,
      1,
      OP.TUPLE3,
    );
    const v = decodePickle(whole(body)) as PyTuple;
    assert.ok((v.items[0] as Ghid).equals(ghidValue));
    assert.ok((v.items[1] as Ghid).equals(ghidValue2));
    assert.ok((v.items[2] as Ghid).equals(ghidValue));
  });
});

// ---- hashing (dict keys and set items) ---------------------------------------------------------

describe('class values as dict keys and set items follow Python', () => {
  test('Ghid, AppToken and _ShareLog are hashable; Secret and SetMap are not', () => {
    assert.ok(decodePickle(whole(dict([ghidP(), int(1)]))) instanceof PyDict);
    assert.ok(decodePickle(whole(set(tokenP()))) instanceof PySet);
    assert.ok(decodePickle(whole(set(pairP('hypergolix.dispatch', '_ShareLog')))) instanceof PySet);
    refused(whole(set(secretP())), 'shape', { opcode: 'ADDITEMS' });
    refused(whole(dict([secretP(), int(1)])), 'shape', { opcode: 'SETITEMS' });
    refused(whole(set(setMapP())), 'shape', { opcode: 'ADDITEMS' });
    refused(whole(dict([setMapP(), int(1)])), 'shape', { opcode: 'SETITEMS' });
    // Inside a tuple key, too.
    refused(whole(set(tuple(ghidP(), secretP()))), 'shape', { opcode: 'ADDITEMS' });
  });

  test('equal values are one key: two equal Ghids, an AppToken and its bytes, a _ShareLog and its tuple, _ShareLog and _SharePair', () => {
    refused(whole(set(ghidP(), ghidP())), 'shape', { opcode: 'ADDITEMS' });
    refused(whole(dict([ghidP(), int(1)], [ghidP(), int(2)])), 'shape', { opcode: 'SETITEMS' });
    refused(whole(set(tokenP(), bytes(TOKEN))), 'shape', { opcode: 'ADDITEMS' });
    const a = ghidP();
    const b = ghidP(ghidState(int(1), bytes(ADDRESS2)));
    refused(whole(set(pairP('hypergolix.dispatch', '_ShareLog'), tuple(a, b))), 'shape', { opcode: 'ADDITEMS' });
    refused(whole(set(pairP('hypergolix.dispatch', '_ShareLog'), pairP('hypergolix.rolodex', '_SharePair'))), 'shape', { opcode: 'ADDITEMS' });
    // Different values are different keys: a Ghid and its 65 raw bytes, the two Ghids, the pair reversed.
    const ok = decodePickle(whole(set(a, bytes(Buffer.concat([Buffer.of(1), ADDRESS])), b, pairP('hypergolix.dispatch', '_ShareLog'), tuple(b, a)))) as PySet;
    assert.equal(ok.items.length, 5);
  });
});

// ---- bounds through classes ------------------------------------------------------------------

describe('bounds hold through class values', () => {
  test('a SetMap counts toward nesting depth and container size', () => {
    // SetMap → set → tuple → tuple → Ghid: refused at maxDepth 3, decoded at the default.
    const deep = setMapP(dict([str('_mapping'), dict([str('k'), set(tuple(tuple(ghidP())))])]));
    assert.ok(decodePickle(whole(pk(OP.EMPTY_LIST, deep, OP.APPEND))));
    refused(whole(pk(OP.EMPTY_LIST, deep, OP.APPEND)), 'limit', {}, { limits: { maxDepth: 3 } });
    const wide = setMapP(dict([str('_mapping'), dict(...Array.from({ length: 12 }, (_, i) => [str(`k${i}`), set()] as [Buffer, Buffer]))]));
    refused(whole(wide), 'limit', {}, { limits: { maxContainer: 10 } });
  });

  test('thousands of class instances decode in linear time', () => {
    const n = 20_000;
    const items: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const address = Buffer.alloc(64);
      address.writeUInt32BE(i, 60);
      // The first instance memoizes the class reference (memo 0); the others fetch it.
      const klass = i === 0 ? pk(cls('golix.utils', 'Ghid'), OP.MEMOIZE) : pk(OP.BINGET, 0);
      items.push(pk(klass, OP.EMPTY_TUPLE, OP.NEWOBJ, ghidState(int(1), bytes(address)), OP.BUILD));
    }
    const data = whole(pk(OP.EMPTY_SET, OP.MARK, ...items, OP.ADDITEMS));
    const started = performance.now();
    const v = decodePickle(data) as PySet;
    assert.ok(performance.now() - started < 5000);
    assert.equal(v.items.length, n);
    assert.ok(v.items.every((g) => g instanceof Ghid));
  });

  // Fixed (KeyRegistry walks with its own stack; low: only with a caller-raised maxDepth):
  // KeyRegistry.id hashes a tuple by recursing into its items (tuple → id → describe → tuple …),
  // several stack frames per nesting level. The nesting bound is a caller option
  // (PickleLimits.maxDepth, default 32); raised to a few thousand, a hostile pickle of ~2 000 nested
  // 1-tuples (2 KB) used as a set item or dict key overflows the JS stack and escapes as a raw
  // RangeError ("Maximum call stack size exceeded") instead of a PickleRefused; unpickle()
  // (account-objects.ts) passes such an error on unwrapped instead of as DamagedAccount.
  test('deeply nested tuples as a set item never overflow the stack, whatever the depth limit', () => {
    const depth = 5_000;
    const data = whole(pk(OP.EMPTY_SET, OP.MARK, OP.EMPTY_TUPLE, Buffer.alloc(depth, OP.TUPLE1), OP.ADDITEMS));
    const limits = { maxDepth: 10_000 };
    let caught: unknown;
    let value: PyValue | undefined;
    try {
      value = decodePickle(data, { limits });
    } catch (err) {
      caught = err;
    }
    if (caught !== undefined) assert.ok(caught instanceof PickleRefused, `escaped untyped: ${String(caught)}`);
    else assert.ok(value instanceof PySet);
  });
});
