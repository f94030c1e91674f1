import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ExclusiveCreateOptions {
  mode?: number;
  /** fsync the file before it appears, and the directory after (a key that must survive a power cut). */
  fsync?: boolean;
}

/**
 * Creates `path` holding `content`, or fails with EEXIST, so that no reader ever sees it empty
 * or half-written (a full disk midway leaves nothing under its name): the content goes to a
 * private temp file first, which is then hard-linked into place. On file systems without hard
 * links it falls back to a plain O_EXCL create, with a small window where the file is partial.
 */
export function createFileExclusiveSync(path: string, content: string | Uint8Array, o: ExclusiveCreateOptions = {}): void {
  const mode = o.mode ?? 0o600;
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeWhole(tmp, content, mode, o.fsync ?? false);
    try {
      linkSync(tmp, path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
      writeWhole(path, content, mode, o.fsync ?? false);
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or gone already
    }
  }
  if (o.fsync) syncDirSync(dirname(path));
}

function writeWhole(path: string, content: string | Uint8Array, mode: number, sync: boolean): void {
  const fd = openSync(path, 'wx', mode);
  try {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    // writeSync may write less than asked when the disk fills midway; go on until it errs.
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
    if (sync) fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      // gone already
    }
    throw err;
  }
  closeSync(fd);
}

function syncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows and some file systems cannot sync a directory; the link is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
