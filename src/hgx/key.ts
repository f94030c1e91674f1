/**
 * Finding the IPC key an app presents to the daemon (`AU`, the first frame of a connection).
 *
 * The daemon keeps it in `ipc-token` (64 hex digits, mode 0600) beside its `hypergolix.yml`.
 * Without `token` or `tokenFile`, the SDK looks for the config the way Hypergolix does
 * (hypergolix-reference §6.2): `$HYPERGOLIX_HOME`, the current directory, `~/.hypergolix`,
 * `/etc/hypergolix`, then `%LOCALAPPDATA%\Hypergolix` on Windows; the first directory holding
 * `hypergolix.yml` or `hgx-cfg.json` is the daemon's home. Reading files needs Node; in a
 * browser or a sandboxed renderer pass `token` (e.g. handed over by the host).
 */
import { AUTH_TOKEN_BYTES, IPC_TOKEN_FILE, fromHex } from '../wire/index.js';
import { AuthFailed } from './errors.js';

export interface KeySource {
  /** The key itself: 64 hex digits or 32 bytes. */
  token?: string | Uint8Array;
  /** A file holding the key (as the daemon writes it). */
  tokenFile?: string;
}

export interface FoundKey {
  key: Uint8Array;
  /** Where it came from, for messages and for re-reading after a daemon restart; null if given. */
  file: string | null;
}

function parseKey(text: string, where: string): Uint8Array {
  const t = text.trim();
  if (t.length !== AUTH_TOKEN_BYTES * 2 || !/^[0-9a-fA-F]+$/.test(t)) {
    throw new AuthFailed(`${where} does not hold an IPC key (${AUTH_TOKEN_BYTES * 2} hexadecimal digits)`);
  }
  return fromHex(t);
}

/** The directories searched for the daemon's home, in order. */
export async function searchDirs(): Promise<string[]> {
  const os = await import('node:os');
  const path = await import('node:path');
  const env = process.env;
  const dirs: string[] = [];
  if (env.HYPERGOLIX_HOME?.trim()) dirs.push(path.resolve(env.HYPERGOLIX_HOME));
  dirs.push(process.cwd(), path.join(os.homedir(), '.hypergolix'), '/etc/hypergolix');
  if (process.platform === 'win32') dirs.push(path.join(env.LOCALAPPDATA?.trim() || path.join(os.homedir(), 'AppData', 'Local'), 'Hypergolix'));
  return dirs;
}

export async function findKey(src: KeySource): Promise<FoundKey> {
  if (src.token !== undefined) {
    if (typeof src.token === 'string') return { key: parseKey(src.token, 'The token option'), file: null };
    if (src.token.length !== AUTH_TOKEN_BYTES) throw new AuthFailed(`An IPC key is ${AUTH_TOKEN_BYTES} bytes`);
    return { key: src.token, file: null };
  }
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (typeof p?.versions?.node !== 'string') {
    throw new AuthFailed('Pass { token } to HGXLink.connect: the IPC key file cannot be read here (no file system)');
  }
  if (src.tokenFile) return { key: await readKeyFile(src.tokenFile), file: src.tokenFile };
  const fs = await import('node:fs');
  const path = await import('node:path');
  const dirs = await searchDirs();
  for (const dir of dirs) {
    if (!['hypergolix.yml', 'hgx-cfg.json'].some((f) => fs.existsSync(path.join(dir, f)))) continue;
    const file = path.join(dir, IPC_TOKEN_FILE);
    return { key: await readKeyFile(file), file };
  }
  throw new AuthFailed(`No Hypergolix home found (looked in ${dirs.join(', ')}); set HYPERGOLIX_HOME or pass tokenFile`);
}

export async function readKeyFile(file: string): Promise<Uint8Array> {
  const fs = await import('node:fs/promises');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') throw new AuthFailed(`No IPC key at ${file}: the daemon creates it when it starts (hypergolix start app)`);
    throw new AuthFailed(`Cannot read the IPC key at ${file}: ${(err as Error).message}`);
  }
  return parseKey(text, file);
}
