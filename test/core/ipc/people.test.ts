// The people verbs' bodies over IPC: checked as the desktop's contract checks the same requests,
// so a field of the wrong type is refused by its name instead of being coerced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJsonBody } from '../../../src/wire/index.js';
import { RawClient, world } from '../../fixtures/ipc/world.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

test('C!, C-, C#, S+ and S- refuse fields of the wrong type by name; unknown fields are dropped', async (t) => {
  const w = await world();
  const [a, b] = [await w.user(0), await w.user(1)];
  const raw = await RawClient.open(a.port);
  t.after(() => raw.close());
  await raw.ok('AU', a.key);
  const fingerprint = b.daemon.fingerprint.text;

  for (const [field, value, expected] of [
    ['verified', 'yes', /C!\.verified: expected true or false/],
    ['add', '', /C!\.add: expected true or false/],
    ['name', 0, /C!\.name: expected a string/],
    ['name', 'x'.repeat(300), /C!\.name: expected a string of 0–256 characters/],
    ['trust', 'Trusted', /C!\.trust: expected one of trusted, ask, blocked/],
  ] as const) {
    await assert.rejects(raw.ok('C!', json({ fingerprint, add: true, [field]: value })), expected, `${field}: ${JSON.stringify(value)}`);
  }
  assert.equal(a.sharing.contacts.get(b.daemon.fingerprint), null, 'nothing refused was stored');

  // A typo is not a change: the contact is added with what was given correctly.
  const added = decodeJsonBody(await raw.ok('C!', json({ fingerprint, add: true, name: 'Bea', verIfied: true }))) as Record<string, unknown>;
  assert.deepEqual(added, { fingerprint, name: 'Bea', trust: 'ask', verified: false });

  await assert.rejects(raw.ok('C#', json({ fingerprint: 5 })), /C#\.fingerprint: expected a string/);
  await assert.rejects(raw.ok('C-', json([fingerprint])), /C- takes a JSON object/);
  await assert.rejects(raw.ok('S+', json({ id: fingerprint, trust: 'yes' })), /S\+\.trust: expected true or false/);
  await assert.rejects(raw.ok('S-', json({ id: 7 })), /S-\.id: expected a string/);
  assert.deepEqual(await raw.ok('C-', json({ fingerprint, also: 'ignored' })), Buffer.of(1));
  assert.equal(a.sharing.contacts.get(b.daemon.fingerprint), null);
});
