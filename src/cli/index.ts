import { readFileSync } from 'node:fs';
import { CliError, describeFailure, isExpectedFailure, processIO, type CliIO, type Command } from './command.js';
import { accountCommand } from './commands/account.js';
import { configCommand } from './commands/config.js';
import { contactsCommand } from './commands/contacts.js';
import { inspectCommand } from './commands/inspect.js';
import { startCommand, stopCommand } from './commands/lifecycle.js';
import { serverCommand } from './commands/server-accounts.js';
import { sharesCommand } from './commands/shares.js';

/** Every command the CLI offers, in the order `--help` lists them. */
const COMMANDS: Command[] = [startCommand, stopCommand, accountCommand, configCommand, contactsCommand, sharesCommand, serverCommand, inspectCommand];

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: hypergolix <command> [options]',
    '',
    'End-to-end-encrypted, local-first object store and sharing (Golix protocol).',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show this help, or a command\'s help: hypergolix <command> --help',
    '  -V, --version  print the version',
  ].join('\n');
}

/** Runs the CLI with the given arguments; resolves to the exit status. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.out(help());
    return first === undefined ? 2 : 0;
  }
  if (first === '-V' || first === '--version') {
    io.out(`hypergolix ${version()}`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    io.err(`hypergolix: unknown command "${first}". Run "hypergolix --help" for the list.`);
    return 2;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof CliError) {
      if (!err.shown) io.err(`hypergolix ${command.name}: ${err.message}`);
      return err.exitCode;
    }
    if (isExpectedFailure(err)) {
      io.err(`hypergolix ${command.name}: ${describeFailure(err)}`);
      return 1;
    }
    io.err(`hypergolix ${command.name}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}
