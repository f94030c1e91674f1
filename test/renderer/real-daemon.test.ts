/**
 * The real UI in Chromium against a REAL daemon: `hypergolix start app --ui` (browser mode) in a
 * throwaway home, the account created through the wizard (real keys, real KDF), the process
 * restarted and unlocked, settings saved into hypergolix.yml and the daemon restarted against a
 * real persistence server. Screenshots go to test-artifacts/ui-real/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright';
import WebSocket from 'ws';
import type { Settings } from '../../src/common/contract.js';
import { PersistenceServer } from '../../src/core/remote/server.js';
import { RulesEngine } from '../../src/core/rules/rules-engine.js';
import { MemoryStore } from '../../src/core/store/memory-store.js';
import { BIN, spawnBrowserMode, type BrowserModeProcess } from '../fixtures/ui/browser-mode.js';
import { ROOT, ensureBuilt, launchBrowser, mainWindow, openUi, screenshot, settings, shell, skipReason, unlock, wizard, type OpenUi } from './helpers.js';
import { freePort } from '../fixtures/free-port.js';

const SHOTS = join(ROOT, 'test-artifacts/ui-real');
const PASSWORD = 'velvet-harbor-quince-58';
const COMMENT = '# Written by the real-daemon UI test: this comment must survive every save.';

const reason = skipReason();


function whoami(home: string): { fingerprint: string; userId: string } {
  const out = execFileSync(process.execPath, [BIN, 'config', '--whoami'], { env: { ...process.env, HYPERGOLIX_HOME: home }, cwd: home, encoding: 'utf8' });
  const fingerprint = /Fingerprint:\s*(\S+)/.exec(out)?.[1];
  const userId = /User ID:\s*(\S+)/.exec(out)?.[1];
  assert.ok(fingerprint && userId, out);
  return { fingerprint, userId };
}

/** One request over the bridge's WebSocket, as the page would send it (same Origin, same token). */
async function bridgeRequest(url: string, request: unknown): Promise<{ ok: boolean; error?: { code: string; fields?: Record<string, string> } }> {
  const u = new URL(url);
  const ws = new WebSocket(`ws://${u.host}/bridge?token=${u.searchParams.get('token')}`, { origin: `http://${u.host}` });
  await new Promise((ok, bad) => {
    ws.once('open', ok);
    ws.once('error', bad);
  });
  try {
    ws.send(JSON.stringify({ id: 1, request }));
    // Bounded: a bridge that closes or never answers fails the test saying so (it once hung a CI run's file).
    const deadline = AbortSignal.timeout(30_000);
    for (;;) {
      const next = new Promise<WebSocket.RawData>((ok, bad) => {
        ws.once('message', ok);
        ws.once('close', (code) => bad(new Error(`the bridge closed (${code}) before answering ${JSON.stringify(request).slice(0, 60)}`)));
        deadline.addEventListener('abort', () => bad(new Error(`the bridge did not answer ${JSON.stringify(request).slice(0, 60)} within 30 s`)), { once: true });
      });
      const msg = JSON.parse(String(await next)) as { id?: number; response?: never };
      if (msg.id === 1) return msg.response!;
    }
  } finally {
    ws.close();
  }
}

describe('the desktop UI over browser mode with a real daemon', { skip: reason ?? false, timeout: 240_000 }, () => {
  let browser: Browser;
  let home: string;
  let yml: string;
  let proc: BrowserModeProcess | null = null;
  let ui: OpenUi | null = null;
  let engine: RulesEngine;
  let remote: PersistenceServer;
  let remotePort: number;
  let identity: { fingerprint: string; userId: string };

  before(async () => {
    ensureBuilt();
    browser = await launchBrowser();
    home = mkdtempSync(join(tmpdir(), 'hgx-ui-real-'));
    yml = join(home, 'hypergolix.yml');
    // A config written by hand before the first start: a comment, and an IPC port of its own so
    // this test never meets another daemon on 7772.
    writeFileSync(yml, `${COMMENT}\nprocess:\n  ipc_port: ${await freePort()}\n`, { mode: 0o600 });
    ({ engine } = await RulesEngine.open(new MemoryStore()));
    remote = new PersistenceServer({ engine, port: 0, host: '127.0.0.1' });
    remotePort = (await remote.listen()).port;
  });

  after(async () => {
    await ui?.close().catch(() => {});
    await proc?.stop().catch(() => {});
    await browser?.close().catch(() => {});
    await remote?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  async function launch(): Promise<OpenUi> {
    proc = await spawnBrowserMode(home);
    assert.match(proc.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/, 'one line: the URL with its token');
    ui = await openUi(browser, proc.url);
    return ui;
  }

  async function shutdown(): Promise<void> {
    await ui?.close();
    ui = null;
    const code = await proc!.stop('SIGTERM');
    assert.equal(code, 0, `a graceful stop; stderr:\n${proc!.stderr()}`);
    assert.equal(proc!.stdout().trim().split('\n').length, 1, 'stdout carried only the URL');
    assert.equal(existsSync(join(home, 'hypergolix.pid')), false, 'the pid file is released');
    proc = null;
  }

  test('first run: the wizard creates the account; fingerprint and user ID match config --whoami', async () => {
    const { page, problems } = await launch();
    const w = wizard(page);
    await page.getByRole('heading', { name: 'Create your Hypergolix account' }).waitFor();
    await screenshot(page, 'wizard-1-welcome', SHOTS);
    await w.start();
    await w.enterPassword(PASSWORD);
    await w.acknowledge();
    await screenshot(page, 'wizard-2-password', SHOTS);
    await w.createButton().click();
    // A real daemon may finish before the progress step is ever drawn: either heading will do.
    const creating = page.getByRole('heading', { name: 'Creating your account' });
    const ready = page.getByRole('heading', { name: 'Your account is ready' });
    await creating.or(ready).first().waitFor({ timeout: 60_000 });
    if (await creating.isVisible()) await screenshot(page, 'wizard-3-creating', SHOTS);
    await ready.waitFor({ timeout: 60_000 });
    identity = await w.ids();
    await screenshot(page, 'wizard-4-done', SHOTS);
    assert.deepEqual(whoami(home), identity, 'the UI shows what hypergolix.yml now says');
    await w.finish();
    await page.getByRole('heading', { name: 'Your identity' }).waitFor();
    assert.equal(await page.getByTestId('fingerprint').innerText(), identity.fingerprint);
    await screenshot(page, 'identity', SHOTS);
    await shell(page).go('Status');
    assert.equal(await shell(page).state(), 'Running');
    await screenshot(page, 'status-running-local', SHOTS);
    assert.match(readFileSync(yml, 'utf8'), new RegExp(`^${COMMENT}$`, 'm'), 'the hand-written comment survived account creation');
    assert.deepEqual(problems, []);
    await shutdown();
  });

  test('a restart asks for the password: a wrong one is refused, the right one unlocks', async () => {
    const { page, problems } = await launch();
    const u = unlock(page);
    await u.field().waitFor();
    await screenshot(page, 'unlock-1-prompt', SHOTS);
    assert.equal(await page.getByLabel(/Unlock automatically/).count(), 0, 'browser mode has no secure storage to offer');
    await u.submit('not-my-password-at-all');
    await u.error().waitFor({ timeout: 30_000 });
    assert.match(await u.error().innerText(), /password is not right/);
    await screenshot(page, 'unlock-2-wrong', SHOTS);
    await u.submit(PASSWORD);
    await mainWindow(page, 30_000);
    await page.getByTestId('state').waitFor();
    assert.equal(await shell(page).state(), 'Running');
    await screenshot(page, 'unlock-3-running', SHOTS);
    // The real daemon's files: not checked yet (that comes minutes after a start), then Check now.
    const summary = page.getByTestId('cache-check');
    assert.match((await summary.textContent())!, /^Not checked yet\./);
    await page.getByRole('button', { name: 'Check now' }).click();
    const words = page.getByTestId('cache-check-feedback').getByText(/^Checked [\d,]+ objects: all sound\.$/);
    await words.waitFor({ timeout: 30_000 });
    assert.match((await summary.textContent())!, /^Checked just now: [\d,]+ objects, all sound\.$/);
    assert.deepEqual(problems, []);
  });

  test('settings: add a remote and change verbosity; the YAML changes (comment kept) and the daemon restarts', async () => {
    const { page } = ui!;
    const s = settings(page);
    await s.open();
    await screenshot(page, 'settings-1-loaded', SHOTS);
    const before = readFileSync(yml, 'utf8');
    assert.doesNotMatch(before, new RegExp(`port: ${remotePort}`));
    await s.addRemote('127.0.0.1', remotePort, false);
    await s.setVerbosity('debug');
    await screenshot(page, 'settings-2-edited', SHOTS);
    await s.save();
    await page.getByText('Saved. Hypergolix restarted with the new settings.').waitFor({ timeout: 30_000 });
    await screenshot(page, 'settings-3-saved', SHOTS);

    const after = readFileSync(yml, 'utf8');
    assert.match(after, new RegExp(`^${COMMENT}$`, 'm'), 'the comment is still there');
    assert.match(after, /verbosity: debug/);
    assert.match(after, new RegExp(`host: 127\\.0\\.0\\.1\\n\\s+port: ${remotePort}\\n\\s+tls: false`));
    assert.match(proc!.stderr(), /Restart after a settings change took \d+ ms/, 'the daemon was restarted');

    await shell(page).go('Status');
    await page.getByTestId('remotes-connected').getByText('1 of 1').waitFor({ timeout: 20_000 });
    await screenshot(page, 'status-remote-connected', SHOTS);
  });

  test('the remote goes away: the Status page counts down to its next try, and Try now connects it once it is back', async () => {
    const { page } = ui!;
    await shell(page).go('Status');
    await remote.close();
    await page.getByTestId('remotes-connected').getByText('0 of 1').waitFor({ timeout: 10_000 });
    // Once the daemon's own wait is long enough that only Try now can explain a connection at once.
    const detail = page.getByTestId('remote-detail');
    await detail.getByText(/next try in ([5-9]|\d\d) s/).waitFor({ timeout: 30_000 });
    remote = new PersistenceServer({ engine, port: remotePort, host: '127.0.0.1' });
    await remote.listen();
    await page.getByRole('button', { name: 'Try the remote now' }).click();
    await page.getByTestId('try-remotes-feedback').getByText('Connected.').waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('remotes-connected').textContent(), '1 of 1');
    assert.equal(await page.getByTestId('try-remotes').count(), 0);
  });

  test("two windows: a save from one keeps what the other saved meanwhile; a setting both changed is refused, offered, and saved once the user keeps theirs", async () => {
    const a = ui!.page;
    const second = await openUi(browser, proc!.url);
    const b = second.page;
    try {
      for (const page of [a, b]) await settings(page).open();
      assert.match(readFileSync(yml, 'utf8'), /verbosity: debug/, 'as the test before left it');
      const done = (page: typeof a) => page.getByText('Saved. Hypergolix restarted with the new settings.').waitFor({ timeout: 30_000 });

      // A changes the log detail; B, opened before, changes another switch and saves after A.
      await settings(a).setVerbosity('info');
      await settings(a).save();
      await done(a);
      await b.locator('#debug').check();
      await settings(b).save();
      await done(b);
      let file = readFileSync(yml, 'utf8');
      assert.match(file, /verbosity: info/, "A's change is kept: B's form still showed debug, which it did not change");
      assert.match(file, /debug: true/, "and B's is written");
      assert.match(file, new RegExp(`^${COMMENT}$`, 'm'));

      // Both change the log detail: the later save is refused, nothing is written, the field says what it is now.
      await settings(a).setVerbosity('warning');
      await settings(a).save();
      await done(a);
      await settings(b).setVerbosity('error');
      const before = readFileSync(yml);
      await settings(b).save();
      await settings(b).status().getByText('changed elsewhere meanwhile', { exact: false }).waitFor();
      assert.match(await b.locator('#verbosity-error').innerText(), /Changed elsewhere since you opened the settings: it is now "warning"/);
      assert.deepEqual(readFileSync(yml), before, 'nothing was written');
      await b.getByTestId('disk-banner').waitFor();
      await screenshot(b, 'settings-6-changed-elsewhere', SHOTS);

      // Keep my edits: B's value stays in its form, and saving writes it.
      await b.getByRole('button', { name: 'Keep my edits' }).click();
      assert.equal(await b.getByLabel('Log detail').inputValue(), 'error');
      await settings(b).save();
      await done(b);
      file = readFileSync(yml, 'utf8');
      assert.match(file, /verbosity: error/);
      assert.match(file, /debug: true/);
      assert.deepEqual(second.problems, []);
    } finally {
      await second.close();
    }
  });

  test('an invalid port is refused, by the form and by the host, and the file stays byte-identical', async () => {
    const { page } = ui!;
    const s = settings(page);
    await s.open();
    const before = readFileSync(yml);
    const ipc = page.getByLabel('App connection port');
    await ipc.fill('70000');
    await page.locator('#ipc-port-error').waitFor();
    // Centre it: the sticky save bar would hide a field scrolled just into view.
    await ipc.evaluate((el) => (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'center' }));
    assert.equal(await s.saveButton().isDisabled(), true, 'the form will not send it');
    await screenshot(page, 'settings-4-invalid-port', SHOTS);

    // A page that skipped its own checks gets the same answer from the host.
    const res = await bridgeRequest(proc!.url, { kind: 'getSettings' });
    assert.equal(res.ok, true);
    const bad = structuredClone((res as unknown as { value: Settings }).value);
    bad.process.ipc_port = 70000;
    const refused = await bridgeRequest(proc!.url, { kind: 'saveSettings', settings: bad });
    assert.equal(refused.ok, false);
    assert.equal(refused.error?.code, 'invalid-settings');
    assert.match(refused.error?.fields?.['process.ipc_port'] ?? '', /1 to 65535/);
    assert.deepEqual(readFileSync(yml), before, 'nothing was written');
    await shutdown();
  });
});
