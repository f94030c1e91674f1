// Start at login: the command line, the XDG entry's text and path, the Electron port's calls,
// and setupLoginItem keeping the OS in step with desktop.start_at_login. Fakes for the OS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostEvent, Settings } from '../../src/common/contract.js';
import {
  AUTOSTART_FILE,
  HIDDEN_FLAG,
  autostartEntry,
  autostartPath,
  electronLoginItem,
  entryActive,
  execLine,
  execOf,
  launchCommand,
  loginItemFor,
  nodeFiles,
  quoteExecArg,
  setupLoginItem,
  startedHidden,
  xdgLoginItem,
  type AutostartFiles,
  type LoginItemApp,
  type LoginItemPort,
} from '../../src/main/login-items.js';
import { defaultSettings } from '../fixtures/ui/fake-host.js';

const tick = () => new Promise((r) => setImmediate(r));

class MemFiles implements AutostartFiles {
  files = new Map<string, string>();
  writes = 0;
  async read(p: string) {
    return this.files.get(p) ?? null;
  }
  async write(p: string, t: string) {
    this.writes++;
    this.files.set(p, t);
  }
  async remove(p: string) {
    this.files.delete(p);
  }
}

test('launch command: the installed binary with --hidden; the AppImage file; electron <app> in development', () => {
  const base = { platform: 'linux' as const, execPath: '/opt/Hypergolix/hypergolix', isPackaged: true, appPath: '/opt/Hypergolix/resources/app', env: {} };
  assert.deepEqual(launchCommand(base), { file: '/opt/Hypergolix/hypergolix', args: [HIDDEN_FLAG] });
  assert.deepEqual(launchCommand({ ...base, execPath: '/tmp/.mount_HgxAb/hypergolix', env: { APPIMAGE: '/home/u/Apps/Hypergolix-0.2.0.AppImage' } }), {
    file: '/home/u/Apps/Hypergolix-0.2.0.AppImage',
    args: [HIDDEN_FLAG],
  });
  assert.deepEqual(launchCommand({ ...base, env: { APPIMAGE: 'relative.AppImage' } }).file, '/opt/Hypergolix/hypergolix', 'a relative APPIMAGE is not trusted');
  assert.deepEqual(launchCommand({ ...base, isPackaged: false, execPath: '/w/node_modules/electron/dist/electron', appPath: '/w' }), {
    file: '/w/node_modules/electron/dist/electron',
    args: ['/w', HIDDEN_FLAG],
  });
  assert.deepEqual(launchCommand({ ...base, platform: 'win32', execPath: 'C:\\Users\\u\\AppData\\Local\\Programs\\Hypergolix\\Hypergolix.exe', env: { APPIMAGE: '/x' } }).args, [HIDDEN_FLAG]);
});

test('started hidden: --hidden, or opened at login (macOS)', () => {
  assert.equal(startedHidden(['/opt/Hypergolix/hypergolix', '--hidden'], false), true);
  assert.equal(startedHidden(['/opt/Hypergolix/hypergolix'], false), false);
  assert.equal(startedHidden(['/Applications/Hypergolix.app/Contents/MacOS/Hypergolix'], true), true);
});

test('autostart path: $XDG_CONFIG_HOME/autostart, else ~/.config/autostart; a relative XDG_CONFIG_HOME is ignored', () => {
  assert.equal(autostartPath({}, '/home/u'), `/home/u/.config/autostart/${AUTOSTART_FILE}`);
  assert.equal(autostartPath({ XDG_CONFIG_HOME: '/data/cfg' }, '/home/u'), '/data/cfg/autostart/hypergolix.desktop');
  assert.equal(autostartPath({ XDG_CONFIG_HOME: 'cfg' }, '/home/u'), '/home/u/.config/autostart/hypergolix.desktop');
  assert.equal(autostartPath({ XDG_CONFIG_HOME: '' }, '/home/u'), '/home/u/.config/autostart/hypergolix.desktop');
});

test('Exec quoting follows the Desktop Entry spec', () => {
  assert.equal(quoteExecArg('/opt/Hypergolix/hypergolix'), '/opt/Hypergolix/hypergolix');
  assert.equal(quoteExecArg('--hidden'), '--hidden');
  assert.equal(quoteExecArg('/home/u/My Apps/Hypergolix.AppImage'), '"/home/u/My Apps/Hypergolix.AppImage"');
  assert.equal(quoteExecArg('/a/$HOME/"x"'), '"/a/\\\\$HOME/\\\\"x\\\\""', '$ and " escaped, then the backslashes doubled (string value)');
  assert.equal(quoteExecArg('C:\\x'), '"C:\\\\\\\\x"', 'a literal backslash is four in the file');
  assert.equal(quoteExecArg('/tmp/100%'), '/tmp/100%%', '% is a field code');
  assert.equal(quoteExecArg(''), '""');
  assert.throws(() => quoteExecArg('/tmp/a\nb'), /control characters/);
  assert.equal(execLine({ file: '/home/u/Apps (x)/H.AppImage', args: ['--hidden'] }), '"/home/u/Apps (x)/H.AppImage" --hidden');
});

test('the autostart entry: a valid [Desktop Entry] starting Hypergolix hidden', () => {
  const text = autostartEntry({ file: '/opt/Hypergolix/hypergolix', args: ['--hidden'] });
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], '[Desktop Entry]');
  const kv = Object.fromEntries(lines.slice(1).map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
  assert.equal(kv['Type'], 'Application');
  assert.equal(kv['Name'], 'Hypergolix');
  assert.equal(kv['Exec'], '/opt/Hypergolix/hypergolix --hidden');
  assert.equal(kv['Icon'], 'hypergolix', 'the icon the deb installs into hicolor');
  assert.equal(kv['Terminal'], 'false');
  assert.equal(kv['X-GNOME-Autostart-enabled'], 'true');
  for (const l of lines.slice(1)) assert.match(l, /^[A-Za-z0-9-]+=.*$/, `key=value: ${l}`);
  assert.equal(execOf(text), '/opt/Hypergolix/hypergolix --hidden');
  assert.equal(entryActive(text), true);
  assert.equal(entryActive(`${text}Hidden=true\n`), false);
  assert.equal(entryActive(text.replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false')), false);
  assert.equal(execOf('[Desktop Action x]\nExec=nope\n[Desktop Entry]\nExec = /bin/yes\n'), '/bin/yes', 'only the main group counts');
});

test('the packaged system-wide autostart template matches what the app writes', () => {
  const template = readFileSync(join(import.meta.dirname, '../../packaging/linux/hypergolix-autostart.desktop'), 'utf8');
  const body = template.replace(/^#.*\n/gm, '');
  assert.equal(body, autostartEntry({ file: '/opt/Hypergolix/hypergolix', args: ['--hidden'] }));
});

test('XDG login item: written when on, removed when off, rewritten when another installation wrote it', async () => {
  const files = new MemFiles();
  const path = '/home/u/.config/autostart/hypergolix.desktop';
  const mine = xdgLoginItem({ path, command: { file: '/opt/Hypergolix/hypergolix', args: ['--hidden'] }, files });
  const other = xdgLoginItem({ path, command: { file: '/home/u/Apps/H.AppImage', args: ['--hidden'] }, files });
  assert.equal(await mine.isEnabled(), false);
  await mine.setEnabled(true);
  assert.equal(await mine.isEnabled(), true);
  assert.equal(await other.isEnabled(), false, 'another command is not "this Hypergolix"');
  await mine.setEnabled(true);
  assert.equal(files.writes, 1, 'an identical entry is not rewritten');
  files.files.set(path, `${files.files.get(path)}Hidden=true\n`);
  assert.equal(await mine.isEnabled(), false, 'switched off by hand');
  await mine.setEnabled(true);
  assert.equal(await mine.isEnabled(), true);
  await other.setEnabled(true);
  assert.equal(await mine.isEnabled(), false);
  assert.equal(await other.isEnabled(), true);
  await mine.setEnabled(false);
  assert.equal(files.files.has(path), false);
  await mine.setEnabled(false);
});

test('XDG login item on disk: directory made, file written and removed', async () => {
  const home = mkdtempSync(join(tmpdir(), 'hgx-autostart-'));
  try {
    const path = autostartPath({}, home);
    const item = xdgLoginItem({ path, command: { file: '/opt/Hypergolix/hypergolix', args: ['--hidden'] }, files: nodeFiles });
    await item.setEnabled(true);
    assert.equal(readFileSync(path, 'utf8'), autostartEntry({ file: '/opt/Hypergolix/hypergolix', args: ['--hidden'] }));
    assert.equal(statSync(path).mode & 0o022, 0, 'not writable by others');
    assert.equal(await item.isEnabled(), true);
    await item.setEnabled(false);
    assert.equal(existsSync(path), false);
    assert.equal(await item.isEnabled(), false);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

class FakeLoginApp implements LoginItemApp {
  calls: unknown[] = [];
  items = new Map<string, boolean>();
  getLoginItemSettings(o?: { path?: string; args?: string[] }) {
    return { openAtLogin: this.items.get(JSON.stringify(o ?? null)) ?? false, wasOpenedAtLogin: false };
  }
  setLoginItemSettings(s: { openAtLogin: boolean; path?: string; args?: string[] }) {
    this.calls.push(s);
    const key = s.path ? JSON.stringify({ path: s.path, args: s.args }) : 'null';
    this.items.set(key, s.openAtLogin);
  }
}

test('Electron login item: Windows keys the Run entry by path and --hidden; macOS by the app', async () => {
  const cmd = { file: 'C:\\Programs\\Hypergolix\\Hypergolix.exe', args: ['--hidden'] };
  const app = new FakeLoginApp();
  const win = electronLoginItem(app, 'win32', cmd);
  await win.setEnabled(true);
  assert.deepEqual(app.calls, [{ openAtLogin: true, path: cmd.file, args: ['--hidden'] }]);
  assert.equal(await win.isEnabled(), true);
  await win.setEnabled(false);
  assert.equal(await win.isEnabled(), false);

  const mac = new FakeLoginApp();
  const item = electronLoginItem(mac, 'darwin', { file: '/Applications/Hypergolix.app/Contents/MacOS/Hypergolix', args: ['--hidden'] });
  await item.setEnabled(true);
  assert.deepEqual(mac.calls, [{ openAtLogin: true }], 'macOS takes no arguments; wasOpenedAtLogin tells the app instead');
  assert.equal(await item.isEnabled(), true);
});

test('the port for each OS', () => {
  const o = { app: new FakeLoginApp(), command: { file: '/x', args: ['--hidden'] }, env: {}, home: '/home/u' };
  assert.ok(loginItemFor({ ...o, platform: 'linux' }));
  assert.ok(loginItemFor({ ...o, platform: 'win32' }));
  assert.ok(loginItemFor({ ...o, platform: 'darwin' }));
  assert.equal(loginItemFor({ ...o, platform: 'aix' }), null);
});

class FakePort implements LoginItemPort {
  on = false;
  sets: boolean[] = [];
  fail = false;
  async isEnabled() {
    return this.on;
  }
  async setEnabled(on: boolean) {
    if (this.fail) throw new Error('EACCES: permission denied');
    this.sets.push(on);
    this.on = on;
  }
}

function fakeHost(initial: Settings | null) {
  let settings = initial;
  const listeners = new Set<(ev: HostEvent) => void>();
  return {
    host: {
      settings: () => settings,
      subscribe: (l: (ev: HostEvent) => void) => {
        listeners.add(l);
        return () => void listeners.delete(l);
      },
    },
    set(s: Settings | null) {
      settings = s;
    },
    emit(ev: HostEvent) {
      for (const l of listeners) l(ev);
    },
    listeners,
  };
}

const withLogin = (on: boolean) => {
  const s = defaultSettings();
  s.desktop.start_at_login = on;
  return s;
};

test('setupLoginItem: off by default changes nothing; the switch is applied when it changes, from any source', async () => {
  const h = fakeHost(defaultSettings());
  const port = new FakePort();
  const item = setupLoginItem({ host: h.host, port });
  await item.settled();
  assert.deepEqual(port.sets, [], 'off and already off: nothing done');

  h.set(withLogin(true));
  h.emit({ kind: 'restartProgress', phase: 'done' }); // a save from the settings window
  await item.settled();
  assert.deepEqual(port.sets, [true]);
  h.emit({ kind: 'status', status: {} as never });
  await item.settled();
  assert.deepEqual(port.sets, [true], 'no change, no call');

  h.emit({ kind: 'configChanged', settings: withLogin(false) }); // a hand edit, or the tray
  await item.settled();
  assert.deepEqual(port.sets, [true, false]);
  h.emit({ kind: 'accountProgress', stage: 'keys' as never });
  item.dispose();
  assert.equal(h.listeners.size, 0);
});

test('setupLoginItem at start: the OS follows the settings, but an "off" leaves another installation entry alone', async () => {
  const port = new FakePort();
  await setupLoginItem({ host: fakeHost(withLogin(true)).host, port }).settled();
  assert.deepEqual(port.sets, [true], 'on in the settings, off in the OS: turned on');

  const ours = new FakePort();
  ours.on = true;
  await setupLoginItem({ host: fakeHost(withLogin(false)).host, port: ours }).settled();
  assert.deepEqual(ours.sets, [false], 'our entry, switched off in the settings: removed');

  // An XDG entry written by the installed app, seen from a development run with the switch off.
  const files = new MemFiles();
  const path = '/home/u/.config/autostart/hypergolix.desktop';
  await xdgLoginItem({ path, command: { file: '/opt/Hypergolix/hypergolix', args: ['--hidden'] }, files }).setEnabled(true);
  const dev = xdgLoginItem({ path, command: { file: '/w/node_modules/electron/dist/electron', args: ['/w', '--hidden'] }, files });
  await setupLoginItem({ host: fakeHost(withLogin(false)).host, port: dev }).settled();
  assert.equal(files.files.has(path), true, 'the installed app entry survives');
});

test('setupLoginItem: settings unreadable at start are applied once readable; OS failures are warnings', async () => {
  const h = fakeHost(null);
  const port = new FakePort();
  const warnings: string[] = [];
  const item = setupLoginItem({ host: h.host, port, warn: (m) => warnings.push(m) });
  await item.settled();
  assert.deepEqual(port.sets, []);
  h.emit({ kind: 'configChanged', settings: withLogin(true) });
  await item.settled();
  assert.deepEqual(port.sets, [true]);

  port.fail = true;
  h.emit({ kind: 'configChanged', settings: withLogin(false) });
  await item.settled();
  await tick();
  assert.match(warnings.join('\n'), /Could not turn off start at login: EACCES/);
  port.fail = false;
  h.emit({ kind: 'configChanged', settings: withLogin(true) });
  await item.settled();
  assert.deepEqual(port.sets, [true, true], 'later changes still go through');
});
