import { HypergolixError } from '../golix/errors.js';

/** Another live process holds the pid file: a second instance is refused (defect 32). */
export class AlreadyRunning extends HypergolixError {
  constructor(
    readonly pid: number,
    readonly path: string,
  ) {
    super(`already running (pid ${pid})`);
  }
}

/** The pid file could not be read, created or taken over for a reason other than a live owner. */
export class PidFileError extends HypergolixError {}

/** A detached child did not come up: it reported a failure, exited early, or timed out. */
export class StartFailed extends HypergolixError {
  constructor(
    message: string,
    readonly details: {
      reason: 'failed' | 'exited' | 'timeout' | 'spawn' | 'cancelled';
      pid?: number;
      exitCode?: number | null;
      signal?: NodeJS.Signals | null;
      /** Name the child gave its error, when it reported one. */
      errorName?: string;
      /** The last lines the child wrote to stdout/stderr before it died (crash traces). */
      output?: string;
    },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
