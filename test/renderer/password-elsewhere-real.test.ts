/**
 * A password changed on another computer, seen in Chromium on the computer that has the account
 * unlocked (browser mode, a real daemon and a real persistence server): the Status page says so
 * and it stays unlocked; after a lock, the old password is told why it no longer opens the
 * account, and the new one opens it. The other computer is a daemon in this process, signed in to
 * the same account through the server. Screenshots go to test-artifacts/ui-account/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright';
import { Daemon } from '../../src/core/daemon/daemon.js';
import { Ghid } from '../../src/core/golix/index.js';
import { silentLogger } from '../../src/core/remote/logger.js';
import { PersistenceServer } from '../../src/core/remote/server.js';
import { RulesEngine } from '../../src/core/rules/rules-engine.js';
import { MemoryStore } from '../../src/core/store/memory-store.js';
import { TEST_KDF, accountHome } from '../fixtures/account/home.js';
import { spawnBrowserMode, type BrowserModeProcess } from '../fixtures/ui/browser-mode.js';
import { ROOT, ensureBuilt, launchBrowser, mainWindow, openUi, screenshot, shell, skipReason, unlock, type OpenUi } from './helpers.js';

const SHOTS = process.env.HGX_SHOTS_DIR ? join(process.env.HGX_SHOTS_DIR, 'account') : join(ROOT, 'test-artifacts/ui-account');
const FIRST = 'juniper-canal-orbit-62';
const SECOND = 'saffron-lattice-harbor-17';
const reason = skipReason();

describe('the desktop UI when the password is changed on another computer (real daemons and server)', { skip: reason ?? false, timeout: 240_000 }, () => {
  let browser: Browser;
  let home: string;
  let server: PersistenceServer;
  let proc: BrowserModeProcess | null = null;
  let ui: OpenUi | null = null;
  let other: Daemon | null = null;

  before(async () => {
    ensureBuilt();
    browser = await launchBrowser();
    const { engine } = await RulesEngine.open(new MemoryStore());
    server = new PersistenceServer({ engine, port: 0, host: '127.0.0.1' });
    const { port } = await server.listen();
    home = mkdtempSync(join(tmpdir(), 'hgx-ui-pw-elsewhere-'));
    const account = await accountHome(home, FIRST, { remotes: [port] });
    proc = await spawnBrowserMode(home);
    ui = await openUi(browser, proc.url);
    other = await Daemon.start({
      ghidcache: join(home, 'other-computer', 'ghidcache'),
      remotes: [{ host: '127.0.0.1', port, tls: false }],
      logger: silentLogger,
      account: { login: { userId: Ghid.fromText(account.userId), password: FIRST, kdf: TEST_KDF } },
    });
  });

  after(async () => {
    await other?.stop().catch(() => {});
    await ui?.close().catch(() => {});
    await proc?.stop().catch(() => {});
    await server?.close().catch(() => {});
    await browser?.close().catch(() => {});
    rmSync(home, { recursive: true, force: true });
  });

  test('the Status page says so while it stays unlocked; the old password is then told why it fails, the new one opens', async () => {
    const { page, problems } = ui!;
    await unlock(page).submit(FIRST);
    await mainWindow(page);
    await other!.account.changePassword(SECOND, TEST_KDF);

    const banner = page.getByText("Your account's password was changed on another computer.", { exact: false });
    await banner.first().waitFor({ timeout: 30_000 });
    assert.equal(await shell(page).state(), 'Running', 'still unlocked');
    await screenshot(page, 'password-changed-elsewhere', SHOTS);

    await page.getByRole('button', { name: 'Lock' }).click();
    await unlock(page).submit(FIRST);
    const error = unlock(page).error();
    await error.waitFor({ timeout: 30_000 });
    assert.match(await error.innerText(), /^Incorrect password: the password of this account was changed on another computer \(this computer learned of it on \d{4}-\d\d-\d\d \d\d:\d\d UTC\); use the new password, or set one with the recovery kit\.$/);
    await screenshot(page, 'password-changed-elsewhere-unlock', SHOTS);

    await unlock(page).submit(SECOND);
    await mainWindow(page);
    assert.equal(await page.getByText('was changed on another computer', { exact: false }).count(), 0, 'nothing left to say once unlocked with the new password');
    assert.deepEqual(problems, []);
  });
});
