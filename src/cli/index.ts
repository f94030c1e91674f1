import { readFileSync } from 'node:fs';
import { CliError, describeFailure, isExpectedFailure, processIO, type CliIO, type Command } from './command.js';

/** A command as `--help` lists it; its code is loaded only when it runs. */
interface CommandEntry {
  name: string;
  /** One line for the command list in `hypergolix --help`. */
  summary: string;
  load(): Promise<Command>;
}

/**
 * Every command the CLI offers, in the order `--help` lists them. Each is a chunk of its own
 * (scripts/build.mjs splits the bundle), so a process compiles the code of the command it runs:
 * a persistence server does not hold the daemon's, the UI's or the inspector's.
 */
const COMMANDS: readonly CommandEntry[] = [
  { name: 'start', summary: 'start the app daemon or the persistence server (start app | start server)', load: async () => (await import('./commands/lifecycle.js')).startCommand },
  { name: 'stop', summary: 'stop the app daemon or the persistence server (stop app | stop server)', load: async () => (await import('./commands/lifecycle.js')).stopCommand },
  { name: 'status', summary: 'what runs here and how it stands: the app daemon (remotes, cache, apps, shares) and the server', load: async () => (await import('./commands/status.js')).statusCommand },
  {
    name: 'account',
    summary: 'your account on every computer: sign in (account login), change the password (account password), recovery kits (account recovery-kit, account recover)',
    load: async () => (await import('./commands/account.js')).accountCommand,
  },
  { name: 'config', summary: 'show or edit the configuration (hypergolix.yml); --whoami, --register', load: async () => (await import('./commands/config.js')).configCommand },
  {
    name: 'contacts',
    summary: 'the people you know: names, trust, verification (list | add | rename | trust | ask | block | verify | remove)',
    load: async () => (await import('./commands/contacts.js')).contactsCommand,
  },
  { name: 'shares', summary: 'shares waiting for you, received and sent; accept or decline (list | accept | decline)', load: async () => (await import('./commands/shares.js')).sharesCommand },
  {
    name: 'server',
    summary: 'operate a persistence server: server accounts list | approve | revoke | invite; server migrate; server check (its store, damaged objects)',
    load: async () => (await import('./commands/server-accounts.js')).serverCommand,
  },
  { name: 'inspect', summary: 'look into Golix object files or a ghidcache: type, GHID, fields, hash and signature checks', load: async () => (await import('./commands/inspect.js')).inspectCommand },
];

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
  const entry = COMMANDS.find((c) => c.name === first);
  if (!entry) {
    io.err(`hypergolix: unknown command "${first}". Run "hypergolix --help" for the list.`);
    return 2;
  }
  const command = await entry.load();
  // After "--" every argument is an operand (`inspect -- --help` inspects a file named --help).
  const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (options.includes('-h') || options.includes('--help')) {
    io.out(command.usageOf?.(options) ?? command.usage);
    return 0;
  }
  // Every command takes --root; an empty one (an unset variable: --root "$HGX") is a bad
  // argument (2), not a failure of the command (status's 1 means "not running").
  const rootAt = options.findIndex((a, i) => (a === '--root' && options[i + 1]?.trim() === '') || /^--root=\s*$/.test(a));
  if (rootAt >= 0) {
    io.err(`hypergolix ${command.name}: The config root is empty: give the path of a folder or of a hypergolix.yml`);
    return 2;
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
