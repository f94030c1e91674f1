import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stopProcess, waitPortsFree } from '../../../src/core/process/stop.js';
import { isProcessAlive } from '../../../src/core/process/alive.js';
import { runFixture, tempDir, until } from './helpers.js';

test('stops a daemon that handles SIGTERM; its pid file is gone afterwards', async (t) => {
  const path = join(tempDir(t), 'hgx-server.pid');
  const daemon = runFixture('service.ts', [path, 'normal'], t);
  await daemon.waitFor(/^ready$/);
  assert.equal(readFileSync(path, 'utf8').split('\n')[0], String(daemon.pid));

  const result = await stopProcess(path, { timeoutMs: 5000 });
  assert.deepEqual(result, { status: 'stopped', pid: daemon.pid, forced: false, message: `stopped (pid ${daemon.pid})` });
  assert.equal(existsSync(path), false);
  assert.deepEqual(await daemon.exited, { code: 0, signal: null });
  assert.ok(daemon.lines.includes('step 1 done'), 'the daemon ran its shutdown steps');
});

test('reports "not running" without a pid file, and removes stale or garbage files', async (t) => {
  const dir = tempDir(t);
  const missing = await stopProcess(join(dir, 'none.pid'));
  assert.equal(missing.status, 'not-running');
  assert.match(missing.message, /not running/);

  const gone = runFixture('sleeper.mjs');
  await gone.waitFor(/ready/);
  gone.child.kill('SIGKILL');
  await gone.exited;
  const stale = join(dir, 'stale.pid');
  writeFileSync(stale, `${gone.pid}\n`);
  const r = await stopProcess(stale);
  assert.equal(r.status, 'stale');
  assert.equal(r.pid, gone.pid);
  assert.match(r.message, /stale pid file/);
  assert.equal(existsSync(stale), false);

  const garbage = join(dir, 'garbage.pid');
  writeFileSync(garbage, 'not a pid');
  const g = await stopProcess(garbage);
  assert.equal(g.status, 'stale');
  assert.equal(g.pid, null);
  assert.equal(existsSync(garbage), false);
});

test('a process that ignores SIGTERM: timeout without force, SIGKILL with force', async (t) => {
  const path = join(tempDir(t), 'hypergolix.pid');
  const hung = runFixture('sleeper.mjs', ['ignore-term'], t);
  await hung.waitFor(/ready/);
  writeFileSync(path, `${hung.pid}\n`);

  const soft = await stopProcess(path, { timeoutMs: 300, pollMs: 20 });
  assert.equal(soft.status, 'timeout');
  assert.match(soft.message, /did not stop/);
  assert.equal(isProcessAlive(hung.pid), true);
  assert.equal(existsSync(path), true, 'the pid file of a live process stays');

  const hard = await stopProcess(path, { timeoutMs: 300, pollMs: 20, force: true });
  assert.equal(hard.status, 'stopped');
  assert.equal(hard.status === 'stopped' && hard.forced, true);
  assert.deepEqual(await hung.exited, { code: null, signal: 'SIGKILL' });
  // The killed process could not clean up after itself; stop did.
  assert.equal(existsSync(path), false);
});

test('waitPortsFree reports busy ports until they are released', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  const port = (server.address() as { port: number }).port;
  assert.deepEqual(await waitPortsFree([{ port }], { timeoutMs: 100 }), [{ port }]);
  const released = waitPortsFree([{ host: '127.0.0.1', port }], { timeoutMs: 3000 });
  setTimeout(() => server.close(), 100);
  assert.deepEqual(await released, []);
  await until(() => !server.listening, 'server to close');
});
