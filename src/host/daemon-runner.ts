/**
 * The one way to run an app daemon, for every host: `hypergolix start app` (foreground and the
 * detached child) and the desktop controller (Electron and browser mode). A start takes
 * `process.pid_file`, opens the `hgxapp` log from the config's `instrumentation:` section (or
 * uses a logger given), starts the daemon with IPC for apps, and gives everything back if any
 * of it fails. A stop closes IPC first, then the daemon (which flushes the account), then
 * releases the lock and the log.
 *
 * The host keeps what is its own: prompts, detaching, shutdown signals, messages.
 */
import type { KdfParams } from '../core/account/kdf.js';
import type { HypergolixConfig, LoadedConfig } from '../core/config/index.js';
import { startApp, stopApp, type AppCredentials, type StartAppOptions, type StartedApp } from '../core/assembly/app.js';
import { createLogger, type Logger } from '../core/log/index.js';
import { Lease, type StartHooks } from './lease.js';

// The host modules see the daemon through this runner only.
export type { AppCredentials, StartedApp };

/** What a start reports while it creates or opens an account. */
export type DaemonProgress = Parameters<NonNullable<StartAppOptions['onProgress']>>[0];

export interface DaemonRunnerOptions {
  /** Hold `process.pid_file` while the daemon runs, so a second daemon on this config is refused. @default true */
  pidFile?: boolean;
  /** More fields for the pid file's info line (the desktop app writes `host: 'desktop'`). */
  lockInfo?: Record<string, unknown>;
  /** A logger the caller owns. Without one, each start opens a new `hgxapp` log from the config (closed at stop). */
  logger?: Logger;
  /** A log opened here also writes its lines to stderr (a terminal is attached). @default false */
  console?: boolean;
  /** KDF for a new account (tests use cheap ones). @default the daemon's default */
  kdf?: KdfParams;
  /** How long a login on a new machine waits for the remotes. */
  remoteWaitMs?: number;
  /** Serve apps over IPC (`process.ipc_port`, key in the config directory). @default true */
  ipc?: boolean;
}

export interface DaemonStart extends StartHooks {
  /** Asked once `beforeStart` has run, so a host may read a password handed over meanwhile. */
  credentials: AppCredentials | (() => AppCredentials);
  onProgress?(progress: DaemonProgress, log: Logger): void;
}

/** The `hgxapp` log of a daemon started from `config`. */
function daemonLogFor(config: HypergolixConfig, options: { console?: boolean } = {}): Logger {
  const i = config.instrumentation;
  return createLogger({ name: 'hgxapp', logdir: config.process.logdir, verbosity: i.verbosity, debug: i.debug, console: options.console ?? false });
}

export class DaemonRunner {
  private readonly lease = new Lease<StartedApp>();

  constructor(private readonly o: DaemonRunnerOptions = {}) {}

  /** The running daemon; null while stopped or starting. */
  get app(): StartedApp | null {
    return this.lease.current;
  }

  /**
   * Starts the daemon from `loaded`, creating the account on a first run. Throws AlreadyRunning
   * (with the holder's pid) when another process holds the pid file; after any failure nothing
   * is held.
   */
  async start(loaded: LoadedConfig, how: DaemonStart): Promise<{ app: StartedApp; log: Logger }> {
    const c = loaded.config;
    const o = this.o;
    const { service, log } = await this.lease.start(
      {
        pidFile: o.pidFile === false ? null : { path: c.process.pid_file, info: { role: 'app', ...o.lockInfo, ipc_port: c.process.ipc_port } },
        log: o.logger ?? (() => daemonLogFor(c, { console: o.console })),
        start: (log) => {
          const credentials = typeof how.credentials === 'function' ? how.credentials() : how.credentials;
          const onProgress = how.onProgress && ((p: DaemonProgress) => how.onProgress!(p, log));
          return startApp(loaded, credentials, { logger: log, onProgress, kdf: o.kdf, remoteWaitMs: o.remoteWaitMs, ipc: o.ipc ?? true });
        },
        // stopApp closes IPC (the apps) first, then the daemon.
        stop: (app) => stopApp(app),
      },
      how,
    );
    return { app: service, log };
  }

  /** Stops the daemon (after a start in progress), then releases the pid file and a log opened here. Idempotent. */
  stop(): Promise<void> {
    return this.lease.stop();
  }
}
