import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Account } from '../../../src/core/account/account.js';
import { REFERENCE_KDF } from '../../../src/core/account/kdf.js';
import { LwwMap } from '../../../src/core/account/lww-map.js';
import { MasterObject } from '../../../src/core/account/master-object.js';
import { STATE_PREFIXES, type StatePrefix } from '../../../src/core/account/state-keys.js';
import { StatePrefixClaimed } from '../../../src/core/account/state-namespace.js';
import { ValueError } from '../../../src/core/golix/index.js';
import { LocalIO } from '../../fixtures/daemon/local-io.js';
import { v16Identity } from '../../fixtures/vectors.js';

const kdf = { ...REFERENCE_KDF, n: 1024 };

async function created() {
  const io = await LocalIO.create();
  const account = await Account.create({ io, password: 'pw', kdf, device: 'a', identity: v16Identity(0) });
  return { io, account };
}

test('the registry holds the key prefixes existing accounts use, none the start of another', () => {
  // These strings are on disk in existing accounts: a rename would orphan their records.
  assert.deepEqual(Object.keys(STATE_PREFIXES).sort(), [
    'ask:',
    'contact:',
    'inbox:',
    'ipc:apis:',
    'ipc:legroom:',
    'ipc:private:',
    'ipc:startup:',
    'ipc:token:',
    'out:',
    'shared-in:',
    'shared-out:',
  ]);
  const prefixes = Object.keys(STATE_PREFIXES);
  for (const a of prefixes) for (const b of prefixes) if (a !== b) assert.ok(!b.startsWith(a), `${a} starts ${b}`);
});

test('a namespace sees only its own keys, without the prefix', async () => {
  const { account } = await created();
  const tokens = account.claimState('ipc:token:');
  const inbox = account.claimState('inbox:');
  account.state.set('elsewhere', 1);
  tokens.set('ab12', { at: 1 });
  inbox.set('ab12', { f: 'x', a: 'y', at: 2 });
  assert.deepEqual(tokens.get('ab12'), { at: 1 });
  assert.deepEqual(inbox.get('ab12'), { f: 'x', a: 'y', at: 2 });
  assert.deepEqual([...tokens.entries()], [['ab12', { at: 1 }]]);
  inbox.delete('ab12');
  assert.equal(inbox.get('ab12'), undefined);
  assert.deepEqual(tokens.get('ab12'), { at: 1 }, "deleting in one namespace leaves another's key alone");
  assert.deepEqual([...inbox.entries()], []);
  assert.equal(tokens.get('elsewhere'), undefined);
});

test('a prefix is handed out once; an unregistered one never', async () => {
  const { account } = await created();
  account.claimState('out:');
  assert.throws(() => account.claimState('out:'), StatePrefixClaimed);
  assert.throws(() => account.claimState('nope:' as StatePrefix), ValueError);
  account.claimState('ask:'); // other prefixes stay available
});

test('keys written through a namespace are stored under the full key, as before', async () => {
  const { io, account } = await created();
  const apis = account.claimState('ipc:apis:');
  apis.set('00ff', ['api-text']);
  await apis.flush();
  // Another device logs in and reads the raw map: the key on disk is prefix + key.
  const other = await Account.login({ io, userId: account.userId, password: 'pw', kdf, device: 'b' });
  assert.deepEqual(other.state.get('ipc:apis:00ff'), ['api-text']);
  const frame = await io.fetch(account.manifest.state.ghid);
  assert.ok(frame?.type === 'GOBD');
  const plain = await MasterObject.readFrame(io, frame, account.manifest.state.master, account.fingerprint);
  assert.deepEqual([...LwwMap.decode(plain, 'reader').entries()], [['ipc:apis:00ff', ['api-text']]]);
});
