/**
 * Browser mode: the desktop app without Electron. The controller (src/host) runs the daemon in
 * this process and the settings UI is served on 127.0.0.1 by the bridge server, at a URL that
 * carries a random access token. `hypergolix start app --ui` and `npm start` (when no Electron
 * binary can run) use it; so do the UI tests and the desktop benchmark.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createLogger, type Logger } from '../core/log/index.js';
import { Controller, type ControllerOptions } from '../host/controller.js';
import { startBridgeServer, type BridgeServer } from './bridge-server.js';
import { readUiAddress, writeUiAddress } from './ui-address.js';

/**
 * The built UI (dist/renderer), found from where this code runs: dist/cli/index.js when
 * bundled, src/web/ under tsx. Null when it has not been built.
 */
export function findUiDir(from: string = import.meta.dirname): string | null {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    for (const candidate of [join(dir, 'renderer'), join(dir, 'dist', 'renderer')]) {
      if (existsSync(join(candidate, 'index.html')) && existsSync(join(candidate, 'app.js'))) return candidate;
    }
    if (dirname(dir) === dir) return null;
  }
}

export interface BrowserModeOptions {
  /** hypergolix.yml (or its directory) as found by the caller; else the usual search. */
  configOptions?: ControllerOptions['configOptions'];
  /** Where the host's own log goes (its console lines go to stderr). */
  logdir: string;
  /** The bridge's port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  staticDir?: string;
  /** Log lines on stderr as well as in the files (a terminal is attached). @default true */
  console?: boolean;
  /** Passed to the controller (tests: a cheap KDF, no embedded server, …). */
  controller?: Partial<ControllerOptions>;
}

export interface BrowserMode {
  /** The address to open, with its access token. */
  url: string;
  controller: Controller;
  bridge: BridgeServer;
  /** The host's log (hgxui_….log). */
  logger: Logger;
  /** Stops the bridge, then the controller (daemon flushed, server stopped), then the logs. Idempotent. */
  stop(): Promise<void>;
}

export async function startBrowserMode(o: BrowserModeOptions): Promise<BrowserMode> {
  const toConsole = o.console ?? true;
  const staticDir = o.staticDir ?? findUiDir();
  if (!staticDir) throw new Error('The settings UI is not built (no dist/renderer); run "npm run build" first');
  const logger = createLogger({ name: 'hgxui', logdir: o.logdir, verbosity: 'info', console: toConsole });
  const controller = new Controller({
    configOptions: o.configOptions,
    logger,
    logFiles: { console: toConsole },
    // No OS secure storage in browser mode: "unlock automatically" is unavailable here.
    ...o.controller,
  });
  let bridge: BridgeServer | undefined;
  try {
    // A port the user named and another program holds is said before the daemon starts: at once, and in words.
    if (o.port) await checkUiPortFree(o.port);
    await controller.start();
    bridge = await listenAtKeptAddress(controller.configDir(), (port, token) => startBridgeServer({ host: controller, port, token, staticDir, logger }), o.port, logger);
  } catch (err) {
    await controller.stop().catch(() => {});
    await logger.close();
    throw err;
  }
  const running = bridge;
  let stopping: Promise<void> | undefined;
  return {
    url: running.url,
    controller,
    bridge: running,
    logger,
    stop() {
      stopping ??= (async () => {
        await running.close();
        await controller.stop();
        logger.info('Hypergolix browser mode stopped');
        await logger.close();
      })();
      return stopping;
    },
  };
}

/** Binds the UI's port on 127.0.0.1 for a moment, as the bridge will. */
function checkUiPortFree(port: number): Promise<void> {
  const probe = createServer();
  return new Promise<void>((resolve, reject) => {
    probe.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'another program holds it' : err.code === 'EACCES' ? 'this user may not listen on it' : err.message;
      reject(new Error(`Cannot serve the UI on 127.0.0.1:${port}: ${why}. Choose another with --port, or leave --port out to pick a free one`, { cause: err }));
    });
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/**
 * Listens where the last run did (same port, same token) unless told a port; when that port is
 * taken now, on a free one, said in the log. The address is kept for the next run.
 */
async function listenAtKeptAddress(
  configDir: string | null,
  listen: (port: number, token: string | undefined) => Promise<BridgeServer>,
  explicitPort: number | undefined,
  logger: Logger,
): Promise<BridgeServer> {
  const kept = configDir ? await readUiAddress(configDir) : null;
  let bridge: BridgeServer;
  try {
    bridge = await listen(explicitPort ?? kept?.port ?? 0, kept?.token);
  } catch (err) {
    if (explicitPort !== undefined || !kept || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    logger.warn(`The usual address's port ${kept.port} is taken now; serving the UI on another one this time`);
    bridge = await listen(0, kept.token);
  }
  const token = new URL(bridge.url).searchParams.get('token')!;
  if (configDir) await writeUiAddress(configDir, { port: bridge.port, token }).catch((err: unknown) => logger.warn(`Could not keep the UI's address for the next start: ${(err as Error).message}`));
  return bridge;
}

