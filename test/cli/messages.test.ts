// What the CLI prints when things go wrong, as a real process: one line, no stack, no internal
// class name in front, each error once; `inspect` never reads past its limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../fixtures/server/helpers.js';

const CLASS_PREFIX = /(^|: )(_?[A-Z][A-Za-z]*(Error|Secret|Exists|Full)|CommsError|UnknownSecret|_ConfigError):/m;

test('inspect /dev/zero returns promptly, refusing what is past the size limit', { skip: process.platform === 'win32' ? 'no /dev/zero' : false }, async () => {
  const dir = tempDir('hgx-cli-msg-');
  const r = await runCli(['inspect', '/dev/zero'], { env: { ...process.env, HYPERGOLIX_HOME: dir }, cwd: dir, timeoutMs: 30_000 });
  const all = r.stdout + r.stderr;
  assert.match(all, /Object of more than 10485760 bytes exceeds the 10485760-byte limit/); // never read to its end, so not measured
  assert.doesNotMatch(all, /\n\s+at .*:\d+:\d+/, 'no stack trace');
});

test('a config file that is a loop of symbolic links: one clear line, no stack, no class name', async () => {
  const dir = tempDir('hgx-cli-msg-');
  const a = join(dir, 'hypergolix.yml');
  const b = join(dir, 'other.yml');
  symlinkSync(b, a);
  symlinkSync(a, b);
  const r = await runCli(['start', 'server', '--foreground', '--root', dir], { env: { ...process.env, HYPERGOLIX_HOME: dir }, cwd: dir, timeoutMs: 30_000 });
  assert.notEqual(r.code, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /loop of (symbolic )?links|ELOOP/);
  assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /);
  assert.doesNotMatch(lines[0]!.replace(/^hypergolix start: /, ''), CLASS_PREFIX);
});

test("a verb's --help prints that verb's usage (server migrate, server accounts, account login), the command's own the whole", async () => {
  const dir = tempDir('hgx-cli-msg-');
  const help = async (...args: string[]) => {
    const r = await runCli([...args, '--help'], { env: { ...process.env, HYPERGOLIX_HOME: dir }, cwd: dir, timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const migrate = await help('server', 'migrate');
  assert.match(migrate, /^Usage: hypergolix server migrate --from/);
  assert.doesNotMatch(migrate, /server accounts list/);
  const accounts = await help('server', 'accounts');
  assert.match(accounts, /server accounts/);
  assert.doesNotMatch(accounts, /--from files\|postgres/);
  assert.match(await help('account', 'login'), /^Usage: hypergolix account login /);
  const whole = await help('server');
  assert.ok(/server accounts/.test(whole) && /server migrate --from/.test(whole), whole);
  assert.match(await help(), /contacts .*\| trust \| ask \| block \|/);
});
