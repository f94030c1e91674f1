/**
 * The Electron main process: only wiring. Each feature is one setupX() module beside this file
 * (single instance, start-up, lifecycle, tray, window, IPC, vault, notifications, login item,
 * logging), each reaching Electron through a small interface; what the app *does* is the
 * Controller in src/host, shared with browser mode.
 */
import { Menu, Notification, app, clipboard, dialog, ipcMain, nativeTheme, powerMonitor, protocol, safeStorage, shell } from 'electron';
import log from 'electron-log/main';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../core/config/index.js';
import type { Logger } from '../core/log/index.js';
import { Controller } from '../host/controller.js';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES } from './app-protocol.js';
import { applicationMenu, electronTray } from './electron-tray.js';
import { createAppWindow, sessionEndListener } from './electron-window.js';
import { setupIpc } from './ipc.js';
import { setupLifecycle, setupSessionEnd, setupSingleInstance } from './lifecycle.js';
import { setupWakeTries } from './wake.js';
import { loggerOver } from './logging.js';
import { launchCommand, loginItemFor, setupLoginItem, startedHidden } from './login-items.js';
import { HeldNotifications, setupNotifications } from './notifications.js';
import { lockDownSession } from './session-lockdown.js';
import { ShutdownSteps, desktopLogFile, firstLook, runStartup, type StartLocation } from './startup.js';
import { setupTray, type TrayHandle } from './tray.js';
import { detectTrayHost, noTrayPolicy, type NoTrayPolicy } from './tray-host.js';
import { panelIsDark, trayIconFile, windowMenu } from './tray-model.js';
import { SafeStorageVault, VAULT_FILE } from './vault.js';
import { setupWindow, type WindowManager } from './window.js';

/** Windows groups notifications and taskbar entries by this; = appId in electron-builder.yml (test/packaging checks). */
export const APP_ID = 'org.hypergolix.Hypergolix';

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PRELOAD = join(DIST, 'preload', 'preload.cjs');
const RENDERER = join(DIST, 'renderer');
const ASSETS = join(DIST, 'assets');
/** The window and notification icon where the OS takes it from the app (Linux, Windows); macOS uses the bundle's. */
const APP_ICON = join(ASSETS, 'icons', 'png', '256x256.png');
const OS_ICON = process.platform === 'darwin' ? {} : { icon: APP_ICON };

// Before 'ready': the UI's own scheme (see app-protocol.ts).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);
app.setAppUserModelId(APP_ID);

const warn = (m: string) => log.warn(m);
let windows: WindowManager | null = null;

if (!setupSingleInstance(app, () => windows?.open())) {
  // Another Hypergolix runs in this session; it has been asked to show its window.
  app.exit(0);
} else {
  const steps = new ShutdownSteps();
  // Before ready, so a quit or `activate` during start-up is heard.
  setupLifecycle(app, { stop: () => steps.run(warn), openWindow: () => windows?.open(), warn });
  void runStartup({
    app,
    start: () => start(steps),
    steps,
    warn,
    report: { log: (m) => log.error(m), showError: (title, message) => dialog.showErrorBox(title, message) },
  });
}

/** Points electron-log at <logdir>/hgxdesktop.log and returns the controller's logger over it. */
function setupLogging(where: StartLocation): Logger {
  const file = desktopLogFile(where.logDir);
  log.transports.file.resolvePathFn = () => file;
  log.transports.file.maxSize = 5 * 1024 * 1024;
  log.errorHandler.startCatching({ showDialog: false });
  const logger = loggerOver(log, 'hgxdesktop', file);
  logger.info(`Hypergolix ${app.getVersion()} starting (Electron ${process.versions.electron}, config ${where.configPath})`);
  if (where.problem) logger.error(`hypergolix.yml cannot be used: ${where.problem}`);
  return logger;
}

async function start(steps: ShutdownSteps): Promise<void> {
  // The config says where logs go; the controller reads it again (and watches it) itself.
  const presence = detectTrayHost(process.platform, process.env);
  const where = await firstLook(() => loadConfig({ create: true }), app.getPath('logs'));
  const logger = setupLogging(where);
  lockDownSession(RENDERER, warn);

  const controller = new Controller({
    configOptions: { root: where.configPath },
    logger,
    vault: new SafeStorageVault(safeStorage, join(where.configDir, VAULT_FILE)),
    logFiles: { console: false },
  });
  steps.add('the daemon and the embedded server', async () => {
    logger.info('Quitting: stopping the daemon and the embedded server');
    await controller.stop();
    logger.info('Stopped cleanly');
  });
  await controller.start();

  const win = createWindows(noTrayPolicy(await presence), controller, logger);
  windows = win;
  steps.add('the window bridge', setupIpc(ipcMain, controller, (channel, ev) => win.send(channel, ev)));
  const { tray, notifier } = setupDesktop(controller, win, steps);
  steps.add('session-end listeners', setupSessionEnd(sessionEndPort(), { quit: () => app.quit(), info: (m) => logger.info(m) }));
  steps.add('wake listeners', setupWakeTries({ onWake: onPowerWake }, { tryRemotes: () => controller.tryRemotes(), info: (m) => logger.info(m) }));

  // The Electron tests (test/main/electron.test.ts) read the tray model and state through this.
  if (process.env.HYPERGOLIX_TEST_HOOKS === '1') {
    (globalThis as { __hypergolix?: unknown }).__hypergolix = {
      tray: () => tray.current(),
      state: () => controller.status().state,
      snapshot: () => controller.snapshot(),
      heldNotifications: () => notifier.count(),
      notify: (title: string) => notifier.show({ kind: 'share-result', title, body: 'test' }),
      clickNotifications: () => notifier.clickAll(),
      setStartAtLogin: (on: boolean) => controller.setStartAtLogin(on),
    };
  }
  showWindowIfNeeded(controller, win, logger);
}

/** The window on demand; with no tray host (plain GNOME) it keeps its menu bar and closing it quits. */
function createWindows(policy: NoTrayPolicy, controller: Controller, logger: Logger): WindowManager {
  if (policy.menuBar) logger.info('No tray host found: the window keeps its menu bar (Quit is there)');
  if (process.platform !== 'darwin') {
    Menu.setApplicationMenu(
      applicationMenu(windowMenu(), (id) => {
        if (id === 'quit') app.quit();
        const logs = controller.logDir();
        if (id === 'open-logs' && logs) void shell.openPath(logs);
      }),
    );
  }
  return setupWindow(() => {
    const w = createAppWindow({ preload: PRELOAD, devTools: !app.isPackaged, dark: nativeTheme.shouldUseDarkColors, menuBar: policy.menuBar, warn, ...OS_ICON });
    if (policy.quitOnClose) w.onClosed(() => app.quit());
    return w;
  });
}

/** Whether the tray's panel is dark now (see panelIsDark). */
const darkPanel = () => panelIsDark(process.platform, nativeTheme, process.env);

/** The tray, notifications and the login item: the desktop around the window. */
function setupDesktop(controller: Controller, win: WindowManager, steps: ShutdownSteps): { tray: TrayHandle; notifier: HeldNotifications } {
  const tray = setupTray({
    tray: electronTray(trayIconFile(ASSETS, 'locked', darkPanel())),
    host: controller,
    actions: {
      openWindow: () => win.open(),
      copyText: (text) => clipboard.writeText(text),
      openFolder: (path) => void shell.openPath(path).then((error) => error && warn(`Could not open ${path}: ${error}`)),
      quit: () => app.quit(),
    },
    assetsDir: ASSETS,
    darkPanel,
    warn,
  });
  nativeTheme.on('updated', () => tray.refresh());
  steps.add('the tray', () => tray.dispose());

  const notifier = new HeldNotifications({
    create: (n) => (Notification.isSupported() ? new Notification({ title: n.title, body: n.body, ...OS_ICON }) : null),
    onClick: () => win.open(),
    warn,
  });
  steps.add('notifications', setupNotifications(controller, notifier, { warn }));

  const loginCommand = launchCommand({ platform: process.platform, execPath: process.execPath, isPackaged: app.isPackaged, appPath: app.getAppPath(), env: process.env });
  const loginPort = loginItemFor({ platform: process.platform, app, command: loginCommand, env: process.env, home: homedir() });
  const loginItem = loginPort ? setupLoginItem({ host: controller, port: loginPort, warn }) : null;
  if (loginItem) {
    steps.add('the login item', async () => {
      loginItem.dispose();
      await loginItem.settled();
    });
  }
  return { tray, notifier };
}

/** powerMonitor's `resume` (every platform) and `unlock-screen` (macOS, Windows) as one wake. */
function onPowerWake(listener: () => void): () => void {
  powerMonitor.on('resume', listener);
  powerMonitor.on('unlock-screen', listener);
  return () => {
    powerMonitor.off('resume', listener);
    powerMonitor.off('unlock-screen', listener);
  };
}

function sessionEndPort() {
  return {
    onShutdown: (listener: (event?: { preventDefault?(): void }) => void) => powerMonitor.on('shutdown', listener),
    ...(process.platform === 'win32' ? { onWindowsSessionEnd: sessionEndListener } : {}),
  };
}

/**
 * A window when the user has something to do (create an account, unlock, see an error);
 * otherwise the tray is enough. Started at login, the tray (its icon and state line) says
 * what is needed instead.
 */
function showWindowIfNeeded(controller: Controller, win: WindowManager, logger: Logger): void {
  const hidden = startedHidden(process.argv, process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin);
  if (hidden) logger.info('Started at login: in the tray only');
  const needsUser = () => !hidden && ['no-account', 'locked', 'error'].includes(controller.status().state);
  if (needsUser()) win.open();
  void controller.settled().then(() => {
    if (needsUser() && !win.current()) win.open();
  });
}
