/**
 * Browser mode: the desktop app without Electron. The controller (src/host) runs the daemon in
 * this process and the settings UI is served on 127.0.0.1 by the bridge server, at a URL that
 * carries a random access token. `hypergolix start app --ui` and `npm start` (when no Electron
 * binary can run) use it; so do the UI tests and the desktop benchmark.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createLogger, type Logger } from '../core/log/index.js';
import { Controller, type ControllerOptions } from '../host/controller.js';
import { startBridgeServer, type BridgeServer } from './bridge-server.js';

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
    await controller.start();
    bridge = await startBridgeServer({ host: controller, port: o.port ?? 0, staticDir, logger });
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
