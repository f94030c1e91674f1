// The Electron window's hgx://app/ scheme: only the UI directory, through the shared static-file
// server, with the window's CSP on every answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_SCHEME_PRIVILEGES, resolveAppRequest, serveAppRequest } from '../../src/main/app-protocol.js';
import { ELECTRON_CSP } from '../../src/main/window.js';

const temps: string[] = [];
test.after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'hgx-app-protocol-'));
  temps.push(d);
  return d;
};

function uiRoot(): string {
  const root = temp();
  writeFileSync(join(root, 'index.html'), '<!doctype html>');
  writeFileSync(join(root, 'app.js'), 'x');
  const outside = temp();
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  symlinkSync(join(outside, 'secret.txt'), join(root, 'link.txt'));
  return root;
}

test('app protocol: hgx://app/ URLs resolve inside the UI directory, nothing else does', () => {
  const root = uiRoot();
  assert.equal(resolveAppRequest('hgx://app/', root), join(root, 'index.html'));
  assert.equal(resolveAppRequest('hgx://app/app.js?x=1', root), join(root, 'app.js'));
  const bad = [
    'hgx://app/../secret.txt',
    'hgx://app/%2e%2e/%2e%2e/etc/passwd',
    'hgx://app/..%2fsecret.txt',
    'hgx://app/..%5csecret.txt',
    'hgx://other/index.html',
    'file:///etc/passwd',
    'hgx://app/a%00b',
    'hgx://app/%E0%A4%A',
    'not a url',
  ];
  for (const url of bad) {
    const r = resolveAppRequest(url, root);
    assert.ok(r === null || r.startsWith(root + '/'), `${url} → ${r}`);
  }
  assert.equal(resolveAppRequest('hgx://other/index.html', root), null);
  assert.equal(resolveAppRequest('hgx://app/..%5csecret.txt', root), null);
  assert.equal(resolveAppRequest('hgx://app/a%00b', root), null);
});

test('app protocol: serves the files with the CSP; 404 out of the directory, 400 for a malformed path', async () => {
  const root = uiRoot();
  const ok = await serveAppRequest('hgx://app/', root);
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['Content-Type'], 'text/html; charset=utf-8');
  assert.equal(ok.headers['Content-Security-Policy'], ELECTRON_CSP);
  assert.equal(ok.headers['X-Content-Type-Options'], 'nosniff');
  assert.equal(ok.headers['Cache-Control'], 'no-store');
  assert.equal((await serveAppRequest('hgx://app/app.js', root)).headers['Content-Type'], 'text/javascript; charset=utf-8');
  for (const [url, status] of [
    ['hgx://app/link.txt', 404],
    ['hgx://app/missing.js', 404],
    ['hgx://app/%2e%2e/secret.txt', 404],
    ['hgx://other/index.html', 404],
    ['hgx://app/..%5csecret.txt', 400],
    ['hgx://app/a%00b', 400],
    ['hgx://app/%E0%A4%A', 400],
  ] as const) {
    const r = await serveAppRequest(url, root);
    assert.equal(r.status, status, url);
    assert.equal(r.headers['Content-Security-Policy'], ELECTRON_CSP, `${url}: the CSP on refusals too`);
  }
  assert.equal(APP_SCHEME_PRIVILEGES.secure, true);
});
