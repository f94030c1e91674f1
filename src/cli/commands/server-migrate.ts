/**
 * `hypergolix server migrate --from files|postgres --to postgres|files`: a persistence server's
 * objects copied between its ghidcache (server.ghidcache) and its database (server.postgres, or
 * the PG* variables), with the server stopped. Then set server.store to the new side and start it.
 * Dispatched by `hypergolix server` (server-accounts.ts).
 */
import { parseArgs } from '../args.js';
import { copyFilesToPostgres, copyPostgresToFiles } from '../../core/postgres/migrate-store.js';
import { describeTarget } from '../../core/postgres/connect.js';
import { readPidFile } from '../../core/process/index.js';
import { CliError, type CliIO } from '../command.js';
import { loadServerConfig } from './server-config.js';

export const SERVER_MIGRATE_USAGE = `Usage: hypergolix server migrate --from files|postgres --to postgres|files [--root PATH]

Copies a persistence server's objects between its file store (server.ghidcache) and a
PostgreSQL database (server.postgres; what the URL leaves out comes from PGHOST, PGDATABASE, …),
for moving a server onto several nodes sharing one database, or back. The server must be
stopped, and the destination empty (a new database gets its schema first). The source is left
as it was. Afterwards set server.store to the destination and start the server.

  --from, --to   files or postgres (one of each)
  --root PATH    use this hypergolix.yml (or the one in this directory)`;

const SIDES = ['files', 'postgres'] as const;

export async function runServerMigrate(argv: string[], io: CliIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { from: { type: 'string' }, to: { type: 'string' }, root: { type: 'string' } }, strict: true }));
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${SERVER_MIGRATE_USAGE}`);
  }
  const { from, to } = values;
  if (!SIDES.includes(from as never) || !SIDES.includes(to as never) || from === to) {
    throw new CliError(`Give --from and --to, one "files" and the other "postgres".\n\n${SERVER_MIGRATE_USAGE}`);
  }
  const s = (await loadServerConfig(values.root, io)).config.server;
  const running = readPidFile(s.pid_file);
  if (running?.alive) throw new CliError(`Stop the server first (pid ${running.pid}, pid file ${s.pid_file}): a copy needs the store at rest`, 1);
  const options = {
    ghidcache: s.ghidcache,
    url: s.postgres,
    warn: (m: string) => io.err(`warning: ${m}`),
    progress: (copied: number, total: number) => {
      if (copied === total || copied % 10_000 === 0) io.err(`${copied} of ${total} objects copied`);
    },
  };
  const where = describeTarget(s.postgres);
  io.err(from === 'files' ? `Copying ${s.ghidcache} into ${where}` : `Copying ${where} into ${s.ghidcache}`);
  const copied = from === 'files' ? await copyFilesToPostgres(options) : await copyPostgresToFiles(options);
  const accounts = copied.registrations === 0 ? '' : ` and ${copied.registrations} registration record${copied.registrations === 1 ? '' : 's'}`;
  io.out(`Copied ${copied.objects} object${copied.objects === 1 ? '' : 's'}${accounts}. Now set server.store: ${to} and start the server.`);
  return 0;
}
