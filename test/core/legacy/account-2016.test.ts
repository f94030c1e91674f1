import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { IncorrectPassword } from '../../../src/core/account/errors.js';
import type { GolixObject } from '../../../src/core/golix/index.js';
import { open2016Account } from '../../../src/core/legacy/account-2016.js';
import { NotThisFormat } from '../../../src/core/legacy/errors.js';
import type { LegacyAccount } from '../../../src/core/legacy/legacy-account.js';
import type { ObjectSource } from '../../../src/core/legacy/source.js';
import { ACCOUNTS_2016, KDF_2016, REFERENCE_ACCOUNTS, engineOf, ghid, poolOf, referenceAccounts } from '../../fixtures/legacy.js';
import { V2016_DIRS } from '../../fixtures/vectors.js';

const login = (i: 0 | 1, source: ObjectSource, password = 'hello world') =>
  open2016Account({ source, userId: ghid(ACCOUNTS_2016[i].userId), fingerprint: ghid(ACCOUNTS_2016[i].fingerprint), password, kdf: KDF_2016 });

function check(account: LegacyAccount, i: 0 | 1, gidc: GolixObject): void {
  assert.equal(account.format, '2016');
  assert.equal(account.fingerprint.text, ACCOUNTS_2016[i].fingerprint);
  assert.ok(account.identity.publicIdentity.raw.equals(gidc.raw), 'the private keys rebuild the GIDC');
  assert.deepEqual(account.systemObjects.map((o) => o.name).sort(), [
    'dispatch_incoming',
    'dispatch_orphan_acks',
    'dispatch_orphan_naks',
    'dispatch_private',
    'dispatch_startup',
    'dispatch_tokens',
    'identity',
    'privateer_persistent',
    'privateer_quarantine',
    'rolodex_outstanding',
    'rolodex_pending',
    'secondary_manifest',
  ]);
  // The four bootstrap objects derive from masters; the secondary manifest's eight from the persistent store.
  assert.equal(account.systemObjects.filter((o) => o.master).length, 4);
  for (const o of account.systemObjects.filter((x) => !x.master)) assert.ok(account.persistentSecrets.has(o.container.text), o.name);
  assert.equal(account.persistentSecrets.size, 36);
  assert.equal(account.quarantinedSecrets.size, 0);
  assert.equal(account.appTokens.length, 1);
  assert.equal(account.appTokens[0]!.length, 4, '2016 app tokens are 4 bytes');
  assert.deepEqual([account.startupObjects, account.privateObjects, account.incomingShares, account.pendingRequests, account.outstandingShares], [[], [], [], [], []]);
}

for (const i of [0, 1] as const) {
  test(`2016 account ${'AB'[i]}: opens with "hello world" at N = 1024; its identity is its fingerprint's`, async () => {
    const pool = poolOf(V2016_DIRS[i]!);
    check(await login(i, pool.get), i, pool.get(ghid(ACCOUNTS_2016[i].fingerprint)) as GolixObject);
  });
}

test('2016 account A also opens through a RulesEngine that accepts v15 frames and verified its cache', async () => {
  const { get } = await engineOf(V2016_DIRS[0]!, { acceptV15: true });
  check(await login(0, get), 0, (await get(ghid(ACCOUNTS_2016[0].fingerprint)))!);
});

test('a wrong password fails at the validator; one outside Latin-1 cannot be the password', async () => {
  const pool = poolOf(V2016_DIRS[1]!);
  await assert.rejects(login(1, pool.get, 'hello world!'), IncorrectPassword);
  await assert.rejects(login(1, pool.get, 'hello wörld€'), IncorrectPassword);
});

test('an account with GOBD v16 frames is not a 2016 account', async () => {
  const alice = referenceAccounts().accounts.alice;
  const pool = poolOf(join(REFERENCE_ACCOUNTS, alice.ghidcache));
  await assert.rejects(open2016Account({ source: pool.get, userId: ghid(alice.user_id), password: alice.password }), (err) => {
    assert.ok(err instanceof NotThisFormat);
    assert.deepEqual([err.expected, err.found], ['2016', null]);
    return true;
  });
});
