// Browser mode's address across restarts (issue #14 item 8): the same port and token as the last
// run, so a tab left open reconnects by itself and a bookmark keeps working; a port taken since
// gives a new one (said in the log) with the same token; a damaged address file just means a new
// address. Real `hypergolix start app --ui` processes, and Chromium for the open tab.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright';
import { UI_ADDRESS_FILE } from '../../src/web/ui-address.js';
import { accountHome } from '../fixtures/account/home.js';
import { spawnBrowserMode, type BrowserModeProcess } from '../fixtures/ui/browser-mode.js';
import { ensureBuilt, launchBrowser, openUi, skipReason, unlock } from '../renderer/helpers.js';

const PASSWORD = 'velvet-harbor-quince-58';
const reason = skipReason();

describe('browser mode keeps its address', { skip: reason ?? false, timeout: 120_000 }, () => {
  let browser: Browser;
  let home: string;
  const running: BrowserModeProcess[] = [];
  before(async () => {
    ensureBuilt();
    browser = await launchBrowser();
    home = mkdtempSync(join(tmpdir(), 'hgx-bm-'));
    await accountHome(home, PASSWORD);
  });
  after(async () => {
    for (const p of running) await p.stop().catch(() => {});
    await browser?.close();
    rmSync(home, { recursive: true, force: true });
  });
  const start = async () => {
    const p = await spawnBrowserMode(home);
    running.push(p);
    return p;
  };

  test('a restart serves the same address; the open tab reconnects by itself', async () => {
    const first = await start();
    const file = join(home, UI_ADDRESS_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600, 'the token is readable by its user only');
    const ui = await openUi(browser, first.url);
    await unlock(ui.page).field().waitFor();
    assert.equal(await first.stop('SIGTERM'), 0);

    const second = await start();
    assert.equal(second.url, first.url, 'same port, same token');
    // The tab, never reloaded, finds the new process and its state.
    await unlock(ui.page).submit(PASSWORD);
    await ui.page.getByRole('navigation', { name: 'Main' }).waitFor({ timeout: 30_000 });
    await ui.close();
    assert.equal(await second.stop('SIGTERM'), 0);
  });

  test('a tab whose token is no longer taken says so, and where to find the new address', async () => {
    const first = await start();
    const ui = await openUi(browser, first.url);
    await unlock(ui.page).field().waitFor();
    assert.equal(await first.stop('SIGTERM'), 0);
    const kept = JSON.parse(readFileSync(join(home, UI_ADDRESS_FILE), 'utf8')) as { port: number; token: string };
    // Same port, another token: what a lost or replaced address file gives.
    writeFileSync(join(home, UI_ADDRESS_FILE), JSON.stringify({ port: kept.port, token: 'x'.repeat(43) }));
    const second = await start();
    assert.notEqual(second.url, first.url);
    await ui.page.getByTestId('token-refused').first().waitFor({ timeout: 30_000 });
    assert.match(await ui.page.getByTestId('token-refused').first().innerText(), /new access token/);
    await ui.close();
    assert.equal(await second.stop('SIGTERM'), 0);
    writeFileSync(join(home, UI_ADDRESS_FILE), JSON.stringify(kept));
  });

  test('the port taken since: another port, the same token, said in the log; a damaged file: a new address', async () => {
    const kept = JSON.parse(readFileSync(join(home, UI_ADDRESS_FILE), 'utf8')) as { port: number; token: string };
    const squatter = createServer();
    await new Promise<void>((ok) => squatter.listen(kept.port, '127.0.0.1', ok));
    try {
      const moved = await start();
      const url = new URL(moved.url);
      assert.notEqual(Number(url.port), kept.port);
      assert.equal(url.searchParams.get('token'), kept.token);
      assert.match(moved.stderr(), new RegExp(`port ${kept.port} is taken now`));
      assert.equal(await moved.stop('SIGTERM'), 0);
    } finally {
      squatter.close();
    }
    writeFileSync(join(home, UI_ADDRESS_FILE), '{not json');
    const fresh = await start();
    assert.notEqual(new URL(fresh.url).searchParams.get('token'), kept.token);
    assert.equal(await fresh.stop('SIGTERM'), 0);
  });
});
