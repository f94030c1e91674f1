// `hypergolix account recovery-kit` and `account recover` as real processes, with a real server
// and two computers of one account: the kit (a page and the key on the last line), a password
// lost and set anew with the key on the first computer (its daemon running), the second computer
// then opening with the new password only, a computer that names no account recovering from the
// kit's user ID and remote, typos and a replaced key told apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { twoComputers } from '../fixtures/account/second-computer.js';
import { built, cliHarness } from '../fixtures/account/cli.js';

const OLD = 'velvet-harbor-quince-58';
const NEW = 'copper-meadow-lantern-31';
const LATER = 'amber-thistle-gondola-74';
const { tempHome, hgx, cleanups } = cliHarness('recovery');
const KEY = /^([0-9A-Z]{4}-){8}[0-9A-Z]{4}$/;

test('recovery kit and recover: a lost password set anew with the key, on every computer of the account; a new kit revokes the old key', { skip: built }, async () => {
  // The second computer: the same config (its own IPC port), an empty cache.
  const { port, one, other } = await twoComputers(OLD, { tempHome, cleanups });
  const started = await hgx(one.home, ['start', 'app', '--password-stdin'], `${OLD}\n`);
  assert.equal(started.code, 0, started.err);
  cleanups.push(() => hgx(one.home, ['stop', 'app']));

  const wrong = await hgx(one.home, ['account', 'recovery-kit', '--password-stdin'], 'not-the-password\n');
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /Incorrect password/);
  assert.equal((await hgx(one.home, ['start', 'app', '--password-stdin'], `${OLD}\n`)).code, 0);

  const page = join(one.home, 'kit.html');
  const kit = await hgx(one.home, ['account', 'recovery-kit', '--password-stdin', '--out', page], `${OLD}\n`);
  assert.equal(kit.code, 0, kit.err);
  const key = kit.out.trim().split('\n').at(-1)!;
  assert.match(key, KEY, 'the key alone on the last line');
  const html = readFileSync(page, 'utf8');
  assert.ok(html.includes(key) && html.includes(one.userId) && html.includes(one.fingerprint) && html.includes(`127.0.0.1:${port}`));
  assert.equal(statSync(page).mode & 0o777, 0o600, 'the kit is readable by its owner only');
  assert.match(kit.out, /app daemon started/, 'the running daemon was started again');

  // A kit that could not be written is refused before the password is read: the key above stays the one.
  for (const [out, why] of [[join(one.home, 'no-such-dir', 'kit.html'), /no-such-dir does not exist\. Nothing was changed\./], [one.home, /it is a directory/]] as const) {
    const refused = await hgx(one.home, ['account', 'recovery-kit', '--password-stdin', '--out', out], `${OLD}\n`);
    assert.equal(refused.code, 2);
    assert.match(refused.err, why);
    assert.doesNotMatch(refused.out, /Stopping|recovery key/);
  }

  // Typos are caught before anything is opened; a weak new password is refused.
  const typo = await hgx(one.home, ['account', 'recover', '--recovery-key-stdin'], `${key.slice(0, -1)}\n${NEW}\n`);
  assert.equal(typo.code, 2);
  assert.match(typo.err, /has 35/);
  const weak = await hgx(one.home, ['account', 'recover', '--recovery-key-stdin'], `${key}\nshort\n`);
  assert.equal(weak.code, 2);

  // The password is lost: the key sets a new one (typed in lower case with spaces).
  const recovered = await hgx(one.home, ['account', 'recover', '--recovery-key-stdin'], `${key.toLowerCase().replace(/-/g, ' ')}\n${NEW}\n`);
  assert.equal(recovered.code, 0, recovered.err);
  assert.match(recovered.out, /New password set/);
  assert.match(recovered.out, /app daemon started/);

  // The other computer: the old password opens nothing, the new one does.
  const old = await hgx(other, ['start', 'app', '--password-stdin'], `${OLD}\n`);
  assert.equal(old.code, 1);
  assert.match(old.err, /Incorrect password/);
  assert.equal((await hgx(other, ['start', 'app', '--password-stdin'], `${NEW}\n`)).code, 0);
  assert.equal((await hgx(other, ['stop', 'app'])).code, 0);

  // A computer that names no account recovers from the kit's user ID and remote.
  const fresh = tempHome();
  const third = await hgx(fresh, ['account', 'recover', '--recovery-key-stdin', '--user-id', one.userId, '--remote', `127.0.0.1:${port}`], `${key}\n${LATER}\n`);
  assert.equal(third.code, 0, third.err);
  cleanups.push(() => hgx(fresh, ['stop', 'app']));
  assert.match(readFileSync(join(fresh, 'hypergolix.yml'), 'utf8'), new RegExp(one.userId.replace(/[-]/g, '\\-')));

  // A new kit (made with the current password) revokes the old key.
  assert.equal((await hgx(fresh, ['stop', 'app'])).code, 0);
  const second = await hgx(fresh, ['account', 'recovery-kit', '--password-stdin', '--out', join(fresh, 'kit.html')], `${LATER}\n`);
  assert.equal(second.code, 0, second.err);
  const revoked = await hgx(fresh, ['account', 'recover', '--recovery-key-stdin'], `${key}\n${NEW}\n`);
  assert.equal(revoked.code, 1);
  assert.match(revoked.err, /newer recovery kit replaced it/);
});

test('account recover on a computer that names no account asks for the user ID and the remote', { skip: built }, async () => {
  const r = await hgx(tempHome(), ['account', 'recover', '--recovery-key-stdin'], 'x\ny\n');
  assert.equal(r.code, 2);
  assert.match(r.err, /give --user-id and --remote/);
  const half = await hgx(tempHome(), ['account', 'recover', '--user-id', 'abc'], '');
  assert.equal(half.code, 2);
  assert.match(half.err, /--user-id and --remote go together/);
});
