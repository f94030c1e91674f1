// `hypergolix config --public-names NAME[,NAME…]` (src/cli/commands/config-args.ts, config.ts,
// config-usage.ts): parsed by the validator the file uses, written as server.public_names,
// shown in the summary, cleared with an empty value; a bad name changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConfigCommand } from '../../../src/cli/commands/config.js';
import { configEdits, parseConfigArgs } from '../../../src/cli/commands/config-args.js';
import { configUsage } from '../../../src/cli/commands/config-usage.js';
import { CliError } from '../../../src/cli/command.js';
import { tempDir } from '../../core/config/helpers.js';
import { runCommand } from '../../fixtures/cli/in-process.js';

function setup() {
  const root = tempDir('hgx-cli-public-names-');
  const hgxHome = join(root, 'hgx');
  const cwd = join(root, 'cwd');
  mkdirSync(cwd, { recursive: true });
  const command = createConfigCommand({ platform: 'linux', systemDir: join(root, 'etc-hypergolix'), stdoutIsTTY: () => false, openUrl: () => {} });
  const env: NodeJS.ProcessEnv = { HOME: join(root, 'home'), HYPERGOLIX_HOME: hgxHome };
  const run = (...argv: string[]) => runCommand(command, argv, env, cwd);
  return { run, file: join(hgxHome, 'hypergolix.yml') };
}

test('parsing: names separated by commas (or spaces), normalized; "" clears; the same flag twice must agree', () => {
  const p = parseConfigArgs(['--public-names', 'HGX.example.org, [::1]:7770']);
  assert.deepEqual(p.publicNames, ['hgx.example.org', '[::1]:7770']);
  assert.deepEqual(configEdits(p), { server: { public_names: ['hgx.example.org', '[::1]:7770'] } });
  assert.deepEqual(parseConfigArgs(['--public-names=a.example,b.example:443']).publicNames, ['a.example', 'b.example:443']);
  assert.deepEqual(configEdits(parseConfigArgs(['--public-names='])), { server: { public_names: null } });
  assert.deepEqual(configEdits(parseConfigArgs(['--public-names', ''])), { server: { public_names: null } });
  assert.deepEqual(parseConfigArgs(['--public-names', 'a.example', '--public-names=A.example.']).publicNames, ['a.example']);
  assert.throws(() => parseConfigArgs(['--public-names', 'a.example', '--public-names', 'b.example']), (e: unknown) => e instanceof CliError && e.exitCode === 2 && /given twice with different values/.test(e.message));
  assert.throws(() => parseConfigArgs(['--public-names']), (e: unknown) => e instanceof CliError && e.exitCode === 2 && /needs a value/.test(e.message));
});

test('parsing: a bad name is a usage error naming the flag, the value and why', () => {
  const cases: [string, RegExp][] = [
    ['example.1', /^--public-names "example\.1": the value must be a host name or IP address, optionally with :PORT\. See "hypergolix config --help"\.$/],
    ['a.example,::1', /name 2 must be a host name or IP address, optionally with :PORT \(an IPv6 address in brackets/],
    ['a.example:0', /the value has a bad port: must be a whole number from 1 to 65535/],
  ];
  for (const [v, says] of cases) {
    assert.throws(() => parseConfigArgs(['--public-names', v]), (e: unknown) => {
      assert.ok(e instanceof CliError);
      assert.equal(e.exitCode, 2);
      assert.match(e.message, says);
      return true;
    }, v);
  }
});

test('the command sets, shows and clears server.public_names in hypergolix.yml, keeping what else it says', async () => {
  const { run, file } = setup();
  assert.equal((await run()).code, 0);
  const before = readFileSync(file, 'utf8');
  writeFileSync(file, before.replace(/^server:\n/m, 'server:\n  # the operator\'s comment\n  registration: open\n'));

  const set = await run('--public-names', 'HGX.example.org,hgx.example.org:7770');
  assert.equal(set.code, 0, set.err);
  assert.match(set.out, /^Server public names set to hgx\.example\.org, hgx\.example\.org:7770\.$/m);
  assert.match(set.out, /Saved .*hypergolix\.yml\. The changes apply the next time Hypergolix starts\./);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /# the operator's comment\n {2}registration: open\n/);
  assert.match(text, /public_names:\n {4}- hgx\.example\.org\n {4}- hgx\.example\.org:7770\n/);

  const shown = await run();
  assert.match(shown.out, /^Server: .*\n {13}public names: hgx\.example\.org, hgx\.example\.org:7770$/m);

  assert.match((await run('--public-names', 'hgx.example.org, HGX.example.org:7770')).out, /Nothing changed in /);

  const refused = await run('--public-names', 'hgx.example.1');
  assert.equal(refused.code, 2);
  assert.match(refused.err, /--public-names "hgx\.example\.1": the value must be a host name/);
  assert.equal(readFileSync(file, 'utf8'), text, 'a refused value writes nothing');

  const cleared = await run('--public-names=');
  assert.equal(cleared.code, 0);
  assert.match(cleared.out, /Server public names cleared: registration challenges are given under any name\./);
  assert.doesNotMatch(readFileSync(file, 'utf8'), /public_names/);
  assert.doesNotMatch((await run()).out, /public names/);
});

test('--help lists the flag and the key with its default', () => {
  const usage = configUsage();
  assert.match(usage, /--public-names NAME\[,NAME…\] +server\.public_names/);
  assert.match(usage, /server\.public_names +the names \(host or host:port\) the server is reached by;[\s\S]*?default \[\] \(any name\)/);
});
