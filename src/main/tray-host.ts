/**
 * Whether the desktop shows tray icons at all. Windows and macOS always do. On Linux, Electron's
 * tray is a StatusNotifierItem, shown only where a StatusNotifierWatcher runs on the session
 * bus (KDE Plasma, Cinnamon, Xfce, Ubuntu's GNOME); plain GNOME (Fedora, Debian) has none, and
 * there the app must not vanish into the background: the window keeps its menu bar (with Quit),
 * and closing the window quits.
 */
import { execFile } from 'node:child_process';

export type TrayPresence = 'present' | 'absent' | 'unknown';

export const SNI_WATCHER = 'org.kde.StatusNotifierWatcher';

/** Runs a program (no shell) and gives its stdout, or null when it is missing or fails. */
export type RunProgram = (file: string, args: string[]) => Promise<string | null>;

export const runProgram: RunProgram = (file, args) =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: 3000, encoding: 'utf8', shell: false }, (err, stdout) => resolve(err ? null : stdout));
  });

/** Reads a D-Bus boolean reply as dbus-send (`boolean true`) or gdbus (`(true,)`) prints it. */
export function parseBusBoolean(out: string): boolean | null {
  const m = /\bboolean (true|false)\b/.exec(out) ?? /^\((true|false),\)\s*$/m.exec(out);
  return m ? m[1] === 'true' : null;
}

/** Asks the session bus whether a StatusNotifierWatcher runs (dbus-send, else gdbus). */
export async function detectTrayHost(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, run: RunProgram = runProgram): Promise<TrayPresence> {
  if (platform !== 'linux') return 'present';
  if (!env['DBUS_SESSION_BUS_ADDRESS'] && !env['XDG_RUNTIME_DIR']) return 'unknown';
  const asks: [string, string[]][] = [
    ['dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', `string:${SNI_WATCHER}`]],
    ['gdbus', ['call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.NameHasOwner', SNI_WATCHER]],
  ];
  for (const [file, args] of asks) {
    const out = await run(file, args);
    const answer = out === null ? null : parseBusBoolean(out);
    if (answer !== null) return answer ? 'present' : 'absent';
  }
  return 'unknown';
}

export interface NoTrayPolicy {
  /** The window shows its menu bar (Hypergolix ▸ Open logs folder, Quit) instead of hiding it. */
  menuBar: boolean;
  /** Closing the window quits (the daemon stops cleanly) instead of leaving an invisible app. */
  quitOnClose: boolean;
}

/** Unknown (no bus tools) keeps the tray behaviour but shows the menu bar, so Quit is always in sight. */
export function noTrayPolicy(presence: TrayPresence): NoTrayPolicy {
  return { menuBar: presence !== 'present', quitOnClose: presence === 'absent' };
}
