// Browser mode's pieces: startBrowserMode in-process (controller + bridge), the `--ui` flags of
// the CLI, and npm start's Electron lookup, which must never download anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { findElectron } from '../../scripts/start.mjs';
import { findUiDir, startBrowserMode } from '../../src/web/browser-mode.js';
import { KDF, tempHome } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

function ensureBuilt(): string {
  if (!findUiDir(join(ROOT, 'src/web'))) execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  return findUiDir(join(ROOT, 'src/web'))!;
}

function fetchStatus(url: string): Promise<number> {
  return new Promise((ok, bad) => get(url, (res) => (res.resume(), ok(res.statusCode ?? 0))).on('error', bad));
}

test('startBrowserMode: the UI and the controller on one tokened URL; stop releases everything', async () => {
  const staticDir = ensureBuilt();
  assert.equal(staticDir, join(ROOT, 'dist/renderer'), 'found from src/web as from dist/cli');
  const home = tempHome();
  const mode = await startBrowserMode({
    configOptions: { env: { HYPERGOLIX_HOME: home }, cwd: home, homedir: home },
    logdir: join(home, 'logs'),
    console: false,
    controller: { kdf: KDF, ipc: false, startServer: null },
  });
  assert.match(mode.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
  assert.equal(await fetchStatus(mode.url), 200);
  assert.equal(await fetchStatus(mode.url.replace(/\?token=.*/, '')), 403, 'no token, no page');

  const u = new URL(mode.url);
  const ws = new WebSocket(`ws://${u.host}/bridge?token=${u.searchParams.get('token')}`, { origin: `http://${u.host}` });
  await new Promise((ok, bad) => (ws.once('open', ok), ws.once('error', bad)));
  ws.send(JSON.stringify({ id: 7, request: { kind: 'getState' } }));
  const answer = JSON.parse(String(await new Promise((ok) => ws.once('message', ok)))) as { id: number; response: { ok: boolean; value: { status: { state: string }; canRememberPassword: boolean } } };
  assert.equal(answer.id, 7);
  assert.equal(answer.response.value.status.state, 'no-account');
  assert.equal(answer.response.value.canRememberPassword, false, 'no secure storage in browser mode');
  ws.close();

  await mode.stop();
  await mode.stop();
  await assert.rejects(fetchStatus(mode.url), 'the port is closed');
  assert.ok(existsSync(join(home, 'hypergolix.yml')), 'the config was created');
});

test('hypergolix start app: --port needs --ui, --ui excludes --foreground, the port is checked', () => {
  ensureBuilt();
  const home = tempHome();
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, 'bin/hypergolix.js'), 'start', 'app', ...args], { env: { ...process.env, HYPERGOLIX_HOME: home }, cwd: home, encoding: 'utf8', timeout: 20_000 });
  for (const [args, message] of [
    [['--port', '8080'], /--port goes with --ui/],
    [['--ui', '--foreground'], /--ui runs in the foreground/],
    [['--ui', '--port', 'eighty'], /--port must be a whole number/],
    [['--ui', '--port', '70000'], /--port must be a whole number/],
  ] as const) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }
  const help = spawnSync(process.execPath, [join(ROOT, 'bin/hypergolix.js'), 'start', '--help'], { encoding: 'utf8' });
  assert.match(help.stdout + help.stderr, /--ui/);
});

test('start app --ui --port N with N held by another program: refused at once, in words, before the daemon starts', async (t) => {
  ensureBuilt();
  const home = tempHome();
  const holder = createServer();
  await new Promise<void>((ok) => holder.listen(0, '127.0.0.1', ok));
  t.after(() => holder.close());
  const port = (holder.address() as AddressInfo).port;
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/hypergolix.js'), 'start', 'app', '--ui', '--port', String(port)], { env: { ...process.env, HYPERGOLIX_HOME: home }, cwd: home, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`Cannot serve the UI on 127\\.0\\.0\\.1:${port}: another program holds it\\. Choose another with --port`));
  assert.doesNotMatch(r.stderr, /EADDRINUSE|\n\s+at /);
  assert.equal(existsSync(join(home, 'ghidcache')), false, 'no daemon was started');
});

test('npm start finds a usable Electron the way the package does, but never downloads one', () => {
  const root = tempHome('hgx-electron-root-');
  writeFileSync(join(root, 'package.json'), '{"name":"x","type":"module"}');
  const pkg = join(root, 'node_modules/electron');
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  writeFileSync(join(pkg, 'package.json'), '{"name":"electron","version":"45.0.0","main":"index.js"}');
  // The package's index.js would download a missing binary: it must never be loaded.
  writeFileSync(join(pkg, 'index.js'), 'throw new Error("downloading!")');
  const env = { DISPLAY: ':0', PATH: process.env.PATH };

  assert.deepEqual(findElectron({ root, env, platform: 'linux' }), { ok: false, reason: 'the electron package was installed without its binary' });
  writeFileSync(join(pkg, 'path.txt'), 'electron');
  assert.match((findElectron({ root, env, platform: 'linux' }) as { reason: string }).reason, /no Electron binary at/);
  const bin = join(pkg, 'dist/electron');
  writeFileSync(bin, '#!/bin/sh\necho v45.0.0\n');
  chmodSync(bin, 0o755);
  assert.deepEqual(findElectron({ root, env, platform: 'linux' }), { ok: true, path: bin });
  assert.match((findElectron({ root, env: { PATH: process.env.PATH }, platform: 'linux' }) as { reason: string }).reason, /no display/);
  assert.match((findElectron({ root, env: { ...env, HYPERGOLIX_BROWSER_MODE: '1' }, platform: 'linux' }) as { reason: string }).reason, /browser mode/);
  writeFileSync(bin, '#!/bin/sh\necho "error while loading shared libraries: libnss3.so" >&2\nexit 127\n');
  assert.match((findElectron({ root, env, platform: 'linux' }) as { reason: string }).reason, /does not run \(error while loading shared libraries/);
  assert.deepEqual(findElectron({ root: tempHome('hgx-no-electron-'), env }), { ok: false, reason: 'the electron package is not installed' });
});
