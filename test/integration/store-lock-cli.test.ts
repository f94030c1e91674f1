// The ghidcache lock (`<ghidcache>.lock`) as users meet it, through the real CLI: two configs that
// point at one directory (two servers, or a server and an app daemon) — the second refuses to
// start with one clear line naming who holds it and which key to change, and binds no port; a
// holder killed with SIGKILL leaves a stale lock that the next start takes over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { accountHome } from '../fixtures/account/home.js';
import { startApp, type AppHome } from '../fixtures/ipc/processes.js';
import { isListening, serverHome, startForeground, tempDir } from '../fixtures/server/helpers.js';

const PASSWORD = 'correct horse battery';

test('two servers on one ghidcache: the second exits 1 naming the first (pid, role, key) and binds nothing; after a SIGKILL the lock is taken over', async (t) => {
  const shared = join(tempDir(), 'ghidcache');
  const a = await serverHome({ ghidcache: shared });
  const b = await serverHome({ ghidcache: shared });
  const first = startForeground(a, t);
  await first.ready();

  const second = startForeground(b, t);
  const { code } = await second.exited;
  const out = second.output();
  assert.equal(code, 1, out);
  assert.ok(out.includes(`The ghidcache ${shared} is already in use by the server (pid ${first.pid})`), out);
  assert.match(out, /set server\.ghidcache to another directory/);
  assert.doesNotMatch(out, /at .*\.(ts|js):\d+/, 'no stack trace');
  assert.equal(await isListening(b.port), false, 'the refused server bound no port');
  assert.equal(await isListening(a.port), true, 'the first one runs on');

  first.child.kill('SIGKILL');
  await first.exited;
  assert.ok(existsSync(`${shared}.lock`), 'a killed holder leaves its lock behind');
  const third = startForeground(b, t);
  await third.ready();
  t.after(async () => {
    third.child.kill('SIGTERM');
    await third.exited;
  });
  assert.equal(await isListening(b.port), true, 'the stale lock was taken over');
});

test('a server configured onto a running app daemon\'s ghidcache refuses to start, naming the app and both keys', async (t) => {
  const dir = tempDir('hgx-lock-app-');
  const made = await accountHome(dir, PASSWORD);
  const h: AppHome = { dir, env: { ...process.env, HYPERGOLIX_HOME: dir }, ipcPort: made.loaded.config.process.ipc_port, tokenFile: join(dir, 'ipc-token') };
  const app = await startApp(h, PASSWORD);
  t.after(() => app.stop());

  const ghidcache = made.loaded.config.process.ghidcache;
  const s = await serverHome({ ghidcache });
  const server = startForeground(s, t);
  const { code } = await server.exited;
  const out = server.output();
  assert.equal(code, 1, out);
  assert.ok(out.includes(`The ghidcache ${ghidcache} is already in use by the app (pid ${app.child.pid})`), out);
  assert.match(out, /set server\.ghidcache to another directory \(or process\.ghidcache for the app\)/);
  assert.equal(await isListening(s.port), false);
  assert.doesNotMatch(app.output(), /error/i, 'the app daemon is not disturbed');
});
