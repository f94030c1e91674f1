/**
 * The Electron main process: only wiring. Each feature is one setupX() module beside this file
 * (single instance, lifecycle, tray, window, IPC, vault, notifications, login item, logging), each reaching
 * Electron through a small interface; what the app *does* is the Controller in src/host, shared
 * with browser mode.
 */
import {
  BrowserWindow,
  Menu,
  Notification,
  Tray,
  app,
  clipboard,
  dialog,
  ipcMain,
  nativeImage,
  nativeTheme,
  protocol,
  safeStorage,
  session,
  shell,
  type MenuItemConstructorOptions,
} from 'electron';
import log from 'electron-log/main';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../core/config/index.js';
import { Controller } from '../host/controller.js';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, serveAppRequest } from './app-protocol.js';
import { setupIpc } from './ipc.js';
import { setupLifecycle, setupSingleInstance } from './lifecycle.js';
import { loggerOver } from './logging.js';
import { launchCommand, loginItemFor, setupLoginItem, startedHidden } from './login-items.js';
import { setupNotifications } from './notifications.js';
import { setupTray, type TrayPort } from './tray.js';
import { trayIconFile } from './tray-model.js';
import { SafeStorageVault, VAULT_FILE } from './vault.js';
import { APP_URL, allowPermission, hardenContents, isAppUrl, setupWindow, windowOptions, type WindowManager } from './window.js';

/** Windows groups notifications and taskbar entries by this; = appId in electron-builder.yml (test/packaging checks). */
export const APP_ID = 'org.hypergolix.Hypergolix';

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PRELOAD = join(DIST, 'preload', 'preload.cjs');
const RENDERER = join(DIST, 'renderer');
const ASSETS = join(DIST, 'assets');
/** The window and notification icon where the OS takes it from the app (Linux, Windows); macOS uses the bundle's. */
const APP_ICON = join(ASSETS, 'icons', 'png', '256x256.png');

// Before 'ready': the UI's own scheme (see app-protocol.ts).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);
app.setAppUserModelId(APP_ID);

let windows: WindowManager | null = null;

if (!setupSingleInstance(app, () => windows?.open())) {
  // Another Hypergolix runs in this session; it has been asked to show its window.
  app.exit(0);
} else {
  app.whenReady().then(start, fatal);
}

function fatal(err: unknown): void {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  log.error(`Hypergolix could not start: ${message}`);
  dialog.showErrorBox('Hypergolix could not start', err instanceof Error ? err.message : String(err));
  app.exit(1);
}

async function start(): Promise<void> {
  // The config says where logs go; the controller reads it again (and watches it) itself.
  const first = await loadConfig({ create: true });
  const logdir = first.config.process.logdir;
  log.transports.file.resolvePathFn = () => join(logdir, 'hgxdesktop.log');
  log.transports.file.maxSize = 5 * 1024 * 1024;
  log.errorHandler.startCatching({ showDialog: false });
  const logger = loggerOver(log, 'hgxdesktop', join(logdir, 'hgxdesktop.log'));
  logger.info(`Hypergolix ${app.getVersion()} starting (Electron ${process.versions.electron}, config ${first.path})`);
  const warn = (m: string) => logger.warn(m);

  // No request leaves the machine, every webContents is locked down, and only the clipboard may be asked for.
  const ses = session.defaultSession;
  ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'file://*/*'] }, (details, callback) => {
    warn(`Blocked a request to ${details.url.slice(0, 200)}`);
    callback({ cancel: true });
  });
  ses.setPermissionRequestHandler((_wc, permission, callback, details) => callback(allowPermission(permission, details.requestingUrl)));
  ses.setPermissionCheckHandler((_wc, permission, origin) => allowPermission(permission, origin));
  app.on('web-contents-created', (_e, contents) => hardenContents(contents, warn));
  protocol.handle(APP_SCHEME, async (request) => {
    const r = await serveAppRequest(request.url, RENDERER);
    return new Response(typeof r.body === 'string' ? r.body : new Uint8Array(r.body), { status: r.status, headers: r.headers });
  });

  const controller = new Controller({
    configOptions: { root: first.path },
    logger,
    vault: new SafeStorageVault(safeStorage, join(first.dir, VAULT_FILE)),
    logFiles: { console: false },
  });
  await controller.start();

  windows = setupWindow(() => {
    const w = new BrowserWindow(
      windowOptions({ preload: PRELOAD, devTools: !app.isPackaged, dark: nativeTheme.shouldUseDarkColors, ...(process.platform === 'darwin' ? {} : { icon: APP_ICON }) }),
    );
    w.once('ready-to-show', () => w.show());
    void w.loadURL(APP_URL);
    return {
      isDestroyed: () => w.isDestroyed(),
      isMinimized: () => w.isMinimized(),
      restore: () => w.restore(),
      show: () => w.show(),
      focus: () => w.focus(),
      send: (channel, payload) => {
        if (!w.isDestroyed() && isAppUrl(w.webContents.getURL())) w.webContents.send(channel, payload);
      },
      onClosed: (listener) => w.on('closed', listener),
    };
  });
  const win = windows;
  // Started at login (`--hidden`, or a macOS login item): the tray only, no window.
  const hidden = startedHidden(process.argv, process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin);
  if (hidden) logger.info('Started at login: in the tray only');
  const stopIpc = setupIpc(ipcMain, controller, (channel, ev) => win.send(channel, ev));

  const tray = new Tray(nativeImage.createFromPath(trayIconFile(ASSETS, 'locked', nativeTheme.shouldUseDarkColors)));
  const trayPort: TrayPort = {
    setImage: (file) => tray.setImage(nativeImage.createFromPath(file)),
    setToolTip: (text) => tray.setToolTip(text),
    setMenu: (items, onClick) =>
      tray.setContextMenu(
        Menu.buildFromTemplate(
          items.map((i): MenuItemConstructorOptions =>
            i.type === 'separator'
              ? { type: 'separator' }
              : { id: i.id, label: i.label, enabled: i.enabled, type: i.type, ...(i.type === 'checkbox' ? { checked: i.checked } : {}), click: (item) => onClick(i.id, item.checked) },
          ),
        ),
      ),
    onClick: (listener) => tray.on('click', listener),
    destroy: () => tray.destroy(),
  };
  const trayHandle = setupTray({
    tray: trayPort,
    host: controller,
    actions: {
      openWindow: () => win.open(),
      copyText: (text) => clipboard.writeText(text),
      openFolder: (path) => void shell.openPath(path).then((error) => error && warn(`Could not open ${path}: ${error}`)),
      quit: () => app.quit(),
    },
    assetsDir: ASSETS,
    darkPanel: () => nativeTheme.shouldUseDarkColors,
    warn,
  });
  nativeTheme.on('updated', () => trayHandle.refresh());

  const stopNotices = setupNotifications(
    controller,
    {
      show: (n) => {
        if (!Notification.isSupported()) return;
        const notification = new Notification({ title: n.title, body: n.body, ...(process.platform === 'darwin' ? {} : { icon: APP_ICON }) });
        notification.on('click', () => win.open());
        notification.show();
      },
    },
    { warn },
  );

  const loginCommand = launchCommand({ platform: process.platform, execPath: process.execPath, isPackaged: app.isPackaged, appPath: app.getAppPath(), env: process.env });
  const loginPort = loginItemFor({ platform: process.platform, app, command: loginCommand, env: process.env, home: homedir() });
  const loginItem = loginPort ? setupLoginItem({ host: controller, port: loginPort, warn }) : null;

  setupLifecycle(app, {
    stop: async () => {
      logger.info('Quitting: stopping the daemon and the embedded server');
      stopNotices();
      loginItem?.dispose();
      await loginItem?.settled();
      trayHandle.dispose();
      stopIpc();
      await controller.stop();
      logger.info('Stopped cleanly');
    },
    openWindow: () => win.open(),
    warn,
  });

  // The Electron tests (test/main/electron.test.ts) read the tray model and state through this.
  if (process.env.HYPERGOLIX_TEST_HOOKS === '1') {
    (globalThis as { __hypergolix?: unknown }).__hypergolix = { tray: () => trayHandle.current(), state: () => controller.status().state };
  }

  // A window when the user has something to do (create an account, unlock, see an error); otherwise the tray is enough.
  // Started at login, the tray (its icon and state line) says what is needed instead.
  const needsUser = () => !hidden && ['no-account', 'locked', 'error'].includes(controller.status().state);
  if (needsUser()) win.open();
  void controller.settled().then(() => {
    if (needsUser() && !win.current()) win.open();
  });
}
