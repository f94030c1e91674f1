import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Account } from '../../../src/core/account/account.js';
import { IncorrectPassword } from '../../../src/core/account/errors.js';
import { Ghid, InvalidIdentity, Secret, fromB64url, parseObject, type Geoc, type GolixObject } from '../../../src/core/golix/index.js';
import { DamagedAccount, LegacyObjectMissing, NotThisFormat, PickleRefused } from '../../../src/core/legacy/errors.js';
import type { LegacyAccount } from '../../../src/core/legacy/legacy-account.js';
import { REFERENCE_MANIFEST_NAMES, openReferenceAccount } from '../../../src/core/legacy/reference-account.js';
import type { ObjectSource } from '../../../src/core/legacy/source.js';
import { LocalIO } from '../../fixtures/daemon/local-io.js';
import { ACCOUNTS_2016, REFERENCE_ACCOUNTS, SERVER_CACHE, engineOf, ghid, poolOf, referenceAccounts, type AccountEntry } from '../../fixtures/legacy.js';
import { tagManifest } from '../../fixtures/pickle-json.js';
import { V2016_DIRS, v16Identity } from '../../fixtures/vectors.js';

const NAMES = ['alice', 'bob'] as const;
const entry = (name: (typeof NAMES)[number]): AccountEntry => referenceAccounts().accounts[name];
const ownPool = (name: (typeof NAMES)[number]) => poolOf(join(REFERENCE_ACCOUNTS, entry(name).ghidcache));
const server = engineOf(SERVER_CACHE);

/** Each account is opened once per source with its password (scrypt N = 2^15), then shared by the tests. */
const opened = new Map<string, Promise<LegacyAccount>>();
function open(name: (typeof NAMES)[number], from: 'own' | 'server'): Promise<LegacyAccount> {
  const key = `${name}/${from}`;
  if (!opened.has(key)) {
    const source = from === 'own' ? Promise.resolve(ownPool(name).get) : server.then((s) => s.get);
    opened.set(key, source.then((s) => openReferenceAccount({ source: s, userId: ghid(entry(name).user_id), fingerprint: ghid(entry(name).fingerprint), password: entry(name).password })));
  }
  return opened.get(key)!;
}

/** The manifest's decoded dict/set items, tagged (see fixtures/pickle-json.ts). */
function decodedItems(name: (typeof NAMES)[number], object: string): unknown[] {
  const tagged = tagManifest(entry(name).system_objects[object]!.decoded as never) as Record<string, unknown[]>;
  return Object.values(tagged)[0]!;
}
const textOf = (tagged: unknown) => Object.values(tagged as Record<string, string>)[0]!;

function checkAgainstManifest(account: LegacyAccount, name: (typeof NAMES)[number]): void {
  const e = entry(name);
  assert.equal(account.format, 'reference-0.1');
  assert.equal(account.userId.text, e.user_id);
  assert.equal(account.fingerprint.text, e.fingerprint);
  assert.equal(account.rootSecret.text, e.root_secret);
  assert.deepEqual(account.systemObjects.map((o) => o.name), [...REFERENCE_MANIFEST_NAMES]);
  for (const o of account.systemObjects) {
    const m = e.system_objects[o.name]!;
    assert.deepEqual([o.ghid.text, o.master!.text, o.frame.text, o.container.text], [m.ghid, m.master_secret, m.frame, m.container], o.name);
  }
  const secrets = (object: string) => decodedItems(name, object).map((pair) => (pair as unknown[]).map(textOf));
  assert.deepEqual([...account.persistentSecrets].map(([k, s]) => [k, s.text]), secrets('privateer_persistent'));
  assert.deepEqual([...account.quarantinedSecrets].map(([k, s]) => [k, s.text]), secrets('privateer_quarantine'));
  const tokens = decodedItems(name, 'dispatch_tokens').map(textOf).filter((t) => !/^A+=*$/.test(t));
  assert.deepEqual(account.appTokens.map((t) => fromB64url(tokens[0]!).equals(t)), [true]);
  assert.equal(tokens.length, 1);
  const token = account.appTokens[0]!;
  assert.deepEqual(account.startupObjects.map((s) => [s.token.equals(token), s.ghid.text]), [[true, e.app_objects.find((a) => a.startup_object)!.ghid]]);
  assert.deepEqual(account.privateObjects.map((p) => [p.ghid.text, p.token.equals(token)]), [[e.app_objects.find((a) => a.private)!.ghid, true]]);
  assert.deepEqual(account.incomingShares.map((s) => [s.ghid.text, s.origin.text]), e.orphan_shares.map((s) => [s.ghid, s.origin]));
  assert.deepEqual([account.pendingRequests, account.outstandingShares], [[], []]);
}

for (const name of NAMES) {
  test(`${name}: opens from its own ghidcache; every system object reads as the manifest records it`, async () => {
    checkAgainstManifest(await open(name, 'own'), name);
  });

  test(`${name}: the identity's keys rebuild the account's GIDC byte for byte`, async () => {
    const account = await open(name, 'own');
    const gidc = ownPool(name).get(account.fingerprint) as GolixObject;
    assert.equal(gidc.type, 'GIDC');
    assert.ok(account.identity.publicIdentity.raw.equals(gidc.raw));
    const keys = account.identity.exportRaw();
    assert.ok(keys.signing.length > 2000 && keys.encryption.length > 2000 && keys.exchange.length === 32);
  });

  test(`${name}: opens from server/ghidcache alone, through a RulesEngine that verified every object`, async () => {
    const [fromServer, own] = await Promise.all([open(name, 'server'), open(name, 'own')]);
    checkAgainstManifest(fromServer, name);
    assert.ok(fromServer.identity.publicIdentity.raw.equals(own.identity.publicIdentity.raw));
  });
}

/** A source that records what it was asked for. */
function recording(source: ObjectSource): { source: ObjectSource; asked: string[] } {
  const asked: string[] = [];
  return { asked, source: (g) => (asked.push(g.text), source(g)) };
}

test('a wrong password fails as IncorrectPassword at the root checksum, before any system object is read', async () => {
  const e = entry('alice');
  const { source, asked } = recording(ownPool('alice').get);
  await assert.rejects(openReferenceAccount({ source, userId: ghid(e.user_id), password: `${e.password}!` }), IncorrectPassword);
  const root = ownPool('alice').get(ghid(e.user_id)) as GolixObject & { targets: Ghid[] };
  assert.deepEqual(asked, [e.user_id, root.targets[0]!.text]);
});

test('a root secret opens the account without the password; with neither, a ValueError', async () => {
  const e = entry('bob');
  const account = await openReferenceAccount({ source: ownPool('bob').get, userId: ghid(e.user_id), rootSecret: Secret.fromText(e.root_secret) });
  checkAgainstManifest(account, 'bob');
  await assert.rejects(openReferenceAccount({ source: ownPool('bob').get, userId: ghid(e.user_id) }), { name: 'ValueError' });
});

test('a configured fingerprint other than the root binder is refused', async () => {
  const e = entry('alice');
  await assert.rejects(
    openReferenceAccount({ source: ownPool('alice').get, userId: ghid(e.user_id), fingerprint: ghid(entry('bob').fingerprint), rootSecret: Secret.fromText(e.root_secret) }),
    InvalidIdentity,
  );
});

test('other formats are NotThisFormat, saying which: a 2016 account, one of ours, no account at all', async () => {
  const pool2016 = poolOf(V2016_DIRS[0]!);
  await assert.rejects(openReferenceAccount({ source: pool2016.get, userId: ghid(ACCOUNTS_2016[0].userId), password: 'hello world' }), (err) => {
    assert.ok(err instanceof NotThisFormat);
    assert.deepEqual([err.expected, err.found], ['reference-0.1', '2016']);
    return true;
  });
  const kdf = { algorithm: 'scrypt', n: 1024, r: 8, p: 1 } as const;
  const io = await LocalIO.create();
  await io.publish(parseObject(v16Identity(0).publicIdentity.raw));
  const ours = await Account.create({ io, password: 'pw', kdf, device: 'test', identity: v16Identity(0) });
  await assert.rejects(openReferenceAccount({ source: (g) => io.fetch(g), userId: ours.userId, password: 'pw', kdf }), (err) => {
    assert.ok(err instanceof NotThisFormat);
    assert.deepEqual([err.expected, err.found], ['reference-0.1', 'ours']);
    return true;
  });
  const e = entry('alice');
  const aContainer = e.app_objects.find((a) => a.label === 'static')!.ghid;
  await assert.rejects(openReferenceAccount({ source: ownPool('alice').get, userId: ghid(aContainer), password: e.password }), (err) => {
    assert.ok(err instanceof NotThisFormat);
    assert.equal(err.found, null);
    return true;
  });
});

test('a missing object is a LegacyObjectMissing naming its role and GHID', async () => {
  const e = entry('alice');
  const pool = ownPool('alice');
  const tokens = e.system_objects.dispatch_tokens!;
  const without = (text: string): ObjectSource => (g) => (g.text === text ? null : pool.get(g));
  const rootSecret = Secret.fromText(e.root_secret);
  await assert.rejects(openReferenceAccount({ source: without(tokens.container), userId: ghid(e.user_id), rootSecret }), (err) => {
    assert.ok(err instanceof LegacyObjectMissing);
    assert.deepEqual([err.role, err.ghid.text], ['dispatch_tokens container', tokens.container]);
    return true;
  });
  await assert.rejects(openReferenceAccount({ source: without(e.user_id), userId: ghid(e.user_id), rootSecret }), (err) => {
    assert.ok(err instanceof LegacyObjectMissing);
    assert.equal(err.role, 'root node');
    return true;
  });
});

test('right checksum, wrong content: a hostile pickle in a system object is a DamagedAccount caused by the refusal', async () => {
  const e = entry('alice');
  const pool = ownPool('alice');
  const tokens = e.system_objects.dispatch_tokens!;
  const real = pool.get(ghid(tokens.container)) as Geoc;
  // What CPython pickles for os.system('id'), encrypted under the container's real secret: only a
  // signature check (the source's job) could tell it from the real container.
  const hostile = Buffer.from('8004951d000000000000008c05706f736978948c0673797374656d9493948c02696494859452942e', 'hex');
  const forged: Geoc = { ...real, payload: Secret.fromText(tokens.container_secret).apply(hostile) };
  const source: ObjectSource = (g) => (g.text === tokens.container ? forged : pool.get(g));
  await assert.rejects(openReferenceAccount({ source, userId: ghid(e.user_id), rootSecret: Secret.fromText(e.root_secret) }), (err) => {
    assert.ok(err instanceof DamagedAccount);
    assert.equal(err.part, 'dispatch_tokens');
    assert.ok(err.cause instanceof PickleRefused);
    assert.deepEqual([err.cause.fault, err.cause.className], ['global', 'posix.system']);
    return true;
  });
});

test('a system object bound by someone else is damaged, not read', async () => {
  const e = entry('alice');
  const pool = ownPool('alice');
  const bobRoot = ownPool('bob').get(ghid(entry('bob').user_id))!;
  const startup = e.system_objects.dispatch_startup!;
  const source: ObjectSource = (g) => (g.text === startup.ghid ? { ...bobRoot, dynamic: ghid(startup.ghid) } : pool.get(g));
  await assert.rejects(openReferenceAccount({ source, userId: ghid(e.user_id), rootSecret: Secret.fromText(e.root_secret) }), (err) => {
    assert.ok(err instanceof DamagedAccount);
    assert.equal(err.part, 'dispatch_startup');
    return true;
  });
});
