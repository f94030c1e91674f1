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

/**
 * Whether a signal this script received should be passed on to its child. A terminal sends
 * Ctrl-C (SIGINT) and a hang-up (SIGHUP) to its whole foreground process group, the child
 * included, and npm passes them on to this script once more; forwarding them would make one
 * Ctrl-C two, and the second means "exit without waiting" to the child. So with a terminal
 * these are never forwarded; SIGTERM (sent to this process alone, by kill or a supervisor) is,
 * once, and without a terminal each signal is passed on once.
 * @param {NodeJS.Signals} signal
 * @param {{ terminal: boolean, forwarded: ReadonlySet<string> }} o
 */
export function shouldForward(signal, o) {
  if (o.forwarded.has(signal)) return false;
  if (o.terminal && (signal === 'SIGINT' || signal === 'SIGHUP')) return false;
  return true;
}

/**
 * Runs a child with the terminal (same process group), passes signals on by shouldForward, and
 * exits with its status (0 after a stop we were asked for).
 * @param {string} command
 * @param {string[]} args
 * @param {{ terminal?: boolean, cwd?: string, env?: NodeJS.ProcessEnv }} [o]
 */
export function run(command, args, o = {}) {
  const terminal = o.terminal ?? Boolean(process.stdin.isTTY);
  const child = spawn(command, args, { cwd: o.cwd ?? ROOT, env: o.env ?? process.env, stdio: 'inherit' });
  const forwarded = new Set();
  let asked = false;
  for (const signal of /** @type {NodeJS.Signals[]} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    process.on(signal, () => {
      asked = true;
      if (child.exitCode !== null || !shouldForward(signal, { terminal, forwarded })) return;
      forwarded.add(signal);
      child.kill(signal);
    });
  }
  child.on('error', (err) => {
    console.error(`hypergolix: could not start ${command}: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(signal ? (asked ? 0 : 1) : (code ?? 1)));
}

/**
 * How Electron runs the app in development: the project root (so package.json names the app
 * and gives its entry), with a Chromium profile of its own, so the single-instance lock and
 * the data folder never meet those of an installed Hypergolix.
 * @param {string} root
 * @param {string[]} [extra]
 */
export function electronArgs(root, extra = []) {
  return [root, `--user-data-dir=${join(root, '.dev', 'electron-user-data')}`, ...extra];
}

function main() {
  const main = join(ROOT, 'dist/main/main.js');
  const electron = findElectron();
  if (electron.ok && existsSync(main)) {
    run(electron.path, electronArgs(ROOT.replace(/[\\/]$/, '')));
    return;
  }
  const reason = electron.ok ? 'dist/main/main.js is not built' : electron.reason;
  console.error(`Electron is not available on this machine (${reason}); starting Hypergolix in browser mode`);
  run(process.execPath, [join(ROOT, 'bin/hypergolix.js'), 'start', 'app', '--ui', ...process.argv.slice(2)]);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
