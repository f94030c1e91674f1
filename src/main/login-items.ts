/**
 * setupLoginItem: "Start Hypergolix when I log in" (`desktop.start_at_login`, off by default),
 * switched from the settings window or the tray, applied to the OS here:
 *
 * - macOS and Windows: Electron's app.setLoginItemSettings (Windows: a Run key with `--hidden`;
 *   macOS: a login item, and `wasOpenedAtLogin` tells the app it was started that way).
 * - Linux: an XDG autostart entry, `$XDG_CONFIG_HOME/autostart/hypergolix.desktop` (default
 *   `~/.config/autostart/`), written when the switch is on and removed when it is off.
 *
 * Either way the app starts with `--hidden`: the tray only, no window. The OS is reached through
 * LoginItemPort; the entry's content, its path and the command line are pure functions.
 *
 * The settings are the truth. At start the OS is brought in line with them, with one care: a
 * Linux entry another installation wrote (another Exec line) is left alone when the switch is
 * off, so a development run does not remove the installed app's entry. A change of the switch
 * is always applied.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { makeDirs } from '../core/util/make-dirs.js';
import { dirname, isAbsolute, join } from 'node:path';
import type { HostEvent, Settings } from '../common/contract.js';

/** The argument that starts Hypergolix in the tray only. */
export const HIDDEN_FLAG = '--hidden';
export const AUTOSTART_FILE = 'hypergolix.desktop';

export interface LaunchCommand {
  file: string;
  args: string[];
}

/** How the OS should start this Hypergolix at login. */
export function launchCommand(o: { platform: NodeJS.Platform; execPath: string; isPackaged: boolean; appPath: string; env: NodeJS.ProcessEnv }): LaunchCommand {
  // An AppImage runs from a temporary mount; the file the user keeps is $APPIMAGE.
  const appImage = o.env['APPIMAGE'];
  if (o.platform === 'linux' && o.isPackaged && appImage && isAbsolute(appImage)) return { file: appImage, args: [HIDDEN_FLAG] };
  if (o.isPackaged) return { file: o.execPath, args: [HIDDEN_FLAG] };
  // A development run: `electron <app> --hidden`.
  return { file: o.execPath, args: [o.appPath, HIDDEN_FLAG] };
}

/** Whether this process should stay in the tray (started at login). */
export function startedHidden(argv: readonly string[], openedAtLogin: boolean): boolean {
  return argv.includes(HIDDEN_FLAG) || openedAtLogin;
}

/** `$XDG_CONFIG_HOME/autostart/hypergolix.desktop`; a relative XDG_CONFIG_HOME is ignored, as the spec says. */
export function autostartPath(env: NodeJS.ProcessEnv, home: string): string {
  const xdg = env['XDG_CONFIG_HOME'];
  const base = xdg && isAbsolute(xdg) ? xdg : join(home, '.config');
  return join(base, 'autostart', AUTOSTART_FILE);
}

/** Characters that make the Desktop Entry spec require quoting an Exec argument. */
const RESERVED = /[ \t\n"'\\><~|&;$*?#()`]/;

/**
 * One Exec argument as the Desktop Entry spec wants it: quoted when it holds a reserved
 * character (and then `"`, `` ` ``, `$` and `\` backslash-escaped), `%` doubled (field codes),
 * and finally every backslash doubled, because Exec is also a string value.
 */
export function quoteExecArg(arg: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(arg)) throw new Error(`A login item cannot start a path with control characters: ${JSON.stringify(arg)}`);
  const quoted = arg === '' || RESERVED.test(arg) ? `"${arg.replace(/(["`$\\])/g, '\\$1')}"` : arg;
  return quoted.replace(/%/g, '%%').replace(/\\/g, '\\\\');
}

export function execLine(cmd: LaunchCommand): string {
  return [cmd.file, ...cmd.args].map(quoteExecArg).join(' ');
}

/** The autostart entry's text. */
export function autostartEntry(cmd: LaunchCommand): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    'Name=Hypergolix',
    'Comment=Start Hypergolix in the tray when you log in',
    `Exec=${execLine(cmd)}`,
    'Icon=hypergolix',
    'Terminal=false',
    'StartupNotify=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** The Exec value of a .desktop file's [Desktop Entry] group, or null. */
export function execOf(desktopFile: string): string | null {
  let inEntry = false;
  for (const raw of desktopFile.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('[')) inEntry = line === '[Desktop Entry]';
    else if (inEntry) {
      const m = /^Exec\s*=\s*(.*)$/.exec(line);
      if (m) return m[1]!;
    }
  }
  return null;
}

/** An entry the desktop will start: not `Hidden=true`, not `X-GNOME-Autostart-enabled=false`. */
export function entryActive(desktopFile: string): boolean {
  return !/^\s*Hidden\s*=\s*true\s*$/im.test(desktopFile) && !/^\s*X-GNOME-Autostart-enabled\s*=\s*false\s*$/im.test(desktopFile);
}

// ───────────────────────────── the OS side ─────────────────────────────

export interface LoginItemPort {
  /** Whether the OS starts *this* Hypergolix (this command) at login. */
  isEnabled(): Promise<boolean>;
  setEnabled(on: boolean): Promise<void>;
}

/** The file operations the XDG entry needs (tests use a map). */
export interface AutostartFiles {
  read(path: string): Promise<string | null>;
  /** Atomically, creating the directory. */
  write(path: string, text: string): Promise<void>;
  remove(path: string): Promise<void>;
}

export const nodeFiles: AutostartFiles = {
  async read(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  },
  async write(path, text) {
    await makeDirs(dirname(path), 0o700);
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, path);
  },
  async remove(path) {
    await rm(path, { force: true });
  },
};

/** Linux: the XDG autostart entry at `path` starting `cmd`. */
export function xdgLoginItem(o: { path: string; command: LaunchCommand; files?: AutostartFiles }): LoginItemPort {
  const files = o.files ?? nodeFiles;
  const entry = autostartEntry(o.command);
  const exec = execOf(entry);
  return {
    async isEnabled() {
      const text = await files.read(o.path);
      return text !== null && entryActive(text) && execOf(text) === exec;
    },
    async setEnabled(on) {
      if (!on) return files.remove(o.path);
      // Rewritten when it differs: another installation's path, or an entry switched off by hand.
      if ((await files.read(o.path)) !== entry) await files.write(o.path, entry);
    },
  };
}

/** The slice of Electron's `app` used for login items. */
export interface LoginItemApp {
  getLoginItemSettings(options?: { path?: string; args?: string[] }): { openAtLogin: boolean; wasOpenedAtLogin?: boolean };
  setLoginItemSettings(settings: { openAtLogin: boolean; path?: string; args?: string[] }): void;
}

/** macOS and Windows: Electron's login-item API (Windows keys it by executable and arguments). */
export function electronLoginItem(app: LoginItemApp, platform: NodeJS.Platform, command: LaunchCommand): LoginItemPort {
  const win = platform === 'win32';
  const query = win ? { path: command.file, args: command.args } : undefined;
  return {
    isEnabled: async () => app.getLoginItemSettings(query).openAtLogin,
    async setEnabled(on) {
      app.setLoginItemSettings(win ? { openAtLogin: on, path: command.file, args: command.args } : { openAtLogin: on });
    },
  };
}

/** The right port for this OS; null where there is none (the switch is then only saved). */
export function loginItemFor(o: { platform: NodeJS.Platform; app: LoginItemApp; command: LaunchCommand; env: NodeJS.ProcessEnv; home: string; files?: AutostartFiles }): LoginItemPort | null {
  if (o.platform === 'darwin' || o.platform === 'win32') return electronLoginItem(o.app, o.platform, o.command);
  if (o.platform === 'linux' || o.platform === 'freebsd' || o.platform === 'openbsd') {
    return xdgLoginItem({ path: autostartPath(o.env, o.home), command: o.command, ...(o.files ? { files: o.files } : {}) });
  }
  return null;
}

// ───────────────────────────── keeping it in step ─────────────────────────────

export interface LoginItemHost {
  settings(): Settings | null;
  subscribe(listener: (ev: HostEvent) => void): () => void;
}

export interface LoginItemHandle {
  /** Resolves when every change seen so far has been applied (tests, quit). */
  settled(): Promise<void>;
  dispose(): void;
}

export function setupLoginItem(o: { host: LoginItemHost; port: LoginItemPort; warn?(message: string): void }): LoginItemHandle {
  let chain: Promise<void> = Promise.resolve();
  let wanted: boolean | null = null;
  const run = (what: string, fn: () => Promise<void>) => {
    chain = chain.then(fn).catch((err: Error) => o.warn?.(`Could not ${what}: ${err.message}`));
  };

  const apply = (want: boolean | undefined) => {
    if (want === undefined || want === wanted) return;
    const first = wanted === null;
    wanted = want;
    // The first time: only what differs, so another installation's Linux entry survives an "off".
    run(want ? 'turn on start at login' : 'turn off start at login', async () => {
      if (!first || (await o.port.isEnabled()) !== want) await o.port.setEnabled(want);
    });
  };

  apply(o.host.settings()?.desktop.start_at_login);
  const unsubscribe = o.host.subscribe((ev) => {
    if (ev.kind === 'accountProgress') return;
    apply(ev.kind === 'configChanged' ? ev.settings.desktop.start_at_login : o.host.settings()?.desktop.start_at_login);
  });

  return {
    settled: async () => {
      let c: Promise<void>;
      do {
        c = chain;
        await c;
      } while (c !== chain);
    },
    dispose: unsubscribe,
  };
}
