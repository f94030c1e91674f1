import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidIdentity, Secret, UnknownSecret } from '../../../src/core/golix/index.js';
import { Account } from '../../../src/core/account/account.js';
import { AccountMap } from '../../../src/core/account/account-map.js';
import { LwwMap } from '../../../src/core/account/lww-map.js';
import { MapJournal } from '../../../src/core/account/map-journal.js';
import { MasterObject } from '../../../src/core/account/master-object.js';
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
  // …unless, on a slow machine, b's own 20 ms flush timer wrote first while a was still signing:
  // then a merged and wrote on top. Either way each device has both once it has caught up.
  await a.state.refresh();
  await b.state.refresh();
  const c = await Account.login({ io, userId: a.userId, password: 'correct horse', kdf, device: 'c' });
  for (const acct of [a, b, c]) assert.deepEqual(Object.fromEntries(acct.state.entries()), { 'from-a': 1, 'from-b': 2 });
});

test('a change secured through the journal survives a crash before the account map is written', async () => {
  const io = await LocalIO.create();
  const id = v16Identity(0);
  await io.publish(id.publicIdentity.gidc);
  const master = Secret.random();
  const created = await MasterObject.create(io, id, master, new LwwMap('a').encode());
  const dir = await mkdtemp(join(tmpdir(), 'hgx-account-journal-'));
  const journalAt = () => MapJournal.open({ path: join(dir, 'map.journal'), master, map: created.ghid, warn: () => {} });
  const reopen = async (flushDelayMs: number) => {
    const { object, plaintext } = await MasterObject.open(io, id, created.ghid, master, id.ghid);
    return new AccountMap(object!, LwwMap.decode(plaintext, 'a'), io, id.ghid, flushDelayMs);
  };
  // A map whose batched write would come only after an hour: the "crash" happens first.
  const before = await reopen(3_600_000);
  try {
    const first = await journalAt();
    before.attachJournal(first.journal, first.cells);
    before.set('s:container', 'its secret');
    await before.secure();
    assert.equal((await reopen(10)).get('s:container'), undefined, 'the map itself was not written');
    await first.journal.close();

    const after = await reopen(10);
    const second = await journalAt();
    after.attachJournal(second.journal, second.cells);
    assert.equal(after.get('s:container'), 'its secret');
    await after.flush();
    assert.equal((await reopen(10)).get('s:container'), 'its secret', 'replayed changes are written to the map');
    await second.journal.close();
    const third = await journalAt();
    assert.deepEqual(third.cells, [], 'and then dropped from the journal');
    await third.journal.close();
  } finally {
    await before.flush(); // clears its timer; merges with the newer frame on the way
    await rm(dir, { recursive: true, force: true });
  }
});
