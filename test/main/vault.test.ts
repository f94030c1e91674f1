// "Unlock automatically": safeStorage (a fake standing in for Electron's, counting every call)
// is reached only when the option is used, through the async API; Linux's fixed-key fallback is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NoSecureStorage, SafeStorageVault, type SafeStoragePort } from '../../src/main/vault.js';

const temps: string[] = [];
test.after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'hgx-vault-'));
  temps.push(d);
  return d;
};

class FakeSafeStorage implements SafeStoragePort {
  calls: string[] = [];
  reEncrypt = false;
  constructor(
    public ok = true,
    public backend = 'gnome_libsecret',
  ) {}
  async isAsyncEncryptionAvailable() {
    this.calls.push('available');
    return this.ok;
  }
  getSelectedStorageBackend() {
    this.calls.push('backend');
    return this.backend;
  }
  async encryptStringAsync(plain: string) {
    this.calls.push('encrypt');
    return Buffer.from(Buffer.from(plain, 'utf8').map((b) => b ^ 0x5a));
  }
  async decryptStringAsync(buf: Buffer) {
    this.calls.push('decrypt');
    return { result: Buffer.from(buf.map((b) => b ^ 0x5a)).toString('utf8'), shouldReEncrypt: this.reEncrypt };
  }
}

const secret = Buffer.from('{"v":1,"secret":"AAAA"}');

test('vault: the secret goes through safeStorage (async) into a 0600 file, encrypted', async () => {
  const file = join(temp(), 'unlock-secret.bin');
  const storage = new FakeSafeStorage();
  const vault = new SafeStorageVault(storage, file, 'linux', []);
  assert.equal(await vault.load(), null);
  await vault.save(secret);
  assert.deepEqual(await vault.load(), secret);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(readFileSync(file).includes(Buffer.from(secret.toString('base64'))), false, 'encrypted on disk');
  await vault.clear();
  assert.equal(existsSync(file), false);
  await vault.clear();
});

test('vault: available() never touches safeStorage, however often the status asks', async () => {
  const storage = new FakeSafeStorage();
  const vault = new SafeStorageVault(storage, join(temp(), 'v.bin'), 'darwin', []);
  for (let i = 0; i < 100; i++) assert.equal(vault.available(), true);
  assert.deepEqual(storage.calls, [], 'no keychain access for a status snapshot');
  assert.equal(await vault.load(), null, 'no file: nothing to decrypt');
  assert.deepEqual(storage.calls, [], 'and no keychain access without a saved secret');
});

test('vault: Linux without a keyring (basic_text) is refused with a typed error, and then no longer offered', async () => {
  const file = join(temp(), 'v.bin');
  const storage = new FakeSafeStorage(true, 'basic_text');
  const vault = new SafeStorageVault(storage, file, 'linux', []);
  assert.equal(vault.available(), true, 'unknown until used');
  await assert.rejects(vault.save(secret), (e: unknown) => e instanceof NoSecureStorage && /keyring/.test(e.message));
  assert.equal(existsSync(file), false, 'nothing written');
  assert.equal(vault.available(), false);
  assert.equal(storage.calls.includes('encrypt'), false);

  assert.equal(new SafeStorageVault(new FakeSafeStorage(), file, 'linux', ['electron', '--password-store=basic']).available(), false, 'known from the command line');
  assert.equal(new SafeStorageVault(new FakeSafeStorage(true, 'basic_text'), file, 'darwin', []).available(), true, 'basic_text means nothing off Linux');
});

test('vault: no keychain at all: save fails, load of an old file gives null, the option is withdrawn', async () => {
  const file = join(temp(), 'v.bin');
  await new SafeStorageVault(new FakeSafeStorage(), file, 'win32', []).save(secret);
  const off = new SafeStorageVault(new FakeSafeStorage(false), file, 'win32', []);
  assert.equal(await off.load(), null);
  assert.equal(off.available(), false);
  await assert.rejects(off.save(secret), NoSecureStorage);
});

test('vault: a rotated OS key (shouldReEncrypt) re-encrypts the file on load', async () => {
  const file = join(temp(), 'v.bin');
  const storage = new FakeSafeStorage();
  const vault = new SafeStorageVault(storage, file, 'darwin', []);
  await vault.save(secret);
  storage.reEncrypt = true;
  storage.calls = [];
  assert.deepEqual(await vault.load(), secret);
  assert.deepEqual(storage.calls, ['available', 'decrypt', 'available', 'encrypt']);
});
