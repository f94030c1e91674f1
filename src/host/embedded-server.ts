/**
 * The desktop app's embedded persistence server (`desktop.embedded_server`): started from the
 * config's `server:` section, with the config it was started with remembered (a later change
 * of that section restarts it) and, when it did not start, why (shown as a status warning).
 */
import { ERROR_CODES, HostFailure, type ServerStoreStatus } from '../common/contract.js';
import type { HypergolixConfig } from '../core/config/index.js';
import type { StoreCheckState } from '../core/remote/store-check-file.js';
import type { Logger } from '../core/log/index.js';
import { ServerRunner, type ServerFactory } from './server-runner.js';
import { serverChanged } from './settings.js';

export interface EmbeddedServerOptions {
  /** Null: this host runs no embedded server. */
  start: ServerFactory | null;
  /** The host's log: the server's own log when it has none, and the lines about starting and stopping it. */
  log: Logger;
  /** Give the server a log file of its own, made from the config at each start. */
  logFile?: { console: boolean };
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The check's state as the Status page shows it. */
function storeStatusOf(state: StoreCheckState, damagedNow: number): ServerStoreStatus {
  const { running, last } = state;
  return {
    running: running ? { checked: running.checked, total: running.total } : null,
    last: last ? { finishedAt: Date.parse(last.finishedAt), checked: last.checked, damaged: last.damagedCount } : null,
    damagedNow,
  };
}

export class EmbeddedServerSwitch {
  private readonly runner: ServerRunner | null;
  private startedWith: HypergolixConfig | null = null;
  private failure: string | null = null;

  constructor(private readonly o: EmbeddedServerOptions) {
    this.runner = o.start
      ? new ServerRunner({
          start: o.start,
          // Not server.pid_file: `hypergolix stop server` would then signal the desktop app itself.
          pidFile: false,
          logger: o.logFile ? undefined : o.log.child('server'),
          console: o.logFile?.console,
        })
      : null;
  }

  /** Whether this host can run an embedded server at all. */
  get available(): boolean {
    return this.runner !== null;
  }

  /** The config the server was last started (or tried) with; null while it is off. */
  get config(): HypergolixConfig | null {
    return this.startedWith;
  }

  /** Why the server is not running although it should; null when nothing is wrong. */
  get problem(): string | null {
    return this.failure;
  }

  /** Objects the running server's store holds damaged now; 0 while it is off. */
  get damaged(): number {
    return this.runner?.server?.damagedObjects?.() ?? 0;
  }

  /** The running server's check of its store; undefined while it is off, or its store cannot be checked. */
  get store(): ServerStoreStatus | undefined {
    const check = this.runner?.server?.storeCheck;
    return check?.applies ? storeStatusOf(check.state, this.damaged) : undefined;
  }

  /** A whole check of the running server's store now (one going on is joined); resolves once it ends. */
  async checkStore(): Promise<ServerStoreStatus> {
    const check = this.runner?.server?.storeCheck;
    if (!check) throw new HostFailure(ERROR_CODES.invalidState, 'This computer runs no server: turn it on in Settings to have one');
    if (!check.applies) throw new HostFailure(ERROR_CODES.invalidState, "This computer's server keeps its objects in a store that cannot be checked");
    // Asked for by someone waiting for the answer: not paced as the scheduled checks are.
    await check.run(false).catch((err: unknown) => {
      // The store out of reach, or (a database) a node of the cluster checking it now: said, not an internal fault.
      throw new HostFailure(ERROR_CODES.unavailable, `The store could not be checked: ${messageOf(err)}`);
    });
    return storeStatusOf(check.state, this.damaged);
  }

  /** Starts the server; on failure `problem` says why, and the error is thrown. `changed` runs either way. */
  async start(config: HypergolixConfig, changed: () => void): Promise<void> {
    if (!this.runner) return;
    // Running already with this section: nothing to do (another one is a restart: stop first).
    if (this.runner.server && this.startedWith && !serverChanged(this.startedWith, config)) return changed();
    this.startedWith = config;
    try {
      const { server } = await this.runner.start(config);
      this.failure = null;
      this.o.log.info(`Embedded persistence server running${server.url ? ` at ${server.url}` : ''}`);
    } catch (err) {
      this.failure = `The embedded persistence server did not start: ${messageOf(err)}`;
      this.o.log.error(this.failure);
      throw err;
    } finally {
      changed();
    }
  }

  /** Stops the server, one still starting included (the runner waits for it, then closes it). */
  async stop(): Promise<void> {
    const wasOn = this.startedWith !== null;
    this.startedWith = null;
    this.failure = null;
    if (!this.runner) return;
    try {
      await this.runner.stop();
      if (wasOn) this.o.log.info('Embedded persistence server stopped');
    } catch (err) {
      this.o.log.warn(`The embedded server did not stop cleanly: ${messageOf(err)}`);
    }
  }
}
