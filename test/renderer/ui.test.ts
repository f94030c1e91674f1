/**
 * The real UI, built and served by the browser-mode bridge, driven in the system Chromium over
 * the scripted fake host. Each screen is also saved as a PNG in test-artifacts/ui/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright';
import type { ConnectedAppJson } from '../../src/common/contract.js';
import { FAKE_IDENTITY, FAKE_RECOVERY_KEY, FakeHost, defaultSettings, type FakeHostOptions } from '../fixtures/ui/fake-host.js';
import { SIZES, UiSuite, readClipboard, resizeShot, screenshot, settings, shell, skipReason, unlock, waitForFocus, wizard, type OpenUi } from './helpers.js';

const reason = skipReason();

// The whole suite, not each test: ~90 s on CI's two CPUs, so room for a machine three times slower.
describe('settings UI in Chromium', { skip: reason ?? false, timeout: 300_000 }, () => {
  const suite = new UiSuite();
  before(() => suite.launch());
  after(() => suite.end());

  async function start(opts: FakeHostOptions = {}, size: 'desktop' | 'small' = 'desktop'): Promise<{ host: FakeHost; page: Page; ui: OpenUi }> {
    const host = new FakeHost(opts);
    const server = await suite.serve(host);
    const ui = await suite.open(server.url, size);
    return { host, page: ui.page, ui };
  }

  test('the wizard creates an account and shows the fingerprint and user ID', async () => {
    const { host, page, ui } = await start({ state: 'no-account', stepMs: 300 });
    const w = wizard(page);
    await page.getByRole('heading', { name: 'Create your Hypergolix account' }).waitFor();
    await resizeShot(page, 'desktop', 'wizard-1-welcome');
    await resizeShot(page, 'small', 'wizard-1-welcome');
    await page.setViewportSize({ width: 1024, height: 700 });
    await w.start();

    await w.enterPassword('password123');
    assert.match(await w.strength(), /very weak/);
    assert.equal(await w.createButton().isDisabled(), true, 'a common password is refused');
    // Why, before the button is pressed: the core's one rule, in its words.
    assert.match(await page.getByTestId('password-refusal').innerText(), /first passwords anyone would try/);
    await w.enterPassword('Tk9#short');
    assert.match(await page.getByTestId('password-refusal').innerText(), /at least 10 characters \(this one has 9\)/);
    await w.enterPassword('purple-lantern-okra-92', 'purple-lantern-okra-9');
    await page.getByText('The two passwords differ.').waitFor();
    await w.enterPassword('purple-lantern-okra-92');
    assert.equal(await w.createButton().isDisabled(), true, 'needs the "I understand" tick');
    await w.acknowledge();
    assert.match(await w.strength(), /strong|good/);
    await resizeShot(page, 'desktop', 'wizard-2-password');
    await resizeShot(page, 'small', 'wizard-2-password');
    await page.setViewportSize({ width: 1024, height: 700 });
    // Enter submits the form from the second field. Creation waits for the screenshot of it.
    const release = host.holdProgress();
    await page.getByLabel('Type it again').press('Enter');

    await page.getByRole('heading', { name: 'Creating your account' }).waitFor();
    await page.locator('.stages li.active').nth(0).waitFor();
    await screenshot(page, 'wizard-3-creating-1024x700');
    release();
    await w.waitForDone();
    assert.deepEqual(await w.ids(), FAKE_IDENTITY);
    assert.deepEqual(host.callsOf('createAccount'), [{ kind: 'createAccount', password: 'purple-lantern-okra-92' }]);
    await resizeShot(page, 'desktop', 'wizard-4-done');
    await resizeShot(page, 'small', 'wizard-4-done');
    await page.setViewportSize({ width: 1024, height: 700 });

    assert.equal(await page.getByRole('button', { name: 'Continue' }).isDisabled(), true);
    // The last step offers the recovery kit: after the password, the key is shown once.
    const kit = page.getByRole('form', { name: 'Recovery kit' });
    await kit.getByLabel('Password', { exact: true }).fill('purple-lantern-okra-92');
    await kit.getByRole('button', { name: 'Make a recovery kit' }).click();
    assert.equal((await page.getByTestId('recovery-key').innerText()).trim(), FAKE_RECOVERY_KEY);
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await page.getByRole('button', { name: 'Copy fingerprint' }).click();
    assert.equal(await readClipboard(page), FAKE_IDENTITY.fingerprint);
    await w.finish();
    await page.getByRole('heading', { name: 'Your identity' }).waitFor();
    assert.equal(await page.getByTestId('fingerprint').innerText(), FAKE_IDENTITY.fingerprint);
    assert.deepEqual(ui.problems, []);
  });

  test('the wizard lives in the host: a second tab (or a reload) during creation shows the progress, then the result step', async () => {
    const host = new FakeHost({ state: 'no-account', stepMs: 50 });
    // Creation waits until the second tab has seen it: a loaded machine opens tabs slowly.
    const release = host.holdProgress();
    const server = await suite.serve(host);
    const first = await suite.open(server.url);
    const w = wizard(first.page);
    await w.start();
    await w.enterPassword('purple-lantern-okra-92');
    await w.acknowledge();
    await w.createButton().click();
    await first.page.getByRole('heading', { name: 'Creating your account' }).waitFor();
    const second = await suite.open(server.url);
    await second.page.getByRole('heading', { name: 'Creating your account' }).waitFor();
    assert.equal(await second.page.getByText('step 1 of 4').count(), 0, 'never back at the welcome step');
    release();
    await second.page.getByRole('heading', { name: 'Your account is ready' }).waitFor({ timeout: 15_000 });
    await second.page.getByTestId('wizard-fingerprint').getByText(FAKE_IDENTITY.fingerprint).waitFor();
    assert.equal(host.callsOf('createAccount').length, 1, 'the second tab did not try again');
    assert.deepEqual(second.problems, []);
  });

  test('unlock: a wrong password says so and keeps focus; the right one opens the app', async () => {
    const { host, page, ui } = await start({ state: 'locked', password: 'correct-password-42' });
    const u = unlock(page);
    await page.getByRole('heading', { name: 'Unlock Hypergolix' }).waitFor();
    assert.equal(await page.getByLabel(/Unlock automatically/).isChecked(), false, 'off by default');
    await resizeShot(page, 'desktop', 'unlock-1-prompt');
    await resizeShot(page, 'small', 'unlock-1-prompt');

    await u.submit('not-the-password');
    await u.error().waitFor();
    assert.match(await u.error().innerText(), /password is not right/);
    await waitForFocus(page, 'unlock-password');
    await resizeShot(page, 'desktop', 'unlock-2-wrong');
    await resizeShot(page, 'small', 'unlock-2-wrong');

    // Show lets the password be read back before it is sent; Caps Lock is said while it is on.
    await u.field().fill('typed-blind');
    await page.getByRole('button', { name: 'Show' }).click();
    assert.equal(await u.field().getAttribute('type'), 'text');
    await page.getByRole('button', { name: 'Hide' }).click();
    assert.equal(await u.field().getAttribute('type'), 'password');
    await u.field().dispatchEvent('keydown', { key: 'A', modifierCapsLock: true });
    await page.getByTestId('caps-lock').getByText('Caps Lock is on.').waitFor();
    await u.field().dispatchEvent('keyup', { key: 'a', modifierCapsLock: false });
    await page.getByTestId('caps-lock').waitFor({ state: 'detached' });

    await u.submit('correct-password-42');
    await page.getByRole('heading', { name: 'Status' }).waitFor();
    assert.deepEqual(
      host.callsOf('unlock').map((c) => [c.password, c.rememberOnThisComputer]),
      [
        ['not-the-password', false],
        ['correct-password-42', false],
      ],
    );
    assert.deepEqual(ui.problems, []);
  });

  test('settings: add a remote, change verbosity, save with restart progress', async () => {
    const { host, page, ui } = await start({ state: 'running', stepMs: 400 });
    const s = settings(page);
    await s.open();
    await resizeShot(page, 'desktop', 'settings-1-loaded');
    await resizeShot(page, 'small', 'settings-1-loaded');
    await page.setViewportSize({ width: 1024, height: 700 });
    assert.equal(await s.saveButton().isDisabled(), true, 'nothing to save yet');

    await s.addRemote('hgx.example.org', 443, true);
    await s.setVerbosity('debug');
    await page.getByLabel('Allow legacy app connections').check();
    await page.getByTestId('legacy-warning').waitFor();
    await page.getByLabel('Allow legacy app connections').uncheck();
    // On by default (apps of hgx SDK 0.2 still connect); turned off, apps must prove the key without sending it.
    const sentKey = page.getByLabel('Allow apps that send their key');
    assert.equal(await sentKey.isChecked(), true);
    await sentKey.uncheck();
    const release = host.holdProgress(1); // past 'saving', held while restarting
    await s.save();
    await page.getByText('Restarting Hypergolix…').waitFor();
    await screenshot(page, 'settings-2-restarting-1024x700');
    release();
    await page.getByText('Saved. Hypergolix restarted with the new settings.').waitFor();

    const expected = defaultSettings();
    expected.remotes.push({ host: 'hgx.example.org', port: 443, tls: true });
    expected.instrumentation.verbosity = 'debug';
    expected.process.ipc_accept_sent_key = false;
    assert.deepEqual(host.saved, [expected]);
    const phases = host.events.filter((e) => e.kind === 'restartProgress').map((e) => (e.kind === 'restartProgress' ? e.phase : ''));
    assert.deepEqual(phases, ['saving', 'stopping', 'starting', 'done']);
    assert.equal(await s.saveButton().isDisabled(), true, 'saved: nothing left to save');
    await screenshot(page, 'settings-3-saved-1024x700');
    assert.deepEqual(ui.problems, []);
  });

  test('settings: an invalid port disables Save; a host-side field error shows on its field', async () => {
    const { host, page } = await start({ state: 'running' });
    const s = settings(page);
    await s.open();
    await page.getByRole('button', { name: 'Add remote' }).click();
    const row = page.getByTestId('remotes').locator('li').last();
    assert.equal(await s.saveButton().isDisabled(), true, 'a remote without a host cannot be saved');
    assert.equal(await row.locator('.field-error').count(), 0, 'a fresh row is not scolded before it is touched');
    await row.getByLabel('Host').fill('not a host!');
    await row.getByText('Must be a host name or IP address.').waitFor();
    await row.getByRole('button', { name: /Remove remote/ }).click();

    const ipc = page.getByLabel('App connection port');
    assert.equal(await page.getByRole('region', { name: 'Advanced' }).getByLabel('App connection port').count(), 1, 'what most people never change is under Advanced');
    assert.equal(await page.getByRole('region', { name: 'Advanced' }).getByLabel('Log detail').count(), 1);
    await ipc.fill('70000');
    await page.locator('#ipc-port-error').waitFor();
    assert.equal(await s.saveButton().isDisabled(), true);
    await ipc.fill('77a');
    assert.equal(await s.saveButton().isDisabled(), true);
    for (const size of ['desktop', 'small'] as const) {
      await page.setViewportSize(SIZES[size]);
      await page.locator('#section-apps').evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await screenshot(page, `settings-4-invalid-port-${size === 'desktop' ? '1024x700' : '360x520'}`);
    }
    await page.setViewportSize({ width: 1024, height: 700 });
    await ipc.fill('7780');
    assert.equal(await s.saveButton().isDisabled(), false);
    assert.equal(await page.locator('#ipc-port-error').count(), 0);

    host.rejectNextSave = { 'process.ipc_port': 'Port 7780 is already in use by another program.' };
    await ipc.press('Enter');
    await page.getByText('Port 7780 is already in use by another program.').waitFor();
    assert.match(await s.status().innerText(), /Not saved/);
    assert.deepEqual(host.saved, [], 'nothing accepted');
    // Editing the field clears the host's complaint about the old value.
    await ipc.fill('7781');
    assert.equal(await page.getByText('Port 7780 is already in use').count(), 0);

    // An error on a setting without a field of its own is still shown, by its path.
    host.rejectNextSave = { 'desktop.start_at_login': 'Cannot register a login item on this system.' };
    await s.save();
    await page.getByTestId('other-errors').getByText('Cannot register a login item on this system.').waitFor();
  });

  test('settings: a change on disk shows a banner that reloads the new values', async () => {
    const { host, page } = await start({ state: 'running' });
    const s = settings(page);
    await s.open();
    const changed = defaultSettings();
    changed.process.ipc_port = 7800;
    changed.remotes = [];
    host.fileChangedOnDisk(changed);
    await page.getByTestId('disk-banner').waitFor();
    await resizeShot(page, 'desktop', 'settings-5-disk-changed');
    await resizeShot(page, 'small', 'settings-5-disk-changed');
    await page.getByRole('button', { name: 'Reload' }).click();
    assert.equal(await page.getByLabel('App connection port').inputValue(), '7800');
    assert.equal(await page.getByTestId('disk-banner').count(), 0);
    assert.equal(await page.getByText('No remotes: local only.').count(), 1);
  });

  test('settings: the embedded server on "All network interfaces" warns what that exposes', async () => {
    const { page, ui } = await start({ state: 'running' });
    await settings(page).open();
    await page.getByLabel('Run a persistence server').check();
    assert.equal(await page.getByTestId('server-any-warning').count(), 0);
    await page.getByLabel(/All network interfaces/).check();
    await page.getByTestId('server-any-warning').getByText(/Anyone who can reach this computer/).waitFor();
    await page.getByLabel(/This computer only/).check();
    await page.getByTestId('server-any-warning').waitFor({ state: 'detached' });
    assert.deepEqual(ui.problems, []);
  });

  test('browser mode: notices show as browser notifications once allowed; start at login is explained as the desktop app\'s', async () => {
    const { host, page, ui } = await start({ state: 'running' });
    // The browser's Notification API, recorded (a headless browser shows nothing).
    await page.addInitScript(() => {
      const w = globalThis as unknown as { shown: [string, string][]; Notification: unknown };
      w.shown = [];
      let permission = 'default';
      w.Notification = class {
        static get permission() {
          return permission;
        }
        static async requestPermission() {
          permission = 'granted';
          return permission;
        }
        constructor(title: string, o: { body: string }) {
          w.shown.push([title, o.body]);
        }
      };
    });
    await page.reload();
    await settings(page).open();
    await page.getByTestId('desktop-only').waitFor();
    assert.equal(await page.getByLabel('Start Hypergolix when I log in').isDisabled(), true);
    host.emit({ kind: 'notice', title: 'Before', body: 'not allowed yet' });
    await page.getByRole('button', { name: 'Allow notifications in this browser' }).click();
    await page.getByTestId('browser-notifications').getByText(/allowed/).waitFor();
    host.emit({ kind: 'notice', title: 'Alice shared something with you', body: 'Alice (AXs0W9ehq7…). Open Hypergolix to accept or decline it.' });
    await page.waitForFunction(() => (globalThis as unknown as { shown: unknown[] }).shown.length === 1);
    const shown = await page.evaluate(() => (globalThis as unknown as { shown: [string, string][] }).shown);
    assert.deepEqual(shown[0]![0], 'Alice shared something with you');
    assert.deepEqual(ui.problems, []);
  });

  test('connected apps: a row follows its app while shown, though the number of apps stays the same', async () => {
    const { host, page, ui } = await start({ state: 'running' });
    const now = Date.now();
    const app = (over: Partial<ConnectedAppJson>): ConnectedAppJson => ({ id: 1, token: null, legacy: false, sendsKey: false, apis: 0, tracked: 0, connectedAt: now, lastActivity: now, ...over });
    host.apps = [app({}), app({ id: 2, token: 'ab'.repeat(16), tracked: 1 })];
    await shell(page).go('Status');
    const list = page.getByTestId('app-list');
    await list.getByText('App #1').waitFor();
    // App 1 registers its token and follows two objects: still two apps, so no status push says so.
    host.apps = [app({ token: 'cd'.repeat(16), tracked: 2, apis: 1 }), host.apps[1]!];
    const row = list.locator('li', { hasText: 'App cdcdcdcd' });
    await row.waitFor({ timeout: 10_000 });
    await row.getByText(/follows 2 objects · takes 1 kind of share/).waitFor();
    assert.equal(await list.getByText('App #1').count(), 0);
    assert.equal(await list.getByText('older SDK: sends its key').count(), 0, 'apps that prove the key get no tag');
    // An app of hgx SDK 0.2 proves the key by sending it: the row says so, and why to update.
    host.apps = [host.apps[0]!, app({ id: 2, token: 'ab'.repeat(16), tracked: 1, sendsKey: true })];
    const old = list.locator('li', { hasText: 'App abababab' }).getByText('older SDK: sends its key');
    await old.waitFor({ timeout: 10_000 });
    assert.match((await old.getAttribute('title')) ?? '', /Update the app's hgx SDK to 0\.3/);
    assert.deepEqual(ui.problems, []);
  });

  test('identity: both IDs, each with its QR code', async () => {
    const { page, ui } = await start({ state: 'running' });
    await shell(page).go('Identity');
    await page.getByRole('heading', { name: 'Your identity' }).waitFor();
    assert.equal(await page.getByTestId('fingerprint').innerText(), FAKE_IDENTITY.fingerprint);
    assert.equal(await page.getByTestId('userid').innerText(), FAKE_IDENTITY.userId);
    assert.equal(await page.getByRole('img', { name: 'QR code of your user ID' }).count(), 1, 'the user ID too, for signing in elsewhere');
    const qr = page.getByRole('img', { name: 'QR code of your fingerprint' });
    const box = await qr.boundingBox();
    assert.ok(box && box.width > 100 && box.height > 100, 'QR code drawn at a scannable size');
    const d = await qr.locator('path').getAttribute('d');
    assert.ok(d && d.split('M').length > 200, 'QR code has its modules');
    await page.getByRole('button', { name: 'Copy user id' }).click();
    assert.equal(await readClipboard(page), FAKE_IDENTITY.userId);
    await resizeShot(page, 'desktop', 'identity');
    await resizeShot(page, 'small', 'identity');
    assert.deepEqual(ui.problems, []);
  });

  test('shares: a waiting share says who and what, and each answer calls the host and says what it did', async () => {
    const { host, page, ui } = await start({ state: 'running' });
    await page.getByRole('heading', { name: 'Status' }).waitFor();
    assert.equal(await shell(page).state(), 'Running');
    assert.equal(await page.getByTestId('objects-cached').innerText(), (1284).toLocaleString('en-US'));
    host.contacts.push({ fingerprint: FAKE_IDENTITY.fingerprint, name: 'Ada', trust: 'ask', verified: false });
    host.addIncomingShare({ id: 'sh-1', from: FAKE_IDENTITY.userId, apiId: 'AAEC' + 'x'.repeat(84), receivedAt: Date.now() - 120_000, name: null, type: 'JSON', size: 120 });
    host.addIncomingShare({ id: 'sh-2', from: FAKE_IDENTITY.fingerprint, apiId: 'AAED', receivedAt: Date.now() - 7_200_000, name: 'Ada', type: 'raw bytes', size: 4096 });
    // One taken before that this computer can no longer read: it asked Ada for it again.
    const behind = FAKE_IDENTITY.userId;
    host.shares.push({ id: behind, direction: 'incoming', state: 'accepted', from: FAKE_IDENTITY.fingerprint, name: 'Ada', object: behind, apiId: null, type: 'JSON', size: 80, time: Date.now() - 86_400_000, askedAgain: Date.now() - 180_000 });
    // One the user sent, not answered yet: it waits for the recipient (a contact now, unnamed), not for the user.
    const sentOne = FAKE_IDENTITY.fingerprint.replace(/^A./, 'AQ');
    host.shares.push({ id: sentOne, direction: 'outgoing', state: 'waiting', to: FAKE_IDENTITY.userId, name: null, contact: true, object: sentOne, apiId: null, type: 'JSON', size: 64, time: Date.now() - 600_000 });
    // Deleted by their authors since: one Ada shared with the user, one the user shared with Ada.
    const [goneIn, goneOut] = ['AR', 'AS'].map((head) => FAKE_IDENTITY.userId.replace(/^A./, head)) as [string, string];
    host.shares.push({ id: goneIn, direction: 'incoming', state: 'accepted', from: FAKE_IDENTITY.fingerprint, name: 'Ada', object: goneIn, apiId: null, type: 'JSON', size: 20, time: Date.now() - 172_800_000, deletedAt: Date.now() - 60_000 });
    host.shares.push({ id: goneOut, direction: 'outgoing', state: 'accepted', to: FAKE_IDENTITY.fingerprint, name: 'Ada', object: goneOut, apiId: null, type: 'JSON', size: 30, time: Date.now() - 172_800_000, deletedAt: Date.now() - 120_000 });
    await page.getByTestId('waiting-note').waitFor();
    assert.equal(await page.getByTestId('sidebar-pill').innerText(), 'Needs attention');
    await page.getByTestId('waiting-note').getByRole('button', { name: 'Open Shares' }).click();
    await page.getByTestId('share-sh-1').waitFor();
    assert.equal(await page.getByTestId('share-sh-1').getByTestId('share-from').innerText(), 'someone not in your contacts');
    assert.match(await page.getByTestId('share-sh-1').getByTestId('share-what').innerText(), /JSON · 120 bytes/);
    assert.equal(await page.getByTestId('share-sh-2').getByTestId('share-from').innerText(), 'Ada');
    assert.equal(await page.getByTestId('waiting').locator('ul.list > li').count(), 2, 'only the two shares sent to the user wait for an answer');
    assert.match(await page.getByTestId('sent').innerText(), /with an unnamed contact — no answer yet \(10 minutes ago\)/);
    assert.equal(
      await page.getByTestId('received').getByTestId('asked-again').innerText(),
      'Cannot be read on this computer (it missed too many versions while it was off); asked Ada to share it again (3 minutes ago).',
    );
    assert.equal(await page.getByTestId('received').getByTestId('deleted').innerText(), 'Deleted by Ada: it can no longer be opened (1 minute ago).');
    assert.equal(await page.getByTestId('sent').getByTestId('deleted').innerText(), 'Deleted by you: nobody can open it any more (2 minutes ago).');
    await resizeShot(page, 'desktop', 'shares');
    await resizeShot(page, 'small', 'shares');
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.getByTestId('share-sh-1').getByRole('button', { name: 'Accept once' }).click();
    await page.getByTestId('share-sh-1').waitFor({ state: 'detached' });
    await page.getByTestId('people-feedback').getByText(/Accepted once/).waitFor();
    await page.getByTestId('share-sh-2').getByRole('checkbox').check();
    await page.getByTestId('share-sh-2').getByRole('button', { name: 'Decline' }).click();
    await page.getByTestId('people-feedback').getByText('Declined, and Ada is blocked.').waitFor();
    // Nothing waits any more: said so, without a count of 0 or an empty list under it.
    const waitingNow = page.getByTestId('waiting');
    await waitingNow.getByText('Nothing waits for your answer.').waitFor();
    assert.equal(await waitingNow.locator('.count, ul').count(), 0);
    assert.deepEqual(host.callsOf('acceptShare'), [{ kind: 'acceptShare', id: 'sh-1', trust: false }]);
    assert.deepEqual(host.callsOf('declineShare'), [{ kind: 'declineShare', id: 'sh-2', block: true }]);
    // The two apps the fake host's status counts, listed too (the screenshot shows both).
    const now = Date.now();
    const app = (id: number, token: string | null, tracked: number): ConnectedAppJson => ({ id, token, legacy: false, sendsKey: false, apis: 1, tracked, connectedAt: now - 3_600_000, lastActivity: now - 5_000 });
    host.apps = [app(1, 'ab'.repeat(16), 3), app(2, null, 1)];
    await page.getByRole('button', { name: 'Status' }).click();
    host.patchStatus({ remotes: [{ host: '127.0.0.1', port: 7770, tls: false, connected: false, storageFull: true }, { host: 'hgx.example.org', port: 443, tls: true, connected: true, storageFailed: true }] });
    await page.getByText('1 of 2').waitFor();
    // What each server said of its storage: full (its disk), or failed (its database down).
    await page.getByText('Server storage full: waiting to send').waitFor();
    await page.getByText('Server cannot store now: waiting to send').waitFor();
    await page.getByTestId('app-list').getByText('App #2').waitFor();
    await resizeShot(page, 'desktop', 'status');
    await resizeShot(page, 'small', 'status');
    assert.deepEqual(ui.problems, []);
  });

  test('shares: one that can no longer be accepted (its object deleted) says why, and leaves the list', async () => {
    const { host, page, ui } = await start({ state: 'running' });
    host.addIncomingShare({ id: 'sh-gone', from: FAKE_IDENTITY.userId, apiId: 'AAEC' + 'x'.repeat(84), receivedAt: Date.now() - 60_000, name: null, type: 'JSON', size: 20 });
    const why = 'Share sh-gone… cannot be accepted: its object is on no server any more: its sender deleted it after sharing it. It was declined and removed.';
    host.goneShares.set('sh-gone', why);
    await page.getByTestId('waiting-note').getByRole('button', { name: 'Open Shares' }).click();
    await page.getByTestId('share-sh-gone').getByRole('button', { name: 'Accept once' }).click();
    await page.getByTestId('people-feedback').getByText(why).waitFor();
    await page.getByTestId('share-sh-gone').waitFor({ state: 'detached' });
    await page.getByTestId('waiting').getByText('Nothing waits for your answer.').waitFor();
    assert.deepEqual(ui.problems, []);
  });

  test('contacts: rename, trust, safety code and verified mark, remove — each with feedback', async () => {
    const { host, page, ui } = await start({ state: 'running' });
    host.contacts.push({ fingerprint: FAKE_IDENTITY.fingerprint, name: 'Ada', trust: 'ask', verified: false });
    await page.getByRole('button', { name: 'Contacts' }).click();
    const row = page.getByTestId(`contact-${FAKE_IDENTITY.fingerprint}`);
    await row.waitFor();
    await row.getByLabel('Trust for Ada').selectOption('trusted');
    await page.getByTestId('people-feedback').getByText(/Ada: Trusted/).waitFor();
    await row.getByRole('button', { name: 'Check the safety code with Ada' }).click();
    await row.getByTestId('safety-code').getByText('bridge elbow armor river nest magnet').waitFor();
    await resizeShot(page, 'desktop', 'contacts');
    await resizeShot(page, 'small', 'contacts');
    await page.setViewportSize(SIZES.desktop);
    await row.getByRole('button', { name: 'They match: mark Ada verified' }).click();
    await row.getByTestId('verified').waitFor();
    await row.getByLabel('Name of Ada').fill('Ada L.');
    await row.getByLabel('Name of Ada').press('Enter');
    await page.getByTestId('people-feedback').getByText('Renamed to Ada L..').waitFor();
    await page.getByRole('button', { name: 'Remove Ada L.' }).click();
    await page.getByTestId('people-feedback').getByText('Ada L. was removed from your contacts.').waitFor();
    assert.deepEqual(host.contacts, []);
    assert.deepEqual(host.callsOf('changeContact').map((c) => c.change), [
      { fingerprint: FAKE_IDENTITY.fingerprint, trust: 'trusted' },
      { fingerprint: FAKE_IDENTITY.fingerprint, verified: true },
      { fingerprint: FAKE_IDENTITY.fingerprint, name: 'Ada L.' },
    ]);
    assert.deepEqual(ui.problems, []);
  });

  test('dark mode renders (screenshots only)', async () => {
    const host = new FakeHost({ state: 'running' });
    const server = await suite.serve(host);
    const ui = await suite.open(server.url, 'desktop', 'dark');
    await ui.page.getByRole('heading', { name: 'Status' }).waitFor();
    await screenshot(ui.page, 'dark-status-1024x700');
    await settings(ui.page).open();
    await screenshot(ui.page, 'dark-settings-1024x700');
  });
});

if (reason !== null) {
  test('UI tests in Chromium', (t) => t.skip(`skipped: ${reason}`));
}
