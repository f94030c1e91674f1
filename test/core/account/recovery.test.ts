// Recovery kits in the account format: a key typed back (case, dashes, O/0 and I/L/1 forgiven,
// typos caught by the check group), opening the account without its password and setting a new
// one (the old password opens nothing after), a password change that keeps the kit working, and
// a new kit that revokes the old key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Account } from '../../../src/core/account/account.js';
import { IncorrectPassword, NoRecoveryKit, RecoveryKeyTypo, WrongRecoveryKey } from '../../../src/core/account/errors.js';
import { REFERENCE_KDF } from '../../../src/core/account/kdf.js';
import { decodeRecoveryKey, encodeRecoveryKey, newRecoveryKey } from '../../../src/core/account/recovery.js';
import { LocalIO } from '../../fixtures/daemon/local-io.js';
import { v16Identity } from '../../fixtures/vectors.js';

const kdf = { ...REFERENCE_KDF, n: 1024 };

async function created() {
  const io = await LocalIO.create();
  const account = await Account.create({ io, password: 'old password 1', kdf, device: 'a', identity: v16Identity(0) });
  return { io, account };
}

const login = (io: LocalIO, account: Account, password: string, recoveryKey?: Uint8Array) =>
  Account.login({ io, userId: account.userId, password, recoveryKey, kdf, device: 'b' });

test('a recovery key is 9 groups of 4; typed back in any case, with O for 0 and l for 1, it decodes; a typo is caught', () => {
  for (let i = 0; i < 50; i++) {
    const key = newRecoveryKey();
    assert.match(key.text, /^([0-9A-HJKMNP-TV-Z]{4}-){8}[0-9A-HJKMNP-TV-Z]{4}$/);
    assert.deepEqual(decodeRecoveryKey(key.text), key.bytes);
    assert.deepEqual(decodeRecoveryKey(` ${key.text.toLowerCase().replace(/-/g, ' ')} `), key.bytes);
  }
  const key = newRecoveryKey();
  assert.deepEqual(decodeRecoveryKey(encodeRecoveryKey(key.bytes).replace(/0/g, 'O').replace(/1/g, 'l')), key.bytes);
  const typo = key.text.slice(0, 5) + (key.text[5] === 'A' ? 'B' : 'A') + key.text.slice(6);
  assert.throws(() => decodeRecoveryKey(typo), (e: unknown) => e instanceof RecoveryKeyTypo && /mistyped/.test((e as Error).message));
  assert.throws(() => decodeRecoveryKey(key.text.slice(0, -1)), (e: unknown) => e instanceof RecoveryKeyTypo && /has 35/.test((e as Error).message));
  assert.throws(() => decodeRecoveryKey(`U${key.text.slice(1)}`), (e: unknown) => e instanceof RecoveryKeyTypo && /no "U"/.test((e as Error).message));
});

test('the key opens the account without its password and sets a new one; the old password opens nothing after', async () => {
  const { io, account } = await created();
  assert.equal(account.hasRecoveryKit, false);
  const key = await account.makeRecoveryKey();
  assert.equal(account.hasRecoveryKit, true);
  // The kit changes nothing for the password.
  assert.ok((await login(io, account, 'old password 1')).fingerprint.equals(account.fingerprint));

  const recovered = await login(io, account, 'new password 2', decodeRecoveryKey(key.text));
  assert.ok(recovered.fingerprint.equals(account.fingerprint));
  assert.deepEqual(recovered.identity.serialize(), account.identity.serialize());
  await assert.rejects(login(io, account, 'old password 1'), IncorrectPassword);
  const withNew = await login(io, account, 'new password 2');
  assert.equal(withNew.hasRecoveryKit, true, 'the kit survives the recovery');
  // A password change keeps the kit: the key still opens the account.
  await withNew.changePassword('third password 3', kdf);
  assert.ok((await login(io, account, 'fourth password 4', key.bytes)).fingerprint.equals(account.fingerprint));
});

test('a new kit revokes the old key; a key of another account, or an account without a kit, are told apart', async () => {
  const { io, account } = await created();
  await assert.rejects(login(io, account, 'new password 2', newRecoveryKey().bytes), NoRecoveryKit);
  const first = await account.makeRecoveryKey();
  const second = await account.makeRecoveryKey();
  await assert.rejects(login(io, account, 'new password 2', first.bytes), WrongRecoveryKey);
  await assert.rejects(login(io, account, 'new password 2', newRecoveryKey().bytes), WrongRecoveryKey);
  assert.ok((await login(io, account, 'new password 2', second.bytes)).fingerprint.equals(account.fingerprint));
});
