/**
 * What is at a config path, as a person would be told: a file, a folder, nothing, or something
 * that cannot be a config (a named pipe, a socket, a device, a symlink loop). Reading a config
 * never opens anything but a regular file (opening a named pipe waits for a writer forever), and
 * writing one through a symlink writes the link's target, dangling or not, so a dotfile
 * manager's link survives.
 */
import { constants, statSync, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from './errors.js';

export type PathKind = 'file' | 'dir' | 'missing' | 'other';

/** What a `Stats` that is neither a file nor a folder is, in words. */
export function describeOther(st: Stats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** The ConfigError for a path the system would not look at (a symlink loop, no permission, …). */
export function unusablePath(path: string, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException).code;
  const problem =
    code === 'ELOOP'
      ? 'is a symbolic link that leads back to itself (a loop of links); point it at a file, or remove it'
      : code === 'ENOTDIR'
        ? 'cannot be used: part of its path is a file where a folder should be'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be looked at: permission denied'
          : `cannot be looked at: ${(err as Error).message}`;
  return new ConfigError(path, null, null, problem, { cause: err });
}

/** What is at `path`, following symlinks (a dangling one is 'missing'); a path that cannot be looked at is a ConfigError naming it. */
export function kindAt(path: string): { kind: PathKind; stats: Stats | null } {
  let stats: Stats | undefined;
  try {
    stats = statSync(path, { throwIfNoEntry: false });
  } catch (err) {
    throw unusablePath(path, err);
  }
  if (!stats) return { kind: 'missing', stats: null };
  return { kind: stats.isFile() ? 'file' : stats.isDirectory() ? 'dir' : 'other', stats };
}

/** The ConfigError for a config path that holds something other than a file. */
export function notAFile(path: string, stats: Stats): ConfigError {
  return new ConfigError(path, null, null, `is ${describeOther(stats)}, not a regular file, so it cannot be read as a configuration; give the path of a hypergolix.yml`);
}

/** A config is a few kilobytes: anything past this is no config, and is not read whole. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * A config file's text. Opened without blocking and checked through the open handle, so a named
 * pipe (or a file swapped for one after a check) is refused instead of waiting for a writer, and
 * a huge file is refused before it is read.
 */
export async function readText(path: string): Promise<string> {
  let raw: Buffer;
  let handle: fs.FileHandle | undefined;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait until some program writes to it. Windows has no such flag (nor FIFOs at a path).
    handle = await fs.open(path, constants.O_NONBLOCK === undefined ? 'r' : constants.O_RDONLY | constants.O_NONBLOCK);
    const stats = await handle.stat();
    if (!stats.isFile()) throw notAFile(path, stats);
    if (stats.size > MAX_CONFIG_BYTES) throw new ConfigError(path, null, null, `is ${stats.size} bytes, too large to be a configuration (at most ${MAX_CONFIG_BYTES})`);
    raw = await handle.readFile();
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(path, null, null, `cannot be read: ${(err as Error).message}`, { cause: err });
  } finally {
    await handle?.close().catch(() => undefined);
  }
  try {
    // A path in another encoding would otherwise read as a different path (é as U+FFFD).
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    const bad = firstInvalidUtf8(raw);
    const line = raw.subarray(0, bad).toString('latin1').split('\n').length;
    throw new ConfigError(path, line, null, 'is not UTF-8 text; save it as UTF-8');
  }
}

/** The offset of the first byte where `raw` stops being UTF-8. */
function firstInvalidUtf8(raw: Buffer): number {
  let lo = 0;
  let hi = raw.length;
  const ok = (n: number) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(raw.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Links followed before a chain counts as a loop, as the system's own limit (Linux: 40). */
const MAX_LINKS = 40;

/**
 * Where writing `path` lands: the end of its chain of symlinks, even when that file does not
 * exist yet (a dotfile manager links the config before there is one). The atomic write renames a
 * temp file over its target, which would otherwise replace a dangling link with a plain file.
 */
export async function writeTarget(path: string): Promise<string> {
  let at = resolve(path);
  for (let hops = 0; ; hops++) {
    let link: string;
    try {
      if (!(await fs.lstat(at)).isSymbolicLink()) return at;
      link = await fs.readlink(at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
      throw unusablePath(path, err);
    }
    if (hops >= MAX_LINKS) throw unusablePath(path, Object.assign(new Error('too many symbolic links'), { code: 'ELOOP' }));
    at = resolve(dirname(at), link);
  }
  if (at !== resolve(path)) {
    const folder = await fs.stat(dirname(at)).catch(() => null);
    if (!folder?.isDirectory()) {
      throw new ConfigError(path, null, null, `is a symbolic link to ${at}, whose folder ${dirname(at)} does not exist; create that folder, or remove the link`);
    }
  }
  return at;
}
