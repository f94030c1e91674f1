// bench/desktop: the desktop app's start-up and memory, in browser mode (this machine cannot
// run Electron). Run: npm run bench -- desktop [--quick]
//
// (a) launch → usable UI: `node bin/hypergolix.js start app --ui` spawned in a fresh home, until
//     it prints its URL, and until the page is loaded in Chromium (already running, not counted)
//     with the wizard (first run) or the unlock view (later runs) interactive;
// (b) unlock → running: the password typed and submitted in the page until the main window shows
//     (scrypt N=2^17, r=8 is most of it); the Controller alone, in-process, constructed → started;
// (c) memory: RSS of the browser-mode process with the daemon running (account unlocked, page
//     connected), against an idle Node process.
// The bound for (a) is Node's own start-up with the CLI bundle (`hypergolix --version`).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createMemoryLogger } from '../src/core/log/index.js';
import { Controller } from '../src/host/controller.js';
import { BIN, spawnBrowserMode } from '../test/fixtures/ui/browser-mode.js';
import { launchBrowser, skipReason } from '../test/renderer/helpers.js';
import { machineInfo, machineMarkdown, waitForQuiet } from './lib/machine.js';
import { fmt, markdownTable, textTable, writeSection, type Row } from './lib/report.js';
import { median, spreadPercent } from './lib/stats.js';
import { freePort } from '../test/fixtures/free-port.js';
import { copyHomeInto } from '../test/fixtures/copy-home.js';

const root = resolve(import.meta.dirname, '..');
const quick = process.argv.includes('--quick');
const R = quick ? 3 : 7;
const PASSWORD = 'velvet-harbor-quince-58';
const machine = machineInfo();
const log = (s: string) => console.log(s);

if (!existsSync(join(root, 'dist/cli/index.js')) || !existsSync(join(root, 'dist/renderer/app.js'))) {
  console.error('bench/desktop: build first (npm run build)');
  process.exit(2);
}
const noBrowser = skipReason();
if (noBrowser) {
  console.error(`bench/desktop: ${noBrowser}`);
  process.exit(2);
}

const temps: string[] = [];
const tempHome = () => {
  const d = mkdtempSync(join(tmpdir(), 'hgx-bench-desktop-'));
  temps.push(d);
  return d;
};
process.on('exit', () => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A copy of a home with its absolute paths rewritten, pid file dropped. */
function copyHome(from: string): string {
  return copyHomeInto(from, tempHome());
}

/** Resident set size of a process, in MiB (Linux /proc; ps elsewhere). */
function rssMiB(pid: number): { rss: number; peak: number | null } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return { rss: Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024, peak: null };
  }
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (v: number) => `${fmt(v, 0)} ms`;
const summary = (xs: number[], unit = ms) => `${unit(median(xs))} ±${fmt(spreadPercent(xs), 0)} %`;

const quiet = await waitForQuiet(60);
const quietNote = `CPUs ${fmt(quiet.busy * 100, 0)} % busy just before the run (waited ${fmt(quiet.waited, 0)} s for other processes to settle).`;
const browser = await launchBrowser();

// ── an account to unlock (real keygen, the default KDF), made once in-process ──
log('making an account…');
const template = tempHome();
{
  const c = new Controller({ configOptions: { env: { HYPERGOLIX_HOME: template }, cwd: template, homedir: template }, logger: createMemoryLogger(), startServer: null, ipc: false, statusIntervalMs: 0 });
  await c.start();
  const res = await c.request({ kind: 'createAccount', password: PASSWORD });
  if (!res.ok) throw new Error(res.error.message);
  await c.stop();
  // Its own IPC port, so a daemon elsewhere on 7772 cannot get in the way.
  const yml = join(template, 'hypergolix.yml');
  writeFileSync(yml, readFileSync(yml, 'utf8').replace(/ipc_port: 7772/, `ipc_port: ${await freePort()}`));
}

// ── (a) the bound: Node start-up with the CLI bundle ──
const floor: number[] = [];
for (let i = 0; i < R; i++) {
  const t0 = performance.now();
  execFileSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
  floor.push(performance.now() - t0);
}

interface Launch {
  url: number;
  ui: number;
  unlock?: number;
  rss?: number;
  peak?: number | null;
}

async function launchOnce(home: string, later: boolean): Promise<Launch> {
  const t0 = performance.now();
  const proc = await spawnBrowserMode(home);
  const tUrl = performance.now() - t0;
  const context = await browser.newContext({ viewport: { width: 1024, height: 700 } });
  const page = await context.newPage();
  await page.goto(proc.url);
  if (later) await page.getByLabel('Password', { exact: true }).waitFor({ state: 'visible' });
  else await page.getByRole('button', { name: 'Get started' }).waitFor({ state: 'visible' });
  const tUi = performance.now() - t0;
  const out: Launch = { url: tUrl, ui: tUi };
  if (later) {
    const t1 = performance.now();
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Password', { exact: true }).press('Enter');
    await page.getByRole('navigation', { name: 'Main' }).waitFor({ timeout: 60_000 });
    out.unlock = performance.now() - t1;
    await sleep(2000); // settle: remotes none, status polls, GC
    const m = rssMiB(proc.child.pid!);
    out.rss = m.rss;
    out.peak = m.peak;
  }
  await context.close();
  const code = await proc.stop();
  if (code !== 0) throw new Error(`browser mode exited with ${code}: ${proc.stderr()}`);
  return out;
}

log('launching browser mode (first run, wizard)…');
const first: Launch[] = [];
for (let i = 0; i < R; i++) first.push(await launchOnce(tempHome(), false));
log('launching browser mode (later run, unlock)…');
const later: Launch[] = [];
for (let i = 0; i < R; i++) later.push(await launchOnce(copyHome(template), true));

// ── (b) the controller alone, in-process ──
const ctrl: number[] = [];
for (let i = 0; i < R; i++) {
  const home = copyHome(template);
  const t0 = performance.now();
  const c = new Controller({ configOptions: { env: { HYPERGOLIX_HOME: home }, cwd: home, homedir: home }, logger: createMemoryLogger(), startServer: null, ipc: false, statusIntervalMs: 0 });
  await c.start();
  ctrl.push(performance.now() - t0);
  await c.stop();
}

// ── (c) an idle Node process, for scale ──
const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
await sleep(1500);
const idleRss = rssMiB(idle.pid!).rss;
idle.kill();
await browser.close();

const headers = ['Measurement', 'Result', 'Bound', 'Ratio'];
const floorMed = median(floor);
const rows: Row[] = [
  ['Node start-up with the CLI bundle (`hypergolix --version`)', summary(floor), '—', '—'],
  ['Launch → URL printed (first run: config created, bridge listening)', summary(first.map((l) => l.url)), `Node start-up ${ms(floorMed)}`, `${fmt(median(first.map((l) => l.url)) / floorMed, 2)}×`],
  ['Launch → wizard interactive in Chromium (first run)', summary(first.map((l) => l.ui)), '—', '—'],
  ['Launch → URL printed (later run: account in the config)', summary(later.map((l) => l.url)), `Node start-up ${ms(floorMed)}`, `${fmt(median(later.map((l) => l.url)) / floorMed, 2)}×`],
  ['Launch → unlock view interactive in Chromium (later run)', summary(later.map((l) => l.ui)), '—', '—'],
  ['Unlock: password submitted → main window (scrypt N=2^17, r=8, then login)', summary(later.map((l) => l.unlock!)), '—', '—'],
  ['Controller constructed → started, in-process (config loaded, watcher on)', summary(ctrl), '—', '—'],
  [
    'RSS of the browser-mode process, daemon running, page connected',
    `${fmt(median(later.map((l) => l.rss!)), 0)} MiB (peak ${fmt(median(later.map((l) => l.peak ?? NaN)), 0)} MiB)`,
    `idle Node ${fmt(idleRss, 0)} MiB`,
    `+${fmt(median(later.map((l) => l.rss!)) - idleRss, 0)} MiB`,
  ],
];
log('\n' + textTable(headers, rows));

const markdown = [
  `${machineMarkdown(machine)} ${quietNote}`,
  '',
  `Run with \`npm run bench -- desktop\`${quick ? ' (this run: `--quick`)' : ''}. Each figure is the median of ${R} launches, "±" half the range. ` +
    'There is no Electron binary on this machine, so the desktop app is measured in browser mode, which runs the same Controller ' +
    '(src/host) and the same UI: a launch spawns `node bin/hypergolix.js start app --ui` in a fresh home and times it until it prints ' +
    'its URL, then until the page is loaded in the system Chromium (launched beforehand, not counted) with the wizard (first run) or ' +
    'the password field (later runs, a copy of a home holding an account) shown and usable. The unlock row types the password into the ' +
    'page and waits for the main window; most of it is the account KDF (scrypt N=2^17, r=8, 128 MiB). Memory is the RSS of the ' +
    'browser-mode process (Controller, daemon with a fresh account and no remotes, bridge with one page connected) 2 s after unlocking, ' +
    'and its peak (VmHWM, which includes the scrypt buffer); "idle Node" is `node -e "setInterval(…)"`. In Electron the main process ' +
    'would carry the same Controller plus Electron\'s own main-process overhead; that figure needs a machine with Electron.',
  '',
  markdownTable(headers, rows),
].join('\n');
writeSection('Desktop (bench/desktop)', markdown);
log('\nwrote the "Desktop (bench/desktop)" section of BENCHMARKS.md');
