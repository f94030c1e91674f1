import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, scrypt } from 'node:crypto';
import { Ghid, SECRET_RECORD_LENGTH, Secret, UnknownSecret, parseObject, type Gobd } from '../../../src/core/golix/index.js';
import { deriveRootSecret, checkKdf, REFERENCE_KDF } from '../../../src/core/account/kdf.js';
import { LwwMap } from '../../../src/core/account/lww-map.js';
import { decodeManifest, encodeManifest } from '../../../src/core/account/manifest.js';
import { MasterObject } from '../../../src/core/account/master-object.js';
import { V2016_DIRS, read2016, v16Identity } from '../../fixtures/vectors.js';
import { LocalIO } from '../../fixtures/daemon/local-io.js';

test('2016 account A: scrypt(password, fingerprint) opens the primary manifest and its validator matches', async () => {
  const fingerprint = Ghid.fromText('AQSiaSltqQ4nCpDToCh6rxptBBQpWLWv3Q4b7SvrQsIjZ5JE5RK-CvybzP-HcumUy_LY1nrVydGHncGtsX4hJ9s=');
  const userId = Ghid.fromText('AQpjpYmuK-4172HYaA7rAS4T2HoHmdMKhaTq-c4zrazjhMPED7s7yIE0Dt45uOslebm2Ah4LcgVPpYQ-HQrzYg8=');
  const files = read2016(V2016_DIRS[0]!).map((f) => parseObject(f.raw));
  const frame = files.find((o): o is Gobd => o.type === 'GOBD' && o.dynamic.equals(userId))!;
  assert.ok(frame.binder.equals(fingerprint));
  const container = files.find((o) => o.ghid.equals(frame.targets[0]!))!;
  assert.equal(container.type, 'GEOC');
  const kdf = { ...REFERENCE_KDF, n: 1024 };
  const check = async (password: string) => {
    const master = await deriveRootSecret(password, fingerprint, kdf);
    const plaintext = master.ratchet(userId, frame.history[0]!).apply(container.type === 'GEOC' ? container.payload : Buffer.alloc(0));
    const validator = await new Promise<Buffer>((resolve, reject) =>
      scrypt(master.key, Buffer.alloc(32), 32, { N: 1024, r: 8, p: 1 }, (err, out) => (err ? reject(err) : resolve(out))),
    );
    return validator.equals(plaintext.subarray(0, 32));
  };
  assert.equal(await check('hello world'), true);
  assert.equal(await check('hello world!'), false);
});

test('KDF parameters are validated', () => {
  assert.throws(() => checkKdf({ algorithm: 'scrypt', n: 1000, r: 8, p: 1 }), /power of two/);
  assert.throws(() => checkKdf({ algorithm: 'argon', n: 1024, r: 8, p: 1 }), /scrypt/);
  assert.deepEqual(checkKdf({ algorithm: 'scrypt', n: 2048, r: 8, p: 1 }), { algorithm: 'scrypt', n: 2048, r: 8, p: 1 });
});

test('root manifest round-trips; a wrong secret reads as "Incorrect password"', () => {
  const rec = () => ({ ghid: Ghid.fromDigest(randomBytes(64)), master: Secret.random() });
  const m = { identity: rec(), secrets: rec(), state: rec() };
  const data = encodeManifest(m);
  const back = decodeManifest(data);
  assert.ok(back.identity.ghid.equals(m.identity.ghid) && back.state.master.equals(m.state.master));
  // Magic, version and count, the three records, the pad's length, the checksum; then a pad of 1 KiB plus up to 8 KiB - 1.
  const fixed = 4 + 2 + ['identity', 'secrets', 'state'].reduce((n, name) => n + 1 + name.length + 65 + SECRET_RECORD_LENGTH, 0) + 2 + 64;
  const pad = data.length - fixed;
  assert.ok(pad >= 1024 && pad <= 1024 + 0x1fff, `random padding of ${pad} bytes`);
  const wrong = Secret.random().apply(Secret.random().apply(data));
  assert.throws(() => decodeManifest(wrong), UnknownSecret);
});

test('LWW maps merge per key, newer write wins, deletions propagate, concurrent keys both survive', () => {
  const a = new LwwMap('device-a');
  const b = new LwwMap('device-b');
  a.set('x', 1);
  b.merge(LwwMap.decode(a.encode(), 'device-b'));
  a.set('only-a', 'A');
  b.set('only-b', 'B');
  b.set('x', 2);
  a.merge(LwwMap.decode(b.encode(), 'device-a'));
  b.merge(LwwMap.decode(a.encode(), 'device-b'));
  for (const m of [a, b]) assert.deepEqual(Object.fromEntries(m.entries()), { x: 2, 'only-a': 'A', 'only-b': 'B' });
  b.delete('only-a');
  assert.equal(a.merge(LwwMap.decode(b.encode(), 'device-a')), true);
  assert.equal(a.has('only-a'), false);
  assert.throws(() => LwwMap.decode(Buffer.from('{"format":"other"}'), 'd'), /hgx-lww/);
  assert.throws(() => LwwMap.decode(Buffer.from('not json'), 'd'), /JSON/);
});

test('master-secret objects: every frame opens from the master alone; the binder is checked', async () => {
  const io = await LocalIO.create();
  const me = v16Identity(0);
  await io.publish(parseObject(me.publicIdentity.raw));
  const master = Secret.random();
  const obj = await MasterObject.create(io, me, master, Buffer.from('state 1'));
  for (let i = 2; i <= 10; i++) await obj.write(Buffer.from(`state ${i}`));
  const { plaintext } = await MasterObject.open(io, null, obj.ghid, master, me.ghid);
  assert.equal(plaintext.toString(), 'state 10');
  assert.equal(obj.counter, 10n);
  await assert.rejects(MasterObject.open(io, null, obj.ghid, master, v16Identity(1).ghid), UnknownSecret);
  const wrong = await MasterObject.open(io, null, obj.ghid, Secret.random(), me.ghid);
  assert.notEqual(wrong.plaintext.toString(), 'state 10');
});
