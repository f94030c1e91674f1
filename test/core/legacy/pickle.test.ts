import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ghid, MalformedGolixPrimitive, fromB64url } from '../../../src/core/golix/index.js';
import { PickleRefused, type PickleFault } from '../../../src/core/legacy/errors.js';
import { decodePickle, type PickleOptions } from '../../../src/core/legacy/pickle.js';
import { PyDict, PyList, PySet, PyTuple, ShareLog } from '../../../src/core/legacy/pickle-values.js';
import { referenceAccounts } from '../../fixtures/legacy.js';
import { tagManifest, tagValue } from '../../fixtures/pickle-json.js';

const realPickles = referenceAccounts().names.flatMap((name) =>
  Object.entries(referenceAccounts().accounts[name].system_objects).map(([object, entry]) => ({
    label: `${name}.${object}`,
    data: fromB64url(entry.plaintext),
    decoded: entry.decoded,
  })),
);

/** Assembles a pickle from opcode bytes, strings (latin1) and buffers. */
function pk(...parts: (number | string | Buffer)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.of(p) : typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));
}
const P4 = pk(0x80, 4);
const str = (s: string) => pk(0x8c, s.length, s);
const stackGlobal = (module: string, name: string) => pk(str(module), str(name), 0x93);

function refused(data: Buffer, fault: PickleFault, expect: { opcode?: string; className?: string; offset?: number } = {}, options?: PickleOptions): PickleRefused {
  let caught: unknown;
  try {
    decodePickle(data, options);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof PickleRefused, `expected PickleRefused, got ${String(caught)}`);
  assert.ok(caught instanceof MalformedGolixPrimitive);
  assert.equal(caught.fault, fault, caught.message);
  if (expect.opcode !== undefined) assert.equal(caught.opcode, expect.opcode);
  if (expect.className !== undefined) assert.equal(caught.className, expect.className);
  if (expect.offset !== undefined) assert.equal(caught.offset, expect.offset);
  return caught;
}

test('every system-object pickle of both reference accounts decodes to its manifest `decoded` value', () => {
  assert.equal(realPickles.length, 22);
  for (const { label, data, decoded } of realPickles) {
    assert.deepEqual(tagValue(decodePickle(data)), tagManifest(decoded as never), label);
  }
});

test('protocol 2 and 3 pickles: GLOBAL, BINPUT, BINUNICODE, APPENDS, TUPLE, LONG1 and the memo after BUILD', () => {
  // Made by CPython 3.11's pickle module (protocol 2): {'n': [1, True, False, None, 300, -5, 70000, 2**40, -2**40], 's': 'hé', 't': (1, 2, 3, 4)}
  const p2 = Buffer.from(
    '80027d71002858010000006e71015d7102284b0188894e4d2c014afbffffff4a701101008a060000000000018a060000000000ff655801000000737103580300000068c3a971045801000000747105284b014b024b034b04747106752e',
    'hex',
  );
  assert.deepEqual(tagValue(decodePickle(p2)), {
    dict: [
      ['n', { list: [1, true, false, null, 300, -5, 70000, 2 ** 40, -(2 ** 40)] }],
      ['s', 'hé'],
      ['t', { tuple: [1, 2, 3, 4] }],
    ],
  });
  // Protocol 3 of {'log': _ShareLog(a, b), 'again': a}, with a and b stand-in Ghid instances.
  const p3 = Buffer.from(
    '80037d71002858030000006c6f677101636879706572676f6c69782e64697370617463680a5f53686172654c6f670a710263676f6c69782e7574696c730a476869640a7103298171044e7d71052858050000005f616c676f71064b0158080000005f6164647265737371074340000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f7108758671096268032981710a4e7d710b2868064b0168074340404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f710c7586710d6286710e81710f5805000000616761696e71106804752e',
    'hex',
  );
  const value = decodePickle(p3) as PyDict;
  const a = Ghid.fromBytes(Buffer.from([1, ...Array.from({ length: 64 }, (_, i) => i)]));
  const log = value.get('log');
  assert.ok(log instanceof ShareLog && log.ghid.equals(a) && log.origin.bytes[1] === 64);
  assert.ok((value.get('again') as Ghid).equals(a), 'BINGET of an instance after BUILD gives its value');
});

test('code-running and non-data opcodes are refused by name and offset', () => {
  refused(pk(P4, 0x4e, 0x29, 0x52, 0x2e), 'opcode', { opcode: 'REDUCE', offset: 4 });
  refused(pk(0x80, 2, 0x28, 'i', 'os\nsystem\n', 0x2e), 'opcode', { opcode: 'INST', offset: 3 });
  refused(pk(P4, 0x28, 0x4e, 0x6f, 0x2e), 'opcode', { opcode: 'OBJ', offset: 4 });
  refused(pk(P4, 0x82, 1, 0x2e), 'opcode', { opcode: 'EXT1', offset: 2 });
  refused(pk(P4, 0x50, '1\n', 0x2e), 'opcode', { opcode: 'PERSID' });
  refused(pk(P4, 0x4e, 0x51, 0x2e), 'opcode', { opcode: 'BINPERSID' });
  refused(pk(P4, 0x47, Buffer.alloc(8), 0x2e), 'opcode', { opcode: 'BINFLOAT' });
  refused(pk(P4, 0x92, 0x2e), 'opcode', { opcode: 'NEWOBJ_EX' });
  refused(pk(P4, 0xff), 'opcode', { opcode: '0xff', offset: 2 });
});

test('classes outside the allow-list are refused before anything could use them, with no side effect', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-pickle-'));
  const marker = join(dir, 'executed');
  try {
    // What a hostile account object would carry: os.system("touch <marker>").
    refused(pk(0x80, 2, 'c', 'os\nsystem\n', 0x58, Buffer.from([marker.length + 6, 0, 0, 0]), `touch ${marker}`, 0x85, 0x52, 0x2e), 'global', {
      opcode: 'GLOBAL',
      className: 'os.system',
      offset: 2,
    });
    refused(pk(P4, stackGlobal('builtins', 'eval'), 0x2e), 'global', { opcode: 'STACK_GLOBAL', className: 'builtins.eval' });
    refused(pk(P4, stackGlobal('hypergolix.utils', 'SetMapX'), 0x2e), 'global', { className: 'hypergolix.utils.SetMapX' });
    // Protocol-3 sets are builtins.set + REDUCE: the global is the first thing refused.
    refused(pk(0x80, 3, 'c', 'builtins\nset\n', 0x2e), 'global', { className: 'builtins.set' });
    assert.equal(existsSync(marker), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('allowed classes built from the wrong shape are refused', () => {
  const ghid = stackGlobal('golix.utils', 'Ghid');
  refused(pk(P4, ghid, str('x'), 0x85, 0x81, 0x2e), 'shape', { opcode: 'NEWOBJ', className: 'golix.utils.Ghid' });
  const slots = (algo: number, address: Buffer) => pk(0x4e, 0x7d, 0x28, str('_algo'), 0x4b, algo, str('_address'), 0x43, address.length, address, 0x75, 0x86);
  refused(pk(P4, ghid, 0x29, 0x81, slots(0, Buffer.alloc(64)), 0x62, 0x2e), 'shape', { opcode: 'BUILD', className: 'golix.utils.Ghid' });
  refused(pk(P4, ghid, 0x29, 0x81, slots(1, Buffer.alloc(63)), 0x62, 0x2e), 'shape', { opcode: 'BUILD' });
  const ok = decodePickle(pk(P4, ghid, 0x29, 0x81, slots(1, Buffer.alloc(64, 7)), 0x62, 0x2e));
  assert.ok(ok instanceof Ghid && ok.bytes[64] === 7);
  // An instance used before BUILD gives it its state, and BUILD on anything else.
  refused(pk(P4, ghid, 0x29, 0x81, 0x85, 0x2e), 'shape', { opcode: 'TUPLE1' });
  refused(pk(P4, 0x7d, 0x7d, 0x62, 0x2e), 'shape', { opcode: 'BUILD' });
  // A class object as data, an app token of the wrong length, a SetMap without its mapping.
  refused(pk(P4, ghid, 0x85, 0x2e), 'shape', { opcode: 'TUPLE1' });
  refused(pk(P4, stackGlobal('hypergolix.utils', 'AppToken'), 0x43, 4, 'abcd', 0x85, 0x81, 0x2e), 'shape', { className: 'hypergolix.utils.AppToken' });
  refused(pk(P4, stackGlobal('hypergolix.utils', 'SetMap'), 0x29, 0x81, 0x7d, 0x62, 0x2e), 'shape', { className: 'hypergolix.utils.SetMap' });
});

test('dict keys and set items follow Python: unhashable keys and repeated keys are refused', () => {
  refused(pk(P4, 0x7d, 0x5d, 0x4e, 0x73, 0x2e), 'shape', { opcode: 'SETITEM' });
  refused(pk(P4, 0x8f, 0x28, 0x4b, 1, 0x88, 0x90, 0x2e), 'shape', { opcode: 'ADDITEMS' }); // True == 1
  const set = decodePickle(pk(P4, 0x8f, 0x28, 0x4b, 1, 0x4b, 2, str('1'), 0x43, 1, '1', 0x90, 0x2e)) as PySet;
  assert.equal(set.items.length, 4);
});

test('structure errors: no PROTO, a later PROTO, protocol 5, underflow, missing memo, trailing bytes, open marks', () => {
  refused(pk(0x4e, 0x2e), 'structure', { offset: 0 });
  refused(pk(0x80, 5, 0x4e, 0x2e), 'structure', { opcode: 'PROTO' });
  refused(pk(P4, 0x80, 4, 0x4e, 0x2e), 'structure', { opcode: 'PROTO', offset: 2 });
  refused(pk(P4, 0x61, 0x2e), 'structure', { opcode: 'APPEND' });
  refused(pk(P4, 0x68, 3, 0x2e), 'structure', { opcode: 'BINGET' });
  refused(pk(P4, 0x4e, 0x2e, 0x4e), 'structure', { offset: 3 });
  refused(pk(P4, 0x28, 0x4e, 0x2e), 'structure', { opcode: 'STOP' });
  refused(pk(P4, 0x4e, 0x4e, 0x2e), 'structure', { opcode: 'STOP' });
  refused(pk(P4, 0x75, 0x2e), 'structure', { opcode: 'SETITEMS' });
  // A list that contains itself: changing a container after it was used is refused.
  refused(pk(P4, 0x5d, 0x94, 0x68, 0, 0x61, 0x2e), 'structure', { opcode: 'APPEND' });
});

test('truncations and huge length fields are refused as truncated, never as a RangeError', () => {
  const data = realPickles.find((p) => p.label === 'bob.dispatch_incoming')!.data;
  for (let n = 0; n < data.length; n++) assert.throws(() => decodePickle(data.subarray(0, n)), PickleRefused);
  refused(pk(P4, 0x42, Buffer.from('ffffffff', 'hex'), 0x2e), 'truncated', { opcode: 'BINBYTES' });
  refused(pk(P4, 0x58, Buffer.from('ffffff7f', 'hex'), 'x', 0x2e), 'truncated', { opcode: 'BINUNICODE' });
  refused(pk(P4, 0x95, Buffer.from('ffffffffffffffff', 'hex'), 0x4e, 0x2e), 'truncated', { opcode: 'FRAME' });
  refused(pk(P4, 'c', 'no newline'), 'truncated', { opcode: 'GLOBAL' });
  refused(pk(P4, 0x8a, 9, Buffer.alloc(8), 1, 0x2e), 'limit', { opcode: 'LONG1' });
});

test('bounds: input size, memo, stack, marks, nesting and container size', () => {
  const small = (l: Partial<NonNullable<PickleOptions['limits']>>): PickleOptions => ({ limits: l });
  refused(pk(P4, 0x4e, 0x2e), 'limit', { offset: 0 }, small({ maxBytes: 3 }));
  const memo = pk(P4, 0x4e, ...Array<number>(20).fill(0x94), 0x2e);
  refused(memo, 'limit', { opcode: 'MEMOIZE' }, small({ maxMemo: 10 }));
  assert.equal(decodePickle(memo), null);
  refused(pk(P4, 0x28, ...Array<number>(100).fill(0x4e), 0x74, 0x2e), 'limit', { opcode: 'NONE' }, small({ maxStack: 50 }));
  refused(pk(P4, ...Array<number>(65).fill(0x28)), 'limit', { opcode: 'MARK' });
  refused(pk(P4, 0x29, ...Array<number>(40).fill(0x85), 0x2e), 'limit', { opcode: 'TUPLE1' });
  refused(pk(P4, ...Array<number>(40).fill(0x5d), ...Array<number>(39).fill(0x61), 0x2e), 'limit', { opcode: 'APPEND' });
  refused(pk(P4, 0x5d, 0x28, ...Array<number>(11).fill(0x4e), 0x65, 0x2e), 'limit', { opcode: 'APPENDS' }, small({ maxContainer: 10 }));
});

test('memo bombs cost their size, not their expansion', () => {
  // t0 = (); t(n+1) = (tn, tn): 28 levels expand to 2^28 leaves. The last is then also a set
  // item, a dict key, and a list item a hundred thousand times.
  const level = (i: number) => pk(0x68, i, 0x86, 0x94);
  const levels = [pk(0x29, 0x94), ...Array.from({ length: 28 }, (_, i) => level(i))];
  const batch = pk(0x28, ...Array<number>(1000).fill(0).flatMap(() => [0x68, 28]), 0x65);
  const bomb = pk(P4, 0x28, ...levels, 0x8f, 0x28, 0x68, 28, 0x90, 0x7d, 0x68, 28, 0x4e, 0x73, 0x5d, ...Array<Buffer>(100).fill(batch), 0x74, 0x2e);
  const started = performance.now();
  const [top, set, dict, list] = (decodePickle(bomb) as PyTuple).items as [PyTuple, PySet, PyDict, PyList];
  assert.ok(performance.now() - started < 2000, 'decoding is linear');
  assert.equal(set.items.length, 1);
  assert.equal(dict.entries.length, 1);
  assert.equal(list.items.length, 100_000);
  assert.ok(set.items[0] === top && dict.entries[0]![0] === top && list.items.every((x) => x === top), 'shared by reference, never copied');
  // Four levels more and the tuples are nested deeper than the default bound of 32.
  refused(pk(P4, ...levels, level(28), level(29), level(30), level(31), 0x2e), 'limit', { opcode: 'TUPLE2' });
});

/** A small seeded generator (mulberry32), so a failing mutation can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('a seeded mutation sweep over the real pickles never throws anything but PickleRefused', () => {
  const rand = prng(20161202);
  const pick = (n: number) => Math.floor(rand() * n);
  let decoded = 0;
  let refusedCount = 0;
  for (const { data } of realPickles) {
    for (let round = 0; round < 200; round++) {
      const m = Buffer.from(data);
      const edits = 1 + pick(3);
      let mutated: Buffer = m;
      for (let e = 0; e < edits; e++) {
        const at = pick(mutated.length);
        switch (pick(4)) {
          case 0:
            mutated[at] = pick(256);
            break;
          case 1:
            mutated[at] = mutated[at]! ^ (1 << pick(8));
            break;
          case 2:
            mutated = Buffer.concat([mutated.subarray(0, at), mutated.subarray(at + 1 + pick(8))]);
            break;
          default:
            mutated = Buffer.concat([mutated.subarray(0, at), Buffer.of(pick(256)), mutated.subarray(at)]);
        }
      }
      try {
        decodePickle(mutated);
        decoded++;
      } catch (err) {
        assert.ok(err instanceof PickleRefused, `round ${round}: ${(err as Error).stack}`);
        refusedCount++;
      }
    }
  }
  assert.equal(decoded + refusedCount, realPickles.length * 200);
  assert.ok(refusedCount > 0);
});
