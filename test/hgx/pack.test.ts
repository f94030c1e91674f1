// `npm pack` of @hypergolix/hgx as an app developer meets it: the tarball holds the builds, the
// declarations, the examples and the README (no sources); it installs into an empty project
// with `ws` as its one dependency; an app's TypeScript against it compiles under tsc --strict
// with nothing else installed; and its example runs against a real daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { HGXLink, JsonObj } from '../../packages/hgx/src/index.js';
import { world } from '../fixtures/ipc/world.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const PKG = join(ROOT, 'packages/hgx');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const built = existsSync(join(PKG, 'dist/index.js')) && existsSync(join(PKG, 'dist/types/index.d.ts'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const temp = mkdtempSync(join(tmpdir(), 'hgx-pack-'));
test.after(() => rmSync(temp, { recursive: true, force: true }));

/** Packs once (the build is npm test's), installs into an empty project; shared by the tests below. */
let packed: Promise<{ files: string[]; app: string }> | null = null;
function packAndInstall() {
  packed ??= (async () => {
    const { stdout } = await run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', temp], { cwd: PKG, maxBuffer: 16 << 20 });
    const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    const app = join(temp, 'app');
    cpSync(join(ROOT, 'test/fixtures/hgx/consumer.ts.txt'), join(app, 'consumer.ts'));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'hgx-consumer', private: true, type: 'module' }));
    // The registry is reachable; `ws` usually comes from npm's cache.
    await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', join(temp, info!.filename)], { cwd: app, maxBuffer: 16 << 20 });
    return { files: info!.files.map((f) => f.path), app };
  })();
  return packed;
}

const skip = built ? false : 'packages/hgx/dist is not built (npm test builds it first)';

test('the tarball holds the builds, declarations, examples and README, and no sources', { skip }, async () => {
  const { files } = await packAndInstall();
  for (const f of ['package.json', 'README.md', 'dist/index.js', 'dist/browser.js', 'dist/types/index.d.ts', 'dist/types/wire/index.d.ts', 'examples/hello.mjs']) {
    assert.ok(files.includes(f), f);
  }
  assert.deepEqual(files.filter((f) => /^(src|scripts|test)\//.test(f) || f === 'tsconfig.json' || (f.endsWith('.ts') && !f.endsWith('.d.ts'))), []);
});

test('installed into an empty project, it brings ws and nothing else of this repository', { skip }, async () => {
  const { app } = await packAndInstall();
  const top = readdirSync(join(app, 'node_modules')).filter((n) => !n.startsWith('.'));
  assert.deepEqual(top.sort(), ['@hypergolix', 'ws']);
  assert.deepEqual(readdirSync(join(app, 'node_modules/@hypergolix')), ['hgx']);
});

test('an app using its types compiles under tsc --strict, with NodeNext and with bundler resolution, without @types/node', { skip }, async () => {
  const { app } = await packAndInstall();
  for (const [module, moduleResolution] of [['NodeNext', 'NodeNext'], ['ESNext', 'Bundler']]) {
    const tsconfig = { compilerOptions: { strict: true, target: 'ES2022', lib: ['ES2022'], types: [], module, moduleResolution, noEmit: true, skipLibCheck: false, exactOptionalPropertyTypes: true }, files: ['consumer.ts'] };
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(tsconfig));
    const r = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: app }).catch((e: { stdout: string }) => ({ stdout: e.stdout, failed: true }));
    assert.equal('failed' in r, false, `${moduleResolution}: ${r.stdout}`);
  }
});

test('its example runs from the installed package against a real daemon', { skip }, async () => {
  const { app } = await packAndInstall();
  const w = await world();
  const a = await w.user(0);
  const { stdout } = await run(process.execPath, [join(app, 'node_modules/@hypergolix/hgx/examples/hello.mjs'), '--port', String(a.port), '--token-file', a.tokenFile], { cwd: app });
  const out = JSON.parse(stdout);
  assert.equal(out.whoami, a.daemon.fingerprint.text);
  assert.equal(out.state.hello, 'world');
  assert.equal(out.daemonProtocol, 1);
  // The object is really kept by the daemon: another app reads it.
  const link = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  try {
    assert.deepEqual((await link.get(JsonObj, out.ghid)).state, out.state);
  } finally {
    await link.close();
  }
});
