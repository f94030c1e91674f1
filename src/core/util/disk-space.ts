/**
 * What a failed write says about the disk, for people: which path, which errno, and how much
 * room is left there (fs.statfs). A full disk is a state the server, the daemon and the CLI
 * report in one line ("the disk holding /srv/ghidcache is full (0 bytes free)"), never as a bare
 * `ENOSPC: no space left on device, write`.
 */
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';

/** The errno codes that mean "this storage cannot take writes now" rather than a bug. */
export const STORAGE_ERRNOS: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS']);

/** Of those, the ones that mean "no room" (the others: the disk refuses writes). */
export const FULL_ERRNOS: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT']);

/** Walks an error and its causes (a few levels) for the first that has the property. */
function find<T>(err: unknown, pick: (e: NodeJS.ErrnoException) => T | undefined): T | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const v = pick(e as NodeJS.ErrnoException);
    if (v !== undefined) return v;
  }
  return null;
}

/** The errno code of an I/O error from Node (or of its cause), if it is one of STORAGE_ERRNOS. */
export function storageErrno(err: unknown): string | null {
  return find(err, (e) => (typeof e.code === 'string' && STORAGE_ERRNOS.has(e.code) ? e.code : undefined));
}

/** The path an I/O error names (Node sets `path` on fs errors), if any. */
export function errorPath(err: unknown): string | null {
  return find(err, (e) => (typeof e.path === 'string' ? e.path : undefined));
}

/** Free bytes (for an unprivileged user) on the file system holding `path`, or of its nearest existing parent; null if unknown. */
export function freeBytesAt(path: string): number | null {
  for (let p = path, i = 0; i < 64; i++) {
    try {
      const s = statfsSync(p, { bigint: false });
      return s.bavail * s.bsize;
    } catch {
      const up = dirname(p);
      if (up === p) return null;
      p = up;
    }
  }
  return null;
}

/** "0 bytes", "812 KiB", "1.4 GiB". */
export function readableBytes(n: number): string {
  if (n < 1024) return `${n} byte${n === 1 ? '' : 's'}`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  const shown = (x: number) => (x >= 10 ? Math.round(x) : Math.round(x * 10) / 10);
  // Rounded first: 1048575 bytes is "1 MiB", not "1024 KiB".
  while (shown(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${shown(v)} ${units[u]}`;
}

export interface StorageTrouble {
  errno: string;
  /** The path the failed call named, else the one given as a fallback. */
  path: string;
  freeBytes: number | null;
  /** "the disk holding /p is full (0 bytes free)", "the disk holding /p refuses writes (EROFS)". */
  message: string;
}

/**
 * The storage trouble an error reveals, described; null when it is not one (a bug, a bad file).
 * Described at the path the failed call named, else at `fallbackPath`; `{ at }` describes it at
 * that path whatever the call named (a temporary file the user never sees).
 */
export function storageTrouble(err: unknown, where?: string | { at: string }): StorageTrouble | null {
  const errno = storageErrno(err);
  if (errno === null) return null;
  const path = typeof where === 'object' ? where.at : (errorPath(err) ?? where ?? 'an unknown path');
  const freeBytes = path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) ? freeBytesAt(path) : null;
  const free = freeBytes === null ? '' : `${readableBytes(freeBytes)} free, `;
  const message = FULL_ERRNOS.has(errno)
    ? `the disk holding ${path} is full (${free}${errno})`
    : `the disk holding ${path} refuses writes (${free}${errno})`;
  return { errno, path, freeBytes, message };
}
