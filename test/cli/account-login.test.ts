// `hypergolix account login` as a user runs it on a second computer: real processes, a real
// persistence server, two daemons of one account; and the three errors a sign-in can meet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../src/core/remote/logger.js';
import { PersistenceServer } from '../../src/core/remote/server.js';
import { RulesEngine } from '../../src/core/rules/rules-engine.js';
import { MemoryStore } from '../../src/core/store/memory-store.js';
import { accountHome } from '../fixtures/account/home.js';
import { built, cliHarness } from '../fixtures/account/cli.js';
import { freePort } from '../fixtures/free-port.js';
import { v16Identity } from '../fixtures/vectors.js';

const PASSWORD = 'velvet-harbor-quince-58';
const { tempHome, hgx, cleanups } = cliHarness('login');

async function server(): Promise<number> {
  const { engine } = await RulesEngine.open(new MemoryStore());
  const s = new PersistenceServer({ engine, port: 0, host: '127.0.0.1', logger: silentLogger });
  const { port } = await s.listen();
  cleanups.push(() => s.close());
  return port;
}

/** A home with nothing but a free IPC port, as a second computer starts. */
async function emptyHome(): Promise<string> {
  const home = tempHome();
  assert.equal((await hgx(home, ['config', '--ipc-port', String(await freePort())])).code, 0);
  return home;
}

test('account login: a second computer signs in through the remote; two daemons of one account run', { skip: built }, async () => {
  const port = await server();
  const first = await accountHome(tempHome(), PASSWORD, { remotes: [port] });
  const one = await hgx(first.home, ['start', 'app', '--password-stdin'], `${PASSWORD}\n`);
  assert.equal(one.code, 0, one.err);
  cleanups.push(() => hgx(first.home, ['stop', 'app']));

  const home = await emptyHome();
  const login = await hgx(home, ['account', 'login', '--user-id', first.userId, '--remote', `127.0.0.1:${port}`, '--password-stdin'], `${PASSWORD}\n`);
  assert.equal(login.code, 0, login.err);
  const said = login.out + login.err;
  assert.match(said, new RegExp(`Found the account \\(fingerprint ${first.fingerprint.replace(/[-=]/g, '\\$&')}\\)`));
  assert.match(said, /Fetching your account from the remotes/, `progress while the account is fetched:\n${said}`);
  assert.match(login.out, /Signed in to the account/, said);
  const yml = readFileSync(join(home, 'hypergolix.yml'), 'utf8');
  assert.ok(yml.includes(first.userId) && yml.includes(first.fingerprint) && yml.includes(String(port)), 'the config names the account and the remote');
  const whoami = await hgx(home, ['config', '--whoami']);
  assert.ok(whoami.out.includes(first.fingerprint));
  assert.equal((await hgx(home, ['stop', 'app'])).code, 0);
});

test('account login: wrong password, a user ID the remote does not hold, a remote out of reach: three messages, the config left as it was', { skip: built }, async () => {
  const port = await server();
  const first = await accountHome(tempHome(), PASSWORD, { remotes: [port] });
  const home = await emptyHome();
  const yml = () => readFileSync(join(home, 'hypergolix.yml'), 'utf8');
  const before = yml();

  const wrong = await hgx(home, ['account', 'login', '--user-id', first.userId, '--remote', `127.0.0.1:${port}`, '--password-stdin'], 'not-the-password-77\n');
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /Incorrect password/);
  assert.equal(yml(), before, 'a failed sign-in leaves the config as it was');

  const stranger = v16Identity(0).ghid.text;
  const missing = await hgx(home, ['account', 'login', '--user-id', stranger, '--remote', `127.0.0.1:${port}`, '--password-stdin'], `${PASSWORD}\n`);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /holds no account with user ID/);

  const dead = await freePort();
  const away = await hgx(home, ['account', 'login', '--user-id', first.userId, '--remote', `127.0.0.1:${dead}`, '--password-stdin'], `${PASSWORD}\n`);
  assert.equal(away.code, 1);
  assert.match(away.err, /no remote could be reached.*Connection refused: nothing listens on that port/);

  const bad = await hgx(home, ['account', 'login', '--user-id', 'nope', '--remote', `127.0.0.1:${port}`]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /is not a user ID/);
  assert.equal(yml(), before);
});
