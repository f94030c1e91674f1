/**
 * The real Electron app, driven by Playwright's _electron: launch, the window's lockdown, the
 * tray menu, single instance and a clean quit. These need an Electron binary that can start
 * (and a display); where there is none they are skipped with the reason.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ElectronApplication, Page } from 'playwright';
import { findElectron } from '../../scripts/start.mjs';
import type { TrayModel } from '../../src/main/tray-model.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'dist/main/main.js');
const electron = findElectron();
const reason = !electron.ok
  ? `no usable Electron binary: ${electron.reason}`
  : !existsSync(MAIN)
    ? 'dist/main/main.js is not built (npm run build)'
    : null;

interface Hooks {
  tray(): TrayModel;
  state(): string;
}

describe('the Electron app', { skip: reason ?? false, timeout: 120_000 }, () => {
  let app: ElectronApplication;
  let page: Page;
  let home: string;

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'hgx-electron-'));
    const { _electron } = await import('playwright');
    app = await _electron.launch({
      executablePath: electron.ok ? electron.path : undefined,
      args: [MAIN],
      cwd: home,
      env: { ...process.env, HYPERGOLIX_HOME: home, HYPERGOLIX_TEST_HOOKS: '1' },
    });
    page = await app.firstWindow();
  });

  after(async () => {
    await app?.close().catch(() => {});
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('launch: one window from hgx://app showing the first-run wizard', async () => {
    assert.match(page.url(), /^hgx:\/\/app\//);
    await page.getByRole('heading', { name: 'Create your Hypergolix account' }).waitFor();
    assert.equal(await page.title(), 'Hypergolix');
    assert.equal(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require), 'undefined', 'no Node in the page');
    assert.equal(await page.evaluate(() => typeof (globalThis as { hypergolix?: unknown }).hypergolix), 'object', 'the preload bridge is there');
  });

  test('window: sandboxed and isolated; navigation and new windows refused', async () => {
    // Sandboxed, isolated, no Node: the page sees neither process, require nor the preload's ipcRenderer.
    const seen = await page.evaluate(() => {
      const g = globalThis as Record<string, unknown>;
      return { process: typeof g.process, require: typeof g.require, ipcRenderer: typeof g.ipcRenderer, bridge: Object.keys((g.hypergolix ?? {}) as object).sort() };
    });
    assert.deepEqual(seen, { process: 'undefined', require: 'undefined', ipcRenderer: 'undefined', bridge: ['request', 'subscribe'] });
    await page.evaluate(() => {
      (globalThis as unknown as { location: { href: string } }).location.href = 'https://example.org/';
    });
    await page.waitForTimeout(300);
    assert.match(page.url(), /^hgx:\/\/app\//, 'navigation away was refused');
    const opened = await page.evaluate(() => (globalThis as unknown as { open(u: string): unknown }).open('https://example.org/') === null);
    assert.equal(opened, true, 'window.open was denied');
    assert.equal(app.windows().length, 1);
  });

  test('tray: icon, tooltip and menu follow the state', async () => {
    const model = await app.evaluate(() => (globalThis as unknown as { __hypergolix: Hooks }).__hypergolix.tray());
    assert.equal(model.icon, 'no-account');
    assert.match(model.tooltip, /No account yet/);
    const labels = model.menu.flatMap((i) => (i.type === 'separator' ? [] : [i.label]));
    for (const l of ['Open Hypergolix', 'Copy fingerprint', 'Embedded server', 'Start at login', 'Open logs folder', 'Quit']) assert.ok(labels.includes(l), l);
  });

  test('closing the window keeps the app in the tray; Quit stops it cleanly', async () => {
    await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.close());
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await app.evaluate(() => (globalThis as unknown as { __hypergolix: Hooks }).__hypergolix.state()), 'no-account', 'still running');
    const exited = new Promise((r) => app.process().once('exit', r));
    await app.evaluate(({ app: electronApp }) => electronApp.quit());
    assert.equal(await exited, 0);
    assert.equal(existsSync(join(home, 'hypergolix.pid')), false);
  });
});
