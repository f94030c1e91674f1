// The package check's inspection logic on fixtures: what an app directory, a tar.gz and an
// app.asar must and must not hold; the stub Electron. (The full check, electron-builder
// included, is `npm run package:check`, run by .ci/run.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { TRAY_STATES } from '../../scripts/icons.mjs';
import {
  debProblems,
  desktopKeys,
  formatBytes,
  inspectApp,
  listAsar,
  listDir,
  listTar,
  listTarGz,
  lockPackages,
  workspacePackages,
  packageOf,
  readAsarFile,
  renderBuilderTemplate,
  requiredAppFiles,
  serverOnlyPackages,
  writeFakeFpm,
  writeStubElectron,
  type AppEntry,
} from '../../scripts/package-lib.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const PKG = { dependencies: { 'electron-log': '5.4.4', ws: '8.23.0', yaml: '2.9.1' } };
const REQUIRED = requiredAppFiles(PKG, TRAY_STATES);
const PROD = new Set(['@hypergolix/hgx', 'electron-log', 'qrcode-generator', 'ws', 'yaml']);
const DEV = new Set(['electron', 'react', 'typescript', 'esbuild', '@types/node']);
const MiB = 1024 * 1024;

const temps: string[] = [];
test.after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'hgx-pkgcheck-'));
  temps.push(d);
  return d;
};

/** A good app: every required file, a few more, sizes summing to ~2 MiB. */
function goodApp(): AppEntry[] {
  return [
    ...REQUIRED.map((path) => ({ path, size: path.endsWith('.js') ? 300_000 : 2_000 })),
    { path: 'node_modules/yaml/dist/index.js', size: 40_000 },
    { path: 'node_modules/electron-log/src/main/index.js', size: 10_000 },
    { path: 'dist/renderer/icon.svg', size: 300 },
  ];
}
const check = (entries: AppEntry[], extra: Partial<Parameters<typeof inspectApp>[1]> = {}) =>
  inspectApp(entries, { required: REQUIRED, prod: PROD, dev: DEV, budget: 3.5 * MiB, appPackageJson: { main: 'dist/main/main.js', productName: 'Hypergolix' }, ...extra });

test('required files: compiled main, preload, renderer, CLI, SDK, icons and the production dependencies', () => {
  for (const f of ['dist/main/main.js', 'dist/preload/preload.cjs', 'dist/renderer/index.html', 'dist/renderer/app.js', 'dist/cli/index.js', 'node_modules/@hypergolix/hgx/dist/index.js', 'bin/hypergolix.js', 'package.json']) {
    assert.ok(REQUIRED.includes(f), f);
  }
  assert.ok(REQUIRED.includes('dist/assets/tray/tray-running-dark@2x.png'));
  assert.ok(REQUIRED.includes('dist/assets/tray/tray-errorTemplate.png'));
  assert.ok(REQUIRED.includes('node_modules/ws/package.json'));
  assert.equal(REQUIRED.filter((f) => f.startsWith('dist/assets/tray/')).length, TRAY_STATES.length * 6);
});

test('a good app passes, with a summary by area', () => {
  const r = check(goodApp());
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.summary.packages, ['@hypergolix/hgx', 'electron-log', 'ws', 'yaml']);
  assert.equal(r.summary.files, goodApp().length);
  assert.equal(r.summary.maps, 0);
  const sizes = r.summary.areas.map(([, n]) => n);
  assert.deepEqual(sizes, [...sizes].sort((a, b) => b - a), 'largest first');
  assert.ok(r.summary.areas.some(([a]) => a === 'node_modules/yaml'));
});

test('a missing piece is named', () => {
  const r = check(goodApp().filter((e) => e.path !== 'dist/preload/preload.cjs' && !e.path.startsWith('node_modules/ws/')));
  assert.deepEqual(r.problems, ['missing dist/preload/preload.cjs', 'missing node_modules/ws/package.json']);
});

test('dev-only files are refused: sources, tests, benchmarks, docs, types, the icon source, devDependencies', () => {
  const bad: [string, RegExp][] = [
    ['src/main/main.ts', /dev-only path in the app: src\/main\/main\.ts/],
    ['test/main/main.test.ts', /dev-only path/],
    ['bench/server.ts', /dev-only path/],
    ['docs/formats.md', /dev-only path/],
    ['scripts/build.mjs', /dev-only path/],
    ['packaging/linux/after-install.sh', /dev-only path/],
    ['tsconfig.json', /dev-only path/],
    ['dist/types/hgx/index.d.ts', /dev-only path in the app: dist\/types/],
    ['dist/assets/source/hypergolix.svg', /dev-only path in the app: dist\/assets\/source/],
    ['dist/main/helper.ts', /TypeScript source in the app: dist\/main\/helper\.ts/],
    ['dist/renderer/App.tsx', /TypeScript source/],
    ['dist/cli/test/fixture.js', /dev-only path/],
    ['node_modules/react/index.js', /devDependency in the app: react/],
    ['node_modules/@types/node/index.d.ts', /devDependency in the app: @types\/node/],
    ['node_modules/left-pad/index.js', /not among the production dependencies: left-pad/],
    ['node_modules/ws/node_modules/typescript/lib/tsc.js', /devDependency in the app: typescript/],
    ['README.md', /unexpected path in the app: README\.md/],
  ];
  for (const [path, problem] of bad) {
    const r = check([...goodApp(), { path, size: 10 }]);
    assert.match(r.problems.join('\n'), problem, path);
  }
  // A production dependency's own src/ and .d.ts files are its business.
  assert.deepEqual(check([...goodApp(), { path: 'node_modules/electron-log/src/index.d.ts', size: 10 }]).problems, []);
});

test("our workspace package (the SDK) ships its build only: package.json and dist/, no sources, maps or types", () => {
  const workspaces = new Set(['@hypergolix/hgx']);
  assert.deepEqual(workspacePackages(JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'))), workspaces);
  const sdk = (path: string) => ({ path: `node_modules/@hypergolix/hgx/${path}`, size: 10 });
  const ok = [sdk('package.json'), sdk('dist/browser.js')];
  assert.deepEqual(check([...goodApp(), ...ok], { workspaces }).problems, []);
  for (const path of ['src/link.ts', 'scripts/build.mjs', 'dist/index.js.map', 'dist/types/index.d.ts', 'tsconfig.json']) {
    assert.match(check([...goodApp(), sdk(path)], { workspaces }).problems.join('\n'), /dev-only path in the app: node_modules\/@hypergolix\/hgx\//, path);
  }
});

test('source maps are allowed and counted; the app package.json must point at a file in the app and carry no devDependencies', () => {
  const r = check([...goodApp(), { path: 'dist/main/main.js.map', size: 1000 }]);
  assert.deepEqual(r.problems, []);
  assert.equal(r.summary.maps, 1);
  assert.match(check(goodApp(), { appPackageJson: { main: 'dist/main/index.js' } }).problems.join(), /main \(dist\/main\/index\.js\) is not in the app/);
  assert.match(check(goodApp(), { appPackageJson: { main: 'dist/main/main.js', productName: 'Hypergolix', devDependencies: { electron: '1' } } }).problems.join(), /devDependencies/);
  assert.match(check(goodApp(), { appPackageJson: { main: 'dist/main/main.js' } }).problems.join(), /productName is missing, not Hypergolix/);
});

test('the size budget', () => {
  const r = check([...goodApp(), { path: 'dist/renderer/huge.js', size: 4 * MiB }]);
  assert.match(r.problems.join(), /the app is 5\.\d\d MiB, over its budget of 3\.50 MiB/);
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(3.5 * MiB), '3.50 MiB');
});

test('package of a node_modules path, innermost and scoped', () => {
  assert.equal(packageOf('node_modules/ws/lib/websocket.js'), 'ws');
  assert.equal(packageOf('node_modules/@electron/asar/lib/asar.js'), '@electron/asar');
  assert.equal(packageOf('node_modules/a/node_modules/@s/b/x.js'), '@s/b');
  assert.equal(packageOf('dist/main/main.js'), null);
});

test('production and development packages from package-lock.json', () => {
  const { prod, dev } = lockPackages(JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')));
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  const serverOnly = serverOnlyPackages(lock, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')));
  // What the desktop app ships: the production packages less the server's PostgreSQL client.
  assert.deepEqual([...prod].filter((p) => !serverOnly.has(p)).sort(), ['@hypergolix/hgx', 'electron-log', 'qrcode-generator', 'ws', 'yaml']);
  assert.ok(serverOnly.has('pg') && serverOnly.has('pg-protocol') && !serverOnly.has('ws'));
  // A package that an app dependency needs too is not server-only.
  const shared = serverOnlyPackages(
    { packages: { 'node_modules/a': { dependencies: { s: '1' } }, 'node_modules/p': { dependencies: { s: '1', q: '1' } }, 'node_modules/q': {}, 'node_modules/s': {} } },
    { dependencies: { a: '1', p: '1' } },
    ['p'],
  );
  assert.deepEqual([...shared].sort(), ['p', 'q']);
  for (const d of ['electron', 'electron-builder', 'react', 'typescript']) assert.ok(dev.has(d), d);
  const fake = lockPackages({
    packages: { '': {}, 'node_modules/a': {}, 'node_modules/b': { dev: true }, 'node_modules/a/node_modules/c': { devOptional: true }, 'node_modules/@w/p': { link: true }, 'packages/p': { name: '@w/p' } },
  });
  assert.deepEqual([...fake.prod].sort(), ['@w/p', 'a']);
  assert.deepEqual([...fake.dev].sort(), ['b', 'c']);
});

test('listings: a directory and a tar.gz (long names, modes) agree', { skip: spawnSync('tar', ['--version']).status === 0 ? false : 'no tar' }, () => {
  const dir = temp();
  const app = join(dir, 'hypergolix-0.2.0', 'resources', 'app');
  const deep = `node_modules/electron-log/${'very-long-directory-name/'.repeat(6)}file.js`;
  for (const [p, text] of [['package.json', '{}'], ['dist/main/main.js', 'x'.repeat(1234)], [deep, 'deep']] as const) {
    mkdirSync(dirname(join(app, p)), { recursive: true });
    writeFileSync(join(app, p), text);
  }
  mkdirSync(join(dir, 'hypergolix-0.2.0', 'resources', 'bin'));
  writeFileSync(join(dir, 'hypergolix-0.2.0', 'resources', 'bin', 'hypergolix'), '#!/bin/sh\n', { mode: 0o755 });
  const listing = listDir(app);
  assert.deepEqual(listing.map((e) => e.path), ['dist/main/main.js', deep, 'package.json'].sort((a, b) => a.localeCompare(b)));
  assert.equal(listing.find((e) => e.path === 'dist/main/main.js')!.size, 1234);

  for (const format of ['gnu', 'pax', 'ustar']) {
    const tgz = join(dir, `t-${format}.tar.gz`);
    const r = spawnSync('tar', [`--format=${format}`, '-czf', tgz, '-C', dir, 'hypergolix-0.2.0'], { encoding: 'utf8' });
    if (r.status !== 0) continue; // a tar without this format
    const entries = listTarGz(readFileSync(tgz));
    const files = entries.filter((e) => e.type === '0');
    assert.ok(files.some((e) => e.path === `hypergolix-0.2.0/resources/app/${deep}`), `${format}: the long path`);
    assert.equal(files.find((e) => e.path.endsWith('main.js'))!.size, 1234, format);
    assert.equal(files.find((e) => e.path.endsWith('bin/hypergolix'))!.mode & 0o111, 0o111, `${format}: executable`);
    assert.ok(entries.some((e) => e.type === '5' && e.path === 'hypergolix-0.2.0/resources'), `${format}: directories`);
  }
  assert.deepEqual(listTar(Buffer.alloc(1024)), [], 'an empty archive');
});

test('listings: app.asar (as electron-builder would write it with asar: true)', async (t) => {
  let asar: { createPackage(src: string, dest: string): Promise<void> };
  try {
    asar = createRequire(join(ROOT, 'package.json'))('@electron/asar');
  } catch {
    t.skip('@electron/asar (an electron-builder dependency) is not installed');
    return;
  }
  const dir = temp();
  const src = join(dir, 'app');
  for (const [p, text] of [['package.json', '{"main":"dist/main/main.js"}'], ['dist/main/main.js', 'main'], ['dist/renderer/index.html', '<html>']] as const) {
    mkdirSync(dirname(join(src, p)), { recursive: true });
    writeFileSync(join(src, p), text);
  }
  await asar.createPackage(src, join(dir, 'app.asar'));
  const buf = readFileSync(join(dir, 'app.asar'));
  assert.deepEqual(listAsar(buf).map((e) => [e.path, e.size]), [['dist/main/main.js', 4], ['dist/renderer/index.html', 6], ['package.json', 28]]);
  assert.equal(readAsarFile(buf, 'package.json')!.toString(), '{"main":"dist/main/main.js"}');
  assert.equal(readAsarFile(buf, 'missing'), null);
});

test('the stub Electron: what electron-builder needs, and Node when ELECTRON_RUN_AS_NODE=1', { skip: process.platform === 'win32' ? 'POSIX shell stub' : false }, () => {
  const dir = writeStubElectron(join(temp(), 'stub'), { version: '45.4.1' });
  const exe = join(dir, 'electron');
  assert.ok((statSync(exe).mode & 0o111) !== 0);
  assert.equal(readFileSync(join(dir, 'version'), 'utf8'), '45.4.1');
  assert.deepEqual(listDir(dir).map((e) => e.path).sort(), ['LICENSE', 'LICENSES.chromium.html', 'chrome-sandbox', 'chrome_crashpad_handler', 'electron', 'locales/en-US.pak', 'version']);
  const node = spawnSync(exe, ['-e', 'console.log(process.versions.node)'], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  assert.equal(node.stdout.trim(), process.versions.node);
  const gui = spawnSync(exe, [], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '' } });
  assert.equal(gui.status, 3);
  assert.match(gui.stderr, /no GUI/);
});

/** What electron-builder hands fpm for a good deb (the shape of a real capture). */
function goodDeb() {
  const macros = { executable: 'hypergolix', sanitizedProductName: 'Hypergolix', productFilename: 'Hypergolix' };
  return {
    args: [
      '-s', 'dir', '--force', '-t', 'deb',
      ...['libgtk-3-0', 'libnotify4', 'libnss3', 'libxss1', 'libsecret-1-0'].flatMap((d) => ['-d', d]),
      '--after-install', '/tmp/0-after-install.sh', '--after-remove', '/tmp/1-after-remove.sh',
      '--description', 'short\n long', '--version', '0.2.0', '--package', '/tmp/out/hypergolix_0.2.0_amd64.deb',
      '--name', 'hypergolix', '--maintainer', 'M <m@example.org>', '--url', 'https://example.org',
      '/tmp/out/linux-unpacked/=/opt/Hypergolix',
      ...[16, 24, 32, 48, 64, 128, 256, 512].map((s) => `/w/assets/icons/png/${s}x${s}.png=/usr/share/icons/hicolor/${s}x${s}/apps/hypergolix.png`),
      '/tmp/4-hypergolix.desktop=/usr/share/applications/hypergolix.desktop',
    ],
    desktop: '[Desktop Entry]\nName=Hypergolix\nExec=/opt/Hypergolix/hypergolix %U\nTerminal=false\nType=Application\nIcon=hypergolix\nStartupWMClass=hypergolix\nComment=One sentence.\nCategories=Network;Utility;\n',
    afterInstall: renderBuilderTemplate(readFileSync(join(ROOT, 'packaging/linux/after-install.sh'), 'utf8'), macros),
    afterRemove: renderBuilderTemplate(readFileSync(join(ROOT, 'packaging/linux/after-remove.sh'), 'utf8'), macros),
  };
}

test('the deb as fpm is asked to make it: metadata, files, desktop entry, scripts', () => {
  assert.deepEqual(debProblems(goodDeb(), { version: '0.2.0' }), []);
  const broken = (edit: (c: ReturnType<typeof goodDeb>) => void) => {
    const c = goodDeb();
    edit(c);
    return debProblems(c, { version: '0.2.0' }).join('\n');
  };
  assert.match(broken((c) => (c.args = c.args.filter((a) => !a.includes('512x512')))), /no 512x512 icon/);
  assert.match(broken((c) => (c.desktop = c.desktop.replace('Categories=Network;Utility;', 'Categories=Utility;'))), /Categories=Utility;, not Network;Utility;/);
  assert.match(broken((c) => (c.desktop += 'MimeType=x-scheme-handler/hgx;\n')), /claims file types/);
  assert.match(broken((c) => (c.desktop = c.desktop.replace('StartupWMClass=hypergolix', 'StartupWMClass=Hypergolix'))), /StartupWMClass/);
  assert.match(broken((c) => (c.afterInstall = c.afterInstall.replace('/resources/bin/hypergolix', '/hypergolix'))), /postinst does not link/);
  assert.match(broken((c) => (c.args[c.args.indexOf('--version') + 1] = '0.1.0')), /package version 0\.1\.0/);
  assert.match(broken((c) => (c.args = c.args.filter((a) => a !== 'libsecret-1-0'))), /libsecret-1-0/);
  assert.deepEqual(desktopKeys('[Desktop Action x]\nName=no\n[Desktop Entry]\nName=yes\nExec=a=b\n'), { Name: 'yes', Exec: 'a=b' });
});

test('the stand-in fpm records its arguments and the files electron-builder made', { skip: process.platform === 'win32' ? 'POSIX shell stand-in' : false }, () => {
  const dir = temp();
  const capture = join(dir, 'capture');
  const fpm = writeFakeFpm(join(dir, 'fpm'), { capture });
  writeFileSync(join(dir, 'post'), 'postinst');
  writeFileSync(join(dir, 'rm'), 'postrm');
  writeFileSync(join(dir, 'x.desktop'), '[Desktop Entry]');
  const r = spawnSync(fpm, ['-t', 'deb', '--after-install', join(dir, 'post'), '--after-remove', join(dir, 'rm'), '--package', join(dir, 'out.deb'), `${join(dir, 'x.desktop')}=/usr/share/applications/hypergolix.desktop`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(capture, 'args.json'), 'utf8')).slice(0, 2), ['-t', 'deb']);
  assert.equal(readFileSync(join(capture, 'after-install'), 'utf8'), 'postinst');
  assert.equal(readFileSync(join(capture, 'after-remove'), 'utf8'), 'postrm');
  assert.equal(readFileSync(join(capture, 'desktop'), 'utf8'), '[Desktop Entry]');
  assert.ok(readFileSync(join(dir, 'out.deb'), 'utf8').includes('placeholder'));
});
