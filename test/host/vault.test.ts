// "Unlock automatically": what the vault keeps, and that a record for another account opens nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from '../../src/core/golix/index.js';
import { createMemoryLogger } from '../../src/core/log/index.js';
import type { HypergolixConfig } from '../../src/core/config/index.js';
import type { ConfigFollower } from '../../src/host/config-follower.js';
import { UnlockAutomatically, decodeRecord, encodeRecord } from '../../src/host/vault.js';
import { MemoryVault } from './helpers.js';

test('a record opens only the account it was made for', () => {
  const secret = Secret.random();
  const raw = encodeRecord('alice-id', secret);
  assert.equal(decodeRecord(raw, 'alice-id')?.text, secret.text);
  assert.equal(decodeRecord(raw, 'bob-id'), null);
  assert.equal(decodeRecord(raw, undefined), null);
  assert.equal(decodeRecord(Buffer.from(JSON.stringify({ v: 2, userId: 'alice-id', secret: secret.text })), 'alice-id'), null, 'an unknown version');
  assert.doesNotMatch(raw.toString(), /"password"/);
});

test('available: false without a vault, or when asking the vault fails', () => {
  const follower = {} as ConfigFollower;
  const log = createMemoryLogger();
  assert.equal(new UnlockAutomatically(undefined, follower, log).available(), false);
  assert.equal(new UnlockAutomatically(new MemoryVault(false), follower, log).available(), false);
  assert.equal(new UnlockAutomatically(new MemoryVault(true), follower, log).available(), true);
  const broken = Object.assign(new MemoryVault(true), {
    available: () => {
      throw new Error('no keyring');
    },
  });
  assert.equal(new UnlockAutomatically(broken, follower, log).available(), false);
});

test('read: another account\'s secret is ignored, with a warning', async () => {
  const vault = new MemoryVault();
  const log = createMemoryLogger();
  const auto = new UnlockAutomatically(vault, {} as ConfigFollower, log);
  assert.equal(await auto.read('alice-id'), null, 'nothing kept');
  const secret = Secret.random();
  vault.secret = encodeRecord('alice-id', secret);
  assert.equal((await auto.read('alice-id'))?.text, secret.text);
  assert.equal(await auto.read('bob-id'), null);
  assert.ok(log.lines.some((l) => l.includes('belongs to another account')));
});

test('atStart: a legacy root_secret first; the kept secret when the option is on; otherwise nothing, told where one was expected', async () => {
  const secret = Secret.random();
  const legacy = Secret.random();
  const config = (o: { rootSecret?: Secret; on?: boolean; userId?: string }) =>
    ({ user: { root_secret: o.rootSecret ?? null, user_id: o.userId ? { text: o.userId } : null }, desktop: { unlock_automatically: o.on ?? false } }) as unknown as HypergolixConfig;
  const said: string[] = [];
  const say = (m: string) => void said.push(m);
  const log = createMemoryLogger();
  const vault = new MemoryVault();
  vault.secret = encodeRecord('alice-id', secret);
  const auto = new UnlockAutomatically(vault, {} as ConfigFollower, log);

  assert.deepEqual(await auto.atStart(config({ rootSecret: legacy, on: true, userId: 'alice-id' }), say), { secret: legacy, fromVault: false }, 'the file\'s root_secret wins');
  assert.equal(await auto.atStart(config({ userId: 'alice-id' }), say), null, 'the option off: nothing read');
  assert.deepEqual(said, []);
  const found = await auto.atStart(config({ on: true, userId: 'alice-id' }), say);
  assert.deepEqual([found?.secret.text, found?.fromVault], [secret.text, true]);

  assert.equal(await auto.atStart(config({ on: true, userId: 'bob-id' }), say), null, "another account's secret opens nothing");
  assert.equal(said.at(-1), 'Could not unlock automatically; enter your password.');
  assert.equal(await new UnlockAutomatically(new MemoryVault(false), {} as ConfigFollower, log).atStart(config({ on: true, userId: 'alice-id' }), say), null);
  assert.match(said.at(-1)!, /no secure storage; enter your password/);
  const failing = Object.assign(new MemoryVault(), { load: async () => Promise.reject(new Error('the keyring is locked')) });
  assert.equal(await new UnlockAutomatically(failing, {} as ConfigFollower, log).atStart(config({ on: true, userId: 'alice-id' }), say), null);
  assert.ok(log.lines.some((l) => l.includes('Could not read the saved secret: the keyring is locked')));
  assert.equal(said.at(-1), 'Could not unlock automatically; enter your password.');
});
