// Passwords from a terminal or standard input: the first line is read without waiting for the
// pipe to close, and a new password meets the account's one rule (real processes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliIO } from '../../src/cli/command.js';
import { checkNewPassword, readPasswordStdin, readStdinLines } from '../../src/cli/prompt.js';
import { accountHome } from '../fixtures/account/home.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/hypergolix.js');
const built = existsSync(join(ROOT, 'dist/cli/index.js')) ? false : 'dist/ is not built (npm test builds it first)';
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
