/**
 * Binding the IPC port on both loopback addresses. The key proof names the port (a relay on
 * another port is refused) but not the address, and an app that dials `localhost` may reach
 * `::1` or `127.0.0.1`: a program holding the daemon's port on the loopback address the daemon
 * does not hold could relay the whole exchange to the daemon and end up with an admitted
 * connection. So the daemon holds its port on the other loopback address too, serving apps there
 * as well, and will not start while another program holds it. Where that address does not exist
 * (no IPv6), there is nothing to hold.
 */
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NO_SUCH_ADDRESS, cannotListen, otherLoopback } from './port-check.js';

function bind(server: HttpServer, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function unbind(server: HttpServer): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * Binds `primary` on `host`:`port` and a twin from `makeTwin` on the other loopback address of
 * the same port. With port 0 a port taken on the other address is tried again elsewhere (a few
 * times); a given port taken there fails as a taken port does (CommsError naming the address).
 */
export async function listenLoopbackPair(primary: HttpServer, makeTwin: () => HttpServer, host: string, port: number): Promise<{ port: number; twin: HttpServer | null }> {
  const other = otherLoopback(host);
  for (let attempt = 0; ; attempt++) {
    await bind(primary, host, port).catch((err: NodeJS.ErrnoException) => {
      throw cannotListen(host, port, err);
    });
    const bound = (primary.address() as AddressInfo).port;
    if (other === null) return { port: bound, twin: null };
    const twin = makeTwin();
    try {
      await bind(twin, other, bound);
      return { port: bound, twin };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (NO_SUCH_ADDRESS.has(code)) return { port: bound, twin: null };
      await unbind(primary);
      if (port === 0 && code === 'EADDRINUSE' && attempt < 4) continue;
      throw cannotListen(other, bound, err as NodeJS.ErrnoException);
    }
  }
}
