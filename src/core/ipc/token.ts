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
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
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

/**
 * Writes a new key: created exclusively (EEXIST when there is one), or replacing a bad one; either
 * way atomically, so an app never reads a half-written key (a full disk midway changes nothing).
 */
async function writeNew(file: string, token: Buffer, exclusive: boolean): Promise<void> {
  const text = token.toString('hex') + '\n';
  if (exclusive) createFileExclusiveSync(file, text, { mode: 0o600, fsync: true });
  else await writeFileAtomic(file, text, { mode: 0o600 });
}

/**
 * Reads the IPC key, creating it (and the directory, mode 0700) when missing. A file others can
 * read is tightened to 0600 with a warning; an unreadable or malformed one is replaced.
 */
export async function loadOrCreateIpcToken(file: string, o: { warn?: (m: string) => void } = {}): Promise<Buffer> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const fresh = randomBytes(AUTH_TOKEN_BYTES);
  try {
    await writeNew(file, fresh, true);
    return fresh;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (process.platform !== 'win32') {
    const st = await stat(file);
    if ((st.mode & 0o077) !== 0) {
      await chmod(file, 0o600);
      o.warn?.(`${file} was readable by other users (mode ${(st.mode & 0o777).toString(8)}); tightened to 600`);
    }
  }
  const existing = parse(await readFile(file, 'utf8'));
  if (existing) return existing;
  o.warn?.(`${file} does not hold a valid IPC key; writing a new one (apps must reconnect)`);
  await writeNew(file, fresh, false);
  return fresh;
}

function writeNewSync(file: string, token: Buffer, exclusive: boolean): void {
  const text = token.toString('hex') + '\n';
  if (exclusive) {
    createFileExclusiveSync(file, text, { mode: 0o600, fsync: true });
    return;
  }
  const target = `${file}.${process.pid}.tmp`;
  try {
    unlinkSync(target);
  } catch {
    // none left over
  }
  createFileExclusiveSync(target, text, { mode: 0o600, fsync: true });
  try {
    renameSync(target, file);
  } catch (err) {
    try {
      unlinkSync(target);
    } catch {
      // gone already
    }
    throw err;
  }
}

/**
 * loadOrCreateIpcToken without yielding to the event loop: a host that must attach listeners
 * to a running daemon before anything else happens (so no share slips past) uses this.
 */
export function loadOrCreateIpcTokenSync(file: string, o: { warn?: (m: string) => void } = {}): Buffer {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const fresh = randomBytes(AUTH_TOKEN_BYTES);
  try {
    writeNewSync(file, fresh, true);
    return fresh;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (process.platform !== 'win32') {
    const st = statSync(file);
    if ((st.mode & 0o077) !== 0) {
      chmodSync(file, 0o600);
      o.warn?.(`${file} was readable by other users (mode ${(st.mode & 0o777).toString(8)}); tightened to 600`);
    }
  }
  const existing = parse(readFileSync(file, 'utf8'));
  if (existing) return existing;
  o.warn?.(`${file} does not hold a valid IPC key; writing a new one (apps must reconnect)`);
  writeNewSync(file, fresh, false);
  return fresh;
}

/** Reads an existing key (for tools and tests). */
export async function readIpcToken(file: string): Promise<Buffer> {
  const key = parse(await readFile(file, 'utf8'));
  if (!key) throw new ValueError(`${file} does not hold a valid IPC key (${AUTH_TOKEN_BYTES * 2} hex digits)`);
  return key;
}

/** Constant-time comparison of a presented key with the real one. */
export function sameKey(presented: Uint8Array, key: Uint8Array): boolean {
  return presented.length === key.length && timingSafeEqual(presented, key);
}
