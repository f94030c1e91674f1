// Opening accounts whatever made them: our format, the Python Hypergolix's (0.1 and 2016),
// brought over into ours; and the four failures a person must tell apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountFromOtherVersion, AccountNotFound, AccountUnreachable, DamagedAccount, IncorrectPassword } from '../../../src/core/account/errors.js';
import { REFERENCE_KDF, type KdfParams } from '../../../src/core/account/kdf.js';
import { MasterObject } from '../../../src/core/account/master-object.js';
import { Daemon, type AccountRequest } from '../../../src/core/daemon/daemon.js';
import { fromB64url, Ghid, Secret } from '../../../src/core/golix/index.js';
import { open2016Account } from '../../../src/core/legacy/account-2016.js';
import { readAppObjects } from '../../../src/core/legacy/app-objects.js';
import { openReferenceAccount } from '../../../src/core/legacy/reference-account.js';
import { silentLogger } from '../../../src/core/remote/logger.js';
import { PersistenceServer } from '../../../src/core/remote/server.js';
import { ACCOUNTS_2016, engineOf, KDF_2016, poolOf, REFERENCE_ACCOUNTS, referenceAccounts, SERVER_CACHE, STATE_2016 } from '../../fixtures/legacy.js';
import { V2016_DIRS, v16Identity } from '../../fixtures/vectors.js';
import { freePort } from '../../fixtures/free-port.js';

const dirs: string[] = [];
const stops: (() => Promise<unknown>)[] = [];
test.after(async () => {
  for (const s of stops.reverse()) await s().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => (dirs.push(mkdtempSync(join(tmpdir(), 'hgx-open-'))), dirs.at(-1)!);

async function daemon(ghidcache: string, account: AccountRequest, remotes: number[] = []): Promise<Daemon> {
  const d = await Daemon.start({ ghidcache, remotes: remotes.map((port) => ({ host: '127.0.0.1', port, tls: false })), logger: silentLogger, account, remoteWaitMs: 5000 });
  stops.push(() => d.stop());
  return d;
}

function copyCache(from: string): string {
  const to = join(tempDir(), 'ghidcache');
  cpSync(from, to, { recursive: true });
  return to;
}

async function referenceServer(): Promise<number> {
  const { engine } = await engineOf(SERVER_CACHE);
  const server = new PersistenceServer({ engine, port: 0, host: '127.0.0.1' });
  const { port } = await server.listen();
  stops.push(() => server.close());
  return port;
}

const login = (userId: string, password: string, kdf: KdfParams, fingerprint?: string): AccountRequest => ({
  login: { userId: Ghid.fromText(userId), password, kdf, fingerprint: fingerprint ? Ghid.fromText(fingerprint) : null },
});

/** Every app object of the reference account reads back through the daemon with its api_id and final state. */
async function expectAppObjects(d: Daemon, name: 'alice' | 'bob'): Promise<void> {
  const e = referenceAccounts().accounts[name];
  const objects = [...e.app_objects, ...e.received_shares];
  assert.ok(objects.length >= 4, 'the manifest lists app objects');
  for (const want of objects) {
    const obj = await d.objects.open(Ghid.fromText(want.ghid));
    assert.ok(obj.apiId.equals(fromB64url(want.api_id)), `${name} ${want.label ?? 'share'}: api_id`);
    assert.equal(obj.state.toString('base64url'), fromB64url(want.state).toString('base64url'), `${name} ${want.label ?? 'share'}: state`);
  }
}

const files = (dir: string) => Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.ghid')).map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));

test('a reference account in a copied ghidcache is brought over: same identity, app objects readable, the original untouched', async () => {
  const e = referenceAccounts().accounts.alice;
  const cache = copyCache(join(REFERENCE_ACCOUNTS, e.ghidcache));
  const before = files(cache);
  const d = await daemon(cache, login(e.user_id, e.password, REFERENCE_KDF, e.fingerprint));
  assert.equal(d.fingerprint.text, e.fingerprint, 'the identity is kept');
  assert.equal(d.broughtOver?.format, 'reference-0.1');
  assert.equal(d.broughtOver?.from.text, e.user_id);
  assert.ok(d.broughtOver?.to.equals(d.userId) && !d.userId.equals(Ghid.fromText(e.user_id)));
  assert.equal(d.broughtOver?.appObjects, e.app_objects.length);
  await expectAppObjects(d, 'alice');
  await d.stop();

  // The reference's objects are byte for byte as they were, and still open as the reference's.
  const after = files(cache);
  for (const [name, bytes] of Object.entries(before)) assert.equal(after[name], bytes, `${name} unchanged`);
  const pool = poolOf(cache);
  const legacy = await openReferenceAccount({ source: pool.get, userId: Ghid.fromText(e.user_id), rootSecret: Secret.fromText(e.root_secret) });
  assert.equal(legacy.fingerprint.text, e.fingerprint);

  // The old user ID now opens the account brought over (through its bridge), without bringing it over again.
  const again = await daemon(cache, login(e.user_id, e.password, REFERENCE_KDF));
  assert.equal(again.broughtOver, null);
  assert.ok(again.userId.equals(d.userId));
  await expectAppObjects(again, 'alice');
});

test('a reference account on a server: brought over from an empty cache, then found from the old user ID by a second computer', async () => {
  const e = referenceAccounts().accounts.bob;
  const port = await referenceServer();
  const first = await daemon(join(tempDir(), 'ghidcache'), login(e.user_id, e.password, REFERENCE_KDF), [port]);
  assert.equal(first.broughtOver?.format, 'reference-0.1');
  await expectAppObjects(first, 'bob');
  // Let the remote hold everything the bring-over wrote.
  for (let i = 0; i < 500 && first.network.status().some((r) => r.pending > 0); i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(first.network.status().map((r) => r.pending), [0]);

  const second = await daemon(join(tempDir(), 'ghidcache'), login(e.user_id, e.password, REFERENCE_KDF), [port]);
  assert.equal(second.broughtOver, null, 'found through the bridge on the server');
  assert.ok(second.userId.equals(first.userId));
  await expectAppObjects(second, 'bob');
});

test('2016 accounts open from a copied ghidcache with "hello world", their app objects readable', async () => {
  for (const [i, dir] of V2016_DIRS.entries()) {
    const a = ACCOUNTS_2016[i]!;
    const d = await daemon(copyCache(dir), login(a.userId, 'hello world', KDF_2016));
    assert.equal(d.broughtOver?.format, '2016');
    assert.equal(d.fingerprint.text, a.fingerprint);
    assert.ok(d.broughtOver!.appObjects >= 1, 'the demo object came along');
    const pool = poolOf(dir);
    const legacy = await open2016Account({ source: pool.get, userId: Ghid.fromText(a.userId), password: 'hello world', kdf: KDF_2016 });
    const { objects } = await readAppObjects(legacy, pool.get, pool.bindingsOf);
    assert.equal(objects.length, d.broughtOver!.appObjects);
    for (const o of objects) assert.ok((await d.objects.open(o.ghid)).state.equals(STATE_2016), 'the demo message reads back');
    await d.stop();
  }
});

test('the four failures: wrong password, another version, damaged, not found (and remotes out of reach)', async () => {
  const e = referenceAccounts().accounts.alice;
  const cache = copyCache(join(REFERENCE_ACCOUNTS, e.ghidcache));
  await assert.rejects(daemon(cache, login(e.user_id, 'not the password', REFERENCE_KDF)), IncorrectPassword);
  const unknown = v16Identity(0).ghid.text;
  await assert.rejects(daemon(cache, login(unknown, 'whatever-password', REFERENCE_KDF)), (err: unknown) => err instanceof AccountNotFound && /in the local cache/.test(err.message));
  const deadPort = await freePort();
  await assert.rejects(daemon(join(tempDir(), 'ghidcache'), login(e.user_id, e.password, REFERENCE_KDF), [deadPort]), AccountUnreachable);

  // Accounts of our format written by a newer version, or damaged inside: the password is right both times.
  const kdf = { ...REFERENCE_KDF, n: 1024 };
  const made = await daemon(join(tempDir(), 'ghidcache'), { create: { password: 'pw-for-damage-1', kdf, identity: v16Identity(1) } });
  const io = made.network;
  const { deriveRootSecret } = await import('../../../src/core/account/kdf.js');
  const { createHash } = await import('node:crypto');
  const root = await deriveRootSecret('pw-for-damage-1', made.fingerprint, kdf);
  const withSum = (body: Buffer) => Buffer.concat([body, createHash('sha512').update(body).digest()]);
  const newer = await MasterObject.create(io, made.identity, root, withSum(Buffer.concat([Buffer.from('HGXR'), Buffer.of(2, 0), Buffer.alloc(40)])));
  const broken = await MasterObject.create(io, made.identity, root, withSum(Buffer.concat([Buffer.from('HGXR'), Buffer.of(1, 3), Buffer.alloc(40)])));
  await made.stop();
  const at = (g: Ghid) => ({ login: { userId: g, password: 'pw-for-damage-1', kdf } });
  const home = dirs.at(-1)!;
  await assert.rejects(daemon(join(home, 'ghidcache'), at(newer.ghid)), (err: unknown) => err instanceof AccountFromOtherVersion && /newer Hypergolix/.test(err.message));
  await assert.rejects(daemon(join(home, 'ghidcache'), at(broken.ghid)), DamagedAccount);
});
