// Turns the PATH arguments of `hypergolix inspect` into a sorted, de-duplicated list of files.
import { readdir, stat } from 'node:fs/promises';
import { statFile } from './io.js';
import { join, resolve } from 'node:path';
import { CliError } from '../command.js';
import { mapLimit } from './pool.js';

/** One file to inspect. */
export interface InputFile {
  /** The path as shown to the user: the argument as given, joined with the entry name. */
  display: string;
  /** Absolute path used for I/O. */
  path: string;
  /** Size from stat, or null when stat failed (the failure is reported as that file's error). */
  size: number | null;
  statError: unknown;
}

/**
 * Expands PATH arguments: a file is taken whatever its name; a directory contributes its
 * `*.ghid` entries (and, with `recursive`, those of its subdirectories). A PATH that does not
 * exist is a usage error (exit 2). The result is sorted by display path (code-unit order) and
 * holds each absolute path once.
 */
export async function collectFiles(args: readonly string[], cwd: string, recursive: boolean, concurrency: number): Promise<InputFile[]> {
  const found: { display: string; path: string }[] = [];
  for (const arg of args) {
    const path = resolve(cwd, arg);
    let st;
    try {
      st = await stat(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CliError(code === 'ENOENT' || code === 'ENOTDIR' ? `${arg}: no such file or directory` : `${arg}: cannot access (${code ?? String(err)})`, 2);
    }
    if (st.isDirectory()) await listDirectory(arg, path, recursive, found);
    else found.push({ display: arg, path });
  }
  const seen = new Set<string>();
  const unique = found.filter((f) => (seen.has(f.path) ? false : (seen.add(f.path), true)));
  unique.sort((a, b) => (a.display < b.display ? -1 : a.display > b.display ? 1 : 0));
  return mapLimit(unique, concurrency, async (f) => {
    try {
      const st = await statFile(f.path);
      return { ...f, size: st.size, statError: null };
    } catch (err) {
      return { ...f, size: null, statError: err };
    }
  });
}

async function listDirectory(display: string, path: string, recursive: boolean, out: { display: string; path: string }[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (err) {
    throw new CliError(`${display}: cannot list directory (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 2);
  }
  for (const entry of entries) {
    const childDisplay = join(display, entry.name);
    const childPath = join(path, entry.name);
    if (entry.isDirectory()) {
      if (recursive) await listDirectory(childDisplay, childPath, recursive, out);
    } else if (entry.name.endsWith('.ghid')) {
      // Regular files and symlinks alike; a dangling link is reported as that file's error.
      out.push({ display: childDisplay, path: childPath });
    }
  }
}
