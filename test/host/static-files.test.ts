// The UI's static-file server, shared by the Electron scheme and browser mode: every way out of
// the root is refused, types and security headers are right, and anything else is a 404.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mimeTypeOf, resolveStaticPath, securityHeaders, serveStaticFile } from '../../src/host/static-files.js';

const CSP = "default-src 'none'";
const temps: string[] = [];
test.after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A UI root with a few files, a symlink inside it, one leading out, and a secret beside it. */
function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-static-'));
  temps.push(dir);
  const root = join(dir, 'renderer');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html>');
  writeFileSync(join(root, 'app.js'), 'x');
  writeFileSync(join(root, 'style.css'), 'p{}');
  writeFileSync(join(root, 'sub', 'icon.svg'), '<svg/>');
  writeFileSync(join(root, 'data.bin'), 'bin');
  writeFileSync(join(dir, 'secret.txt'), 'secret');
  symlinkSync(join(dir, 'secret.txt'), join(root, 'out.txt'));
  symlinkSync(join(root, 'app.js'), join(root, 'alias.js'));
  return { dir, root };
}

test('resolveStaticPath: / is index.html, paths stay inside the root', () => {
  const { root } = fixture();
  assert.deepEqual(resolveStaticPath(root, '/'), { ok: true, file: join(root, 'index.html') });
  assert.deepEqual(resolveStaticPath(root, '/sub/icon.svg'), { ok: true, file: join(root, 'sub', 'icon.svg') });
  assert.deepEqual(resolveStaticPath(root, '/sub/../app.js'), { ok: true, file: join(root, 'app.js') });
  // An absolute path in the URL is still taken from the root.
  assert.deepEqual(resolveStaticPath(root, '//etc/passwd'), { ok: true, file: join(root, 'etc', 'passwd') });
  assert.deepEqual(resolveStaticPath(root, '/%2Fetc%2Fpasswd'), { ok: true, file: join(root, 'etc', 'passwd') });
});

test('resolveStaticPath: escapes are 404, paths that name no file are 400', () => {
  const { root } = fixture();
  for (const out of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/sub/%2e%2e/%2e%2e/secret.txt', '/%2E%2E']) {
    assert.deepEqual(resolveStaticPath(root, out), { ok: false, status: 404 }, out);
  }
  for (const bad of ['/..%5csecret.txt', '/sub\\..\\..\\secret.txt', '/a%00b', '/a\0b', '/%E0%A4%A', '/%', 'app.js', '']) {
    assert.deepEqual(resolveStaticPath(root, bad), { ok: false, status: 400 }, JSON.stringify(bad));
  }
});

test('serveStaticFile: a file with its type and the security headers', async () => {
  const { root } = fixture();
  const page = await serveStaticFile(root, '/', { csp: CSP });
  assert.equal(page.status, 200);
  assert.equal(String(page.body), '<!doctype html>');
  assert.equal(page.headers['Content-Security-Policy'], CSP);
  assert.equal(page.headers['X-Content-Type-Options'], 'nosniff');
  assert.equal(page.headers['Cache-Control'], 'no-store');
  assert.deepEqual(page.headers, { ...securityHeaders(CSP), 'Content-Type': 'text/html; charset=utf-8' });
  assert.equal((await serveStaticFile(root, '/style.css', { csp: CSP })).headers['Content-Type'], 'text/css; charset=utf-8');
  assert.equal((await serveStaticFile(root, '/sub/icon.svg', { csp: CSP })).headers['Content-Type'], 'image/svg+xml');
  assert.equal((await serveStaticFile(root, '/data.bin', { csp: CSP })).headers['Content-Type'], 'application/octet-stream');
  const alias = await serveStaticFile(root, '/alias.js', { csp: CSP });
  assert.equal(alias.status, 200, 'a symlink that stays inside is followed');
  assert.equal(alias.headers['Content-Type'], 'text/javascript; charset=utf-8');
});

test('serveStaticFile: 404 for a symlink out, a directory, a missing file and an escape; 400 for a bad path', async () => {
  const { root } = fixture();
  for (const [path, status] of [
    ['/out.txt', 404],
    ['/sub', 404],
    ['/sub/', 404],
    ['/missing.js', 404],
    ['/%2e%2e/secret.txt', 404],
    ['/..%5csecret.txt', 400],
    ['/a%00b', 400],
    ['/%E0%A4%A', 400],
  ] as const) {
    const r = await serveStaticFile(root, path, { csp: CSP });
    assert.equal(r.status, status, path);
    assert.equal(r.headers['Content-Security-Policy'], CSP, `${path}: refusals carry the CSP too`);
    assert.equal(r.headers['Content-Type'], 'text/plain; charset=utf-8');
    assert.doesNotMatch(String(r.body), /secret/);
  }
});

test('serveStaticFile: a root reached through a symlink works, and still holds its files in', async () => {
  const { dir, root } = fixture();
  const link = join(dir, 'ui-link');
  symlinkSync(root, link);
  assert.equal((await serveStaticFile(link, '/app.js', { csp: CSP })).status, 200);
  assert.equal((await serveStaticFile(link, '/out.txt', { csp: CSP })).status, 404);
});

test('mimeTypeOf: the UI file types, case-insensitive, octet-stream otherwise', () => {
  assert.equal(mimeTypeOf('a/app.JS'), 'text/javascript; charset=utf-8');
  assert.equal(mimeTypeOf('x.woff2'), 'font/woff2');
  assert.equal(mimeTypeOf('x.map'), 'application/json; charset=utf-8');
  assert.equal(mimeTypeOf('README'), 'application/octet-stream');
});
