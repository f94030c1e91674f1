// Secret (secret.ts, golix §2, §7, §8) beyond identity.test.ts: AES-256-CTR checked against an
// independent keystream at every counter-wrap boundary and against Web Crypto, the ratchet
// against an independent HKDF and the reference chain, every secret of the reference accounts,
// copying and immutability, typed refusal of non-string text, and that a secret never leaks
// into logs or JSON.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, hkdfSync, randomBytes, webcrypto } from 'node:crypto';
import { inspect } from 'node:util';
import {
  Ghid,
  HypergolixError,
  MalformedGolixPrimitive,
  SECRET_RECORD_LENGTH,
  Secret,
  ValueError,
  b64url,
  fromB64url,
  parseObject,
  type Geoc,
  type Gobd,
} from '../../../src/core/golix/index.js';
import { referenceAccounts } from '../../fixtures/legacy.js';
import { ghid, manifest, manifestSecret, readV16 } from '../../fixtures/vectors.js';

/** The CTR keystream written out from §2: AES-256-ECB of seed, seed+1, … as 128-bit big-endian. */
function keystream(key: Buffer, seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  let counter = BigInt('0x' + seed.toString('hex'));
  const mod = 1n << 128n;
  for (let i = 0; i < Math.ceil(length / 16); i++) {
    blocks.push(Buffer.from(counter.toString(16).padStart(32, '0'), 'hex'));
    counter = (counter + 1n) % mod;
  }
  const ecb = createCipheriv('aes-256-ecb', key, null);
  ecb.setAutoPadding(false);
  return Buffer.concat([ecb.update(Buffer.concat(blocks)), ecb.final()]).subarray(0, length);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** The ratchet of §8 written out: IKM seed‖key, salt and info full GHIDs, L 48, output key‖seed. */
function ratchetRef(s: Secret, dynamic: Ghid, salt: Ghid): { key: Buffer; seed: Buffer } {
  const out = Buffer.from(hkdfSync('sha512', Buffer.concat([s.seed, s.key]), salt.bytes, dynamic.bytes, 48));
  return { key: out.subarray(0, 32), seed: out.subarray(32) };
}

function throwsTyped(fn: () => unknown, cls: new (...a: never[]) => HypergolixError, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof cls, `${message}: expected ${cls.name}, got ${(err as Error)?.constructor?.name}: ${String(err)}`);
    return true;
  });
}

const seedHex = (hex: string) => Buffer.from(hex.padStart(32, '0'), 'hex');

describe('AES-256-CTR (apply)', () => {
  test('the seed is the whole counter block: 128-bit wrap and carries across 32 and 64 bits match the spec keystream', () => {
    const key = randomBytes(32);
    const seeds = [
      'ffffffffffffffffffffffffffffffff', // wraps to zero after one block
      'fffffffffffffffffffffffffffffffe',
      '0000000000000000ffffffffffffffff', // carry out of the low 64 bits (a 64-bit counter would not carry)
      '000000000000000000000000ffffffff', // carry out of the low 32 bits
      '00000000000000000000000000000000',
      '7fffffffffffffffffffffffffffffff',
    ].map(seedHex);
    for (const seed of seeds) {
      const s = Secret.create(key, seed);
      for (const n of [0, 1, 15, 16, 17, 31, 32, 33, 100, 1024 + 3]) {
        const plain = randomBytes(n);
        assert.deepEqual(s.apply(plain), xor(plain, keystream(key, seed, n)), `seed ${seed.toString('hex')}, ${n} bytes`);
      }
    }
  });

  test('apply equals Web Crypto AES-CTR with a 128-bit counter length (golix §13)', async () => {
    for (const seed of [randomBytes(16), seedHex('ffffffffffffffffffffffffffffffff'), seedHex('0000000000000000ffffffffffffffff')]) {
      const key = randomBytes(32);
      const plain = randomBytes(4099);
      const k = await webcrypto.subtle.importKey('raw', key, 'AES-CTR', false, ['encrypt']);
      const expected = Buffer.from(await webcrypto.subtle.encrypt({ name: 'AES-CTR', counter: seed, length: 128 }, k, plain));
      assert.deepEqual(Secret.create(key, seed).apply(plain), expected);
    }
  });

  test('apply does not change its input and accepts a plain Uint8Array or a view with an offset', () => {
    const s = Secret.random();
    const plain = randomBytes(100);
    const copy = Buffer.from(plain);
    const out = s.apply(plain);
    assert.deepEqual(plain, copy);
    assert.equal(out.length, 100);
    const big = new Uint8Array(200);
    big.set(plain, 50);
    assert.deepEqual(s.apply(big.subarray(50, 150)), out);
    assert.deepEqual(s.apply(new Uint8Array(plain)), out);
  });

  test('every reference-v16 GEOC decrypts with its manifest secret to its plaintext, by the independent keystream too', () => {
    let n = 0;
    for (const entry of manifest().objects) {
      if (entry.type !== 'GEOC' || !entry.secret) continue;
      const obj = parseObject(readV16(entry.file)) as Geoc;
      const s = manifestSecret(entry.secret);
      const plaintext = fromB64url(entry.plaintext!);
      assert.deepEqual(s.apply(obj.payload), plaintext, entry.file);
      assert.deepEqual(xor(obj.payload, keystream(s.key, s.seed, obj.payload.length)), plaintext);
      n++;
    }
    assert.equal(n, 18);
  });
});

describe('the ratchet', () => {
  test('equals the §8 HKDF written out, for random secrets and GHIDs; the input secret is unchanged', () => {
    for (let i = 0; i < 50; i++) {
      const s = Secret.random();
      const before = s.toRecord();
      const dyn = Ghid.fromDigest(randomBytes(64));
      const salt = Ghid.fromDigest(randomBytes(64));
      const r = s.ratchet(dyn, salt);
      const ref = ratchetRef(s, dyn, salt);
      assert.deepEqual(r.key, ref.key);
      assert.deepEqual(r.seed, ref.seed);
      assert.equal(r.version, 2);
      assert.equal(r.cipher, 1);
      assert.deepEqual(s.toRecord(), before);
      // Salt and info are not interchangeable.
      assert.ok(!s.ratchet(salt, dyn).equals(r));
    }
  });

  test('the reference-v16 ten-frame chain: each secret is the ratchet of the previous one, salted with the previous container', () => {
    const chain = manifest()
      .objects.filter((o) => o.type === 'GEOC' && o.chain_counter !== undefined)
      .sort((a, b) => a.chain_counter! - b.chain_counter!);
    assert.equal(chain.length, 10);
    const frames = manifest()
      .objects.filter((o) => o.type === 'GOBD')
      .map((o) => parseObject(readV16(o.file)) as Gobd);
    const dynamic = frames[0]!.dynamic;
    assert.ok(frames.every((f) => f.dynamic.equals(dynamic)));
    for (let i = 1; i < chain.length; i++) {
      const prev = manifestSecret(chain[i - 1]!.secret!);
      const salt = ghid(chain[i - 1]!.ghid);
      assert.ok(chain[i]!.secret_derivation!.includes(salt.text));
      const derived = prev.ratchet(dynamic, salt);
      assert.equal(derived.text, chain[i]!.secret!.as_str, `chain ${i}`);
      const ref = ratchetRef(prev, dynamic, salt);
      assert.deepEqual(Buffer.concat([ref.key, ref.seed]), Buffer.concat([derived.key, derived.seed]));
    }
  });

  test('the reference accounts: every current container secret of a system object is the master secret ratcheted with the previous container', () => {
    let n = 0;
    for (const name of referenceAccounts().names) {
      for (const [objName, entry] of Object.entries(referenceAccounts().accounts[name].system_objects)) {
        const e = entry as typeof entry & { salt_previous_container?: string };
        if (!e.salt_previous_container) continue;
        const master = Secret.fromText(e.master_secret);
        const derived = master.ratchet(ghid(e.ghid), ghid(e.salt_previous_container));
        assert.equal(derived.text, e.container_secret, `${name}.${objName}`);
        n++;
      }
    }
    assert.ok(n >= 20, `${n} system objects checked`);
  });
});

describe('records and text', () => {
  test('every secret text in the reference-accounts manifest round-trips text → record → text', () => {
    const texts = new Set<string>();
    const walk = (v: unknown, key = ''): void => {
      if (typeof v === 'string' && /secret/.test(key) && v.length === 72) texts.add(v);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    };
    walk(referenceAccounts());
    assert.ok(texts.size >= 40, `${texts.size} secrets`);
    for (const t of texts) {
      const s = Secret.fromText(t);
      assert.equal(s.text, t);
      const rec = s.toRecord();
      assert.equal(rec.length, SECRET_RECORD_LENGTH);
      assert.deepEqual(rec.subarray(0, 5), Buffer.from([0x53, 0x48, 0, 2, 1]));
      assert.ok(Secret.fromRecord(rec).equals(s));
      assert.equal(b64url(rec), t);
    }
  });

  test('the record layout is "SH" | u16 2 | u8 1 | key | seed', () => {
    const key = randomBytes(32);
    const seed = randomBytes(16);
    const rec = Secret.create(key, seed).toRecord();
    assert.deepEqual(rec, Buffer.concat([Buffer.from('SH', 'latin1'), Buffer.from([0, 2, 1]), key, seed]));
  });

  test('fromRecord reads a plain Uint8Array and a view with an offset, and copies both', () => {
    const s = Secret.random();
    const rec = s.toRecord();
    const big = new Uint8Array(200).fill(0xee);
    big.set(rec, 77);
    const view = big.subarray(77, 77 + 53);
    const a = Secret.fromRecord(view);
    const b = Secret.fromRecord(new Uint8Array(rec));
    big.fill(0);
    assert.ok(a.equals(s) && b.equals(s));
    throwsTyped(() => Secret.fromRecord(big.subarray(77, 77 + 54)), MalformedGolixPrimitive, 'view one byte long');
  });

  test('create copies its inputs; toRecord hands out a fresh buffer each time', () => {
    const key = randomBytes(32);
    const seed = randomBytes(16);
    const s = Secret.create(key, seed);
    const rec = s.toRecord();
    key.fill(0);
    seed.fill(0);
    s.toRecord().fill(0);
    assert.deepEqual(s.toRecord(), rec);
    assert.notEqual(s.toRecord(), s.toRecord());
  });

  test('text is always 72 canonical characters ending in one "="', () => {
    for (let i = 0; i < 500; i++) {
      const s = Secret.random();
      assert.match(s.text, /^[A-Za-z0-9_-]{71}=$/);
      assert.ok(Secret.fromText(s.text).equals(s));
    }
  });

  test('fromText refuses non-string input with ValueError, never a TypeError', () => {
    const good = Secret.random();
    for (const v of [undefined, null, 42, {}, [], good.toRecord(), { toString: () => good.text }, Symbol('x')]) {
      throwsTyped(() => Secret.fromText(v as unknown as string), ValueError, `input ${typeof v}`);
    }
    // Right alphabet and length, but a record whose version is wrong: typed, not a raw error.
    const rec = good.toRecord();
    rec[3] = 9;
    assert.throws(() => Secret.fromText(b64url(rec)), (e: unknown) => e instanceof HypergolixError);
  });

  test('equals compares key and seed: one bit anywhere makes them differ', () => {
    const s = Secret.random();
    const rec = s.toRecord();
    for (const at of [5, 20, 36, 37, 45, 52]) {
      const r = Buffer.from(rec);
      r[at] = r[at]! ^ 0x80;
      assert.equal(s.equals(Secret.fromRecord(r)), false, `bit at ${at}`);
    }
    assert.ok(s.equals(Secret.fromRecord(rec)));
  });
});

describe('secrets stay out of logs', () => {
  test('JSON of a secret, alone and inside an object, never contains its key or seed', () => {
    const s = Secret.random();
    const json = JSON.stringify({ s, nested: [s] });
    assert.ok(!json.includes(s.text) && !json.includes(s.key.toString('hex')) && !json.includes(s.key.toString('base64')));
    assert.ok(json.includes('<secret>'));
  });

  // Fixed: Secret hides itself from JSON (toJSON → "<secret>") but
  // not from util.inspect: the project's logger formats every non-string detail with
  // util.inspect (src/core/log/format.ts:51), as do console.log and electron-log, so a log call
  // that is handed a Secret, or any object holding one (a share, a handshake body), writes the
  // AES key and seed in hex into the log file. Anyone with the log can read that container and,
  // through the ratchet, every later one.
  test('util.inspect (what the logger and console use) does not print the key or seed', () => {
    const s = Secret.create(Buffer.alloc(32, 0xab), Buffer.alloc(16, 0xcd));
    for (const shown of [inspect(s), inspect({ body: { kind: 'HS', secret: s } }, { depth: 4 }), `${String(s)}`]) {
      assert.ok(!/ab ab ab|abababab/.test(shown), `the key is visible: ${shown.slice(0, 120)}`);
      assert.ok(!/cd cd cd|cdcdcdcd/.test(shown), `the seed is visible: ${shown.slice(0, 120)}`);
    }
  });
});
