/**
 * A daemon started by startDetached (detach.ts), the child's side: it relays its boot log to the
 * parent, reports ready or failed, reads a secret handed over on stdin, then lets go of the
 * parent. Every helper is a no-op unless this process was started by startDetached, so the same
 * daemon code runs in the foreground (`--foreground`, Electron, tests) unchanged.
 */
import { setConsoleEnabled, type Logger } from '../log/logger.js';

/** Tells the child it was started by `startDetached` and whether a secret waits on stdin. */
export const DETACHED_MARKER = 'HGX_DETACHED';
const MAX_HANDOFF_BYTES = 64 * 1024;

/** What the child says to the parent over the IPC channel. */
export type ChildMessage =
  | { type: 'log'; line: string }
  | { type: 'ready'; info?: unknown }
  | { type: 'failed'; error: { name: string; message: string; code?: number } };

interface ChildState {
  detached: boolean;
  handoff: boolean;
  handoffRead: boolean;
}

let childState: ChildState | undefined;

function state(): ChildState {
  if (!childState) {
    const mark = process.env[DETACHED_MARKER];
    // Not inherited by anything this process spawns later.
    delete process.env[DETACHED_MARKER];
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
 * `timeoutMs: null` waits as long as the parent does (a person typing a password): if the parent
 * dies instead, the pipe closes and what arrived (nothing) is returned.
 */
export async function readHandoff(options: { timeoutMs?: number | null } = {}): Promise<Buffer | null> {
  const s = state();
  if (!s.handoff || s.handoffRead) return null;
  s.handoffRead = true;
  const stdin = process.stdin;
  const chunks: Buffer[] = [];
  let size = 0;
  const timeoutMs = options.timeoutMs === undefined ? 10_000 : options.timeoutMs;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = timeoutMs === null ? undefined : setTimeout(() => reject(new Error(`no secret arrived on stdin within ${timeoutMs} ms`)), timeoutMs);
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
