/**
 * `hypergolix server check`: a stopped persistence server's file store read whole now, as the
 * running server does 10 minutes after it starts and then daily (core/remote/store-check.ts):
 * every object checked against its name and its signature verified. For an operator after a disk
 * incident or a restored backup, before starting the server again. What is damaged is listed; the
 * server, started, answers those as not here until a daemon that holds them sends them again.
 * Dispatched by `hypergolix server` (server-accounts.ts).
 */
import { existsSync } from 'node:fs';
import { parseArgs } from '../args.js';
import { readPidFile } from '../../core/process/index.js';
import { DamagedObjects } from '../../core/remote/damaged-objects.js';
import { StoreCheck } from '../../core/remote/store-check.js';
import { RulesEngine } from '../../core/rules/rules-engine.js';
import { FileStore } from '../../core/store/file-store.js';
import { CliError, type CliIO } from '../command.js';
import { loadServerConfig } from './server-config.js';

export const SERVER_CHECK_USAGE = `Usage: hypergolix server check [--json] [--root PATH]

Reads a stopped persistence server's file store (server.ghidcache) whole: every object checked
against its name and its signature verified, as the running server does 10 minutes after it
starts and then daily (server.check_store_hours). Lists what is damaged. Started again, the server answers those as not
here, and a daemon that holds one (its author's, or one it was shared with) sends it again at its
own daily check, which puts it right. A server on PostgreSQL (server.store: postgres) is not
checked here: the database keeps its own integrity.

  --json       one JSON object {"checked", "damaged": [{"ghid", "why"}]}
  --root PATH  use this hypergolix.yml (or the one in this directory)

Exit status: 0 when every object is sound, 1 when some are damaged (or the store cannot be
checked: the server runs, or its store is not files), 2 on bad arguments.`;

export async function runServerCheck(argv: string[], io: CliIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false }, root: { type: 'string' } }, strict: true }));
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${SERVER_CHECK_USAGE}`);
  }
  const s = (await loadServerConfig(values.root, io)).config.server;
  if (s.store !== 'files') throw new CliError('This server keeps its objects in PostgreSQL (server.store: postgres), which keeps its own integrity: server check reads a file store only', 1);
  if (!existsSync(s.ghidcache)) throw new CliError(`No server store at ${s.ghidcache} (server.ghidcache): nothing to check`, 1);
  const running = readPidFile(s.pid_file);
  if (running?.alive) {
    const when = s.check_store_hours === 0 ? 'it does not check its store (server.check_store_hours: 0)' : `it checks its store 10 minutes after it starts and then every ${s.check_store_hours === 1 ? 'hour' : `${s.check_store_hours} hours`}, and its /healthz and hypergolix status tell what it found`;
    throw new CliError(`The server runs (pid ${running.pid}): ${when}. Stop it to check now.`, 1);
  }
  const { engine } = await RulesEngine.open(new FileStore(s.ghidcache, { lock: { role: 'server', configKey: 'server.ghidcache' }, warn: (m) => io.err(`warning: ${m}`) }), {
    acceptV15: s.accept_v15,
    maxObjectBytes: s.max_message_bytes,
  });
  try {
    // The damaged are said here, in the summary, not once each as the running server logs them.
    const quiet = { error: () => {}, warn: (m: string) => io.err(`warning: ${m}`), info: () => {}, debug: () => {} };
    const damaged = new DamagedObjects(() => engine, quiet);
    if (!values.json) io.err(`Checking ${s.ghidcache}`);
    const report = await new StoreCheck(() => engine, damaged, quiet).run(false, (checked, total) => {
      if (checked % 10_240 === 0) io.err(`${checked} of ${total} objects read`);
    });
    const found = damaged.list();
    if (values.json) io.out(JSON.stringify({ checked: report.checked, damaged: found }));
    else if (found.length === 0) io.out(`Checked ${report.checked} object${report.checked === 1 ? '' : 's'}: all sound.`);
    else {
      io.out(`Checked ${report.checked} objects: ${found.length} DAMAGED.`);
      for (const d of found) io.out(`  ${d.ghid}  ${d.why}`);
      io.out('Started again, the server answers these as not here; a daemon that holds one sends it again at its daily check, which puts it right.');
    }
    return found.length === 0 ? 0 : 1;
  } finally {
    await engine.close();
  }
}
