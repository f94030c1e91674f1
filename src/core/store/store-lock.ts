/**
 * The exclusive lock a file store holds on its ghidcache for as long as it is open (issue 18,
 * item 9): `<dir>.lock` beside the directory, `{"pid", "role", "configKey", "procStart"}` as
 * JSON (docs/formats.md). Two stores on one directory write the same journal and index and
 * "thoroughly break Hypergolix", so a second one — another process, or a second store in the
 * same process (the desktop's daemon and embedded server) — is refused with StoreLocked, which
 * names the holder and the config key to change. A lock left by a dead process is taken over.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { HypergolixError } from '../golix/index.js';
import { isProcessAlive, procStat } from '../process/alive.js';
import { createFileExclusiveSync } from '../util/exclusive-create.js';

export interface StoreLockOwner {
  /** Who opens the store, for the message a second opener gets: 'server', 'app', … */
  role: string;
  /** The config key that sets this directory: `server.ghidcache`, `process.ghidcache`. */
  configKey: string;
}

interface LockContent extends StoreLockOwner {
  pid: number;
  procStart?: number;
}

/** Another live store (in this process or another) has the directory open: a user's to settle, said in words (no stack). */
export class StoreLocked extends HypergolixError {
  constructor(
    readonly dir: string,
    readonly holder: { pid: number; role: string; configKey: string },
    readonly configKey: string,
  ) {
    const who = holder.pid === process.pid ? `this process's ${holder.role}` : `the ${holder.role} (pid ${holder.pid})`;
    super(
      `The ghidcache ${dir} is already in use by ${who}. Two stores on one directory would corrupt it: ` +
        `set ${configKey} to another directory${holder.configKey !== configKey ? ` (or ${holder.configKey} for the ${holder.role})` : ''}, or stop the ${holder.role} first.`,
    );
  }
}

export class StoreLock {
  private constructor(
    readonly path: string,
    private readonly content: string,
  ) {}

  /** Takes the lock on `dir`, or throws StoreLocked naming the live holder. */
  static acquire(dir: string, owner: StoreLockOwner): StoreLock {
    const path = `${dir}.lock`;
    const ticks = procStat(process.pid)?.startTicks;
    const mine: LockContent = { pid: process.pid, role: owner.role, configKey: owner.configKey, ...(ticks !== undefined ? { procStart: ticks } : {}) };
    const content = JSON.stringify(mine) + '\n';
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        createFileExclusiveSync(path, content, { mode: 0o600 });
        return new StoreLock(path, content);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const text = readText(path);
      if (text === null) continue;
      const holder = parse(text);
      if (holder && isProcessAlive(holder.pid, holder.procStart)) throw new StoreLocked(dir, holder, owner.configKey);
      // Dead holder, or a file that is not a lock we wrote (torn by a crash): take it over, but
      // only if it is still the one we read (another starter may have taken it meanwhile).
      if (readText(path) === text) removeQuietly(path);
    }
    throw new Error(`Could not take the lock ${path}: it keeps changing (another process is starting on the same ghidcache?)`);
  }

  /** Gives the lock up, if it is still ours. */
  release(): void {
    if (readText(this.path) === this.content) removeQuietly(this.path);
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function parse(text: string): LockContent | null {
  try {
    const v = JSON.parse(text) as Partial<LockContent>;
    if (typeof v.pid !== 'number' || typeof v.role !== 'string' || typeof v.configKey !== 'string') return null;
    return { pid: v.pid, role: v.role, configKey: v.configKey, ...(typeof v.procStart === 'number' ? { procStart: v.procStart } : {}) };
  } catch {
    return null;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}
