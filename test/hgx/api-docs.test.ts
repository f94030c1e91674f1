// The SDK's API reference is generated from its doc comments by TypeDoc (packages/hgx/typedoc.json,
// `npm run docs -w @hypergolix/hgx`). Every export and public member must be documented: TypeDoc
// treats a missing comment as an error, so this test fails when one is added undocumented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const PKG = join(ROOT, 'packages/hgx');
const TYPEDOC = join(ROOT, 'node_modules/typedoc/bin/typedoc');
const skip = existsSync(TYPEDOC) ? false : 'typedoc is not installed: run npm install (it is a devDependency)';

test('TypeDoc builds the reference with every export documented, from the doc comments', { skip }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'hgx-api-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const r = await run(process.execPath, [TYPEDOC, '--out', out], { cwd: PKG, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } }).catch(
    (e: { stdout: string; stderr: string }) => ({ ...e, failed: true }),
  );
  assert.equal('failed' in r, false, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stdout + r.stderr, /warning/i);
  const page = (p: string) => readFileSync(join(out, p), 'utf8');
  // The pages say what the comments say.
  assert.match(page('classes/HGXLink.html'), /reconnects by itself/);
  assert.match(page('classes/HGXLink.html'), /IncompatibleDaemon/);
  assert.match(page('classes/IncompatibleDaemon.html'), /another IPC protocol version/);
  assert.match(page('interfaces/ConnectOptions.html'), /How long <code>connect\(\)<\/code> keeps trying/);
  for (const cls of ['JsonObj', 'Obj', 'HgxObject', 'IpcError', 'NotConnected', 'AuthFailed']) assert.ok(page(`classes/${cls}.html`).length > 0, cls);
  // Internals keyed by symbols stay out of the reference.
  assert.doesNotMatch(page('classes/HgxObject.html'), /APPLY_UPSTREAM/);
  // The README is the reference's front page.
  assert.match(page('index.html'), /This package is how an app\s+uses it/);
});
