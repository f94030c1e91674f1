/**
 * The IPC port's failure to bind, worded once for the server (`IpcServer.listen`) and for the
 * check a start makes before it does anything costly (`checkIpcPortFree`).
 */
import { createServer } from 'node:net';
import { CommsError } from '../golix/index.js';

export function cannotListen(host: string, port: number, err: NodeJS.ErrnoException): CommsError {
  const why = err.code === 'EADDRINUSE' ? 'is already in use (is another daemon running?)' : `failed (${err.message})`;
  return new CommsError(`Cannot listen for apps on ${host}:${port}: the port ${why}`, { cause: err });
}

/**
 * Binds the IPC port for a moment and lets it go, failing as `listen()` would. A start checks
 * this before it creates an account or derives a key, so that a busy port costs the user
 * nothing; the real bind comes once the daemon exists (a port taken in between still fails there).
 */
export async function checkIpcPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (err: NodeJS.ErrnoException) => reject(cannotListen(host, port, err)));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
