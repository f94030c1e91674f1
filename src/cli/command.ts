import { HypergolixError } from '../core/golix/errors.js';
import { storageTrouble } from '../core/util/disk-space.js';

/** What every CLI command module exports. */
export interface Command {
  /** e.g. "inspect", "start", "config". */
  name: string;
  /** Full usage text printed by `hypergolix <name> --help`. */
  usage: string;
  /** A verb's own usage, for `hypergolix <name> <verb> --help` (null: not a verb, the full usage). */
  usageOf?(argv: readonly string[]): string | null;
  /** Runs the command; resolves to the process exit status. */
  run(argv: string[], io: CliIO): Promise<number>;
}

/** The streams a command talks to; tests pass their own. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  stdin: NodeJS.ReadableStream;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * Settles once standard output is gone (its reader went: `status --watch | head -1`), for a
   * command that would otherwise go on for ever writing to nobody. Absent in tests' fake streams.
   */
  outputGone?: Promise<void>;
}

/** A user-facing CLI failure: printed as `hypergolix: <message>` with the given exit status. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
    /** The message is already on the terminal (a foreground service logged it): print nothing more. */
    readonly shown = false,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** What a system call was doing, in words, for the one-line messages below. */
const SYSCALL_WORDS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write to',
  mkdir: 'create the directory',
  rename: 'replace',
  unlink: 'remove',
  stat: 'look at',
  lstat: 'look at',
  realpath: 'resolve',
  scandir: 'list',
  fsync: 'flush',
};

/** Node's words for the errno codes a person may meet, in plain English. */
const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'it does not exist',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'something else is already there',
  ELOOP: 'the path is a loop of symbolic links',
  EMFILE: 'too many open files',
};

/**
 * One line for a failure, for people: the message without an internal class name in front
 * (`CommsError:`, `UnknownSecret:`), a full disk described with its path and free space, and a
 * system error (ENOENT, ELOOP, …) as what was being done to which path and why.
 */
export function describeFailure(err: unknown, fallbackPath?: string): string {
  if (!(err instanceof Error)) return String(err);
  if (err instanceof HypergolixError || err instanceof CliError) return err.message;
  const trouble = storageTrouble(err, fallbackPath);
  if (trouble) return `Cannot store anything: ${trouble.message}`;
  const sys = err as NodeJS.ErrnoException;
  if (typeof sys.code === 'string' && typeof sys.syscall === 'string') {
    const doing = SYSCALL_WORDS[sys.syscall] ?? sys.syscall;
    const why = ERRNO_WORDS[sys.code] ?? sys.code;
    return sys.path ? `Cannot ${doing} ${sys.path}: ${why} (${sys.code})` : `Cannot ${doing}: ${why} (${sys.code})`;
  }
  return err.message;
}

/** A failure a person can act on (ours, or a system error), as opposed to a bug, which keeps its stack. */
export function isExpectedFailure(err: unknown): boolean {
  if (err instanceof HypergolixError || err instanceof CliError) return true;
  const sys = err as NodeJS.ErrnoException;
  return err instanceof Error && typeof sys.code === 'string' && typeof sys.syscall === 'string';
}

/**
 * A reader that went (`hypergolix status | head -1`) makes the next write fail with EPIPE, an
 * 'error' event that would end the CLI with a stack trace: output is dropped from then on, and
 * the command ends with its own status. Another write failure (a full disk under a redirect) is
 * not the reader's choice, so it is said once on stderr.
 */
const quieted = new WeakSet<NodeJS.WriteStream>();

function quietWhenClosed(stream: NodeJS.WriteStream): (text: string) => void {
  if (!quieted.has(stream)) {
    quieted.add(stream);
    stream.on('error', (err: NodeJS.ErrnoException) => {
      stream.destroy();
      if (err.code === 'EPIPE' || stream === process.stderr || process.stderr.destroyed) return;
      process.stderr.write(`hypergolix: cannot write the output, the rest of it is lost: ${err.code ?? err.message}\n`);
      // Usually told after the command ended (writes are flushed later): a script must not read success.
      process.exitCode ||= 1;
    });
  }
  return (text) => {
    if (stream.destroyed) return;
    stream.write(text.endsWith('\n') ? text : text + '\n');
  };
}

export function processIO(): CliIO {
  return {
    // Destroyed by the error handler above once a write fails (EPIPE: the reader went).
    outputGone: new Promise<void>((resolve) => process.stdout.once('close', () => resolve())),
    out: quietWhenClosed(process.stdout),
    err: quietWhenClosed(process.stderr),
    stdin: process.stdin,
    isTTY: Boolean(process.stdin.isTTY),
    env: process.env,
    cwd: process.cwd(),
  };
}
