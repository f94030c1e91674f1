/**
 * Finding the IPC key an app proves to the daemon (auth.ts: the key proof, the first frames of a
 * connection; the key itself is never sent).
 *
 * The daemon keeps it in `ipc-token` (64 hex digits, mode 0600) beside its `hypergolix.yml`.
 * Without `token` or `tokenFile`, the SDK looks for the config the way Hypergolix does
 * (hypergolix-reference §6.2): `$HYPERGOLIX_HOME`, the current directory, `~/.hypergolix`,
 * `/etc/hypergolix`, then `%LOCALAPPDATA%\Hypergolix` on Windows; the first directory holding
 * `hypergolix.yml` or `hgx-cfg.json` is the daemon's home. Reading files needs Node (the
 * runtime, `runtime-node.ts`); in a browser or a sandboxed renderer pass `token` (e.g. handed
 * over by the host).
 */
import { AUTH_TOKEN_BYTES, fromHex } from '../../../src/wire/index.js';
import { AuthFailed } from './errors.js';
import { runtime } from './runtime-node.js';

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

export async function findKey(src: KeySource): Promise<FoundKey> {
  if (src.token !== undefined) {
    if (typeof src.token === 'string') return { key: parseKey(src.token, 'The token option'), file: null };
    if (!(src.token instanceof Uint8Array) || src.token.length !== AUTH_TOKEN_BYTES) {
      throw new AuthFailed(`The token option is ${AUTH_TOKEN_BYTES * 2} hexadecimal digits or ${AUTH_TOKEN_BYTES} bytes`);
    }
    return { key: src.token, file: null };
  }
  const file = src.tokenFile || (await runtime.findKeyFile());
  return { key: await readKeyFile(file), file };
}

export async function readKeyFile(file: string): Promise<Uint8Array> {
  return parseKey(await runtime.readKeyText(file), file);
}
