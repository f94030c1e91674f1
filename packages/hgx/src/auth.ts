/**
 * Proving the IPC key to the daemon (`AC`/`AP`, src/wire/ipc-auth.ts): the daemon proves it holds
 * the key first, so a program that holds the daemon's port while it is down learns nothing, and
 * the key itself is never sent. The errors say what happened in the app's terms.
 */
import { NotThisDaemon, proveKeyToDaemon, type AuthRequest } from '../../../src/wire/index.js';
import { AuthFailed, IncompatibleDaemon, IpcError } from './errors.js';
import { SDK_VERSION, SUPPORTED_IPC_PROTOCOLS } from './version.js';

/** `NK` code of a request code the daemon does not know (src/wire/peer.ts). */
const UNKNOWN_REQUEST_CODE = 0x000e;

/**
 * Authenticates a new connection to the daemon on `port` with `key` (from `keyFile`, for the
 * messages): AuthFailed when the listener is not the daemon of this key or refuses ours,
 * IncompatibleDaemon when the daemon is older than the key proof.
 */
export async function proveKey(request: AuthRequest, key: Uint8Array, port: number, keyFile: string | null): Promise<void> {
  try {
    await proveKeyToDaemon(request, key, port);
  } catch (err) {
    if (err instanceof NotThisDaemon) throw new AuthFailed(err.message, { cause: err });
    if (err instanceof IpcError && err.code === UNKNOWN_REQUEST_CODE) {
      throw new IncompatibleDaemon(
        `The daemon does not know the IPC key proof (AC) of @hypergolix/hgx ${SDK_VERSION}: it is older than this SDK. Update Hypergolix (0.3 or later); an app that must use an older daemon needs @hypergolix/hgx 0.2`,
        null,
        SUPPORTED_IPC_PROTOCOLS,
      );
    }
    if (err instanceof IpcError) throw new AuthFailed(`The daemon refused the IPC key${keyFile ? ` from ${keyFile}` : ''}: ${err.message}`, { cause: err });
    throw err;
  }
}
