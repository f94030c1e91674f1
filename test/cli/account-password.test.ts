// `hypergolix account password` with two computers of one account on a real server: the change
// made on one (its daemon running) reaches the other through the remote; the old password then
// opens nothing anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { twoComputers } from '../fixtures/account/second-computer.js';
import { built, cliHarness } from '../fixtures/account/cli.js';
import { freePort } from '../fixtures/free-port.js';

const OLD = 'velvet-harbor-quince-58';
const NEW = 'copper-meadow-lantern-31';
const { tempHome, hgx, cleanups } = cliHarness('passwd');

test('account password: changed on one computer (daemon running), learnt by the other through the remote; the old password opens nothing', { skip: built }, async () => {
  // The second computer: the same config (its own IPC port), an empty cache.
  const { one, other } = await twoComputers(OLD, { tempHome, cleanups });
  for (const home of [one.home, other]) {
    const started = await hgx(home, ['start', 'app', '--password-stdin'], `${OLD}\n`);
    assert.equal(started.code, 0, started.err);
    cleanups.push(() => hgx(home, ['stop', 'app']));
  }

  const weak = await hgx(one.home, ['account', 'password', '--password-stdin'], `${OLD}\nshort\n`);
  assert.equal(weak.code, 2);
  assert.match(weak.err, /at least 10 characters/);
  const wrong = await hgx(one.home, ['account', 'password', '--password-stdin'], `not-the-password-1\n${NEW}\n`);
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /current password is not right/);
  assert.match(wrong.err, /start it again with "hypergolix start app"/);
  const again = await hgx(one.home, ['start', 'app', '--password-stdin'], `${OLD}\n`);
  assert.equal(again.code, 0, again.err);

  const changed = await hgx(one.home, ['account', 'password', '--password-stdin'], `${OLD}\n${NEW}\n`);
  assert.equal(changed.code, 0, changed.err);
  assert.match(changed.out, /Password changed/);
  assert.match(changed.out, /app daemon started/, 'the running daemon was started again with the new password');

  // The other computer, restarted, takes only the new password: it fetches the new root frame.
  assert.equal((await hgx(other, ['stop', 'app'])).code, 0);
  const old = await hgx(other, ['start', 'app', '--password-stdin'], `${OLD}\n`);
  assert.equal(old.code, 1);
  assert.match(old.err, /Incorrect password/);
  const fresh = await hgx(other, ['start', 'app', '--password-stdin'], `${NEW}\n`);
  assert.equal(fresh.code, 0, fresh.err);

  // And a third computer that never saw the old frames.
  const third = tempHome();
  cpSync(join(other, 'hypergolix.yml'), join(third, 'hypergolix.yml'));
  writeFileSync(join(third, 'hypergolix.yml'), readFileSync(join(other, 'hypergolix.yml'), 'utf8').split(other).join(third).replace(/ipc_port: \d+/, `ipc_port: ${await freePort()}`));
  const stale = await hgx(third, ['start', 'app', '--password-stdin'], `${OLD}\n`);
  assert.equal(stale.code, 1);
  assert.match(stale.err, /Incorrect password/);
});
