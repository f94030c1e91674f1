// The registrations journal: accounts and invites survive a reopen, a second writer's lines (the
// operator's CLI) are seen at the next look, a torn last line waits, unknown lines are skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileRegistry, inviteId, registrationsPath } from '../../../src/core/registration/registry.js';
import { tempDir } from '../../fixtures/server/helpers.js';
import { v16Objects } from '../../fixtures/vectors.js';

const [a, b] = v16Objects()
  .filter((o) => o.obj.type === 'GIDC')
  .map((o) => o.obj.ghid.text);

test('the journal lives beside the ghidcache, never inside it', () => {
  assert.equal(registrationsPath('/srv/hgx/ghidcache/'), '/srv/hgx/ghidcache.accounts');
});

test('register, request, revoke: statuses, counts, and a reopen reads them back', async () => {
  const path = join(tempDir(), 'ghidcache.accounts');
  const r = await FileRegistry.open(path);
  await r.register(a!, 'open');
  await r.request(b!);
  assert.equal(r.get(a!)?.status, 'registered');
  assert.equal(r.get(b!)?.status, 'pending');
  await r.request(a!);
  assert.equal(r.get(a!)?.status, 'registered', 'asking again does not undo a registration');
  await r.revoke(a!);
  assert.deepEqual(r.counts(), { registered: 0, pending: 1, revoked: 1 });
  await r.close();
  const again = await FileRegistry.open(path);
  assert.equal(again.get(a!)?.status, 'revoked');
  assert.equal(again.get(a!)?.via, 'open');
  assert.equal(again.list().length, 2);
  await again.close();
});

test('what another writer appends is seen at the next look; a torn line waits for its end', async () => {
  const path = join(tempDir(), 'ghidcache.accounts');
  const server = await FileRegistry.open(path);
  const cli = await FileRegistry.open(path);
  await cli.register(a!, 'operator');
  assert.equal(server.get(a!)?.status, 'registered');
  appendFileSync(path, `{"op":"revoke","fp":"${a}",`);
  assert.equal(server.get(a!)?.status, 'registered', 'half a line is not read');
  appendFileSync(path, `"at":1}\n{"op":"from-the-future"}\nnot json\n`);
  assert.equal(server.get(a!)?.status, 'revoked');
  await cli.register(b!, 'webhook');
  assert.equal(server.get(b!)?.status, 'registered', 'lines after unknown ones are still read');
  await server.close();
  await cli.close();
});

test('invites: spent once per use, refused when used up or expired; the code itself is never stored', async () => {
  let now = 1_000;
  const path = join(tempDir(), 'ghidcache.accounts');
  const r = await FileRegistry.open(path, () => now);
  const code = await r.createInvite(1, null);
  const timed = await r.createInvite(5, 2_000);
  assert.ok(!readFileSync(path, 'utf8').includes(code));
  assert.ok(readFileSync(path, 'utf8').includes(inviteId(code)));
  const [first, second] = await Promise.all([r.useInvite(code, a!), r.useInvite(code, b!)]);
  assert.deepEqual([first, second].sort(), [false, true], 'two racing for the last use: one wins');
  assert.equal(await r.useInvite(code, b!), false);
  assert.equal(await r.useInvite('not-a-code', b!), false);
  assert.equal(await r.useInvite(timed, b!), true);
  now = 2_000;
  assert.equal(await r.useInvite(timed, b!), false, 'expired');
  await r.close();
  const again = await FileRegistry.open(path, () => 1_500);
  assert.equal(await again.useInvite(code, b!), false, 'used up across a reopen');
  assert.equal(again.invites().find((i) => i.id === inviteId(timed))?.usesLeft, 4);
  await again.close();
});
