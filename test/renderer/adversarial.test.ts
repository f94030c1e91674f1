/**
 * The real UI in Chromium over the scripted fake host, used as an impatient, keyboard-only or
 * unlucky user would: lists the daemon cannot read, refused and repeated submissions, pasted
 * passwords too long for the host, and where the focus lands after each of these.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright';
import { ERROR_CODES, fail, type Request } from '../../src/common/contract.js';
import { FAKE_IDENTITY, FakeHost, defaultSettings, type FakeHostOptions } from '../fixtures/ui/fake-host.js';
import { UiSuite, mainWindow, settings, shell, skipReason, waitForFocus, waitForValue, wizard, type OpenUi } from './helpers.js';

const reason = skipReason();

/** Makes the host answer `kind` requests with this error while `when()` holds, as a failing daemon would. */
function failWhile(host: FakeHost, kind: Request['kind'], message: string, when: (req: Request) => boolean = () => true): { on: boolean } {
  const flag = { on: true };
  const real = host.request;
  host.request = ((req: Request) => (req.kind === kind && flag.on && when(req) ? Promise.resolve(fail(ERROR_CODES.internal, message)) : real(req))) as FakeHost['request'];
  return flag;
}

// What page.evaluate callbacks read; the Node tsconfig has no DOM lib.
interface Doc {
  document: { activeElement: { id: string; tagName: string; getAttribute(n: string): string | null } | null; body: unknown };
}
const focused = (page: Page) =>
  page.evaluate(() => {
    const a = (globalThis as unknown as Doc).document.activeElement;
    return a ? { id: a.id, tag: a.tagName, testId: a.getAttribute('data-testid'), text: (a as unknown as { textContent: string }).textContent.trim() } : null;
  });

describe('the UI under adversarial use, in Chromium', { skip: reason ?? false, timeout: 240_000 }, () => {
  const suite = new UiSuite();
  before(() => suite.launch());
  after(() => suite.end());

  async function start(opts: FakeHostOptions = {}, setup: (host: FakeHost) => void = () => {}): Promise<{ host: FakeHost; page: Page; ui: OpenUi }> {
    const host = new FakeHost(opts);
    setup(host);
    const server = await suite.serve(host);
    const ui = await suite.open(server.url);
    return { host, page: ui.page, ui };
  }

  test('contacts and shares: lists the daemon cannot read say so, with Try again, not "Loading…" for ever', async () => {
    let failing!: { on: boolean };
    const { page, ui } = await start({ state: 'running' }, (host) => (failing = failWhile(host, 'listContacts', 'The account could not be read.')));
    await mainWindow(page);
    await shell(page).go('Contacts');
    const problem = page.getByTestId('people-load-error');
    await problem.waitFor();
    assert.match(await problem.innerText(), /The account could not be read\./);
    assert.equal(await page.getByText('Loading…').count(), 0, 'nothing is loading any more');

    await shell(page).go('Shares');
    await problem.waitFor();
    // Lists never seen are not said to be empty.
    assert.equal(await page.getByText('Nothing yet.').count(), 0);
    assert.equal(await page.getByText('You have not shared anything yet', { exact: false }).count(), 0);
    assert.equal(await page.getByText('Loading…').count(), 0);

    failing.on = false;
    await problem.getByRole('button', { name: 'Try again' }).click();
    await page.getByText('Nothing waits for your answer.').waitFor();
    assert.equal(await problem.count(), 0, 'the problem goes once the lists are read');
    await shell(page).go('Contacts');
    await page.getByText('No contacts yet.').waitFor();
    assert.deepEqual(ui.problems, []);
  });

  test('contacts: a refused add keeps what was typed; a double click adds once; an emptied name shows the kept one again', async () => {
    const { host, page, ui } = await start({ state: 'running' }, (h) => failWhile(h, 'changeContact', 'That is not a fingerprint.', (r) => r.kind === 'changeContact' && r.change.fingerprint === 'not-a-fingerprint'));
    await mainWindow(page);
    await shell(page).go('Contacts');
    const form = page.getByRole('form', { name: 'Add someone' });
    const fp = form.getByLabel('Fingerprint');
    const name = form.getByLabel('Name', { exact: true });
    await fp.fill('not-a-fingerprint');
    await name.fill('Bob');
    await page.getByRole('button', { name: 'Add contact' }).click();
    await page.getByTestId('people-feedback').getByText('That is not a fingerprint.').waitFor();
    assert.equal(await fp.inputValue(), 'not-a-fingerprint', 'the fingerprint is kept to be corrected');
    assert.equal(await name.inputValue(), 'Bob');

    await fp.fill(FAKE_IDENTITY.userId);
    await page.getByRole('button', { name: 'Add contact' }).dblclick();
    await page.getByTestId('people-feedback').getByText('Bob was added', { exact: false }).waitFor();
    await page.getByLabel('Name of Bob').waitFor();
    assert.equal(host.callsOf('changeContact').filter((c) => c.change.fingerprint === FAKE_IDENTITY.userId).length, 1, 'one add for a double click');
    assert.equal(await waitForValue(fp, ''), '', 'a done add empties the form');
    assert.equal(await name.inputValue(), '');

    const row = page.getByLabel('Name of Bob');
    await row.fill('');
    await row.blur();
    assert.equal(await waitForValue(row, 'Bob'), 'Bob', 'a name cannot be emptied, so the kept one shows again');
    assert.equal(host.callsOf('changeContact').length, 1, 'and nothing was sent (the refused add never reached the fake)');
    assert.deepEqual(ui.problems, []);
  });

  test('lock: the question takes the focus, Escape cancels it back to the Lock button, Lock anyway locks once', async () => {
    const { host, page, ui } = await start({ state: 'running' });
    await mainWindow(page);
    const lock = page.getByRole('button', { name: 'Lock', exact: true });
    await lock.focus();
    await page.keyboard.press('Enter');
    const question = page.getByRole('alertdialog', { name: 'Lock Hypergolix' });
    await question.waitFor();
    assert.equal((await focused(page))?.text, 'Cancel', 'the focus is in the question');
    await page.keyboard.press('Escape');
    await question.waitFor({ state: 'detached' });
    assert.equal((await focused(page))?.text, 'Lock', 'back on the Lock button');
    assert.equal(host.callsOf('lock').length, 0);

    await page.keyboard.press('Enter');
    await question.getByRole('button', { name: 'Lock anyway' }).dblclick();
    await page.getByRole('heading', { name: 'Unlock Hypergolix' }).waitFor();
    assert.equal(host.callsOf('lock').length, 1);
    assert.deepEqual(ui.problems, []);
  });

  test('forgot your password: the key field has the focus, again after a failure; an old failure is not shown again; Back focuses the password', async () => {
    const { page, ui } = await start({ state: 'locked', password: 'correct-password-42' });
    await page.getByRole('button', { name: 'Forgot your password?' }).click();
    await waitForFocus(page, 'recovery-key');
    await page.keyboard.type('AAAA-BBBB');
    await page.getByLabel('New password', { exact: true }).fill('purple-lantern-okra-93');
    await page.getByLabel('New password again').fill('purple-lantern-okra-93');
    await page.getByRole('button', { name: 'Set the new password and unlock' }).click();
    await page.getByTestId('recover-error').waitFor();
    await waitForFocus(page, 'recovery-key');

    await page.getByRole('button', { name: 'Back to the password' }).click();
    await waitForFocus(page, 'unlock-password');
    await page.getByRole('button', { name: 'Forgot your password?' }).click();
    await waitForFocus(page, 'recovery-key');
    assert.equal(await page.getByTestId('recover-error').count(), 0, 'a new visit starts without the last one\'s error');
    assert.deepEqual(ui.problems, []);
  });

  test('a new password longer than the host takes is refused on the page, with its length, before anything is sent', async () => {
    const { host, page, ui } = await start({ state: 'no-account', stepMs: 10 });
    const w = wizard(page);
    await w.start();
    // A varied passphrase (the strength rule likes it), pasted: 1,200 characters.
    const long = Array.from({ length: 200 }, (_, i) => `Wd${(i * 7919) % 10007}q`).join('-').slice(0, 1200);
    assert.equal(long.length, 1200);
    await w.enterPassword(long);
    await w.acknowledge();
    assert.match(await page.getByTestId('password-refusal').innerText(), /at most 1024 characters \(this one has 1200\)/);
    assert.equal(await w.createButton().isDisabled(), true);
    await page.getByLabel('Type it again').press('Enter');
    assert.equal(host.callsOf('createAccount').length, 0, 'nothing was sent');
    assert.equal(await page.getByText('expected a string').count(), 0, 'no words of the wire');
    // The longest the host takes is fine.
    await w.enterPassword(long.slice(0, 1024));
    assert.equal(await w.createButton().isDisabled(), false);
    assert.deepEqual(ui.problems, []);
  });

  test('unlock: a pasted password longer than any the host takes is said so in words, and not sent', async () => {
    const { host, page, ui } = await start({ state: 'locked', password: 'correct-password-42' });
    const field = page.getByLabel('Password', { exact: true });
    await field.fill('correct-password-42 '.repeat(55));
    await field.press('Enter');
    const error = page.getByTestId('unlock-error');
    await error.waitFor();
    assert.match(await error.innerText(), /at most 1024 characters; this one has 1100\)\. Check what was pasted\./);
    assert.equal(host.callsOf('unlock').length, 0);
    await waitForFocus(page, 'unlock-password');
    await field.fill('correct-password-42');
    await field.press('Enter');
    await mainWindow(page);
    assert.deepEqual(ui.problems, []);
  });

  test('connected apps: a double click on Disconnect disconnects once and says so (not "not connected any more")', async () => {
    const { host, page, ui } = await start({ state: 'running' }, (h) => {
      h.apps = [{ id: 3, token: null, legacy: false, sendsKey: false, tracked: 2, apis: 1, connectedAt: Date.now() - 60_000, lastActivity: Date.now() - 5_000 }];
    });
    await page.getByRole('button', { name: 'Disconnect App #3' }).dblclick();
    await page.getByTestId('apps-feedback').getByText('App #3 was disconnected.', { exact: false }).waitFor();
    await page.getByText('No app is connected.', { exact: false }).waitFor();
    assert.equal(host.callsOf('disconnectApp').length, 1);
    assert.match(await page.getByTestId('apps-feedback').innerText(), /was disconnected/);
    assert.deepEqual(ui.problems, []);
  });

  test('settings: after a refused save the focus is on the marked field, after a done one on the words (never lost to the page)', async () => {
    const { host, page, ui } = await start({ state: 'running', stepMs: 20 });
    const s = settings(page);
    await s.open();
    await page.locator('#ipc-port').fill('7790');
    host.rejectNextSave = { 'process.ipc_port': 'Another program listens on port 7790.' };
    await s.saveButton().focus();
    await page.keyboard.press('Enter');
    await page.locator('#ipc-port-error').getByText('Another program listens on port 7790.').waitFor();
    await waitForFocus(page, 'ipc-port');

    await page.keyboard.press('Control+A');
    await page.keyboard.type('7791');
    await s.saveButton().focus();
    await page.keyboard.press('Enter');
    await s.status().getByText('Saved. Hypergolix restarted with the new settings.').waitFor();
    await page.waitForFunction(() => (globalThis as unknown as Doc).document.activeElement !== (globalThis as unknown as Doc).document.body);
    assert.equal((await focused(page))?.testId, 'save-status', 'the focus is on how the save went');
    assert.equal(host.saved.at(-1)?.process.ipc_port, 7791);
    assert.deepEqual(ui.problems, []);
  });

  test('settings: after a save the form shows what the file holds (a host written trimmed), not what was typed', async () => {
    // As the real config module writes a remote (seen with a real daemon: "  Example.ORG.  " is saved as "Example.ORG.").
    const { page, ui } = await start({ state: 'running', stepMs: 10 }, (host) => {
      const real = host.request;
      host.request = ((req: Request) =>
        real(req.kind === 'saveSettings' ? { ...req, settings: { ...req.settings, remotes: req.settings.remotes.map((r) => ({ ...r, host: r.host.trim() })) } } : req)) as FakeHost['request'];
    });
    const s = settings(page);
    await s.open();
    await page.locator('#remote-0-host').fill('  hgx.example.org  ');
    await s.save();
    await s.status().getByText('Saved. Hypergolix restarted with the new settings.').waitFor();
    await page.waitForFunction(() => (globalThis as unknown as { document: { getElementById(id: string): { value: string } | null } }).document.getElementById('remote-0-host')?.value === 'hgx.example.org');
    assert.equal(await s.saveButton().isDisabled(), true, 'nothing left to save');
    assert.deepEqual(ui.problems, []);
  });

  test('settings: removing a remote by keyboard leaves the focus on the next remove button, then on Add remote', async () => {
    const two = defaultSettings();
    two.remotes.push({ host: 'hgx.example.org', port: 443, tls: true });
    const { page, ui } = await start({ state: 'running', settings: two });
    await settings(page).open();
    await page.getByRole('button', { name: 'Remove remote hgx.example.org:443 (TLS)' }).focus();
    await page.keyboard.press('Enter');
    await waitForFocus(page, 'remote-0-remove');
    await page.keyboard.press('Enter');
    await waitForFocus(page, 'add-remote');
    assert.equal(await page.getByTestId('remotes').locator('li').count(), 0);
    assert.deepEqual(ui.problems, []);
  });

  test('shares: answered by keyboard, the focus moves to the next share\'s answers, then to the list\'s heading', async () => {
    const { host, page, ui } = await start({ state: 'running' }, (h) => {
      h.addIncomingShare({ id: 'sh-1', from: FAKE_IDENTITY.userId, apiId: 'AAEC', receivedAt: Date.now() - 120_000, name: null, type: 'JSON', size: 120 });
      h.addIncomingShare({ id: 'sh-2', from: FAKE_IDENTITY.fingerprint, apiId: 'AAED', receivedAt: Date.now() - 60_000, name: 'Ada', type: 'JSON', size: 64 });
    });
    await shell(page).go('Shares');
    await page.getByTestId('share-sh-1').getByRole('button', { name: 'Accept once' }).focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('share-sh-1').waitFor({ state: 'detached' });
    await page.waitForFunction(() => (globalThis as unknown as { document: { activeElement: { textContent: string } | null } }).document.activeElement?.textContent === 'Accept once');
    await page.keyboard.press('Enter');
    await waitForFocus(page, 'waiting-title');
    assert.equal(host.callsOf('acceptShare').length, 2);
    assert.deepEqual(ui.problems, []);
  });

  test('a restart that does not come back after a save: "Try the restart again" on the settings page, "Try again" on the status page, until it does', async () => {
    const { host, page, ui } = await start({ state: 'running' }, (h) => void (h.restartFailures = 2));
    await mainWindow(page);
    const s = settings(page);
    await s.open();
    await s.setVerbosity('debug');
    await s.save();
    await s.status().getByText('Saved, but Hypergolix did not restart. Hypergolix did not restart: the IPC port is taken.').waitFor();
    await page.getByRole('button', { name: 'Try the restart again' }).click();
    // Fails once more: said again, and offered again.
    await page.getByRole('button', { name: 'Try the restart again' }).waitFor();
    assert.match(await s.status().innerText(), /^Hypergolix did not restart: the IPC port is taken\.$/);
    assert.equal(host.callsOf('retryRestart').length, 1);

    await shell(page).go('Status');
    const stopped = page.getByTestId('stopped-by-error');
    await stopped.getByText('the IPC port is taken', { exact: false }).waitFor();
    await stopped.getByRole('button', { name: 'Try again' }).dblclick();
    await page.getByTestId('state').getByText('Running').waitFor();
    assert.equal(await stopped.count(), 0, 'the error is gone once it runs');
    assert.equal(host.callsOf('retryRestart').length, 2, 'a double click tries once');
    await s.open();
    await s.status().getByText('Saved. Hypergolix restarted with the new settings.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Try the restart again' }).count(), 0);
    assert.deepEqual(ui.problems, []);
  });

  test('a host that cannot say its state: the start screen says why and offers Try again, which gets past it', async () => {
    let failing!: { on: boolean };
    const { page, ui } = await start({ state: 'running' }, (host) => (failing = failWhile(host, 'getState', 'The account store could not be opened.')));
    await page.getByText('The account store could not be opened.').waitFor();
    failing.on = false;
    await page.getByRole('button', { name: 'Try again' }).click();
    await mainWindow(page);
    assert.deepEqual(ui.problems, []);
  });

  test('sign in: a refused sign-in puts the focus on the password, to retype it', async () => {
    const { page, ui } = await start({ state: 'no-account', password: 'purple-lantern-okra-92' });
    await page.getByRole('button', { name: 'I already have an account' }).click();
    await page.getByLabel('User ID').fill(FAKE_IDENTITY.userId);
    await page.getByLabel('Remote that holds the account').fill('127.0.0.1:7770');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('signin-error').waitFor();
    await waitForFocus(page, 'signin-password');
    assert.deepEqual(ui.problems, []);
  });
});

if (reason) test('adversarial UI tests in Chromium', (t) => t.skip(`skipped: ${reason}`));
