#!/usr/bin/env node
// `npm start` (after `npm run build`): the Electron tray app where an Electron binary can run,
// otherwise browser mode (`hypergolix start app --ui`) after one line saying why.
// Arguments after `npm start --` go to browser mode (e.g. `npm start -- --port 8080`).
//
// The electron package's own entry point downloads a missing binary when it is required, so
// the binary is looked up here the way that entry point does, without ever downloading.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Where a usable Electron binary is, or why there is none.
 * @param {{ root?: string, env?: NodeJS.ProcessEnv, platform?: NodeJS.Platform, probe?: boolean }} [o]
 * @returns {{ ok: true, path: string } | { ok: false, reason: string }}
 */
export function findElectron(o = {}) {
  const root = o.root ?? ROOT;
  const env = o.env ?? process.env;
  const platform = o.platform ?? process.platform;
  if (env.HYPERGOLIX_BROWSER_MODE === '1') return { ok: false, reason: 'HYPERGOLIX_BROWSER_MODE=1 asks for browser mode' };
  let pkgDir;
  try {
    pkgDir = dirname(createRequire(join(root, 'package.json')).resolve('electron/package.json'));
  } catch {
    return { ok: false, reason: 'the electron package is not installed' };
  }
  const pathFile = join(pkgDir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  let bin;
  if (env.ELECTRON_OVERRIDE_DIST_PATH) bin = join(env.ELECTRON_OVERRIDE_DIST_PATH, executable || 'electron');
  else if (executable) bin = join(pkgDir, 'dist', executable);
  else return { ok: false, reason: 'the electron package was installed without its binary' };
  if (!existsSync(bin)) return { ok: false, reason: `no Electron binary at ${bin}` };
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return { ok: false, reason: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  if (o.probe !== false) {
    // It must also start: missing shared libraries show up here, not as a blank window.
    const r = spawnSync(bin, ['--version'], { env: { ...env, ELECTRON_RUN_AS_NODE: '1' }, timeout: 15_000, encoding: 'utf8' });
    if (r.error || r.status !== 0) return { ok: false, reason: `the Electron binary does not run (${r.error?.message ?? (r.stderr.trim().split('\n')[0] || `exit status ${r.status}`)})` };
  }
  return { ok: true, path: bin };
}

/** Runs a child with the terminal, passes SIGINT/SIGTERM on, and exits with its status. */
function run(command, args) {
  const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit' });
  let asked = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      asked = true;
      if (child.exitCode === null) child.kill(signal);
    });
  }
  child.on('error', (err) => {
    console.error(`hypergolix: could not start ${command}: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(signal ? (asked ? 0 : 1) : (code ?? 1)));
}

function main() {
  const main = join(ROOT, 'dist/main/main.js');
  const electron = findElectron();
  if (electron.ok && existsSync(main)) {
    run(electron.path, [main]);
    return;
  }
  const reason = electron.ok ? 'dist/main/main.js is not built' : electron.reason;
  console.error(`Electron is not available on this machine (${reason}); starting Hypergolix in browser mode`);
  run(process.execPath, [join(ROOT, 'bin/hypergolix.js'), 'start', 'app', '--ui', ...process.argv.slice(2)]);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
