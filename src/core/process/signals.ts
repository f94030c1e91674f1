import { constants } from 'node:os';
import type { Logger } from '../log/logger.js';

export type ShutdownHandler = (reason: string) => void | Promise<void>;

export interface ShutdownOptions {
  /** Time the handlers get, all together, before the process exits anyway. Default 10 s. */
  deadlineMs?: number;
  /** Signals that start a shutdown. Default SIGTERM, SIGINT and (not on Windows) SIGHUP. */
  signals?: NodeJS.Signals[];
  /** Where handler failures and the deadline are reported. */
  log?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

const handlers: ShutdownHandler[] = [];
let settings: Required<Omit<ShutdownOptions, 'log'>> & { log: ShutdownOptions['log'] | undefined } = {
  deadlineMs: 10_000,
  signals: process.platform === 'win32' ? ['SIGTERM', 'SIGINT'] : ['SIGTERM', 'SIGINT', 'SIGHUP'],
  log: undefined,
};
let installed: NodeJS.Signals[] = [];
let running: Promise<never> | null = null;

function onSignal(signal: NodeJS.Signals): void {
  if (running) {
    // The second signal is the user insisting: leave now, with the conventional 128+n status.
    settings.log?.warn(`${signal} again: exiting without waiting for shutdown to finish`);
    process.exit(128 + (constants.signals[signal] ?? 15));
  }
  void shutdown(signal);
}

function install(): void {
  for (const signal of settings.signals) {
    if (installed.includes(signal)) continue;
    process.on(signal, onSignal);
    installed.push(signal);
  }
}

/** Changes the deadline, the signals or the logger; may be called before or after `onShutdown`. */
export function configureShutdown(options: ShutdownOptions): void {
  settings = { ...settings, ...options, log: options.log ?? settings.log };
  if (options.signals && installed.length > 0) {
    for (const signal of installed) if (!options.signals.includes(signal)) process.off(signal, onSignal);
    installed = installed.filter((s) => options.signals!.includes(s));
    install();
  }
}

/**
 * Registers work to do before the process exits on SIGTERM/SIGINT/SIGHUP or `shutdown()`.
 * Handlers run once, one after another, newest first (what was started last is stopped first).
 * Returns a function that unregisters the handler.
 */
export function onShutdown(handler: ShutdownHandler): () => void {
  handlers.push(handler);
  install();
  return () => {
    const i = handlers.lastIndexOf(handler);
    if (i >= 0) handlers.splice(i, 1);
  };
}

/**
 * Runs the handlers and exits: status 0 if they all finished, 1 if one failed or the deadline
 * passed. Calling it again returns the same shutdown in progress.
 */
export function shutdown(reason: string): Promise<never> {
  running ??= run(reason);
  return running;
}

async function run(reason: string): Promise<never> {
  const { log, deadlineMs } = settings;
  log?.info(`shutting down (${reason})`);
  let failed = false;
  const work = (async () => {
    for (const handler of [...handlers].reverse()) {
      try {
        await handler(reason);
      } catch (err) {
        failed = true;
        log?.error('shutdown step failed:', err);
      }
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    work.then(() => false),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(true), deadlineMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) log?.error(`shutdown did not finish within ${deadlineMs} ms; exiting anyway`);
  process.exit(timedOut || failed ? 1 : 0);
}
