/**
 * The settings window as Electron makes it (window.ts holds the options and every decision):
 * loaded from hgx://app, shown when ready, reloaded after a renderer crash or closed when it
 * keeps crashing, and, on Windows, the app's ear for the end of the session.
 */
import { BrowserWindow, dialog } from 'electron';
import { APP_URL, RendererCrashPolicy, isAppUrl, windowOptions, type WindowPort } from './window.js';

export interface AppWindowOptions {
  preload: string;
  icon?: string;
  devTools: boolean;
  dark: boolean;
  menuBar: boolean;
  warn(message: string): void;
}

export function createAppWindow(o: AppWindowOptions): WindowPort {
  const w = new BrowserWindow(windowOptions(o));
  const crashes = new RendererCrashPolicy();
  w.once('ready-to-show', () => w.show());
  w.webContents.on('render-process-gone', (_e, details) => {
    const action = crashes.decide(details.reason);
    if (action === 'ignore' || w.isDestroyed()) return;
    o.warn(`The window's page stopped (${details.reason}, exit code ${details.exitCode}); ${action === 'reload' ? 'reloading it' : 'closing the window'}`);
    if (action === 'reload') void w.loadURL(APP_URL);
    else {
      w.destroy();
      void dialog.showMessageBox({
        type: 'error',
        title: 'Hypergolix',
        message: 'The Hypergolix window keeps stopping',
        detail: `Its page stopped several times in a row (${details.reason}). Hypergolix itself still runs; open the window again from the tray. The log has the details.`,
      });
    }
  });
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
}

/**
 * Windows tells a logoff or shutdown to top-level windows only (`session-end`), and emits no
 * `before-quit`. Tray-only, Hypergolix has no window; this one is never shown nor loaded, so it
 * costs no page, and it hears the session end.
 */
export function sessionEndListener(onEnd: (what: 'query' | 'end') => void): () => void {
  const w = new BrowserWindow({ show: false, width: 1, height: 1, skipTaskbar: true, focusable: false, webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false } });
  w.on('query-session-end', () => onEnd('query'));
  w.on('session-end', () => onEnd('end'));
  return () => {
    if (!w.isDestroyed()) w.destroy();
  };
}
