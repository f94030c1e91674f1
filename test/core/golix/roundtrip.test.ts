// Objects we build re-parse and verify; a chain we build follows the counter and ratchet rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Ghid,
  InvalidIdentity,
  PrivateIdentity,
  Secret,
  buildRequest,
  makeContainer,
  makeDebinding,
  makeFrame,
  makeStatic,
  openRequest,
  parseObject,
  verifyObject,
  type Gobd,
} from '../../../src/core/golix/index.js';
import { frameOf, makeUpdate } from '../../../src/core/golix/builders.js';
import { v16Identity } from '../../fixtures/vectors.js';

const alice = v16Identity(0);
const bob = v16Identity(1);

test('a container, static binding and debinding we make re-parse and verify', async () => {
  const secret = Secret.random();
  const geoc = await makeContainer(alice, secret, Buffer.from('hello golix'));
  const gobs = await makeStatic(alice, geoc.ghid);
  const gdxx = await makeDebinding(alice, gobs.ghid);
  for (const obj of [geoc, gobs, gdxx]) {
    const again = parseObject(obj.raw);
    assert.ok(again.ghid.equals(obj.ghid));
    await verifyObject(obj, alice.publicIdentity);
  }
  assert.deepEqual(secret.apply(geoc.payload), Buffer.from('hello golix'));
  assert.ok(gobs.target.equals(geoc.ghid));
  assert.ok(gdxx.target.equals(gobs.ghid));
  await assert.rejects(verifyObject(geoc, bob.publicIdentity), InvalidIdentity);
});

test('a twelve-frame chain: counters increase, vectors keep legroom 7, the ratchet links every secret', async () => {
  let secret = Secret.random();
  const first = await makeUpdate(alice, secret, Buffer.from('frame 0'));
  const frames: Gobd[] = [first.frame];
  const containers = [first.container];
  const secrets = [secret];
  for (let i = 1; i < 12; i++) {
    const prev = frames[i - 1]!;
    secret = secret.ratchet(prev.dynamic, containers[i - 1]!.ghid);
    const { frame, container } = await makeUpdate(alice, secret, Buffer.from(`frame ${i}`), frameOf(prev));
    frames.push(frame);
    containers.push(container);
    secrets.push(secret);
  }
  const dynamic = frames[0]!.dynamic;
  for (const [i, f] of frames.entries()) {
    const parsed = parseObject(f.raw) as Gobd;
    await verifyObject(parsed, alice.publicIdentity);
    assert.equal(parsed.counter, BigInt(i));
    assert.ok(parsed.dynamic.equals(dynamic));
    assert.equal(parsed.targets.length, Math.min(i + 1, 8));
    assert.ok(parsed.targets[0]!.equals(containers[i]!.ghid));
    if (i > 0) assert.ok(parsed.targets[1]!.equals(containers[i - 1]!.ghid));
    // A receiver that knew only secret 0 derives every later one from the vectors.
    assert.deepEqual(secrets[i]!.apply(containers[i]!.payload), Buffer.from(`frame ${i}`));
  }
  assert.equal(frames[0]!.dynamicVerified, true);
});

test('makeFrame refuses to make a later frame with a single target', async () => {
  const first = await makeFrame(alice, Ghid.fromDigest(Buffer.alloc(64, 7)));
  await assert.rejects(makeFrame(alice, first.targets[0]!, { ...frameOf(first), targets: [] }), /at least two targets/);
});

test('GARQ handshake, ack and nak round-trip between two identities', async () => {
  const target = Ghid.fromDigest(Buffer.alloc(64, 3));
  const secret = Secret.random();
  const resolve = async (g: Ghid) => (g.equals(alice.ghid) ? alice.publicIdentity : bob.publicIdentity);
  const hs = buildRequest(alice, bob.publicIdentity, { kind: 'HS', target, secret });
  const opened = await openRequest(parseObject(hs.raw) as typeof hs, bob, resolve);
  assert.equal(opened.kind, 'HS');
  assert.ok(opened.author.equals(alice.ghid));
  assert.ok(opened.kind === 'HS' && opened.secret.equals(secret));
  const ak = buildRequest(bob, alice.publicIdentity, { kind: 'AK', target: hs.ghid, status: 0 });
  const nk = buildRequest(bob, alice.publicIdentity, { kind: 'NK', target: hs.ghid, status: 7 });
  const a = await openRequest(ak, alice, resolve);
  const n = await openRequest(nk, alice, resolve);
  assert.deepEqual([a.kind, a.target.text, a.kind !== 'HS' && a.status], ['AK', hs.ghid.text, 0]);
  assert.deepEqual([n.kind, n.kind !== 'HS' && n.status], ['NK', 7]);
  // OAEP is randomized: the same request twice gives two different GARQs.
  assert.ok(!buildRequest(alice, bob.publicIdentity, { kind: 'HS', target, secret }).ghid.equals(hs.ghid));
});

test('private identity serialization round-trips and rejects a swapped fingerprint', () => {
  const data = alice.serialize();
  const back = PrivateIdentity.deserialize(data);
  assert.ok(back.ghid.equals(alice.ghid));
  assert.deepEqual(back.publicIdentity.raw, alice.publicIdentity.raw);
  const tampered = Buffer.from(data);
  bob.ghid.bytes.copy(tampered, 5);
  assert.throws(() => PrivateIdentity.deserialize(tampered), InvalidIdentity);
  assert.throws(() => PrivateIdentity.deserialize(data.subarray(0, 100)), /truncated/);
});

test('secrets: text form round-trips and malformed records are refused', () => {
  const s = Secret.random();
  assert.ok(Secret.fromText(s.text).equals(s));
  assert.equal(s.text.length, 72);
  const rec = s.toRecord();
  rec[0] = 0x58;
  assert.throws(() => Secret.fromRecord(rec), /magic/);
  assert.throws(() => Secret.fromText('short'), /72 characters/);
  assert.equal(JSON.stringify({ s }), '{"s":"<secret>"}', 'secrets never leak through JSON');
});

test('Ghid text form: canonical padded base64url only', () => {
  const g = alice.ghid;
  assert.equal(g.text.length, 88);
  assert.ok(Ghid.fromText(g.text).equals(g));
  assert.throws(() => Ghid.fromText(g.text.slice(0, 87)), /88 characters/);
  assert.throws(() => Ghid.fromText(g.text.replace(/=$/, 'A')), /GHID/);
  assert.equal(Ghid.tryText('nonsense'), null);
  assert.throws(() => Ghid.fromBytes(Buffer.alloc(65)), /algorithm 0/);
});
