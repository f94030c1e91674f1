/**
 * Reusable helpers for driving the real UI in the system Chromium: launch, serve, open, and
 * page objects for each screen. They talk only to the page and to a HostPort, so the same
 * helpers drive the UI over the fake host here and over a real daemon in integration tests.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright';
import type { HostPort } from '../../src/common/contract.js';
import { startBridgeServer, type BridgeServer } from '../../src/web/bridge-server.js';

export const ROOT = resolve(import.meta.dirname, '../..');
/** The built UI; HGX_UI_DIR points the tests at another build (say, of an older tree, to see a new test fail there). */
export const STATIC_DIR = process.env.HGX_UI_DIR ? resolve(process.env.HGX_UI_DIR) : join(ROOT, 'dist/renderer');
/** Where screenshots go: test-artifacts/ui, or HGX_SHOTS_DIR (scripts/screenshots.mjs points it into docs/). */
export const ARTIFACTS = process.env.HGX_SHOTS_DIR ? resolve(process.env.HGX_SHOTS_DIR) : join(ROOT, 'test-artifacts/ui');
export const CHROMIUM = process.env.HGX_CHROMIUM ?? '/usr/bin/chromium';

export const SIZES = { desktop: { width: 1024, height: 700 }, small: { width: 360, height: 520 } } as const;
export type SizeName = keyof typeof SIZES;

/** Why the UI tests cannot run here, or null when they can. */
export function skipReason(): string | null {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set HGX_CHROMIUM)`;
  return null;
}

/** Builds dist/ when the UI bundle is missing (npm test builds first; a lone test run may not). */
export function ensureBuilt(): void {
  if (existsSync(join(STATIC_DIR, 'app.js')) && existsSync(join(STATIC_DIR, 'index.html'))) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
}

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

const UI_FILES = ['index.html', 'app.js', 'style.css'];
let snapshot: string | null = null;

/**
 * A private copy of the built UI. scripts/build.mjs empties dist/ before it writes, and other
 * test files rebuild when their bundle looks stale, so serving dist/ directly can 404 mid-test.
 */
function uiSnapshot(): string {
  if (snapshot) return snapshot;
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'hgx-ui-'));
  for (let attempt = 0; ; attempt++) {
    cpSync(STATIC_DIR, dir, { recursive: true });
    if (UI_FILES.every((f) => existsSync(join(dir, f)))) break;
    if (attempt === 20) throw new Error(`the built UI in ${STATIC_DIR} is incomplete`);
    execFileSync('sleep', ['0.5']);
  }
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  snapshot = dir;
  return dir;
}

export async function serveUi(host: HostPort): Promise<BridgeServer> {
  return startBridgeServer({ host, staticDir: uiSnapshot() });
}

export interface OpenUi {
  page: Page;
  context: BrowserContext;
  /** Console errors and CSP violations seen so far: a healthy page has none. */
  problems: string[];
  close(): Promise<void>;
}

/** Opens the UI at `url` in a fresh context (own cookies, clipboard allowed). */
export async function openUi(browser: Browser, url: string, size: SizeName = 'desktop', colorScheme: 'light' | 'dark' = 'light'): Promise<OpenUi> {
  const context = await browser.newContext({ viewport: SIZES[size], colorScheme });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(url);
  return { page, context, problems, close: () => context.close() };
}

/**
 * A suite's browser, bridge servers and pages, closed together by `end()` (its `after` hook).
 * node:test runs that hook when the suite times out, while its tests go on running: anything they
 * open afterwards is closed at once and their next step fails, since a bridge server left
 * listening would keep the test file's process, and so the whole run, alive for ever. Each part
 * is closed even when another fails (a context's close() throws once the browser is gone).
 */
export class UiSuite {
  #browser: Browser | null = null;
  #closers: (() => Promise<unknown>)[] = [];
  #ended = false;

  async launch(): Promise<void> {
    this.#browser = await this.#keep(await launchBrowser(), (b) => b.close());
  }

  get browser(): Browser {
    if (!this.#browser) throw new Error('the suite has no browser: call launch() in before()');
    return this.#browser;
  }

  /** A bridge server for `host`, serving the built UI. */
  async serve(host: HostPort): Promise<BridgeServer> {
    return this.#keep(await serveUi(host), (s) => s.close());
  }

  /** The UI at `url` in a fresh context of the suite's browser. */
  async open(url: string, size: SizeName = 'desktop', colorScheme: 'light' | 'dark' = 'light'): Promise<OpenUi> {
    return this.#keep(await openUi(this.browser, url, size, colorScheme), (ui) => ui.close());
  }

  async end(): Promise<void> {
    this.#ended = true;
    const closers = this.#closers.splice(0).reverse();
    // Pages and servers first (in parallel), the browser (the first thing kept) last.
    const browser = this.#browser ? closers.pop() : undefined;
    await Promise.allSettled(closers.map((close) => close()));
    await browser?.().catch(() => {});
  }

  async #keep<T>(thing: T, close: (thing: T) => Promise<unknown>): Promise<T> {
    if (this.#ended) {
      await close(thing).catch(() => {});
      throw new Error('the suite has ended (it timed out): nothing more is opened');
    }
    this.#closers.push(() => close(thing));
    return thing;
  }
}

// What page.evaluate callbacks use of the browser; declared here because the Node tsconfig has no DOM lib.
interface BrowserGlobals {
  navigator: { clipboard: { readText(): Promise<string> } };
  document: { activeElement: { id: string } | null };
}

/** The page's clipboard text (the context must have clipboard-read permission, as openUi grants). */
export function readClipboard(page: Page): Promise<string> {
  return page.evaluate(() => (globalThis as unknown as BrowserGlobals).navigator.clipboard.readText());
}

/**
 * Waits until an input shows `want`, then returns it; after the wait, the value it last showed.
 * For a value set by React after an await (a form emptied once a request is done), which may
 * land a render after the feedback the test waited for.
 */
export async function waitForValue(input: Locator, want: string, timeoutMs = 10_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await input.inputValue();
    if (value === want || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until the element with this id has the focus. */
export async function waitForFocus(page: Page, id: string): Promise<void> {
  await page.waitForFunction((want) => (globalThis as unknown as BrowserGlobals).document.activeElement?.id === want, id);
}

/**
 * What sticks out of the window as it is now: a page wider than the window (the user would
 * scroll sideways), a part of the sidebar (a tab, the state pill, Lock) outside it or outside
 * the window, or a button whose words do not fit in it. Empty when everything fits.
 */
export function layoutFaults(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    interface Box { left: number; right: number }
    interface El { getBoundingClientRect(): Box; textContent: string | null; getAttribute(n: string): string | null; querySelectorAll(q: string): ArrayLike<El>; checkVisibility?(): boolean; scrollWidth: number; clientWidth: number }
    const { document, innerWidth } = globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number }; querySelector(q: string): El | null; querySelectorAll(q: string): ArrayLike<El> }; innerWidth: number };
    const faults: string[] = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth + 1) faults.push(`the page is ${root.scrollWidth} px wide in a window of ${root.clientWidth} px`);
    const sidebar = document.querySelector('.sidebar');
    if (sidebar) {
      const bar = sidebar.getBoundingClientRect();
      for (const el of Array.from(sidebar.querySelectorAll('button, .pill, .brand'))) {
        if (el.checkVisibility && !el.checkVisibility()) continue;
        const box = el.getBoundingClientRect();
        if (box.right === box.left) continue;
        const what = (el.textContent ?? '').trim() || el.getAttribute('aria-label') || el.getAttribute('title') || 'an element';
        if (box.left < bar.left - 1 || box.right > bar.right + 1) faults.push(`"${what}" (${Math.round(box.left)}–${Math.round(box.right)} px) sticks out of the sidebar (${Math.round(bar.left)}–${Math.round(bar.right)} px)`);
        else if (box.right > innerWidth + 1) faults.push(`"${what}" ends at ${Math.round(box.right)} px, past the window's ${innerWidth} px`);
      }
    }
    // A button too narrow for its words cuts them off (its text runs past both edges).
    for (const button of Array.from(document.querySelectorAll('button'))) {
      if (button.checkVisibility && !button.checkVisibility()) continue;
      if (button.scrollWidth > button.clientWidth + 1) faults.push(`the button "${(button.textContent ?? '').trim()}" is ${button.clientWidth} px wide for ${button.scrollWidth} px of content`);
    }
    return faults;
  });
}

/** Saves the window as a PNG, after checking that nothing in it sticks out (layoutFaults). */
export async function screenshot(page: Page, name: string, dir = ARTIFACTS): Promise<string> {
  assert.deepEqual(await layoutFaults(page), [], `${name}: the layout`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** Re-opens the same URL at another size and takes the same picture. */
export async function resizeShot(page: Page, size: SizeName, name: string): Promise<void> {
  await page.setViewportSize(SIZES[size]);
  await screenshot(page, `${name}-${size === 'desktop' ? '1024x700' : '360x520'}`);
}

// ── page objects ──

export const wizard = (page: Page) => ({
  async start() {
    await page.getByRole('button', { name: 'Get started' }).click();
  },
  async enterPassword(pw: string, again = pw) {
    await page.getByLabel('Password', { exact: true }).fill(pw);
    await page.getByLabel('Type it again').fill(again);
  },
  async acknowledge() {
    await page.getByLabel('I understand that a lost password cannot be recovered without a recovery kit').check();
  },
  createButton: () => page.getByRole('button', { name: 'Create account' }),
  strength: () => page.getByTestId('strength-label').innerText(),
  async waitForDone() {
    // Generous: a loaded machine (CI runs test files in parallel) can stretch creation.
    await page.getByRole('heading', { name: 'Your account is ready' }).waitFor({ timeout: 60_000 });
  },
  async ids() {
    // The result step carries the fingerprint's QR code too.
    await page.getByTestId('wizard-qr').getByLabel('QR code of your fingerprint').waitFor();
    return { fingerprint: await page.getByTestId('wizard-fingerprint').innerText(), userId: await page.getByTestId('wizard-userid').innerText() };
  },
  async finish() {
    await page.getByLabel('I have saved my fingerprint and user ID').check();
    await page.getByRole('button', { name: 'Continue' }).click();
  },
});

export const unlock = (page: Page) => ({
  field: () => page.getByLabel('Password', { exact: true }),
  async submit(pw: string, remember = false) {
    await this.field().fill(pw);
    if (remember) await page.getByLabel(/Unlock automatically/).check();
    await this.field().press('Enter');
  },
  error: () => page.getByTestId('unlock-error'),
});

/** Waits for the main window (after an unlock or a sign-in); on a timeout, fails with what the page shows instead. */
export async function mainWindow(page: Page, timeout = 30_000): Promise<void> {
  try {
    await page.getByRole('navigation', { name: 'Main' }).waitFor({ timeout });
  } catch (err) {
    const shown = await page.locator('body').innerText({ timeout: 1000 }).catch(() => '(the page could not be read)');
    throw new Error(`the main window did not show within ${timeout} ms; the page shows:\n${shown.slice(0, 2000)}`, { cause: err });
  }
}

export const shell = (page: Page) => ({
  async go(view: 'Status' | 'Shares' | 'Contacts' | 'Identity' | 'Settings') {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: view }).click();
  },
  state: () => page.getByTestId('state').innerText(),
});

export const settings = (page: Page) => ({
  async open() {
    await shell(page).go('Settings');
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  },
  async addRemote(host: string, port: number, tls: boolean) {
    await page.getByRole('button', { name: 'Add remote' }).click();
    const row = page.getByTestId('remotes').locator('li').last();
    await row.getByLabel('Host').fill(host);
    await row.getByLabel('Port').fill(String(port));
    if (tls) await row.getByLabel('TLS').check();
  },
  async setVerbosity(v: string) {
    await page.getByLabel('Log detail').selectOption(v);
  },
  saveButton: () => page.getByRole('button', { name: 'Save', exact: true }),
  status: () => page.getByTestId('save-status'),
  async save() {
    await this.saveButton().click();
  },
});

/**
 * Clicks `button` with the host held at its next progress step (FakeHost.holdProgress), so the
 * busy state is seen however loaded the machine (no race with a 300 ms step): `busy` shown and
 * disabled — `what` says why in the failure — and a second click on it taken nowhere. Then lets
 * the host go on.
 */
export async function clickWhileHeld(host: { holdProgress(): () => void }, button: Locator, busy: Locator, what: string): Promise<void> {
  const release = host.holdProgress();
  try {
    await button.click();
    await busy.waitFor();
    assert.equal(await busy.isDisabled(), true, what);
    await busy.click({ force: true }).catch(() => {});
  } finally {
    release();
  }
}

