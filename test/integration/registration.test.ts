// Server accounts end to end (#16), with a real server, a real daemon serving IPC, the CLI and
// Chromium: an unregistered account uploads up to the free limit and is refused after it (the
// daemon says "register on SERVER…"); `hypergolix config --register` has the daemon sign the
// server's challenge; registering through the page in Chromium lifts the limit at once; the same
// link again is refused; an invite code entered on the page registers; revoking through
// `hypergolix server accounts` applies to the next upload; reads stay unlimited.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Browser } from 'playwright';
import { REFERENCE_KDF } from '../../src/core/account/kdf.js';
import { createConfigCommand } from '../../src/cli/commands/config.js';
import type { CliIO } from '../../src/cli/command.js';
import { main } from '../../src/cli/index.js';
import { startAppIpc } from '../../src/core/assembly/app-ipc.js';
import { startServer, type RunningServer } from '../../src/core/assembly/server.js';
import { loadConfig, updateConfig } from '../../src/core/config/index.js';
import { Daemon } from '../../src/core/daemon/daemon.js';
import { API_ID_JSON } from '../../src/core/objects/hgxd.js';
import { RemoteClient } from '../../src/core/remote/client.js';
import type { RulesEngine } from '../../src/core/rules/rules-engine.js';
import { silentLogger } from '../../src/core/remote/logger.js';
import { Sharing } from '../../src/core/sharing/sharing.js';
import { freePort, serverHome, tempDir, type ServerHome, type TestContext } from '../fixtures/server/helpers.js';
import { v16Identity } from '../fixtures/vectors.js';
import { until } from '../fixtures/wait.js';
import { launchBrowser, skipReason } from '../renderer/helpers.js';
import { accountHome } from '../fixtures/account/home.js';
import { PASSWORD, harness } from '../host/helpers.js';

const FREE = 256 * 1024;
const skip = skipReason();

async function server(t: TestContext, keys: Record<string, string | number>): Promise<{ home: ServerHome; running: RunningServer }> {
  const home = await serverHome({ unregistered_upload_bytes: FREE, ...keys });
  const running = await startServer({ ...home.config, server: { ...home.config.server, port: 0 } });
  t.after(() => running.close());
  return { home, running };
}

/** A daemon with IPC, its account made from a fixture identity, its hypergolix.yml naming the server. */
async function daemon(t: TestContext, port: number, identity: 0 | 1 | 2) {
  const dir = tempDir('hgx-reg-app-');
  const env = { HOME: dir, HYPERGOLIX_HOME: dir };
  let loaded = await loadConfig({ root: dir, create: true, env, cwd: dir });
  loaded = await updateConfig(loaded, { process: { ipc_port: await freePort() }, remotes: { add: [{ host: '127.0.0.1', port, tls: false }] } });
  const d = await Daemon.start({
    ghidcache: join(dir, 'ghidcache'),
    remotes: [{ host: '127.0.0.1', port, tls: false }],
    account: { create: { password: 'pw', kdf: { ...REFERENCE_KDF, n: 1024 }, identity: v16Identity(identity) } },
    logger: silentLogger,
    remoteWaitMs: 5000,
  });
  t.after(() => d.stop());
  loaded = await updateConfig(loaded, { user: { fingerprint: d.fingerprint, user_id: d.userId } });
  const sharing = new Sharing(d, { policy: () => 'ask', blocked: () => [], warn: () => {} });
  const ipc = await startAppIpc({ daemon: d, sharing, loaded }, silentLogger);
  t.after(() => ipc.close());
  return { d, loaded, env, dir, label: `127.0.0.1:${port}` };
}

/** `hypergolix config --register` on a terminal with a display: the URL it printed and opened. */
async function register(app: { env: Record<string, string>; dir: string }): Promise<string> {
  const opened: string[] = [];
  const command = createConfigCommand({ platform: 'linux', stdoutIsTTY: () => true, openUrl: (url) => {
      opened.push(url);
    }, systemDir: join(app.dir, 'etc') });
  const out: string[] = [];
  const io: CliIO = { out: (s) => out.push(s), err: (s) => out.push(s), stdin: Readable.from([]), isTTY: true, env: { ...app.env, DISPLAY: ':0' }, cwd: app.dir };
  assert.equal(await command.run(['--register'], io), 0, out.join('\n'));
  assert.equal(opened.length, 1);
  assert.ok(out.join('\n').includes(opened[0]!));
  return opened[0]!;
}

async function withPage<T>(browser: Browser, fn: (page: import('playwright').Page, errors: string[]) => Promise<T>): Promise<T> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  // What the page's CSP refuses (or a script error) shows here; a 403 page's own status does not count.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 403/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    return await fn(page, errors);
  } finally {
    await context.close();
  }
}

test('free tier → refused with "register on SERVER…" → registered through the page in Chromium → lifted at once; replay refused; revocation applies; reads unlimited', { skip: skip ?? false }, async (t) => {
  const { home, running } = await server(t, { registration: 'open' });
  const app = await daemon(t, running.address.port, 0);
  const notices: string[] = [];
  app.d.on('free-tier', (_label, usage) => notices.push(usage.message));

  // Over the free tier in one object: the server keeps what fits and refuses the rest.
  const big = await app.d.objects.create(API_ID_JSON, Buffer.from(JSON.stringify({ blob: randomBytes(FREE).toString('base64') })));
  await until(() => notices.length > 0, 'the daemon to report the free tier');
  assert.match(notices[0]!, new RegExp(`^register on ${app.label.replace(/\./g, '\\.')} to upload more \\(.+ of 256 KiB used\\)`));
  assert.ok((running.engine as RulesEngine).usageOf(app.d.fingerprint)!.bytes <= FREE);

  const link = await register(app);
  assert.ok(link.startsWith(`http://${app.label}/register?`), link);
  const browser = await launchBrowser();
  t.after(() => browser.close());
  await withPage(browser, async (page, errors) => {
    const res = await page.goto(link);
    assert.equal(res?.status(), 200);
    assert.equal(await page.getAttribute('#result', 'data-result'), 'ok');
    assert.equal(await page.textContent('#fingerprint'), app.d.fingerprint.text);
    assert.equal(await page.getAttribute('#policy', 'data-policy'), 'open');
    assert.deepEqual(errors, [], 'nothing on the page breaks its CSP');
  });
  assert.equal(running.accounts!.get(app.d.fingerprint.text)?.status, 'registered');

  // The daemon hears it from the server's status and sends what was refused, at once.
  const accounts = await app.d.remoteAccounts();
  assert.equal(accounts[0]!.account?.status, 'registered');
  await until(() => app.d.network.status().every((r) => r.pending === 0 && r.freeTier === null), 'the refused uploads to go through');
  assert.ok(running.engine.exists(big.ghid));
  assert.ok((running.engine as RulesEngine).usageOf(app.d.fingerprint)!.bytes > FREE);

  await withPage(browser, async (page) => {
    const res = await page.goto(link);
    assert.equal(res?.status(), 403, 'the same link again');
    assert.equal(await page.getAttribute('#result', 'data-result'), 'refused');
  });

  // The operator revokes from the CLI: the next upload is refused again.
  const out: string[] = [];
  const io: CliIO = { out: (s) => out.push(s), err: (s) => out.push(s), stdin: Readable.from([]), isTTY: false, env: home.env, cwd: home.dir };
  assert.equal(await main(['server', 'accounts', 'revoke', app.d.fingerprint.text], io), 0, out.join('\n'));
  notices.length = 0;
  await app.d.objects.create(API_ID_JSON, Buffer.from(JSON.stringify({ more: randomBytes(4096).toString('base64') })));
  await until(() => notices.length > 0, 'the revoked account to be refused');
  // In words that do not send the user to a registration the server would refuse.
  assert.match(notices[0]!, new RegExp(`^your registration on ${app.label.replace(/\./g, '\\.')} was revoked by its operator, so uploads stop at its free tier \\(.+ of 256 KiB used\\): ask the operator to approve it again$`));
  assert.equal(app.d.network.status()[0]!.freeTier?.revoked, true);

  // Reads are never limited: a stranger reads what the account stored.
  const reader = new RemoteClient({ host: '127.0.0.1', port: running.address.port });
  t.after(() => reader.close());
  reader.start();
  await reader.whenConnected(5000);
  assert.ok((await reader.get(big.ghid)).length > 0);
});

test('invite: the page asks for the code in Chromium; a wrong code is refused, the operator\'s code registers', { skip: skip ?? false }, async (t) => {
  const { home, running } = await server(t, { registration: 'invite' });
  const app = await daemon(t, running.address.port, 1);
  const out: string[] = [];
  const io: CliIO = { out: (s) => out.push(s), err: () => {}, stdin: Readable.from([]), isTTY: false, env: home.env, cwd: home.dir };
  assert.equal(await main(['server', 'accounts', 'invite', '--uses', '1', '--expires', '1h'], io), 0);
  const code = out[0]!;
  const link = await register(app);
  const browser = await launchBrowser();
  t.after(() => browser.close());
  await withPage(browser, async (page, errors) => {
    await page.goto(link);
    assert.equal(await page.getAttribute('#result', 'data-result'), 'form');
    await page.fill('#code', 'not-the-code');
    await Promise.all([page.waitForNavigation(), page.click('#submit')]);
    assert.match((await page.textContent('#error')) ?? '', /not valid/);
    await page.fill('#code', code);
    await Promise.all([page.waitForNavigation(), page.click('#submit')]);
    assert.equal(await page.getAttribute('#result', 'data-result'), 'ok');
    assert.deepEqual(errors, []);
  });
  assert.equal(running.accounts!.get(app.d.fingerprint.text)?.via, 'invite');
});

test('the desktop\'s Register button (controller.registerRemote) against a real daemon and server: a signed page for this account opens; approval leaves it pending for the operator', async (t) => {
  const { running } = await server(t, { registration: 'approval' });
  const port = running.address.port;
  const dir = tempDir('hgx-reg-desktop-');
  const made = await accountHome(dir, PASSWORD, { remotes: [port], index: 1 });
  const opened: string[] = [];
  const h = await harness(dir, { openUrl: async (url) => void opened.push(url) });
  t.after(() => h.controller.stop());
  await h.controller.settled();
  await h.ask({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: false });

  const { url } = await h.ask({ kind: 'registerRemote', remote: `127.0.0.1:${port}` });
  assert.deepEqual(opened, [url], 'the browser was asked to open exactly the link it answered');
  assert.ok(url.startsWith(`http://127.0.0.1:${port}/register?`), url);
  const page = await fetch(url);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.ok(html.includes(made.fingerprint), 'the page is about this account');
  assert.equal(running.accounts!.get(made.fingerprint)?.status, 'pending', 'waiting for the operator');

  const refused = await h.askRaw({ kind: 'registerRemote', remote: '127.0.0.1:1' });
  assert.equal(refused.ok, false, 'a remote the account does not use is refused with a reason');
});
