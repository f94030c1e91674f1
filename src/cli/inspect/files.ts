// Turns the PATH arguments of `hypergolix inspect` into a sorted, de-duplicated list of files.
import { readdir, stat } from 'node:fs/promises';
import { statFile } from './io.js';
import { join, resolve, sep } from 'node:path';
import { CliError } from '../command.js';
import { mapLimit } from './pool.js';

/** One file to inspect. */
export interface InputFile {
  /** The path as shown to the user: the argument as given, joined with the entry name. */
  display: string;
  /** Path used for I/O: bytes where a name is not valid UTF-8 (its text form would name no file). */
  path: string | Buffer;
  /** Size from stat, or null when stat failed (the failure is reported as that file's error). */
  size: number | null;
  statError: unknown;
  /** Found by listing a folder, not named as an argument. */
  listed: boolean;
  /** A regular file (after links); a FIFO, socket or device is not, and may never end or never answer. */
  regular: boolean;
}

/** A file found, or a folder under a PATH that could not be listed (reported as that entry's error). */
type Found = Pick<InputFile, 'display' | 'path' | 'listed'> & { listError?: unknown };

/**
 * Expands PATH arguments: a file is taken whatever its name; a directory contributes its
 * `*.ghid` entries (and, with `recursive`, those of its subdirectories). A PATH that does not
 * exist is a usage error (exit 2). The result is sorted by display path (code-unit order) and
 * holds each path once.
 */
export async function collectFiles(args: readonly string[], cwd: string, recursive: boolean, concurrency: number): Promise<InputFile[]> {
  const found: Found[] = [];
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
    else found.push({ display: arg, path, listed: false });
  }
  const seen = new Set<string>();
  const key = (p: string | Buffer) => (typeof p === 'string' ? `s${p}` : `b${p.toString('hex')}`);
  const unique = found.filter((f) => (seen.has(key(f.path)) ? false : (seen.add(key(f.path)), true)));
  unique.sort((a, b) => (a.display < b.display ? -1 : a.display > b.display ? 1 : 0));
  return mapLimit(unique, concurrency, async ({ listError, ...f }) => {
    if (listError !== undefined) return { ...f, size: null, statError: listError, regular: false };
    try {
      const st = await statFile(f.path);
      return { ...f, size: st.size, statError: null, regular: st.isFile() };
    } catch (err) {
      return { ...f, size: null, statError: err, regular: false };
    }
  });
}

/** `path/name` where either may be bytes; text while both are text. */
function child(path: string | Buffer, name: Buffer): string | Buffer {
  const text = name.toString('utf8');
  if (typeof path === 'string' && Buffer.from(text, 'utf8').equals(name)) return join(path, text);
  return Buffer.concat([typeof path === 'string' ? Buffer.from(path) : path, Buffer.from(sep), name]);
}

async function listDirectory(display: string, path: string | Buffer, recursive: boolean, out: Found[], top = true): Promise<void> {
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true, encoding: 'buffer' });
  } catch (err) {
    const why = `cannot list directory (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
    // A PATH given is a usage error; a folder met under it is one failure among the results.
    if (top) throw new CliError(`${display}: ${why}`, 2);
    out.push({ display: `${display}/`, path, listed: true, listError: new Error(why) });
    return;
  }
  for (const entry of entries) {
    const name = entry.name as Buffer;
    const childDisplay = join(display, name.toString('utf8'));
    const childPath = child(path, name);
    if (entry.isDirectory()) {
      if (recursive) await listDirectory(childDisplay, childPath, recursive, out, false);
    } else if (name.toString('latin1').endsWith('.ghid')) {
      // Regular files and symlinks alike; a dangling link is reported as that file's error.
      out.push({ display: childDisplay, path: childPath, listed: true });
    }
  }
}
