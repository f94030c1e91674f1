import type { LoadedConfig } from '../config/index.js';
import type { DaemonPort } from '../daemon/port.js';
import { IpcServer, type IpcServerOptions } from '../ipc/server.js';
import { ipcTokenPath, loadOrCreateIpcTokenSync } from '../ipc/token.js';
import type { RemoteLogger } from '../remote/logger.js';
import type { Sharing } from '../sharing/sharing.js';

/** What a host may override when the IPC server is started from a config. */
export type AppIpcOptions = Partial<Omit<IpcServerOptions, 'daemon' | 'sharing' | 'authToken' | 'logger'>>;

/**
 * Starts the IPC server of a running daemon as its config says: port `process.ipc_port`, legacy
 * clients per `process.ipc_legacy_clients`, the key in `<config dir>/ipc-token` (created on the
 * first start).
 *
 * Call it right after the daemon and its Sharing exist, without awaiting anything in between:
 * the server attaches to the daemon's events synchronously here (the key file is read
 * synchronously for that reason), so a share accepted while the port is still being bound is
 * already kept for the apps (defect 20).
 */
export function startAppIpc(
  app: { daemon: DaemonPort; sharing: Sharing; loaded: LoadedConfig },
  logger: RemoteLogger,
  o: AppIpcOptions = {},
): Promise<IpcServer> {
  try {
    const c = app.loaded.config;
    const tokenFile = o.tokenFile ?? ipcTokenPath(app.loaded.dir);
    const authToken = loadOrCreateIpcTokenSync(tokenFile, { warn: (m) => logger.warn(m) });
    const server = new IpcServer({
      ...o,
      daemon: app.daemon,
      sharing: app.sharing,
      authToken,
      tokenFile,
      port: o.port ?? c.process.ipc_port,
      legacyClients: o.legacyClients ?? c.process.ipc_legacy_clients,
      acceptSentKey: o.acceptSentKey ?? c.process.ipc_accept_sent_key,
      logger,
    });
    return server.listen().then(
      () => server,
      async (err: unknown) => {
        await server.close();
        throw err;
      },
    );
  } catch (err) {
    return Promise.reject(err);
  }
}
