/**
 * What the tray shows, as plain data: the icon, the tooltip and the menu for a controller
 * snapshot. No Electron here, so it is tested in plain Node; tray.ts turns it into a Tray.
 */
import type { Settings, Snapshot } from '../common/contract.js';

/**
 * One icon per state (scripts/icons.mjs draws them): assets/tray/tray-<icon>-<light|dark>.png
 * (16 px) and @2x (32 px), and for the macOS menu bar tray-<icon>Template.png, a black glyph the
 * system recolours for its own light or dark bar.
 */
export const TRAY_ICONS = ['no-account', 'locked', 'starting', 'running', 'offline', 'error'] as const;
export type TrayIcon = (typeof TRAY_ICONS)[number];

export type MenuItemId = 'status' | 'try-remotes' | 'open' | 'copy-fingerprint' | 'embedded-server' | 'start-at-login' | 'open-logs' | 'quit';

export type MenuItemModel =
  | { type: 'separator' }
  | { type: 'normal'; id: MenuItemId; label: string; enabled: boolean }
  | { type: 'checkbox'; id: MenuItemId; label: string; enabled: boolean; checked: boolean };

export interface TrayModel {
  icon: TrayIcon;
  tooltip: string;
  menu: MenuItemModel[];
}

/** Windows cuts tooltips at 127 characters. */
const TOOLTIP_MAX = 127;

/** Cut to `max` UTF-16 units with an ellipsis, never inside a character (an emoji, a rare CJK one in a path). */
function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  let n = max - 1;
  if (/[\uD800-\uDBFF]/.test(s[n - 1] ?? '')) n--;
  return `${s.slice(0, n)}…`;
}

export function trayIcon(snapshot: Snapshot): TrayIcon {
  const { state, remotes } = snapshot.status;
  switch (state) {
    case 'no-account':
      return 'no-account';
    case 'locked':
      return 'locked';
    case 'creating':
    case 'unlocking':
    case 'restarting':
      return 'starting';
    case 'error':
      return 'error';
    case 'running':
      // Offline: there are remotes to sync with and none is reachable.
      return remotes.length > 0 && !remotes.some((r) => r.connected) ? 'offline' : 'running';
  }
}

/** One line about the state, shown as the tooltip and as the menu's first (disabled) item. */
export function stateLine(snapshot: Snapshot): string {
  const damaged = snapshot.status.cacheCheck?.damagedCount ?? 0;
  const line = stateWords(snapshot);
  return damaged > 0 ? `${line}; ${damaged} object${damaged === 1 ? '' : 's'} damaged here` : line;
}

function stateWords(snapshot: Snapshot): string {
  const { state, remotes, message } = snapshot.status;
  const connected = remotes.filter((r) => r.connected).length;
  switch (state) {
    case 'no-account':
      return 'No account yet: open Hypergolix to create one';
    case 'locked':
      return 'Locked: open Hypergolix to unlock';
    case 'creating':
      return 'Creating your account…';
    case 'unlocking':
      return 'Unlocking…';
    case 'restarting':
      return 'Restarting with new settings…';
    case 'error':
      return `Error: ${message ?? 'Hypergolix stopped'}`;
    case 'running':
      if (remotes.length === 0) return 'Running, local only';
      if (connected === 0) return `Offline: ${remotes.length === 1 ? 'the remote is not' : `none of ${remotes.length} remotes is`} reachable`;
      return `Running, ${connected} of ${remotes.length} remote${remotes.length === 1 ? '' : 's'} connected`;
  }
}

/** `logs`: whether there is a log folder to open (none while hypergolix.yml cannot be read). */
export function trayModel(snapshot: Snapshot, settings: Settings | null, logs = true): TrayModel {
  const busy = ['creating', 'unlocking', 'restarting'].includes(snapshot.status.state);
  const line = stateLine(snapshot);
  return {
    icon: trayIcon(snapshot),
    tooltip: clip(`Hypergolix: ${line}`, TOOLTIP_MAX),
    menu: [
      { type: 'normal', id: 'status', label: clip(line, 80), enabled: false },
      // Under the line that says a remote is away: the daemon's wait grows to 30 s meanwhile.
      ...(snapshot.status.state === 'running' && snapshot.status.remotes.some((r) => !r.connected) ? [{ type: 'normal' as const, id: 'try-remotes' as const, label: 'Connect now', enabled: true }] : []),
      { type: 'separator' },
      { type: 'normal', id: 'open', label: 'Open Hypergolix', enabled: true },
      { type: 'normal', id: 'copy-fingerprint', label: 'Copy fingerprint', enabled: snapshot.identity !== null },
      {
        type: 'checkbox',
        id: 'embedded-server',
        label: 'Embedded server',
        enabled: settings !== null && !busy,
        checked: settings?.server.enabled ?? false,
      },
      {
        type: 'checkbox',
        id: 'start-at-login',
        label: 'Start at login',
        enabled: settings !== null,
        checked: settings?.desktop.start_at_login ?? false,
      },
      { type: 'normal', id: 'open-logs', label: 'Open logs folder', enabled: logs },
      { type: 'separator' },
      { type: 'normal', id: 'quit', label: 'Quit', enabled: true },
    ],
  };
}

/** The window's own menu (Linux, Windows): what must stay reachable when there is no tray. */
export function windowMenu(): MenuItemModel[] {
  return [
    { type: 'normal', id: 'open-logs', label: 'Open logs folder', enabled: true },
    { type: 'separator' },
    { type: 'normal', id: 'quit', label: 'Quit', enabled: true },
  ];
}

/** The Linux tray glyph's size in px (panels are 22–32 px tall); scripts/icons.mjs draws it, and @2x. */
export const LINUX_TRAY_GLYPH = 24;

/**
 * The icon file for a state; `darkPanel` picks the light glyph. On macOS the template image
 * (Electron marks a file whose name ends in "Template" as one); on Linux the larger glyph.
 * Electron adds @2x itself on HiDPI.
 */
export function trayIconFile(assetsDir: string, icon: TrayIcon, darkPanel: boolean, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return `${assetsDir}/tray/tray-${icon}Template.png`;
  const size = platform === 'linux' ? `-${LINUX_TRAY_GLYPH}` : '';
  return `${assetsDir}/tray/tray-${icon}-${darkPanel ? 'dark' : 'light'}${size}.png`;
}

/** What Electron's nativeTheme says (shouldUseDarkColorsForSystemIntegratedUI: Windows and macOS only). */
export interface ThemeFacts {
  shouldUseDarkColors: boolean;
  shouldUseDarkColorsForSystemIntegratedUI?: boolean;
}

/**
 * Whether the panel the tray icon sits on is dark: the taskbar or top bar, not the app's own
 * theme. Windows says so itself (a light app theme with a dark taskbar is the default);
 * GNOME Shell's top bar (Ubuntu's too) is dark in light mode as well; other Linux panels
 * (KDE Plasma, Xfce, Cinnamon) follow the desktop theme. macOS recolours template images.
 */
export function panelIsDark(platform: NodeJS.Platform, theme: ThemeFacts, env: NodeJS.ProcessEnv): boolean {
  if (platform === 'win32') return theme.shouldUseDarkColorsForSystemIntegratedUI ?? theme.shouldUseDarkColors;
  if (platform === 'linux') {
    const desktops = (env['XDG_CURRENT_DESKTOP'] ?? '').toUpperCase().split(':');
    if (desktops.includes('GNOME') || desktops.includes('UNITY')) return true;
  }
  return theme.shouldUseDarkColors;
}

/**
 * Whether a left click on the icon opens the window. Not on macOS: with a context menu set, a
 * click opens the menu and also emits `click` (tray_icon_cocoa.mm), so opening the window too
 * would answer every trip to the menu, even one to Quit, with the settings window.
 */
export function trayClickOpensWindow(platform: NodeJS.Platform): boolean {
  return platform !== 'darwin';
}
