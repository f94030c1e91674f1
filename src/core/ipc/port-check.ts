/**
 * The IPC port's failure to bind, worded once for the server (`IpcServer.listen`) and for the
 * check a start makes before it does anything costly (`checkIpcPortFree`).
 */
import { createServer } from 'node:net';
import { CommsError } from '../golix/index.js';

/** The other loopback address of the one bound; null for `localhost` (it names whichever the resolver picks). */
export function otherLoopback(host: string): string | null {
  return host === '127.0.0.1' ? '::1' : host === '::1' ? '127.0.0.1' : null;
}

/** Errors that say an address does not exist here (no IPv6), not that someone holds it. */
export const NO_SUCH_ADDRESS: ReadonlySet<string> = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EPROTONOSUPPORT', 'EINVAL']);

export function cannotListen(host: string, port: number, err: NodeJS.ErrnoException): CommsError {
  const why = err.code === 'EADDRINUSE' ? 'is already in use (is another daemon running?)' : `failed (${err.message})`;
  return new CommsError(`Cannot listen for apps on ${host.includes(':') ? `[${host}]` : host}:${port}: the port ${why}`, { cause: err });
}

/**
 * Binds the IPC port for a moment and lets it go, failing as `listen()` would. A start checks
 * this before it creates an account or derives a key, so that a busy port costs the user
 * nothing; the real bind comes once the daemon exists (a port taken in between still fails there).
 */
export async function checkIpcPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await probe(host, port);
  // The other loopback address too, as listen() binds both (loopback-pair.ts); absent is fine.
  const other = otherLoopback(host);
  if (other) await probe(other, port).catch((err: CommsError) => {
    if (!NO_SUCH_ADDRESS.has((err.cause as NodeJS.ErrnoException | undefined)?.code ?? '')) throw err;
  });
}

function probe(host: string, port: number): Promise<void> {
  const server = createServer();
  return new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(cannotListen(host, port, err)));
    server.listen(port, host, () => server.close(() => resolve()));
  });
}
