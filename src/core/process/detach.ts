import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { setConsoleEnabled, type Logger } from '../log/logger.js';
import { StartFailed } from './errors.js';

/*
 * Start-up of a daemon as a detached child (replaces the reference's fork + log relay on the fixed
 * port 7771, defect 7). The parent CLI spawns the child with an IPC channel; the child relays its
 * boot log over it and says `ready` or `failed`; the parent prints the log, then lets go of every
 * handle so it can exit while the child keeps running.
 *
 * A secret (e.g. the unlocked root secret after a password prompt) travels over the child's stdin
 * pipe: unlike argv and the environment, a pipe is not readable by other users through /proc or ps.
 */

/** Tells the child it was started by `startDetached` and whether a secret waits on stdin. */
const MARKER = 'HGX_DETACHED';
const MAX_HANDOFF_BYTES = 64 * 1024;
const OUTPUT_TAIL_LINES = 40;

export type ChildMessage =
  | { type: 'log'; line: string }
  | { type: 'ready'; info?: unknown }
  | { type: 'failed'; error: { name: string; message: string; code?: number } };

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
  /** Written to the child's stdin, which is then closed; the child reads it with `readHandoff()`. */
  secret?: Buffer;
  /** How long the child may take to report ready before it is killed. Default 60 s. */
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
  const onLog = options.onLog ?? ((line: string) => process.stderr.write(line + '\n'));
  const bootTimeoutMs = options.bootTimeoutMs ?? 60_000;
  const killGraceMs = options.killGraceMs ?? 3_000;
  const handoff = options.secret !== undefined;

  return new Promise<DetachedChild<I>>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...(options.execArgv ?? defaultExecArgv()), ...(options.extraExecArgv ?? []), options.script, ...(options.args ?? [])], {
        cwd: options.cwd,
        env: { ...(options.env ?? process.env), [MARKER]: handoff ? 'ipc+stdin' : 'ipc' },
        detached: true,
        stdio: [handoff ? 'pipe' : 'ignore', 'pipe', 'pipe', 'ipc'],
        // A Windows console window per daemon would be noise.
        windowsHide: true,
      });
    } catch (err) {
      reject(new StartFailed(`could not start ${options.script}: ${(err as Error).message}`, { reason: 'spawn' }, { cause: err }));
      return;
    }

    const tail: string[] = [];
    const output = (source: 'stdout' | 'stderr') => (line: string) => {
      tail.push(line);
      if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
      safe(() => onLog(line, source));
    };
    const flushOut = lines(child.stdout, output('stdout'));
    const flushErr = lines(child.stderr, output('stderr'));

    let settled = false;
    let failure: StartFailed | null = null;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    const timers: NodeJS.Timeout[] = [];
    const later = (ms: number, fn: () => void) => {
      const t = setTimeout(fn, ms);
      // The child's own handles keep this process alive while it runs; these timers need not.
      t.unref();
      timers.push(t);
    };

    const bootTimer = setTimeout(() => {
      fail(new StartFailed(`did not report ready within ${Math.round(bootTimeoutMs / 1000)} s`, { reason: 'timeout', pid: child.pid }), 0);
    }, bootTimeoutMs);

    function detachListeners(): void {
      clearTimeout(bootTimer);
      for (const t of timers) clearTimeout(t);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('close', onClose);
    }

    /**
     * Records why start-up failed and makes sure the child goes: SIGTERM to its process group after
     * `termAfterMs`, SIGKILL `killGraceMs` later. Rejects once it has exited.
     */
    function fail(err: StartFailed, termAfterMs: number): void {
      if (settled || failure) return;
      failure = err;
      clearTimeout(bootTimer);
      if (exit) return finishFailure();
      later(termAfterMs, () => killGroup(child, 'SIGTERM'));
      later(termAfterMs + killGraceMs, () => killGroup(child, 'SIGKILL'));
    }

    function finishFailure(): void {
      if (settled || !failure) return;
      settled = true;
      detachListeners();
      flushOut();
      flushErr();
      if (exit) {
        failure.details.exitCode ??= exit.code;
        failure.details.signal ??= exit.signal;
      }
      if (tail.length > 0 && failure.details.output === undefined) failure.details.output = tail.join('\n');
      reject(failure);
    }

    function onMessage(raw: unknown): void {
      if (settled || !isChildMessage(raw)) return;
      if (raw.type === 'log') {
        safe(() => onLog(raw.line, 'log'));
      } else if (raw.type === 'failed') {
        const e = raw.error;
        // It said it failed and will exit by itself; the grace period covers a child that doesn't.
        fail(new StartFailed(e.message, { reason: 'failed', pid: child.pid, errorName: String(e.name ?? 'Error') }), killGraceMs);
      } else if (!failure) {
        settled = true;
        detachListeners();
        release(child);
        resolve({ pid: child.pid!, info: raw.info as I });
      }
    }

    function onExit(code: number | null, signal: NodeJS.Signals | null): void {
      exit = { code, signal };
      // 'close' follows once the IPC channel and the pipes are drained, so a last 'failed' message
      // or crash trace is not lost; don't wait forever in case a grandchild holds the pipes open.
      later(1000, onClose);
    }

    function onClose(): void {
      if (settled) return;
      exit ??= { code: child.exitCode, signal: child.signalCode };
      if (!failure) {
        const how = exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`;
        failure = new StartFailed(`${how} before it was ready`, { reason: 'exited', pid: child.pid });
      }
      finishFailure();
    }

    child.on('message', onMessage);
    child.on('exit', onExit);
    child.on('close', onClose);
    child.on('error', (err) => {
      // Spawn failures (ENOENT, EACCES) arrive here without an 'exit'; later IPC errors are
      // covered by the exit path and must merely not be fatal.
      if (child.pid === undefined && !settled) {
        failure ??= new StartFailed(`could not start ${options.script}: ${err.message}`, { reason: 'spawn' }, { cause: err });
        exit ??= { code: null, signal: null };
        finishFailure();
      }
    });

    if (handoff && child.stdin) {
      // EPIPE if the child died before reading: the exit path reports that.
      child.stdin.on('error', () => {});
      child.stdin.end(options.secret);
    }
  });
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

// ---------------------------------------------------------------------------------------------
// Child side. Every helper is a no-op unless this process was started by startDetached, so the
// same daemon code runs in the foreground (`--foreground`, Electron, tests) unchanged.

interface ChildState {
  detached: boolean;
  handoff: boolean;
  handoffRead: boolean;
}

let childState: ChildState | undefined;

function state(): ChildState {
  if (!childState) {
    const mark = process.env[MARKER];
    // Not inherited by anything this process spawns later.
    delete process.env[MARKER];
    const detached = (mark === 'ipc' || mark === 'ipc+stdin') && typeof process.send === 'function';
    childState = { detached, handoff: detached && mark === 'ipc+stdin', handoffRead: false };
    if (detached) {
      // Once the parent lets go, stdout/stderr are pipes nobody reads: EPIPE must not be fatal.
      process.stdout.on('error', () => {});
      process.stderr.on('error', () => {});
    }
  }
  return childState;
}

/** Whether this process was started by `startDetached` (and has not been told otherwise). */
export function isDetachedChild(): boolean {
  return state().detached;
}

function send(message: ChildMessage): Promise<void> {
  if (!state().detached || !process.connected || !process.send) return Promise.resolve();
  return new Promise((done) => {
    try {
      process.send!(message, undefined, {}, () => done());
    } catch {
      done();
    }
  });
}

/** Sends one boot-log line to the parent, which prints it. */
export function reportBootLog(line: string): void {
  void send({ type: 'log', line });
}

/** Relays every line `log` writes to the parent until the returned function is called. */
export function relayBootLog(log: Logger): () => void {
  if (!state().detached) return () => {};
  return log.onLine((line) => reportBootLog(line));
}

/** Tells the parent the service is up; resolves once the message is handed to the channel. */
export function reportReady(info?: unknown): Promise<void> {
  return send({ type: 'ready', info });
}

/** Tells the parent start-up failed. Await it before exiting, or the message may be lost. */
export function reportFailed(error: unknown): Promise<void> {
  const e =
    error instanceof Error
      ? { name: error.name, message: error.message, ...(typeof (error as { code?: unknown }).code === 'number' ? { code: (error as unknown as { code: number }).code } : {}) }
      : { name: 'Error', message: String(error) };
  return send({ type: 'failed', error: e });
}

/**
 * Reads the secret the parent wrote to stdin (once; later calls resolve null). Null when not
 * started detached or started without a secret, so a foreground run never consumes a terminal.
 */
export async function readHandoff(options: { timeoutMs?: number } = {}): Promise<Buffer | null> {
  const s = state();
  if (!s.handoff || s.handoffRead) return null;
  s.handoffRead = true;
  const stdin = process.stdin;
  const chunks: Buffer[] = [];
  let size = 0;
  const timeoutMs = options.timeoutMs ?? 10_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no secret arrived on stdin within ${timeoutMs} ms`)), timeoutMs);
      stdin.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_HANDOFF_BYTES) {
          clearTimeout(timer);
          reject(new Error(`handoff on stdin exceeds ${MAX_HANDOFF_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      stdin.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
      stdin.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    return Buffer.concat(chunks, size);
  } finally {
    // The stream's own buffers would otherwise keep copies of the secret until collected.
    for (const chunk of chunks) chunk.fill(0);
    stdin.removeAllListeners('data');
    stdin.destroy();
  }
}

let detached = false;

/**
 * After `reportReady`: drops the IPC channel and stops writing to the parent's pipes. Console
 * output (ours or a library's) goes to `log` from then on, or nowhere without one, and loggers stop
 * writing to stderr. No-op in the foreground.
 */
export function detachFromParent(log?: Logger): void {
  if (!state().detached || detached) return;
  detached = true;
  setConsoleEnabled(false);
  try {
    if (process.connected) process.disconnect();
  } catch {
    // the parent already disconnected
  }
  redirect(process.stdout, log ? (line) => log.info(line) : null);
  redirect(process.stderr, log ? (line) => log.warn(line) : null);
}

let inRedirect = false;

function redirect(stream: NodeJS.WriteStream, sink: ((line: string) => void) | null): void {
  let partial = '';
  const write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const cb = typeof encoding === 'function' ? encoding : callback;
    // Re-entry means a log sink itself wrote to the console; writing that again would loop.
    if (sink && !inRedirect) {
      inRedirect = true;
      try {
        partial += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
        const parts = partial.split(/\r?\n/);
        partial = parts.pop() ?? '';
        if (partial.length > 16_384) {
          parts.push(partial);
          partial = '';
        }
        for (const line of parts) sink(line);
      } catch {
        // console output is best effort
      } finally {
        inRedirect = false;
      }
    }
    if (typeof cb === 'function') process.nextTick(cb as () => void);
    return true;
  };
  stream.write = write as typeof stream.write;
}
