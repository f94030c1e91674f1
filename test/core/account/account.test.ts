import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidIdentity, UnknownSecret } from '../../../src/core/golix/index.js';
import { Account } from '../../../src/core/account/account.js';
import { REFERENCE_KDF } from '../../../src/core/account/kdf.js';
import { v16Identity } from '../../fixtures/vectors.js';
import { LocalIO } from '../../fixtures/daemon/local-io.js';

// Cheap KDF parameters: these tests are about the account format, not about scrypt's cost.
const kdf = { ...REFERENCE_KDF, n: 1024 };

async function created() {
  const io = await LocalIO.create();
  const stages: string[] = [];
  const account = await Account.create({ io, password: 'correct horse', kdf, device: 'a', identity: v16Identity(0), onProgress: (p) => stages.push(p.stage) });
  return { io, account, stages };
}

test('create, then log in with the password: same fingerprint, user ID and identity keys', async () => {
  const { io, account, stages } = await created();
  assert.deepEqual(stages, ['password', 'objects', 'done']);
  const again = await Account.login({ io, userId: account.userId, password: 'correct horse', kdf, device: 'a' });
  assert.ok(again.fingerprint.equals(v16Identity(0).ghid));
  assert.ok(again.userId.equals(account.userId));
  assert.deepEqual(again.identity.serialize(), account.identity.serialize());
});

test('a wrong password is reported as such and writes nothing', async () => {
  const { io, account } = await created();
  const before = io.engine.stats();
  await assert.rejects(Account.login({ io, userId: account.userId, password: 'wrong', kdf, device: 'a' }), (e: unknown) => e instanceof UnknownSecret && /Incorrect password/.test(String(e)));
  assert.deepEqual(io.engine.stats(), before);
});

test('the root secret logs in without a password; a mismatched fingerprint is refused', async () => {
  const { io, account } = await created();
  const again = await Account.login({ io, userId: account.userId, rootSecret: account.rootSecret, device: 'b' });
  assert.ok(again.fingerprint.equals(account.fingerprint));
  await assert.rejects(Account.login({ io, userId: account.userId, fingerprint: v16Identity(1).ghid, password: 'correct horse', kdf, device: 'a' }), InvalidIdentity);
});

test('two devices change the account concurrently and neither change is lost', async () => {
  const { io, account: a } = await created();
  const b = await Account.login({ io, userId: a.userId, password: 'correct horse', kdf, device: 'b' });
  a.state.set('from-a', 1);
  b.state.set('from-b', 2);
  await a.state.flush();
  await b.state.flush(); // conflicts with a's frame, merges, writes on top
  await a.state.refresh();
  const c = await Account.login({ io, userId: a.userId, password: 'correct horse', kdf, device: 'c' });
  for (const acct of [a, b, c]) assert.deepEqual(Object.fromEntries(acct.state.entries()), { 'from-a': 1, 'from-b': 2 });
});
