// The SDK's view of the user's contacts, and the people verbs' gate: authenticated links only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HGXLink, IpcError } from '../../packages/hgx/src/index.js';
import { RawClient, world } from '../fixtures/ipc/world.js';

test('an app reads the contacts the user named; a legacy client may not touch them', async (t) => {
  const w = await world();
  const a = await w.user(0, { ipc: { legacyClients: true } });
  const b = await w.user(1);
  a.sharing.contacts.set(b.daemon.fingerprint, { name: 'Bea', trust: 'trusted', verified: true });
  const link = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  t.after(() => link.close());
  assert.deepEqual(await link.contacts(), [{ fingerprint: b.daemon.fingerprint.text, name: 'Bea', trust: 'trusted', verified: true }]);

  const legacy = await HGXLink.connect({ port: a.port, legacy: true });
  t.after(() => legacy.close());
  await assert.rejects(legacy.contacts(), (e) => e instanceof IpcError && /authenticated with the IPC key/.test(e.message));

  const raw = await RawClient.open(a.port);
  await raw.ok('AU', a.key);
  await assert.rejects(raw.ok('C!', Buffer.from('not json')), /takes a JSON object/);
  await assert.rejects(raw.ok('C!', Buffer.from(JSON.stringify({ fingerprint: 'AfzpefQWOn' }))), /not a fingerprint/);
  await assert.rejects(raw.ok('S+', Buffer.from(JSON.stringify({ id: 'nothing' }))), /is waiting/);
  raw.close();
});
