/**
 * setupTray: keeps one tray icon in step with the controller. Electron's Tray and Menu are
 * reached only through the TrayPort given in, so this logic runs in plain Node tests.
 */
import type { HostEvent, Settings, Snapshot } from '../common/contract.js';
import { trayClickOpensWindow, trayIconFile, trayModel, type MenuItemId, type MenuItemModel, type TrayModel } from './tray-model.js';

/** The few things done to the OS tray (main.ts adapts Electron's Tray + Menu.buildFromTemplate). */
export interface TrayPort {
  setImage(file: string): void;
  setToolTip(text: string): void;
  setMenu(items: MenuItemModel[], onClick: (id: MenuItemId, checked: boolean) => void): void;
  /** A left click (Windows, most Linux panels; not listened to on macOS, see trayClickOpensWindow). */
  onClick(listener: () => void): void;
  destroy(): void;
}

/** What the tray needs of the controller. */
export interface TrayHost {
  snapshot(): Snapshot;
  settings(): Settings | null;
  subscribe(listener: (ev: HostEvent) => void): () => void;
  setEmbeddedServer(on: boolean): Promise<unknown>;
  setStartAtLogin(on: boolean): Promise<unknown>;
  /** "Connect now": the remotes away tried at once (the status event that follows updates the menu). */
  tryRemotes(): Promise<unknown>;
  logDir(): string | null;
}

export interface TrayActions {
  openWindow(): void;
  copyText(text: string): void;
  openFolder(path: string): void;
  quit(): void;
}

export interface TraySetup {
  tray: TrayPort;
  host: TrayHost;
  actions: TrayActions;
  assetsDir: string;
  /** Whether the panel is dark (a light glyph reads better there). */
  darkPanel(): boolean;
  warn?(message: string): void;
  /** Picks the icon style (macOS: template images; Linux: the larger glyph) and the click policy. @default process.platform */
  platform?: NodeJS.Platform;
}

export interface TrayHandle {
  /** The model last shown (for tests and diagnostics). */
  current(): TrayModel;
  /** Re-reads the state, e.g. when the OS switches between light and dark. */
  refresh(): void;
  dispose(): void;
}

export function setupTray(o: TraySetup): TrayHandle {
  let shown: TrayModel | null = null;
  let shownDark: boolean | null = null;

  const onClick = (id: MenuItemId, checked: boolean) => {
    switch (id) {
      case 'open':
        return o.actions.openWindow();
      case 'copy-fingerprint': {
        const id = o.host.snapshot().identity;
        if (id) o.actions.copyText(id.fingerprint);
        return;
      }
      case 'embedded-server':
        return flip('Embedded server', o.host.setEmbeddedServer(checked));
      case 'start-at-login':
        return flip('Start at login', o.host.setStartAtLogin(checked));
      case 'open-logs': {
        const dir = o.host.logDir();
        if (dir) o.actions.openFolder(dir);
        return;
      }
      case 'quit':
        return o.actions.quit();
      case 'try-remotes':
        // Still away is shown by the status line; only a refusal (locked meanwhile) is worth a warning.
        return void o.host.tryRemotes().catch((err: Error) => o.warn?.(`Connect now failed: ${err.message}`));
      case 'status':
        return;
    }
  };

  // The OS ticked the checkbox when it was clicked; the save behind it failed, so the settings
  // did not change and the model neither: the menu is rebuilt to show the setting as it is.
  // The controller answers a refusal ({ ok: false, error }) rather than throwing it.
  const flip = (what: string, done: Promise<unknown>) => {
    void done.then(
      (r) => {
        const refused = r as { ok?: boolean; error?: { message?: string } } | null;
        if (refused?.ok === false) switchFailed(what, new Error(refused.error?.message ?? 'refused'));
      },
      (err: Error) => switchFailed(what, err),
    );
  };

  const switchFailed = (what: string, err: Error) => {
    o.warn?.(`${what} switch failed: ${err.message}`);
    shown = null;
    refresh();
  };

  let disposed = false;
  const refresh = () => {
    // After Quit's dispose (a theme change, a late event): the OS tray is gone.
    if (disposed) return;
    const model = trayModel(o.host.snapshot(), o.host.settings(), o.host.logDir() !== null);
    const dark = o.darkPanel();
    if (!shown || shown.icon !== model.icon || shownDark !== dark) o.tray.setImage(trayIconFile(o.assetsDir, model.icon, dark, o.platform));
    if (!shown || shown.tooltip !== model.tooltip) o.tray.setToolTip(model.tooltip);
    if (!shown || JSON.stringify(shown.menu) !== JSON.stringify(model.menu)) o.tray.setMenu(model.menu, onClick);
    shown = model;
    shownDark = dark;
  };

  if (trayClickOpensWindow(o.platform ?? process.platform)) o.tray.onClick(() => o.actions.openWindow());
  // Any event may change what the tray shows (a save ends with 'restartProgress' even when nothing restarted).
  const unsubscribe = o.host.subscribe((ev) => {
    if (ev.kind !== 'accountProgress') refresh();
  });
  refresh();

  return {
    current: () => shown!,
    refresh,
    dispose() {
      disposed = true;
      unsubscribe();
      o.tray.destroy();
    },
  };
}
