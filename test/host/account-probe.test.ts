// Before signing in on a new computer, the remote is asked for the user ID. A remote that
// answers "no" to the connection itself (nothing listening, no such host) is reported at once with
// why; one that stays silent is waited out; the words a person reads say what to check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { AccountUnreachable, DamagedAccount, IncorrectPassword, OutdatedPassword, PasswordChangedElsewhere } from '../../src/core/account/errors.js';
import { accountFailure } from '../../src/host/account-errors.js';
import { probeAccount } from '../../src/host/account-probe.js';
import { freePort } from '../fixtures/free-port.js';
import { v16Identity } from '../fixtures/vectors.js';

const userId = v16Identity(0).ghid;

// The probe may wait a minute; the test half that: only the refusal can end it in time.
test('nothing listening: AccountUnreachable with ECONNREFUSED, long before the timeout, in words that say so', { timeout: 30_000 }, async () => {
  const port = await freePort();
  const err = await probeAccount({ host: '127.0.0.1', port, tls: false }, userId, 60_000).then(
    () => assert.fail('no account can be found on a closed port'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AccountUnreachable);
  assert.equal(err.failure?.code, 'ECONNREFUSED');
  assert.deepEqual(err.remotes, [`127.0.0.1:${port}`]);
  assert.match(accountFailure(err)!.message, /\(127\.0\.0\.1:\d+\)\. Connection refused: nothing listens on that port\. Is the server running\?$/);
});

test('a host name that does not resolve is said as such', { timeout: 60_000 }, async () => {
  const err = await probeAccount({ host: 'no-such-host.invalid', port: 7770, tls: false }, userId, 5_000).catch((e: unknown) => e);
  assert.ok(err instanceof AccountUnreachable);
  // NXDOMAIN where DNS answers; a failed lookup (EAI_AGAIN) where none is reachable, once the wait is over.
  assert.ok(['ENOTFOUND', 'EAI_AGAIN'].includes(err.failure?.code ?? ''), String(err.failure?.code));
  assert.match(accountFailure(err)!.message, /Host not found/);
});

test('a remote that accepts the connection and never answers is waited out, then reported', async (t) => {
  const sockets = new Set<Socket>();
  const silent = createServer((s) => sockets.add(s));
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  t.after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const { port } = silent.address() as { port: number };
  const err = await probeAccount({ host: '127.0.0.1', port, tls: false }, userId, 400).catch((e: unknown) => e);
  assert.ok(err instanceof AccountUnreachable);
  assert.ok(sockets.size >= 1, 'it did connect at the TCP level');
  assert.match(accountFailure(err)!.message, /no remote could be reached to fetch it \(127\.0\.0\.1:\d+\)\. /);
});

test('the words for a password changed on another computer, and for a damaged copy of the root here', () => {
  const elsewhere = accountFailure(new PasswordChangedElsewhere(userId, 'change the password'))!;
  assert.match(elsewhere.message, /^The password was changed on another computer of this account since this one was unlocked: lock Hypergolix and unlock it with the new password/);
  assert.match(accountFailure(new IncorrectPassword('no'))!.message, /^Incorrect password/);
  const outdated = accountFailure(new OutdatedPassword(Date.UTC(2026, 11, 7, 21, 11)))!;
  assert.equal(outdated.code, 'password-changed');
  assert.equal(outdated.message, 'Incorrect password: the password of this account was changed on another computer (this computer learned of it on 2026-12-07 21:11 UTC); use the new password, or set one with the recovery kit.');
  assert.match(accountFailure(new DamagedAccount('root copy', 'cut'))!.message, /^The account's files on this computer are damaged\. /);
  assert.match(accountFailure(new DamagedAccount('identity', 'cut'))!.message, /^The password is right, but the account is damaged\. /);
});
