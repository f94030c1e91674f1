import { randomBytes } from 'node:crypto';
import { createFileExclusiveSync } from '../util/exclusive-create.js';
import { closeSync, existsSync, lstatSync, openSync, readFileSync, readlinkSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { makeDirsSync } from '../util/make-dirs.js';
import { basename, dirname, join, resolve } from 'node:path';
import { isProcessAlive, isValidPid, procStat } from './alive.js';
import { AlreadyRunning, PidFileError } from './errors.js';

/**
 * Second line of a pid file: a JSON object. Line 1 stays the bare pid, which is all the Python
 * reference and shell scripts (`kill $(cat hypergolix.pid)`) read.
 */
export interface PidInfo {
  /** ISO time the lock was taken. */
  started?: string;
  /** Kernel start time of the owner (Linux), to tell a recycled pid from the owner. */
  procStart?: number;
  [key: string]: unknown;
}

export interface PidLock {
  readonly pid: number;
  readonly path: string;
  /** Rewrites the info line (e.g. once ports are bound); the pid stays, the file never disappears. */
  update(info: Record<string, unknown>): void;
  /** Removes the file if it still names this process. Idempotent; also runs on process exit. */
  release(): void;
}

export interface PidFileState {
  /** Null when line 1 is not a pid (garbage or a half-written file). */
  pid: number | null;
  alive: boolean;
  info: PidInfo | null;
}

const FILE_MODE = 0o600;
const MAX_ATTEMPTS = 50;
/** A takeover guard older than this was left by a process that died mid-takeover. */
const GUARD_STALE_MS = 500;

/** Absolute paths of the pid files this process holds. */
const held = new Set<string>();
let exitHookInstalled = false;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function readRaw(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PidFileError(`cannot read pid file ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function parse(content: string): { pid: number | null; info: PidInfo | null } {
  const [first = '', second] = content.split('\n');
  const trimmed = first.trim();
  const pid = /^\d{1,10}$/.test(trimmed) && isValidPid(Number(trimmed)) ? Number(trimmed) : null;
  let info: PidInfo | null = null;
  if (second?.trim()) {
    try {
      const parsed: unknown = JSON.parse(second);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) info = parsed as PidInfo;
    } catch {
      // an unreadable info line does not make the pid unreadable
    }
  }
  return { pid, info };
}

function stateOf(content: string, path: string): PidFileState {
  const { pid, info } = parse(content);
  if (pid === null) return { pid: null, alive: false, info };
  const procStart = typeof info?.procStart === 'number' ? info.procStart : undefined;
  // Our own pid in a file we do not hold is a leftover from an earlier process that had the same pid
  // (common in containers, where the daemon is often pid 1 every time).
  const alive = pid === process.pid ? held.has(path) : isProcessAlive(pid, procStart);
  return { pid, alive, info };
}

/** The pid file's owner and whether it is running; null if there is no file. */
export function readPidFile(path: string): PidFileState | null {
  path = canonical(path);
  const content = readRaw(path);
  return content === null ? null : stateOf(content, path);
}

function render(info: Record<string, unknown> | undefined, started: string): string {
  const stat = procStat(process.pid);
  // The liveness fields last: info passed by a caller cannot replace them.
  const meta: PidInfo = { ...info, started, ...(stat ? { procStart: stat.startTicks } : {}) };
  return `${process.pid}\n${JSON.stringify(meta)}\n`;
}

/** Creates `path` holding `content`, or fails with EEXIST; never visible empty or half-written. */
function createExclusive(path: string, content: string): void {
  createFileExclusiveSync(path, content, { mode: FILE_MODE });
}

/**
 * Removes a stale pid file, but only if it still has the content we judged stale. The guard file
 * serialises takeovers: without it, two starters that both saw the same stale file could each
 * remove it, and the slower one would delete the faster one's fresh lock.
 * Returns false if the guard is busy (the caller retries).
 */
function removeIfUnchanged(path: string, staleContent: string): boolean {
  const guard = `${path}.lock`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx', FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (Date.now() - statSync(guard).mtimeMs > GUARD_STALE_MS) unlinkSync(guard);
    } catch {
      // someone else cleaned it up
    }
    return false;
  }
  try {
    if (readRaw(path) === staleContent) unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  } finally {
    closeSync(fd);
    unlinkSync(guard);
  }
  return true;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Only synchronous work runs in 'exit'; a SIGKILL or a default-handled signal skips it, and the
  // next start then finds a stale file and takes it over.
  process.on('exit', () => {
    for (const path of [...held.keys()]) releasePath(path);
  });
}

function releasePath(path: string): void {
  if (!held.delete(path)) return;
  try {
    const content = readRaw(path);
    if (content !== null && parse(content).pid === process.pid) unlinkSync(path);
  } catch {
    // release runs in exit paths: never throw from it
  }
}

/**
 * Takes the single-instance lock: creates `path` (mode 0600) holding this process's pid, plus a
 * JSON line with `started` and `info`. A file left by a dead process, or garbage, is taken over.
 * Throws AlreadyRunning if a live process holds it, PidFileError if it cannot be created.
 */
export function acquirePidFile(path: string, options: { info?: Record<string, unknown> } = {}): PidLock {
  path = resolve(path);
  const started = new Date().toISOString();
  const content = render(options.info, started);
  try {
    makeDirsSync(dirname(path), 0o700);
    path = canonical(path);
  } catch (err) {
    throw new PidFileError(`cannot create the directory of pid file ${path}: ${(err as Error).message}`, { cause: err });
  }
  for (let attempt = 0; ; attempt++) {
    if (attempt >= MAX_ATTEMPTS) throw new PidFileError(`could not take over pid file ${path}: it keeps changing`);
    if (held.has(path)) throw new AlreadyRunning(process.pid, path);
    try {
      createExclusive(path, content);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new PidFileError(`cannot create pid file ${path}: ${(err as Error).message}`, { cause: err });
      }
    }
    const existing = readRaw(path);
    if (existing === null) {
      // A link whose target is gone (into a /run a reboot emptied) makes every create EEXIST.
      const target = danglingLinkTarget(path);
      if (target !== null) throw new PidFileError(`pid file ${path} is a symbolic link to ${target}, which does not exist: create its folder, or remove the link`);
      continue; // released between our create and our read
    }
    const state = stateOf(existing, path);
    if (state.alive && state.pid !== null) throw new AlreadyRunning(state.pid, path);
    // Waits long enough in all (~1.5 s) to outlast a guard left by a starter killed holding it.
    if (!removeIfUnchanged(path, existing)) sleepSync(20 + Math.floor(Math.random() * 20));
  }
  held.add(path);
  installExitHook();
  const lock: PidLock = {
    pid: process.pid,
    path,
    update(info) {
      if (!held.has(path)) throw new PidFileError(`pid file ${path} is no longer held`);
      // Removed meanwhile and taken by another process: its file is not ours to overwrite.
      const now = readRaw(path);
      const owner = now === null ? null : parse(now).pid;
      if (owner !== null && owner !== process.pid) throw new PidFileError(`pid file ${path} now names pid ${owner}, not this process: it was replaced while this one ran`);
      const next = render(info, started);
      const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        writeFileSync(tmp, next, { mode: FILE_MODE, flag: 'wx' });
        // rename replaces atomically, so the lock never disappears while it is rewritten
        renameSync(tmp, path);
      } catch (err) {
        try {
          unlinkSync(tmp);
        } catch {
          // nothing to clean
        }
        throw new PidFileError(`cannot update pid file ${path}: ${(err as Error).message}`, { cause: err });
      }
    },
    release() {
      releasePath(path);
    },
  };
  return lock;
}

/** The target of `path` when it is a symbolic link to nothing, else null. */
function danglingLinkTarget(path: string): string | null {
  try {
    if (!lstatSync(path).isSymbolicLink()) return null;
    const target = readlinkSync(path);
    return existsSync(path) ? null : target;
  } catch {
    return null;
  }
}

/** One name for one file: the same lock reached through a symlinked folder is the same lock. */
function canonical(path: string): string {
  const full = resolve(path);
  try {
    return join(realpathSync(dirname(full)), basename(full));
  } catch {
    return full;
  }
}
