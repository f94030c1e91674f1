// What the tray shows and does in each app state (tray-model.ts, tray.ts) and the settings
// window's lifecycle (window.ts), in plain Node: a fake OS tray that behaves like Electron's
// (a clicked checkbox flips before the app hears of it; a destroyed tray throws), fake windows,
// a fake `app`, and where it matters the real Controller over a throwaway home.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IPC_CHANNELS, type AppState, type HostEvent, type HostPort, type Settings, type Snapshot, type Status } from '../../src/common/contract.js';
import { setupIpc, type IpcMainPort } from '../../src/main/ipc.js';
import { setupLifecycle, setupSingleInstance, type AppPort } from '../../src/main/lifecycle.js';
import { setupTray, type TrayActions, type TrayHost, type TrayPort } from '../../src/main/tray.js';
import { stateLine, trayIcon, trayModel, type MenuItemId, type MenuItemModel, type TrayModel } from '../../src/main/tray-model.js';
import { APP_URL, RendererCrashPolicy, setupWindow, type RendererGoneReason, type WindowPort } from '../../src/main/window.js';
import { defaultSettings, FAKE_IDENTITY } from '../fixtures/ui/fake-host.js';
import { harness, tempHome } from '../host/helpers.js';

// ───────────────────────────── helpers ─────────────────────────────

function snap(status: Partial<Status>, identity = true): Snapshot {
  return {
    status: { state: 'running', message: null, remotes: [], objectsCached: 0, connectedApps: 0, incomingShares: [], warnings: [], ...status },
    identity: identity ? FAKE_IDENTITY : null,
    canRememberPassword: true,
  };
}
const remote = (connected: boolean, port = 7770) => ({ host: '127.0.0.1', port, tls: false, connected });

type Item = Exclude<MenuItemModel, { type: 'separator' }>;
function itemOf(menu: MenuItemModel[], id: MenuItemId): Item {
  const found = menu.find((i): i is Item => i.type !== 'separator' && i.id === id);
  assert.ok(found, `the menu has "${id}"`);
  return found;
}
const item = (m: TrayModel, id: MenuItemId) => itemOf(m.menu, id);

/** Whether a string holds half of a surrogate pair (what a cut through an emoji leaves). */
const loneSurrogate = (s: string) => /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

/**
 * An OS tray as Electron's behaves: a click on a checkbox flips what the user sees before the
 * app is told (and it stays so until the menu is rebuilt), a disabled item cannot be clicked,
 * and every call on a destroyed tray throws ("Tray is destroyed").
 */
class OsTray implements TrayPort {
  images: string[] = [];
  tooltips: string[] = [];
  menus: MenuItemModel[][] = [];
  leftClick: (() => void) | null = null;
  destroyed = false;
  /** The checkboxes as the user sees them now. */
  readonly shownChecked = new Map<MenuItemId, boolean>();
  private onMenu: ((id: MenuItemId, checked: boolean) => void) | null = null;
  private alive(what: string) {
    if (this.destroyed) throw new Error(`Tray is destroyed (${what})`);
  }
  setImage(file: string) {
    this.alive('setImage');
    this.images.push(file);
  }
  setToolTip(text: string) {
    this.alive('setToolTip');
    this.tooltips.push(text);
  }
  setMenu(items: MenuItemModel[], onClick: (id: MenuItemId, checked: boolean) => void) {
    this.alive('setContextMenu');
    this.menus.push(items);
    this.onMenu = onClick;
    this.shownChecked.clear();
    for (const i of items) if (i.type === 'checkbox') this.shownChecked.set(i.id, i.checked);
  }
  onClick(listener: () => void) {
    this.leftClick = listener;
  }
  destroy() {
    this.alive('destroy');
    this.destroyed = true;
  }
  /** The user picks an item in the menu as last built; false when it is greyed out. */
  pick(id: MenuItemId): boolean {
    const it = itemOf(this.menus.at(-1)!, id);
    if (!it.enabled) return false;
    let checked = false;
    if (it.type === 'checkbox') {
      checked = !this.shownChecked.get(id);
      this.shownChecked.set(id, checked);
    }
    this.onMenu!(id, checked);
    return true;
  }
}

/** A controller stand-in whose state the test sets and announces. */
class ScriptedHost implements TrayHost {
  current: Snapshot;
  config: Settings | null = defaultSettings();
  logs: string | null = '/home/u/.hypergolix/logs';
  readonly listeners = new Set<(ev: HostEvent) => void>();
  constructor(initial: Snapshot) {
    this.current = initial;
  }
  snapshot() {
    return this.current;
  }
  settings() {
    return this.config;
  }
  subscribe(l: (ev: HostEvent) => void) {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  }
  async setEmbeddedServer() {
    return { ok: true, value: { restarted: false } };
  }
  async setStartAtLogin() {
    return { ok: true, value: { restarted: false } };
  }
  /** How many times "Connect now" was chosen. */
  tries = 0;
  async tryRemotes() {
    this.tries++;
    return this.current.status;
  }
  logDir() {
    return this.logs;
  }
  /** Changes the state and says so, as the controller's status feed does. */
  set(next: Snapshot) {
    this.current = next;
    for (const l of [...this.listeners]) l({ kind: 'status', status: next.status });
  }
}

function recordingActions(calls: string[], openWindow: () => void = () => calls.push('open')): TrayActions {
  return {
    openWindow,
    copyText: (t) => calls.push(`copy:${t}`),
    openFolder: (p) => calls.push(`folder:${p}`),
    quit: () => calls.push('quit'),
  };
}

/** A fake BrowserWindow behind WindowPort, with the counts the tests read. */
interface FakeWin {
  port: WindowPort;
  id: number;
  destroyed: boolean;
  minimized: boolean;
  calls: string[];
  sent: [string, unknown][];
  closedListeners: (() => void)[];
  /** The user closes it (or Electron destroys it): destroyed, then `closed`. */
  close(): void;
}

function windowFactory() {
  const made: FakeWin[] = [];
  const create = (): WindowPort => {
    const w: FakeWin = {
      id: made.length,
      destroyed: false,
      minimized: false,
      calls: [],
      sent: [],
      closedListeners: [],
      close() {
        w.destroyed = true;
        for (const l of w.closedListeners) l();
      },
      port: {
        isDestroyed: () => w.destroyed,
        isMinimized: () => {
          if (w.destroyed) throw new Error('Object has been destroyed');
          return w.minimized;
        },
        restore: () => {
          if (w.destroyed) throw new Error('Object has been destroyed');
          w.minimized = false;
          w.calls.push('restore');
        },
        show: () => {
          if (w.destroyed) throw new Error('Object has been destroyed');
          w.calls.push('show');
        },
        focus: () => {
          if (w.destroyed) throw new Error('Object has been destroyed');
          w.calls.push('focus');
        },
        send: (channel, payload) => {
          if (w.destroyed) throw new Error('Object has been destroyed');
          w.sent.push([channel, payload]);
        },
        onClosed: (l) => void w.closedListeners.push(l),
      },
    };
    made.push(w);
    return w.port;
  };
  return { made, create };
}

/** Electron's `app` for lifecycle.ts: events fired by the test. */
class FakeApp implements AppPort {
  handlers = new Map<string, ((...args: unknown[]) => void)[]>();
  quits = 0;
  exits: (number | undefined)[] = [];
  requestSingleInstanceLock() {
    return true;
  }
  on(event: string, l: (...args: never[]) => void) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), l as (...args: unknown[]) => void]);
  }
  fire(event: string, ...rest: unknown[]): boolean {
    let prevented = false;
    for (const h of this.handlers.get(event) ?? []) h({ preventDefault: () => void (prevented = true) }, ...rest);
    return prevented;
  }
  quit() {
    this.quits++;
  }
  exit(code?: number) {
    this.exits.push(code);
  }
}

const ALL_STATES: AppState[] = ['no-account', 'creating', 'locked', 'unlocking', 'running', 'restarting', 'error'];
const BUSY: AppState[] = ['creating', 'unlocking', 'restarting'];

// ───────────────────────────── the model ─────────────────────────────

describe('tray model', () => {
  test('objects damaged here that no remote could give again are in the state line, and its tooltip', () => {
    const check = { lastCheckedAt: 1, running: false, checked: 40, putRight: 0, givenToRemotes: 0, damaged: ['AAAA', 'BBBB'], damagedCount: 2 };
    const s = snap({ remotes: [remote(true)], cacheCheck: check });
    assert.equal(stateLine(s), 'Running, 1 of 1 remote connected; 2 objects damaged here');
    assert.equal(trayModel(s, defaultSettings()).tooltip, `Hypergolix: ${stateLine(s)}`);
    assert.equal(stateLine(snap({ cacheCheck: { ...check, damaged: ['AAAA'], damagedCount: 1 } })), 'Running, local only; 1 object damaged here');
    assert.equal(stateLine(snap({ cacheCheck: { ...check, damaged: [], damagedCount: 0 } })), 'Running, local only', 'sound: nothing said');
  });

  test('in every state the menu offers only what can be done there, and the status line is not clickable', () => {
    for (const state of ALL_STATES) {
      for (const identity of [true, false]) {
        for (const settings of [defaultSettings(), null]) {
          const s = snap({ state, message: state === 'error' ? 'boom' : null }, identity);
          const m = trayModel(s, settings);
          const where = `${state}, identity ${identity}, settings ${settings ? 'read' : 'unreadable'}`;
          assert.equal(m.icon, trayIcon(s), where);
          const status = item(m, 'status');
          assert.equal(status.enabled, false, `${where}: the state line is information`);
          assert.equal(status.label, stateLine(s), where);
          assert.equal(item(m, 'open').enabled, true, `${where}: the window can always be opened (it shows the progress or the error)`);
          assert.equal(item(m, 'quit').enabled, true, `${where}: Quit always works`);
          assert.equal(item(m, 'copy-fingerprint').enabled, identity, `${where}: a fingerprint to copy only when there is one`);
          assert.equal(item(m, 'embedded-server').enabled, settings !== null && !BUSY.includes(state), `${where}: no server switch while busy or without settings`);
          assert.equal(item(m, 'start-at-login').enabled, settings !== null, where);
          // Nothing the tray cannot carry out by itself (unlocking needs the password: the window).
          for (const i of m.menu) if (i.type !== 'separator' && i.id !== 'status') assert.doesNotMatch(i.label, /\b(un)?lock\b/i, `${where}: no ${i.label} item`);
        }
      }
    }
  });

  test('one unreachable remote: the tooltip and the state line say it is NOT reachable', () => {
    const one = trayModel(snap({ state: 'running', remotes: [remote(false)] }), defaultSettings());
    assert.equal(one.icon, 'offline');
    const line = item(one, 'status').label;
    assert.match(line, /^Offline/);
    // "Offline: the remote is reachable" contradicts itself.
    assert.doesNotMatch(line, /the remote is reachable/, `the state line reads "${line}"`);
    assert.match(line, /not reachable|unreachable|cannot be reached/, `the state line reads "${line}"`);
    assert.doesNotMatch(one.tooltip, /the remote is reachable/, `the tooltip reads "${one.tooltip}"`);

    const three = trayModel(snap({ state: 'running', remotes: [remote(false), remote(false, 7771), remote(false, 7772)] }), defaultSettings());
    assert.match(item(three, 'status').label, /none of 3 remotes is reachable/);
  });

  test('a long error is clipped to what Windows shows (127) and to the menu width, without cutting a character in half', () => {
    // A path with a character outside the BMP (an emoji or a CJK extension-B name) in an error message.
    const ch = '𠜎';
    assert.equal(ch.length, 2);
    // The tooltip "Hypergolix: Error: <message>" is cut to 126 units + "…": the pair at message index 106 straddles the cut.
    // The state line "Error: <message>" is cut to 79 units + "…": the pair at message index 71 straddles it.
    const broken: string[] = [];
    for (const [message, cut] of [
      [`${'x'.repeat(106)}${ch}${'y'.repeat(50)}`, 'tooltip'],
      [`${'x'.repeat(71)}${ch}${'y'.repeat(200)}`, 'state line'],
    ] as const) {
      const m = trayModel(snap({ state: 'error', message }), defaultSettings());
      const label = item(m, 'status').label;
      assert.ok(m.tooltip.length <= 127, 'Windows keeps 127 UTF-16 units');
      assert.ok(label.length <= 80);
      assert.ok(m.tooltip.endsWith('…') && label.endsWith('…'));
      const text = cut === 'tooltip' ? m.tooltip : label;
      if (loneSurrogate(text)) broken.push(`the ${cut} ends in half a character: ${JSON.stringify(text.slice(-3))}`);
    }
    assert.deepEqual(broken, []);
  });

  test('the tooltip names the state, never the account (fingerprint or user id)', () => {
    for (const state of ALL_STATES) {
      const m = trayModel(snap({ state, remotes: [remote(true)] }), defaultSettings());
      for (const text of [m.tooltip, ...m.menu.flatMap((i) => (i.type === 'separator' ? [] : [i.label]))]) {
        assert.ok(!text.includes(FAKE_IDENTITY.fingerprint.slice(0, 16)), `${state}: ${text}`);
        assert.ok(!text.includes(FAKE_IDENTITY.userId.slice(0, 16)), `${state}: ${text}`);
      }
    }
  });
});

// ───────────────────────────── setupTray ─────────────────────────────

describe('setupTray', () => {
  test('icon, tooltip and state line follow every state change, none left stale', () => {
    const host = new ScriptedHost(snap({ state: 'no-account' }, false));
    const tray = new OsTray();
    setupTray({ tray, host, assetsDir: '/a', platform: 'linux', darkPanel: () => false, actions: recordingActions([]) });
    const steps: Snapshot[] = [
      snap({ state: 'creating' }, false),
      snap({ state: 'running', remotes: [remote(true)] }),
      snap({ state: 'running', remotes: [remote(false)] }),
      snap({ state: 'restarting' }),
      snap({ state: 'running', remotes: [remote(true), remote(true, 7771)] }),
      snap({ state: 'locked' }),
      snap({ state: 'unlocking' }),
      snap({ state: 'error', message: 'The IPC port is in use' }),
      snap({ state: 'locked' }),
    ];
    for (const s of steps) {
      host.set(s);
      const want = trayModel(s, host.config);
      assert.equal(tray.tooltips.at(-1), want.tooltip, s.status.state);
      assert.ok(tray.images.at(-1)!.endsWith(`/tray-${want.icon}-light-24.png`), `${s.status.state}: ${tray.images.at(-1)}`);
      assert.deepEqual(tray.menus.at(-1), want.menu, s.status.state);
    }
    // The creating → running step gave a fingerprint: "Copy fingerprint" became possible.
    assert.equal(itemOf(tray.menus.at(-1)!, 'copy-fingerprint').enabled, true);
  });

  test('the menu and a left click open the one window (focused, not a second one)', () => {
    const { made, create } = windowFactory();
    const wm = setupWindow(create);
    const host = new ScriptedHost(snap({ state: 'locked' }));
    const tray = new OsTray();
    setupTray({ tray, host, assetsDir: '/a', platform: 'win32', darkPanel: () => false, actions: recordingActions([], () => wm.open()) });
    assert.equal(tray.pick('open'), true);
    tray.leftClick!();
    tray.pick('open');
    assert.equal(made.length, 1, 'one window');
    assert.deepEqual(made[0]!.calls, ['show', 'focus', 'show', 'focus', 'show', 'focus']);
    made[0]!.close();
    tray.pick('open');
    assert.equal(made.length, 2, 'closed: a new one');
  });

  test('a switch the controller refuses (it answers { ok: false }, it does not throw) is shown as it is, with a warning', async () => {
    // A real controller: hypergolix.yml has the server's port equal to the app connection port,
    // harmless while the server is off; switching it on is refused by the settings checks.
    const home = tempHome('hgx-tray-switch-');
    writeFileSync(join(home, 'hypergolix.yml'), 'process:\n  ipc_port: 7772\nserver:\n  port: 7772\n');
    const h = await harness(home);
    const c = h.controller;
    let pending: Promise<unknown> = Promise.resolve();
    const host: TrayHost = {
      snapshot: () => c.snapshot(),
      settings: () => c.settings(),
      subscribe: (l) => c.subscribe(l),
      setEmbeddedServer: (on) => (pending = c.setEmbeddedServer(on)),
      setStartAtLogin: (on) => (pending = c.setStartAtLogin(on)),
      tryRemotes: () => c.tryRemotes(),
      logDir: () => c.logDir(),
    };
    const tray = new OsTray();
    const warnings: string[] = [];
    const handle = setupTray({ tray, host, assetsDir: '/a', platform: 'linux', darkPanel: () => false, warn: (m) => warnings.push(m), actions: recordingActions([]) });
    assert.equal(tray.shownChecked.get('embedded-server'), false);

    assert.equal(tray.pick('embedded-server'), true, 'offered');
    assert.equal(tray.shownChecked.get('embedded-server'), true, 'the OS ticked it as it was clicked');
    const answer = (await pending) as { ok: boolean };
    await c.settled();
    await new Promise((r) => setImmediate(r));
    assert.equal(answer.ok, false, 'the controller refused the save');
    assert.equal(c.settings()!.server.enabled, false, 'the server stays off');
    assert.equal(tray.shownChecked.get('embedded-server'), false, 'the menu must not go on showing "Embedded server" ticked while it is off');
    assert.match(warnings.join('\n'), /Embedded server/, 'and the failure is logged');
    handle.dispose();
  });

  test('a broken hypergolix.yml (error state): "Open logs folder" opens the folder the desktop log is in, or is not offered', async () => {
    const home = tempHome('hgx-tray-logs-');
    writeFileSync(join(home, 'hypergolix.yml'), 'process:\n  ipc_port: [unclosed\n');
    const h = await harness(home);
    const c = h.controller;
    assert.equal(c.status().state, 'error');
    const calls: string[] = [];
    const tray = new OsTray();
    const handle = setupTray({ tray, host: c, assetsDir: '/a', platform: 'linux', darkPanel: () => false, actions: recordingActions(calls) });
    assert.match(tray.tooltips.at(-1)!, /Error: hypergolix\.yml cannot be used/);
    const offered = tray.pick('open-logs');
    if (offered) assert.equal(calls.filter((x) => x.startsWith('folder:')).length, 1, `"Open logs folder" is enabled in the error state but does nothing (logDir() is ${c.logDir()})`);
    handle.dispose();
  });

  test('after dispose (Quit), a theme change does not touch the destroyed tray', () => {
    const host = new ScriptedHost(snap({ state: 'running' }));
    const tray = new OsTray();
    let dark = false;
    const handle = setupTray({ tray, host, assetsDir: '/a', platform: 'win32', darkPanel: () => dark, actions: recordingActions([]) });
    handle.dispose();
    assert.equal(tray.destroyed, true);
    assert.equal(host.listeners.size, 0, 'no longer follows the controller');
    host.set(snap({ state: 'locked' }));

    // main.ts: nativeTheme.on('updated', () => tray.refresh()) is never removed.
    dark = true;
    assert.doesNotThrow(() => handle.refresh(), 'a theme change during or after Quit must not throw "Tray is destroyed" in the main process');
    assert.equal(tray.images.length, 1, 'nothing drawn after dispose');
  });

  test('a click that arrives after the state changed under an open menu does nothing impossible and never throws', () => {
    const host = new ScriptedHost(snap({ state: 'running' }));
    const calls: string[] = [];
    const tray = new OsTray();
    setupTray({ tray, host, assetsDir: '/a', platform: 'linux', darkPanel: () => false, actions: recordingActions(calls) });
    const menuAsOpened = tray.menus.at(-1)!;
    // The account is gone (a new hypergolix.yml without one) while the menu is open; no event redraws it yet.
    host.current = snap({ state: 'no-account' }, false);
    assert.equal(itemOf(menuAsOpened, 'copy-fingerprint').enabled, true);
    assert.doesNotThrow(() => tray.pick('copy-fingerprint'));
    assert.deepEqual(calls, [], 'no fingerprint copied: there is none any more');
  });
});

// ───────────────────────────── the window ─────────────────────────────

describe('window', () => {
  test('open() on a minimized window restores it, then shows and focuses it; never a second window', () => {
    const { made, create } = windowFactory();
    const wm = setupWindow(create);
    assert.equal(wm.current(), null, 'nothing until asked');
    wm.open();
    made[0]!.minimized = true;
    wm.open();
    assert.deepEqual(made[0]!.calls, ['show', 'focus', 'restore', 'show', 'focus']);
    assert.equal(made.length, 1);
    assert.equal(wm.current(), made[0]!.port);
  });

  test('opened and closed 200 times: one closed listener per window, old windows never touched again', () => {
    const { made, create } = windowFactory();
    const wm = setupWindow(create);
    for (let i = 0; i < 200; i++) {
      wm.open();
      wm.open();
      wm.send(IPC_CHANNELS.event, i);
      made.at(-1)!.close();
      assert.equal(wm.current(), null, `cycle ${i}`);
      wm.send(IPC_CHANNELS.event, -1);
    }
    assert.equal(made.length, 200);
    for (const w of made) {
      assert.equal(w.closedListeners.length, 1, `window ${w.id}: one listener, not one per open()`);
      assert.deepEqual(w.calls, ['show', 'focus', 'show', 'focus'], `window ${w.id}`);
      assert.deepEqual(w.sent, [[IPC_CHANNELS.event, w.id]], `window ${w.id}: nothing after it closed`);
    }
  });

  test('a window destroyed before its closed event: nothing sent to it, open() makes a new one, the late event keeps the new one', () => {
    const { made, create } = windowFactory();
    const wm = setupWindow(create);
    wm.open();
    const old = made[0]!;
    old.destroyed = true; // e.g. the renderer kept crashing: w.destroy(), 'closed' still to come
    assert.doesNotThrow(() => wm.send(IPC_CHANNELS.event, 'late'));
    assert.equal(wm.current(), null);
    wm.open();
    assert.equal(made.length, 2);
    for (const l of old.closedListeners) l();
    assert.equal(wm.current(), made[1]!.port, 'the old window closing does not forget the new one');
    wm.open();
    assert.equal(made.length, 2);
    assert.deepEqual(old.sent, []);
  });

  test('a window closed during a request: its answer and events do not reach it, and a new window gets the next events', async () => {
    const { made, create } = windowFactory();
    const wm = setupWindow(create);
    let handler: Parameters<IpcMainPort['handle']>[1] | null = null;
    const ipcMain: IpcMainPort = { handle: (_c, h) => void (handler = h), removeHandler: () => {} };
    const listeners = new Set<(ev: HostEvent) => void>();
    let finish!: () => void;
    const host: HostPort = {
      request: (async () => {
        await new Promise<void>((r) => (finish = r));
        const status = snap({ state: 'locked' }).status;
        for (const l of listeners) l({ kind: 'status', status });
        return { ok: true, value: {} };
      }) as HostPort['request'],
      subscribe: (l) => (listeners.add(l), () => void listeners.delete(l)),
    };
    const stop = setupIpc(ipcMain, host, (channel, ev) => wm.send(channel, ev));
    wm.open();
    const asked = handler!({ senderFrame: { url: APP_URL } }, { kind: 'lock' });
    made[0]!.close();
    finish();
    assert.deepEqual(await asked, { ok: true, value: {} }, 'the request ends normally');
    assert.deepEqual(made[0]!.sent, [], 'nothing sent to the closed window');
    wm.open();
    for (const l of listeners) l({ kind: 'restartProgress', phase: 'done' });
    assert.deepEqual(made[1]!.sent, [[IPC_CHANNELS.event, { kind: 'restartProgress', phase: 'done' }]]);
    stop();
  });

  test('a page that keeps crashing closes its window, and the tray can still open a new one', () => {
    const { made, create } = windowFactory();
    // As electron-window.ts does: each window its own policy; reload, or destroy (then `closed`).
    const policies = new Map<number, RendererCrashPolicy>();
    let now = 0;
    const wm = setupWindow(() => {
      const port = create();
      policies.set(made.length - 1, new RendererCrashPolicy({ now: () => now }));
      return port;
    });
    const crash = (w: FakeWin, reason: RendererGoneReason) => {
      const action = policies.get(w.id)!.decide(reason);
      if (action === 'reload') w.calls.push('reload');
      else if (action === 'close') w.close();
      return action;
    };
    wm.open();
    const first = made[0]!;
    assert.deepEqual([crash(first, 'crashed'), crash(first, 'crashed'), crash(first, 'oom'), crash(first, 'crashed')], ['reload', 'reload', 'reload', 'close']);
    assert.equal(wm.current(), null, 'the crashed window is gone');
    const host = new ScriptedHost(snap({ state: 'running' }));
    const tray = new OsTray();
    setupTray({ tray, host, assetsDir: '/a', platform: 'linux', darkPanel: () => false, actions: recordingActions([], () => wm.open()) });
    assert.equal(tray.pick('open'), true);
    assert.equal(made.length, 2, 'a new window');
    assert.equal(crash(made[1]!, 'crashed'), 'reload', 'with its own crash budget');
    assert.equal(crash(made[1]!, 'clean-exit'), 'ignore', 'a clean exit is no crash');
    now += 61_000;
    assert.deepEqual([crash(made[1]!, 'killed'), crash(made[1]!, 'crashed'), crash(made[1]!, 'crashed')], ['reload', 'reload', 'reload'], 'a quiet minute later the budget is back');
    assert.equal(made[1]!.destroyed, false);
  });

  test('after Quit, nothing opens the window again (a dock click, a second launch)', async () => {
    // Wired as main.ts wires it: lifecycle and single instance call windows.open().
    const { made, create } = windowFactory();
    const wm = setupWindow(create);
    const app = new FakeApp();
    let release!: () => void;
    const stopping = new Promise<void>((r) => (release = r));
    setupSingleInstance(app, () => wm.open());
    const lc = setupLifecycle(app, { stop: () => stopping, openWindow: () => wm.open(), warn: () => {} });
    wm.open();
    made[0]!.close(); // the user closed the window, then chose Quit in the tray
    try {
      assert.equal(app.fire('before-quit'), true, 'the quit waits for the clean stop');
      assert.equal(lc.quitting(), true);
      app.fire('activate'); // macOS: a click on the dock icon while the daemon stops
      const byDock = made.length - 1;
      made.filter((w) => !w.destroyed).forEach((w) => w.close());
      app.fire('second-instance', ['/opt/Hypergolix/hypergolix']); // the user starts Hypergolix again
      const byLaunch = made.length - 1 - byDock;
      assert.deepEqual({ byDock, byLaunch }, { byDock: 0, byLaunch: 0 }, 'windows made after Quit began (their IPC bridge is being torn down)');
    } finally {
      release();
      await new Promise((r) => setImmediate(r));
    }
  });
});
