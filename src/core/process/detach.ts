import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { StartFailed } from './errors.js';
import { DETACHED_MARKER, type ChildMessage } from './detached-child.js';

/*
 * Start-up of a daemon as a detached child, the parent's side (the child's is detached-child.ts) (replaces the reference's fork + log relay on the fixed
 * port 7771, defect 7). The parent CLI spawns the child with an IPC channel; the child relays its
 * boot log over it and says `ready` or `failed`; the parent prints the log, then lets go of every
 * handle so it can exit while the child keeps running.
 *
 * A secret (e.g. the unlocked root secret after a password prompt) travels over the child's stdin
 * pipe: unlike argv and the environment, a pipe is not readable by other users through /proc or ps.
 */

/** How long a ready child's pipes may still deliver what it printed before it said so. */
const READY_DRAIN_MS = 20;
const OUTPUT_TAIL_LINES = 40;

export type OutputSource = 'log' | 'stdout' | 'stderr';

export interface StartDetachedOptions {
  /** The child's entry script. */
  script: string;
  args?: readonly string[];
  /** Node flags for the child. Default: this process's, minus inspector, test-runner and watch flags. */
  execArgv?: readonly string[];
  /** Node flags for the child on top of `execArgv` (or its default). */
  extraExecArgv?: readonly string[];
  cwd?: string;
  /** Default: this process's environment. */
  env?: NodeJS.ProcessEnv;
  /**
   * Written to the child's stdin, which is then closed; the child reads it with `readHandoff()`.
   * A promise (a password still being typed) lets the child start meanwhile: its boot timeout
   * runs from when the secret is written, and what it prints is held until then, so nothing
   * lands in the middle of a prompt. If the promise rejects, the child is stopped and the start
   * fails with reason `cancelled`.
   */
  secret?: Buffer | Promise<Buffer>;
  /** How long the child may take to report ready (after its secret is written) before it is killed. Default 60 s. */
  bootTimeoutMs?: number;
  /** How long a child that reported failure, or timed out, gets to exit before SIGKILL. Default 3 s. */
  killGraceMs?: number;
  /** Receives the child's boot log (`log`) and anything it prints before it is ready. Default: stderr. */
  onLog?: (line: string, source: OutputSource) => void;
}

export interface DetachedChild<I = unknown> {
  pid: number;
  /** Whatever the child passed to `reportReady` (e.g. its ports). */
  info: I;
}

const DROPPED_FLAGS = /^--(inspect|debug|test|experimental-test|watch)/;

function defaultExecArgv(): string[] {
  return process.execArgv.filter((flag) => !DROPPED_FLAGS.test(flag));
}

function isChildMessage(m: unknown): m is ChildMessage {
  if (!m || typeof m !== 'object') return false;
  const type = (m as { type?: unknown }).type;
  if (type === 'log') return typeof (m as { line?: unknown }).line === 'string';
  if (type === 'ready') return true;
  if (type === 'failed') {
    const e = (m as { error?: unknown }).error;
    return !!e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string';
  }
  return false;
}

/** Splits a byte stream into lines for `onLine`, keeping a bounded partial line. */
function lines(stream: Readable | null, onLine: (line: string) => void): () => void {
  if (!stream) return () => {};
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split(/\r?\n/);
    partial = parts.pop() ?? '';
    if (partial.length > 16_384) {
      parts.push(partial);
      partial = '';
    }
    for (const line of parts) onLine(line);
  });
  stream.on('error', () => {});
  return () => {
    if (partial) onLine(partial);
    partial = '';
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // detached: the child leads its own process group, so this also reaches anything it spawned
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Starts `script` as a detached child and waits until it reports ready. Resolves with its pid and
 * ready info once every handle to it is released; rejects with StartFailed if it reports failure,
 * exits, or times out (the child is then killed, so no half-started daemon remains).
 */
export function startDetached<I = unknown>(options: StartDetachedOptions): Promise<DetachedChild<I>> {
  const handoff = options.secret !== undefined;
  return new Promise<DetachedChild<I>>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...(options.execArgv ?? defaultExecArgv()), ...(options.extraExecArgv ?? []), options.script, ...(options.args ?? [])], {
        cwd: options.cwd,
        env: { ...(options.env ?? process.env), [DETACHED_MARKER]: handoff ? 'ipc+stdin' : 'ipc' },
        detached: true,
        stdio: [handoff ? 'pipe' : 'ignore', 'pipe', 'pipe', 'ipc'],
        // A Windows console window per daemon would be noise.
        windowsHide: true,
      });
    } catch (err) {
      reject(new StartFailed(`could not start ${options.script}: ${(err as Error).message}`, { reason: 'spawn' }, { cause: err }));
      return;
    }
    const watch = new BootWatch<I>(child, options, resolve, reject);
    if (!handoff || !child.stdin) return watch.arm();
    const stdin = child.stdin;
    // EPIPE if the child died before reading: the exit path reports that.
    stdin.on('error', () => {});
    Promise.resolve(options.secret!).then(
      (secret) => {
        stdin.end(secret);
        watch.arm();
      },
      (err: unknown) => watch.cancel(err),
    );
  });
}

/** Follows one spawned child until it is ready (resolve) or has failed and is gone (reject). */
class BootWatch<I> {
  private readonly onLog: (line: string, source: OutputSource) => void;
  private readonly killGraceMs: number;
  /** The last lines the child printed, for the failure's details. */
  private readonly tail: string[] = [];
  private readonly flushOut: () => void;
  private readonly flushErr: () => void;
  private settled = false;
  private failure: StartFailed | null = null;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private bootTimer: NodeJS.Timeout | undefined;
  /**
   * What the child printed before `arm`: held, so it does not land in a prompt still being
   * answered. `dropped` once the start is cancelled: what it prints while it is stopped is not
   * shown either (it stays in the failure's tail).
   */
  private held: [string, OutputSource][] | null | 'dropped' = [];

  constructor(
    private readonly child: ChildProcess,
    private readonly options: StartDetachedOptions,
    private readonly resolve: (child: DetachedChild<I>) => void,
    private readonly reject: (err: StartFailed) => void,
  ) {
    this.onLog = options.onLog ?? ((line: string) => process.stderr.write(line + '\n'));
    this.killGraceMs = options.killGraceMs ?? 3_000;
    this.flushOut = lines(child.stdout, this.output('stdout'));
    this.flushErr = lines(child.stderr, this.output('stderr'));
    child.on('message', this.onMessage);
    child.on('exit', this.onExit);
    child.on('close', this.onClose);
    child.on('error', this.onError);
  }

  /** The secret is written (or there is none): the boot timeout starts, held output is shown. */
  arm(): void {
    if (this.settled || this.failure) return;
    const bootTimeoutMs = this.options.bootTimeoutMs ?? 60_000;
    this.bootTimer = setTimeout(() => {
      this.fail(new StartFailed(`did not report ready within ${Math.round(bootTimeoutMs / 1000)} s`, { reason: 'timeout', pid: this.child.pid }), 0);
    }, bootTimeoutMs);
    const held = Array.isArray(this.held) ? this.held : [];
    this.held = null;
    for (const [line, source] of held) safe(() => this.onLog(line, source));
  }

  /** The secret will not come (its prompt was cancelled): the child is stopped at once. */
  cancel(cause: unknown): void {
    this.held = 'dropped';
    this.fail(new StartFailed('cancelled before it was handed its secret', { reason: 'cancelled', pid: this.child.pid }, { cause }), 0);
  }

  private show(line: string, source: OutputSource): void {
    if (this.held === 'dropped') return;
    if (this.held) this.held.push([line, source]);
    else safe(() => this.onLog(line, source));
  }

  private output(source: 'stdout' | 'stderr') {
    return (line: string) => {
      this.tail.push(line);
      if (this.tail.length > OUTPUT_TAIL_LINES) this.tail.shift();
      this.show(line, source);
    };
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(fn, ms);
    // The child's own handles keep this process alive while it runs; these timers need not.
    t.unref();
    this.timers.push(t);
  }

  private detachListeners(): void {
    clearTimeout(this.bootTimer);
    for (const t of this.timers) clearTimeout(t);
    this.child.off('message', this.onMessage);
    this.child.off('exit', this.onExit);
    this.child.off('close', this.onClose);
  }

  /**
   * Records why start-up failed and makes sure the child goes: SIGTERM to its process group after
   * `termAfterMs`, SIGKILL `killGraceMs` later. Rejects once it has exited.
   */
  private fail(err: StartFailed, termAfterMs: number): void {
    if (this.settled || this.failure) return;
    this.failure = err;
    clearTimeout(this.bootTimer);
    if (this.exit) return this.finishFailure();
    this.later(termAfterMs, () => killGroup(this.child, 'SIGTERM'));
    this.later(termAfterMs + this.killGraceMs, () => killGroup(this.child, 'SIGKILL'));
  }

  private finishFailure(): void {
    const failure = this.failure;
    if (this.settled || !failure) return;
    this.settled = true;
    this.detachListeners();
    this.flushOut();
    this.flushErr();
    if (this.exit) {
      failure.details.exitCode ??= this.exit.code;
      failure.details.signal ??= this.exit.signal;
    }
    if (this.tail.length > 0 && failure.details.output === undefined) failure.details.output = this.tail.join('\n');
    this.reject(failure);
  }

  private readonly onMessage = (raw: unknown): void => {
    if (this.settled || !isChildMessage(raw)) return;
    if (raw.type === 'log') {
      this.show(raw.line, 'log');
    } else if (raw.type === 'failed') {
      const e = raw.error;
      // It said it failed and will exit by itself; the grace period covers a child that doesn't.
      this.fail(new StartFailed(e.message, { reason: 'failed', pid: this.child.pid, errorName: String(e.name ?? 'Error') }), this.killGraceMs);
    } else if (!this.failure) {
      this.settled = true;
      clearTimeout(this.bootTimer);
      // What it printed just before saying so may not be read yet: its pipes are read in this
      // same turn of the loop, or the next. Let them drain a moment before letting go.
      const info = raw.info as I;
      setTimeout(() => {
        this.flushOut();
        this.flushErr();
        this.detachListeners();
        release(this.child);
        this.resolve({ pid: this.child.pid!, info });
      }, READY_DRAIN_MS);
    }
  };

  private readonly onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    this.exit = { code, signal };
    // 'close' follows once the IPC channel and the pipes are drained, so a last 'failed' message
    // or crash trace is not lost; don't wait forever in case a grandchild holds the pipes open.
    this.later(1000, this.onClose);
  };

  private readonly onClose = (): void => {
    if (this.settled) return;
    this.exit ??= { code: this.child.exitCode, signal: this.child.signalCode };
    if (!this.failure) {
      const how = this.exit.signal ? `was killed by ${this.exit.signal}` : `exited with status ${this.exit.code}`;
      this.failure = new StartFailed(`${how} before it was ready`, { reason: 'exited', pid: this.child.pid });
    }
    this.finishFailure();
  };

  private readonly onError = (err: Error): void => {
    // Spawn failures (ENOENT, EACCES) arrive here without an 'exit'; later IPC errors are
    // covered by the exit path and must merely not be fatal.
    if (this.child.pid === undefined && !this.settled) {
      this.failure ??= new StartFailed(`could not start ${this.options.script}: ${err.message}`, { reason: 'spawn' }, { cause: err });
      this.exit ??= { code: null, signal: null };
      this.finishFailure();
    }
  };
}

/** Lets go of a ready child: no IPC, no pipes, no reference keeping this process alive. */
function release(child: ChildProcess): void {
  try {
    if (child.connected) child.disconnect();
  } catch {
    // already disconnected
  }
  child.stdin?.destroy();
  child.stdout?.destroy();
  child.stderr?.destroy();
  child.unref();
}

function safe(fn: () => void): void {
  try {
    fn();
  } catch {
    // a failing log callback must not break the start-up protocol
  }
}
