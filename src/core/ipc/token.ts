/**
 * The per-user IPC key (defect 1): 32 random bytes, hex-encoded on one line in
 * `<Hypergolix home>/ipc-token` (the directory of hypergolix.yml), mode 0600, created at the
 * daemon's first start and kept across restarts. An app proves it runs as this user by reading
 * the file and sending the key in its first frame (`AU`, see `server.ts`).
 *
 * On Windows the file gets the directory's ACL (the per-user profile); POSIX permission bits
 * are checked and tightened only elsewhere.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fchmodSync, fstatSync, lstatSync, openSync, readSync, unlinkSync, constants as fsc } from 'node:fs';
import { makeDirsSync } from '../util/make-dirs.js';
import { dirname, join } from 'node:path';
import { createFileExclusiveSync } from '../util/exclusive-create.js';
import { ValueError } from '../golix/index.js';
import { AUTH_TOKEN_BYTES, IPC_TOKEN_FILE } from '../../wire/index.js';

export { IPC_TOKEN_FILE };

/** Where the key lives for a Hypergolix home (the config's directory). */
export function ipcTokenPath(home: string): string {
  return join(home, IPC_TOKEN_FILE);
}

function parse(text: string): Buffer | null {
  const t = text.trim();
  if (!/^[0-9a-f]+$/i.test(t) || t.length !== AUTH_TOKEN_BYTES * 2) return null;
  return Buffer.from(t, 'hex');
}

/** What a key file holds at most; anything longer is no key (and is not read further). */
const MAX_KEY_FILE_BYTES = 1024;
const NO_FOLLOW = (fsc.O_NOFOLLOW ?? 0) | (fsc.O_NONBLOCK ?? 0);

/** What is at the key's path, looked at through a descriptor opened without following a link. */
type Found =
  | { kind: 'missing' }
  /** A link, a FIFO, a device, another user's file: replaced by a key file of our own, never followed. */
  | { kind: 'foreign'; what: string; ino: number | null }
  | { kind: 'directory' }
  | { kind: 'file'; key: Buffer | null; ino: number; loose: number | null };

function examine(file: string): Found {
  let fd: number;
  try {
    fd = openSync(file, fsc.O_RDONLY | NO_FOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'foreign', what: 'a symbolic link', ino: lstatSync(file, { throwIfNoEntry: false })?.ino ?? null };
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return { kind: 'directory' };
    if (!st.isFile()) return { kind: 'foreign', what: 'not a regular file', ino: st.ino };
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) return { kind: 'foreign', what: `owned by another user (uid ${st.uid})`, ino: st.ino };
    let loose: number | null = null;
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      fchmodSync(fd, 0o600);
      loose = st.mode & 0o777;
    }
    const buf = Buffer.alloc(MAX_KEY_FILE_BYTES + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return { kind: 'file', key: n > MAX_KEY_FILE_BYTES ? null : parse(buf.toString('utf8', 0, n)), ino: st.ino, loose };
  } finally {
    closeSync(fd);
  }
}

/** Removes what is at `file` if it is still the entry examined (a racing start may have put its key there since). */
function removeIfSame(file: string, ino: number | null): void {
  const now = lstatSync(file, { throwIfNoEntry: false });
  if (!now || (ino !== null && now.ino !== ino)) return;
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Reads the IPC key, creating it (and the directory, mode 0700) when missing. A file others can
 * read is tightened to 0600 with a warning. Anything else at the path — a malformed key, a
 * symbolic link (followed, it could make the daemon rewrite or chmod a file elsewhere), a FIFO,
 * another user's file — is removed and a new key created in its place, exclusively: of two
 * starts repairing at once, one creates the key and the other reads it, so both hold the same.
 * A directory there is refused, naming it.
 */
export function loadOrCreateIpcTokenSync(file: string, o: { warn?: (m: string) => void } = {}): Buffer {
  makeDirsSync(dirname(file), 0o700);
  for (let attempt = 0; attempt < 8; attempt++) {
    const fresh = randomBytes(AUTH_TOKEN_BYTES);
    try {
      createFileExclusiveSync(file, fresh.toString('hex') + '\n', { mode: 0o600, fsync: true });
      return fresh;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const found = examine(file);
    switch (found.kind) {
      case 'missing':
        continue;
      case 'directory':
        throw new ValueError(`${file} is a directory, not the IPC key file; remove or rename it`);
      case 'foreign':
        o.warn?.(`${file} is ${found.what}; replacing it with a new IPC key (apps must reconnect)`);
        removeIfSame(file, found.ino);
        continue;
      case 'file':
        if (found.loose !== null) o.warn?.(`${file} was readable by other users (mode ${found.loose.toString(8)}); tightened to 600`);
        if (found.key) return found.key;
        o.warn?.(`${file} does not hold a valid IPC key; writing a new one (apps must reconnect)`);
        removeIfSame(file, found.ino);
    }
  }
  throw new ValueError(`${file}: could not create the IPC key (the file keeps changing; is another start repairing it?)`);
}

/** loadOrCreateIpcTokenSync, for callers that await (a 65-byte file: done at once). */
export async function loadOrCreateIpcToken(file: string, o: { warn?: (m: string) => void } = {}): Promise<Buffer> {
  return loadOrCreateIpcTokenSync(file, o);
}

/** Reads an existing key (for tools and tests). */
export async function readIpcToken(file: string): Promise<Buffer> {
  const found = examine(file);
  if (found.kind === 'file' && found.key) return found.key;
  throw new ValueError(`${file} does not hold a valid IPC key (${AUTH_TOKEN_BYTES * 2} hex digits)`);
}

/** Constant-time comparison of a presented key with the real one. */
export function sameKey(presented: Uint8Array, key: Uint8Array): boolean {
  return presented.length === key.length && timingSafeEqual(presented, key);
}
