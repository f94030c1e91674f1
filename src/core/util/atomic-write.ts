import { randomBytes } from 'node:crypto';
import { nodeFs, type FsHandle, type FsOps } from './fs-ops.js';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /**
   * Permission bits of the result. Default: those of the file being replaced, so a user's
   * `chmod` survives a save; for a new file, `newFileMode`.
   */
  mode?: number;
  /** Permission bits when the file does not exist yet and `mode` is not given. Default 0o600. */
  newFileMode?: number;
  /**
   * fsync the data before the rename and the directory after it. Default true. Turning it off
   * keeps the all-or-nothing replace but not durability across a power cut.
   */
  fsync?: boolean;
  /** Called with the temp file's path after its data is written, before the rename (tests use it to fail in between). */
  beforeRename?: (tempPath: string) => void | Promise<void>;
  /** The file operations to use (tests put a fault-injecting one here). Default: node:fs. */
  fs?: FsOps;
}

/**
 * Replaces `path` with `data` so that readers (and a crash at any instant) see either the old or
 * the new content, never a mix: write a temp file in the same directory, fsync it, rename it over
 * the target, fsync the directory so the rename itself is durable.
 *
 * A symlink at `path` is followed and its target replaced, so a dotfile manager's link survives.
 * The temp file is removed if anything fails.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const fs = opts.fs ?? nodeFs;
  const target = await fs.realpath(path).catch(() => path);
  const dir = dirname(target);
  const mode = opts.mode ?? (await existingMode(fs, target)) ?? opts.newFileMode ?? 0o600;
  const sync = opts.fsync ?? true;
  const temp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);

  let handle: FsHandle | undefined;
  try {
    handle = await fs.open(temp, 'wx', mode);
    await handle.writeFile(data);
    // The umask applies to open()'s mode; chmod sets the bits we actually want.
    if (process.platform !== 'win32') await handle.chmod(mode);
    if (sync) await handle.sync();
    await handle.close();
    handle = undefined;
    if (opts.beforeRename) await opts.beforeRename(temp);
    await renameWithRetry(fs, temp, target);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  if (sync) await fsyncDir(dir, fs);
}

async function existingMode(fs: FsOps, path: string): Promise<number | null> {
  try {
    return (await fs.stat(path)).mode & 0o7777;
  } catch {
    return null;
  }
}

/** Windows refuses to replace a file another process has open for a moment (antivirus, indexers). */
async function renameWithRetry(fs: FsOps, from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.rename(from, to);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (process.platform !== 'win32' || attempt >= 5 || !(code === 'EPERM' || code === 'EACCES' || code === 'EBUSY')) throw err;
      await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    }
  }
}

/** Makes a rename durable. Windows and some file systems cannot open or sync a directory; the rename is still atomic there. */
export async function fsyncDir(dir: string, fs: FsOps = nodeFs): Promise<void> {
  let handle: FsHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!(code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL' || code === 'EACCES' || code === 'ENOTSUP')) throw err;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
