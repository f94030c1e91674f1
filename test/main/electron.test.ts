/**
 * The real Electron app, driven by Playwright's _electron, in the order issue #19 lists: launch
 * isolation; the hgx:// page without a CSP violation; a broken config; single instance with and
 * without --hidden; the lockdown; the tray; a notification click after a forced GC; the vault
 * with --password-store=basic; the quit paths; login items; a smoke start of each packaged build.
 * Each app runs from the project root (not a file) with its own --user-data-dir and home. These
 * need an Electron binary that can start (and a display); where there is none they are skipped
 * with the reason.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ElectronApplication, Page } from 'playwright';
import { findElectron } from '../../scripts/start.mjs';
import type { Snapshot } from '../../src/common/contract.js';
import type { TrayModel } from '../../src/main/tray-model.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'dist/main/main.js');
const electron = findElectron();
const reason = !electron.ok ? `no usable Electron binary: ${electron.reason}` : !existsSync(MAIN) ? 'dist/main/main.js is not built (npm run build)' : null;
const skip = reason ?? false;

interface Hooks {
  tray(): TrayModel;
  state(): string;
  snapshot(): Snapshot;
  heldNotifications(): number;
  notify(title: string): void;
  clickNotifications(): void;
  setStartAtLogin(on: boolean): Promise<unknown>;
}
type Hooked = { __hypergolix: Hooks };

const temps: string[] = [];
const apps: ElectronApplication[] = [];
after(async () => {
  for (const a of apps) await a.close().catch(() => {});
  temps.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

interface Launched {
  app: ElectronApplication;
  home: string;
  userData: string;
  env: Record<string, string>;
}

/** A fresh home (HYPERGOLIX_HOME, XDG_CONFIG_HOME) and profile; `prepare` may write files into the home first. */
async function launch(o: { args?: string[]; prepare?: (home: string) => void; executable?: string; appArgs?: string[] } = {}): Promise<Launched> {
  const home = mkdtempSync(join(tmpdir(), 'hgx-electron-'));
  temps.push(home);
  const userData = join(home, 'electron-user-data');
  o.prepare?.(home);
  const env = { ...(process.env as Record<string, string>), HYPERGOLIX_HOME: home, XDG_CONFIG_HOME: join(home, 'xdg'), HYPERGOLIX_TEST_HOOKS: '1' };
  const { _electron } = await import('playwright');
  const app = await _electron.launch({
    executablePath: o.executable ?? (electron.ok ? electron.path : undefined),
    args: [...(o.appArgs ?? [ROOT]), `--user-data-dir=${userData}`, ...(o.args ?? [])],
    cwd: home,
    env,
  });
  apps.push(app);
  return { app, home, userData, env };
}

/** Calls one of main.ts's test hooks (HYPERGOLIX_TEST_HOOKS=1) in the main process. */
const call = <K extends keyof Hooks>(app: ElectronApplication, method: K, ...args: Parameters<Hooks[K]>) =>
  app.evaluate(
    (_electron, [m, a]) => ((globalThis as unknown as Hooked).__hypergolix[m as K] as (...x: unknown[]) => unknown)(...(a as unknown[])),
    [method, args] as const,
  ) as Promise<Awaited<ReturnType<Hooks[K]>>>;

/** The items registered with the session's StatusNotifierWatcher, or null without one. */
function registeredTrayItems(): string | null {
  const r = spawnSync(
    'gdbus',
    ['call', '--session', '--dest', 'org.kde.StatusNotifierWatcher', '--object-path', '/StatusNotifierWatcher', '--method', 'org.freedesktop.DBus.Properties.Get', 'org.kde.StatusNotifierWatcher', 'RegisteredStatusNotifierItems'],
    { encoding: 'utf8', timeout: 5000 },
  );
  return r.status === 0 ? r.stdout : null;
}

/** Polls `check` (bounded) until it holds. */
async function until(check: () => Promise<boolean> | boolean, what: string, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`never happened: ${what}`);
}

const exitOf = (app: ElectronApplication) => new Promise<number | null>((r) => app.process().once('exit', (code) => r(code)));

describe('the Electron app', { skip, timeout: 600_000 }, () => {
  test('launch isolation: the project root with its own profile, named by package.json', async () => {
    const { app, userData } = await launch();
    const [name, data] = await app.evaluate(({ app: a }) => [a.getName(), a.getPath('userData')]);
    assert.equal(name, 'hypergolix', 'package.json was read (not "Electron")');
    assert.equal(data, userData, 'no shared ~/.config/Electron, no lock shared with an installed app');
    await app.close();
  });

  test('the window: hgx://app with the first-run wizard, and no CSP violation on load', async () => {
    const { app } = await launch();
    const page: Page = await app.firstWindow();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.reload();
    await page.getByRole('heading', { name: 'Create your Hypergolix account' }).waitFor();
    assert.match(page.url(), /^hgx:\/\/app\//);
    assert.equal(await page.title(), 'Hypergolix');
    assert.deepEqual(violations, []);
    await app.close();
  });

  test('a broken hypergolix.yml gives the error view, never a live windowless process', async () => {
    const { app } = await launch({ prepare: (home) => writeFileSync(join(home, 'hypergolix.yml'), 'process:\n  ipc_port: [unclosed\n') });
    const exited = exitOf(app);
    const outcome = await Promise.race([exited.then(() => 'exited' as const), app.firstWindow().then(() => 'window' as const)]);
    if (outcome === 'window') {
      const page = await app.firstWindow();
      await page.getByText(/hypergolix\.yml/).first().waitFor();
      assert.equal(await call(app, 'state'), 'error');
      await app.close();
    }
  });

  test('single instance: a second launch exits; with --hidden it leaves the window closed, without it brings it back', async () => {
    const first = await launch();
    await first.app.firstWindow();
    await first.app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().forEach((w) => w.isVisible() && w.close()));
    const visible = () => first.app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().filter((w) => w.isVisible()).length);
    await until(async () => (await visible()) === 0, 'the window closed');
    const second = (extra: string[]) =>
      spawnSync(electron.ok ? electron.path : '', [ROOT, `--user-data-dir=${first.userData}`, ...extra], { env: first.env, timeout: 60_000 });
    assert.equal(second(['--hidden']).status, 0, 'the second process leaves');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await visible(), 0, 'a duplicate login start opens nothing');
    assert.equal(second([]).status, 0);
    await until(async () => (await visible()) === 1, 'the first instance shows its window');
    await first.app.close();
  });

  test('lockdown: sandboxed, isolated, no Node; navigation and new windows refused', async () => {
    const { app } = await launch();
    const page = await app.firstWindow();
    const seen = await page.evaluate(() => {
      const g = globalThis as Record<string, unknown>;
      return { process: typeof g.process, require: typeof g.require, ipcRenderer: typeof g.ipcRenderer, bridge: Object.keys((g.hypergolix ?? {}) as object).sort() };
    });
    assert.deepEqual(seen, { process: 'undefined', require: 'undefined', ipcRenderer: 'undefined', bridge: ['request', 'subscribe'] });
    await page.evaluate(() => {
      (globalThis as unknown as { location: { href: string } }).location.href = 'https://example.org/';
    });
    await page.waitForLoadState();
    assert.match(page.url(), /^hgx:\/\/app\//, 'navigation away was refused');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { open(u: string): unknown }).open('https://example.org/') === null), true);
    assert.equal(app.windows().length, 1);
    await app.close();
  });

  test('tray: the model follows the state; on Linux the item is registered with the StatusNotifierWatcher', async (t) => {
    const { app } = await launch();
    await app.firstWindow();
    const model = await call(app, 'tray');
    assert.equal(model.icon, 'no-account');
    assert.match(model.tooltip, /No account yet/);
    if (process.platform !== 'linux') return;
    if (registeredTrayItems() === null) {
      t.skip('no StatusNotifierWatcher on this session bus (plain GNOME): see the no-tray policy');
      await app.close();
      return;
    }
    // Chromium registers its item as org.kde.StatusNotifierItem-<pid>-<n>.
    const pid = app.process().pid;
    await until(() => (registeredTrayItems() ?? '').includes(`-${pid}-`), 'the tray item registered');
    await app.close();
  });

  test('a notification click still opens the window after a forced GC', async () => {
    const { app } = await launch({ args: ['--js-flags=--expose-gc'] });
    await app.firstWindow();
    await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().forEach((w) => w.isVisible() && w.close()));
    await call(app, 'notify', 'GC test');
    await app.evaluate(() => (globalThis as unknown as { gc(): void }).gc());
    assert.equal(await call(app, 'heldNotifications'), 1, 'still referenced after GC');
    await call(app, 'clickNotifications');
    await until(async () => (await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().some((w) => w.isVisible()))) === true, 'the window opened');
    await app.close();
  });

  test('vault: with --password-store=basic "unlock automatically" is not offered', async () => {
    const { app } = await launch({ args: ['--password-store=basic'] });
    await app.firstWindow();
    assert.equal((await call(app, 'snapshot')).canRememberPassword, false);
    await app.close();
  });

  test('quit paths: closing the window keeps the app; app.quit() exits 0 and leaves no pid file', async () => {
    const { app, home } = await launch();
    await app.firstWindow();
    await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().forEach((w) => w.isVisible() && w.close()));
    assert.equal(await call(app, 'state'), 'no-account', 'still running in the tray');
    const exited = exitOf(app);
    await app.evaluate(({ app: a }) => a.quit());
    assert.equal(await exited, 0);
    assert.equal(existsSync(join(home, 'hypergolix.pid')), false);
  });

  test('quit paths: SIGTERM stops cleanly', async () => {
    const { app } = await launch();
    await app.firstWindow();
    const exited = exitOf(app);
    app.process().kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  test('quit paths: a quit during start-up exits promptly', async () => {
    const { app } = await launch();
    const exited = exitOf(app);
    await app.evaluate(({ app: a }) => a.quit()).catch(() => {});
    assert.equal(await exited, 0);
  });

  test('login items: the switch writes an autostart entry that starts this app with --hidden (Linux)', { skip: process.platform !== 'linux' && 'the XDG autostart entry is Linux only' }, async () => {
    const { app, home } = await launch();
    await app.firstWindow();
    await call(app, 'setStartAtLogin', true);
    const entry = join(home, 'xdg', 'autostart', 'hypergolix.desktop');
    await until(() => existsSync(entry), 'the autostart entry');
    const exec = /^Exec=(.*)$/m.exec(readFileSync(entry, 'utf8'))?.[1] ?? '';
    assert.match(exec, /--hidden/);
    assert.doesNotMatch(exec, /main\.js/, 'the project root, not a file');
    await call(app, 'setStartAtLogin', false);
    await until(() => !existsSync(entry), 'the entry removed');
    await app.close();
  });

  const unpacked = join(ROOT, 'release', 'linux-unpacked', 'hypergolix');
  test('packaged: the Linux unpacked build starts and quits', { skip: !existsSync(unpacked) && 'no packaged build in release/ (npm run package -- --dir)' }, async () => {
    const { app } = await launch({ executable: unpacked, appArgs: [] });
    await app.firstWindow();
    assert.equal(await app.evaluate(({ app: a }) => a.getName()), 'Hypergolix', 'productName from the packaged package.json');
    const exited = exitOf(app);
    await app.evaluate(({ app: a }) => a.quit());
    assert.equal(await exited, 0);
  });
});
