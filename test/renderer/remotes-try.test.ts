/**
 * The Status view's remotes (views/status/Remotes.tsx): a remote away says why and counts down
 * to its next try; "Try now" tries at once (busy while it runs, once at a time), says a remote
 * still away in words, and goes once every remote is back; refused while locked, in words. The
 * real UI over the scripted fake host, in Chromium.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { triedWords } from '../../src/renderer/remote-actions.js';
import type { Status } from '../../src/common/contract.js';
import { FakeHost } from '../fixtures/ui/fake-host.js';
import { UiSuite, clickWhileHeld, screenshot, skipReason } from './helpers.js';

const reason = skipReason();

/** The fake host's remote 127.0.0.1:7770 away: refused, last connected a minute ago, tried next in `inMs`. */
function awayStatus(host: FakeHost, inMs: number): void {
  host.patchStatus({
    remotes: [{ host: '127.0.0.1', port: 7770, tls: false, connected: false, problem: 'Nothing answers there (connection refused).', lastConnectedAt: Date.now() - 61_000, nextAttemptAt: Date.now() + inMs, backlog: 2 }],
  });
}

describe('remotes away on the Status page in Chromium', { skip: reason ?? false, timeout: 120_000 }, () => {
  const suite = new UiSuite();
  before(() => suite.launch());
  after(() => suite.end());

  test('a remote away counts down to its next try; Try now says it is still away, then connects it and goes', async () => {
    const host = new FakeHost({ state: 'running', stepMs: 300 });
    const server = await suite.serve(host);
    const { page, problems } = await suite.open(server.url);
    await page.getByTestId('remote-list').waitFor();
    assert.equal(await page.getByTestId('try-remotes').count(), 0, 'nothing to try while every remote is connected');

    awayStatus(host, 25_500);
    const detail = page.getByTestId('remote-detail');
    await detail.getByText(/next try in 2\d s/).waitFor();
    const shown = /^Nothing answers there \(connection refused\)\. · last connected 1 minute ago · next try in (2\d) s · 2 objects waiting to upload$/.exec((await detail.textContent())!);
    assert.ok(shown, (await detail.textContent())!);
    // Counted down by the page itself, a second at a time.
    const lower = new RegExp(`next try in (${Array.from({ length: Number(shown[1]) - 1 }, (_, i) => i + 1).join('|')}) s`);
    await detail.getByText(lower).waitFor({ timeout: 5_000 });

    host.remotesBack = false;
    const button = page.getByRole('button', { name: 'Try the remote now' });
    await clickWhileHeld(host, button, page.getByRole('button', { name: 'Try the remote now' }).filter({ hasText: 'Trying…' }), 'one try at a time');
    const feedback = page.getByTestId('try-remotes-feedback');
    await feedback.getByText('Still out of reach: 127.0.0.1:7770 — Nothing answers there (connection refused). Hypergolix keeps trying.').waitFor();
    await detail.getByText(/next try in [12] s/).waitFor();
    await screenshot(page, 'status-remote-away');
    assert.equal(host.callsOf('tryRemotes').length, 1, 'the disabled button asked nothing more');

    host.remotesBack = true;
    await page.getByRole('button', { name: 'Try the remote now' }).click();
    await feedback.getByText('Connected.').waitFor();
    assert.equal(await page.getByTestId('try-remotes').count(), 0, 'the button goes with the last remote away');
    assert.equal(await page.getByTestId('remotes-connected').textContent(), '1 of 1');
    assert.deepEqual(problems, []);
  });

  test('Try now refused by the host (locked meanwhile) is said in words, and the button is back', async () => {
    const host = new FakeHost({ state: 'running', stepMs: 50 });
    const server = await suite.serve(host);
    const { page } = await suite.open(server.url);
    awayStatus(host, 10_000);
    await page.getByTestId('try-remotes').waitFor();
    (host as unknown as { status: { state: string } }).status.state = 'locked';
    await page.getByTestId('try-remotes').click();
    await page.getByTestId('try-remotes-feedback').getByText('Not possible while locked').waitFor();
    assert.equal(await page.getByTestId('try-remotes').isDisabled(), false);
  });
});

test('the words after Try now: connected, some back and some still away with why, in the order of the remotes', () => {
  const remote = (host: string, connected: boolean, problem?: string) => ({ host, port: 7770, tls: false, connected, ...(problem ? { problem } : {}) });
  const status = (...remotes: ReturnType<typeof remote>[]) => ({ remotes }) as unknown as Status;
  const before = status(remote('a', false), remote('b', false), remote('c', true));
  assert.deepEqual(triedWords(before, status(remote('a', true), remote('b', true), remote('c', true))), { tone: 'ok', message: 'Connected to every remote.' });
  assert.deepEqual(triedWords(status(remote('a', false)), status(remote('a', true))), { tone: 'ok', message: 'Connected.' });
  assert.deepEqual(triedWords(before, status(remote('a', true), remote('b', false, 'No such host.'), remote('c', true))), {
    tone: 'error',
    message: 'Connected to a:7770. Still out of reach: b:7770 — No such host. Hypergolix keeps trying.',
  });
  assert.deepEqual(triedWords(undefined, status(remote('a', false))), { tone: 'error', message: 'Still out of reach: a:7770. Hypergolix keeps trying.' });
});

if (reason !== null) {
  test('remotes away on the Status page in Chromium', (t) => t.skip(`skipped: ${reason}`));
}
