/**
 * The Status view's "This computer's server" (views/status/ServerStore.tsx): shown only while an
 * embedded server runs on a file store; not checked yet, "Check now" (busy while it runs, how far
 * it is, once at a time), all sound, then damaged objects said; a refusal said in words. The real
 * UI over the scripted fake host, in Chromium.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeHost } from '../fixtures/ui/fake-host.js';
import { UiSuite, screenshot, skipReason } from './helpers.js';

const reason = skipReason();

describe("this computer's server on the Status page in Chromium", { skip: reason ?? false, timeout: 120_000 }, () => {
  const suite = new UiSuite();
  before(() => suite.launch());
  after(() => suite.end());

  test('not checked yet; Check now tells how far it is, then all sound, then what is damaged', async () => {
    const host = new FakeHost({ state: 'running', stepMs: 300, serverObjects: 2_310 });
    const server = await suite.serve(host);
    const { page, problems } = await suite.open(server.url);
    const summary = page.getByTestId('server-store-check');
    await summary.waitFor();
    assert.equal(await summary.textContent(), 'Not checked yet. The server checks its store 10 minutes after it starts, then daily.');

    const button = page.getByRole('button', { name: "Check the server's store now" });
    // Held at its progress until the page has shown it: a loaded machine may batch a step that
    // lasts a timer's 300 ms with the next into one render (a clean-clone run met it).
    const release = host.holdProgress();
    await button.click();
    await summary.getByText('Being checked now: 1,155 of 2,310 objects read…').waitFor();
    assert.equal(await button.isDisabled(), true, 'one check at a time');
    assert.equal(await button.textContent(), 'Checking…');
    release();
    const feedback = page.getByTestId('server-store-check-feedback');
    await feedback.getByText('Checked 2,310 objects: all sound.').waitFor();
    assert.equal(await summary.textContent(), 'Its store checked just now: 2,310 objects, all sound.');
    assert.equal(host.callsOf('checkServerStore').length, 1);
    assert.equal(await page.getByRole('button', { name: 'Check now', exact: true }).count(), 1, "the local files' own button is another");

    host.serverDamaged = 3;
    await button.click();
    await feedback.getByText('Checked 2,310 objects: 3 objects damaged. The server answers them as not there until a computer that holds them sends them again; if this computer syncs with it, Check now under Files on this computer gives again what it holds.').waitFor();
    assert.equal(await feedback.locator('p').getAttribute('class'), 'error-text');
    assert.equal(await summary.textContent(), 'Its store checked just now: 2,310 objects, 3 damaged.');
    await screenshot(page, 'status-server-store');
    assert.deepEqual(problems, []);
  });

  test('no server here: nothing shown; one gone meanwhile: the refusal in words, and the button is back', async () => {
    const none = new FakeHost({ state: 'running', stepMs: 50 });
    const first = await suite.open((await suite.serve(none)).url);
    await first.page.getByTestId('cache-check').waitFor();
    assert.equal(await first.page.getByTestId('server-store-check').count(), 0);

    const host = new FakeHost({ state: 'running', stepMs: 50, serverObjects: 10 });
    const { page } = await suite.open((await suite.serve(host)).url);
    await page.getByTestId('server-store-check').waitFor();
    // Turned off meanwhile (another window, the tray), its status not arrived yet: the host refuses.
    delete (host as unknown as { status: { serverStore?: unknown } }).status.serverStore;
    await page.getByRole('button', { name: "Check the server's store now" }).click();
    await page.getByTestId('server-store-check-feedback').getByText('This computer runs no server: turn it on in Settings to have one').waitFor();
    assert.equal(await page.getByRole('button', { name: "Check the server's store now" }).isDisabled(), false);
  });
});

if (reason !== null) {
  test("this computer's server on the Status page in Chromium", (t) => t.skip(`skipped: ${reason}`));
}
