// `hypergolix config` end to end through its run(argv, io), against real files in temp homes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConfigCommand } from '../../src/cli/commands/config.js';
import { ghidText, tempDir } from '../core/config/helpers.js';
import { runCommand } from '../fixtures/cli/in-process.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

function setup(opts: { tty?: boolean; display?: boolean } = {}) {
  const root = tempDir('hgx-cli-config-');
  const hgxHome = join(root, 'hgx');
  const home = join(root, 'home');
  const cwd = join(root, 'cwd');
  mkdirSync(cwd, { recursive: true });
  const opened: string[] = [];
  const command = createConfigCommand({
    platform: 'linux',
    systemDir: join(root, 'etc-hypergolix'),
    stdoutIsTTY: () => opts.tty ?? false,
    openUrl: (url) => void opened.push(url),
  });
  const env: NodeJS.ProcessEnv = { HOME: home, HYPERGOLIX_HOME: hgxHome, ...(opts.display ? { DISPLAY: ':0' } : {}) };
  /** Runs the command the way src/cli/index.ts does, turning thrown errors into exit codes. */
  const run = (...argv: string[]): Promise<Run> => runCommand(command, argv, env, cwd);
  const file = join(hgxHome, 'hypergolix.yml');
  return { run, file, opened, hgxHome, root, cwd };
}

test('no config yet: it is created in $HYPERGOLIX_HOME with a welcome, and summarized', async () => {
  const { run, file } = setup();
  const r = await run();
  assert.equal(r.code, 0);
  assert.match(r.out, /^Welcome to Hypergolix!.*\n/);
  assert.ok(r.out.includes(file));
  assert.ok(existsSync(file));
  assert.match(r.out, /Config file: +.*hypergolix\.yml/);
  assert.match(r.out, /Account: +no account yet/);
  assert.match(r.out, /Remotes: +none \(this computer only\)/);
  assert.match(r.out, /Logging: +info, debug off/);
  assert.match(r.out, /IPC port: +7772/);
  assert.match(r.out, /Server: +127\.0\.0\.1:7770/);
  assert.match(r.out, /Sharing: +ask/);
  const again = await run();
  assert.doesNotMatch(again.out, /Welcome/);
});

test('$HYPERGOLIX_HOME where no folder can be made (under /proc): refused at once, naming the folder, nothing hangs', { skip: existsSync('/proc/self') ? false : 'no /proc on this system' }, async () => {
  const command = createConfigCommand({ platform: 'linux', systemDir: join(tempDir('hgx-cli-proc-'), 'etc'), stdoutIsTTY: () => false, openUrl: () => {} });
  const r = await runCommand(command, [], { HOME: tempDir('hgx-cli-proc-home-'), HYPERGOLIX_HOME: '/proc/hgx-nowhere' }, tempDir('hgx-cli-proc-cwd-'));
  assert.equal(r.code, 1);
  assert.match(r.err, /\/proc\/hgx-nowhere\/hypergolix\.yml: could not be written: .*mkdir '\/proc\/hgx-nowhere'/);
});

test('--whoami: full GHIDs, labelled, exit 0; without an account it says so and exits 1', async () => {
  const { run, file } = setup();
  const none = await run('--whoami');
  assert.equal(none.code, 1);
  assert.match(none.out, /No account yet/);

  const fp = ghidText();
  const uid = ghidText();
  writeFileSync(file, readFileSync(file, 'utf8').replace('fingerprint: null', `fingerprint: ${fp}`).replace('user_id: null', `user_id: ${uid}`));
  const r = await run('--whoami');
  assert.equal(r.code, 0);
  assert.equal(r.out, `Fingerprint: ${fp}\nUser ID:     ${uid}`);
  const summary = await run();
  assert.ok(summary.out.includes(fp) && summary.out.includes(uid));
});

test('--add-remote and --remove-remote (and the reference -ah / -rh forms) edit the file', async () => {
  const { run, file } = setup();
  let r = await run('--add-remote', 'hgx.example.org:7770:tls');
  assert.equal(r.code, 0);
  assert.match(r.out, /Added remote hgx\.example\.org:7770 \(TLS\)\./);
  assert.match(r.out, /The changes apply the next time Hypergolix starts\.$/);
  r = await run('-ah', '10.0.0.5', '7771', 'n');
  assert.equal(r.code, 0);
  let text = readFileSync(file, 'utf8');
  assert.match(text, /- host: hgx\.example\.org\n {4}port: 7770\n {4}tls: true/);
  assert.match(text, /- host: 10\.0\.0\.5\n {4}port: 7771\n {4}tls: false/);
  const summary = await run();
  assert.match(summary.out, /Remotes: +hgx\.example\.org:7770 \(TLS\)\n +10\.0\.0\.5:7771 \(no TLS\)/);

  r = await run('--remove-remote', 'hgx.example.org:7770');
  assert.match(r.out, /Removed remote hgx\.example\.org:7770\./);
  r = await run('-rh', '10.0.0.5', '7771');
  assert.match(r.out, /The changes apply the next time Hypergolix starts\.$/);
  text = readFileSync(file, 'utf8');
  assert.doesNotMatch(text, /host: (hgx\.example\.org|10\.0\.0\.5)/);
  r = await run('--remove-remote', 'nowhere.org:1');
  assert.match(r.out, /not configured; nothing to remove/);
  assert.match(r.out, /Nothing changed/);
});

test('a saved change names the running processes that must restart to apply it', async (t) => {
  const { run, hgxHome } = setup();
  await run();
  // Stand-ins for a running daemon and server: live processes named by this config's pid files.
  const sleepers = [spawn('sleep', ['60']), spawn('sleep', ['60'])];
  t.after(() => sleepers.forEach((p) => p.kill()));
  writeFileSync(join(hgxHome, 'hypergolix.pid'), `${sleepers[0]!.pid}\n{}\n`);
  let r = await run('--verbosity', 'debug');
  assert.match(r.out, new RegExp(`Restart Hypergolix to apply the changes: the app daemon \\(pid ${sleepers[0]!.pid}\\) still runs with the settings it started with\\.$`));
  writeFileSync(join(hgxHome, 'hgx-server.pid'), `${sleepers[1]!.pid}\n{}\n`);
  r = await run('--verbosity', 'info');
  assert.match(r.out, /the app daemon \(pid \d+\) and the server \(pid \d+\) still run with the settings they started with\.$/);
  // A pid file left by a process that is gone is not a running process.
  sleepers[0]!.kill();
  sleepers[1]!.kill();
  await Promise.all(sleepers.map((p) => new Promise((done) => (p.exitCode !== null || p.signalCode !== null ? done(null) : p.once('exit', done)))));
  r = await run('--verbosity', 'debug');
  assert.match(r.out, /The changes apply the next time Hypergolix starts\.$/);
});

test('a bad value names the flag and value, exits 2 and leaves the file byte-identical', async () => {
  const { run, file } = setup();
  await run();
  const before = readFileSync(file);
  const bad: [string[], RegExp][] = [
    [['--add-remote', 'example.org:99999'], /--add-remote "example\.org:99999".*port/],
    [['--ipc-port', '0'], /--ipc-port "0".*1 to 65535/],
    [['-ah', 'example.org', '7770', 'maybe'], /-ah TLS "maybe"/],
    [['-v', 'chatty'], /-v "chatty".*shouty/],
    [['--sharing', 'everyone'], /--sharing "everyone"/],
    [['--add', 'elsewhere'], /only "hgx"/],
    [['--only', 'local', '--add-remote', 'a.org:1'], /--only .*cannot be combined/],
    [['--debug', '--no-debug'], /contradict/],
    [['--frobnicate'], /unknown option --frobnicate/],
    [['--ipc-port'], /--ipc-port needs a value/],
    [['--add-remote', 'a.org:1', '--ipc-port', '70000'], /--ipc-port "70000"/],
  ];
  for (const [argv, says] of bad) {
    const r = await run(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err, says);
    assert.deepEqual(readFileSync(file), before, `${argv.join(' ')} must not touch the file`);
  }
});

test('a bad value on a fresh machine is refused before any config is created', async () => {
  const { run, file } = setup();
  const r = await run('--ipc-port', 'abc');
  assert.equal(r.code, 2);
  assert.equal(existsSync(file), false);
});

test('--verbosity takes the reference aliases; --debug/--no-debug, --ipc-port, --sharing', async () => {
  const { run, file } = setup();
  let r = await run('-v', 'louder', '--debug', '-ipc', '7780', '--sharing', 'known');
  assert.equal(r.code, 0);
  assert.match(r.out, /Verbosity set to debug\./);
  assert.match(r.out, /The changes apply the next time Hypergolix starts\.$/);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /verbosity: debug/);
  assert.match(text, /debug: true/);
  assert.match(text, /ipc_port: 7780/);
  assert.match(text, /sharing:\n {2}accept: known/);
  r = await run('--verbosity', 'quiet', '--no-debug');
  assert.match(readFileSync(file, 'utf8'), /verbosity: error\n {2}debug: false/);
  r = await run();
  assert.match(r.out, /Logging: +error, debug off/);
  assert.match(r.out, /IPC port: +7780/);
  assert.match(r.out, /Sharing: +known/);
});

test('--only local, --add hgx (with the note that it is gone), --only hgx', async () => {
  const { run, file } = setup();
  await run('--add-remote', 'a.org:1');
  let r = await run('--add', 'hgx');
  assert.match(r.out, /no longer exists/);
  assert.match(readFileSync(file, 'utf8'), /host: hgx\.hypergolix\.com\n {4}port: 443\n {4}tls: true/);
  r = await run('--only', 'local');
  assert.equal(r.code, 0);
  assert.match(readFileSync(file, 'utf8'), /^remotes: \[\]$/m);
  r = await run('-o', 'hgx');
  assert.match(r.out, /no longer exists/);
  assert.equal((readFileSync(file, 'utf8').match(/- host:/g) ?? []).length, 1);
  r = await run('--remove', 'hgx');
  assert.match(r.out, /Removed remote hgx\.hypergolix\.com:443\./);
});

test('--register: prints the URL with the fingerprint, opens it only on a terminal with a display', async () => {
  const fp = ghidText();
  const withAccount = (file: string) =>
    writeFileSync(
      file,
      readFileSync(file, 'utf8')
        .replace('fingerprint: null', `fingerprint: ${fp}`)
        .replace('remotes: []', 'remotes:\n  - {host: plain.org, port: 7770, tls: false}\n  - {host: reg.org, port: 443, tls: true, registration: "https://reg.org/signup?lang=en"}'),
    );

  const quiet = setup({ tty: false, display: true });
  await quiet.run();
  withAccount(quiet.file);
  const r = await quiet.run('--register');
  assert.equal(r.code, 0);
  const expected = `https://reg.org/signup?lang=en&fingerprint=${encodeURIComponent(fp)}`;
  assert.ok(r.out.includes(expected), r.out);
  assert.ok(expected.includes('%3D'), 'the padding is URL-encoded');
  assert.match(r.out, /reg\.org:443 \(TLS\)/);
  assert.deepEqual(quiet.opened, [], 'not a terminal: nothing opened');

  const tty = setup({ tty: true, display: true });
  await tty.run();
  withAccount(tty.file);
  const t = await tty.run('--register');
  assert.deepEqual(tty.opened, [expected]);
  assert.match(t.out, /Opening it in your browser/);

  const headless = setup({ tty: true, display: false });
  await headless.run();
  withAccount(headless.file);
  await headless.run('--register');
  assert.deepEqual(headless.opened, [], 'no display: nothing opened');
});

test('--register without a remote, an account or a running daemon fails clearly with exit 1', async () => {
  const { run, file } = setup();
  const noRemote = await run('--register');
  assert.equal(noRemote.code, 1);
  await run('--add-remote', 'a.org:1');
  const noAccount = await run('--register');
  assert.equal(noAccount.code, 1);
  assert.match(noAccount.err, /no account yet/);
  writeFileSync(file, readFileSync(file, 'utf8').replace('fingerprint: null', `fingerprint: ${ghidText()}`));
  const noDaemon = await run('--register');
  assert.equal(noDaemon.code, 1);
  assert.match(noDaemon.err, /needs the app daemon.*hypergolix start app/);
});

test('--root picks an explicit file or directory', async () => {
  const { run, root, hgxHome } = setup();
  const dir = join(root, 'explicit');
  const r = await run('--root', dir, '--ipc-port', '7001');
  assert.equal(r.code, 0);
  assert.match(readFileSync(join(dir, 'hypergolix.yml'), 'utf8'), /ipc_port: 7001/);
  assert.equal(existsSync(join(hgxHome, 'hypergolix.yml')), false);
  const s = await run(`--root=${join(dir, 'hypergolix.yml')}`);
  assert.match(s.out, /IPC port: +7001/);
});

test('the summary says when apps must prove the key without sending it (process.ipc_accept_sent_key off)', async () => {
  const { run, file, hgxHome } = setup();
  mkdirSync(hgxHome, { recursive: true });
  writeFileSync(file, 'process:\n  ipc_port: 7772\n');
  assert.match((await run()).out, /IPC port: +7772$/m, 'on by default: nothing to say');
  writeFileSync(file, 'process:\n  ipc_port: 7772\n  ipc_accept_sent_key: false\n');
  assert.match((await run()).out, /IPC port: +7772 \(apps must prove the key without sending it: hgx SDK 0\.3\)$/m);
  writeFileSync(file, 'process:\n  ipc_accept_sent_key: perhaps\n');
  const bad = await run();
  assert.equal(bad.code, 1);
  assert.match(bad.err, /ipc_accept_sent_key/);
});

test('a config with a bad value is reported with file, line and field (exit 1), not a crash', async () => {
  const { run, file, hgxHome } = setup();
  mkdirSync(hgxHome, { recursive: true });
  writeFileSync(file, 'process:\n  ipc_port: 7772\nremotes:\n  - host: a.org\n    port: 123456\n');
  const r = await run('--add-remote', 'b.org:1');
  assert.equal(r.code, 1);
  assert.ok(r.err.includes(`${file}, line 5: remotes[0].port must be a whole number from 1 to 65535, not 123456`), r.err);
});

test('warnings about the file are printed on stderr', async () => {
  const { run, file, hgxHome } = setup();
  mkdirSync(hgxHome, { recursive: true });
  writeFileSync(file, 'process:\n  ipc_legacy_clients: true\n');
  const r = await run();
  assert.equal(r.code, 0);
  assert.match(r.err, /^warning: process\.ipc_legacy_clients is on/m);
  assert.match(r.out, /legacy apps may connect without a key/);
});

test('a legacy hgx-cfg.json is converted on the first run, keeping a .bak', async () => {
  const { run, hgxHome } = setup();
  mkdirSync(hgxHome, { recursive: true });
  const json = join(hgxHome, 'hgx-cfg.json');
  writeFileSync(json, JSON.stringify({ process: { ipc_port: 7775, __ProcessDef__: true } }, null, 4));
  const r = await run();
  assert.equal(r.code, 0);
  assert.match(r.out, /Converted the 2016 configuration/);
  assert.ok(existsSync(`${json}.bak`));
  assert.match(r.out, /IPC port: +7775/);
});
