/**
 * `hypergolix server check`: a persistence server's store read whole now, as the running
 * server does 10 minutes after it starts and then daily (core/remote/store-check.ts): every
 * object checked against its name and its signature verified. For an operator after a disk
 * incident or a restored backup. A stopped server's store is read here; a running server is asked
 * to check (store-check-ask.ts) and followed through the state it writes. What is damaged is
 * listed; the server answers those as not here until a daemon that holds them sends them again.
 * A database (server.store: postgres) is checked from here, whether or not nodes run on it: it
 * is shared, and they all see what the check marks (core/postgres/damage.ts).
 * Dispatched by `hypergolix server` (server-accounts.ts).
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from '../args.js';
import type { HypergolixConfig } from '../../core/config/index.js';
import { readPidFile, type PidFileState } from '../../core/process/index.js';
import { readStoreCheckFile, type DamagedObjectJson, type StoreCheckState } from '../../core/remote/store-check-file.js';
import { DamagedObjects } from '../../core/remote/damaged-objects.js';
import { StoreCheck } from '../../core/remote/store-check.js';
import { describeTarget } from '../../core/postgres/connect.js';
import { PostgresEngine } from '../../core/postgres/engine.js';
import { RulesEngine } from '../../core/rules/rules-engine.js';
import { FileStore } from '../../core/store/file-store.js';
import { StoreLocked } from '../../core/store/store-lock.js';
import { CliError, type CliIO } from '../command.js';
import { loadServerConfig } from './server-config.js';
import { askStoreCheck, storeCheckAskOf } from './store-check-ask.js';

/** How often the state of a running server's check is read. */
const POLL_MS = 250;
/** How often its progress is told (to stderr). */
const PROGRESS_EVERY_MS = 5_000;
/** A running server whose state has not changed this long is no longer followed. */
const SILENT_MS = 60_000;

export const SERVER_CHECK_USAGE = `Usage: hypergolix server check [--json] [--root PATH]

Reads a persistence server's store (server.ghidcache, or its database) whole: every object checked against
its name and its signature verified, as the running server does 10 minutes after it starts and
then daily (server.check_store_hours). Lists what is damaged. A stopped server's store is read
by this command; a running server is asked to check now (through a request file in its log
directory, server.logdir) and
checks in the background, resting between batches, while this command tells how far it is. The
server answers what is damaged as not here, and a daemon that holds one (its author's, or one it
was shared with) sends it again at its own daily check, which puts it right. A server on
PostgreSQL (server.store: postgres) is checked by this command whether or not server nodes run on
it: what is damaged is marked in the database, and every node answers it as not here until a
daemon sends it again. One check runs at a time (a node's scheduled check, or this command).

  --json       one JSON object {"checked", "damaged": [{"ghid", "why"}]}; a running server names
               at most 1,000, and then adds "damagedCount" (its log names every one)
  --root PATH  use this hypergolix.yml (or the one in this directory)

Exit status: 0 when every object is sound, 1 when some are damaged (or the store cannot be
checked: the running server cannot be asked, the database cannot be reached or a node is
checking it, or the check stopped), 2 on bad arguments.`;

export async function runServerCheck(argv: string[], io: CliIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false }, root: { type: 'string' } }, strict: true }));
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${SERVER_CHECK_USAGE}`);
  }
  const s = (await loadServerConfig(values.root, io)).config.server;
  if (s.store === 'postgres') return checkDatabase(s, values.json, io);
  if (!existsSync(s.ghidcache)) throw new CliError(`No server store at ${s.ghidcache} (server.ghidcache): nothing to check`, 1);
  const running = readPidFile(s.pid_file);
  if (running?.alive && running.pid !== null) return checkRunning(running as PidFileState & { pid: number }, s, values.json, io);
  const { engine } = await RulesEngine.open(new FileStore(s.ghidcache, { lock: { role: 'server', configKey: 'server.ghidcache' }, warn: (m) => io.err(`warning: ${m}`) }), {
    acceptV15: s.accept_v15,
    maxObjectBytes: s.max_message_bytes,
  }).catch((err: unknown) => {
    // No pid file of this configuration names it: the desktop app's embedded server, most likely.
    if (err instanceof StoreLocked) {
      throw new CliError(
        `The store ${s.ghidcache} is open in another process (pid ${err.holder.pid}, a ${err.holder.role}), not started from this configuration: the desktop app's embedded server checks it from its Status page (This computer's server, Check now); another server, stop it to check here.`,
        1,
      );
    }
    throw err;
  });
  try {
    // The damaged are said here, in the summary, not once each as the running server logs them.
    const quiet = { error: () => {}, warn: (m: string) => io.err(`warning: ${m}`), info: () => {}, debug: () => {} };
    const damaged = new DamagedObjects(() => engine, quiet);
    if (!values.json) io.err(`Checking ${s.ghidcache}`);
    const report = await new StoreCheck(() => engine, damaged, quiet).run(false, (checked, total) => {
      if (checked % 10_240 === 0) io.err(`${checked} of ${total} objects read`);
    });
    return told(report.checked, damaged.list(), values.json, 'Started again, the server', io);
  } finally {
    await engine.close();
  }
}

/** The database of server nodes checked from here (they see what it marks at once); one check at a time. */
async function checkDatabase(s: HypergolixConfig['server'], json: boolean, io: CliIO): Promise<number> {
  const quiet = { error: () => {}, warn: (m: string) => io.err(`warning: ${m}`), info: () => {}, debug: () => {} };
  const { engine, warnings } = await PostgresEngine.open({ url: s.postgres, acceptV15: s.accept_v15, maxObjectBytes: s.max_message_bytes, poolSize: 2, applicationName: 'hypergolix-server-check' }).catch(
    (err: unknown) => {
      throw new CliError(`${(err as Error).message} (server.postgres)`, 1);
    },
  );
  try {
    for (const w of warnings) io.err(`warning: ${w}`);
    const check = new StoreCheck(() => engine, new DamagedObjects(() => engine, quiet), quiet);
    if (!json) io.err(`Checking the database ${describeTarget(s.postgres)}`);
    const report = await check.run(false, (checked, total) => {
      if (checked % 10_240 === 0) io.err(`${checked} of ${total} objects read`);
    }).catch((err: unknown) => {
      throw new CliError(`The database could not be checked: ${(err as Error).message}`, 1);
    });
    const last = check.state.last;
    return told(report.checked, last?.damaged ?? [], json, 'Every server node on it', io, report.damaged);
  } finally {
    await engine.close();
  }
}

/** What a whole check found, said (exit status 1 when something is damaged); `count` beyond the listed: named in the server's log only. */
function told(checked: number, found: readonly DamagedObjectJson[], json: boolean, who: string, io: CliIO, count = found.length): number {
  if (json) io.out(JSON.stringify({ checked, damaged: found, ...(count > found.length ? { damagedCount: count } : {}) }));
  else if (count === 0) io.out(`Checked ${checked} object${checked === 1 ? '' : 's'}: all sound.`);
  else {
    io.out(`Checked ${checked} objects: ${count} DAMAGED.`);
    for (const d of found) io.out(`  ${d.ghid}  ${d.why}`);
    if (count > found.length) io.out(`  and ${count - found.length} more, which the server's log names`);
    io.out(`${who} answers these as not here; a daemon that holds one sends it again at its daily check, which puts it right.`);
  }
  return count === 0 ? 0 : 1;
}

/** A running server asked to check its store now, followed until the check ends. */
async function checkRunning(running: PidFileState & { pid: number }, s: HypergolixConfig['server'], json: boolean, io: CliIO): Promise<number> {
  const pid = running.pid;
  const ask = storeCheckAskOf(running.info);
  if (ask === null) {
    const when = s.check_store_hours === 0 ? 'It does not check its store on a schedule (server.check_store_hours: 0)' : `It checks its store 10 minutes after it starts and then every ${s.check_store_hours === 1 ? 'hour' : `${s.check_store_hours} hours`}, and its /healthz and hypergolix status tell what it found`;
    throw new CliError(`The server runs (pid ${pid}), of an earlier version, which cannot be asked to check now. ${when}. Stop it to check now.`, 1);
  }
  const asked = Date.now();
  try {
    await askStoreCheck(pid, ask);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPERM' || code === 'EACCES') throw new CliError(`The server (pid ${pid}) runs as another user: run this command as that user to ask it to check its store`, 1);
    throw new CliError(`The server (pid ${pid}) could not be asked to check its store: ${(err as Error).message}`, 1);
  }
  if (!json) io.err(`Asked the running server (pid ${pid}) to check its store; it checks in the background, resting between batches, so clients are served meanwhile`);
  const state = await followCheck(pid, ask.file, asked, s.pid_file, json ? () => {} : (m) => io.err(m));
  return told(state.checked, state.damaged, json, 'The server', io, state.damagedCount);
}

/** Reads the running server's state until its check (one that ended after `asked`) ends; rejects with why when it cannot. */
async function followCheck(pid: number, file: string, asked: number, pidFile: string, say: (m: string) => void): Promise<NonNullable<StoreCheckState['last']>> {
  let [seen, changedAt, toldAt] = ['', Date.now(), Date.now()];
  for (;;) {
    await sleep(POLL_MS);
    const now = readPidFile(pidFile);
    if (!now?.alive || now.pid !== pid) throw new CliError(`The server (pid ${pid}) stopped before its check of the store ended`, 1);
    const state = await readStoreCheckFile(file).catch(() => null);
    if (state?.pid === pid) {
      if (state.running === null && state.last && Date.parse(state.last.finishedAt) >= asked) return state.last;
      if (state.running === null && state.lastFailure && Date.parse(state.lastFailure.at) >= asked) throw new CliError(`The server's check of its store stopped: ${state.lastFailure.message}`, 1);
      const text = JSON.stringify(state);
      if (text !== seen) [seen, changedAt] = [text, Date.now()];
      if (state.running && Date.now() - toldAt >= PROGRESS_EVERY_MS) {
        say(`${state.running.checked} of ${state.running.total} objects read`);
        toldAt = Date.now();
      }
    }
    if (Date.now() - changedAt > SILENT_MS) {
      throw new CliError(`The server (pid ${pid}) has not told how its check goes for ${SILENT_MS / 1000} s (its state: ${file}); see its log`, 1);
    }
  }
}
