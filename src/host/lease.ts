/**
 * What one run of a daemon or a server holds, and the order it is taken and given back in: the
 * pid file first (a single-instance lock; AlreadyRunning names the process holding it), then the
 * log. A start that fails at any point releases the lock and closes a log made here; a stop
 * stops the service, then does the same. A stop during a start waits for the start to finish
 * and then undoes it. DaemonRunner and ServerRunner are this plus what they start.
 */
import type { Logger } from '../core/log/index.js';
import { acquirePidFile, type PidLock } from '../core/process/index.js';

/** Hooks for a host's process-level concerns around a start (the CLI's boot-log relay, its failure line). */
export interface StartHooks {
  /** Runs once the log is open, before the service starts. */
  beforeStart?(log: Logger): void | Promise<void>;
  /** Runs when the start failed, after the lock is released and before the log is closed. */
  onFailure?(err: unknown, log: Logger): void | Promise<void>;
}

export interface LeaseSpec<T> {
  /** The pid file held while the service runs, and its info line; null: no lock. */
  pidFile: { path: string; info: Record<string, unknown> } | null;
  /** A function makes the log at each start (and the lease closes it); a logger is the caller's to close. */
  log: Logger | (() => Logger);
  start(log: Logger): Promise<T>;
  stop(service: T): Promise<void>;
}

/** A service that runs, with the log it runs with. */
export interface Leased<T> {
  service: T;
  log: Logger;
}

export class Lease<T> {
  private lock: PidLock | null = null;
  private log: Logger | null = null;
  private ownsLog = false;
  private running: { service: T; stop: (service: T) => Promise<void> } | null = null;
  private starting: Promise<Leased<T>> | null = null;
  private stopping: Promise<void> | null = null;

  /** The running service; null while stopped (and while it starts). */
  get current(): T | null {
    return this.running?.service ?? null;
  }

  /** The log of the current run, from the moment it is open until the run is over. */
  get logger(): Logger | null {
    return this.log;
  }

  start(spec: LeaseSpec<T>, hooks: StartHooks = {}): Promise<Leased<T>> {
    if (this.starting || this.running) return Promise.reject(new Error('This service is already running; stop it first'));
    const starting = this.open(spec, hooks);
    this.starting = starting;
    const done = () => {
      if (this.starting === starting) this.starting = null;
    };
    starting.then(done, done);
    return starting;
  }

  /** Rewrites the pid file's info line (the server's bound address, its log file). */
  updateLock(info: Record<string, unknown>): void {
    this.lock?.update(info);
  }

  /** Stops the service (after a start in progress), then releases the lock and a log made here. Idempotent. */
  stop(): Promise<void> {
    // A second stop while one runs waits for it, so nothing is released under a service still stopping.
    this.stopping ??= this.close().finally(() => {
      this.stopping = null;
    });
    return this.stopping;
  }

  private async close(): Promise<void> {
    if (this.starting) await this.starting.catch(() => undefined);
    const running = this.running;
    this.running = null;
    try {
      if (running) await running.stop(running.service);
    } finally {
      await this.release();
    }
  }

  private async open(spec: LeaseSpec<T>, hooks: StartHooks): Promise<Leased<T>> {
    if (spec.pidFile) this.lock = acquirePidFile(spec.pidFile.path, { info: spec.pidFile.info });
    try {
      this.log = typeof spec.log === 'function' ? spec.log() : spec.log;
      this.ownsLog = typeof spec.log === 'function';
    } catch (err) {
      this.unlock();
      throw err;
    }
    const log = this.log;
    try {
      await hooks.beforeStart?.(log);
      const service = await spec.start(log);
      this.running = { service, stop: spec.stop };
      return { service, log };
    } catch (err) {
      this.unlock();
      // The start's own failure is what the caller hears of, even if reporting it fails too.
      await Promise.resolve()
        .then(() => hooks.onFailure?.(err, log))
        .catch(() => {});
      await this.release();
      throw err;
    }
  }

  private unlock(): void {
    this.lock?.release();
    this.lock = null;
  }

  private async release(): Promise<void> {
    this.unlock();
    const log = this.ownsLog ? this.log : null;
    this.log = null;
    this.ownsLog = false;
    await log?.close().catch(() => {});
  }
}
