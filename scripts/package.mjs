#!/usr/bin/env node
// `npm run package`: builds dist/ and the installable packages for this platform into release/
// (Linux: deb, tar.gz; macOS: dmg; Windows: nsis), as electron-builder.yml says.
//
// electron-builder downloads what it lacks: Electron itself, and per target fpm (deb), the
// AppImage runtime, NSIS. Before building, this script works out which of those are not on the
// machine and, if the download host cannot be reached, says in one message what is missing and
// how to provide it, and exits 2 instead of failing somewhere inside electron-builder.
//
// Usage: npm run package [-- --targets deb,tar.gz] [-- --dir]   (--dir: the unpacked app only)
// Environment: ELECTRON_DIST (an unpacked Electron or its zip, used instead of a download),
// ELECTRON_MIRROR, ELECTRON_BUILDER_BINARIES_MIRROR, USE_SYSTEM_FPM=true, APPIMAGE_TOOLS_PATH,
// ELECTRON_BUILDER_7ZIP_PATH (found on the PATH as 7za or 7z when unset).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { cannotPackageMessage, downloadsNeeded, electronVersion, platformTargets } from './package-lib.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};

const which = (cmd) => {
  const r = process.platform === 'win32' ? spawnSync('where', [cmd], { encoding: 'utf8' }) : spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split(/\r?\n/)[0] : null;
};

/** @electron/get's cache (where `npm install electron` and electron-builder keep Electron zips). */
function electronCacheDirs(env) {
  const dirs = [env.ELECTRON_CACHE, env.electron_config_cache];
  if (process.platform === 'darwin') dirs.push(join(homedir(), 'Library', 'Caches', 'electron'));
  else if (process.platform === 'win32') dirs.push(join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'electron', 'Cache'));
  else dirs.push(join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'electron'));
  return dirs.filter(Boolean);
}

/** A cached Electron zip for this version and platform, looked for two levels deep. */
function cachedElectronZip(env, name) {
  for (const dir of electronCacheDirs(env)) {
    if (!existsSync(dir)) continue;
    if (existsSync(join(dir, name))) return join(dir, name);
    for (const sub of readdirSync(dir)) {
      const p = join(dir, sub, name);
      if (existsSync(p) && statSync(p).size > 0) return p;
    }
  }
  return null;
}

/** Whether a URL answers within a few seconds (any HTTP status counts: the host is reachable). */
async function reachable(url) {
  try {
    await fetch(url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(8000) });
    return true;
  } catch {
    return false;
  }
}

/**
 * electron-builder takes a custom Electron directory as it is, and Electron's own dist holds
 * default_app.asar (the "drag your app here" app): packaged from a copy without it.
 */
function withoutDefaultApp(dist) {
  if (!statSync(dist).isDirectory()) return { dir: dist, cleanup() {} };
  const isDefault = (p) => basename(p) === 'default_app.asar';
  const has = (d) => readdirSync(d, { recursive: true }).some((p) => isDefault(String(p)));
  if (!has(dist)) return { dir: dist, cleanup() {} };
  const tmp = mkdtempSync(join(tmpdir(), 'hgx-electron-dist-'));
  cpSync(dist, tmp, { recursive: true, verbatimSymlinks: true, filter: (src) => !isDefault(src) });
  return { dir: tmp, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

async function main() {
  const env = process.env;
  const platform = process.platform;
  const arch = process.arch;
  const cfg = parseYaml(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8'));
  const targets = argv.includes('--dir') ? ['dir'] : (option('--targets')?.split(',').map((s) => s.trim()).filter(Boolean) ?? platformTargets(cfg, platform));
  if (targets.length === 0) {
    console.error(`npm run package: electron-builder.yml has no targets for ${platform}`);
    process.exit(2);
  }
  const version = electronVersion(ROOT);

  // Electron: a given distribution, a cached zip, or a download.
  const zipName = `electron-v${version}-${platform}-${arch}.zip`;
  const electronDist = env.ELECTRON_DIST && existsSync(env.ELECTRON_DIST) ? env.ELECTRON_DIST : null;
  const cachedZip = electronDist ? null : cachedElectronZip(env, zipName);
  const sevenZip = env.ELECTRON_BUILDER_7ZIP_PATH ?? which('7za') ?? which('7z');
  const needs = downloadsNeeded({
    platform,
    arch,
    targets,
    version,
    electronDist: electronDist ?? cachedZip,
    env,
    has7za: sevenZip !== null,
    hasFpm: which('fpm') !== null,
  });
  if (needs.length > 0) {
    const electronHost = env.ELECTRON_MIRROR ?? 'https://github.com/electron/electron/releases/download/';
    const binariesHost = env.ELECTRON_BUILDER_BINARIES_MIRROR ?? 'https://github.com/electron-userland/electron-builder-binaries/releases/download/';
    const hosts = [...new Set([...(electronDist || cachedZip ? [] : [electronHost]), ...(needs.some((n) => !n.what.startsWith('Electron')) ? [binariesHost] : [])])];
    const down = [];
    for (const h of hosts) if (!(await reachable(h))) down.push(new URL(h).host);
    if (down.length > 0) {
      console.error(cannotPackageMessage({ platform, targets, needs, probe: `${[...new Set(down)].join(' and ')} cannot be reached from here` }));
      process.exit(2);
    }
  }

  // Build dist/, then the packages.
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  if (sevenZip) env.ELECTRON_BUILDER_7ZIP_PATH = sevenZip;
  const require = createRequire(import.meta.url);
  const builder = require('electron-builder');
  const platformKey = { linux: 'LINUX', darwin: 'MAC', win32: 'WINDOWS' }[platform];
  if (!platformKey) {
    console.error(`npm run package: electron-builder does not package for ${platform}`);
    process.exit(2);
  }
  const dist = electronDist ? withoutDefaultApp(electronDist) : null;
  try {
    const files = await builder.build({
      projectDir: ROOT,
      targets: builder.Platform[platformKey].createTarget(targets, builder.Arch[arch] ?? builder.Arch.x64),
      config: { ...(dist ? { electronDist: dist.dir } : {}), electronVersion: version },
      publish: 'never',
    });
    console.log(`npm run package: built into ${cfg.directories?.output ?? 'dist'}/:\n  ${files.map((f) => f.replace(`${ROOT}`, '')).join('\n  ')}`);
  } catch (err) {
    console.error(`npm run package: electron-builder failed: ${err.message}`);
    process.exitCode = 1;
  } finally {
    dist?.cleanup();
  }
}

await main();
