/**
 * The process side of `hypergolix start app` and `hypergolix start server`, around the host's
 * DaemonRunner and ServerRunner (which start and stop the service itself). Without
 * `--foreground` the CLI starts itself again as a detached child, prints the child's boot log as
 * it arrives and returns once the child reports ready. The child (or a foreground run) relays its
 * log while it starts, reports ready or failed, then cuts itself off from the parent's terminal
 * and runs until a shutdown signal stops the service.
 */
import type { Logger } from '../core/log/index.js';
import {
  configureShutdown,
  detachFromParent,
  isDetachedChild,
  onShutdown,
  relayBootLog,
  reportFailed,
  reportReady,
  startDetached,
  type DetachedChild,
  type StartDetachedOptions,
} from '../core/process/index.js';
import { CliError, type CliIO } from './command.js';

/**
 * Starts this CLI again with `options.args`, detached, and waits until it reports ready; its boot
 * log goes to stdout. `what` names the service in the error when it does not start.
 */
export async function startInBackground<I>(what: string, io: CliIO, options: Omit<StartDetachedOptions, 'script' | 'onLog'>): Promise<DetachedChild<I>> {
  const script = process.argv[1];
  if (!script) throw new CliError('Cannot tell which script to run in the background; use --foreground', 1);
  return startDetached<I>({ ...options, script, onLog: (line) => io.out(line) }).catch((err: Error) => {
    throw new CliError(`The ${what} did not start: ${err.message}`, 1);
  });
}

export class ServiceProcess {
  private stopRelay: () => void = () => {};

  constructor(private readonly detached: boolean) {}

  /** Once the log is open: its lines also go to the parent waiting for a detached start. */
  relay(log: Logger): void {
    this.stopRelay = relayBootLog(log);
  }

  /**
   * Stops relaying the log to a waiting parent: the failure about to be logged reaches it as the
   * reason the start failed, and is printed there once, not twice.
   */
  endRelay(): void {
    this.stopRelay();
    this.stopRelay = () => {};
  }

  /** SIGTERM, SIGINT and SIGHUP run `stop` (within `deadlineMs`, if given), then end the process. */
  stopOnSignal(log: Logger, stop: () => Promise<void>, deadlineMs?: number): void {
    configureShutdown(deadlineMs === undefined ? { log } : { log, deadlineMs });
    onShutdown(stop);
  }

  /** Tells a waiting parent the service is up (with `info`), then runs until a shutdown ends the process. */
  async serve(log: Logger, info: unknown): Promise<never> {
    await reportReady(info);
    this.stopRelay();
    if (this.detached) detachFromParent(log);
    // A pending promise alone does not keep Node running; a timer does, until shutdown exits.
    setInterval(() => {}, 1 << 30);
    return new Promise<never>(() => {});
  }

  /**
   * Ends a run that failed. A service that started but could not announce itself is stopped,
   * its log told why (with `details`), so it does not run unannounced; a waiting parent is told
   * `toParent`; the CLI exits 1 with `message`.
   */
  async failed(
    message: string,
    o: { toParent: unknown; started?: { log: Logger; runner: { stop(): Promise<void> } }; details?: unknown[]; logged?: boolean },
  ): Promise<never> {
    if (o.started) {
      o.started.log.error(message, ...(o.details ?? []));
      await o.started.runner.stop().catch(() => {});
    }
    if (isDetachedChild()) await reportFailed(o.toParent);
    // The log is the terminal (in the foreground) or relayed to it (a detached start): a message
    // it already showed is not repeated.
    throw new CliError(message, 1, o.logged === true || o.started !== undefined);
  }
}
