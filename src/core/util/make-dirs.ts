/**
 * `mkdir -p`, one level at a time. Node 20's recursive mkdir never settles (or returns) where a
 * level cannot be made although its parent exists — under /proc, say, where mkdir answers
 * ENOENT: it retries the parent for ever, so `HYPERGOLIX_HOME=/proc/x hypergolix config` hung.
 * Here the missing levels are found first (from `path` up to the nearest existing ancestor),
 * then made top down, and the first that cannot be made fails with its own error.
 */
import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

const codeOf = (err: unknown) => (err as NodeJS.ErrnoException).code;

/** Whether `path` is a directory; null when nothing is there. */
type Kind = boolean | null;

function kindOf(err: unknown): Kind {
  if (codeOf(err) === 'ENOENT') return null;
  throw err;
}

/** The next level up to look at, or null: `kind` of `at` ends the walk (it exists), or the root was reached. */
function nextUp(at: string, kind: Kind, missing: string[]): string | null {
  if (kind === false) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${at}'`), { code: 'ENOTDIR', syscall: 'mkdir', path: at });
  if (kind === true) return null;
  missing.unshift(at);
  const up = dirname(at);
  return up === at ? null : up;
}

export async function makeDirs(path: string, mode = 0o777): Promise<void> {
  const missing: string[] = [];
  for (let at: string | null = resolve(path); at !== null; ) {
    at = nextUp(at, await stat(at).then((s) => s.isDirectory(), kindOf), missing);
  }
  for (const level of missing) {
    // EEXIST: made meanwhile by another process, fine if it is a directory.
    await mkdir(level, { mode }).catch(async (err: unknown) => {
      if (codeOf(err) !== 'EEXIST' || !(await stat(level)).isDirectory()) throw err;
    });
  }
}

export function makeDirsSync(path: string, mode = 0o777): void {
  const missing: string[] = [];
  for (let at: string | null = resolve(path); at !== null; ) {
    let kind: Kind;
    try {
      kind = statSync(at).isDirectory();
    } catch (err) {
      kind = kindOf(err);
    }
    at = nextUp(at, kind, missing);
  }
  for (const level of missing) {
    try {
      mkdirSync(level, { mode });
    } catch (err) {
      if (codeOf(err) !== 'EEXIST' || !statSync(level).isDirectory()) throw err;
    }
  }
}
