import { createServer } from 'node:net';
import { readFileSync, unlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { ValueError } from '../golix/errors.js';
import { isProcessAlive } from './alive.js';
import { readPidFile } from './pidfile.js';

export interface StopOptions {
  /** How long to wait for a graceful exit after the signal. Default 15 s. */
  timeoutMs?: number;
  /** Default SIGTERM, as the reference's `stop` sends. */
  signal?: NodeJS.Signals;
  /** After `timeoutMs`, SIGKILL the process instead of giving up. Default false. */
  force?: boolean;
  /** How long to wait for the process to vanish after SIGKILL. Default 5 s. */
  killTimeoutMs?: number;
  /** Poll interval. Default 50 ms. */
  pollMs?: number;
}

export type StopResult =
  /** The process exited; `forced` if it took a SIGKILL. */
  | { status: 'stopped'; pid: number; forced: boolean; message: string }
  /** No pid file: nothing to stop. */
  | { status: 'not-running'; pid: null; message: string }
  /** The pid file named a dead process, or was garbage, and was removed. */
  | { status: 'stale'; pid: number | null; message: string }
  /** Still running after the timeout (and `force` was not set, or SIGKILL did not take). */
  | { status: 'timeout'; pid: number; message: string }
  /** The process belongs to another user. */
  | { status: 'denied'; pid: number; message: string };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `pid` is gone; true if it went within `timeoutMs`. */
async function waitForExit(pid: number, timeoutMs: number, options: { pollMs?: number; procStart?: number } = {}): Promise<boolean> {
  const pollMs = options.pollMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isProcessAlive(pid, options.procStart)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(pollMs, Math.max(1, deadline - Date.now())));
  }
}

/** Removes the pid file if it still names `pid` (a newer owner's file is left alone). */
function removeIfOwnedBy(path: string, pid: number | null): void {
  try {
    const first = readFileSync(path, 'utf8').split('\n')[0]?.trim() ?? '';
    const named = /^\d+$/.test(first) ? Number(first) : null;
    if (named === pid) unlinkSync(path);
  } catch {
    // already removed by its owner
  }
}

/**
 * Stops the process named by a pid file: sends `signal`, waits for it to exit, escalates to SIGKILL
 * only with `force`, and leaves no stale pid file behind. Never throws for the expected outcomes;
 * they are the `status` of the result.
 */
export async function stopProcess(pidFile: string, options: StopOptions = {}): Promise<StopResult> {
  const path = resolve(pidFile);
  const { timeoutMs = 15_000, signal = 'SIGTERM', force = false, killTimeoutMs = 5_000, pollMs = 50 } = options;
  const state = readPidFile(path);
  if (state === null) return { status: 'not-running', pid: null, message: `not running (no pid file at ${path})` };
  const { pid } = state;
  if (pid === null || !state.alive) {
    removeIfOwnedBy(path, pid);
    return {
      status: 'stale',
      pid,
      message: pid === null ? `not running; removed unreadable pid file ${path}` : `not running (pid ${pid} is gone); removed stale pid file ${path}`,
    };
  }
  if (pid === process.pid) {
    // Signalling ourselves from a stop command would be a bug in the caller, not a stop.
    throw new ValueError(`refusing to stop the calling process (pid ${pid})`);
  }
  const procStart = typeof state.info?.procStart === 'number' ? state.info.procStart : undefined;
  try {
    process.kill(pid, signal);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPERM') return { status: 'denied', pid, message: `cannot signal pid ${pid}: it belongs to another user` };
    if (code !== 'ESRCH') throw err;
  }
  if (await waitForExit(pid, timeoutMs, { pollMs, procStart })) {
    removeIfOwnedBy(path, pid);
    return { status: 'stopped', pid, forced: false, message: `stopped (pid ${pid})` };
  }
  if (!force) {
    return { status: 'timeout', pid, message: `pid ${pid} did not stop within ${Math.round(timeoutMs / 1000)} s (use --force to kill it)` };
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
  if (await waitForExit(pid, killTimeoutMs, { pollMs, procStart })) {
    removeIfOwnedBy(path, pid);
    return { status: 'stopped', pid, forced: true, message: `killed (pid ${pid}) after it ignored ${signal} for ${Math.round(timeoutMs / 1000)} s` };
  }
  return { status: 'timeout', pid, message: `pid ${pid} survived SIGKILL for ${Math.round(killTimeoutMs / 1000)} s` };
}

export interface PortSpec {
  host?: string;
  port: number;
}

function canBind({ host, port }: PortSpec): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen({ host: host ?? '127.0.0.1', port, exclusive: true }, () => server.close(() => done(true)));
  });
}

/**
 * Waits until every port can be bound again, so a restart right after a stop does not collide with
 * the old instance's sockets (defect 32). Resolves with the ports still busy at the deadline ([] = all free).
 */
export async function waitPortsFree(ports: readonly PortSpec[], options: { timeoutMs?: number; pollMs?: number } = {}): Promise<PortSpec[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  let busy = [...ports];
  for (;;) {
    const free = await Promise.all(busy.map(canBind));
    busy = busy.filter((_, i) => !free[i]);
    if (busy.length === 0 || Date.now() >= deadline) return busy;
    await sleep(options.pollMs ?? 50);
  }
}
