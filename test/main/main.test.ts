// The Electron main process's logic in plain Node: every module of src/main except main.ts
// reaches Electron only through a small interface, so fakes stand in for Tray, BrowserWindow,
// ipcMain, safeStorage, Notification and app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IPC_CHANNELS, type HostEvent, type HostPort, type Settings, type Snapshot, type Status } from '../../src/common/contract.js';
import type { Notice } from '../../src/host/notices.js';
import { setupIpc, type IpcMainPort } from '../../src/main/ipc.js';
import { loggerOver } from '../../src/main/logging.js';
import { notificationFor, setupNotifications, type NotificationText } from '../../src/main/notifications.js';
import { setupTray, type TrayHost, type TrayPort } from '../../src/main/tray.js';
import { TRAY_ICONS, panelIsDark, trayClickOpensWindow, trayIconFile, trayModel, type MenuItemId, type MenuItemModel } from '../../src/main/tray-model.js';
import { APP_URL, ELECTRON_CSP, RendererCrashPolicy, allowPermission, hardenContents, isAppUrl, setupWindow, windowOptions, type ContentsPort, type WindowPort } from '../../src/main/window.js';
import { defaultSettings, FAKE_IDENTITY } from '../fixtures/ui/fake-host.js';

const ROOT = resolve(import.meta.dirname, '../..');

function snap(status: Partial<Status>, identity = true): Snapshot {
  return {
    status: { state: 'running', message: null, remotes: [], objectsCached: 0, connectedApps: 0, incomingShares: [], warnings: [], ...status },
    identity: identity ? FAKE_IDENTITY : null,
    canRememberPassword: true,
  };
}
const remote = (connected: boolean, port = 7770) => ({ host: '127.0.0.1', port, tls: false, connected });

// ───────────────────────────── tray ─────────────────────────────

test('tray model: an icon and a tooltip for every state', () => {
  const cases: [Snapshot, string, RegExp][] = [
    [snap({ state: 'no-account' }, false), 'no-account', /No account yet/],
    [snap({ state: 'locked' }), 'locked', /Locked/],
    [snap({ state: 'creating' }, false), 'starting', /Creating/],
    [snap({ state: 'unlocking' }), 'starting', /Unlocking/],
    [snap({ state: 'restarting' }), 'starting', /Restarting/],
    [snap({ state: 'running' }), 'running', /Running, local only/],
    [snap({ state: 'running', remotes: [remote(true), remote(false, 7771), remote(true, 7772)] }), 'running', /Running, 2 of 3 remotes connected/],
    [snap({ state: 'running', remotes: [remote(false)] }), 'offline', /Offline: the remote is reachable|Offline/],
    [snap({ state: 'error', message: 'The IPC port is in use' }), 'error', /Error: The IPC port is in use/],
  ];
  for (const [s, icon, tooltip] of cases) {
    const m = trayModel(s, defaultSettings());
    assert.equal(m.icon, icon, s.status.state);
    assert.match(m.tooltip, tooltip);
    assert.ok(m.tooltip.startsWith('Hypergolix: '));
    assert.ok(m.tooltip.length <= 127);
  }
  const long = trayModel(snap({ state: 'error', message: 'x'.repeat(500) }), null);
  assert.equal(long.tooltip.length, 127);
  assert.deepEqual([...new Set(cases.map(([s]) => trayModel(s, null).icon))].sort(), [...TRAY_ICONS].sort(), 'every icon is used');
});

test('tray model: the menu, with what is possible in each state', () => {
  const labels = (items: MenuItemModel[]) => items.flatMap((i) => (i.type === 'separator' ? ['—'] : [i.label]));
  const running = trayModel(snap({ state: 'running' }), defaultSettings());
  assert.deepEqual(labels(running.menu).slice(1), ['—', 'Open Hypergolix', 'Copy fingerprint', 'Embedded server', 'Start at login', 'Open logs folder', '—', 'Quit']);
  const item = (m: typeof running, id: MenuItemId) => m.menu.find((i) => i.type !== 'separator' && i.id === id) as Exclude<MenuItemModel, { type: 'separator' }>;
  assert.equal(item(running, 'status').enabled, false, 'the state line is not clickable');
  assert.equal(item(running, 'copy-fingerprint').enabled, true);
  const server = item(running, 'embedded-server');
  assert.equal(server.type, 'checkbox');
  assert.equal(server.type === 'checkbox' && server.checked, false);
  const on = defaultSettings();
  on.server.enabled = true;
  const withServer = item(trayModel(snap({ state: 'running' }), on), 'embedded-server');
  assert.equal(withServer.type === 'checkbox' && withServer.checked, true);
  const login = item(running, 'start-at-login');
  assert.equal(login.type === 'checkbox' && !login.checked && login.enabled, true, 'start at login: off by default, switchable');
  on.desktop.start_at_login = true;
  const loginOn = item(trayModel(snap({ state: 'restarting' }), on), 'start-at-login');
  assert.equal(loginOn.type === 'checkbox' && loginOn.checked && loginOn.enabled, true, 'needs no restart, so switchable while busy');
  assert.equal(item(trayModel(snap({ state: 'running' }), null), 'start-at-login').enabled, false);

  const fresh = trayModel(snap({ state: 'no-account' }, false), defaultSettings());
  assert.equal(item(fresh, 'copy-fingerprint').enabled, false, 'no fingerprint before the account exists');
  const busy = trayModel(snap({ state: 'restarting' }), defaultSettings());
  assert.equal(item(busy, 'embedded-server').enabled, false, 'no switching while restarting');
  assert.equal(item(trayModel(snap({ state: 'running' }), null), 'embedded-server').enabled, false, 'no settings, no switch');
});

test('tray icons: 16 and 32 px PNGs per state and panel (Windows), 24 and 48 px on Linux, and macOS template images', () => {
  const assets = join(ROOT, 'assets');
  assert.match(trayIconFile(assets, 'running', true, 'darwin'), /tray-runningTemplate\.png$/, 'Electron takes a name ending in Template as a template image');
  for (const icon of TRAY_ICONS) {
    for (const [dark, platform, base] of [[false, 'win32', 16], [true, 'win32', 16], [false, 'linux', 24], [true, 'linux', 24], [false, 'darwin', 16]] as const) {
      const file = trayIconFile(assets, icon, dark, platform);
      for (const [path, size] of [[file, base], [file.replace(/\.png$/, '@2x.png'), base * 2]] as const) {
        assert.ok(existsSync(path), `${path} exists (npm run icons makes it)`);
        const png = readFileSync(path);
        assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
        assert.equal(png.readUInt32BE(16), size);
        assert.equal(png.readUInt32BE(20), size);
      }
    }
  }
});

class FakeTray implements TrayPort {
  images: string[] = [];
  tooltips: string[] = [];
  menus: MenuItemModel[][] = [];
  click: ((id: MenuItemId, checked: boolean) => void) | null = null;
  leftClick: (() => void) | null = null;
  destroyed = false;
  setImage(file: string) {
    this.images.push(file);
  }
  setToolTip(text: string) {
    this.tooltips.push(text);
  }
  setMenu(items: MenuItemModel[], onClick: (id: MenuItemId, checked: boolean) => void) {
    this.menus.push(items);
    this.click = onClick;
  }
  onClick(l: () => void) {
    this.leftClick = l;
  }
  destroy() {
    this.destroyed = true;
  }
}

test('setupTray follows the controller and carries out the menu', async () => {
  let current = snap({ state: 'locked' });
  let settings: Settings | null = defaultSettings();
  const listeners = new Set<(ev: HostEvent) => void>();
  const calls: string[] = [];
  const host: TrayHost = {
    snapshot: () => current,
    settings: () => settings,
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    setEmbeddedServer: async (on) => void calls.push(`server:${on}`),
    setStartAtLogin: async (on) => void calls.push(`login:${on}`),
    tryRemotes: async () => void calls.push('try-remotes'),
    logDir: () => '/home/u/.hypergolix/logs',
  };
  const tray = new FakeTray();
  let dark = false;
  const handle = setupTray({
    tray,
    host,
    assetsDir: '/assets',
    platform: 'win32',
    darkPanel: () => dark,
    actions: {
      openWindow: () => calls.push('open'),
      copyText: (t) => calls.push(`copy:${t}`),
      openFolder: (p) => calls.push(`folder:${p}`),
      quit: () => calls.push('quit'),
    },
  });
  assert.deepEqual(tray.images, ['/assets/tray/tray-locked-light.png']);
  assert.match(tray.tooltips[0]!, /Locked/);

  current = snap({ state: 'running', remotes: [remote(true)] });
  for (const l of listeners) l({ kind: 'status', status: current.status });
  assert.equal(tray.images.at(-1), '/assets/tray/tray-running-light.png');
  assert.match(tray.tooltips.at(-1)!, /1 of 1 remote connected/);
  const menus = tray.menus.length;
  for (const l of listeners) l({ kind: 'status', status: current.status });
  assert.equal(tray.menus.length, menus, 'nothing changed, nothing redrawn');
  dark = true;
  handle.refresh();
  assert.equal(tray.images.at(-1), '/assets/tray/tray-running-dark.png');

  tray.click!('open', false);
  tray.click!('copy-fingerprint', false);
  tray.click!('embedded-server', true);
  tray.click!('start-at-login', true);
  tray.click!('open-logs', false);
  tray.click!('quit', false);
  tray.leftClick!();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls, ['open', `copy:${FAKE_IDENTITY.fingerprint}`, 'server:true', 'login:true', 'folder:/home/u/.hypergolix/logs', 'quit', 'open']);

  settings = { ...defaultSettings(), server: { enabled: true, host: 'localhost', port: 7770 } };
  for (const l of listeners) l({ kind: 'restartProgress', phase: 'done' });
  const last = tray.menus.at(-1)!.find((i) => i.type === 'checkbox');
  assert.equal(last?.type === 'checkbox' && last.checked, true, 'a save seen elsewhere updates the switch');
  handle.dispose();
  assert.equal(tray.destroyed, true);
  assert.equal(listeners.size, 0);
});

test('tray "Connect now": shown under the status line while running with a remote away; it asks the controller; a refusal is a warning', async () => {
  const ids = (m: ReturnType<typeof trayModel>) => m.menu.map((i) => ('id' in i ? i.id : '-'));
  assert.ok(!ids(trayModel(snap({ state: 'running', remotes: [remote(true)] }), defaultSettings())).includes('try-remotes'), 'every remote connected');
  assert.ok(!ids(trayModel(snap({ state: 'running', remotes: [] }), defaultSettings())).includes('try-remotes'), 'local only');
  assert.ok(!ids(trayModel(snap({ state: 'locked', remotes: [remote(false)] }), defaultSettings())).includes('try-remotes'), 'locked: nothing runs to connect');
  const away = trayModel(snap({ state: 'running', remotes: [remote(true), remote(false, 7771)] }), defaultSettings());
  assert.deepEqual(ids(away).slice(0, 3), ['status', 'try-remotes', '-']);
  assert.deepEqual(away.menu[1], { type: 'normal', id: 'try-remotes', label: 'Connect now', enabled: true });

  const tray = new FakeTray();
  const warnings: string[] = [];
  let tries = 0;
  let refuse = false;
  const host: TrayHost = {
    snapshot: () => snap({ state: 'running', remotes: [remote(false)] }),
    settings: () => defaultSettings(),
    subscribe: () => () => {},
    setEmbeddedServer: async () => ({}),
    setStartAtLogin: async () => ({}),
    tryRemotes: async () => {
      tries++;
      if (refuse) throw new Error('Unlock Hypergolix to connect to its remotes');
    },
    logDir: () => null,
  };
  setupTray({ tray, host, assetsDir: '/a', platform: 'linux', darkPanel: () => false, warn: (m) => warnings.push(m), actions: { openWindow: () => {}, copyText: () => {}, openFolder: () => {}, quit: () => {} } });
  tray.click!('try-remotes', false);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([tries, warnings], [1, []]);
  refuse = true;
  tray.click!('try-remotes', false);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(warnings, ['Connect now failed: Unlock Hypergolix to connect to its remotes']);
});

test('tray click policy: a left click opens the window on Windows and Linux, never on macOS (the click also opens the menu there)', () => {
  for (const [platform, listens] of [['win32', true], ['linux', true], ['darwin', false]] as const) {
    const tray = new FakeTray();
    const opened: string[] = [];
    const host: TrayHost = { snapshot: () => snap({ state: 'running' }), settings: () => defaultSettings(), subscribe: () => () => {}, setEmbeddedServer: async () => ({}), setStartAtLogin: async () => ({}), tryRemotes: async () => ({}), logDir: () => null };
    setupTray({ tray, host, assetsDir: '/a', platform, darkPanel: () => false, actions: { openWindow: () => opened.push('open'), copyText: () => {}, openFolder: () => {}, quit: () => {} } });
    assert.equal(tray.leftClick !== null, listens, platform);
    assert.equal(trayClickOpensWindow(platform), listens);
    tray.click!('open', false);
    assert.deepEqual(opened, ['open'], `${platform}: "Open Hypergolix" in the menu always works`);
  }
});

test('tray checkbox: when the save behind it fails, the menu is redrawn with the setting as it is', async () => {
  const tray = new FakeTray();
  const warnings: string[] = [];
  const host: TrayHost = {
    snapshot: () => snap({ state: 'running' }),
    settings: () => defaultSettings(),
    subscribe: () => () => {},
    setEmbeddedServer: async () => {
      throw new Error('hypergolix.yml is read-only');
    },
    setStartAtLogin: async () => ({}),
    tryRemotes: async () => ({}),
    logDir: () => null,
  };
  setupTray({ tray, host, assetsDir: '/a', platform: 'linux', darkPanel: () => false, warn: (m) => warnings.push(m), actions: { openWindow: () => {}, copyText: () => {}, openFolder: () => {}, quit: () => {} } });
  const before = tray.menus.length;
  tray.click!('embedded-server', true); // the OS has ticked it already
  await new Promise((r) => setImmediate(r));
  assert.equal(tray.menus.length, before + 1, 'redrawn although the model did not change');
  const server = tray.menus.at(-1)!.find((i) => i.type === 'checkbox' && i.id === 'embedded-server');
  assert.equal(server?.type === 'checkbox' && server.checked, false, 'unticked again: the setting is off');
  assert.match(warnings.join(), /Embedded server switch failed: hypergolix.yml is read-only/);
});

test('tray glyph follows the panel, not the app theme', () => {
  const light = { shouldUseDarkColors: false };
  assert.equal(panelIsDark('win32', { shouldUseDarkColors: false, shouldUseDarkColorsForSystemIntegratedUI: true }, {}), true, 'Windows default: light apps, dark taskbar');
  assert.equal(panelIsDark('win32', { shouldUseDarkColors: true, shouldUseDarkColorsForSystemIntegratedUI: false }, {}), false);
  assert.equal(panelIsDark('linux', light, { XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' }), true, "GNOME Shell's top bar is dark in light mode too");
  assert.equal(panelIsDark('linux', light, { XDG_CURRENT_DESKTOP: 'KDE' }), false, 'Plasma panels follow the theme');
  assert.equal(panelIsDark('linux', { shouldUseDarkColors: true }, { XDG_CURRENT_DESKTOP: 'XFCE' }), true);
  assert.equal(panelIsDark('linux', light, {}), false);
});

// ───────────────────────────── window ─────────────────────────────

test('window: sandboxed, isolated, no Node, own scheme only, strict CSP', () => {
  const o = windowOptions({ preload: '/dist/preload/preload.cjs', devTools: false, dark: false });
  assert.equal(o.webPreferences.contextIsolation, true);
  assert.equal(o.webPreferences.sandbox, true);
  assert.equal(o.webPreferences.nodeIntegration, false);
  assert.equal(o.webPreferences.nodeIntegrationInSubFrames, false);
  assert.equal(o.webPreferences.webSecurity, true);
  assert.equal(o.webPreferences.webviewTag, false);
  assert.equal(o.webPreferences.preload, '/dist/preload/preload.cjs');
  assert.equal(o.show, false);
  assert.ok(o.minWidth <= 360, 'works at small sizes');

  assert.equal(isAppUrl(APP_URL), true);
  assert.equal(isAppUrl('hgx://app/'), true);
  for (const bad of ['https://example.org/', 'file:///etc/passwd', 'hgx://evil/index.html', 'javascript:alert(1)', 'not a url']) assert.equal(isAppUrl(bad), false, bad);
  assert.equal(allowPermission('clipboard-sanitized-write', APP_URL), true);
  for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read']) assert.equal(allowPermission(p, APP_URL), false, p);
  assert.equal(allowPermission('clipboard-sanitized-write', 'https://example.org/'), false);

  for (const d of ["default-src 'none'", "connect-src 'none'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"]) assert.ok(ELECTRON_CSP.includes(d), d);
  assert.doesNotMatch(ELECTRON_CSP, /unsafe-inline|unsafe-eval|\*/);
});

test('window: navigation, redirects, new windows and webviews are refused', () => {
  const handlers = new Map<string, (e: { preventDefault(): void; url?: string }) => void>();
  let openHandler: ((d: { url: string }) => { action: 'deny' }) | null = null;
  const contents: ContentsPort = {
    on: ((event: string, l: (e: { preventDefault(): void; url?: string }) => void) => void handlers.set(event, l)) as ContentsPort['on'],
    setWindowOpenHandler: (h) => void (openHandler = h),
  };
  const warnings: string[] = [];
  hardenContents(contents, (m) => warnings.push(m));
  for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
    let prevented = false;
    // Electron 45 gives the URL as details.url (the second argument is deprecated and not passed here).
    handlers.get(event)!({ preventDefault: () => void (prevented = true), url: `https://evil.example/${event}` });
    assert.equal(prevented, true, event);
  }
  assert.deepEqual(openHandler!({ url: 'https://evil.example/' }), { action: 'deny' });
  assert.equal(warnings.length, 4);
  assert.match(warnings[0]!, /Refused a navigation to https:\/\/evil\.example\/will-navigate/);
  assert.match(warnings[1]!, /Refused a redirect to https:\/\/evil\.example\/will-redirect/);
});

test('window: one at a time, recreated after it was closed, focused on open', () => {
  const made: { closed: (() => void)[]; destroyed: boolean; shown: number; sent: unknown[] }[] = [];
  const wm = setupWindow((): WindowPort => {
    const w = { closed: [] as (() => void)[], destroyed: false, shown: 0, sent: [] as unknown[] };
    made.push(w);
    return {
      isDestroyed: () => w.destroyed,
      isMinimized: () => false,
      restore: () => {},
      show: () => void w.shown++,
      focus: () => {},
      send: (_c, p) => void w.sent.push(p),
      onClosed: (l) => void w.closed.push(l),
    };
  });
  wm.send('x', 1);
  assert.equal(made.length, 0, 'no window, nothing sent');
  wm.open();
  wm.open();
  assert.equal(made.length, 1);
  assert.equal(made[0]!.shown, 2);
  wm.send('x', 2);
  assert.deepEqual(made[0]!.sent, [2]);
  made[0]!.destroyed = true;
  made[0]!.closed.forEach((l) => l());
  assert.equal(wm.current(), null);
  wm.open();
  assert.equal(made.length, 2);
});

// ───────────────────────────── IPC ─────────────────────────────

test('ipc: requests only from our page, validated before the controller sees them; events forwarded', async () => {
  let handler: Parameters<IpcMainPort['handle']>[1] | null = null;
  let removed = false;
  const ipcMain: IpcMainPort = {
    handle: (channel, h) => {
      assert.equal(channel, IPC_CHANNELS.request);
      handler = h;
    },
    removeHandler: () => void (removed = true),
  };
  const seen: unknown[] = [];
  const listeners = new Set<(ev: HostEvent) => void>();
  const host: HostPort = {
    request: async (req) => {
      seen.push(req);
      return { ok: true, value: { restarted: false } } as never;
    },
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  const sent: [string, HostEvent][] = [];
  const stop = setupIpc(ipcMain, host, (ch, ev) => sent.push([ch, ev]));
  const fromApp = { senderFrame: { url: APP_URL } };

  const good = await handler!(fromApp, { kind: 'status' });
  assert.deepEqual(good, { ok: true, value: { restarted: false } });
  const stranger = (await handler!({ senderFrame: { url: 'https://evil.example/' } }, { kind: 'status' })) as { ok: boolean; error: { code: string } };
  assert.equal(stranger.ok, false);
  const noFrame = (await handler!({ senderFrame: null }, { kind: 'status' })) as { ok: boolean };
  assert.equal(noFrame.ok, false);
  const malformed = (await handler!(fromApp, { kind: 'saveSettings', settings: { remotes: 'all of them' } })) as { ok: boolean; error: { code: string } };
  assert.equal(malformed.ok, false);
  assert.equal(malformed.error.code, 'bad-request');
  assert.equal(((await handler!(fromApp, { kind: 'rm -rf' })) as { ok: boolean }).ok, false);
  assert.deepEqual(seen, [{ kind: 'status' }], 'only the well-formed request from our page arrived');

  for (const l of listeners) l({ kind: 'restartProgress', phase: 'done' });
  assert.deepEqual(sent, [[IPC_CHANNELS.event, { kind: 'restartProgress', phase: 'done' }]]);
  stop();
  assert.equal(removed, true);
  assert.equal(listeners.size, 0);
});

// ───────────────────────────── notifications, lifecycle, logging ─────────────────────────────

test('notifications follow the settings switches', () => {
  const s = defaultSettings();
  const share: Notice = { kind: 'incoming-share', from: FAKE_IDENTITY.fingerprint, name: null, waiting: true };
  assert.match(notificationFor(share, s)!.body, /accept or decline/);
  assert.match(notificationFor({ kind: 'share-result', recipient: FAKE_IDENTITY.fingerprint, name: null, ok: false }, s)!.title, /refused/);
  assert.equal(notificationFor({ kind: 'daemon-error', message: 'boom' }, s)!.body, 'boom');
  assert.equal(notificationFor({ kind: 'remote', remote: 'x', connected: false }, s), null, 'a single drop is not news');
  s.desktop.notifications.incoming_share = false;
  s.desktop.notifications.daemon_error = false;
  assert.equal(notificationFor(share, s), null);
  assert.equal(notificationFor({ kind: 'daemon-error', message: 'boom' }, s), null);
  assert.equal(notificationFor(share, null), null);

  const shown: NotificationText[] = [];
  let listener: ((n: Notice) => void) | null = null;
  const stop = setupNotifications(
    { onNotice: (l) => ((listener = l), () => (listener = null)), subscribe: () => () => {}, settings: () => defaultSettings(), status: () => snap({ state: 'running' }).status },
    { show: (n) => shown.push(n) },
  );
  listener!(share);
  assert.equal(shown.length, 1);
  stop();
  assert.equal(listener, null);
});

test('logging: the electron-log adapter is a core Logger', async () => {
  const lines: string[] = [];
  const target = { error: (m: unknown) => lines.push(`E ${m}`), warn: (m: unknown) => lines.push(`W ${m}`), info: (m: unknown) => lines.push(`I ${m}`), debug: (m: unknown) => lines.push(`D ${m}`) };
  const log = loggerOver(target, 'hgxdesktop', '/tmp/x.log');
  const heard: string[] = [];
  const off = log.onLine((l) => heard.push(l));
  log.info('hello');
  log.child('daemon').warn('careful');
  off();
  log.error('after');
  assert.deepEqual(lines, ['I hgxdesktop: hello', 'W hgxdesktop.daemon: careful', 'E hgxdesktop: after']);
  assert.deepEqual(heard, ['hgxdesktop: hello', 'hgxdesktop.daemon: careful']);
  assert.equal(log.file, '/tmp/x.log');
  await log.close();
});

test('the build puts the tray icons where main.ts looks for them', () => {
  mkdirSync(join(ROOT, 'assets', 'tray'), { recursive: true });
  // scripts/build.mjs copies assets/ to dist/assets/; main.ts reads dist/assets/tray/.
  const build = readFileSync(join(ROOT, 'scripts/build.mjs'), 'utf8');
  assert.match(build, /\['assets', 'assets'\]/);
  assert.match(readFileSync(join(ROOT, 'src/main/main.ts'), 'utf8'), /join\(DIST, 'assets'\)/);
});

test('window: a crashed page is reloaded, a page that keeps crashing closes the window, a clean exit is left alone', () => {
  let now = 0;
  const policy = new RendererCrashPolicy({ maxReloads: 2, periodMs: 60_000, now: () => now });
  assert.equal(policy.decide('clean-exit'), 'ignore');
  assert.equal(policy.decide('crashed'), 'reload');
  now += 1000;
  assert.equal(policy.decide('oom'), 'reload');
  now += 1000;
  assert.equal(policy.decide('killed'), 'close', 'twice within the minute: stop reloading');
  now += 120_000;
  assert.equal(policy.decide('crashed'), 'reload', 'after a quiet spell a crash is reloaded again');
});
