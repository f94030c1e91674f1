/**
 * Start-up and its failure. Whatever goes wrong between `ready` and a working tray must end in
 * something the user sees (an error box) and a process that is gone, with the single-instance
 * lock released first: an invisible process holding the lock would swallow every later launch.
 *
 * A hypergolix.yml broken by hand is not such a failure: `firstLook` turns it into a location
 * and a problem, and the controller starts in its error state, which opens the error view.
 */
import { dirname, join } from 'node:path';
import { ConfigError } from '../core/config/index.js';

/** The slice of Electron's `app` that start-up uses. */
export interface StartupAppPort {
  whenReady(): Promise<unknown>;
  releaseSingleInstanceLock(): void;
  exit(code?: number): void;
}

export interface StartupReport {
  /** Into the log file, with the stack. */
  log(message: string): void;
  /** A modal error box (dialog.showErrorBox); returns when the user dismissed it. */
  showError(title: string, message: string): void;
}

export const STARTUP_FAILED_TITLE = 'Hypergolix could not start';

/** What has been started so far, stopped in reverse order on quit or after a failed start. */
export class ShutdownSteps {
  private readonly steps: { name: string; stop: () => void | Promise<void> }[] = [];
  private started: Promise<unknown> = Promise.resolve();

  /** Quit during start-up waits for it to get somewhere (done or failed) before stopping. */
  startingWith(p: Promise<unknown>): void {
    this.started = p.catch(() => undefined);
  }

  add(name: string, stop: () => void | Promise<void>): void {
    this.steps.push({ name, stop });
  }

  /** Runs every step once, last added first; a failing step is reported and the next still runs. */
  async run(warn: (message: string) => void): Promise<void> {
    await this.started;
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.stop();
      } catch (err) {
        warn(`Stopping ${step.name} failed: ${messageOf(err)}`);
      }
    }
  }
}

export interface StartupOptions {
  app: StartupAppPort;
  start(): Promise<void>;
  report: StartupReport;
  /** Stops what had started before the failure (the daemon and server first of all). */
  steps?: ShutdownSteps;
  /** The most that stopping those may take before the process exits anyway. @default 5 s */
  abortDeadlineMs?: number;
  warn?(message: string): void;
}

/**
 * `app.whenReady().then(start)` where a failure of either ends the process: unlike
 * `.then(start, fatal)`, an error thrown by `start` is caught too. Resolves when start-up is
 * over (or the failure has been handled).
 */
export function runStartup(o: StartupOptions): Promise<void> {
  const started = o.app.whenReady().then(() => o.start());
  o.steps?.startingWith(started);
  return started.catch((err: unknown) => failStartup(err, o));
}

/** Releases the lock, says why, stops what started (bounded) and exits with status 1. */
export async function failStartup(err: unknown, o: StartupOptions): Promise<void> {
  // First the lock: the next launch must start afresh, even while the error box is up.
  try {
    o.app.releaseSingleInstanceLock();
  } catch {
    // Not held (or no app yet): nothing to release.
  }
  o.report.log(`${STARTUP_FAILED_TITLE}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  try {
    o.report.showError(STARTUP_FAILED_TITLE, messageOf(err));
  } catch {
    // No dialog possible (no display): the log and the exit status say it.
  }
  if (o.steps) {
    const warn = o.warn ?? (() => {});
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        warn('Stopping after the failed start took too long; exiting anyway');
        resolve();
      }, o.abortDeadlineMs ?? 5000);
    });
    await Promise.race([o.steps.run(warn), deadline]);
    clearTimeout(timer);
  }
  o.app.exit(1);
}

/** Where the config is and where the desktop log goes, found before anything else starts. */
export interface StartLocation {
  /** hypergolix.yml */
  configPath: string;
  configDir: string;
  logDir: string;
  /** Set when the file could not be used: the controller shows it in its error view. */
  problem: string | null;
}

/**
 * Loads the config once for the log directory. A file that cannot be used (a ConfigError: YAML
 * syntax, a bad field) gives its path and the problem, with the logs in `fallbackLogDir`; the
 * controller then starts in its error state and follows the file until it is fixed. Anything
 * else (no permission to create the file, say) is a real start-up failure and is thrown.
 */
export async function firstLook(
  load: () => Promise<{ path: string; dir: string; config: { process: { logdir: string } } }>,
  fallbackLogDir: string,
): Promise<StartLocation> {
  try {
    const loaded = await load();
    return { configPath: loaded.path, configDir: loaded.dir, logDir: loaded.config.process.logdir, problem: null };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { configPath: err.file, configDir: dirname(err.file), logDir: fallbackLogDir, problem: err.message };
  }
}

export const desktopLogFile = (logDir: string) => join(logDir, 'hgxdesktop.log');

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
