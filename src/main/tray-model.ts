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

export type MenuItemId = 'status' | 'open' | 'copy-fingerprint' | 'embedded-server' | 'start-at-login' | 'open-logs' | 'quit';

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

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

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
      if (connected === 0) return `Offline: ${remotes.length === 1 ? 'the remote is' : `none of ${remotes.length} remotes is`} reachable`;
      return `Running, ${connected} of ${remotes.length} remote${remotes.length === 1 ? '' : 's'} connected`;
  }
}

export function trayModel(snapshot: Snapshot, settings: Settings | null): TrayModel {
  const busy = ['creating', 'unlocking', 'restarting'].includes(snapshot.status.state);
  const line = stateLine(snapshot);
  return {
    icon: trayIcon(snapshot),
    tooltip: clip(`Hypergolix: ${line}`, TOOLTIP_MAX),
    menu: [
      { type: 'normal', id: 'status', label: clip(line, 80), enabled: false },
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
      { type: 'normal', id: 'open-logs', label: 'Open logs folder', enabled: true },
      { type: 'separator' },
      { type: 'normal', id: 'quit', label: 'Quit', enabled: true },
    ],
  };
}

/**
 * The icon file for a state; `darkPanel` picks the light glyph. On macOS the template image
 * (Electron marks a file whose name ends in "Template" as one). Electron adds @2x itself on HiDPI.
 */
export function trayIconFile(assetsDir: string, icon: TrayIcon, darkPanel: boolean, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return `${assetsDir}/tray/tray-${icon}Template.png`;
  return `${assetsDir}/tray/tray-${icon}-${darkPanel ? 'dark' : 'light'}.png`;
}
