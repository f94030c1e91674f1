// Hostile-input tests of the Golix primitives below the object parser's happy path: the bounded
// reader, the common header, GHIDs, secrets, identities (public and private, with their
// serialization) and the GARQ inner container. Every refusal must be one of the module's typed
// errors (HypergolixError subclasses), never a TypeError/RangeError/raw OpenSSL error, and nothing
// damaged may be accepted.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createPrivateKey, createPublicKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import {
  Ghid,
  GHID_LENGTH,
  HypergolixError,
  InvalidIdentity,
  MalformedGolixPrimitive,
  PrivateIdentity,
  PublicIdentity,
  Secret,
  SECRET_RECORD_LENGTH,
  ValueError,
  VerificationFailure,
  b64url,
  buildRequest,
  decodeInner,
  encodeInner,
  fromB64url,
  openRequest,
  parseObject,
  signUnsigned,
  verifyObject,
  type Garq,
  type Geoc,
  type GolixObject,
  type Unsigned,
} from '../../../src/core/golix/index.js';
import { Reader, u16, u32, u64 } from '../../../src/core/golix/bytes.js';
import { HEADER_LENGTH, MAGICS, READ_VERSIONS, readHeader, sha512, writeHeader, type Magic } from '../../../src/core/golix/header.js';
import { withDigest } from '../../../src/core/golix/objects.js';
import { V2016_DIRS, manifest, manifestSecret, read2016, v16Identity, v16Objects } from '../../fixtures/vectors.js';
import { pick, rng } from '../../fixtures/mutate.js';

/** XORs one byte in place (strict index access). */
function flip(buf: Uint8Array, at: number, mask: number): void {
  buf[at] = buf[at]! ^ mask;
}

// ---- shared material -----------------------------------------------------------------------

const all = v16Objects();
const alice = v16Identity(0);
const bob = v16Identity(1);
const eve = v16Identity(2);

/** The smallest reference object of each type (GOBD v16), plus one 2016 GOBD v15 frame. */
const sample = new Map<string, Buffer>();
for (const { obj, raw } of all) {
  const prev = sample.get(obj.type);
  if (!prev || raw.length < prev.length) sample.set(obj.type, raw);
}
const gobd15 = read2016(V2016_DIRS[0]!)
  .map((f) => f.raw)
  .find((raw) => parseObject(raw).type === 'GOBD' && parseObject(raw).version === 15)!;
const gidcRaw = alice.publicIdentity.raw;

const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

function isTyped(err: unknown): boolean {
  return err instanceof HypergolixError;
}

function throwsMalformed(fn: () => unknown, message?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof MalformedGolixPrimitive, `${message ?? ''}: expected MalformedGolixPrimitive, got ${String(err)}`);
    return true;
  });
}

function throwsTyped(fn: () => unknown, cls: new (...a: never[]) => HypergolixError, message?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof cls, `${message ?? ''}: expected ${cls.name}, got ${String(err)}`);
    return true;
  });
}

async function rejectsTyped(p: Promise<unknown>, cls: new (...a: never[]) => HypergolixError, message?: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof cls, `${message ?? ''}: expected ${cls.name}, got ${String(err)}`);
    return true;
  });
}

/** A copy of a GIDC with one modulus and/or the exchange key replaced, hash recomputed. */
function regidc(opts: { signing?: Buffer; encryption?: Buffer; exchange?: Buffer }): Buffer {
  const b = Buffer.from(gidcRaw);
  opts.signing?.copy(b, 9);
  opts.encryption?.copy(b, 521);
  opts.exchange?.copy(b, 1033);
  sha512(b.subarray(0, 1066)).copy(b, 1066);
  return b;
}

/** Rewrites the file hash of a hash-terminated prefix (`prefix` ends with the algo byte). */
function rehash(prefix: Buffer, tail: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([prefix, sha512(prefix), tail]);
}

/** The HKDF/HMAC of golix §6.2, written out independently of requests.ts. */
function macFor(shared: Buffer, a: Ghid, b: Ghid, digest: Buffer): Buffer {
  const salt = Buffer.alloc(64);
  for (let i = 0; i < 64; i++) salt[i] = a.address[i]! ^ b.address[i]!;
  const key = Buffer.from(hkdfSync('sha512', shared, salt, Buffer.alloc(0), 64));
  return createHmac('sha512', key).update(digest).digest();
}

/**
 * A GARQ to `recipient` carrying an arbitrary OAEP plaintext, MACed by `macSigner` under the
 * salt of (`claimedAuthor`, recipient): lets a test put any inner container behind a valid MAC.
 */
function craftGarq(inner: Buffer, recipient: PrivateIdentity, macSigner: PrivateIdentity, claimedAuthor: Ghid): Garq {
  const payload = recipient.publicIdentity.encrypt(inner);
  const { body, digest } = withDigest(Buffer.concat([writeHeader('GARQ'), recipient.ghid.bytes, payload, Buffer.of(1)]));
  const mac = macFor(macSigner.exchange(recipient.publicIdentity), claimedAuthor, recipient.ghid, digest);
  return parseObject(Buffer.concat([body, mac])) as Garq;
}

/** Minimal DER walker: the INTEGER fields of an RSA PKCS#8 key (version, n, e, d, p, q, dp, dq, qinv). */
function rsaIntegers(der: Buffer): { start: number; len: number }[] {
  const tlv = (off: number) => {
    let len = der[off + 1]!;
    let hl = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + der[off + 2 + i]!;
      hl = 2 + n;
    }
    return { tag: der[off]!, start: off + hl, len, end: off + hl + len };
  };
  const outer = tlv(0);
  const version = tlv(outer.start);
  const algorithm = tlv(version.end);
  const octets = tlv(algorithm.end);
  assert.equal(octets.tag, 0x04);
  const seq = tlv(octets.start);
  const out: { start: number; len: number }[] = [];
  for (let p = seq.start; p < seq.end; ) {
    const t = tlv(p);
    assert.equal(t.tag, 0x02);
    out.push({ start: t.start, len: t.len });
    p = t.end;
  }
  assert.equal(out.length, 9);
  return out;
}

/** The same RSA private key relabelled as an RSASSA-PSS key (PKCS#8 OID 1.2.840.113549.1.1.10). */
function asRsaPss(der: Buffer): Buffer {
  const rsaAlg = Buffer.from('300d06092a864886f70d0101010500', 'hex');
  const pssAlg = Buffer.from('300b06092a864886f70d01010a', 'hex');
  const i = der.indexOf(rsaAlg);
  assert.ok(i > 0 && der[0] === 0x30 && der[1] === 0x82);
  const body = Buffer.concat([der.subarray(4, i), pssAlg, der.subarray(i + rsaAlg.length)]);
  return Buffer.concat([Buffer.from([0x30, 0x82, body.length >> 8, body.length & 0xff]), body]);
}

// ---- bytes.ts ------------------------------------------------------------------------------

describe('Reader (bytes.ts)', () => {
  test('every read past the end is MalformedGolixPrimitive, never RangeError', () => {
    for (let len = 0; len < 9; len++) {
      const buf = Buffer.alloc(len, 0xab);
      const reads: [string, number, (r: Reader) => unknown][] = [
        ['u8', 1, (r) => r.u8()],
        ['u16', 2, (r) => r.u16()],
        ['u32', 4, (r) => r.u32()],
        ['u64', 8, (r) => r.u64()],
        ['take(3)', 3, (r) => r.take(3)],
        ['ghid', GHID_LENGTH, (r) => r.ghid()],
      ];
      for (const [name, need, read] of reads) {
        const r = new Reader(buf, 'probe');
        if (len >= need && name !== 'ghid') {
          read(r);
          assert.equal(r.offset, need, `${name} on ${len} bytes`);
        } else {
          throwsMalformed(() => read(r), `${name} on ${len} bytes`);
          assert.equal(r.offset, 0, `${name}: a failed read must not move the reader`);
        }
      }
    }
  });

  test('reads are big-endian and exact; negative take and trailing bytes are refused', () => {
    const r = new Reader(Buffer.from('0102030405060708090a0b0c0d0e0f1011', 'hex'), 'probe');
    assert.equal(r.u8(), 0x01);
    assert.equal(r.u16(), 0x0203);
    assert.equal(r.u32(), 0x04050607);
    assert.equal(r.u64(), 0x08090a0b0c0d0e0fn);
    assert.equal(r.remaining, 2);
    throwsMalformed(() => r.take(-1));
    throwsMalformed(() => r.end());
    assert.deepEqual(r.take(2), Buffer.from('1011', 'hex'));
    r.end();
    assert.equal(new Reader(Buffer.alloc(8, 0xff), 'x').u64(), 0xffffffffffffffffn);
  });

  test('ghidList needs a multiple of 65 and algo-1 entries, and does not read past the end', () => {
    const g = alice.ghid.bytes;
    const two = Buffer.concat([g, g]);
    assert.equal(new Reader(two, 'x').ghidList(130).length, 2);
    assert.equal(new Reader(two, 'x').ghidList(0).length, 0);
    for (const bad of [1, 64, 66, 129, 131]) throwsMalformed(() => new Reader(two, 'x').ghidList(bad), `length ${bad}`);
    throwsMalformed(() => new Reader(two, 'x').ghidList(195), 'past the end');
    const algo0 = Buffer.from(two);
    algo0[65] = 0;
    throwsMalformed(() => new Reader(algo0, 'x').ghidList(130), 'algo 0 entry');
  });

  test('u16/u32/u64 writers are big-endian', () => {
    assert.deepEqual(u16(0x0102), Buffer.from('0102', 'hex'));
    assert.deepEqual(u32(0x01020304), Buffer.from('01020304', 'hex'));
    assert.deepEqual(u64(0x0102030405060708n), Buffer.from('0102030405060708', 'hex'));
  });
});

// ---- header.ts -----------------------------------------------------------------------------

describe('object header (header.ts) and the strict object parser', () => {
  test('writeHeader/readHeader round-trip for every type and the read versions are exactly §3.1', () => {
    assert.deepEqual(READ_VERSIONS, { GIDC: [2], GEOC: [14], GOBS: [6], GOBD: [16, 15], GDXX: [9], GARQ: [12] });
    for (const magic of MAGICS) {
      const h = writeHeader(magic);
      assert.equal(h.length, HEADER_LENGTH);
      const r = new Reader(h, 'header');
      assert.deepEqual(readHeader(r), { magic, version: READ_VERSIONS[magic][0], cipher: 1 });
      r.end();
    }
  });

  test('every truncation of every object type (v16 and a v15 frame) is MalformedGolixPrimitive', () => {
    const seeds = [...sample.entries(), ['GOBD15', gobd15] as const];
    assert.equal(seeds.length, 7);
    for (const [type, raw] of seeds) {
      for (let n = 0; n < raw.length; n++) throwsMalformed(() => parseObject(raw.subarray(0, n)), `${type} cut at ${n}`);
      // A copy into a fresh, exactly-sized buffer too (no spare bytes behind the view).
      for (const n of [0, 1, 4, 8, 9, 10, raw.length - 1]) throwsMalformed(() => parseObject(Uint8Array.from(raw.subarray(0, n))), `${type} copy cut at ${n}`);
      assert.equal(parseObject(raw).raw.length, raw.length);
    }
  });

  test('trailing bytes after any object are refused', () => {
    for (const [type, raw] of [...sample.entries(), ['GOBD15', gobd15] as const]) {
      for (const extra of [Buffer.of(0), Buffer.of(1), Buffer.alloc(64), Buffer.alloc(65, 1)]) {
        throwsMalformed(() => parseObject(Buffer.concat([raw, extra])), `${type} + ${extra.length}`);
      }
    }
  });

  test('wrong magic: every single-byte change, lower case, and another type’s magic on a body', () => {
    const rand = rng(0x4d41);
    for (const [type, raw] of sample) {
      for (let i = 0; i < 4; i++) {
        for (let k = 0; k < 6; k++) {
          const b = Buffer.from(raw);
          b[i] = (b[i]! + 1 + pick(rand, 255)) & 0xff;
          throwsMalformed(() => parseObject(b), `${type} magic byte ${i} = ${b[i]}`);
        }
      }
      const lower = Buffer.from(raw);
      lower.write(type.toLowerCase(), 0, 'latin1');
      throwsMalformed(() => parseObject(lower), `${type} in lower case`);
      for (const other of MAGICS) {
        if (other === type) continue;
        // Another type's whole header, so the version is valid for the magic: the body must still fail.
        const swapped = Buffer.concat([writeHeader(other), raw.subarray(HEADER_LENGTH)]);
        throwsMalformed(() => parseObject(swapped), `${type} body under ${other}`);
      }
    }
  });

  test('unknown versions and cipher suites are refused before anything else is read', () => {
    for (const [type, raw] of sample) {
      const magic = type as Magic;
      const known = READ_VERSIONS[magic];
      for (const v of [0, 1, 2, 6, 9, 12, 13, 14, 15, 16, 17, 0x100, 0x10000, 0x1000000, 0xffffffff]) {
        if (known.includes(v)) continue;
        const b = Buffer.from(raw);
        b.writeUInt32BE(v, 4);
        throwsMalformed(() => parseObject(b), `${type} version ${v}`);
        throwsMalformed(() => parseObject(b.subarray(0, HEADER_LENGTH)), `${type} version ${v}, header only`);
      }
      for (const c of [0, 2, 3, 0x80, 0xff]) {
        const b = Buffer.from(raw);
        b[8] = c;
        throwsMalformed(() => parseObject(b), `${type} cipher ${c}`);
      }
    }
  });

  test('a GOBD v16 frame relabelled v15 (and a v15 frame relabelled v16) is refused', () => {
    const v16 = Buffer.from(sample.get('GOBD')!);
    v16.writeUInt32BE(15, 4);
    throwsMalformed(() => parseObject(v16));
    const v15 = Buffer.from(gobd15);
    v15.writeUInt32BE(16, 4);
    throwsMalformed(() => parseObject(v15));
  });

  test('every address-algo byte other than 1 is refused, in GHID fields and the own address, even with a valid hash', () => {
    // Offsets of the algo bytes of GHID fields, per v16 type (golix §3), with where the own algo sits.
    const gobsLike = { fields: [9, 74], own: 139 };
    const layouts: Record<string, { fields: number[]; own: number }> = {
      GOBS: gobsLike,
      GDXX: gobsLike,
      GARQ: { fields: [9], own: 586 },
      GIDC: { fields: [], own: 1065 },
    };
    for (const [type, { fields, own }] of Object.entries(layouts)) {
      const raw = sample.get(type)!;
      for (const at of [...fields, own]) {
        for (const algo of [0, 2, 0xff]) {
          const b = Buffer.from(raw);
          b[at] = algo;
          // Re-hash so that only the algo byte is wrong (the own digest sits right after `own`).
          sha512(b.subarray(0, own + 1)).copy(b, own + 1);
          throwsMalformed(() => parseObject(b), `${type} algo ${algo} at ${at}`);
        }
      }
    }
  });

  test('GEOC length field: past the end, one short, huge u64, and zero', async () => {
    const raw = sample.get('GEOC')!;
    const geoc = parseObject(raw) as Geoc;
    const n = geoc.payload.length;
    for (const declared of [BigInt(n + 1), BigInt(n + 65), BigInt(raw.length), 0xffffffffn, 1n << 53n, (1n << 64n) - 1n, BigInt(n - 1), 0n]) {
      const b = Buffer.from(raw);
      b.writeBigUInt64BE(declared, 74);
      throwsMalformed(() => parseObject(b), `declared ${declared} of ${n}`);
    }
    // A genuinely zero-length GEOC (py_golix cannot make one; golix §3.3 says accept on read).
    const unsigned = Buffer.concat([writeHeader('GEOC'), alice.ghid.bytes, u64(0n), Buffer.of(1)]) as Unsigned;
    const empty = parseObject(await signUnsigned(unsigned, alice)) as Geoc;
    assert.equal(empty.type, 'GEOC');
    assert.equal(empty.payload.length, 0);
    assert.equal(empty.raw.length, 659);
    await verifyObject(empty, alice.publicIdentity);
  });

  test('GOBD length fields: not a multiple of 65, zero (v16), past the end', () => {
    const raw = sample.get('GOBD')!; // a first frame: LR = 65
    for (const lr of [0, 1, 64, 66, 130, 0xffff]) {
      const b = Buffer.from(raw);
      b.writeUInt16BE(lr, 82);
      throwsMalformed(() => parseObject(b), `v16 LR ${lr}`);
    }
    for (const lh of [1, 64, 65, 66, 0xffff]) {
      const b = Buffer.from(gobd15);
      b.writeUInt16BE((b.readUInt16BE(74) + lh) & 0xffff, 74);
      throwsMalformed(() => parseObject(b), `v15 LH + ${lh}`);
    }
  });

  test('a GIDC modulus with a zero top byte is refused; the same GIDC rehashed with valid bytes parses', () => {
    for (const at of [9, 521]) {
      const b = Buffer.from(gidcRaw);
      b[at] = 0;
      sha512(b.subarray(0, 1066)).copy(b, 1066);
      throwsMalformed(() => parseObject(b), `modulus at ${at}`);
      throwsMalformed(() => PublicIdentity.fromBytes(b), `identity, modulus at ${at}`);
    }
    assert.ok(PublicIdentity.fromBytes(regidc({})).ghid.equals(alice.ghid));
  });

  test('random damage to the first 90 bytes of every object never escapes as an untyped error', () => {
    const rand = rng(0x11d);
    for (const [type, raw] of [...sample.entries(), ['GOBD15', gobd15] as const]) {
      for (let i = 0; i < 300; i++) {
        const b = Buffer.from(raw);
        for (let k = 0; k < 1 + pick(rand, 3); k++) b[pick(rand, Math.min(90, b.length))] = pick(rand, 256);
        let obj: GolixObject | undefined;
        try {
          obj = parseObject(b);
        } catch (err) {
          assert.ok(isTyped(err), `${type} #${i}: ${String(err)}`);
        }
        if (obj) assert.deepEqual(b, raw, `${type} #${i}: a changed object parsed`);
      }
    }
  });
});

// ---- ghid.ts -------------------------------------------------------------------------------

describe('Ghid (ghid.ts)', () => {
  test('every reference GHID round-trips bytes → text → bytes and text → bytes → text', () => {
    for (const { obj } of all) {
      for (const g of [obj.ghid, ...(obj.type === 'GOBD' ? [obj.dynamic, ...obj.targets] : [])]) {
        assert.equal(g.text.length, 88);
        assert.match(g.text, /^A[A-Za-z0-9_-]{86}=$/);
        assert.ok(Ghid.fromText(g.text).equals(g));
        assert.ok(Ghid.fromBytes(g.bytes).equals(g));
        assert.equal(Ghid.fromBytes(g.bytes).text, g.text);
        assert.equal(Ghid.fromDigest(g.address).text, g.text);
        assert.equal(b64url(g.bytes), g.text);
        assert.deepEqual(fromB64url(g.text), g.bytes);
        assert.equal(JSON.stringify({ g }), `{"g":"${g.text}"}`);
      }
    }
  });

  test('random GHIDs round-trip through text, including digests ending in every bit pattern', () => {
    const rand = rng(0x6a1d);
    for (let i = 0; i < 500; i++) {
      const digest = Buffer.from(Array.from({ length: 64 }, () => pick(rand, 256)));
      digest[63] = i & 0xff;
      const g = Ghid.fromDigest(digest);
      const back = Ghid.fromText(g.text);
      assert.ok(back.equals(g));
      assert.deepEqual(back.bytes, g.bytes);
      assert.equal(back.algo, 1);
    }
  });

  test('fromBytes and view refuse wrong lengths and every algo but 1 with MalformedGolixPrimitive', () => {
    for (const len of [0, 1, 64, 66, 130]) {
      const raw = Buffer.alloc(len, 1);
      throwsMalformed(() => Ghid.fromBytes(raw), `fromBytes ${len}`);
      throwsMalformed(() => Ghid.view(raw), `view ${len}`);
    }
    for (const algo of [0, 2, 3, 0x7f, 0x80, 0xff]) {
      const raw = Buffer.concat([Buffer.of(algo), Buffer.alloc(64, 7)]);
      throwsMalformed(() => Ghid.fromBytes(raw), `fromBytes algo ${algo}`);
      throwsMalformed(() => Ghid.view(raw), `view algo ${algo}`);
      throwsTyped(() => Ghid.fromText(raw.toString('base64url') + '='), ValueError, `fromText algo ${algo}`);
    }
  });

  test('fromBytes copies; fromDigest refuses anything but 64 bytes', () => {
    const src = Uint8Array.from(alice.ghid.bytes);
    const g = Ghid.fromBytes(src);
    flip(src, 5, 0xff);
    assert.ok(g.equals(alice.ghid), 'mutating the input must not change the GHID');
    for (const len of [0, 63, 65]) throwsTyped(() => Ghid.fromDigest(Buffer.alloc(len)), ValueError, `digest of ${len}`);
  });

  test('fromText refuses every non-canonical or malformed text with ValueError', () => {
    const t = alice.ghid.text;
    const body = t.slice(0, 87);
    const bad: [string, string][] = [
      ['empty', ''],
      ['unpadded 87', body],
      ['89 chars', t + '='],
      ['double padding', body.slice(0, 86) + '=='],
      ['padding in the middle', body.slice(0, 40) + '=' + body.slice(41) + '='],
      ['standard base64 +', body.slice(0, 10) + '+' + body.slice(11) + '='],
      ['standard base64 /', body.slice(0, 10) + '/' + body.slice(11) + '='],
      ['space', body.slice(0, 10) + ' ' + body.slice(11) + '='],
      ['leading space', ' ' + body],
      ['trailing newline', body.slice(1) + '=\n'],
      ['NUL', body.slice(0, 10) + '\u0000' + body.slice(11) + '='],
      ['non-ASCII letter', body.slice(0, 10) + 'é' + body.slice(11) + '='],
      ['all padding', '='.repeat(88)],
      ['88 letters (66 bytes)', 'A'.repeat(88)],
      ['hex of the bytes', alice.ghid.bytes.toString('hex').slice(0, 88)],
      ['py_golix display form', 'Ghid(algo=1, address=b' + "'" + body.slice(0, 60) + "')"],
    ];
    // Non-canonical last character: the low 2 bits of the final sextet must be zero.
    const last = body.charCodeAt(86);
    for (let d = 1; d < 4; d++) {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const idx = alphabet.indexOf(String.fromCharCode(last));
      bad.push([`non-canonical tail +${d}`, body.slice(0, 86) + alphabet[(idx & ~3) | d] + '=']);
    }
    for (const [name, text] of bad) {
      throwsTyped(() => Ghid.fromText(text), ValueError, name);
      assert.equal(Ghid.tryText(text), null, name);
    }
    for (const v of [undefined, null, 0, 42, {}, [], Buffer.from(t), { text: t }, new String(t)]) {
      assert.equal(Ghid.tryText(v), null, String(v));
    }
  });

  test('equals and text are value semantics; views of an object share its bytes', () => {
    const g = Ghid.fromText(alice.ghid.text);
    assert.ok(g.equals(alice.ghid));
    assert.ok(!g.equals(bob.ghid));
    assert.equal(g.equals(null), false);
    assert.equal(g.equals(undefined), false);
    assert.equal(g.toString(), g.text);
    assert.equal(g.short, g.text.slice(0, 12) + '…');
    assert.deepEqual(g.address, alice.ghid.bytes.subarray(1));
  });
});

// ---- secret.ts -----------------------------------------------------------------------------

describe('Secret (secret.ts)', () => {
  const ref = all.find((o) => o.entry.secret)!.entry.secret!;

  test('the manifest secrets round-trip through record and text byte for byte', () => {
    for (const { entry } of all) {
      if (!entry.secret) continue;
      const s = manifestSecret(entry.secret);
      assert.equal(s.text, entry.secret.as_str);
      assert.ok(Secret.fromText(entry.secret.as_str).equals(s));
      assert.deepEqual(Secret.fromRecord(s.toRecord()).toRecord(), s.toRecord());
      assert.equal(s.toRecord().length, SECRET_RECORD_LENGTH);
      assert.equal(entry.secret.version, 2);
      assert.equal(entry.secret.cipher, 1);
    }
  });

  test('create refuses wrong key and seed sizes with ValueError', () => {
    for (const [k, s] of [
      [0, 16],
      [16, 16],
      [31, 16],
      [33, 16],
      [64, 0],
      [32, 0],
      [32, 12],
      [32, 15],
      [32, 17],
      [32, 32],
      [48, 0],
    ] as const) {
      throwsTyped(() => Secret.create(Buffer.alloc(k), Buffer.alloc(s)), ValueError, `key ${k}, seed ${s}`);
    }
    assert.equal(Secret.create(new Uint8Array(32), new Uint8Array(16)).toRecord().length, 53);
  });

  test('fromRecord refuses every other length, magic, version and cipher suite', () => {
    const good = manifestSecret(ref).toRecord();
    for (let len = 0; len < 120; len++) {
      if (len === SECRET_RECORD_LENGTH) continue;
      const rec = Buffer.alloc(len);
      good.copy(rec, 0, 0, Math.min(len, good.length));
      throwsMalformed(() => Secret.fromRecord(rec), `length ${len}`);
    }
    // Suite 0 (32/0) and suite 2 (64/0) records, correctly sized for their suites.
    throwsMalformed(() => Secret.fromRecord(Buffer.concat([Buffer.from('SH'), u16(2), Buffer.of(0), Buffer.alloc(32)])), 'suite 0');
    throwsMalformed(() => Secret.fromRecord(Buffer.concat([Buffer.from('SH'), u16(2), Buffer.of(2), Buffer.alloc(64)])), 'suite 2');
    for (const [at, value] of [
      [0, 0x73], // 'sh'
      [1, 0x00],
      [0, 0x00],
      [2, 0x01], // version 0x0102
      [3, 0x00], // version 0
      [3, 0x01],
      [3, 0x03],
      [4, 0x00], // cipher 0
      [4, 0x02],
      [4, 0xff],
    ] as const) {
      const rec = Buffer.from(good);
      rec[at] = value;
      throwsMalformed(() => Secret.fromRecord(rec), `byte ${at} = ${value}`);
    }
  });

  test('fromRecord copies its input; apply is an involution and handles an empty payload', () => {
    const rec = manifestSecret(ref).toRecord();
    const s = Secret.fromRecord(rec);
    rec.fill(0, 5);
    assert.ok(s.equals(manifestSecret(ref)), 'mutating the record must not change the secret');
    assert.deepEqual(s.apply(Buffer.alloc(0)), Buffer.alloc(0));
    const data = randomBytes(1000);
    assert.deepEqual(s.apply(s.apply(data)), data);
    assert.notDeepEqual(Secret.random().toRecord(), Secret.random().toRecord());
  });

  test('fromText refuses wrong lengths, alphabets and padding with ValueError', () => {
    const t = manifestSecret(ref).text;
    const bad: [string, string][] = [
      ['empty', ''],
      ['71 chars', t.slice(0, 71)],
      ['73 chars', t + '='],
      ['no padding', t.slice(0, 71) + 'A'],
      ['two =', t.slice(0, 70) + '=='],
      ['standard +', '+' + t.slice(1)],
      ['standard /', '/' + t.slice(1)],
      ['space', ' ' + t.slice(1)],
      ['trailing newline', t.slice(1) + '\n'],
      ['a GHID', alice.ghid.text],
      ['hex', randomBytes(36).toString('hex')],
    ];
    for (const [name, text] of bad) throwsTyped(() => Secret.fromText(text), ValueError, name);
    // Right shape, wrong content: a 53-byte record with a bad magic is malformed, not a secret.
    const rec = manifestSecret(ref).toRecord();
    rec[0] = 0x58;
    assert.throws(() => Secret.fromText(b64url(rec)), (e: unknown) => isTyped(e));
  });

  test('fromText accepts only the canonical text: the secret it returns gives back the same text', () => {
    // 53 bytes = 17·3 + 2: the 71st character carries 4 data bits and 2 bits that must be zero.
    // Four different strings decode to the same record unless the parser checks (as Ghid.fromText does).
    const t = manifestSecret(ref).text;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const idx = alphabet.indexOf(t[70]!);
    assert.equal(idx & 3, 0, 'the canonical text has zero pad bits');
    for (let d = 1; d < 4; d++) {
      const alias = t.slice(0, 70) + alphabet[idx | d] + '=';
      let parsed: Secret | undefined;
      try {
        parsed = Secret.fromText(alias);
      } catch (err) {
        assert.ok(err instanceof ValueError || err instanceof MalformedGolixPrimitive, String(err));
        continue;
      }
      assert.equal(parsed.text, alias, `non-canonical secret text ${JSON.stringify(alias.slice(-4))} was accepted as ${JSON.stringify(parsed.text.slice(-4))}`);
    }
  });
});

// ---- identity.ts ---------------------------------------------------------------------------

describe('PublicIdentity (identity.ts)', () => {
  test('fromBytes accepts exactly GIDCs: every other reference type is InvalidIdentity', () => {
    for (const { obj, raw } of all) {
      if (obj.type === 'GIDC') {
        const id = PublicIdentity.fromBytes(raw);
        assert.ok(id.ghid.equals(obj.ghid));
        assert.equal(id.signingKey.asymmetricKeyDetails?.modulusLength, 4096);
        assert.equal(id.encryptionKey.asymmetricKeyDetails?.modulusLength, 4096);
        assert.equal(id.exchangeKey.asymmetricKeyType, 'x25519');
      } else {
        throwsTyped(() => PublicIdentity.fromBytes(raw), InvalidIdentity, obj.type);
      }
    }
    throwsMalformed(() => PublicIdentity.fromBytes(Buffer.alloc(0)));
    throwsMalformed(() => PublicIdentity.fromBytes(gidcRaw.subarray(0, 1129)));
  });

  test('the public keys are the GIDC moduli and exchange key, byte for byte', () => {
    for (const id of [alice, bob, eve]) {
      const pub = id.publicIdentity;
      const n = Buffer.from(pub.signingKey.export({ format: 'jwk' }).n!, 'base64url');
      assert.deepEqual(n, pub.gidc.signingModulus);
      const m = Buffer.from(pub.encryptionKey.export({ format: 'jwk' }).n!, 'base64url');
      assert.deepEqual(m, pub.gidc.encryptionModulus);
      assert.equal(pub.signingKey.export({ format: 'jwk' }).e, 'AQAB');
      assert.deepEqual(Buffer.from(pub.exchangeKey.export({ format: 'jwk' }).x!, 'base64url'), pub.gidc.exchangePublic);
      assert.notDeepEqual(pub.gidc.signingModulus, pub.gidc.encryptionModulus, 'two separate RSA keys');
    }
  });

  test('X25519: both sides agree, and a low-order peer key is a VerificationFailure, never zeros or a raw error', () => {
    assert.deepEqual(alice.exchange(bob.publicIdentity), bob.exchange(alice.publicIdentity));
    assert.notDeepEqual(alice.exchange(bob.publicIdentity), alice.exchange(eve.publicIdentity));
    // Low-order u-coordinates of Curve25519 (0, 1, and the order-8 points), little-endian.
    const lowOrder = [
      Buffer.alloc(32),
      Buffer.concat([Buffer.of(1), Buffer.alloc(31)]),
      Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex'),
      Buffer.from('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', 'hex'),
      Buffer.from('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex'),
    ];
    for (const [i, x] of lowOrder.entries()) {
      const hostile = PublicIdentity.fromBytes(regidc({ exchange: x }));
      throwsTyped(() => alice.exchange(hostile), VerificationFailure, `low-order point ${i}`);
      throwsTyped(() => buildRequest(alice, hostile, { kind: 'AK', target: alice.ghid, status: 0 }), VerificationFailure, `request to low-order ${i}`);
    }
  });

  test('a GIDC whose encryption modulus is not an RSA modulus (even) fails with a typed error, not a raw OpenSSL one', () => {
    // Parsed GIDCs come from anyone: a hostile one must not crash a sender with `Error: ... no inverse`.
    const even = Buffer.concat([Buffer.of(0x80), Buffer.alloc(511)]);
    const raw = regidc({ encryption: even });
    const attempt = () => {
      const hostile = PublicIdentity.fromBytes(raw);
      return buildRequest(alice, hostile, { kind: 'HS', target: alice.ghid, secret: Secret.random() });
    };
    assert.throws(attempt, (err: unknown) => {
      assert.ok(isTyped(err), `expected a HypergolixError (InvalidIdentity), got ${String(err)}`);
      return true;
    });
  });

  test('a GIDC whose signing modulus is not an RSA modulus never verifies anything and fails typed', async () => {
    const even = Buffer.concat([Buffer.of(0x80), Buffer.alloc(511)]);
    let hostile: PublicIdentity;
    try {
      hostile = PublicIdentity.fromBytes(regidc({ signing: even }));
    } catch (err) {
      assert.ok(isTyped(err), String(err));
      return;
    }
    const prefix = Buffer.concat([writeHeader('GOBS'), hostile.ghid.bytes, alice.ghid.bytes, Buffer.of(1)]);
    const gobs = parseObject(rehash(prefix, randomBytes(512)));
    assert.equal(gobs.type, 'GOBS');
    await rejectsTyped(verifyObject(gobs as Parameters<typeof verifyObject>[0], hostile), VerificationFailure);
  });
});

describe('PrivateIdentity (identity.ts)', () => {
  const serialized = alice.serialize();
  const raw = alice.exportRaw();
  // Offsets in the HGXI serialization.
  const signingLenAt = 4 + 1 + 65;
  const signingLen = serialized.readUInt32BE(signingLenAt);
  const encryptionLenAt = signingLenAt + 4 + signingLen;

  test('serialize → deserialize → serialize is byte-identical for all three reference identities', () => {
    for (const id of [alice, bob, eve]) {
      const data = id.serialize();
      assert.equal(data.toString('latin1', 0, 4), 'HGXI');
      assert.equal(data[4], 1);
      assert.deepEqual(data.subarray(5, 70), id.ghid.bytes);
      const back = PrivateIdentity.deserialize(data);
      assert.deepEqual(back.serialize(), data);
      assert.deepEqual(back.exportRaw(), id.exportRaw());
      assert.deepEqual(back.publicIdentity.raw, id.publicIdentity.raw);
    }
    assert.equal(serialized.length, encryptionLenAt + 4 + serialized.readUInt32BE(encryptionLenAt) + 32);
  });

  test('every truncation of a serialized identity is MalformedGolixPrimitive', () => {
    for (let n = 0; n < serialized.length; n++) {
      throwsMalformed(() => PrivateIdentity.deserialize(serialized.subarray(0, n)), `cut at ${n}`);
    }
  });

  test('trailing bytes, wrong magic, unknown versions and a non-algo-1 fingerprint are MalformedGolixPrimitive', () => {
    throwsMalformed(() => PrivateIdentity.deserialize(Buffer.concat([serialized, Buffer.of(0)])), 'trailing byte');
    throwsMalformed(() => PrivateIdentity.deserialize(Buffer.concat([serialized, Buffer.alloc(32)])), 'trailing 32');
    for (const magic of ['hgxi', 'HGXJ', 'GIDC', '\0\0\0\0']) {
      const b = Buffer.from(serialized);
      b.write(magic, 0, 'latin1');
      throwsMalformed(() => PrivateIdentity.deserialize(b), `magic ${magic}`);
    }
    for (const v of [0, 2, 0xff]) {
      const b = Buffer.from(serialized);
      b[4] = v;
      throwsMalformed(() => PrivateIdentity.deserialize(b), `version ${v}`);
    }
    for (const algo of [0, 2]) {
      const b = Buffer.from(serialized);
      b[5] = algo;
      throwsMalformed(() => PrivateIdentity.deserialize(b), `fingerprint algo ${algo}`);
    }
  });

  test('key length fields past the end or off by a few bytes are refused with a typed error', () => {
    for (const at of [signingLenAt, encryptionLenAt]) {
      const real = serialized.readUInt32BE(at);
      for (const v of [0, 1, real - 1, real + 1, real + 32, serialized.length, 0x7fffffff, 0xffffffff]) {
        const b = Buffer.from(serialized);
        b.writeUInt32BE(v, at);
        assert.throws(() => PrivateIdentity.deserialize(b), (e: unknown) => isTyped(e), `length at ${at} = ${v}`);
      }
    }
  });

  test('a damaged key blob, swapped keys or another exchange key are refused (typed), never half-loaded', () => {
    const rand = rng(0x1d5);
    // Damage in the DER structure (tags and lengths) of either RSA key.
    for (const base of [signingLenAt + 4, encryptionLenAt + 4]) {
      for (const off of [0, 1, 2, 3, 4, 5, 6, 7, 8, 20, 24, 26, 27]) {
        const b = Buffer.from(serialized);
        flip(b, base + off, 1 << pick(rand, 8));
        let loaded: PrivateIdentity | undefined;
        try {
          loaded = PrivateIdentity.deserialize(b);
        } catch (err) {
          assert.ok(isTyped(err), `DER byte ${off} at ${base}: ${String(err)}`);
        }
        // A change OpenSSL tolerates (a PKCS#8 version, say) may load, but only as the same keys.
        if (loaded) assert.deepEqual(loaded.exportRaw(), raw, `DER byte ${off} at ${base} loaded different keys`);
      }
    }
    // The modulus itself: the GIDC no longer matches the fingerprint.
    const ints = rsaIntegers(raw.signing);
    const b = Buffer.from(serialized);
    flip(b, signingLenAt + 4 + ints[1]!.start + 100, 0x10);
    throwsTyped(() => PrivateIdentity.deserialize(b), InvalidIdentity, 'modulus');
    // Signing and encryption keys swapped (lengths are equal, so the layout stays valid).
    const swapped = Buffer.concat([
      serialized.subarray(0, signingLenAt),
      u32(raw.encryption.length),
      raw.encryption,
      u32(raw.signing.length),
      raw.signing,
      raw.exchange,
    ]);
    throwsTyped(() => PrivateIdentity.deserialize(swapped), InvalidIdentity, 'swapped RSA keys');
    const otherX = Buffer.concat([serialized.subarray(0, serialized.length - 32), bob.exportRaw().exchange]);
    throwsTyped(() => PrivateIdentity.deserialize(otherX), InvalidIdentity, "bob's exchange key");
    // Bob's keys under Alice's fingerprint.
    const bobs = bob.serialize();
    alice.ghid.bytes.copy(bobs, 5);
    throwsTyped(() => PrivateIdentity.deserialize(bobs), InvalidIdentity, "bob's keys under alice's fingerprint");
  });

  test('fromRaw refuses keys of the wrong kind or size with InvalidIdentity', () => {
    const ed = createPrivateKey({
      key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, 9)]),
      format: 'der',
      type: 'pkcs8',
    }).export({ format: 'der', type: 'pkcs8' });
    const x25519Der = Buffer.concat([X25519_PKCS8_PREFIX, raw.exchange]);
    const cases: [string, Buffer, Buffer, Buffer][] = [
      ['empty signing', Buffer.alloc(0), raw.encryption, raw.exchange],
      ['garbage signing', randomBytes(2373), raw.encryption, raw.exchange],
      ['Ed25519 as signing', ed, raw.encryption, raw.exchange],
      ['X25519 as encryption', raw.signing, x25519Der, raw.exchange],
      ['RSA-PSS as signing', asRsaPss(raw.signing), raw.encryption, raw.exchange],
      ['RSA-PSS as encryption', raw.signing, asRsaPss(raw.encryption), raw.exchange],
      ['SPKI instead of PKCS#8', alice.publicIdentity.signingKey.export({ format: 'der', type: 'spki' }), raw.encryption, raw.exchange],
      ['exchange 0 bytes', raw.signing, raw.encryption, Buffer.alloc(0)],
      ['exchange 31 bytes', raw.signing, raw.encryption, raw.exchange.subarray(0, 31)],
      ['exchange 33 bytes', raw.signing, raw.encryption, Buffer.concat([raw.exchange, Buffer.of(0)])],
      ['exchange as PKCS#8', raw.signing, raw.encryption, x25519Der],
    ];
    for (const [name, s, e, x] of cases) throwsTyped(() => PrivateIdentity.fromRaw(s, e, x), InvalidIdentity, name);
  });

  test('fromKeys refuses public keys, wrong key types and an RSA-PSS key with InvalidIdentity', () => {
    const signing = createPrivateKey({ key: raw.signing, format: 'der', type: 'pkcs8' });
    const encryption = createPrivateKey({ key: raw.encryption, format: 'der', type: 'pkcs8' });
    const exchange = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, raw.exchange]), format: 'der', type: 'pkcs8' });
    assert.ok(PrivateIdentity.fromKeys(signing, encryption, exchange).ghid.equals(alice.ghid));
    const pss = createPrivateKey({ key: asRsaPss(raw.signing), format: 'der', type: 'pkcs8' });
    assert.equal(pss.asymmetricKeyType, 'rsa-pss');
    const cases: [string, KeyObject, KeyObject, KeyObject][] = [
      ['public signing', createPublicKey(signing), encryption, exchange],
      ['public exchange', signing, encryption, createPublicKey(exchange)],
      ['exchange is RSA', signing, encryption, encryption],
      ['signing is X25519', exchange, encryption, exchange],
      ['RSA-PSS signing key', pss, encryption, exchange],
      ['RSA-PSS encryption key', signing, pss, exchange],
    ];
    for (const [name, s, e, x] of cases) throwsTyped(() => PrivateIdentity.fromKeys(s, e, x), InvalidIdentity, name);
  });

  test('a private key whose private half no longer matches its modulus is refused at load', async () => {
    // Flip one bit of d and one of p in the signing key: n (and so the GIDC and the fingerprint)
    // is intact, OpenSSL loads it, and every signature the identity then makes is invalid.
    const ints = rsaIntegers(raw.signing);
    const signing = Buffer.from(raw.signing);
    for (const k of [3, 4]) flip(signing, ints[k]!.start + (ints[k]!.len >> 1), 0x01);
    const damaged = Buffer.concat([serialized.subarray(0, signingLenAt), u32(signing.length), signing, serialized.subarray(encryptionLenAt)]);
    let loaded: PrivateIdentity | undefined;
    try {
      loaded = PrivateIdentity.deserialize(damaged);
    } catch (err) {
      assert.ok(err instanceof InvalidIdentity, String(err));
    }
    if (loaded) {
      // Show the consequence in the failure message.
      const unsigned = Buffer.concat([writeHeader('GOBS'), alice.ghid.bytes, bob.ghid.bytes, Buffer.of(1)]) as Unsigned;
      const obj = parseObject(await signUnsigned(unsigned, loaded));
      const verifies = await verifyObject(obj as Parameters<typeof verifyObject>[0], alice.publicIdentity).then(
        () => true,
        () => false,
      );
      assert.fail(`a signing key with damaged d and p was accepted as ${loaded.ghid.short}; its signatures verify: ${verifies}`);
    }
  });

  test('an encryption key whose private half no longer matches its modulus is refused at load', async () => {
    const ints = rsaIntegers(raw.encryption);
    const encryption = Buffer.from(raw.encryption);
    for (const k of [3, 6]) flip(encryption, ints[k]!.start + (ints[k]!.len >> 1), 0x01); // d and dp
    const damaged = Buffer.concat([serialized.subarray(0, encryptionLenAt), u32(encryption.length), encryption, raw.exchange]);
    let loaded: PrivateIdentity | undefined;
    try {
      loaded = PrivateIdentity.deserialize(damaged);
    } catch (err) {
      assert.ok(err instanceof InvalidIdentity, String(err));
    }
    if (loaded) {
      const opens = await loaded.decrypt(alice.publicIdentity.encrypt(Buffer.from('probe'))).then(
        () => true,
        () => false,
      );
      assert.fail(`an encryption key with damaged d and dp was accepted as ${loaded.ghid.short}; it decrypts: ${opens}`);
    }
  });

  test('decrypt turns every bad ciphertext into VerificationFailure', async () => {
    for (const ct of [Buffer.alloc(0), Buffer.alloc(511, 1), Buffer.alloc(512, 0), Buffer.alloc(512, 0xff), randomBytes(512), Buffer.alloc(513, 1)]) {
      await rejectsTyped(bob.decrypt(ct), VerificationFailure, `ciphertext of ${ct.length}`);
    }
    // Encrypted to someone else's key.
    await rejectsTyped(bob.decrypt(alice.publicIdentity.encrypt(Buffer.from('x'))), VerificationFailure, 'wrong recipient');
    assert.deepEqual(await bob.decrypt(bob.publicIdentity.encrypt(Buffer.alloc(0))), Buffer.alloc(0));
  });
});

// ---- requests.ts ---------------------------------------------------------------------------

describe('GARQ requests (requests.ts)', () => {
  const target = Ghid.fromDigest(Buffer.alloc(64, 0x5a));
  const secret = manifestSecret(all.find((o) => o.entry.secret)!.entry.secret!);
  const hs = encodeInner(alice.ghid, { kind: 'HS', target, secret });
  const ak = encodeInner(alice.ghid, { kind: 'AK', target, status: 0xdeadbeef });
  const resolve = async (g: Ghid) => [alice, bob, eve].find((i) => i.ghid.equals(g))!.publicIdentity;

  test('inner containers have the §6.1 sizes and round-trip for HS, AK and NK, status 0..2^32-1', () => {
    assert.equal(hs.length, 188);
    assert.equal(ak.length, 138);
    const h = decodeInner(hs);
    assert.ok(h.author.equals(alice.ghid));
    assert.ok(h.body.kind === 'HS' && h.body.target.equals(target) && h.body.secret.equals(secret));
    for (const kind of ['AK', 'NK'] as const) {
      for (const status of [0, 1, 0x7fffffff, 0xffffffff]) {
        const d = decodeInner(encodeInner(bob.ghid, { kind, target, status }));
        assert.ok(d.author.equals(bob.ghid));
        assert.deepEqual([d.body.kind, d.body.kind !== 'HS' && d.body.status], [kind, status]);
      }
    }
  });

  test('encodeInner refuses a status that is not a u32', () => {
    for (const status of [-1, 0x100000000, 1.5, Number.NaN, Infinity]) {
      throwsTyped(() => encodeInner(alice.ghid, { kind: 'NK', target, status }), ValueError, `status ${status}`);
    }
  });

  test('every truncation and every extension of an inner container is MalformedGolixPrimitive', () => {
    for (const inner of [hs, ak]) {
      for (let n = 0; n < inner.length; n++) throwsMalformed(() => decodeInner(inner.subarray(0, n)), `cut at ${n}`);
      for (const extra of [1, 2, 65, 194]) throwsMalformed(() => decodeInner(Buffer.concat([inner, Buffer.alloc(extra)])), `+${extra}`);
      throwsMalformed(() => decodeInner(Buffer.alloc(383, 1)), 'over the OAEP limit');
    }
  });

  test('every wrong L is refused, including L that fits a shorter or longer valid body', () => {
    for (const inner of [hs, ak]) {
      const real = inner.readUInt16BE(67);
      for (let l = 0; l <= 400; l++) {
        if (l === real) continue;
        const b = Buffer.from(inner);
        b.writeUInt16BE(l, 67);
        throwsMalformed(() => decodeInner(b), `L = ${l}`);
      }
      for (const l of [0x8000, 0xfffe, 0xffff]) {
        const b = Buffer.from(inner);
        b.writeUInt16BE(l, 67);
        throwsMalformed(() => decodeInner(b), `L = ${l}`);
      }
    }
  });

  test('unknown kinds, the arbitrary kind 00 00, and AK/NK bodies under HS (and back) are refused', () => {
    for (const kind of ['\0\0', 'hs', 'ak', 'nk', 'HK', 'XX', 'SH', '\xff\xff']) {
      for (const inner of [hs, ak]) {
        const b = Buffer.from(inner);
        b.write(kind, 65, 'latin1');
        throwsMalformed(() => decodeInner(b), `kind ${JSON.stringify(kind)}`);
      }
    }
    const hsAsAk = Buffer.from(hs);
    hsAsAk.write('AK', 65, 'latin1');
    throwsMalformed(() => decodeInner(hsAsAk), 'HS body labelled AK');
    const akAsHs = Buffer.from(ak);
    akAsHs.write('HS', 65, 'latin1');
    throwsMalformed(() => decodeInner(akAsHs), 'AK body labelled HS');
  });

  test('HS: secret_len other than 53 and a damaged SH record are refused', () => {
    for (const len of [0, 1, 32, 48, 52, 54, 255]) {
      const b = Buffer.from(hs);
      b[69 + 65] = len;
      throwsMalformed(() => decodeInner(b), `secret_len ${len}`);
    }
    // A suite-0 SH record (32-byte key, no seed) with a matching secret_len and L.
    const suite0 = Buffer.concat([Buffer.from('SH'), u16(2), Buffer.of(0), Buffer.alloc(32)]);
    const payload = Buffer.concat([target.bytes, Buffer.of(suite0.length), suite0]);
    throwsMalformed(() => decodeInner(Buffer.concat([alice.ghid.bytes, Buffer.from('HS'), u16(payload.length), payload])), 'suite-0 secret');
    const recordAt = 69 + 65 + 1;
    for (const [off, v] of [
      [0, 0x73],
      [2, 0x01],
      [3, 0x01],
      [3, 0x03],
      [4, 0x00],
      [4, 0x02],
    ] as const) {
      const b = Buffer.from(hs);
      b[recordAt + off] = v;
      throwsMalformed(() => decodeInner(b), `SH byte ${off} = ${v}`);
    }
  });

  test('author and target GHIDs with algo other than 1 are refused', () => {
    for (const inner of [hs, ak]) {
      for (const at of [0, 69]) {
        for (const algo of [0, 2, 0xff]) {
          const b = Buffer.from(inner);
          b[at] = algo;
          throwsMalformed(() => decodeInner(b), `algo ${algo} at ${at}`);
        }
      }
    }
  });

  test('random damage to inner containers never escapes untyped and never decodes to a different body', () => {
    const rand = rng(0x6a72);
    for (let i = 0; i < 3000; i++) {
      const src = i % 2 ? hs : ak;
      const b = Buffer.from(src);
      for (let k = 0; k < 1 + pick(rand, 3); k++) b[pick(rand, b.length)] = pick(rand, 256);
      try {
        const d = decodeInner(b);
        // Only bytes inside the author, target, key, seed or status may change and still decode.
        assert.deepEqual(encodeInner(d.author, d.body), b, `#${i} decoded but does not re-encode to the same bytes`);
      } catch (err) {
        assert.ok(err instanceof MalformedGolixPrimitive, `#${i}: ${String(err)}`);
      }
    }
  });

  test('openRequest: hostile inner content behind a valid MAC is MalformedGolixPrimitive', async () => {
    const hostile: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['trailing byte', Buffer.concat([ak, Buffer.of(0)])],
      ['kind 00 00', Buffer.concat([alice.ghid.bytes, Buffer.alloc(2), u16(3), Buffer.from('abc')])],
      ['L too long', (() => { const b = Buffer.from(ak); b.writeUInt16BE(70, 67); return b; })()],
      ['secret_len 54', (() => { const b = Buffer.from(hs); b[134] = 54; return b; })()],
    ];
    for (const [name, inner] of hostile) {
      const garq = craftGarq(inner, bob, alice, alice.ghid);
      await rejectsTyped(openRequest(garq, bob, resolve), MalformedGolixPrimitive, name);
    }
    // Sanity: the crafting helper itself makes requests that open.
    const ok = await openRequest(craftGarq(ak, bob, alice, alice.ghid), bob, resolve);
    assert.ok(ok.author.equals(alice.ghid) && ok.kind === 'AK' && ok.status === 0xdeadbeef);
  });

  test('openRequest: wrong recipient is ValueError; a MAC by anyone but the named author is VerificationFailure', async () => {
    const garq = buildRequest(alice, bob.publicIdentity, { kind: 'AK', target, status: 0 });
    await rejectsTyped(openRequest(garq, alice, resolve), ValueError, 'addressed to bob');
    // Eve names Alice as author and MACs with her own exchange key: resolving Alice catches it.
    const forged = craftGarq(encodeInner(alice.ghid, { kind: 'AK', target, status: 0 }), bob, eve, alice.ghid);
    await rejectsTyped(openRequest(forged, bob, resolve), VerificationFailure, 'forged author');
    // A MAC over the right digest but with the salt of another pair.
    const wrongSalt = craftGarq(encodeInner(alice.ghid, { kind: 'AK', target, status: 0 }), bob, alice, eve.ghid);
    await rejectsTyped(openRequest(wrongSalt, bob, resolve), VerificationFailure, 'wrong salt');
    // The MAC bytes: any flip.
    const raw = Buffer.from(garq.raw);
    flip(raw, raw.length - 1, 1);
    await rejectsTyped(openRequest(parseObject(raw) as Garq, bob, resolve), VerificationFailure, 'MAC bit flip');
  });

  test('openRequest refuses an author identity that is not the one the request names', async () => {
    // Eve claims to be Alice and MACs with her own key. A resolver that hands back any identity
    // other than the named author's (a stale cache, a remote answering with another GIDC) must
    // not turn that into a request "from Alice": openRequest has to check the GHID it was given.
    const forged = craftGarq(encodeInner(alice.ghid, { kind: 'HS', target, secret }), bob, eve, alice.ghid);
    const sloppy = async (_g: Ghid) => eve.publicIdentity;
    let opened: Awaited<ReturnType<typeof openRequest>> | undefined;
    try {
      opened = await openRequest(forged, bob, sloppy);
    } catch (err) {
      assert.ok(err instanceof InvalidIdentity || err instanceof VerificationFailure, String(err));
    }
    assert.ok(opened === undefined, `opened as a request from ${opened?.author.short} (alice is ${alice.ghid.short}) although eve's key made the MAC`);
  });

  test('the reference GARQs open; their inner containers re-encode to the same bytes', async () => {
    let n = 0;
    for (const { obj } of all) {
      if (obj.type !== 'GARQ') continue;
      const inner = await bob.decrypt(obj.payload);
      const { author, body } = decodeInner(inner);
      assert.deepEqual(encodeInner(author, body), inner);
      const opened = await openRequest(obj, bob, resolve);
      assert.ok(opened.author.equals(author));
      n++;
    }
    assert.equal(n, manifest().objects.filter((o) => o.type === 'GARQ').length);
  });
});
