// Passwords from a terminal or standard input: the first line is read without waiting for the
// pipe to close, and a new password meets the account's one rule (real processes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliIO } from '../../src/cli/command.js';
import { checkNewPassword, readPasswordStdin, readStdinLines } from '../../src/cli/prompt.js';
import { accountHome } from '../fixtures/account/home.js';
import { freePort } from '../fixtures/free-port.js';
import { inTerminal, noTerminal } from '../fixtures/process/terminal.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/hypergolix.js');
const built = existsSync(join(ROOT, 'dist/cli/index.js')) ? false : 'dist/ is not built (npm test builds it first)';
const terminal = noTerminal || built;
const homes: string[] = [];
test.after(() => homes.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempHome = () => (homes.push(mkdtempSync(join(tmpdir(), 'hgx-prompt-'))), homes.at(-1)!);

function ioOf(stdin: PassThrough): CliIO {
  return { out: () => {}, err: () => {}, stdin, isTTY: false, env: {}, cwd: '/' };
}

/** Runs the CLI; `input` is written to its standard input, which stays open unless `close`. */
function hgx(home: string, args: string[], input: string, close = true): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, HYPERGOLIX_HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.stdin.on('error', () => {});
    child.stdin.write(input);
    if (close) child.stdin.end();
    child.on('exit', (code) => {
      child.stdin.destroy();
      done({ code: code ?? 1, out, err });
    });
  });
}

test('readStdinLines returns the first lines while the stream stays open', async () => {
  const stdin = new PassThrough();
  stdin.write('current password\nnew pass');
  const lines = readStdinLines(ioOf(stdin), 2);
  stdin.write('word\nmore that is never read\n');
  assert.deepEqual(await lines, ['current password', 'new password']);
  const one = new PassThrough();
  one.write('only\r\n');
  assert.equal(await readPasswordStdin(ioOf(one)), 'only');
});

test('readStdinLines: a stream that ends early is a clear error', async () => {
  const empty = new PassThrough();
  empty.end('');
  await assert.rejects(readPasswordStdin(ioOf(empty)), /--password-stdin: standard input held no line/);
  const short = new PassThrough();
  short.end('just one\n');
  await assert.rejects(readStdinLines(ioOf(short), 2, '--recovery-key-stdin'), /--recovery-key-stdin: standard input held fewer than 2 lines/);
});

test('checkNewPassword applies the one rule; --allow-weak-password waives only strength', () => {
  assert.throws(() => checkNewPassword('abc'), /at least 10 characters/);
  assert.throws(() => checkNewPassword('aaaaaaaaaaaa'), /--allow-weak-password/);
  assert.equal(checkNewPassword('aaaaaaaaaaaa', { allowWeak: true }), 'aaaaaaaaaaaa');
  assert.throws(() => checkNewPassword('abc', { allowWeak: true }), /at least 10 characters/);
});

test('start app --password-stdin: a weak new password is refused before any key is made', { skip: built }, async () => {
  const home = tempHome();
  const short = await hgx(home, ['start', 'app', '--password-stdin'], 'abc\n');
  assert.equal(short.code, 2, short.err);
  assert.match(short.err, /at least 10 characters \(this one has 3\)/);
  const weak = await hgx(home, ['start', 'app', '--password-stdin'], 'aaaaaaaaaaaa\n');
  assert.equal(weak.code, 2);
  assert.match(weak.err, /--allow-weak-password/);
  const alone = await hgx(home, ['start', 'app', '--allow-weak-password'], '');
  assert.match(alone.err, /--allow-weak-password goes with --password-stdin/);
  assert.equal(existsSync(join(home, 'ghidcache')), false, 'no account was started');
});

test('start app --password-stdin reads the first line and proceeds while the pipe stays open', { skip: built }, async () => {
  const { home } = await accountHome(tempHome(), 'velvet-harbor-quince-58');
  // As `(echo pw; sleep 600) | hypergolix start app --password-stdin`: the pipe never closes.
  const started = await hgx(home, ['start', 'app', '--password-stdin'], 'velvet-harbor-quince-58\n', false);
  assert.equal(started.code, 0, started.err);
  assert.match(started.out, /app daemon started/);
  const stopped = await hgx(home, ['stop', 'app'], '');
  assert.equal(stopped.code, 0, stopped.err);
});

/** Pids of the daemons `start app` detached for `home` (found by their environment). */
function detachedDaemons(home: string): number[] {
  return processesOf(home).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').includes('--detached-child');
    } catch {
      return false; // gone meanwhile
    }
  });
}

/** Pids of this test's CLI processes for `home` (found by their environment): the command and its daemon. */
function processesOf(home: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
        return env.includes(`HYPERGOLIX_HOME=${home}`);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(check(), what);
}

test('start app in a terminal, first run: the daemon starts, and makes the keys, while the password is typed', { skip: terminal }, async () => {
  const home = tempHome();
  assert.equal((await hgx(home, ['config', '--ipc-port', String(await freePort())], '')).code, 0);
  const run = inTerminal([process.execPath, BIN, 'start', 'app'], { ...process.env, HYPERGOLIX_HOME: home });
  await run.waitFor(/New password: /);
  await until('the daemon runs while the prompt waits', () => detachedDaemons(home).length === 1);
  await run.answer('New password: ', 'velvet-harbor-quince-58');
  await run.answer('Same password again: ', 'velvet-harbor-quince-58');
  assert.equal(await run.exited, 0, run.output());
  assert.match(run.output(), /Account created\./);
  assert.match(run.output(), /app daemon started/);
  const stopped = await hgx(home, ['stop', 'app'], '');
  assert.equal(stopped.code, 0, stopped.err);
  const again = await hgx(home, ['start', 'app', '--password-stdin'], 'velvet-harbor-quince-58\n');
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /Account login successful/);
  assert.equal((await hgx(home, ['stop', 'app'], '')).code, 0);
});

test('start app in a terminal: Ctrl-C at the password prompt stops the daemon waiting for it, which leaves nothing behind', { skip: terminal }, async () => {
  const home = tempHome();
  assert.equal((await hgx(home, ['config', '--ipc-port', String(await freePort())], '')).code, 0);
  const before = readdirSync(home).sort();
  const run = inTerminal([process.execPath, BIN, 'start', 'app'], { ...process.env, HYPERGOLIX_HOME: home });
  await run.waitFor(/New password: /);
  await until('the daemon runs while the prompt waits', () => detachedDaemons(home).length === 1);
  await run.answer('New password: ', '\x03');
  assert.equal(await run.exited, 130, run.output());
  assert.match(run.output(), /Cancelled/);
  assert.deepEqual(detachedDaemons(home), [], 'the daemon is gone when the command returns');
  assert.deepEqual(readdirSync(home).sort(), before, 'no ghidcache, log or pid file was made');
});

test('start app in a terminal: Ctrl-D at the password prompt ends the command (exit 1) and the daemon waiting for it', { skip: terminal }, async () => {
  const { home } = await accountHome(tempHome(), 'velvet-harbor-quince-58');
  const run = inTerminal([process.execPath, BIN, 'start', 'app'], { ...process.env, HYPERGOLIX_HOME: home });
  await run.waitFor(/Hypergolix password: /);
  await until('the daemon runs while the prompt waits', () => detachedDaemons(home).length === 1);
  // Ctrl-D on an empty line: the prompt's input ends without an answer (it used to wait for ever).
  await run.answer('Hypergolix password: ', '\x04');
  const code = await Promise.race([run.exited, new Promise<string>((r) => setTimeout(() => r('still waiting after 20 s'), 20_000).unref())]);
  // A failure must not hang the file: its own processes go.
  if (code !== 1) for (const pid of processesOf(home)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
  assert.equal(code, 1, run.output());
  assert.match(run.output(), /Nothing was entered: the input ended \(Ctrl-D\)/);
  assert.deepEqual(detachedDaemons(home), [], 'the daemon is gone when the command returns');
});
