// A user ID that names something other than an account (the fingerprint, which a person records
// beside it, or a frame of an object) is told as "no account there", as the sign-in's probe of a
// remote tells it, not as an account "made by another version". A root node here that does not
// parse is a damaged account, told as one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Account } from '../../../src/core/account/account.js';
import { AccountFromOtherVersion, AccountNotFound, DamagedAccount } from '../../../src/core/account/errors.js';
import { MalformedGolixPrimitive, type Ghid } from '../../../src/core/golix/index.js';
import type { ObjectIO } from '../../../src/core/objects/object-io.js';
import { REFERENCE_KDF } from '../../../src/core/account/kdf.js';
import { LocalIO } from '../../fixtures/daemon/local-io.js';
import { v16Identity } from '../../fixtures/vectors.js';

const kdf = { ...REFERENCE_KDF, n: 1024 };

test('the fingerprint, or a frame, given as the user ID: AccountNotFound saying what it names, nothing written', async () => {
  const io = await LocalIO.create();
  const account = await Account.create({ io, password: 'first password 1', kdf, device: 'a', identity: v16Identity(0) });
  const before = io.engine.stats();
  const notFound = (what: RegExp) => (e: unknown) => e instanceof AccountNotFound && !(e instanceof AccountFromOtherVersion) && what.test((e as Error).message);
  await assert.rejects(Account.login({ io, userId: account.fingerprint, password: 'first password 1', kdf, device: 'b' }), notFound(/no account's user ID.*fingerprint, not a user ID/));
  const frame = await io.fetch(account.userId);
  assert.equal(frame?.type, 'GOBD');
  await assert.rejects(Account.login({ io, userId: frame!.type === 'GOBD' ? frame!.ghid : account.userId, password: 'first password 1', kdf, device: 'b' }), notFound(/a frame of another object/));
  assert.deepEqual(io.engine.stats(), before);
});

test('a copy of the root node here that does not parse (a cut file) is a DamagedAccount naming the root, not a bare protocol error', async () => {
  const io = await LocalIO.create();
  const account = await Account.create({ io, password: 'first password 1', kdf, device: 'a', identity: v16Identity(0) });
  const torn: ObjectIO = {
    publish: (...objects) => io.publish(...objects),
    fetch: async (ghid: Ghid) => {
      if (ghid.equals(account.userId)) throw new MalformedGolixPrimitive('object: truncated (needs 512 bytes at offset 344, has 84)');
      return io.fetch(ghid);
    },
  };
  await assert.rejects(
    Account.login({ io: torn, userId: account.userId, password: 'first password 1', kdf, device: 'b' }),
    (e: unknown) => e instanceof DamagedAccount && e.part === 'root copy' && /on this computer cannot be read.*truncated/.test((e as Error).message),
  );
});
