/**
 * The CLI asking the running app daemon for something only it can do (sign with the account's
 * identity), over the daemon's own IPC port with the key from `<home>/ipc-token`, as an app would.
 */
import WebSocket from 'ws';
import type { LoadedConfig } from '../core/config/index.js';
import { Connection } from '../core/remote/connection.js';
import { ipcTokenPath, readIpcToken } from '../core/ipc/index.js';
import { IpcVerb } from '../wire/index.js';
import { CliError } from './command.js';

const CONNECT_TIMEOUT_MS = 5000;
const REQUEST_TIMEOUT_MS = 30_000;

/** `?R`: the daemon fetches a challenge from `remote` (or the first remote), signs it, and returns the page link. */
export async function daemonRegistrationLink(loaded: LoadedConfig, remote?: string): Promise<string> {
  const port = loaded.config.process.ipc_port;
  let key: Buffer;
  try {
    key = await readIpcToken(ipcTokenPath(loaded.dir));
  } catch {
    throw notRunning(port);
  }
  const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { handshakeTimeout: CONNECT_TIMEOUT_MS, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', () => reject(notRunning(port)));
  });
  const connection = new Connection(socket, { name: 'daemon', requestTimeoutMs: REQUEST_TIMEOUT_MS });
  try {
    await connection.request(IpcVerb.auth, key);
    const link = await connection.request(IpcVerb.registrationLink, Buffer.from(remote ?? '', 'utf8'));
    return link.toString('utf8');
  } catch (err) {
    throw new CliError(`the app daemon could not make a registration link: ${(err as Error).message}`, 1);
  } finally {
    connection.close();
  }
}

function notRunning(port: number): CliError {
  return new CliError(`registering needs the app daemon, which signs the request with your account: start it with "hypergolix start app" (nothing answers on IPC port ${port})`, 1);
}
