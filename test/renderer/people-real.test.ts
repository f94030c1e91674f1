/**
 * People and consent in the real UI, in Chromium, against real daemons and a real server: B runs
 * browser mode (account created through the wizard, policy "ask"), A is an app daemon with an SDK
 * app that shares with B. The journey: a stranger's share waits with who and what, "accept and
 * trust" makes A's next share arrive at once, the contact is named and the name shown on shares;
 * C, a third account, declines and blocks A: A hears it, and A's later shares are refused unasked.
 * Screenshots go to test-artifacts/ui-real/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright';
import { HGXLink, JsonObj } from '../../packages/hgx/src/index.js';
import { appHome, startApp, startServer, type AppProc, type ServerProc } from '../fixtures/ipc/processes.js';
import { spawnBrowserMode, type BrowserModeProcess } from '../fixtures/ui/browser-mode.js';
import { ROOT, ensureBuilt, launchBrowser, openUi, screenshot, shell, skipReason, wizard, type OpenUi } from './helpers.js';

const SHOTS = process.env.HGX_SHOTS_DIR ? join(process.env.HGX_SHOTS_DIR, 'real') : join(ROOT, 'test-artifacts/ui-real');
const reason = skipReason();

describe('people and consent in the UI, three accounts, real daemons and server', { skip: reason ?? false, timeout: 600_000 }, () => {
  let browser: Browser;
  let server: ServerProc;
  let procA: AppProc;
  let procB: BrowserModeProcess;
  let link: HGXLink;
  let ui: OpenUi;
  let procC: BrowserModeProcess | null = null;
  let uiC: OpenUi | null = null;

  before(async () => {
    ensureBuilt();
    browser = await launchBrowser();
    server = await startServer();
    const homeA = await appHome('ui-a', server.port, 'all');
    const homeB = await appHome('ui-b', server.port, 'ask');
    [procA, procB] = await Promise.all([startApp(homeA), spawnBrowserMode(homeB.dir)]);
    link = await HGXLink.connect({ port: homeA.ipcPort, tokenFile: homeA.tokenFile });
    ui = await openUi(browser, procB.url);
  });

  after(async () => {
    await link?.close().catch(() => {});
    await uiC?.close().catch(() => {});
    await procC?.stop().catch(() => {});
    await ui?.close().catch(() => {});
    await procB?.stop().catch(() => {});
    await procA?.stop().catch(() => {});
    await server?.stop();
    await browser?.close().catch(() => {});
  });

  test('a stranger\'s share waits with who and what; accept and trust; the next share arrives; name the contact', async () => {
    const { page, problems } = ui;
    const w = wizard(page);
    await page.getByRole('heading', { name: 'Create your Hypergolix account' }).waitFor();
    await w.start();
    await w.enterPassword('velvet-harbor-quince-58');
    await w.acknowledge();
    await w.createButton().click();
    await page.getByRole('heading', { name: 'Your account is ready' }).waitFor({ timeout: 240_000 });
    const me = await w.ids();
    await w.finish();

    const share = async (note: string) => {
      const obj = await link.new(JsonObj, { note });
      const answered = new Promise<string>((resolve) => {
        obj.on('shared', () => resolve('accepted'));
        obj.on('share-failed', () => resolve('declined'));
      });
      await obj.share(me.fingerprint);
      return { obj, answered };
    };

    const first = await share('hello from A');
    await shell(page).go('Status');
    await page.getByTestId('waiting-note').waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId('sidebar-pill').innerText(), 'Needs attention');
    await page.getByTestId('waiting-note').getByRole('button', { name: 'Open Shares' }).click();
    const waiting = page.getByTestId('waiting').locator('li.share').first();
    await waiting.waitFor();
    assert.equal(await waiting.getByTestId('share-from').innerText(), 'someone not in your contacts');
    assert.match(await waiting.getByTestId('share-what').innerText(), new RegExp(`^JSON · ${JSON.stringify({ note: 'hello from A' }).length} bytes`));
    await screenshot(page, 'shares-waiting', SHOTS);
    await waiting.getByRole('button', { name: 'Accept and trust' }).click();
    await page.getByTestId('people-feedback').getByText(/is trusted: their later shares arrive without asking you/).waitFor();
    assert.equal(await first.answered, 'accepted');

    const second = await share('no question this time');
    assert.equal(await second.answered, 'accepted');

    await shell(page).go('Contacts');
    const row = page.getByTestId(`contact-${procA.fingerprint}`);
    await row.waitFor();
    assert.equal(await row.locator('select').inputValue(), 'trusted');
    await row.getByRole('textbox').fill('Alice');
    await row.getByRole('textbox').press('Enter');
    await page.getByTestId('people-feedback').getByText('Renamed to Alice.').waitFor();
    await row.getByRole('button', { name: 'Check the safety code with Alice' }).click();
    await row.getByTestId('safety-code').waitFor();
    await screenshot(page, 'contacts', SHOTS);

    await shell(page).go('Shares');
    const received = page.getByTestId('received');
    await received.getByText('from Alice').first().waitFor();
    assert.equal(await received.locator('li').count(), 2);
    await screenshot(page, 'shares-received', SHOTS);
    assert.deepEqual(problems, []);
  });

  test('a third account declines and blocks: the sender hears "declined", and later shares are refused without asking', async () => {
    const homeC = await appHome('ui-c', server.port, 'ask');
    procC = await spawnBrowserMode(homeC.dir);
    uiC = await openUi(browser, procC.url);
    const { page, problems } = uiC;
    const w = wizard(page);
    await page.getByRole('heading', { name: 'Create your Hypergolix account' }).waitFor();
    await w.start();
    await w.enterPassword('copper-meadow-lantern-31');
    await w.acknowledge();
    await w.createButton().click();
    await page.getByRole('heading', { name: 'Your account is ready' }).waitFor({ timeout: 240_000 });
    const carol = await w.ids();
    await w.finish();

    const shareWithCarol = async (note: string) => {
      const obj = await link.new(JsonObj, { note });
      const answered = new Promise<string>((resolve) => {
        obj.on('shared', () => resolve('accepted'));
        obj.on('share-failed', () => resolve('declined'));
      });
      await obj.share(carol.fingerprint);
      return answered;
    };
    // The Shares page is open before the share arrives: it shows up there by itself.
    await shell(page).go('Shares');
    const first = shareWithCarol('for C');
    const waiting = page.getByTestId('waiting').locator('li.share').first();
    await waiting.waitFor({ timeout: 60_000 });
    assert.equal(await waiting.getByTestId('share-from').innerText(), 'someone not in your contacts');
    await waiting.getByRole('checkbox').check();
    await waiting.getByRole('button', { name: 'Decline' }).click();
    await page.getByTestId('people-feedback').getByText(/Declined, and .* is blocked\./).waitFor();
    assert.equal(await first, 'declined', 'the sender is told');

    // The Shares page stays open: a new share would show up on it by itself; none does.
    assert.equal(await shareWithCarol('again, for C'), 'declined', 'a blocked sender is refused without asking');
    await shell(page).go('Shares');
    assert.equal(await page.getByTestId('waiting').locator('li.share').count(), 0, 'nothing waits from a blocked sender');
    await shell(page).go('Contacts');
    const row = page.getByTestId(`contact-${procA.fingerprint}`);
    await row.waitFor();
    assert.equal(await row.locator('select').inputValue(), 'blocked');
    await screenshot(page, 'contacts-blocked', SHOTS);
    assert.deepEqual(problems, []);
  });
});
