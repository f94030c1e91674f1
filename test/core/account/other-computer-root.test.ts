// Root-node writes (a password change, a recovery kit) on a computer that opened the account
// before another computer of it changed the root: the newest root frame is read first, so the
// other computer's password is never silently replaced by the older one this computer holds,
// and its recovery kit is carried on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Account } from '../../../src/core/account/account.js';
import { IncorrectPassword, PasswordChangedElsewhere, WrongRecoveryKey } from '../../../src/core/account/errors.js';
import { REFERENCE_KDF } from '../../../src/core/account/kdf.js';
import { LocalIO } from '../../fixtures/daemon/local-io.js';
import { v16Identity } from '../../fixtures/vectors.js';

const kdf = { ...REFERENCE_KDF, n: 1024 };

/** One account, open on two computers (one store stands for what the remotes hold). */
async function twoComputers() {
  const io = await LocalIO.create();
  const a = await Account.create({ io, password: 'first password 1', kdf, device: 'a', identity: v16Identity(0) });
  const b = await Account.login({ io, userId: a.userId, password: 'first password 1', kdf, device: 'b' });
  const login = (password: string, recoveryKey?: Uint8Array) => Account.login({ io, userId: a.userId, password, recoveryKey, kdf, device: 'c' });
  return { a, b, login };
}

test('a kit made on a computer still holding the old password does not bring that password back', async () => {
  const { a, b, login } = await twoComputers();
  await a.changePassword('second password 2', kdf);
  await assert.rejects(b.makeRecoveryKey(), (e: unknown) => e instanceof PasswordChangedElsewhere && e instanceof IncorrectPassword && /changed on another computer/.test((e as Error).message));
  assert.ok((await login('second password 2')).fingerprint.equals(a.fingerprint), 'the new password still opens the account');
  await assert.rejects(login('first password 1'), IncorrectPassword);
});

test('a password change on a computer still holding the old password is refused, not written over the other', async () => {
  const { a, b, login } = await twoComputers();
  await a.changePassword('second password 2', kdf);
  await assert.rejects(b.changePassword('third password 3', kdf), PasswordChangedElsewhere);
  assert.ok((await login('second password 2')).fingerprint.equals(a.fingerprint));
  await assert.rejects(login('third password 3'), IncorrectPassword);
});

test('a recovery on one computer: the other, still running on the lost password, cannot write it back', async () => {
  const { a, b, login } = await twoComputers();
  const key = await a.makeRecoveryKey();
  await login('recovered password 4', key.bytes);
  await assert.rejects(b.changePassword('another password 5', kdf), PasswordChangedElsewhere);
  await assert.rejects(b.makeRecoveryKey(), PasswordChangedElsewhere);
  assert.ok((await login('recovered password 4')).fingerprint.equals(a.fingerprint));
  // The kit used once opens the account again (it was not replaced).
  assert.ok((await login('recovered password 6', key.bytes)).fingerprint.equals(a.fingerprint));
});

test('a password change after another computer made a kit keeps that kit in the manifest', async () => {
  const { a, b, login } = await twoComputers();
  const key = await a.makeRecoveryKey();
  assert.equal(b.hasRecoveryKit, false, 'b opened the account before the kit');
  await b.changePassword('second password 2', kdf);
  assert.equal(b.hasRecoveryKit, true);
  const c = await login('second password 2');
  assert.equal(c.hasRecoveryKit, true, 'the account still says it has a kit');
  assert.ok((await login('third password 3', key.bytes)).fingerprint.equals(a.fingerprint), 'and the kit still opens it');
});

test('a kit made on a computer that had not seen the other computer’s kit revokes that kit', async () => {
  const { a, b, login } = await twoComputers();
  const first = await a.makeRecoveryKey();
  const second = await b.makeRecoveryKey();
  await assert.rejects(login('new password 2', first.bytes), WrongRecoveryKey);
  assert.ok((await login('new password 2', second.bytes)).fingerprint.equals(a.fingerprint));
});
