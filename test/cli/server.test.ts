// `hypergolix start|stop server` through main(argv, io): argument handling, the reference's
// legacy flags, config discovery and the pid-file checks. Running servers are covered by
// test/integration/server-process.test.ts (real processes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { CliIO } from '../../src/cli/command.js';
import { main } from '../../src/cli/index.js';
import { serverHome, tempDir } from '../fixtures/server/helpers.js';

async function run(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), stdin: Readable.from([]), isTTY: false, env, cwd };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const LEGACY: string[][] = [
  ['--cachedir', '/tmp/x'],
  ['-c', '/tmp/x'],
  ['--host', '0.0.0.0'],
  ['-H', 'AUTO'],
  ['--port', '7770'],
  ['-p', '7770'],
  ['--port=7770'],
  ['--chdir', '/'],
  ['--logdir', '/tmp/logs'],
  ['--debug'],
  ['--traceur'],
  ['--verbosity', 'debug'],
  ['-V', 'debug'],
  ['/tmp/hgx-server.pid'], // the positional pid file
];

test('every legacy start server flag (and a pid file argument) fails, pointing at the server: section to edit', async () => {
  const home = await serverHome();
  for (const flags of LEGACY) {
    const r = await run(['start', 'server', ...flags], home.env, home.dir);
    assert.equal(r.code, 2, flags.join(' '));
    assert.ok(r.err.includes(`Server configuration through CLI is no longer supported; edit the server: section of ${home.file}`), r.err);
  }
  const stop = await run(['stop', 'server', '/tmp/hgx-server.pid'], home.env, home.dir);
  assert.equal(stop.code, 2);
  assert.match(stop.err, /no longer supported; edit the server: section of/);
});

test('without a config file the legacy message names where one would be created', async () => {
  const dir = tempDir();
  const r = await run(['start', 'server', '--port', '1'], { HYPERGOLIX_HOME: dir }, dir);
  assert.equal(r.code, 2);
  assert.ok(r.err.includes(`edit the server: section of ${join(dir, 'hypergolix.yml')}`), r.err);
});

test('start server needs an existing config: exit 1, naming where it looked', async () => {
  const dir = tempDir();
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  for (const verb of ['start', 'stop']) {
    const r = await run([verb, 'server', '--root', empty], { HYPERGOLIX_HOME: empty }, dir);
    assert.equal(r.code, 1, verb);
    assert.match(r.err, /needs an existing configuration\. No hypergolix\.yml .*found\. Looked in: /);
    assert.ok(r.err.includes(empty), r.err);
    assert.match(r.err, /hypergolix config/);
  }
});

test('usage errors exit 2: start/stop without a target, an unknown target, an unknown option', async () => {
  const home = await serverHome();
  for (const argv of [['start'], ['stop'], ['start', 'daemon'], ['start', 'server', '--bogus'], ['stop', 'server', '--bogus'], ['start', 'server', '--root']]) {
    const r = await run(argv, home.env, home.dir);
    assert.equal(r.code, 2, argv.join(' '));
  }
  const r = await run(['start'], home.env, home.dir);
  assert.match(r.err, /start what\? Expected "app" or "server"/);
});

test('--help shows the server usage; the command list shows start and stop', async () => {
  const home = await serverHome();
  const help = await run(['start', 'server', '--help'], home.env, home.dir);
  assert.equal(help.code, 0);
  assert.match(help.out, /^Usage: hypergolix start server \[--foreground\] \[--root PATH\]/);
  assert.doesNotMatch(help.out, /hypergolix start app/, 'the server\'s usage alone');
  const appHelp = await run(['start', 'app', '--help'], home.env, home.dir);
  assert.match(appHelp.out, /^Usage: hypergolix start app /);
  assert.doesNotMatch(appHelp.out, /start server/);
  const startHelp = await run(['start', '--help'], home.env, home.dir);
  assert.ok(/hypergolix start app /.test(startHelp.out) && /hypergolix start server /.test(startHelp.out), startHelp.out);
  const stopHelp = await run(['stop', '--help'], home.env, home.dir);
  assert.match(stopHelp.out, /hypergolix stop server \[--force\] \[--root PATH\]/);
  assert.match(stopHelp.out, /hypergolix stop app /);
  const stopServerHelp = await run(['stop', 'server', '--help'], home.env, home.dir);
  assert.match(stopServerHelp.out, /^Usage: hypergolix stop server /);
  assert.doesNotMatch(stopServerHelp.out, /stop app/);
  const list = await run(['--help'], home.env, home.dir);
  assert.match(list.out, /^ {2}start +start the app daemon or the persistence server/m);
  assert.match(list.out, /^ {2}stop +stop the app daemon or the persistence server/m);
});

test('a live process holding server.pid_file: start says already running (pid N), exit 1', async (t) => {
  const home = await serverHome();
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  t.after(() => sleeper.kill('SIGKILL'));
  writeFileSync(home.config.server.pid_file, `${sleeper.pid}\n`);
  for (const flags of [[], ['--foreground']]) {
    const r = await run(['start', 'server', ...flags], home.env, home.dir);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`already running \\(pid ${sleeper.pid}\\)`));
  }
});

test('stop server: nothing running → "not running", a stale pid file → removed; both exit 0', async () => {
  const home = await serverHome();
  const none = await run(['stop', 'server'], home.env, home.dir);
  assert.equal(none.code, 0);
  assert.match(none.out, /^Hypergolix server is not running \(no pid file at /);
  writeFileSync(home.config.server.pid_file, 'garbage\n');
  const stale = await run(['stop', 'server', '--root', home.file], home.env, '/');
  assert.equal(stale.code, 0);
  assert.match(stale.out, /removed unreadable pid file/);
});
