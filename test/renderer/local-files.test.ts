/**
 * The Status view's "Files on this computer" (views/status/LocalFiles.tsx): not checked yet,
 * "Check now" (busy while it runs, once at a time), what the check put right, objects damaged
 * here that no remote has (a warning, the pill amber), and a refusal said in words. The real UI
 * over the scripted fake host, in Chromium.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeHost } from '../fixtures/ui/fake-host.js';
import { UiSuite, clickWhileHeld, screenshot, skipReason } from './helpers.js';

const reason = skipReason();
const GHIDS = Array.from({ length: 7 }, (_, i) => `A${String(i).repeat(10)}x=`);

describe('local files on the Status page in Chromium', { skip: reason ?? false, timeout: 120_000 }, () => {
  const suite = new UiSuite();
  before(() => suite.launch());
  after(() => suite.end());

  test('not checked yet; Check now runs one check, says what it put right, then what stays damaged', async () => {
    const host = new FakeHost({ state: 'running', stepMs: 300 });
    const server = await suite.serve(host);
    const { page, problems } = await suite.open(server.url);
    const summary = page.getByTestId('cache-check');
    await summary.waitFor();
    assert.equal(await summary.textContent(), 'Not checked yet. Hypergolix checks its files a few minutes after it starts, then daily.');

    host.filesToMend = 3;
    host.remotesLacking = 4;
    const button = page.getByRole('button', { name: 'Check now' });
    await clickWhileHeld(host, button, page.getByRole('button', { name: 'Checking…' }), 'one check at a time');
    const feedback = page.getByTestId('cache-check-feedback');
    await feedback.getByText('Checked 1,284 objects: all sound. 3 damaged files were put right from a remote. 4 objects were given again to remotes that lacked them.').waitFor();
    assert.equal(
      await summary.textContent(),
      'Checked just now: 1,284 objects, all sound. 3 damaged files put right from a remote and 4 objects given again to remotes that lacked them since Hypergolix started.',
    );
    assert.equal(host.callsOf('checkCache').length, 1, 'the disabled button asked nothing more');
    assert.equal(await page.getByTestId('damaged-files').count(), 0);

    host.damagedHere = GHIDS;
    await page.getByRole('button', { name: 'Check now' }).click();
    await feedback.getByText('Checked 1,284 objects: 7 objects damaged here, and no remote has a good copy yet.').waitFor();
    const warning = page.getByTestId('damaged-files');
    await warning.waitFor();
    const text = (await warning.textContent())!;
    assert.match(text, /7 objects are damaged on this computer, and no remote has given a good copy yet\./);
    assert.match(text, new RegExp(`${GHIDS.slice(0, 5).join(' · ').replace(/[=]/g, '\\$&')} · and 2 more`));
    assert.ok(!text.includes(GHIDS[5]!), 'at most five are listed');
    assert.equal(await page.getByTestId('sidebar-pill').getAttribute('title'), '7 objects are damaged on this computer');
    await screenshot(page, 'status-damaged-files');
    assert.deepEqual(problems, []);
  });

  test('a check the host refuses is said in words, and the button is back', async () => {
    const host = new FakeHost({ state: 'running', stepMs: 50 });
    const server = await suite.serve(host);
    const { page } = await suite.open(server.url);
    await page.getByTestId('cache-check').waitFor();
    // Locked meanwhile, its status not arrived yet (another window, the tray): the host refuses.
    (host as unknown as { status: { state: string } }).status.state = 'locked';
    await page.getByRole('button', { name: 'Check now' }).click();
    await page.getByTestId('cache-check-feedback').getByText('Not possible while locked').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Check now' }).isDisabled(), false);
  });
});

if (reason !== null) {
  test('local files on the Status page in Chromium', (t) => t.skip(`skipped: ${reason}`));
}
