// reference-v16: every object, field, hash, signature, secret, ratchet step and request of the
// Python reference's vectors (vectors README §2.6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Ghid,
  MalformedGolixPrimitive,
  PublicIdentity,
  VerificationFailure,
  fromB64url,
  openRequest,
  packGdxx,
  packGeoc,
  packGobd,
  packGobs,
  parseObject,
  signerOf,
  verifyObject,
  type Gobd,
  type GolixObject,
  type SignedObject,
} from '../../../src/core/golix/index.js';
import { ghid, manifest, manifestSecret, readV16, v16Identity, v16Objects } from '../../fixtures/vectors.js';

const all = v16Objects();
const byGhid = new Map(all.map((o) => [o.obj.ghid.text, o]));
const identities = new Map(
  all.filter((o) => o.obj.type === 'GIDC').map((o) => [o.obj.ghid.text, PublicIdentity.fromBytes(o.raw)] as const),
);

test('all 39 objects parse, their GHIDs equal their file names, and every manifest field matches', () => {
  assert.equal(all.length, 39);
  for (const { entry, raw, obj } of all) {
    assert.equal(obj.type, entry.type, entry.file);
    assert.equal(obj.ghid.text, entry.ghid);
    assert.equal(`objects/${obj.ghid.text}.ghid`, entry.file);
    assert.equal(raw.length, Number(entry.size));
    assert.equal(signerOf(obj)?.text ?? null, entry.author);
    switch (obj.type) {
      case 'GOBS':
        assert.equal(obj.binder.text, entry.binder);
        assert.equal(obj.target.text, entry.target);
        break;
      case 'GOBD':
        assert.equal(obj.version, 16);
        assert.equal(obj.binder.text, entry.binder);
        assert.equal(obj.counter, BigInt(entry.counter!));
        assert.equal(obj.dynamic.text, entry.ghid_dynamic);
        assert.deepEqual(obj.targets.map((t) => t.text), entry.target_vector);
        assert.equal(obj.targets[0]!.text, entry.target);
        break;
      case 'GDXX':
        assert.equal(obj.debinder.text, entry.debinder);
        assert.equal(obj.target.text, entry.target);
        break;
      case 'GARQ':
        assert.equal(obj.recipient.text, entry.recipient);
        break;
      case 'GEOC':
        assert.equal(obj.payload.length, Number(entry.plaintext_len));
        break;
    }
  }
});

test('the counter-0 frame has its dynamic GHID recomputed; later frames cannot be', () => {
  const frames = all.map((o) => o.obj).filter((o): o is Gobd => o.type === 'GOBD');
  assert.equal(frames.length, 10);
  for (const f of frames) assert.equal(f.dynamicVerified, f.counter === 0n, `frame ${f.counter}`);
});

test('all 32 signatures verify (18 GEOC, 1 GOBS, 10 GOBD, 3 GDXX)', async () => {
  const counts: Record<string, number> = {};
  for (const { obj } of all) {
    if (obj.type === 'GIDC' || obj.type === 'GARQ') continue;
    await verifyObject(obj, identities.get(signerOf(obj)!.text)!);
    counts[obj.type] = (counts[obj.type] ?? 0) + 1;
  }
  const { verified } = manifest().self_check;
  assert.deepEqual(counts, { GEOC: verified.GEOC, GOBS: verified.GOBS, GOBD: verified.GOBD, GDXX: verified.GDXX });
});

test('the four negative files are rejected, each for its stated reason', async () => {
  const expect: Record<string, (raw: Buffer) => Promise<void>> = {
    'negative/truncated_gidc.bin': async (raw) => assert.throws(() => parseObject(raw), MalformedGolixPrimitive),
    'negative/geoc_payload_bitflip.bin': async (raw) => assert.throws(() => parseObject(raw), /hash mismatch/),
    'negative/gobd_ghid_bitflip.bin': async (raw) => assert.throws(() => parseObject(raw), /hash mismatch/),
    'negative/geoc_wrong_signature.bin': async (raw) => {
      const obj = parseObject(raw) as SignedObject;
      await assert.rejects(verifyObject(obj, identities.get(signerOf(obj)!.text)!), VerificationFailure);
    },
  };
  for (const { file } of manifest().negative) await expect[file]!(readV16(file));
  assert.equal(Object.keys(expect).length, manifest().self_check.negative_rejected);
});

test('private keys from the manifest rebuild each GIDC byte for byte', () => {
  for (const { index, ghid: text } of manifest().identities) {
    const id = v16Identity(index as 0 | 1 | 2);
    assert.equal(id.ghid.text, text);
    assert.deepEqual(id.publicIdentity.raw, byGhid.get(text)!.raw);
    const raw = fromB64url(manifest().identities[index]!.private.exchange_x25519_raw);
    assert.deepEqual(id.exportRaw().exchange, raw);
  }
});

test('all 18 GEOCs decrypt to their plaintexts; secret text is the SH record of key and seed', () => {
  let n = 0;
  for (const { entry, obj } of all) {
    if (obj.type !== 'GEOC') continue;
    const secret = manifestSecret(entry.secret!);
    assert.equal(secret.text, entry.secret!.as_str);
    assert.deepEqual(secret.apply(obj.payload), fromB64url(entry.plaintext!));
    n++;
  }
  assert.equal(n, 18);
});

test('the ten-frame chain follows the HEAD ratchet (salt = previous container GHID)', () => {
  const chain = all
    .filter((o) => o.entry.dynamic_chain && o.obj.type === 'GEOC')
    .sort((a, b) => a.entry.chain_counter! - b.entry.chain_counter!);
  assert.equal(chain.length, 10);
  const dynamic = ghid(all.find((o) => o.obj.type === 'GOBD')!.entry.ghid_dynamic!);
  for (let i = 1; i < chain.length; i++) {
    const prev = chain[i - 1]!;
    const next = manifestSecret(prev.entry.secret!).ratchet(dynamic, prev.obj.ghid);
    assert.ok(next.equals(manifestSecret(chain[i]!.entry.secret!)), `frame ${i}`);
  }
});

test('the four GARQs open with identity 1, MACs check, and kind/target/secret/status match', async () => {
  const recipient = v16Identity(1);
  const resolve = async (g: Ghid) => identities.get(g.text)!;
  let n = 0;
  for (const { entry, obj } of all) {
    if (obj.type !== 'GARQ') continue;
    const opened = await openRequest(obj, recipient, resolve);
    assert.equal(opened.author.text, entry.sender);
    assert.equal(opened.kind, { handshake: 'HS', ack: 'AK', nak: 'NK' }[entry.request_type!]);
    assert.equal(opened.target.text, entry.target);
    if (opened.kind === 'HS') assert.ok(opened.secret.equals(manifestSecret(entry.secret!)));
    else assert.equal(opened.status, Number(entry.status));
    n++;
  }
  assert.equal(n, 4);
});

test('a GARQ MAC checked against the wrong sender fails', async () => {
  const garq = all.find((o) => o.obj.type === 'GARQ')!.obj as Extract<GolixObject, { type: 'GARQ' }>;
  const wrong = identities.get(manifest().identities[2]!.ghid)!;
  await assert.rejects(openRequest(garq, v16Identity(1), async () => wrong), VerificationFailure);
});

test('write path: our packing reproduces every byte before the file hash', () => {
  for (const { entry, raw, obj } of all) {
    let unsigned: Buffer | undefined;
    switch (obj.type) {
      case 'GEOC':
        unsigned = packGeoc(obj.author, manifestSecret(entry.secret!).apply(fromB64url(entry.plaintext!)));
        break;
      case 'GOBS':
        unsigned = packGobs(obj.binder, obj.target);
        break;
      case 'GDXX':
        unsigned = packGdxx(obj.debinder, obj.target);
        break;
      case 'GOBD':
        unsigned = packGobd(obj.binder, obj.counter!, obj.targets, obj.counter === 0n ? undefined : obj.dynamic).unsigned;
        break;
      default:
        continue;
    }
    assert.deepEqual(unsigned, raw.subarray(0, obj.hashedLength), entry.file);
  }
});
