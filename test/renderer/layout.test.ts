/**
 * Every main view, as full as the fake host can make it (a remote away, shares waiting, a share
 * that could not be read, contacts, apps, the server's store), fits the window at every width
 * from a phone's to a wide screen's: nothing wider than the window, nothing out of the sidebar,
 * no button too narrow for its words (layoutFaults). The other UI tests check the sizes they
 * photograph; this one sweeps the widths between, where a layout switches.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectedAppJson } from '../../src/common/contract.js';
import { FAKE_IDENTITY, FakeHost } from '../fixtures/ui/fake-host.js';
import { UiSuite, layoutFaults, shell, skipReason } from './helpers.js';

const reason = skipReason();
const WIDTHS = [320, 360, 420, 480, 600, 640, 641, 720, 800, 1024, 1440];
const VIEWS = ['Status', 'Shares', 'Contacts', 'Identity', 'Settings'] as const;

describe('the layout at every width', { skip: reason ?? false, timeout: 120_000 }, () => {
  const suite = new UiSuite();
  before(() => suite.launch());
  after(() => suite.end());

  test('no view sticks out of the window at any width, with everything shown at once', async () => {
    const host = new FakeHost({ state: 'running' });
    const now = Date.now();
    host.patchStatus({
      remotes: [
        { host: '127.0.0.1', port: 7770, tls: false, connected: false },
        { host: 'a-rather-long-host-name.persistence.example.org', port: 44_443, tls: true, connected: true },
      ],
    });
    host.addIncomingShare({ id: 'sh-1', from: FAKE_IDENTITY.userId, apiId: 'AAEC' + 'x'.repeat(84), receivedAt: now - 120_000, name: null, type: 'JSON', size: 120 });
    host.addIncomingShare({ id: 'sh-2', from: FAKE_IDENTITY.fingerprint, apiId: 'AAED', receivedAt: now, name: 'Someone with a long name indeed', type: 'raw bytes', size: 4096 });
    host.shares.push({ id: FAKE_IDENTITY.userId, direction: 'incoming', state: 'accepted', from: FAKE_IDENTITY.fingerprint, name: 'Ada', object: FAKE_IDENTITY.userId, apiId: null, type: 'JSON', size: 80, time: now - 86_400_000, askedAgain: now - 180_000 });
    host.contacts.push({ fingerprint: FAKE_IDENTITY.fingerprint, name: 'Ada Lovelace of the Analytical Engine', trust: 'ask', verified: true });
    const app = (id: number, token: string | null): ConnectedAppJson => ({ id, token, legacy: false, sendsKey: id === 2, apis: 2, tracked: 12, connectedAt: now - 3_600_000, lastActivity: now });
    host.apps = [app(1, 'ab'.repeat(16)), app(2, null)];
    const server = await suite.serve(host);
    const { page, problems } = await suite.open(server.url, 'desktop');
    await page.getByRole('heading', { name: 'Status' }).waitFor();
    const found: string[] = [];
    for (const view of VIEWS) {
      await page.setViewportSize({ width: 1024, height: 700 });
      await shell(page).go(view);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 700 });
        for (const fault of await layoutFaults(page)) found.push(`${view} at ${width} px: ${fault}`);
      }
    }
    assert.deepEqual(found, []);
    assert.deepEqual(problems, []);
  });

  test('the screens before the main window fit too: the wizard, the unlock prompt, "Forgot your password?"', async () => {
    const found: string[] = [];
    const sweep = async (page: import('playwright').Page, what: string) => {
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 700 });
        for (const fault of await layoutFaults(page)) found.push(`${what} at ${width} px: ${fault}`);
      }
      await page.setViewportSize({ width: 1024, height: 700 });
    };
    const wizard = await suite.open((await suite.serve(new FakeHost({ state: 'no-account' }))).url, 'desktop');
    await wizard.page.getByRole('heading', { name: 'Create your Hypergolix account' }).waitFor();
    await sweep(wizard.page, 'the wizard');
    await wizard.page.getByRole('button', { name: 'Get started' }).click();
    await wizard.page.getByLabel('Type it again').waitFor();
    await sweep(wizard.page, "the wizard's password step");
    const locked = await suite.open((await suite.serve(new FakeHost({ state: 'locked' }))).url, 'desktop');
    await locked.page.getByLabel('Password', { exact: true }).waitFor();
    await sweep(locked.page, 'the unlock prompt');
    await locked.page.getByRole('button', { name: 'Forgot your password?' }).click();
    await locked.page.getByLabel('Recovery key').waitFor();
    await sweep(locked.page, 'Forgot your password?');
    assert.deepEqual(found, []);
    assert.deepEqual([...wizard.problems, ...locked.problems], []);
  });
});
