// Seeded random command lines for the commands that start nothing and reach no network:
// config, contacts, shares, status, inspect and server accounts, in a home of their own. Each must end
// with an exit status and, when it fails, the CLI's own message (a CliError or an expected
// failure), never what src/cli/index.ts prints as "unexpected error". HGX_FUZZ_REQUESTS and
// HGX_FUZZ_SEED run other campaigns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CliError, describeFailure, isExpectedFailure, type CliIO, type Command } from '../../src/cli/command.js';
import { createConfigCommand } from '../../src/cli/commands/config.js';
import { contactsCommand } from '../../src/cli/commands/contacts.js';
import { inspectCommand } from '../../src/cli/commands/inspect.js';
import { serverCommand } from '../../src/cli/commands/server-accounts.js';
import { sharesCommand } from '../../src/cli/commands/shares.js';
import { statusCommand } from '../../src/cli/commands/status.js';
import { ghidText, tempDir } from '../core/config/helpers.js';
import { pick, rng } from '../fixtures/mutate.js';
import { V16_DIR, v16Objects } from '../fixtures/vectors.js';

const LINES = Number(process.env.HGX_FUZZ_REQUESTS ?? 600);
const SEED = Number(process.env.HGX_FUZZ_SEED ?? 0xc11);

test(`${LINES} random command lines: each ends with an exit status and the CLI's own message, never an unexpected error`, async (t) => {
  const root = tempDir('hgx-cli-fuzz-');
  const home = join(root, 'hgx');
  const cwd = join(root, 'cwd');
  const objects = join(root, 'objects');
  for (const d of [home, cwd, objects]) mkdirSync(d, { recursive: true });
  // A closed port, so that the people commands find no daemon rather than someone else's.
  writeFileSync(join(home, 'hypergolix.yml'), 'process:\n  ipc_port: 1\n');
  for (const o of v16Objects().slice(0, 6)) copyFileSync(join(V16_DIR, o.entry.file), join(objects, `${o.obj.ghid.text}.ghid`));
  writeFileSync(join(objects, 'garbage.ghid'), 'not an object');
  writeFileSync(join(objects, `${ghidText()}.ghid`), Buffer.alloc(0));

  const opened: string[] = [];
  const commands: [name: string, command: Command, words: string[]][] = [
    [
      'config',
      createConfigCommand({ platform: 'linux', systemDir: join(root, 'etc'), stdoutIsTTY: () => false, openUrl: (url) => void opened.push(url) }),
      ['--whoami', '--register', '--add-remote', '--remove-remote', '-ah', '--addhost', '-rh', '--removehost', '-o', '--only', '-a', '--add', '-r', '--remove', '-v', '--verbosity', '--debug', '--no-debug', '-ipc', '--ipc-port', '--sharing', 'local', 'hgx', 'debug', 'shouty', 'quiet', 'all', 'known', 'ask', 'y', 'n', 'true', 'tls'],
    ],
    ['contacts', contactsCommand, ['list', 'add', 'rename', 'trust', 'ask', 'block', 'verify', 'remove', '--json', '--yes']],
    ['shares', sharesCommand, ['list', 'accept', 'decline', '--trust', '--block', '--json']],
    ['status', statusCommand, ['--json', 'app', 'server']],
    ['inspect', inspectCommand, ['--json', '--full', '-q', '--quiet', '--strict', '-r', '--recursive', '--', objects, join(objects, 'garbage.ghid'), join(objects, 'missing.ghid'), root]],
    ['server', serverCommand, ['list', 'approve', 'revoke', 'invite', '--json', '--uses', '--expires', '30m', '2w', '0d', '9999999w']],
  ];
  const values = ['', '-', '--', '=', '0', '1', '-1', '65535', '65536', '99999', 'abc', '127.0.0.1', '127.0.0.1:1', '[::1]:1', 'a:b:c:d', 'h:1:tls', 'x'.repeat(300), '🙂', '\u0000', '--root', home, join(root, 'nowhere'), ghidText(), ghidText().slice(0, 40), 'AQ'];

  const rand = rng(SEED);
  const statuses: Record<string, number> = {};
  for (let i = 0; i < LINES; i++) {
    const [name, command, words] = commands[pick(rand, commands.length)]!;
    const argv = Array.from({ length: pick(rand, 6) }, () => (rand() < 0.6 ? words[pick(rand, words.length)]! : values[pick(rand, values.length)]!));
    if (name === 'server' && rand() < 0.9) argv.unshift('accounts');
    // --root only ever names a place inside this test's directory.
    for (let k = 0; k < argv.length; k++) if (argv[k] === '--root') argv[k + 1] = rand() < 0.5 ? home : join(root, 'elsewhere');
    const err: string[] = [];
    const io: CliIO = { out: () => {}, err: (x) => err.push(x), stdin: Readable.from([]), isTTY: false, env: { HOME: join(root, 'home'), HYPERGOLIX_HOME: home }, cwd };
    let status: number;
    try {
      status = await command.run(argv, io);
    } catch (e) {
      if (!(e instanceof CliError) && !isExpectedFailure(e)) assert.fail(`${name} ${JSON.stringify(argv)}: unexpected error ${e instanceof Error ? e.stack : String(e)}`);
      assert.ok(e instanceof CliError ? e.message.length > 0 : describeFailure(e).length > 0, `${name} ${JSON.stringify(argv)}: a failure without words`);
      status = e instanceof CliError ? e.exitCode : 1;
    }
    assert.ok(Number.isInteger(status) && status >= 0 && status < 256, `${name} ${JSON.stringify(argv)}: status ${status}`);
    statuses[`${name} ${status}`] = (statuses[`${name} ${status}`] ?? 0) + 1;
  }
  t.diagnostic(`seed ${SEED}: ${Object.entries(statuses).map(([k, n]) => `${k}: ${n}`).join(', ')}; registration pages opened: ${opened.length}`);
});
