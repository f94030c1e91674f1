// Focused tests of the account's master-secret objects (master-object.ts), the root manifest
// (manifest.ts) and the errors a person must be able to tell apart (errors.ts): damaged,
// truncated, foreign and other-version inputs, round trips, and the Python reference's accounts
// read through MasterObject at their edges.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, scrypt } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CommsError,
  DoesNotExist,
  Ghid,
  HypergolixError,
  MalformedGolixPrimitive,
  SECRET_RECORD_LENGTH,
  Secret,
  UnknownSecret,
  ValueError,
  fromB64url,
  parseObject,
  type GolixObject,
  type Gobd,
} from '../../../src/core/golix/index.js';
import {
  AccountFromOtherVersion,
  AccountNotFound,
  AccountUnreachable,
  DamagedAccount,
  IncorrectPassword,
  NoRecoveryKit,
  RecoveryKeyTypo,
  WrongRecoveryKey,
} from '../../../src/core/account/errors.js';
import { LOW_2016_KDF, deriveRootSecret } from '../../../src/core/account/kdf.js';
import { decodeManifest, encodeManifest, type ManifestRecord, type RootManifest } from '../../../src/core/account/manifest.js';
import { MasterObject } from '../../../src/core/account/master-object.js';
import { ContainerMissing } from '../../../src/core/objects/errors.js';
import type { ObjectIO } from '../../../src/core/objects/object-io.js';
import { LocalIO } from '../../fixtures/daemon/local-io.js';
import { ACCOUNTS_2016, REFERENCE_ACCOUNTS, poolOf, referenceAccounts, type Pool } from '../../fixtures/legacy.js';
import { V2016_DIRS, v16Identity } from '../../fixtures/vectors.js';

// ---------------------------------------------------------------------------------------------
// Helpers

const rec = (): ManifestRecord => ({ ghid: Ghid.fromDigest(randomBytes(64)), master: Secret.random() });
const sample = (withRecovery = false): RootManifest => ({
  identity: rec(),
  secrets: rec(),
  state: rec(),
  ...(withRecovery ? { recovery: rec() } : {}),
});
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest();
/** A body followed by its SHA-512, as the root manifest ends. */
const withSum = (body: Buffer) => Buffer.concat([body, sha512(body)]);
/** One manifest record as the format writes it. */
const record = (name: string, r: ManifestRecord) => Buffer.concat([Buffer.of(name.length), Buffer.from(name, 'latin1'), r.ghid.bytes, r.master.toRecord()]);
/** A checksummed manifest built by hand: header, the given records, a padding. */
function handMade(records: Buffer[], opts: { magic?: string; version?: number; count?: number; pad?: number } = {}): Buffer {
  const pad = opts.pad ?? 16;
  const padLength = Buffer.alloc(2);
  padLength.writeUInt16BE(pad);
  return withSum(
    Buffer.concat([
      Buffer.from(opts.magic ?? 'HGXR', 'latin1'),
      Buffer.of(opts.version ?? 1, opts.count ?? records.length),
      ...records,
      padLength,
      randomBytes(pad),
    ]),
  );
}
function sameManifest(a: RootManifest, b: RootManifest): void {
  for (const name of ['identity', 'secrets', 'state'] as const) {
    assert.ok(a[name].ghid.equals(b[name].ghid), `${name} GHID`);
    assert.ok(a[name].master.equals(b[name].master), `${name} master`);
  }
  assert.equal(a.recovery === undefined, b.recovery === undefined, 'recovery record present in both or neither');
  if (a.recovery && b.recovery) {
    assert.ok(a.recovery.ghid.equals(b.recovery.ghid));
    assert.ok(a.recovery.master.equals(b.recovery.master));
  }
}
/** Whatever decodeManifest throws must be one of the module's typed errors. */
function decodeOutcome(data: Buffer): 'ok' | 'password' | 'version' | 'damaged' {
  try {
    decodeManifest(data);
    return 'ok';
  } catch (err) {
    if (err instanceof IncorrectPassword) return 'password';
    if (err instanceof AccountFromOtherVersion) return 'version';
    if (err instanceof DamagedAccount) return 'damaged';
    throw new assert.AssertionError({ message: `untyped error from decodeManifest: ${String(err)}`, actual: err });
  }
}

/** An ObjectIO that stores locally and remembers what was published (frames kept in hand). */
class RecordingIO implements ObjectIO {
  readonly published: GolixObject[] = [];
  constructor(
    private readonly inner: ObjectIO,
    private readonly hidden = new Set<string>(),
  ) {}
  async publish(...objects: GolixObject[]): Promise<void> {
    this.published.push(...objects);
    await this.inner.publish(...objects);
  }
  async fetch(ghid: Ghid): Promise<GolixObject | null> {
    return this.hidden.has(ghid.text) ? null : this.inner.fetch(ghid);
  }
  hide(ghid: Ghid): void {
    this.hidden.add(ghid.text);
  }
  lastFrame(): Gobd {
    const frames = this.published.filter((o): o is Gobd => o.type === 'GOBD');
    return frames.at(-1)!;
  }
}

/** An ObjectIO that only writes into a list: frames computed but never stored. */
class SinkIO implements ObjectIO {
  readonly published: GolixObject[] = [];
  constructor(private readonly inner: ObjectIO) {}
  async publish(...objects: GolixObject[]): Promise<void> {
    this.published.push(...objects);
  }
  async fetch(ghid: Ghid): Promise<GolixObject | null> {
    return this.published.find((o) => o.ghid.equals(ghid)) ?? this.inner.fetch(ghid);
  }
}

/** A read-only ObjectIO over parsed vector caches. */
function poolIO(pool: Pool): ObjectIO {
  return {
    publish: async () => {
      throw new Error('read-only vectors');
    },
    fetch: async (ghid) => pool.get(ghid),
  };
}

async function localIO(): Promise<LocalIO> {
  const io = await LocalIO.create();
  for (const i of [0, 1] as const) await io.publish(v16Identity(i).publicIdentity.gidc);
  return io;
}

// ---------------------------------------------------------------------------------------------
// errors.ts

describe('errors.ts: the four failures are distinct classes with wire codes and useful words', () => {
  test('IncorrectPassword is an UnknownSecret (000D) with a default message and a cause', () => {
    const cause = new Error('inner');
    const e = new IncorrectPassword(undefined, { cause });
    assert.ok(e instanceof UnknownSecret && e instanceof HypergolixError);
    assert.equal(e.code, 0x000d);
    assert.equal(e.name, 'IncorrectPassword');
    assert.equal(e.message, 'Incorrect password');
    assert.equal(e.cause, cause);
    assert.ok(!(e instanceof DamagedAccount) && !(e instanceof AccountFromOtherVersion));
  });

  test('AccountFromOtherVersion is a ValueError carrying the format seen as data', () => {
    const e = new AccountFromOtherVersion('ours-v9', 'made by a newer one');
    assert.ok(e instanceof ValueError);
    assert.equal(e.code, 0xfffe);
    assert.equal(e.format, 'ours-v9');
    assert.equal(e.name, 'AccountFromOtherVersion');
    assert.ok(!(e instanceof UnknownSecret) && !(e instanceof MalformedGolixPrimitive));
  });

  test('DamagedAccount is a MalformedGolixPrimitive (0001) naming the part, keeping its cause', () => {
    const cause = new MalformedGolixPrimitive('truncated');
    const e = new DamagedAccount('identity', 'its keys are wrong', { cause });
    assert.ok(e instanceof MalformedGolixPrimitive);
    assert.equal(e.code, 0x0001);
    assert.equal(e.part, 'identity');
    assert.equal(e.message, 'Account object "identity" is damaged: its keys are wrong');
    assert.equal(e.cause, cause);
    assert.ok(!(e instanceof UnknownSecret), 'a damaged account is not a wrong password');
  });

  test('AccountNotFound says where it was looked for; AccountUnreachable names the remotes and the failure', () => {
    const id = v16Identity(0).ghid;
    const local = new AccountNotFound(id, 'local');
    assert.ok(local instanceof DoesNotExist);
    assert.equal(local.userId, id);
    assert.match(local.message, /in the local cache$/);
    assert.ok(local.message.includes(id.text));
    assert.match(new AccountNotFound(id, 'remotes').message, /on the remotes$/);
    assert.match(new AccountNotFound(id, 'local and remotes').message, /in the local cache or on the remotes$/);
    assert.equal(new AccountNotFound(id, 'local', 'custom').message, 'custom');

    const un = new AccountUnreachable(id, ['a:1', 'b:2']);
    assert.ok(un instanceof CommsError);
    assert.deepEqual(un.remotes, ['a:1', 'b:2']);
    assert.equal(un.failure, null);
    assert.match(un.message, /\(a:1, b:2\)$/);
    assert.ok(un.message.includes(id.short));
    const refused = new AccountUnreachable(id, ['a:1'], { code: 'ECONNREFUSED', message: 'refused' });
    assert.deepEqual(refused.failure, { code: 'ECONNREFUSED', message: 'refused' });
  });

  test('the recovery errors: a typo, a wrong key and no kit are told apart', () => {
    assert.ok(new RecoveryKeyTypo('x') instanceof ValueError);
    const wrong = new WrongRecoveryKey();
    assert.ok(wrong instanceof UnknownSecret && !(wrong instanceof IncorrectPassword));
    assert.match(wrong.message, /another account's, or a newer recovery kit/);
    const none = new NoRecoveryKit(v16Identity(0).ghid);
    assert.ok(none instanceof DoesNotExist);
    assert.ok(none.message.includes(v16Identity(0).ghid.short));
  });
});

// ---------------------------------------------------------------------------------------------
// manifest.ts

describe('manifest.ts: the root manifest', () => {
  test('the encoding is the documented layout, byte for byte, with the recovery record last', () => {
    const m = sample(true);
    const data = encodeManifest(m);
    assert.equal(data.toString('latin1', 0, 4), 'HGXR');
    assert.equal(data[4], 1, 'version');
    assert.equal(data[5], 4, 'count');
    let at = 6;
    for (const name of ['identity', 'secrets', 'state', 'recovery'] as const) {
      assert.equal(data[at], name.length);
      assert.equal(data.toString('latin1', at + 1, at + 1 + name.length), name);
      at += 1 + name.length;
      assert.deepEqual(data.subarray(at, at + 65), m[name]!.ghid.bytes);
      at += 65;
      assert.deepEqual(data.subarray(at, at + SECRET_RECORD_LENGTH), m[name]!.master.toRecord());
      at += SECRET_RECORD_LENGTH;
    }
    const pad = data.readUInt16BE(at);
    assert.ok(pad >= 1024 && pad <= 9215, `padding ${pad}`);
    assert.equal(data.length, at + 2 + pad + 64);
    assert.deepEqual(data.subarray(-64), sha512(data.subarray(0, -64)));
  });

  test('round trips keep every record, with and without a recovery record; the padding is random', () => {
    for (const withRecovery of [false, true]) {
      const m = sample(withRecovery);
      const a = encodeManifest(m);
      const b = encodeManifest(m);
      assert.notDeepEqual(a, b, 'two encodings differ in their padding');
      sameManifest(decodeManifest(a), m);
      sameManifest(decodeManifest(b), m);
      // Re-encoding what was read keeps it all.
      sameManifest(decodeManifest(encodeManifest(decodeManifest(a))), m);
    }
  });

  test('records in another order, with unknown names (a later version) and an empty padding, are read', () => {
    const m = sample(true);
    const data = handMade(
      [
        record('future-thing', rec()),
        record('state', m.state),
        record('', rec()),
        record('recovery', m.recovery!),
        record('x'.repeat(255), rec()),
        record('secrets', m.secrets),
        record('identity', m.identity),
        record('Identity', rec()),
      ],
      { pad: 0 },
    );
    const back = decodeManifest(data);
    sameManifest(back, m);
    assert.deepEqual(Object.keys(back).sort(), ['identity', 'recovery', 'secrets', 'state']);
  });

  test('names that are properties of every object are skipped, not taken for records', () => {
    const m = sample();
    const data = handMade([record('__proto__', rec()), record('constructor', rec()), record('identity', m.identity), record('secrets', m.secrets), record('state', m.state)]);
    const back = decodeManifest(data);
    sameManifest(back, m);
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
  });

  test('each missing record is a DamagedAccount of "root" that names it', () => {
    const m = sample(true);
    for (const missing of ['identity', 'secrets', 'state'] as const) {
      const names = (['identity', 'secrets', 'state', 'recovery'] as const).filter((n) => n !== missing);
      const data = handMade(names.map((n) => record(n, m[n]!)));
      assert.throws(
        () => decodeManifest(data),
        (err: unknown) => err instanceof DamagedAccount && err.part === 'root' && err.message.includes(`lacks "${missing}"`),
      );
    }
  });

  test('wrong-sized and wrong-typed fields under a valid checksum are DamagedAccount, never a crash', () => {
    const m = sample();
    const good = [record('identity', m.identity), record('secrets', m.secrets), record('state', m.state)];
    const cases: [string, Buffer][] = [
      ['count above the records', handMade(good, { count: 4 })],
      ['count below the records', handMade(good, { count: 2 })],
      ['count 255', handMade(good, { count: 255 })],
      ['count 0', handMade(good, { count: 0 })],
      ['no records at all', handMade([], { count: 3 })],
      ['a GHID of algorithm 0', handMade([Buffer.concat([Buffer.of(8), Buffer.from('identity'), Buffer.alloc(65), m.identity.master.toRecord()]), ...good.slice(1)])],
      ['a secret record without "SH"', handMade([Buffer.concat([Buffer.of(8), Buffer.from('identity'), m.identity.ghid.bytes, Buffer.alloc(SECRET_RECORD_LENGTH)]), ...good.slice(1)])],
      ['a secret of version 3', handMade([Buffer.concat([Buffer.of(8), Buffer.from('identity'), m.identity.ghid.bytes, Buffer.from(m.identity.master.toRecord()).fill(3, 3, 4)]), ...good.slice(1)])],
      ['a secret of cipher 2', handMade([Buffer.concat([Buffer.of(8), Buffer.from('identity'), m.identity.ghid.bytes, Buffer.from(m.identity.master.toRecord()).fill(2, 4, 5)]), ...good.slice(1)])],
      ['a secret record 52 bytes long', handMade([Buffer.concat([Buffer.of(8), Buffer.from('identity'), m.identity.ghid.bytes, m.identity.master.toRecord().subarray(0, 52)]), ...good.slice(1)])],
      ['a name length past the end', handMade([Buffer.of(200), ...good])],
      ['a padding length past the end', withSum(Buffer.concat([Buffer.from('HGXR'), Buffer.of(1, 3), ...good, Buffer.of(0xff, 0xff), randomBytes(10)]))],
      ['trailing bytes after the padding', withSum(Buffer.concat([Buffer.from('HGXR'), Buffer.of(1, 3), ...good, Buffer.of(0, 2), randomBytes(3)]))],
      ['no padding length', withSum(Buffer.concat([Buffer.from('HGXR'), Buffer.of(1, 3), ...good]))],
      ['a record of unknown name with a bad secret', handMade([...good, Buffer.concat([Buffer.of(3), Buffer.from('new'), m.identity.ghid.bytes, Buffer.alloc(SECRET_RECORD_LENGTH)])])],
      ['header and a count of 0 only', withSum(Buffer.concat([Buffer.from('HGXR'), Buffer.of(1, 0)]))],
    ];
    for (const [what, data] of cases) {
      assert.throws(
        () => decodeManifest(data),
        (err: unknown) => err instanceof DamagedAccount && err.part === 'root' && /damaged/.test(err.message),
        what,
      );
    }
  });

  test('every truncation and every bit flip of a manifest whose checksum is made to match gives a typed answer', () => {
    const m = sample(true);
    const encoded = encodeManifest(m);
    const body = encoded.subarray(0, -64);
    // Truncations of the body (checksum recomputed): past the header, each is damage.
    for (let cut = 0; cut < body.length; cut += cut < 700 ? 1 : 97) {
      const outcome = decodeOutcome(withSum(body.subarray(0, cut)));
      if (cut >= 6) assert.equal(outcome, 'damaged', `body cut to ${cut} bytes`);
      else assert.notEqual(outcome, 'ok', `body cut to ${cut} bytes`);
    }
    // Bit flips in the header and records (checksum recomputed): read as damage, another
    // version, or (a flip inside a GHID's digest or a key) as a different value, never a crash.
    const recordsEnd = 6 + ['identity', 'secrets', 'state', 'recovery'].reduce((n, s) => n + 1 + s.length + 65 + SECRET_RECORD_LENGTH, 0) + 2;
    for (let bit = 0; bit < recordsEnd * 8; bit++) {
      const flipped = Buffer.from(body);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      const outcome = decodeOutcome(withSum(flipped));
      if (bit < 32) assert.equal(outcome, 'version', `bit ${bit} of the magic`);
      else if (bit < 40) assert.ok(outcome === 'version' || outcome === 'damaged', `bit ${bit} of the version`);
      else assert.notEqual(outcome, 'password', `bit ${bit}: the checksum matched, so not a password problem`);
    }
  });

  test('a wrong secret, random bytes, empty and tiny inputs are "Incorrect password"', () => {
    const data = encodeManifest(sample());
    const wrongKey = Secret.random();
    assert.throws(() => decodeManifest(wrongKey.apply(Secret.random().apply(data))), IncorrectPassword);
    for (const n of [0, 1, 63, 64, 69, 70, 71, 200, 5000]) assert.throws(() => decodeManifest(randomBytes(n)), IncorrectPassword, `${n} random bytes`);
    assert.throws(() => decodeManifest(Buffer.alloc(4096)), IncorrectPassword, 'zeros');
  });

  test('a huge input is refused quickly as a wrong password, a huge but valid one is read', () => {
    assert.throws(() => decodeManifest(Buffer.alloc(16 * 1024 * 1024, 0x5a)), IncorrectPassword);
    const m = sample();
    const many = Array.from({ length: 252 }, (_, i) => record(`later-${i}`, rec()));
    const data = handMade([record('identity', m.identity), ...many, record('secrets', m.secrets), record('state', m.state)], { pad: 0xffff });
    sameManifest(decodeManifest(data), m);
  });

  test('our manifest version 2 is "made by a newer Hypergolix", with the version as data', () => {
    const data = handMade([], { version: 2, count: 0 });
    assert.throws(
      () => decodeManifest(data),
      (err: unknown) => err instanceof AccountFromOtherVersion && err.format === 'ours-v2' && /newer Hypergolix/.test(err.message) && /version 2/.test(err.message),
    );
  });

  test('a manifest version 0 (never written by any version) is not said to come from a newer Hypergolix', () => {
    const m = sample();
    const data = handMade([record('identity', m.identity), record('secrets', m.secrets), record('state', m.state)], { version: 0 });
    assert.throws(
      () => decodeManifest(data),
      (err: unknown) => (err instanceof AccountFromOtherVersion || err instanceof DamagedAccount) && !/newer/.test((err as Error).message),
      'version 0 is older than any manifest, or damage: "newer" sends the user to upgrade for nothing',
    );
  });

  test('damage the checksum catches, with the "HGXR" v1 header intact, is a damaged account, not a wrong password', () => {
    // A wrong password decrypts to noise: the chance that it begins with "HGXR" 01 is 2^-40.
    // When the header is there but the checksum fails, the password was right and the bytes
    // after it were damaged (a flipped bit, a truncated container): saying "Incorrect password"
    // sends the user to try other passwords for an account that no password will open.
    const data = encodeManifest(sample());
    const cases: [string, Buffer][] = [
      ['a bit flipped in a record', Buffer.from(data).fill(data[100]! ^ 0x10, 100, 101)],
      ['a bit flipped in the padding', Buffer.from(data).fill(data[800]! ^ 0x01, 800, 801)],
      ['a bit flipped in the checksum', Buffer.from(data).fill(data[data.length - 1]! ^ 0x80, data.length - 1)],
      ['the last byte cut', data.subarray(0, -1)],
      ['cut to half', data.subarray(0, data.length >> 1)],
      ['cut to 40 bytes', data.subarray(0, 40)],
      ['the header alone, checksummed (69 bytes)', withSum(Buffer.from('HGXR\x01', 'latin1'))],
      ['a byte appended', Buffer.concat([data, Buffer.of(0)])],
    ];
    for (const [what, damaged] of cases) {
      assert.equal(damaged.toString('latin1', 0, 5), 'HGXR\x01');
      assert.throws(
        () => decodeManifest(damaged),
        (err: unknown) => err instanceof DamagedAccount && err.part === 'root' && !(err instanceof UnknownSecret),
        what,
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------
// master-object.ts, in our format

describe('master-object.ts: master-secret objects', () => {
  test('create pushes a throwaway frame 0 then frame 1; frame 0 is refused as "no readable frame yet"', async () => {
    const io = new RecordingIO(await localIO());
    const me = v16Identity(0);
    const master = Secret.random();
    const obj = await MasterObject.create(io, me, master, Buffer.from('first state'));
    const frames = io.published.filter((o): o is Gobd => o.type === 'GOBD');
    assert.equal(frames.length, 2);
    const [zero, one] = frames as [Gobd, Gobd];
    assert.equal(zero.counter, 0n);
    assert.equal(zero.targets.length, 1);
    assert.equal(one.counter, 1n);
    assert.ok(one.dynamic.equals(obj.ghid) && zero.dynamic.equals(obj.ghid));
    assert.ok(obj.head.equals(one.ghid));
    assert.equal(obj.counter, 1n);
    assert.ok(obj.master.equals(master));
    assert.ok(one.targets[1]!.equals(zero.targets[0]!), 'frame 1 names the throwaway container as the one before');
    // Frame 1 reads from the master; frame 0 cannot, and says why, as a typed error.
    assert.equal((await MasterObject.readFrame(io, one, master, me.ghid)).toString(), 'first state');
    await assert.rejects(MasterObject.readFrame(io, zero, master, me.ghid), (err: unknown) => err instanceof UnknownSecret && /no readable frame yet/.test((err as Error).message));
  });

  test('an empty state is refused before anything is written', async () => {
    const io = new RecordingIO(await localIO());
    const obj = await MasterObject.create(io, v16Identity(0), Secret.random(), Buffer.from('x'));
    const before = io.published.length;
    await assert.rejects(obj.write(Buffer.alloc(0)), ValueError);
    assert.equal(io.published.length, before);
    await assert.rejects(MasterObject.create(io, v16Identity(0), Secret.random(), Buffer.alloc(0)), ValueError);
  });

  test('written states round-trip byte for byte, binary and large ones included', async () => {
    const io = await localIO();
    const me = v16Identity(0);
    const master = Secret.random();
    const states = [Buffer.of(0), randomBytes(1), randomBytes(70_000), Buffer.from('\u0000HGXR\u0001', 'latin1')];
    const obj = await MasterObject.create(io, me, master, states[0]!);
    for (const s of states.slice(1)) {
      await obj.write(s);
      const { plaintext, object } = await MasterObject.open(io, me, obj.ghid, master, me.ghid);
      assert.deepEqual(plaintext, s);
      assert.ok(object!.head.equals(obj.head));
      assert.equal(object!.counter, obj.counter);
    }
  });

  test('pins: a frame names the pinned object after the current container; every frame after still reads', async () => {
    const io = await localIO();
    const me = v16Identity(0);
    const master = Secret.random();
    const pinned = await MasterObject.create(io, me, Secret.random(), Buffer.from('pinned'));
    const obj = await MasterObject.create(io, me, master, Buffer.from('s1'));
    const read = async () => {
      const frame = (await io.fetch(obj.ghid)) as Gobd;
      return { frame, text: (await MasterObject.readFrame(io, frame, master, me.ghid)).toString() };
    };
    const c1 = ((await io.fetch(obj.ghid)) as Gobd).targets[0]!;
    await obj.write(Buffer.from('s2'), [pinned.ghid]);
    let { frame, text } = await read();
    assert.equal(text, 's2');
    assert.equal(frame.targets.length, 3);
    assert.ok(frame.targets[1]!.equals(c1) && frame.targets[2]!.equals(pinned.ghid));
    const c2 = frame.targets[0]!;
    await obj.write(Buffer.from('s3'));
    ({ frame, text } = await read());
    assert.equal(text, 's3');
    assert.ok(frame.targets[1]!.equals(c2));
    await obj.write(Buffer.from('s4'), [pinned.ghid]);
    ({ frame, text } = await read());
    assert.equal(text, 's4');
    assert.equal(frame.targets.length, 3, 'a pinned frame keeps only the current container and the pins');
    assert.ok(frame.targets[2]!.equals(pinned.ghid));
    // A frame in hand with a new master (a password change) writes under that master.
    const next = Secret.random();
    await MasterObject.at(io, me, next, frame).write(Buffer.from('s5'), [pinned.ghid]);
    ({ frame } = await read());
    assert.equal((await MasterObject.readFrame(io, frame, next, me.ghid)).toString(), 's5');
    assert.notEqual((await MasterObject.readFrame(io, frame, master, me.ghid)).toString(), 's5', 'the old master opens nothing any more');
  });

  test('another account\'s object is refused by its binder, whatever the master, and says whose it is', async () => {
    const io = await localIO();
    const theirs = v16Identity(1);
    const master = Secret.random();
    const obj = await MasterObject.create(io, theirs, master, Buffer.from('not yours'));
    const frame = (await io.fetch(obj.ghid)) as Gobd;
    await assert.rejects(MasterObject.readFrame(io, frame, master, v16Identity(0).ghid), (err: unknown) => {
      assert.ok(err instanceof UnknownSecret && !(err instanceof IncorrectPassword));
      assert.ok((err as Error).message.includes(theirs.ghid.short), 'names the binder');
      return true;
    });
    await assert.rejects(MasterObject.open(io, v16Identity(0), obj.ghid, master, v16Identity(0).ghid), UnknownSecret);
  });

  test('a frame whose container is not here is ContainerMissing, naming both', async () => {
    const io = new RecordingIO(await localIO());
    const me = v16Identity(0);
    const master = Secret.random();
    const obj = await MasterObject.create(io, me, master, Buffer.from('s1'));
    const frame = io.lastFrame();
    io.hide(frame.targets[0]!);
    await assert.rejects(MasterObject.readFrame(io, frame, master, me.ghid), (err: unknown) => {
      assert.ok(err instanceof ContainerMissing);
      assert.ok(err.container.equals(frame.targets[0]!) && err.dynamic.equals(obj.ghid));
      assert.match(err.message, /account object/);
      return true;
    });
  });

  test('opening a GHID that nobody has is a typed UnknownSecret naming it', async () => {
    const io = await localIO();
    const nowhere = Ghid.fromDigest(randomBytes(64));
    await assert.rejects(MasterObject.open(io, null, nowhere, Secret.random(), v16Identity(0).ghid), (err: unknown) => err instanceof UnknownSecret && (err as Error).message.includes(nowhere.short));
  });

  test('opening a GHID that names a container or an identity, not a dynamic object, does not say it could not be found', async () => {
    const io = new RecordingIO(await localIO());
    const me = v16Identity(0);
    await MasterObject.create(io, me, Secret.random(), Buffer.from('s1'));
    const container = io.published.filter((o) => o.type === 'GEOC').at(-1)!; // the current one (the first is collected by frame 1)
    for (const [what, ghid] of [
      ['a container', container.ghid],
      ['an identity', me.ghid],
    ] as const) {
      await assert.rejects(
        MasterObject.open(io, null, ghid, Secret.random(), me.ghid),
        (err: unknown) => err instanceof HypergolixError && !/could not be found/.test((err as Error).message),
        `${what} is there: "could not be found locally or on any remote" sends the user looking for a remote`,
      );
    }
  });

  test('canAdopt/adopt: a newer or concurrent frame of the same object only, never the one in hand or an older one', async () => {
    const local = await localIO();
    const io = new RecordingIO(local);
    const me = v16Identity(0);
    const master = Secret.random();
    const obj = await MasterObject.create(io, me, master, Buffer.from('s1'));
    const frame1 = io.lastFrame();
    // Two devices at frame 1 each write frame 2: concurrent frames of equal counter.
    const sinkA = new SinkIO(local);
    const sinkB = new SinkIO(local);
    await MasterObject.at(sinkA, me, master, frame1).write(Buffer.from('a'));
    await MasterObject.at(sinkB, me, master, frame1).write(Buffer.from('b'));
    const frameA = sinkA.published.find((o): o is Gobd => o.type === 'GOBD')!;
    const frameB = sinkB.published.find((o): o is Gobd => o.type === 'GOBD')!;
    assert.equal(frameA.counter, 2n);
    assert.equal(frameB.counter, 2n);

    assert.equal(obj.canAdopt(frame1), false, 'the frame in hand');
    assert.equal(obj.adopt(frameA), true);
    assert.ok(obj.head.equals(frameA.ghid));
    assert.equal(obj.counter, 2n);
    assert.equal(obj.canAdopt(frameB), true, 'a concurrent frame of equal counter is taken in');
    assert.equal(obj.canAdopt(frame1), false, 'an older frame is not');
    assert.equal(obj.adopt(frame1), false);
    assert.ok(obj.head.equals(frameA.ghid), 'a refused adopt changes nothing');
    const other = await MasterObject.create(new RecordingIO(local), me, master, Buffer.from('other'));
    const otherFrame = (await local.fetch(other.ghid)) as Gobd;
    assert.equal(obj.canAdopt(otherFrame), false, 'a frame of another object');
    // Whichever frame was adopted, the master reads both, and the next write is above both.
    assert.equal((await MasterObject.readFrame(sinkB, frameB, master, me.ghid)).toString(), 'b');
    assert.equal(obj.adopt(frameB), true);
    await obj.write(Buffer.from('merged'));
    assert.equal(obj.counter, 3n);
  });
});

// ---------------------------------------------------------------------------------------------
// The Python reference's accounts, read through MasterObject and decodeManifest

describe('the reference\'s accounts at the edges of MasterObject and decodeManifest', () => {
  const accounts = referenceAccounts().accounts;
  const pools = new Map<string, Pool>();
  const poolFor = (name: 'alice' | 'bob') => {
    if (!pools.has(name)) pools.set(name, poolOf(join(REFERENCE_ACCOUNTS, accounts[name].ghidcache)));
    return pools.get(name)!;
  };

  for (const name of ['alice', 'bob'] as const) {
    test(`${name}: the root node reads with its root secret, and its manifest is the Python format, said as such`, async () => {
      const e = accounts[name];
      const io = poolIO(poolFor(name));
      const fingerprint = Ghid.fromText(e.fingerprint);
      const { plaintext, object } = await MasterObject.open(io, null, Ghid.fromText(e.user_id), Secret.fromText(e.root_secret), fingerprint);
      assert.equal(object, null, 'no identity, no object to write with');
      const root = (e as unknown as { root_node: { plaintext: string } }).root_node;
      assert.deepEqual(plaintext, fromB64url(root.plaintext));
      assert.throws(
        () => decodeManifest(plaintext),
        (err: unknown) => err instanceof AccountFromOtherVersion && err.format === 'reference-0.1' && /Python Hypergolix/.test(err.message),
      );
      // The same bytes, one bit off, can no longer be told from a wrong password: that is what the checksum is for.
      const flipped = Buffer.from(plaintext);
      flipped[200]! ^= 1;
      assert.throws(() => decodeManifest(flipped), IncorrectPassword);
    });

    test(`${name}: every system object reads through MasterObject.open with its master secret`, async () => {
      const e = accounts[name];
      const io = poolIO(poolFor(name));
      const fingerprint = Ghid.fromText(e.fingerprint);
      assert.equal(Object.keys(e.system_objects).length, 11);
      for (const [objName, so] of Object.entries(e.system_objects)) {
        const { plaintext } = await MasterObject.open(io, null, Ghid.fromText(so.ghid), Secret.fromText(so.master_secret), fingerprint);
        assert.deepEqual(plaintext, fromB64url(so.plaintext), objName);
      }
    });
  }

  test('alice\'s root node, with bob\'s root secret or bob\'s fingerprint: a wrong password, another account', async () => {
    const alice = accounts.alice;
    const bob = accounts.bob;
    const io = poolIO(poolFor('alice'));
    const userId = Ghid.fromText(alice.user_id);
    const { plaintext } = await MasterObject.open(io, null, userId, Secret.fromText(bob.root_secret), Ghid.fromText(alice.fingerprint));
    assert.throws(() => decodeManifest(plaintext), IncorrectPassword);
    await assert.rejects(MasterObject.open(io, null, userId, Secret.fromText(alice.root_secret), Ghid.fromText(bob.fingerprint)), (err: unknown) => err instanceof UnknownSecret && (err as Error).message.includes(Ghid.fromText(alice.fingerprint).short));
  });

  test('2016 account A: MasterObject.readFrame opens the v15 primary manifest with the 2016 ratchet (salt = history[0])', async () => {
    const pool = poolOf(V2016_DIRS[0]!);
    const io = poolIO(pool);
    const fingerprint = Ghid.fromText(ACCOUNTS_2016[0].fingerprint);
    const userId = Ghid.fromText(ACCOUNTS_2016[0].userId);
    const frame = (await io.fetch(userId)) as Gobd;
    assert.equal(frame.version, 15);
    assert.ok(frame.history.length > 0);
    const master = await deriveRootSecret('hello world', fingerprint, LOW_2016_KDF);
    const container = await io.fetch(frame.targets[0]!);
    assert.equal(container?.type, 'GEOC');
    const expected = master.ratchet(userId, frame.history[0]!).apply(container.type === 'GEOC' ? container.payload : Buffer.alloc(0));
    const validator = await new Promise<Buffer>((resolve, reject) =>
      scrypt(master.key, Buffer.alloc(32), 32, { N: 1024, r: 8, p: 1 }, (err, out) => (err ? reject(err) : resolve(out))),
    );
    assert.deepEqual(expected.subarray(0, 32), validator, 'the vector itself: the password validator');
    // master-object.ts has a v15 branch (golix §8.2): it must be reachable.
    const plaintext = await MasterObject.readFrame(io, frame, master, fingerprint);
    assert.deepEqual(plaintext, expected);
  });

  test('2016: a first v15 frame (empty history) is refused with a typed error, not a TypeError', async () => {
    const pool = poolOf(V2016_DIRS[1]!);
    const io = poolIO(pool);
    const userId = Ghid.fromText(ACCOUNTS_2016[1].userId);
    const frame = (await io.fetch(userId)) as Gobd;
    // A first frame of the same binder, from the cache: its history is empty.
    const first = readdirSync(V2016_DIRS[1]!)
      .filter((f) => f.endsWith('.ghid'))
      .map((f) => parseObject(readFileSync(join(V2016_DIRS[1]!, f))))
      .find((o): o is Gobd => o.type === 'GOBD' && o.version === 15 && o.history.length === 0 && o.binder.equals(frame.binder));
    assert.ok(first, 'the 2016 set has first frames');
    await assert.rejects(MasterObject.readFrame(io, first, Secret.random(), frame.binder), (err: unknown) => err instanceof UnknownSecret && /no readable frame/.test((err as Error).message));
  });
});
