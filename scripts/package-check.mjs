#!/usr/bin/env node
// `npm run package:check`: checks the packaging offline, in seconds, on any Linux machine (CI):
//
//   1. builds dist/ (skip with --no-build) and checks the icons match their source SVG;
//   2. checks electron-builder.yml's invariants (scripts/package-lib.mjs configProblems);
//   3. runs electron-builder for the Linux `dir`, `tar.gz` and `deb` targets against a stub
//      Electron distribution (no download: electronDist points at it, 7-Zip is the system's 7za)
//      and a stand-in for fpm that records what the deb would hold (fpm itself is a download);
//   4. inspects the result: the layout (executable, launcher), the app directory (or app.asar):
//      compiled main, preload, renderer, CLI, SDK and assets present; no sources, tests, benchmarks,
//      docs or devDependencies; its size within APP_BUDGET; the tar.gz holding the same app within
//      TARBALL_BUDGET;
//   5. checks the deb's metadata, dependencies, icons, desktop entry and scripts (the postinst
//      links /usr/bin/hypergolix to the launcher);
//   6. runs the packaged `hypergolix` command through a link, as /usr/bin/hypergolix would (the
//      stub Electron acts as Node when ELECTRON_RUN_AS_NODE=1, as the real one does).
//
// Options: --no-build (use the dist/ there is), --keep (keep the output and say where).
// Exit status: 0 all good, 1 a check failed, 2 the check could not run (a missing tool).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { SOURCE, TRAY_STATES, generateIcons, staleIcons } from './icons.mjs';
import {
  appIdOfMain,
  configProblems,
  debProblems,
  electronVersion,
  formatBytes,
  inspectApp,
  listAsar,
  listDir,
  listTarGz,
  lockPackages,
  workspacePackages,
  serverOnlyPackages,
  readAsarFile,
  requiredAppFiles,
  writeFakeFpm,
  writeStubElectron,
} from './package-lib.mjs';

/** The app as installed (resources/app, unpacked): today ~3.1 MiB. */
export const APP_BUDGET = 3.5 * 1024 * 1024;
/** The Linux tar.gz less Electron (the stub is a few bytes): today ~0.9 MiB. */
export const TARBALL_BUDGET = 1.25 * 1024 * 1024;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = new Set(process.argv.slice(2));
const t0 = Date.now();
const lines = [];
const problems = [];
const step = (name, ok, detail) => {
  lines.push(`  ${ok ? '✔' : '✖'} ${name.padEnd(17)}${detail}`);
  console.log(lines.at(-1));
};
const seconds = (t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

function fail(message, code = 1) {
  console.error(`package:check: ${message}`);
  process.exit(code);
}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

console.log('package:check: electron-builder.yml, and the Linux dir, tar.gz and deb built against a stub Electron (offline)');

// ── 1. build and icons ──
if (!args.has('--no-build')) {
  const t = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) fail(`the build failed:\n${r.stdout}${r.stderr}`);
  step('build', true, `dist/ (${seconds(t)})`);
} else if (!existsSync(join(ROOT, 'dist/main/main.js'))) fail('dist/ is not built (drop --no-build, or run npm run build)', 2);
{
  const files = generateIcons(readFileSync(join(ROOT, SOURCE), 'utf8'));
  const stale = staleIcons(ROOT, files);
  step('icons', stale.length === 0, stale.length === 0 ? `${files.size} files match ${SOURCE}` : `${stale.length} differ from ${SOURCE} (npm run icons): ${stale.slice(0, 3).join(', ')}`);
  if (stale.length) problems.push(`icons out of date: ${stale.join(', ')}`);
}

// ── 2. the config ──
const cfg = parseYaml(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8'));
const appId = appIdOfMain(readFileSync(join(ROOT, 'src/main/main.ts'), 'utf8'));
{
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  const p = configProblems(cfg, { appId, root: ROOT, serverOnly: serverOnlyPackages(lock, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))) });
  problems.push(...p.map((x) => `electron-builder.yml: ${x}`));
  const t = (k) => [].concat(cfg[k]?.target ?? []).join('/');
  step('config', p.length === 0, p.length === 0 ? `appId ${cfg.appId}; linux ${t('linux')}, mac ${t('mac')}, win ${t('win')}; files: package.json, bin/, dist/` : p.join('; '));
}

// ── 3. electron-builder, offline ──
const sevenZip = process.env.ELECTRON_BUILDER_7ZIP_PATH ?? which('7za') ?? which('7z');
if (!sevenZip) fail('7-Zip is missing: electron-builder needs it for the tar.gz and cannot download it here. Install it (Debian: apt-get install p7zip-full) or set ELECTRON_BUILDER_7ZIP_PATH.', 2);
if (process.platform === 'win32') fail('the check builds Linux packages with a POSIX stub Electron; run it on Linux or macOS', 2);
const version = electronVersion(ROOT);
const work = mkdtempSync(join(tmpdir(), 'hgx-package-check-'));
const out = join(work, 'release');
const stub = writeStubElectron(join(work, 'electron-stub'), { version });
const capture = join(work, 'fpm-capture');
const fakeFpm = writeFakeFpm(join(work, 'fpm'), { capture });
const arch = { x64: 'x64', arm64: 'arm64', ia32: 'ia32', arm: 'armv7l' }[process.arch] ?? 'x64';
let builderVersion = '?';
try {
  const t = Date.now();
  process.env.ELECTRON_BUILDER_7ZIP_PATH = sevenZip;
  process.env.CUSTOM_FPM_PATH = fakeFpm;
  // electron-builder's own notices are noise here unless something fails.
  const require = createRequire(import.meta.url);
  const builder = require('electron-builder');
  builderVersion = require('electron-builder/package.json').version;
  const logged = [];
  const original = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  const hold = (...a) => void logged.push(a.join(' '));
  Object.assign(console, { log: hold, info: hold, warn: hold });
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk, ...rest) => (logged.push(String(chunk)), typeof rest.at(-1) === 'function' ? rest.at(-1)() : true);
  try {
    await builder.build({
      projectDir: ROOT,
      targets: builder.Platform.LINUX.createTarget(['dir', 'tar.gz', 'deb'], builder.Arch[arch]),
      config: { electronDist: stub, electronVersion: version, directories: { output: out } },
      publish: 'never',
    });
  } catch (err) {
    process.stdout.write = stdoutWrite;
    Object.assign(console, original);
    console.error(logged.join('\n'));
    throw err;
  } finally {
    process.stdout.write = stdoutWrite;
    Object.assign(console, original);
  }
  step('electron-builder', true, `linux dir, tar.gz, deb in ${seconds(t)} (electron-builder ${builderVersion}, stub Electron ${version}, ${arch})`);
} catch (err) {
  step('electron-builder', false, err.message.split('\n')[0]);
  rmSync(work, { recursive: true, force: true });
  fail(`electron-builder failed: ${err.message}`);
}

// ── 4. what came out ──
const lockfile = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
const { prod, dev } = lockPackages(lockfile);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const serverOnly = serverOnlyPackages(lockfile, pkg);
const required = requiredAppFiles(pkg, TRAY_STATES);
const unpacked = readdirSync(out).map((d) => join(out, d)).find((d) => /linux(-\w+)?-unpacked$/.test(d) && statSync(d).isDirectory());
const exe = cfg.linux.executableName;
let appFiles = [];
let appSummary = null;
if (!unpacked) problems.push('no linux-*-unpacked directory');
else {
  const layout = [];
  const isExec = (p) => existsSync(p) && (statSync(p).mode & 0o111) !== 0;
  if (!isExec(join(unpacked, exe))) problems.push(`the executable ${exe} is missing or not executable`);
  else layout.push(`${exe} (executable)`);
  if (!isExec(join(unpacked, 'resources/bin/hypergolix'))) problems.push('resources/bin/hypergolix (the CLI launcher) is missing or not executable');
  else layout.push('resources/bin/hypergolix (executable)');
  if (existsSync(join(unpacked, 'resources/default_app.asar'))) problems.push("Electron's default_app.asar was left in");
  const asar = join(unpacked, 'resources/app.asar');
  const dir = join(unpacked, 'resources/app');
  let appPackageJson = null;
  if (existsSync(asar)) {
    const buf = readFileSync(asar);
    appFiles = listAsar(buf);
    layout.push('resources/app.asar');
    const pj = readAsarFile(buf, 'package.json');
    appPackageJson = pj ? JSON.parse(pj.toString('utf8')) : null;
  } else if (existsSync(dir)) {
    appFiles = listDir(dir);
    layout.push('resources/app (a plain directory)');
    appPackageJson = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } else problems.push('neither resources/app.asar nor resources/app');
  step('layout', layout.length === 3, layout.join(', '));
  const r = inspectApp(appFiles, { required, prod, dev, serverOnly, workspaces: workspacePackages(lockfile), budget: APP_BUDGET, appPackageJson });
  appSummary = r.summary;
  problems.push(...r.problems);
  step(
    'app contents',
    r.problems.length === 0,
    `${r.summary.files} files, ${formatBytes(r.summary.bytes)} of a ${formatBytes(APP_BUDGET)} budget; main, preload, renderer, CLI, SDK, ${required.filter((f) => f.startsWith('dist/assets/')).length} icons; node_modules: ${r.summary.packages.join(', ')}${r.summary.maps ? `; ${r.summary.maps} source maps` : ''}${r.problems.length ? `\n      ${r.problems.slice(0, 8).join('\n      ')}` : ''}`,
  );
}

const tarball = existsSync(out) ? readdirSync(out).find((f) => f.endsWith('.tar.gz')) : undefined;
if (!tarball) problems.push('no .tar.gz was built');
else {
  const buf = readFileSync(join(out, tarball));
  const entries = listTarGz(buf);
  const files = entries.filter((e) => e.type === '0');
  const root = files[0]?.path.split('/')[0] ?? '';
  const inApp = files.filter((e) => e.path.startsWith(`${root}/resources/app/`)).map((e) => e.path.slice(`${root}/resources/app/`.length));
  const tp = [];
  const launcher = files.find((e) => e.path === `${root}/resources/bin/hypergolix`);
  if (!launcher || (launcher.mode & 0o111) === 0) tp.push('the launcher resources/bin/hypergolix is missing or not executable in the tar.gz');
  const binary = files.find((e) => e.path === `${root}/${exe}`);
  if (!binary || (binary.mode & 0o111) === 0) tp.push(`the executable ${exe} is missing or not executable in the tar.gz`);
  const want = appFiles.map((f) => f.path).sort().join('\n');
  if (appFiles.length > 0 && !existsSync(join(unpacked ?? '', 'resources/app.asar')) && inApp.sort().join('\n') !== want) tp.push('the tar.gz app differs from the unpacked app');
  if (buf.length > TARBALL_BUDGET) tp.push(`the tar.gz is ${formatBytes(buf.length)}, over its budget of ${formatBytes(TARBALL_BUDGET)}`);
  problems.push(...tp);
  step('tar.gz', tp.length === 0, `${tarball}: ${formatBytes(buf.length)} of a ${formatBytes(TARBALL_BUDGET)} budget, ${files.length} files under ${root}/${tp.length ? `\n      ${tp.join('\n      ')}` : ''}`);
}

// ── 5. the deb, as fpm was asked to make it ──
{
  const read = (f) => (existsSync(join(capture, f)) ? readFileSync(join(capture, f), 'utf8') : null);
  const args = read('args.json');
  const dp = args
    ? debProblems({ args: JSON.parse(args), desktop: read('desktop'), afterInstall: read('after-install'), afterRemove: read('after-remove') }, { version: pkg.version })
    : ['electron-builder did not run fpm for the deb'];
  problems.push(...dp.map((x) => `deb: ${x}`));
  step('deb (no fpm)', dp.length === 0, dp.length === 0 ? 'name, version, maintainer, dependencies; app in /opt/Hypergolix; 8 hicolor icons; desktop entry (Network;Utility, WM class hypergolix, no file types); postinst links /usr/bin/hypergolix to the launcher' : dp.join('; '));
}

// ── 6. the `hypergolix` command, as the deb links it ──
if (unpacked && existsSync(join(unpacked, 'resources/bin/hypergolix'))) {
  const binDir = join(work, 'usr-bin');
  mkdirSync(binDir);
  symlinkSync(join(unpacked, 'resources/bin/hypergolix'), join(binDir, 'hypergolix'));
  const home = join(work, 'home');
  const env = { ...process.env, HYPERGOLIX_HOME: home, ELECTRON_RUN_AS_NODE: '' };
  const v = spawnSync(join(binDir, 'hypergolix'), ['--version'], { encoding: 'utf8', env, timeout: 30_000 });
  const c = spawnSync(join(binDir, 'hypergolix'), ['config'], { encoding: 'utf8', env, timeout: 30_000 });
  const ok = v.status === 0 && v.stdout.trim() === `hypergolix ${pkg.version}` && c.status === 0 && existsSync(join(home, 'hypergolix.yml'));
  if (!ok) problems.push(`the packaged hypergolix command failed: --version → ${v.status} ${(v.stdout + v.stderr).trim().slice(0, 300)}; config → ${c.status} ${(c.stdout + c.stderr).trim().slice(0, 300)}`);
  step('hypergolix CLI', ok, ok ? `a link to resources/bin/hypergolix runs the bundled CLI: "${v.stdout.trim()}", and \`config\` wrote a hypergolix.yml` : 'failed (see below)');
}

if (appSummary) {
  console.log(`  size by area: ${appSummary.areas.slice(0, 8).map(([a, n]) => `${a} ${formatBytes(n)}`).join(', ')}`);
}
if (args.has('--keep')) console.log(`  output kept in ${out}`);
else rmSync(work, { recursive: true, force: true });

if (problems.length > 0) {
  console.error(`package:check: FAILED (${problems.length} problem${problems.length === 1 ? '' : 's'}, ${seconds(t0)}):\n  - ${problems.join('\n  - ')}`);
  process.exit(1);
}
console.log(`package:check: OK (${seconds(t0)})`);
