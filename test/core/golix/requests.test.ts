// GARQ requests (requests.ts, golix §3.8, §6) beyond identity.test.ts: the inner container and the
// whole GARQ checked byte for byte against §6 with independent OAEP, X25519, HKDF and HMAC; the
// reference-v16 GARQs against their manifest; the 382-byte OAEP boundary; requests to oneself;
// hostile recipients and authors (low-order exchange keys, undecryptable payloads, transplanted
// MACs, replayed GARQs); and that what is decoded does not change under the caller.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  constants,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  privateDecrypt,
  randomBytes,
} from 'node:crypto';
import {
  Ghid,
  HypergolixError,
  MalformedGolixPrimitive,
  PublicIdentity,
  Secret,
  ValueError,
  VerificationFailure,
  buildRequest,
  decodeInner,
  encodeInner,
  fromB64url,
  openRequest,
  parseObject,
  type Garq,
  type PrivateIdentity,
  type RequestBody,
} from '../../../src/core/golix/index.js';
import { writeHeader } from '../../../src/core/golix/header.js';
import { ghid, manifest, manifestSecret, readV16, v16Identity } from '../../fixtures/vectors.js';

const ids = [v16Identity(0), v16Identity(1), v16Identity(2)] as const;
const [alice, bob, eve] = ids;
const resolve = async (g: Ghid): Promise<PublicIdentity> => {
  const id = ids.find((i) => i.ghid.equals(g));
  if (!id) throw new Error(`test resolver: unknown ${g.short}`);
  return id.publicIdentity;
};
const sha = (b: Uint8Array) => createHash('sha512').update(b).digest();
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);

/** The manifest's private keys for an identity, used here without going through identity.ts. */
function rawKeys(id: PrivateIdentity): { encryption: Buffer; exchange: Buffer } {
  const entry = manifest().identities.find((i) => i.ghid === id.ghid.text)!;
  return { encryption: fromB64url(entry.private.encryption_pkcs8_der), exchange: fromB64url(entry.private.exchange_x25519_raw) };
}

/** §6.2 steps 3–6 written out: X25519, HKDF-SHA512 (salt = XOR of the addresses), HMAC over the digest. */
function macRef(senderExchangeRaw: Buffer, recipientGidcX25519: Buffer, a: Ghid, b: Ghid, digest: Buffer): Buffer {
  const priv = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), senderExchangeRaw]), format: 'der', type: 'pkcs8' });
  const pub = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), recipientGidcX25519]), format: 'der', type: 'spki' });
  const shared = diffieHellman({ privateKey: priv, publicKey: pub });
  const salt = Buffer.alloc(64);
  for (let i = 0; i < 64; i++) salt[i] = a.address[i]! ^ b.address[i]!;
  const key = Buffer.from(hkdfSync('sha512', shared, salt, Buffer.alloc(0), 64));
  return createHmac('sha512', key).update(digest).digest();
}

function oaepOpen(id: PrivateIdentity, payload: Buffer): Buffer {
  const key = createPrivateKey({ key: rawKeys(id).encryption, format: 'der', type: 'pkcs8' });
  return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha512' }, payload);
}

/** A GIDC with alice's moduli and another X25519 public key (hash recomputed): a stranger's identity. */
function gidcWithExchange(x25519: Buffer): PublicIdentity {
  const b = Buffer.from(alice.publicIdentity.raw);
  x25519.copy(b, 1033);
  sha(b.subarray(0, 1066)).copy(b, 1066);
  return PublicIdentity.fromBytes(b);
}

/** A GARQ to `recipient` with a chosen payload and MAC, hash computed: what a stranger can upload. */
function rawGarq(recipient: Ghid, payload: Buffer, mac: Buffer): Garq {
  const prefix = Buffer.concat([writeHeader('GARQ'), recipient.bytes, payload, Buffer.of(1)]);
  return parseObject(Buffer.concat([prefix, sha(prefix), mac])) as Garq;
}

async function rejectsTyped(p: Promise<unknown>, cls: new (...a: never[]) => HypergolixError, message: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof cls, `${message}: expected ${cls.name}, got ${(err as Error)?.constructor?.name}: ${String(err)}`);
    return true;
  });
}

const target = Ghid.fromDigest(Buffer.alloc(64, 0x33));
const secret = Secret.create(Buffer.alloc(32, 0x11), Buffer.alloc(16, 0x22));

// Low-order X25519 points (RFC 7748 §6.1 / libsodium's blacklist): each gives an all-zero shared secret.
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map((h) => Buffer.from(h, 'hex'));

describe('the inner container (§6.1)', () => {
  test('HS, AK and NK are written byte for byte as author | kind | L | payload', () => {
    const hs = encodeInner(alice.ghid, { kind: 'HS', target, secret });
    assert.deepEqual(hs, Buffer.concat([alice.ghid.bytes, Buffer.from('HS'), u16(119), target.bytes, Buffer.of(53), secret.toRecord()]));
    for (const kind of ['AK', 'NK'] as const) {
      const inner = encodeInner(bob.ghid, { kind, target, status: 0x01020304 });
      assert.deepEqual(inner, Buffer.concat([bob.ghid.bytes, Buffer.from(kind), u16(69), target.bytes, Buffer.from([1, 2, 3, 4])]));
    }
  });

  test('the OAEP boundary: an inner container of 382 bytes is judged on its content, 383 and more on size; all Malformed', () => {
    const ak = encodeInner(alice.ghid, { kind: 'AK', target, status: 0 });
    for (const size of [382, 383, 512, 65536]) {
      const extra = size - ak.length;
      const b = Buffer.concat([ak, Buffer.alloc(extra)]);
      b.writeUInt16BE(69 + extra > 0xffff ? 0xffff : 69 + extra, 67);
      assert.throws(() => decodeInner(b), MalformedGolixPrimitive, `size ${size}`);
    }
  });

  test('an AK whose status field is cut or grown, with L matching, is refused', () => {
    for (const statusLen of [0, 1, 3, 5, 8]) {
      const payload = Buffer.concat([target.bytes, Buffer.alloc(statusLen)]);
      const inner = Buffer.concat([alice.ghid.bytes, Buffer.from('AK'), u16(payload.length), payload]);
      assert.throws(() => decodeInner(inner), MalformedGolixPrimitive, `status of ${statusLen} bytes`);
    }
  });

  test('an HS with a second secret after the first, or a GHID-sized secret, with L matching, is refused', () => {
    const twice = Buffer.concat([target.bytes, Buffer.of(53), secret.toRecord(), secret.toRecord()]);
    assert.throws(() => decodeInner(Buffer.concat([alice.ghid.bytes, Buffer.from('HS'), u16(twice.length), twice])), MalformedGolixPrimitive);
    const noSecret = Buffer.concat([target.bytes, Buffer.of(0)]);
    assert.throws(() => decodeInner(Buffer.concat([alice.ghid.bytes, Buffer.from('HS'), u16(noSecret.length), noSecret])), MalformedGolixPrimitive);
  });

  // Fixed (low: today's callers in sharing.ts pass literal kinds):
  // encodeInner checks the status but never the kind: anything that is not 'HS' is written as an
  // AK/NK-shaped body under whatever kind string it carries, so a body that reaches it untyped
  // (JS, IPC-decoded data) produces kind 00 00 ("do not emit", golix §6.1), an unknown kind, or a
  // 1- or 3-byte kind that shifts every later field. The recipient refuses it; the sender never
  // learns why its share was lost.
  test('encodeInner refuses a kind it must not emit (00 00, unknown, wrong length) instead of writing it', () => {
    for (const kind of ['\0\0', 'XX', 'A', 'AKK', '']) {
      const body = { kind, target, status: 0 } as unknown as RequestBody;
      let encoded: Buffer | undefined;
      try {
        encoded = encodeInner(alice.ghid, body);
      } catch (err) {
        assert.ok(err instanceof ValueError, `kind ${JSON.stringify(kind)}: expected ValueError, got ${String(err)}`);
        continue;
      }
      assert.fail(`encodeInner wrote a kind ${JSON.stringify(kind)} container (${encoded.length} bytes) that decodeInner refuses`);
    }
  });

  test('encodeInner refuses a status that is not a number or not a u32 (typed)', () => {
    for (const status of ['0', null, undefined, 2 ** 32, -0.5, 2 ** 53] as unknown[]) {
      assert.throws(
        () => encodeInner(alice.ghid, { kind: 'AK', target, status } as RequestBody),
        (e: unknown) => e instanceof ValueError,
        `status ${String(status)}`,
      );
    }
  });

  // Fixed (low: openRequest itself never reuses the buffer):
  // decodeInner returns author and target GHIDs that are views (Ghid.view) into the caller's buffer, not copies. A caller that wipes or reuses the
  // decrypted plaintext after decoding (ordinary hygiene for a buffer that held a secret) silently
  // changes the "immutable" GHIDs it got back: the author becomes an algo-0 GHID no parser would
  // accept, and a request is filed under an author who never sent it. (The Secret is copied; the
  // GHIDs are not.)
  test('what decodeInner returns does not change when the caller wipes its input', () => {
    const inner = encodeInner(alice.ghid, { kind: 'HS', target, secret });
    const { author, body } = decodeInner(inner);
    inner.fill(0);
    assert.ok(author.equals(alice.ghid), `author changed to ${author.bytes.subarray(0, 4).toString('hex')}…`);
    assert.equal(author.algo, 1);
    assert.ok(body.kind === 'HS' && body.target.equals(target), 'target changed');
    assert.ok(body.kind === 'HS' && body.secret.equals(secret));
  });
});

describe('buildRequest (§6.2)', () => {
  test('a GARQ is 715 bytes laid out as §3.8, its payload OAEP-opens to the inner container, its MAC is §6.2 step 6', () => {
    for (const body of [
      { kind: 'HS', target, secret },
      { kind: 'AK', target, status: 0 },
      { kind: 'NK', target, status: 0xffffffff },
    ] as RequestBody[]) {
      const garq = buildRequest(alice, bob.publicIdentity, body);
      const raw = garq.raw;
      assert.equal(raw.length, 715);
      assert.deepEqual(raw.subarray(0, 9), writeHeader('GARQ'));
      assert.deepEqual(raw.subarray(9, 74), bob.ghid.bytes);
      assert.equal(raw[586], 1);
      assert.deepEqual(raw.subarray(587, 651), sha(raw.subarray(0, 587)));
      assert.deepEqual(oaepOpen(bob, raw.subarray(74, 586)), encodeInner(alice.ghid, body));
      const mac = macRef(rawKeys(alice).exchange, bob.publicIdentity.gidc.exchangePublic, alice.ghid, bob.ghid, raw.subarray(587, 651));
      assert.deepEqual(raw.subarray(651), mac);
      // The recipient's side of the same computation gives the same MAC (XOR salt is symmetric).
      assert.deepEqual(macRef(rawKeys(bob).exchange, alice.publicIdentity.gidc.exchangePublic, bob.ghid, alice.ghid, raw.subarray(587, 651)), mac);
    }
  });

  test('OAEP is randomized: the same body twice gives two different GARQs that both open to it', async () => {
    const body: RequestBody = { kind: 'AK', target, status: 7 };
    const a = buildRequest(alice, bob.publicIdentity, body);
    const b = buildRequest(alice, bob.publicIdentity, body);
    assert.ok(!a.ghid.equals(b.ghid));
    for (const g of [a, b]) {
      const opened = await openRequest(g, bob, resolve);
      assert.ok(opened.kind === 'AK' && opened.status === 7 && opened.garq.equals(g.ghid) && opened.author.equals(alice.ghid));
    }
  });

  test('a request to oneself (zero HKDF salt) builds and opens', async () => {
    const g = buildRequest(alice, alice.publicIdentity, { kind: 'HS', target, secret });
    const opened = await openRequest(g, alice, resolve);
    assert.ok(opened.kind === 'HS' && opened.secret.equals(secret) && opened.author.equals(alice.ghid));
  });

  test('building for a recipient whose exchange key is a low-order point is a VerificationFailure, never a raw error', () => {
    for (const point of LOW_ORDER) {
      const stranger = gidcWithExchange(point);
      assert.throws(
        () => buildRequest(alice, stranger, { kind: 'AK', target, status: 0 }),
        (e: unknown) => e instanceof VerificationFailure,
        point.toString('hex').slice(0, 8),
      );
    }
  });
});

describe('openRequest (§6.3) against hostile input', () => {
  test('the reference-v16 GARQs open with identity 1 and match their manifest entries field by field', async () => {
    let n = 0;
    for (const entry of manifest().objects) {
      if (entry.type !== 'GARQ') continue;
      const garq = parseObject(readV16(entry.file)) as Garq;
      assert.ok(garq.recipient.equals(ghid(entry.recipient!)));
      const opened = await openRequest(garq, bob, resolve);
      assert.equal(opened.author.text, entry.sender);
      assert.equal(opened.garq.text, entry.ghid);
      assert.ok(opened.target.equals(ghid(entry.target!)));
      const kind = { handshake: 'HS', ack: 'AK', nak: 'NK' }[entry.request_type!];
      assert.equal(opened.kind, kind);
      if (opened.kind === 'HS') assert.ok(opened.secret.equals(manifestSecret(entry.secret!)));
      else assert.equal(opened.status, entry.status);
      // The MAC also checks by the independent computation.
      const sender = ids.find((i) => i.ghid.text === entry.sender)!;
      assert.deepEqual(garq.mac, macRef(rawKeys(sender).exchange, bob.publicIdentity.gidc.exchangePublic, sender.ghid, bob.ghid, garq.ghid.address));
      n++;
    }
    assert.equal(n, 4);
  });

  test('a stranger’s payload that is not OAEP for the recipient (random, zero, all-ones, another key’s) is a VerificationFailure', async () => {
    const otherKeys = buildRequest(alice, eve.publicIdentity, { kind: 'AK', target, status: 0 }).payload;
    for (const [name, payload] of [
      ['random', randomBytes(512)],
      ['zeros', Buffer.alloc(512)],
      ['all ones (above the modulus)', Buffer.alloc(512, 0xff)],
      ['OAEP for eve', otherKeys],
    ] as const) {
      await rejectsTyped(openRequest(rawGarq(bob.ghid, payload, randomBytes(64)), bob, resolve), VerificationFailure, name);
    }
  });

  test('a MAC transplanted from another GARQ, or all zero, is a VerificationFailure', async () => {
    const a = buildRequest(alice, bob.publicIdentity, { kind: 'AK', target, status: 0 });
    const b = buildRequest(alice, bob.publicIdentity, { kind: 'AK', target, status: 0 });
    await rejectsTyped(openRequest(rawGarq(bob.ghid, a.payload, b.mac), bob, resolve), VerificationFailure, 'transplanted MAC');
    await rejectsTyped(openRequest(rawGarq(bob.ghid, a.payload, Buffer.alloc(64)), bob, resolve), VerificationFailure, 'zero MAC');
    // The MAC over the digest, keyed right, but of the GARQ with the algo byte included (spec errata #3): refused.
    const p = Buffer.concat([writeHeader('GARQ'), bob.ghid.bytes, a.payload, Buffer.of(1)]);
    const wrong = macRef(rawKeys(alice).exchange, bob.publicIdentity.gidc.exchangePublic, alice.ghid, bob.ghid, Buffer.concat([Buffer.of(1), sha(p)]));
    await rejectsTyped(openRequest(rawGarq(bob.ghid, a.payload, wrong), bob, resolve), VerificationFailure, 'MAC over algo|digest');
  });

  test('a payload re-wrapped for another recipient is refused by the recipient check before any decryption', async () => {
    const g = buildRequest(alice, bob.publicIdentity, { kind: 'AK', target, status: 0 });
    await rejectsTyped(openRequest(rawGarq(eve.ghid, g.payload, g.mac), bob, resolve), ValueError, 'addressed to eve');
    // Eve cannot open bob's payload, whoever it is addressed to.
    await rejectsTyped(openRequest(rawGarq(eve.ghid, g.payload, g.mac), eve, resolve), VerificationFailure, 'eve opening bob’s payload');
  });

  test('an author whose GIDC has a low-order exchange key is refused with VerificationFailure, never a raw error or a pass', async () => {
    for (const point of LOW_ORDER) {
      const stranger = gidcWithExchange(point);
      const inner = encodeInner(stranger.ghid, { kind: 'HS', target, secret });
      // With a zero shared secret, the MAC an attacker could compute without any private key:
      const salt = Buffer.alloc(64);
      for (let i = 0; i < 64; i++) salt[i] = stranger.ghid.address[i]! ^ bob.ghid.address[i]!;
      const zeroKey = Buffer.from(hkdfSync('sha512', Buffer.alloc(32), salt, Buffer.alloc(0), 64));
      const payload = bob.publicIdentity.encrypt(inner);
      const prefix = Buffer.concat([writeHeader('GARQ'), bob.ghid.bytes, payload, Buffer.of(1)]);
      const digest = sha(prefix);
      const garq = parseObject(Buffer.concat([prefix, digest, createHmac('sha512', zeroKey).update(digest).digest()])) as Garq;
      await rejectsTyped(
        openRequest(garq, bob, async () => stranger),
        VerificationFailure,
        `low-order author key ${point.toString('hex').slice(0, 8)}`,
      );
    }
  });

  test('a resolver failure propagates as is, and nothing is returned', async () => {
    const g = buildRequest(eve, bob.publicIdentity, { kind: 'AK', target, status: 0 });
    class NotFound extends Error {}
    await assert.rejects(
      openRequest(g, bob, async () => {
        throw new NotFound('unknown author');
      }),
      NotFound,
    );
  });

  test('a replayed GARQ opens to the same request with the same garq GHID (replay detection is keyed on it)', async () => {
    const g = buildRequest(alice, bob.publicIdentity, { kind: 'HS', target, secret });
    const again = parseObject(Buffer.from(g.raw)) as Garq;
    const [a, b] = await Promise.all([openRequest(g, bob, resolve), openRequest(again, bob, resolve)]);
    assert.ok(a.garq.equals(b.garq) && a.garq.equals(g.ghid));
  });
});
