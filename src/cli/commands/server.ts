/**
 * `hypergolix start server` and `hypergolix stop server` (hypergolix-reference §1, §7, §8).
 *
 * Everything comes from the `server:` section of an existing hypergolix.yml; the reference's old
 * configuration flags are still recognised, but only to say where to edit instead.
 *
 * By default the server runs detached: this process starts the same CLI again as
 * `start server --foreground --detached-child`, prints the child's boot log as it arrives and
 * returns once the child reports ready. The child (or a `--foreground` run) holds
 * `server.pid_file` as a single-instance lock, logs to a new file in `server.logdir` per start,
 * and closes gracefully on SIGTERM/SIGINT/SIGHUP: connections closed, store flushed.
 */
import { parseArgs as parseLeniently } from 'node:util';
import { parseArgs } from '../args.js';
import { defaultConfigPath, findConfig, type LoadedConfig } from '../../core/config/index.js';
import type { Logger } from '../../core/log/index.js';
import { AlreadyRunning, readPidFile, runtimeDescription, stopProcess, waitPortsFree } from '../../core/process/index.js';
import { resolveHost } from '../../core/remote/bind-address.js';
import { storeCheckFileOf } from '../../core/assembly/server.js';
import { SERVER_NODE_FLAGS, SERVICE_ENV, tuneServerHeap } from '../../core/assembly/heap.js';
import { persistenceServer, ServerRunner, type RunningServer } from '../../host/server-runner.js';
import { CliError, describeFailure, type CliIO } from '../command.js';
import { ServiceProcess, startInBackground } from '../service-process.js';
import { SERVER_START_USAGE, SERVER_STOP_USAGE } from './lifecycle-usage.js';
import { loadServerConfig } from './server-config.js';
import { answerStoreCheckRequests, answerStoreCheckSignal, storeCheckLockInfo, storeCheckRequestOf } from './store-check-ask.js';



/** The reference's `start server` options; each now fails with a pointer to the config file. */
const LEGACY_LONG = new Set(['--cachedir', '--host', '--port', '--chdir', '--logdir', '--debug', '--traceur', '--verbosity']);
const LEGACY_SHORT = /^-[cHpV]/;

/** How long `stop server` waits for a graceful exit before giving up (or, with --force, killing). */
const STOP_TIMEOUT_MS = 30_000;
/** Time the shutdown handlers get in the server process (close waits up to 5 s twice, then flushes). */
const SHUTDOWN_DEADLINE_MS = 25_000;
/** A store opened from its index takes well under a second; one rebuilt from 100,000 files, longer. */
const BOOT_TIMEOUT_MS = 300_000;

interface ServerStartArgs {
  foreground: boolean;
  root?: string;
  detachedChild: boolean;
}

/** What the server child reports to the parent once it listens. */
interface ReadyInfo {
  host: string;
  port: number;
  logdir: string;
  logFile: string | null;
}

/** The config file a legacy-flag message should point at: the one in use, or where one would go. */
function configPathFor(root: string | undefined, io: CliIO): string {
  const opts = { root, env: io.env, cwd: io.cwd };
  return findConfig(opts)?.path ?? defaultConfigPath(opts).path;
}

function findLegacy(argv: readonly string[]): string | undefined {
  return argv.find((a) => LEGACY_LONG.has(a.split('=', 1)[0]!) || (!a.startsWith('--') && LEGACY_SHORT.test(a)));
}

function legacyError(what: string, root: string | undefined, io: CliIO): CliError {
  return new CliError(`${what}: Server configuration through CLI is no longer supported; edit the server: section of ${configPathFor(root, io)}`);
}

/** A reference-era flag or a positional pid file fails, naming the file to edit instead. */
function rejectLegacy(argv: string[], io: CliIO): void {
  const used = findLegacy(argv);
  // Only to find --root for the message: a repeated one is refused by the strict parse after this.
  const lenient = parseLeniently({ args: argv, options: { root: { type: 'string' } }, strict: false, allowPositionals: true });
  const root = typeof lenient.values.root === 'string' ? lenient.values.root : undefined;
  const positional = lenient.positionals[0];
  if (used === undefined && positional === undefined) return;
  // A positional right after an option neither command knows is that option's value
  // (`--rot /srv/hgx`, a typo of --root): the strict parse names the unknown option instead.
  if (used === undefined && unknownOptionBefore(argv, positional!)) return;
  throw legacyError(used ?? `a pid file argument (${positional})`, root, io);
}

/** Options of start server and stop server (the reference's are LEGACY_*, refused by name). */
const KNOWN_OPTIONS = new Set(['--root', '--foreground', '--detached-child', '-h', '--help']);

function unknownOptionBefore(argv: readonly string[], positional: string): boolean {
  const at = argv.indexOf(positional);
  const before = at > 0 ? argv[at - 1]! : '';
  return before.startsWith('-') && !before.includes('=') && !KNOWN_OPTIONS.has(before);
}

function parseStart(argv: string[], io: CliIO): ServerStartArgs {
  rejectLegacy(argv, io);
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        foreground: { type: 'boolean', default: false },
        root: { type: 'string' },
        'detached-child': { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    return { foreground: values.foreground!, root: values.root, detachedChild: values['detached-child']! };
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${SERVER_START_USAGE}`);
  }
}

/** Config warnings about the app's settings are not the server's business. */
const APP_ONLY_WARNINGS = new Set(['root-secret', 'ipc-legacy-clients']);

function serverWarnings(loaded: LoadedConfig): string[] {
  return loaded.warnings.filter((w) => !APP_ONLY_WARNINGS.has(w.code)).map((w) => w.message);
}

export async function runServerStart(argv: string[], io: CliIO): Promise<number> {
  const args = parseStart(argv, io);
  const loaded = await loadServerConfig(args.root, io);
  // Config warnings are logged by the server process (and so relayed to this terminal).
  if (args.detachedChild) return runServer(loaded, true);
  const running = readPidFile(loaded.config.server.pid_file);
  if (running?.alive && running.pid !== null) {
    throw new CliError(`The Hypergolix server is already running (pid ${running.pid}); pid file ${loaded.config.server.pid_file}`, 1);
  }
  if (args.foreground) return runServer(loaded, false);

  const { pid, info } = await startInBackground<ReadyInfo>('Hypergolix server', io, {
    // The child reads exactly this file, wherever the search would lead it.
    args: ['start', 'server', '--foreground', '--detached-child', '--root', loaded.path],
    extraExecArgv: SERVER_NODE_FLAGS,
    cwd: io.cwd,
    // The allocator settings unless the environment says otherwise.
    env: { ...SERVICE_ENV, ...io.env },
    bootTimeoutMs: BOOT_TIMEOUT_MS,
  });
  io.out(`Hypergolix server started (pid ${pid}), listening on ${info.host}:${info.port}; logs in ${info.logdir}`);
  return 0;
}

/** The server process itself: `--foreground`, or the detached child. Runs until shut down. */
async function runServer(loaded: LoadedConfig, detached: boolean): Promise<number> {
  const c = loaded.config.server;
  const runner = new ServerRunner({
    start: persistenceServer,
    console: !detached,
    foreground: !detached,
    transport: { closeTimeoutMs: 5_000 },
    lockInfo: c.store === 'files' ? storeCheckLockInfo(storeCheckFileOf(c)) : {},
  });
  const proc = new ServiceProcess(detached);
  let started: { server: RunningServer; log: Logger } | undefined;
  let logged = false;
  try {
    started = await runner.start(loaded.config, {
      beforeStart: (log) => {
        proc.relay(log);
        // Before the pid file says how a check is asked for: a signal unhandled would end the process.
        const checked = () => runner.server?.server ?? null;
        answerStoreCheckSignal(checked, log);
        if (c.store === 'files') answerStoreCheckRequests(storeCheckRequestOf(storeCheckFileOf(c)), checked, log);
        log.info(`Hypergolix persistence server, pid ${process.pid}, config ${loaded.path}; ${runtimeDescription()}`);
        for (const w of serverWarnings(loaded)) log.warn(w);
        tuneServerHeap();
        // Signals during start-up wait for it to finish, then close what it opened.
        proc.stopOnSignal(log, () => runner.stop(), SHUTDOWN_DEADLINE_MS);
        installCrashHandlers(log, () => runner.stop());
      },
      onFailure: (err, log) => {
        proc.endRelay();
        log.error(failureMessage(err), ...stacks(err, log));
        logged = true;
      },
    });
    const { server, log } = started;
    const { host, port } = server.address;
    log.info(`Hypergolix server ready (pid ${process.pid})${log.file ? `; log file ${log.file}` : ''}`);
    return await proc.serve(log, { host, port, logdir: loaded.config.server.logdir, logFile: log.file } satisfies ReadyInfo);
  } catch (err) {
    const message = failureMessage(err);
    return proc.failed(message, { toParent: new Error(message), started: started && { log: started.log, runner }, details: started && stacks(err, started.log), logged });
  }
}

const failureMessage = (err: unknown): string => (err instanceof AlreadyRunning ? `The Hypergolix server is ${err.message}` : describeFailure(err));

/** A logged failure carries its stack when the server's `debug` is on. */
const stacks = (err: unknown, log: Logger): unknown[] => (log.debugStacks ? [err] : []);

/**
 * A bug that escapes every handler would otherwise kill the process with a trace on a stderr
 * nobody reads (detached). Log it with its stack, close what can be closed (the store's journal
 * makes this safe either way), and exit 1.
 */
function installCrashHandlers(log: Logger, stop: () => Promise<void>): void {
  let crashed = false;
  const crash = (kind: string) => (err: unknown) => {
    if (crashed) return;
    crashed = true;
    process.exitCode = 1;
    log.error(`${kind}; the server stops`, err instanceof Error ? (err.stack ?? err.message) : String(err));
    const timer = setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS);
    timer.unref();
    void stop().finally(() => process.exit(1));
  };
  process.on('uncaughtException', crash('Uncaught exception'));
  process.on('unhandledRejection', crash('Unhandled promise rejection'));
}

function parseStop(argv: string[], io: CliIO): { force: boolean; root?: string } {
  rejectLegacy(argv, io);
  try {
    const { values } = parseArgs({ args: argv, options: { force: { type: 'boolean', default: false }, root: { type: 'string' } }, strict: true, allowPositionals: false });
    return { force: values.force!, root: values.root };
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${SERVER_STOP_USAGE}`);
  }
}

export async function runServerStop(argv: string[], io: CliIO): Promise<number> {
  const args = parseStop(argv, io);
  const loaded = await loadServerConfig(args.root, io);
  const c = loaded.config.server;
  // Where the running server actually listens (the config may have changed since it started).
  const info = readPidFile(c.pid_file)?.info;
  const port = typeof info?.port === 'number' && info.port > 0 ? info.port : c.port;
  const host = typeof info?.host === 'string' ? info.host : resolveHost(c.host);

  const result = await stopProcess(c.pid_file, { force: args.force, timeoutMs: STOP_TIMEOUT_MS });
  switch (result.status) {
    case 'stopped': {
      const busy = await waitPortsFree([{ host, port }], { timeoutMs: 10_000 });
      io.out(`Hypergolix server ${result.forced ? result.message : `stopped (pid ${result.pid})`}`);
      if (busy.length > 0) {
        io.err(`hypergolix stop: port ${host}:${port} is still in use after the server exited`);
        return 1;
      }
      return 0;
    }
    case 'not-running':
      io.out(`Hypergolix server is ${result.message}`);
      return 0;
    case 'stale':
      io.out(`Hypergolix server is ${result.message}`);
      return 0;
    case 'timeout':
    case 'denied':
      io.err(`hypergolix stop: ${result.message}`);
      return 1;
  }
}
