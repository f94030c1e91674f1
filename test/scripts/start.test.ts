// `npm start`'s launcher: one Ctrl-C is one SIGINT for the app. The terminal is real (a pty made
// by util-linux `script`): Ctrl-C typed into it signals its whole foreground process group, the
// launcher and its child alike, as it does under `npm start`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { electronArgs, shouldForward } from '../../scripts/start.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const START = join(ROOT, 'scripts/start.mjs');
const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;
const temps: string[] = [];
const running = new Set<ChildProcess>();
test.after(() => {
  // A failed test must not leave its launcher (and the child) behind.
  for (const p of running) if (p.exitCode === null) p.kill('SIGKILL');
  temps.forEach((d) => rmSync(d, { recursive: true, force: true }));
});
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'hgx-start-'));
  temps.push(d);
  return d;
};

/**
 * A child that stops the way the CLI does (core/process/signals.ts): the first signal starts a
 * shutdown that takes a moment, a second one means "exit without waiting" (status 130).
 */
const CHILD = `
const { appendFileSync, writeFileSync } = require('node:fs');
const log = process.argv[2];
let stopping = false;
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {
  appendFileSync(log, s + '\\n');
  if (stopping) { appendFileSync(log, 'again\\n'); process.exit(130); }
  stopping = true;
  setTimeout(() => { appendFileSync(log, 'clean\\n'); process.exit(0); }, 300);
});
writeFileSync(log + '.ready', '');
setInterval(() => {}, 1000);
`;

/** Runs scripts/start.mjs's `run` with CHILD; returns the launcher process, the child's log and a wait for readiness. */
function launch(o: { pty: boolean }) {
  const dir = temp();
  const log = join(dir, 'child.log');
  const child = join(dir, 'child.cjs');
  writeFileSync(child, CHILD);
  const driver = `import(${JSON.stringify(START)}).then((m) => m.run(process.execPath, [${JSON.stringify(child)}, ${JSON.stringify(log)}], { cwd: ${JSON.stringify(dir)} }))`;
  const cmd = [process.execPath, '--input-type=module', '-e', driver];
  const p = o.pty
    ? // `exec`: script runs its command through $SHELL (or dash as /bin/sh, which a Ctrl-C kills
      // outright while it waits); the launcher itself must be the process the terminal runs.
      spawn('script', ['-qefc', `exec ${cmd.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SHELL: '/bin/sh' } })
    : spawn(cmd[0]!, cmd.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(p);
  let output = '';
  p.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  const ready = async () => {
    for (let i = 0; i < 500 && !existsSync(`${log}.ready`); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(existsSync(`${log}.ready`), `the child started (${output})`);
  };
  const lines = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
  return { p, exited, ready, lines, output: () => output };
}

test('one Ctrl-C in a real terminal: the child gets one SIGINT and stops cleanly; the launcher exits 0', { skip: hasScript ? false : 'util-linux script (a pty) is not available' }, async () => {
  const l = launch({ pty: true });
  await l.ready();
  l.p.stdin!.write('\x03');
  assert.equal(await l.exited, 0, l.output());
  assert.deepEqual(l.lines(), ['SIGINT', 'clean'], 'no second SIGINT from the launcher');
});

test('SIGTERM to the launcher alone reaches the child once, and it stops cleanly', async () => {
  const l = launch({ pty: false });
  await l.ready();
  l.p.kill('SIGTERM');
  l.p.kill('SIGTERM');
  assert.equal(await l.exited, 0, l.output());
  assert.deepEqual(l.lines(), ['SIGTERM', 'clean']);
});

test('without a terminal, a SIGINT to the launcher alone is passed on (nothing else would deliver it)', async () => {
  const l = launch({ pty: false });
  await l.ready();
  l.p.kill('SIGINT');
  assert.equal(await l.exited, 0, l.output());
  assert.deepEqual(l.lines(), ['SIGINT', 'clean']);
});

test('the forwarding rule, signal by signal', () => {
  const none = new Set<string>();
  assert.equal(shouldForward('SIGINT', { terminal: true, forwarded: none }), false, 'the terminal already told the child');
  assert.equal(shouldForward('SIGHUP', { terminal: true, forwarded: none }), false);
  assert.equal(shouldForward('SIGTERM', { terminal: true, forwarded: none }), true);
  assert.equal(shouldForward('SIGINT', { terminal: false, forwarded: none }), true);
  assert.equal(shouldForward('SIGTERM', { terminal: false, forwarded: new Set(['SIGTERM']) }), false, 'npm passing it on again is not a second request');
});

test('development runs Electron on the project root with a profile of its own', () => {
  const args = electronArgs('/src/hypergolix');
  assert.equal(args[0], '/src/hypergolix', 'the root, so package.json names the app');
  assert.equal(args[1], `--user-data-dir=${join('/src/hypergolix', '.dev', 'electron-user-data')}`);
  assert.ok(!args.some((a) => a.endsWith('main.js')), 'not a file');
});
