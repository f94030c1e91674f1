/**
 * The one way to run a persistence server, for every host: `hypergolix start server` (foreground
 * and the detached child) and the desktop app's embedded server. A start takes `server.pid_file`
 * (unless told not to), opens the `hgxserver` log from the config's `server:` section (or uses
 * a logger given), starts the server, writes its bound address into the pid file, and gives
 * everything back if any of it fails. A stop closes the server (connections closed, store
 * flushed), then releases the lock and the log.
 */
import type { HypergolixConfig } from '../core/config/index.js';
import { createLogger, type Logger } from '../core/log/index.js';
import { resolveHost } from '../core/remote/bind-address.js';
import { startServer, type RunningServer, type StartServerOptions } from '../core/assembly/server.js';
import type { StoreCheck } from '../core/remote/store-check.js';
import { Lease, type StartHooks } from './lease.js';

// The host modules and the CLI see the file-store server through this runner only.
export type { RunningServer };

/** A running persistence server, as much of it as a host needs. */
export interface EmbeddedServer {
  readonly url?: string;
  /** Where it listens (the actual port when the config says 0). */
  readonly address?: { host: string; port: number };
  /** Objects its store holds damaged now (shown as a warning on the desktop's Status page). */
  damagedObjects?(): number;
  /** The check of its store (core/remote/store-check.ts), for the Status page's "Check now". */
  readonly storeCheck?: Pick<StoreCheck, 'state' | 'applies' | 'run'>;
  close(): Promise<void>;
}

export interface ServerFactoryOptions {
  logger: Logger;
  /** Attached to a terminal; only changes what the start-up lines say. */
  foreground: boolean;
  /** Transport settings beyond the config's (close timeout, …). */
  transport?: StartServerOptions['transport'];
}

/** Starts a server from the config's `server:` section. */
export type ServerFactory<S extends EmbeddedServer = EmbeddedServer> = (config: HypergolixConfig, options: ServerFactoryOptions) => Promise<S>;

/** The file-store persistence server of src/core/assembly/server.ts. */
export const persistenceServer: ServerFactory<RunningServer> = (config, options) => startServer(config, options);

export interface ServerRunnerOptions<S extends EmbeddedServer> {
  start: ServerFactory<S>;
  /** Hold `server.pid_file` while the server runs (what `hypergolix stop server` signals). @default true */
  pidFile?: boolean;
  /** More for the pid file's info line once the server is up (what the process that holds it answers to). */
  lockInfo?: Record<string, unknown>;
  /** A logger the caller owns. Without one, each start opens a new `hgxserver` log from the config (closed at stop). */
  logger?: Logger;
  /** A log opened here also writes its lines to stderr (a terminal is attached). @default false */
  console?: boolean;
  /** @default false */
  foreground?: boolean;
  transport?: StartServerOptions['transport'];
}

/** The `hgxserver` log of a server started from `config`. */
function serverLogFor(config: HypergolixConfig, options: { console?: boolean } = {}): Logger {
  const s = config.server;
  return createLogger({ name: 'hgxserver', logdir: s.logdir, verbosity: s.verbosity, debug: s.debug, console: options.console ?? false });
}

export class ServerRunner<S extends EmbeddedServer = EmbeddedServer> {
  private readonly lease = new Lease<S>();

  constructor(private readonly o: ServerRunnerOptions<S>) {}

  /** The running server; null while stopped or starting. */
  get server(): S | null {
    return this.lease.current;
  }

  /**
   * Starts the server. Throws AlreadyRunning (with the holder's pid) when another process holds
   * the pid file; after any failure nothing is held.
   */
  async start(config: HypergolixConfig, hooks: StartHooks = {}): Promise<{ server: S; log: Logger }> {
    const s = config.server;
    const o = this.o;
    const { service, log } = await this.lease.start(
      {
        pidFile: o.pidFile === false ? null : { path: s.pid_file, info: { role: 'server', host: resolveHost(s.host), port: s.port } },
        log: o.logger ?? (() => serverLogFor(config, { console: o.console })),
        start: (log) => o.start(config, { logger: log, foreground: o.foreground ?? false, transport: o.transport }),
        stop: (server) => server.close(),
      },
      hooks,
    );
    if (service.address) this.lease.updateLock({ role: 'server', ...o.lockInfo, host: service.address.host, port: service.address.port, logFile: log.file });
    return { server: service, log };
  }

  /** Closes the server (after a start in progress), then releases the pid file and a log opened here. Idempotent. */
  stop(): Promise<void> {
    return this.lease.stop();
  }
}
