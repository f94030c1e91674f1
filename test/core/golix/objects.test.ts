// objects.ts beyond what identity/roundtrip/mutation/vectors tests cover: the packers against the
// parser field by field, the packers at their boundaries (counter, vector size, moduli), the v15
// and v16 dynamic-address rules built from scratch, the size cap at its boundary, the async
// parser on large objects, non-Buffer inputs, and signerOf/isSigned/addressOf over the vectors.
// Signatures are not checked by the parser, so crafted objects carry a dummy 512-byte signature.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_MAX_OBJECT_BYTES,
  Ghid,
  HypergolixError,
  MalformedGolixPrimitive,
  ValueError,
  addressOf,
  isSigned,
  packGdxx,
  packGeoc,
  packGobd,
  packGobs,
  parseObject,
  parseObjectAsync,
  signerOf,
  type Gdxx,
  type Geoc,
  type Gidc,
  type Gobd,
  type Gobs,
} from '../../../src/core/golix/index.js';
import { packGidc, withDigest } from '../../../src/core/golix/objects.js';
import { u16, u64 } from '../../../src/core/golix/bytes.js';
import { sha512 } from '../../../src/core/golix/header.js';
import { ghid as g, v16Identity, v16Objects } from '../../fixtures/vectors.js';

const all = v16Objects();
const alice = v16Identity(0);
const DUMMY_SIG = Buffer.alloc(512, 0xa5);

function finish(unsigned: Buffer): Buffer {
  return Buffer.concat([unsigned, sha512(unsigned), DUMMY_SIG]);
}

function digestGhid(fill: number): Ghid {
  return Ghid.fromDigest(Buffer.alloc(64, fill));
}

function throwsMalformed(fn: () => unknown, message?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof MalformedGolixPrimitive, `${message ?? ''}: expected MalformedGolixPrimitive, got ${String(err)}`);
    return true;
  });
}

function throwsValueError(fn: () => unknown, message?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ValueError, `${message ?? ''}: expected ValueError, got ${String(err)}`);
    return true;
  });
}

async function rejectsMalformed(p: Promise<unknown>, message?: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof MalformedGolixPrimitive, `${message ?? ''}: expected MalformedGolixPrimitive, got ${String(err)}`);
    return true;
  });
}

/** A v15 frame from scratch (golix §3.6), with correct dynamic (first-frame form) and frame hashes. */
function packGobd15(binder: Ghid, history: Ghid[], target: Ghid, dynamic?: Ghid): Buffer {
  const header = Buffer.from('GOBD\0\0\0\x0f\x01', 'latin1');
  const head = Buffer.concat([header, binder.bytes, u16(history.length * 65), ...history.map((h) => h.bytes), target.bytes, Buffer.of(1)]);
  const dyn = dynamic ?? Ghid.fromDigest(sha512(head));
  return finish(Buffer.concat([head, dyn.address, Buffer.of(1)]));
}

describe('packers and the parser agree field by field', () => {
  test('GOBS and GDXX: 716 bytes, fields, hashedLength and GHID', () => {
    const binder = alice.ghid;
    const target = digestGhid(0x11);
    for (const [magic, unsigned] of [['GOBS', packGobs(binder, target)], ['GDXX', packGdxx(binder, target)]] as const) {
      assert.equal(unsigned.length, 140);
      const raw = finish(unsigned);
      assert.equal(raw.length, 716);
      const obj = parseObject(raw);
      assert.equal(obj.type, magic);
      assert.equal(obj.version, magic === 'GOBS' ? 6 : 9);
      assert.equal(obj.cipher, 1);
      assert.equal(obj.hashedLength, 140);
      assert.ok(obj.ghid.equals(Ghid.fromDigest(sha512(unsigned))));
      assert.ok(signerOf(obj)!.equals(binder));
      assert.ok((obj as Gobs | Gdxx).target.equals(target));
      assert.deepEqual((obj as Gobs).signature, DUMMY_SIG);
      assert.deepEqual(obj.raw, raw);
    }
  });

  test('GEOC: 659 + N bytes for N = 1, 2, 255, 65536; payload and author exact', () => {
    for (const n of [1, 2, 255, 65536]) {
      const payload = Buffer.alloc(n);
      for (let i = 0; i < n; i++) payload[i] = (i * 7) & 0xff;
      const unsigned = packGeoc(alice.ghid, payload);
      assert.equal(unsigned.readBigUInt64BE(74), BigInt(n));
      const raw = finish(unsigned);
      assert.equal(raw.length, 659 + n);
      const geoc = parseObject(raw) as Geoc;
      assert.equal(geoc.type, 'GEOC');
      assert.deepEqual(geoc.payload, payload);
      assert.ok(geoc.author.equals(alice.ghid));
      assert.equal(geoc.hashedLength, 83 + n);
    }
  });

  test('packGeoc refuses an empty payload with ValueError', () => {
    throwsValueError(() => packGeoc(alice.ghid, Buffer.alloc(0)));
  });

  test('GOBD v16 first frame: counter 0, one target, dynamic = SHA-512 of the head, verified on parse', () => {
    const target = digestGhid(0x22);
    const { unsigned, dynamic } = packGobd(alice.ghid, 0n, [target]);
    assert.equal(unsigned.length, 150 + 65);
    // §4.3: the dynamic address hashes every byte up to and including the dynamic algo byte.
    assert.ok(dynamic.equals(Ghid.fromDigest(sha512(unsigned.subarray(0, 84 + 65 + 1)))));
    const raw = finish(unsigned);
    assert.equal(raw.length, 726 + 65);
    const f = parseObject(raw) as Gobd;
    assert.equal(f.version, 16);
    assert.equal(f.counter, 0n);
    assert.equal(f.targets.length, 1);
    assert.ok(f.targets[0]!.equals(target));
    assert.deepEqual(f.history, []);
    assert.ok(f.dynamic.equals(dynamic));
    assert.equal(f.dynamicVerified, true);
    assert.ok(addressOf(f).equals(dynamic));
    assert.ok(!f.ghid.equals(dynamic), 'the frame GHID differs from the dynamic GHID');
  });

  test('GOBD v16 later frame: targets newest first, dynamic copied, not verifiable by hashing', () => {
    const first = packGobd(alice.ghid, 0n, [digestGhid(1)]);
    const targets = [digestGhid(3), digestGhid(2), digestGhid(1)];
    const { unsigned, dynamic } = packGobd(alice.ghid, 2n, targets, first.dynamic);
    assert.ok(dynamic.equals(first.dynamic));
    const f = parseObject(finish(unsigned)) as Gobd;
    assert.equal(f.counter, 2n);
    assert.deepEqual(f.targets.map((t) => t.text), targets.map((t) => t.text));
    assert.equal(f.dynamicVerified, false);
    assert.ok(f.dynamic.equals(first.dynamic));
    assert.equal(f.raw.length, 726 + 3 * 65);
  });

  test('packGobd refuses zero targets, a first frame with two, a later frame with one (ValueError)', () => {
    const t = digestGhid(9);
    throwsValueError(() => packGobd(alice.ghid, 0n, []), 'no targets');
    throwsValueError(() => packGobd(alice.ghid, 0n, [t, t]), 'first frame, two targets');
    throwsValueError(() => packGobd(alice.ghid, 1n, [t], t), 'later frame, one target');
    throwsValueError(() => packGobd(alice.ghid, 1n, [], t), 'later frame, no targets');
  });

  test('packGobd at the vector limit: 1008 targets (LR 65520) packs and parses; 1009 is ValueError', () => {
    const dyn = digestGhid(0x77);
    const targets = Array.from({ length: 1008 }, (_, i) => Ghid.fromDigest(sha512(Buffer.of(i & 0xff, i >> 8))));
    const { unsigned } = packGobd(alice.ghid, 5n, targets, dyn);
    assert.equal(unsigned.readUInt16BE(82), 65520);
    const f = parseObject(finish(unsigned)) as Gobd;
    assert.equal(f.targets.length, 1008);
    assert.ok(f.targets[1007]!.equals(targets[1007]!));
    assert.equal(f.raw.length, 726 + 65520);
    throwsValueError(() => packGobd(alice.ghid, 5n, [...targets, dyn], dyn), '1009 targets');
  });

  test('packGobd counter at the u64 maximum packs and parses back exactly', () => {
    const max = (1n << 64n) - 1n;
    const { unsigned } = packGobd(alice.ghid, max, [digestGhid(1), digestGhid(2)], digestGhid(3));
    assert.equal((parseObject(finish(unsigned)) as Gobd).counter, max);
  });

  // Fixed: packGobd writes the counter with u64() (bytes.ts:94,
  // Buffer.writeBigUInt64BE) without a range check, so a counter of -1n or 2^64 escapes as a raw
  // RangeError [ERR_OUT_OF_RANGE] instead of a typed ValueError. It is reachable from hostile
  // input: a stranger's (validly signed) frame with counter 2^64-1 → frameOf → makeFrame/makeUpdate
  // computes counter + 1n = 2^64 and the update crashes with an untyped error.
  test('packGobd refuses a counter outside u64 with ValueError, never a raw RangeError', () => {
    for (const counter of [-1n, 1n << 64n, (1n << 64n) + 5n]) {
      throwsValueError(() => packGobd(alice.ghid, counter, [digestGhid(1), digestGhid(2)], digestGhid(3)), `counter ${counter}`);
      throwsValueError(() => packGobd(alice.ghid, counter, [digestGhid(1)]), `first frame, counter ${counter}`);
    }
  });

  test('packGidc reproduces the reference GIDCs byte for byte and refuses wrong lengths with ValueError', () => {
    for (const { obj, raw } of all) {
      if (obj.type !== 'GIDC') continue;
      assert.deepEqual(packGidc(obj.signingModulus, obj.encryptionModulus, obj.exchangePublic), raw);
    }
    const gidc = alice.publicIdentity.gidc;
    throwsValueError(() => packGidc(gidc.signingModulus.subarray(1), gidc.encryptionModulus, gidc.exchangePublic), 'short signing modulus');
    throwsValueError(() => packGidc(gidc.signingModulus, Buffer.concat([gidc.encryptionModulus, Buffer.of(1)]), gidc.exchangePublic), 'long encryption modulus');
    throwsValueError(() => packGidc(gidc.signingModulus, gidc.encryptionModulus, gidc.exchangePublic.subarray(0, 31)), 'short X25519 key');
    throwsValueError(() => packGidc(gidc.signingModulus, gidc.encryptionModulus, Buffer.alloc(33)), 'long X25519 key');
  });

  // Fixed: packGidc checks only the lengths of the moduli, so it
  // emits a GIDC with a zero top byte (a < 4096-bit modulus) or an even modulus, which the project's own
  // parser (objects.ts:198-203, golix §3.9) then refuses as malformed: the writer produces an identity
  // that no Hypergolix peer or server will accept, with no error at creation time.
  test('packGidc never emits a GIDC that parseObject refuses: a short or even modulus is ValueError', () => {
    const gidc = alice.publicIdentity.gidc;
    const short = Buffer.from(gidc.signingModulus);
    short[0] = 0;
    const even = Buffer.from(gidc.encryptionModulus);
    even[511] = even[511]! & 0xfe;
    for (const [name, s, e] of [['short signing modulus', short, gidc.encryptionModulus], ['even encryption modulus', gidc.signingModulus, even]] as const) {
      let raw: Buffer | undefined;
      try {
        raw = packGidc(s, e, gidc.exchangePublic);
      } catch (err) {
        assert.ok(err instanceof ValueError, `${name}: ${String(err)}`);
        continue;
      }
      assert.doesNotThrow(() => parseObject(raw!), `${name}: packGidc emitted a GIDC that parseObject refuses`);
    }
  });

  test('withDigest appends SHA-512 of exactly the bytes it was given', () => {
    const unsigned = packGobs(alice.ghid, digestGhid(4));
    const { body, digest } = withDigest(unsigned);
    assert.deepEqual(digest, sha512(unsigned));
    assert.deepEqual(body, Buffer.concat([unsigned, digest]));
  });
});

describe('dynamic addresses from scratch (golix §4.3, §4.4)', () => {
  test('v16: a one-target frame with a wrong dynamic address is refused even when the frame hash is right', () => {
    const { unsigned } = packGobd(alice.ghid, 0n, [digestGhid(5)]);
    const bad = Buffer.from(unsigned);
    bad[84 + 65 + 1] = bad[84 + 65 + 1]! ^ 1; // first byte of the dynamic digest
    throwsMalformed(() => parseObject(finish(bad)), 'tampered dynamic');
  });

  test('v16: the parser does not look at the counter (a one-target frame with counter 3 and matching dynamic parses)', () => {
    const { unsigned, dynamic } = packGobd(alice.ghid, 3n, [digestGhid(6)]);
    const f = parseObject(finish(unsigned)) as Gobd;
    assert.equal(f.counter, 3n);
    assert.equal(f.dynamicVerified, true);
    assert.ok(f.dynamic.equals(dynamic));
  });

  test('v16: a multi-target frame with any dynamic address parses, but is marked unverified', () => {
    const { unsigned } = packGobd(alice.ghid, 1n, [digestGhid(7), digestGhid(8)], digestGhid(0xee));
    const f = parseObject(finish(unsigned)) as Gobd;
    assert.equal(f.dynamicVerified, false);
    assert.ok(f.dynamic.equals(digestGhid(0xee)));
  });

  test('v15 built from scratch: empty history checks the dynamic; 783 + 65·H bytes; counter null', () => {
    const target = digestGhid(0x31);
    const first = packGobd15(alice.ghid, [], target);
    assert.equal(first.length, 783);
    const f0 = parseObject(first) as Gobd;
    assert.equal(f0.version, 15);
    assert.equal(f0.counter, null);
    assert.equal(f0.dynamicVerified, true);
    assert.deepEqual(f0.targets.map((t) => t.text), [target.text]);
    assert.deepEqual(f0.history, []);
    const history = [f0.ghid, digestGhid(0x32)];
    const later = packGobd15(alice.ghid, history, digestGhid(0x33), f0.dynamic);
    assert.equal(later.length, 783 + 130);
    const f1 = parseObject(later) as Gobd;
    assert.equal(f1.dynamicVerified, false);
    assert.ok(f1.dynamic.equals(f0.dynamic));
    assert.deepEqual(f1.history.map((h) => h.text), history.map((h) => h.text));
    assert.ok(f1.targets[0]!.equals(digestGhid(0x33)));
    // Empty history with someone else's dynamic address: refused.
    throwsMalformed(() => parseObject(packGobd15(alice.ghid, [], target, digestGhid(0x99))), 'v15 wrong dynamic');
  });

  test('a dynamic algo byte other than 1 is refused in v16 and v15', () => {
    const { unsigned } = packGobd(alice.ghid, 1n, [digestGhid(7), digestGhid(8)], digestGhid(0xee));
    for (const algo of [0, 2, 0xff]) {
      const b = Buffer.from(unsigned);
      b[84 + 130] = algo;
      throwsMalformed(() => parseObject(finish(b)), `v16 dynamic algo ${algo}`);
      const v15 = packGobd15(alice.ghid, [digestGhid(1)], digestGhid(2), digestGhid(3));
      const u15 = Buffer.from(v15.subarray(0, v15.length - 576));
      u15[76 + 65 + 65] = algo;
      throwsMalformed(() => parseObject(finish(u15)), `v15 dynamic algo ${algo}`);
    }
  });
});

describe('input forms and the size cap', () => {
  test('a plain Uint8Array and a view at an offset in a larger ArrayBuffer parse like the Buffer', () => {
    for (const { raw } of all) {
      const plain = Uint8Array.from(raw);
      const big = new Uint8Array(raw.length + 100);
      big.set(raw, 37);
      const view = big.subarray(37, 37 + raw.length);
      for (const input of [plain, view]) {
        const obj = parseObject(input);
        assert.ok(obj.ghid.equals(parseObject(raw).ghid));
        assert.equal(obj.raw.length, raw.length);
        assert.deepEqual(Buffer.from(obj.raw), raw);
      }
    }
  });

  test('maxBytes: an object of exactly maxBytes parses, one byte less is refused before parsing', () => {
    const raw = all.find((o) => o.obj.type === 'GOBS')!.raw;
    assert.ok(parseObject(raw, { maxBytes: raw.length }));
    throwsMalformed(() => parseObject(raw, { maxBytes: raw.length - 1 }), 'over the cap');
    throwsMalformed(() => parseObject(raw, { maxBytes: 0 }), 'cap 0');
  });

  test('the default 10 MiB cap: a GEOC of exactly 10 MiB parses, one byte more is refused', async () => {
    assert.equal(DEFAULT_MAX_OBJECT_BYTES, 10 * 1024 * 1024);
    const n = DEFAULT_MAX_OBJECT_BYTES - 659;
    const raw = finish(packGeoc(alice.ghid, Buffer.alloc(n, 0x42)));
    assert.equal(raw.length, DEFAULT_MAX_OBJECT_BYTES);
    assert.equal((parseObject(raw) as Geoc).payload.length, n);
    assert.equal(((await parseObjectAsync(raw)) as Geoc).payload.length, n);
    const over = finish(packGeoc(alice.ghid, Buffer.alloc(n + 1, 0x42)));
    throwsMalformed(() => parseObject(over), 'default cap + 1');
    await rejectsMalformed(parseObjectAsync(over), 'async default cap + 1');
  });

  test('parseObjectAsync: large GEOCs (≥ 256 KiB) are hash-checked, truncations and trailing bytes refused', async () => {
    for (const n of [256 * 1024 - 659 - 1, 256 * 1024 - 659, 300_000]) {
      const raw = finish(packGeoc(alice.ghid, Buffer.alloc(n, 0x5c)));
      const a = await parseObjectAsync(raw);
      const s = parseObject(raw);
      assert.ok(a.ghid.equals(s.ghid), `n = ${n}`);
      // One payload byte changed: the stored digest no longer matches.
      const bad = Buffer.from(raw);
      bad[82 + 1000] = bad[82 + 1000]! ^ 0x80;
      await rejectsMalformed(parseObjectAsync(bad), `payload flip, n = ${n}`);
      // The stored digest changed instead.
      const badDigest = Buffer.from(raw);
      badDigest[83 + n + 10] = badDigest[83 + n + 10]! ^ 1;
      await rejectsMalformed(parseObjectAsync(badDigest), `digest flip, n = ${n}`);
      await rejectsMalformed(parseObjectAsync(Buffer.concat([raw, Buffer.of(0)])), `trailing byte, n = ${n}`);
      await rejectsMalformed(parseObjectAsync(raw.subarray(0, raw.length - 1)), `truncated, n = ${n}`);
      await rejectsMalformed(parseObjectAsync(raw, { maxBytes: raw.length - 1 }), `async cap, n = ${n}`);
    }
  });

  test('parseObjectAsync agrees with parseObject on every reference object', async () => {
    for (const { raw, obj } of all) {
      const a = await parseObjectAsync(raw);
      assert.equal(a.type, obj.type);
      assert.ok(a.ghid.equals(obj.ghid));
    }
  });

  // Fixed: parseObject converts its input *outside* the try block,
  // so anything that is not a Uint8Array (null from a missing field, a string or ArrayBuffer from a
  // JSON/IPC decoder) escapes as a raw TypeError ("The first argument must be of type string or an
  // instance of Buffer…"), contradicting its own contract at objects.ts:79-81 ("Any defect is a
  // MalformedGolixPrimitive; nothing else is ever thrown").
  test('non-byte input is refused with MalformedGolixPrimitive, never a raw TypeError', () => {
    const hostile: unknown[] = [null, undefined, 'GOBS', 42, {}, new ArrayBuffer(716)];
    for (const input of hostile) {
      assert.throws(
        () => parseObject(input as Uint8Array),
        (err: unknown) => {
          assert.ok(err instanceof HypergolixError, `${Object.prototype.toString.call(input)}: got ${String(err)}`);
          return true;
        },
      );
    }
  });
});

describe('signerOf, isSigned and addressOf over the reference objects', () => {
  test('every reference object names the manifest signer and its address', () => {
    let counted = 0;
    for (const { entry, obj } of all) {
      const signer = signerOf(obj);
      if (obj.type === 'GIDC' || obj.type === 'GARQ') {
        assert.equal(signer, null);
        assert.equal(isSigned(obj), false);
      } else {
        assert.equal(isSigned(obj), true);
        const named = entry.author ?? entry.binder ?? entry.debinder;
        assert.ok(named, `${entry.file}: no signer in the manifest`);
        assert.equal(signer!.text, named);
        counted++;
      }
      if (obj.type === 'GOBD') {
        assert.ok(addressOf(obj).equals(obj.dynamic));
        if (entry.ghid_dynamic) assert.equal(addressOf(obj).text, entry.ghid_dynamic);
      } else {
        assert.ok(addressOf(obj).equals(obj.ghid));
      }
      assert.equal(obj.ghid.text, entry.ghid);
    }
    assert.equal(counted, 32);
  });

  test('GARQ recipient and GIDC fields from the reference parse to their manifest values', () => {
    for (const { entry, obj } of all) {
      if (obj.type === 'GARQ') {
        assert.equal(obj.recipient.text, entry.recipient);
        assert.equal(obj.payload.length, 512);
        assert.equal(obj.mac.length, 64);
        assert.equal(obj.hashedLength, 587);
        assert.equal(obj.raw.length, 715);
      }
      if (obj.type === 'GIDC') {
        const gidc = obj as Gidc;
        assert.equal(gidc.hashedLength, 1066);
        assert.equal(gidc.raw.length, 1130);
        assert.equal(gidc.signingModulus.length, 512);
        assert.equal(gidc.exchangePublic.length, 32);
      }
    }
    assert.ok(g(alice.ghid.text).equals(alice.ghid));
  });
});

test('u64 length + zero-filled bytes: a GEOC declaring N where the object holds exactly N more bytes than the tail is refused', () => {
  // The declared length must leave exactly 65 + 512 bytes; one byte either way is malformed.
  const raw = finish(packGeoc(alice.ghid, Buffer.alloc(100, 1)));
  for (const declared of [99n, 101n, 100n + 577n, 100n + 576n]) {
    const b = Buffer.from(raw);
    b.writeBigUInt64BE(declared, 74);
    throwsMalformed(() => parseObject(b), `declared ${declared}`);
  }
  const ok = Buffer.from(raw);
  assert.equal((parseObject(ok) as Geoc).payload.length, 100);
  assert.deepEqual(u64(100n), raw.subarray(74, 82));
});
