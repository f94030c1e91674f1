// `hypergolix status` as a user runs it: the built CLI, a real persistence server and a real app
// daemon started and stopped by the CLI itself, and the server taken away under the daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadConfig, updateConfig } from '../../src/core/config/index.js';
import type { DaemonStatusJson } from '../../src/wire/index.js';
import { accountHome } from '../fixtures/account/home.js';
import { built, cliHarness } from '../fixtures/account/cli.js';
import { freePort } from '../fixtures/free-port.js';
import { until } from '../fixtures/wait.js';

const PASSWORD = 'amber-lantern-orchard-41';
const { tempHome, hgx, cleanups } = cliHarness('status');

interface StatusJson {
  app: (DaemonStatusJson & { pid: number }) | null;
  server: { pid: number; host: string; port: number; storeCheck?: { running: unknown; last: { checked: number; damaged: number } | null } } | null;
}

async function statusJson(home: string): Promise<{ code: number; json: StatusJson }> {
  const r = await hgx(home, ['status', '--json']);
  assert.equal(r.err, '');
  return { code: r.code, json: JSON.parse(r.out) as StatusJson };
}

/** A server home on a free port, started with `hypergolix start server` (stopped after the file). */
async function runningServer(): Promise<{ home: string; port: number }> {
  const home = tempHome();
  const port = await freePort();
  await updateConfig(await loadConfig({ root: join(home, 'hypergolix.yml'), create: true }), { server: { port } });
  const started = await hgx(home, ['start', 'server']);
  assert.equal(started.code, 0, started.err);
  cleanups.push(() => hgx(home, ['stop', 'server']));
  return { home, port };
}

test('status: the daemon not running, then running with its account and remote, the server on its own home, then the remote gone', { skip: built }, async () => {
  const server = await runningServer();
  const account = await accountHome(tempHome(), PASSWORD, { remotes: [server.port] });
  const remote = `127.0.0.1:${server.port}`;

  const before = await hgx(account.home, ['status']);
  assert.equal(before.code, 1);
  assert.match(before.out, /^App daemon: not running\. Start it with: hypergolix start app$/m);
  assert.match(before.out, /^Persistence server: not running$/m, 'this home runs no server');
  assert.deepEqual((await statusJson(account.home)).json, { app: null, server: null });

  const started = await hgx(account.home, ['start', 'app', '--password-stdin'], `${PASSWORD}\n`);
  assert.equal(started.code, 0, started.err);
  cleanups.push(() => hgx(account.home, ['stop', 'app']));
  const running = await until(async () => {
    const s = await statusJson(account.home);
    return s.code === 0 && s.json.app?.remotes[0]?.connected ? s.json.app : null;
  }, 'the daemon connected to its remote');
  assert.equal(running.fingerprint, account.fingerprint);
  assert.ok(running.pid > 0);
  assert.ok(running.objectsCached > 0);
  assert.equal(running.storage.kind, 'ok');
  assert.equal(running.appsConnected, 0, 'the status command itself is not counted');
  assert.equal(running.sharesWaiting, 0);
  assert.deepEqual(
    running.remotes.map((r) => [r.remote, r.connected, r.lastFailure]),
    [[remote, true, null]],
  );

  const text = await hgx(account.home, ['status']);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, new RegExp(`^App daemon: running \\(pid ${running.pid}\\)$`, 'm'));
  assert.match(text.out, new RegExp(`^  Account: ${account.fingerprint.replace(/[+=]/g, '\\$&')}$`, 'm'));
  assert.match(text.out, /^  Storage: OK$/m);
  assert.match(text.out, new RegExp(`^    ${remote}  connected, nothing waiting to be sent$`, 'm'));

  // The config's IPC port edited while the daemon runs (it applies at the next start): the
  // daemon is still found where its pid file says it listens.
  assert.equal((await hgx(account.home, ['config', '--ipc-port', String(await freePort())])).code, 0);
  const moved = await statusJson(account.home);
  assert.equal(moved.code, 0);
  assert.equal(moved.json.app?.fingerprint, account.fingerprint);

  // The server's own home: its pid and where it listens; no daemon runs there.
  const serverSide = await hgx(server.home, ['status']);
  assert.equal(serverSide.code, 1);
  assert.match(serverSide.out, new RegExp(`^Persistence server: running \\(pid \\d+\\) on 127\\.0\\.0\\.1:${server.port}$`, 'm'));
  assert.match(serverSide.out, /^  Store: not checked yet since it started \(now: hypergolix server check\)$/m);
  const serverJson = (await statusJson(server.home)).json;
  assert.equal(serverJson.app, null);
  assert.equal(serverJson.server?.port, server.port);
  assert.deepEqual(serverJson.server?.storeCheck, { running: null, last: null });
  // Checked now (the running server asked): when, and what it found.
  const checked = await hgx(server.home, ['server', 'check']);
  assert.equal(checked.code, 0, checked.err);
  const objects = Number(/^Checked (\d+) objects?: all sound\.$/.exec(checked.out.trim())?.[1]);
  assert.ok(objects > 0, `the daemon's account is stored there: ${checked.out}`);
  const afterCheck = await hgx(server.home, ['status']);
  assert.match(afterCheck.out, new RegExp(`^  Store: checked \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC, ${objects} objects read, all sound$`, 'm'));
  const last = (await statusJson(server.home)).json.server?.storeCheck?.last;
  assert.deepEqual({ checked: last?.checked, damaged: last?.damaged }, { checked: objects, damaged: 0 });
  // A configuration whose server port answers without its pid file (the desktop app's embedded
  // server holds none): said as such, with no pid.
  const elsewhere = tempHome();
  await updateConfig(await loadConfig({ root: join(elsewhere, 'hypergolix.yml'), create: true }), { server: { port: server.port } });
  const answering = await hgx(elsewhere, ['status']);
  assert.match(answering.out, new RegExp(`^Persistence server: one answers on 127\\.0\\.0\\.1:${server.port}, not started from this configuration`, 'm'));
  assert.deepEqual((await statusJson(elsewhere)).json.server, { pid: null, host: '127.0.0.1', port: server.port });

  // A `status --watch` started now hears what follows, until the daemon stops. Its connection
  // is an app to the other askers: seen there, it watches.
  const watch = hgx(account.home, ['status', '--watch', '--json']);
  await until(async () => (await statusJson(account.home)).json.app?.appsConnected === 1, 'status --watch connected');

  // The remote goes away under the running daemon: told, with why, and the daemon still answers.
  assert.equal((await hgx(server.home, ['stop', 'server'])).code, 0);
  const away = await until(async () => {
    const s = await statusJson(account.home);
    return s.json.app && !s.json.app.remotes[0]!.connected ? s : null;
  }, 'the remote seen as gone');
  assert.equal(away.code, 0);
  assert.notEqual(away.json.app!.remotes[0]!.lastConnectedAt, null);
  const told = await hgx(account.home, ['status']);
  assert.match(told.out, new RegExp(`^    ${remote}  not connected, nothing waiting to be sent; last connected \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC(; next try in \\d+ s)?$`, 'm'));
  assert.match(told.out, /^      (Connection refused: nothing listens on that port\. Is the server running\?|The server closed the connection; reconnecting\.|Connecting…)$/m);

  // The daemon stops: --watch says so and ends (exit 1), having told each change on its own line.
  assert.equal((await hgx(account.home, ['stop', 'app'])).code, 0);
  const watched = await watch;
  assert.equal(watched.code, 1, watched.err);
  const lines = watched.out.trim().split('\n').map((l) => JSON.parse(l) as StatusJson);
  assert.ok(lines.length >= 3, watched.out);
  assert.equal(lines[0]!.app?.remotes[0]?.connected, true, 'first: as it stood');
  assert.equal(lines[0]!.app?.fingerprint, account.fingerprint);
  const gone = lines.find((l) => l.app && !l.app.remotes[0]!.connected);
  assert.ok(gone, "the remote's going told");
  assert.equal(gone.app!.pid, running.pid);
  assert.deepEqual(lines.at(-1), { app: null, server: null }, 'last: the daemon stopped');
});

/** Flips a byte in the middle of every object file of a ghidcache; how many there were. */
async function damageFiles(dir: string): Promise<number> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.ghid'));
  for (const name of names) {
    const raw = await readFile(join(dir, name));
    raw[raw.length >> 1]! ^= 0x5a;
    await writeFile(join(dir, name), raw);
  }
  return names.length;
}

test('status --check: damaged files are put right from the remote; with the remote gone they are listed, and the exit status says so', { skip: built }, async () => {
  const server = await runningServer();
  const account = await accountHome(tempHome(), PASSWORD, { remotes: [server.port] });
  const started = await hgx(account.home, ['start', 'app', '--password-stdin'], `${PASSWORD}\n`);
  assert.equal(started.code, 0, started.err);
  cleanups.push(() => hgx(account.home, ['stop', 'app']));
  await until(async () => {
    const app = (await statusJson(account.home)).json.app;
    return app?.remotes[0]?.connected && app.remotes[0].waiting === 0 ? app : null;
  }, 'the daemon synced with its remote');
  const first = await hgx(account.home, ['status']);
  assert.match(first.out, /^  Local files: not checked yet \(the daemon checks them a few minutes after it starts; now: hypergolix status --check\)$/m);

  const ghidcache = account.loaded.config.process.ghidcache;
  const count = await damageFiles(ghidcache);
  assert.ok(count > 3, 'the account is in the cache');
  const checked = await hgx(account.home, ['status', '--check']);
  assert.equal(checked.code, 0, checked.err + checked.out);
  assert.match(checked.out, new RegExp(`^  Local files: checked \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC, \\d+ objects read, all sound; ${count} damaged files put right from a remote since the daemon started$`, 'm'));

  assert.equal((await hgx(server.home, ['stop', 'server'])).code, 0);
  await until(async () => ((await statusJson(account.home)).json.app?.remotes[0]?.connected === false ? true : null), 'the remote seen as gone');
  await damageFiles(ghidcache);
  const left = await hgx(account.home, ['status', '--check', '--json']);
  assert.equal(left.code, 1, 'damaged files are left');
  const cacheCheck = (JSON.parse(left.out) as StatusJson).app!.cacheCheck!;
  assert.equal(cacheCheck.damagedCount, count);
  assert.equal(cacheCheck.damaged.length, count);
  const text = await hgx(account.home, ['status']);
  assert.match(text.out, new RegExp(`^  Local files: checked .* UTC, \\d+ objects read, ${count} DAMAGED; ${count} damaged files put right from a remote since the daemon started$`, 'm'));
  assert.match(text.out, /^    No remote has given a good copy yet \(tried again whenever a remote connects\): \S+, \S+, \S+, and \d+ more$/m);
  // --watch and --check together are refused, as usage.
  const both = await hgx(account.home, ['status', '--watch', '--check']);
  assert.equal(both.code, 2);
  assert.match(both.err, /--watch and --check cannot be used together/);
});

test('status refuses operands and unknown options with its usage (exit 2)', { skip: built }, async () => {
  const home = tempHome();
  for (const args of [['status', 'app'], ['status', '--bogus']]) {
    const r = await hgx(home, args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, /Usage: hypergolix status \[--json\] \[--watch \| --check\] \[--reconnect\] \[--root PATH\]/);
  }
});

test('status --watch whose reader went (status --watch | head -1) ends at its next write instead of running on', { skip: built }, async () => {
  const account = await accountHome(tempHome(), PASSWORD);
  const started = await hgx(account.home, ['start', 'app', '--password-stdin'], `${PASSWORD}\n`);
  assert.equal(started.code, 0, started.err);
  cleanups.push(() => hgx(account.home, ['stop', 'app']));

  const bin = resolve(import.meta.dirname, '../../bin/hypergolix.js');
  const watch = spawn(process.execPath, [bin, 'status', '--watch', '--json'], { env: { ...process.env, HYPERGOLIX_HOME: account.home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  watch.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => watch.once('exit', (code) => r(code)));
  // As `head -1`: the first line read, then the pipe closed.
  await new Promise<void>((r) => watch.stdout.once('data', () => r()));
  watch.stdout.destroy();
  // Each app connecting (here the contacts command) changes the status: a write that finds no reader.
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  for (let i = 0; i < 20 && code === undefined; i++) {
    await hgx(account.home, ['contacts']);
    await new Promise((r) => setTimeout(r, 250));
  }
  if (code === undefined) watch.kill('SIGKILL'); // so that a failure does not hang the file
  assert.equal(code, 0, `status --watch still ran with nobody reading; stderr: ${err}`);
  assert.doesNotMatch(err, /EPIPE|at .*:\d+:\d+/);
});
