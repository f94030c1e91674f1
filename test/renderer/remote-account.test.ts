/**
 * The Status view's per-remote account line (#16): a remote on the free tier shows its usage and
 * a Register button; pressing it asks the host to open the signed registration page, and the
 * line then reads Registered. The real UI over the scripted fake host, in Chromium.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeHost } from '../fixtures/ui/fake-host.js';
import { UiSuite, screenshot, skipReason } from './helpers.js';

const reason = skipReason();

describe('remote account line in Chromium', { skip: reason ?? false, timeout: 120_000 }, () => {
  const suite = new UiSuite();
  before(() => suite.launch());
  after(() => suite.end());

  test('free tier with usage and Register; registered after it; a remote without accounts shows neither', async () => {
    const host = new FakeHost({ state: 'running' });
    const server = await suite.serve(host);
    const ui = await suite.open(server.url);
    const page = ui.page;
    host.patchStatus({
      remotes: [
        {
          host: 'hgx.example.org',
          port: 7770,
          tls: false,
          connected: true,
          account: { status: 'unregistered', usedBytes: 10 * 1024 * 1024, freeBytes: 10 * 1024 * 1024 },
          registerHint: 'register on hgx.example.org:7770 to upload more (10 MiB of 10 MiB used)',
        },
        { host: 'own.example.org', port: 7770, tls: false, connected: true },
      ],
    });
    const line = page.getByTestId('remote-account');
    await line.waitFor();
    assert.equal(await line.count(), 1, 'only the remote that keeps accounts');
    assert.equal(await line.textContent(), 'Free tier: 10 MiB of 10 MiB used');
    await screenshot(page, 'status-free-tier');
    assert.equal((await page.getByTestId('register-remote').getAttribute('aria-label'))!, 'Register on hgx.example.org:7770', 'the button of each remote names it');
    await page.getByTestId('register-remote').click();
    await page.getByText('Registered').waitFor();
    assert.equal(await page.getByTestId('register-remote').count(), 0);
    assert.deepEqual(host.callsOf('registerRemote'), [{ kind: 'registerRemote', remote: 'hgx.example.org:7770' }]);
    assert.deepEqual(ui.problems, []);
  });

  test('a registration the operator revoked is said so, without a Register button the server would refuse', async () => {
    const host = new FakeHost({ state: 'running' });
    const server = await suite.serve(host);
    const ui = await suite.open(server.url);
    const page = ui.page;
    const hint = 'your registration on hgx.example.org:7770 was revoked by its operator, so uploads stop at its free tier (10 MiB of 10 MiB used): ask the operator to approve it again';
    host.patchStatus({
      remotes: [{ host: 'hgx.example.org', port: 7770, tls: false, connected: true, account: { status: 'revoked', usedBytes: 10 * 1024 * 1024, freeBytes: 10 * 1024 * 1024 }, registerHint: hint }],
    });
    const line = page.getByTestId('remote-account');
    await line.waitFor();
    assert.equal(await line.textContent(), 'Registration revoked: free tier, 10 MiB of 10 MiB used');
    assert.equal(await line.getAttribute('title'), hint);
    assert.equal(await page.getByTestId('register-remote').count(), 0);
    assert.deepEqual(ui.problems, []);
  });
});

if (reason !== null) {
  test('remote account line in Chromium', (t) => t.skip(`skipped: ${reason}`));
}
