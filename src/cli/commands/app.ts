import { parseArgs } from '../args.js';
import { DAEMON_NODE_FLAGS, SERVICE_ENV } from '../../core/assembly/heap.js';
import { loadConfig, type LoadedConfig } from '../../core/config/index.js';
import type { Logger } from '../../core/log/index.js';
import { AlreadyRunning, readHandoff, readPidFile, runtimeDescription, stopProcess, waitPortsFree } from '../../core/process/index.js';
import { PreparedIdentity } from '../../core/account/prepared-identity.js';
import { accountFailure } from '../../host/account-errors.js';
import { DaemonRunner, type DaemonProgress, type StartedApp } from '../../host/daemon-runner.js';
import { CliError, describeFailure, type CliIO } from '../command.js';
import { APP_START_USAGE, APP_STOP_USAGE } from './lifecycle-usage.js';
import { ServiceProcess, startInBackground } from '../service-process.js';
import { checkNewPassword, promptHidden, promptNewPassword, readPasswordStdin } from '../prompt.js';



interface AppStartArgs {
  ui: boolean;
  port?: number;
  foreground: boolean;
  passwordStdin: boolean;
  allowWeak: boolean;
  root?: string;
  detachedChild: boolean;
}

function parseStart(argv: string[]): AppStartArgs {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        foreground: { type: 'boolean', default: false },
        'password-stdin': { type: 'boolean', default: false },
        'allow-weak-password': { type: 'boolean', default: false },
        root: { type: 'string' },
        'detached-child': { type: 'boolean', default: false },
        ui: { type: 'boolean', default: false },
        port: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values['allow-weak-password'] && !values['password-stdin']) throw new Error('--allow-weak-password goes with --password-stdin');
    if (values.port !== undefined && !values.ui) throw new Error('--port goes with --ui');
    if (values.ui && (values.foreground || values['password-stdin'])) throw new Error('--ui runs in the foreground and asks for the password in its window');
    const port = values.port === undefined ? undefined : /^\d{1,5}$/.test(values.port) && Number(values.port) <= 65535 ? Number(values.port) : NaN;
    if (Number.isNaN(port)) throw new Error(`--port must be a whole number from 0 to 65535, not ${JSON.stringify(values.port)}`);
    return { ui: values.ui!, port, foreground: values.foreground!, passwordStdin: values['password-stdin']!, allowWeak: values['allow-weak-password']!, root: values.root, detachedChild: values['detached-child']! };
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${APP_START_USAGE}`);
  }
}

async function loadOrCreate(args: { root?: string }, io: CliIO): Promise<LoadedConfig> {
  const loaded = await loadConfig({ root: args.root, create: true, env: io.env, cwd: io.cwd });
  if (loaded.created) io.err(`Welcome to Hypergolix! Created ${loaded.path}`);
  for (const w of loaded.warnings) io.err(`warning: ${w.message}`);
  return loaded;
}

/** The password for this start, asked the way the situation allows. */
async function credentials(loaded: LoadedConfig, args: AppStartArgs, io: CliIO): Promise<string | undefined> {
  const hasAccount = loaded.config.user.user_id !== null;
  if (hasAccount && loaded.config.user.root_secret) return undefined;
  if (args.passwordStdin) {
    const password = await readPasswordStdin(io);
    return hasAccount ? password : checkNewPassword(password, { allowWeak: args.allowWeak });
  }
  return hasAccount ? promptHidden('Hypergolix password: ', io) : promptNewPassword(io);
}

export async function runAppStart(argv: string[], io: CliIO): Promise<number> {
  const args = parseStart(argv);
  if (args.detachedChild) return runDaemon(args, io, true);
  const loaded = await loadOrCreate(args, io);
  const running = readPidFile(loaded.config.process.pid_file);
  if (running?.alive) throw new CliError(`The app daemon is already running (pid ${running.pid})`, 1);
  if (args.ui) return runBrowserMode(loaded, args, io);
  if (args.foreground) return runDaemon(args, io, false, loaded, await credentials(loaded, args, io));
  // Asked on a terminal, the password takes a person seconds: the daemon starts meanwhile and
  // waits for it (a new account's keys are made in that time). Read from stdin, it is at hand.
  const password = asksOnTerminal(loaded, args, io) ? credentials(loaded, args, io) : await credentials(loaded, args, io);
  await startAppInBackground(loaded, password, io, args.root !== undefined);
  return 0;
}

function asksOnTerminal(loaded: LoadedConfig, args: AppStartArgs, io: CliIO): boolean {
  const { user } = loaded.config;
  return io.isTTY && !args.passwordStdin && !(user.user_id !== null && user.root_secret);
}

/**
 * Starts the daemon of `loaded` as a background process, handing it the password, and returns
 * once it is ready (its boot log relayed meanwhile). A password still being asked for may be
 * given as a promise: the daemon starts at once and waits for it; if the prompt fails, the
 * daemon is stopped before its error is thrown. Shared with `hypergolix account login`.
 */
export async function startAppInBackground(loaded: LoadedConfig, password: string | undefined | Promise<string | undefined>, io: CliIO, byRoot: boolean): Promise<void> {
  const secret = Promise.resolve(password).then((p) => Buffer.from(p ?? '', 'utf8'));
  const starting = startInBackground<{ fingerprint: string; userId: string; created: boolean; logFile: string | null; ipcPort?: number }>('app daemon', io, {
    args: ['start', 'app', '--detached-child', ...(byRoot ? ['--root', loaded.path] : [])],
    cwd: io.cwd,
    env: { ...SERVICE_ENV, ...io.env, HYPERGOLIX_HOME: loaded.dir },
    secret,
    bootTimeoutMs: 120_000,
    extraExecArgv: DAEMON_NODE_FLAGS,
  });
  // Awaited below; until the password is in, a daemon that fails must not interrupt the prompt.
  starting.catch(() => {});
  try {
    await secret;
  } catch (err) {
    await starting.catch(() => {});
    throw err;
  }
  const { pid, info } = await starting;
  io.out(`Hypergolix app daemon started (pid ${pid}).`);
  if (info.ipcPort) io.out(`Apps connect on 127.0.0.1:${info.ipcPort}.`);
  if (info.logFile) io.out(`Logs: ${info.logFile}`);
}

/** The daemon process itself (foreground, or the detached child). */
async function runDaemon(args: AppStartArgs, io: CliIO, detached: boolean, preloaded?: LoadedConfig, password?: string): Promise<number> {
  const runner = new DaemonRunner({ console: !detached });
  const proc = new ServiceProcess(detached);
  let started: { app: StartedApp; log: Logger } | undefined;
  let ghidcache: string | undefined;
  let logged = false;
  const failureMessage = (err: unknown): string =>
    err instanceof AlreadyRunning ? err.message : (accountFailure(err)?.message ?? describeFailure(err, ghidcache));
  try {
    const loaded = preloaded ?? (await loadConfig({ root: args.root, create: true, env: io.env, cwd: io.cwd }));
    ghidcache = loaded.config.process.ghidcache;
    // A detached daemon may be started while its password is still being typed: a new
    // account's keys are made meanwhile, and nothing (lock, log) is taken before it arrives, so a
    // cancelled prompt leaves nothing behind.
    const keys = detached && loaded.config.user.user_id === null ? new PreparedIdentity() : undefined;
    keys?.prepare();
    if (detached) password = (await readHandoff({ timeoutMs: null }))?.toString('utf8') || undefined;
    started = await runner.start(loaded, {
      beforeStart: (log) => {
        proc.relay(log);
        log.info(`Starting the Hypergolix app daemon (config ${loaded.path}; ${runtimeDescription()})`);
      },
      credentials: () => ({ password, prepared: keys }),
      onProgress: logProgress,
      onFailure: (err, log) => {
        proc.endRelay();
        log.error(failureMessage(err));
        logged = true;
      },
    });
    const { app, log } = started;
    logAccount(app, log);
    proc.stopOnSignal(log, async () => {
      log.info('Stopping the app daemon');
      await runner.stop();
    });
    const ipc = app.ipc!.listenAddress!;
    log.info(`Apps connect on ws://${ipc.host}:${ipc.port}/ with the key in ${app.ipc!.tokenFile}`);
    log.info('Hypergolix boot complete');
    const { daemon } = app;
    return await proc.serve(log, { fingerprint: daemon.fingerprint.text, userId: daemon.userId.text, created: app.created, logFile: log.file, ipcPort: ipc.port });
  } catch (err) {
    const message = failureMessage(err);
    return proc.failed(message, { toParent: new Error(message), started: started && { log: started.log, runner }, logged });
  }
}

function logProgress(p: DaemonProgress, log: Logger): void {
  if (p.stage === 'keys') {
    if (p.keygen.stage !== 'done') log.info(`Generating your keys… (${p.keygen.completed}/${p.keygen.total})`);
  } else if (p.stage === 'password') log.info('Deriving the key from your password…');
  else if (p.stage === 'objects') log.info('Creating your account…');
  else if (p.stage === 'remotes') log.info('Fetching your account from the remotes…');
}

function logAccount(app: StartedApp, log: Logger): void {
  const { daemon } = app;
  if (app.created) {
    log.info('Account created.');
    log.info(`  Fingerprint: ${daemon.fingerprint.text}`);
    log.info(`  User ID:     ${daemon.userId.text}`);
    log.info('Record your user ID and fingerprint somewhere safe: you need them (and your password) to log in on another machine.');
    // The desktop wizard ends on the kit; a terminal user is told where it is.
    log.info('Nobody can reset a forgotten password: make a recovery kit now with "hypergolix account recovery-kit".');
  } else {
    log.info(`Account login successful (fingerprint ${daemon.fingerprint.text})`);
  }
}

/** `--ui`: the controller and the UI bridge in this process until SIGINT/SIGTERM; stdout gets only the URL. */
async function runBrowserMode(loaded: LoadedConfig, args: AppStartArgs, io: CliIO): Promise<number> {
  // Loaded here: the UI bridge and its static files are no business of a daemon started otherwise.
  const { startBrowserMode } = await import('../../web/browser-mode.js');
  const mode = await startBrowserMode({ configOptions: { root: loaded.path, env: io.env, cwd: io.cwd }, logdir: loaded.config.process.logdir, port: args.port }).catch(
    (err: Error) => {
      throw new CliError(`Browser mode did not start: ${err.message}`, 1);
    },
  );
  new ServiceProcess(false).stopOnSignal(mode.logger, () => mode.stop());
  io.err('Hypergolix is running in browser mode. Open this address in a browser on this computer (Ctrl-C stops Hypergolix):');
  io.out(mode.url);
  await new Promise<never>(() => {});
  return 0;
}

export async function runAppStop(argv: string[], io: CliIO): Promise<number> {
  let values: { force?: boolean; root?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { force: { type: 'boolean' }, root: { type: 'string' } }, strict: true }));
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${APP_STOP_USAGE}`);
  }
  const loaded = await loadConfig({ root: values.root, env: io.env, cwd: io.cwd });
  const result = await stopProcess(loaded.config.process.pid_file, { force: values.force ?? false });
  io.out(result.message);
  if (result.status === 'stopped') {
    const busy = await waitPortsFree([{ host: '127.0.0.1', port: loaded.config.process.ipc_port }], { timeoutMs: 5000 });
    if (busy.length > 0) io.err(`warning: port ${loaded.config.process.ipc_port} is still in use`);
  }
  return result.status === 'timeout' || result.status === 'denied' ? 1 : 0;
}
