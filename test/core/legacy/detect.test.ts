import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Account } from '../../../src/core/account/account.js';
import { Ghid, parseObject } from '../../../src/core/golix/index.js';
import { detectAccountFormat } from '../../../src/core/legacy/detect.js';
import { LegacyObjectMissing, NotThisFormat } from '../../../src/core/legacy/errors.js';
import { LocalIO } from '../../fixtures/daemon/local-io.js';
import { ACCOUNTS_2016, REFERENCE_ACCOUNTS, SERVER_CACHE, engineOf, ghid, poolOf, referenceAccounts } from '../../fixtures/legacy.js';
import { V2016_DIRS, v16Identity } from '../../fixtures/vectors.js';

test('reference accounts: GOBD v16 with a manifest length both formats can have, so the password decides', async () => {
  const { get } = await engineOf(SERVER_CACHE);
  for (const name of ['alice', 'bob'] as const) {
    const e = referenceAccounts().accounts[name];
    for (const source of [poolOf(join(REFERENCE_ACCOUNTS, e.ghidcache)).get, get]) {
      const d = await detectAccountFormat(source, ghid(e.user_id));
      assert.deepEqual(d.candidates, ['ours', 'reference-0.1']);
      assert.equal(d.fingerprint.text, e.fingerprint);
      assert.equal(d.frameVersion, 16);
      assert.ok(d.manifestLength >= 2386 && d.manifestLength <= 10577, String(d.manifestLength));
    }
  }
});

test('2016 accounts: GOBD v15 decides without the password', async () => {
  for (const [i, a] of ACCOUNTS_2016.entries()) {
    const d = await detectAccountFormat(poolOf(V2016_DIRS[i]!).get, ghid(a.userId));
    assert.deepEqual([d.candidates, d.fingerprint.text, d.frameVersion], [['2016'], a.fingerprint, 15]);
  }
});

test("this project's accounts: `ours` first, alone when the manifest is shorter than any reference one", async () => {
  const io = await LocalIO.create();
  await io.publish(parseObject(v16Identity(1).publicIdentity.raw));
  const kdf = { algorithm: 'scrypt', n: 1024, r: 8, p: 1 } as const;
  const account = await Account.create({ io, password: 'pw', kdf, device: 'test', identity: v16Identity(1) });
  const d = await detectAccountFormat((g) => io.fetch(g), account.userId);
  assert.equal(d.candidates[0], 'ours');
  assert.deepEqual(d.candidates, d.manifestLength < 2386 ? ['ours'] : ['ours', 'reference-0.1']);
  assert.ok(d.fingerprint.equals(v16Identity(1).ghid));
});

test('no account: a GHID that names no dynamic object, or nothing at all', async () => {
  const e = referenceAccounts().accounts.alice;
  const pool = poolOf(join(REFERENCE_ACCOUNTS, e.ghidcache));
  await assert.rejects(detectAccountFormat(pool.get, ghid(e.fingerprint)), NotThisFormat);
  await assert.rejects(detectAccountFormat(pool.get, Ghid.fromDigest(Buffer.alloc(64, 5))), (err) => {
    assert.ok(err instanceof LegacyObjectMissing);
    assert.equal(err.role, 'root node');
    return true;
  });
});
