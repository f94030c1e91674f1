// The browser example (packages/hgx/examples/browser): a page using the SDK's browser build,
// served by its host, which hands it the daemon's key. In the system Chromium, user A's page
// talks to A's real daemon; user B runs the shared-notes terminal app against B's daemon; both
// daemons on one real server. A's page writes a note and shares it with B; B's note, shared with
// A, appears on the page and follows B's edit live.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { JsonLinesApp } from '../../fixtures/hgx/json-lines-app.js';
import { world } from '../../fixtures/ipc/world.js';
import { launchBrowser, screenshot, skipReason } from '../../renderer/helpers.js';

const PKG = resolve(import.meta.dirname, '../../../packages/hgx');
const EXAMPLES = join(PKG, 'examples');
const built = existsSync(join(PKG, 'dist/browser.js'));
const skip = skipReason() ?? (built ? false : 'packages/hgx/dist is not built (npm test builds it first)');

test('a page handed the key by its host shares notes with a terminal app, live', { skip }, async (t) => {
  const w = await world();
  const [a, b] = [await w.user(0), await w.user(1)];
  const host = JsonLinesApp.start(join(EXAMPLES, 'browser/host.mjs'), ['--daemon-port', String(a.port), '--token-file', a.tokenFile, '--port', '0'], PKG);
  t.after(() => host.child.kill('SIGTERM'));
  const appB = JsonLinesApp.start(join(EXAMPLES, 'shared-notes/main.mjs'), ['--port', String(b.port), '--token-file', b.tokenFile], PKG);
  t.after(() => appB.quit());
  const url = (await host.next((e) => e.type === 'listening')).url as string;
  const bWho = (await appB.next((e) => e.type === 'ready')).whoami as string;

  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
  await page.goto(url);
  await page.locator('#status', { hasText: 'connected' }).waitFor();
  assert.equal(await page.locator('#whoami').textContent(), a.daemon.fingerprint.text);

  // The page writes a note and shares it with B: B's app receives it.
  await page.fill('#text', 'from the page');
  await page.click('#new button');
  const li = page.locator('#notes li', { hasText: 'from the page' });
  await li.waitFor();
  const ghid = (await li.getAttribute('data-ghid'))!;
  await page.fill('#share-ghid', ghid);
  await page.fill('#share-with', bWho);
  await page.click('#share button');
  const arrived = await appB.next((e) => e.type === 'arrived');
  assert.deepEqual([(arrived.note as { ghid: string }).ghid, (arrived.note as { text: string }).text, arrived.from], [ghid, 'from the page', a.daemon.fingerprint.text]);
  await page.locator('#status', { hasText: 'shared with' }).waitFor();

  // B's note, shared with A, appears on the page; B's edit follows live.
  const created = await appB.send('new from the terminal', 'created');
  const bGhid = (created.note as { ghid: string }).ghid;
  await appB.send(`share ${bGhid} ${a.daemon.fingerprint.text}`, 'sharing');
  const bNote = page.locator(`#notes li[data-ghid="${bGhid}"]`);
  await bNote.locator('.text', { hasText: 'from the terminal' }).waitFor();
  assert.equal(await bNote.getAttribute('data-mine'), 'false');
  await appB.send(`edit ${bGhid} edited in the terminal`, 'edited');
  await bNote.locator('.text', { hasText: 'edited in the terminal' }).waitFor();
  assert.deepEqual(problems, []);
  await screenshot(page, 'hgx-browser-example');
});

test("the host relays only its own page's socket: another origin is refused before the daemon sees it", { skip }, async (t) => {
  const w = await world();
  const a = await w.user(0);
  const host = JsonLinesApp.start(join(EXAMPLES, 'browser/host.mjs'), ['--daemon-port', String(a.port), '--token-file', a.tokenFile], PKG);
  t.after(() => host.child.kill('SIGTERM'));
  const url = new URL((await host.next((e) => e.type === 'listening')).url as string);
  const { WebSocket } = await import('ws');
  const status = await new Promise<number>((resolveStatus, reject) => {
    const ws = new WebSocket(`ws://${url.host}/`, { origin: 'http://evil.example' });
    ws.on('unexpected-response', (_req, res) => resolveStatus(res.statusCode ?? 0));
    ws.on('open', () => reject(new Error('a foreign origin was relayed')));
    ws.on('error', () => undefined);
  });
  assert.equal(status, 403);
});
