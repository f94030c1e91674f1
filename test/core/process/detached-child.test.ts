// The child side of a detached start (src/core/process/detached-child.ts), driven through real
// child processes: a small script written to a temp dir imports the module through tsx and plays
// one scenario. Some tests start it with startDetached (what a CLI parent sees); others spawn it
// the way startDetached does but keep every pipe open (a "raw" parent), to see exactly what the
// child sends and writes, and when.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startDetached, type OutputSource } from '../../../src/core/process/detach.js';
import { DETACHED_MARKER, type ChildMessage } from '../../../src/core/process/detached-child.js';
import { StartFailed } from '../../../src/core/process/errors.js';
import { isProcessAlive } from '../../../src/core/process/alive.js';
import { killPid, until } from './helpers.js';

const SRC = new URL('../../../src/', import.meta.url);
const mod = (path: string) => JSON.stringify(new URL(path, SRC).href);

/** The child. Usage: child.mts <mode> <dir>; writes its pid to <dir>/pid first. */
const CHILD_SOURCE = `
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from ${mod('core/log/index.js')};
import { detachFromParent, isDetachedChild, readHandoff, relayBootLog, reportBootLog, reportFailed, reportReady } from ${mod('core/process/detached-child.js')};
import { ServiceProcess } from ${mod('cli/service-process.js')};

const [mode, dir] = process.argv.slice(2);
const mark = (name, content = '') => writeFileSync(join(dir, name), content);
const waitFor = (name) => new Promise((r) => { const t = setInterval(() => { if (existsSync(join(dir, name))) { clearInterval(t); r(); } }, 10); });
const keepAlive = () => setInterval(() => {}, 1 << 30);
mark('pid', String(process.pid));
const log = createLogger({ name: 'hgxchild', logdir: dir, verbosity: 'info', console: mode === 'raw-ready' });

if (mode === 'raw-ready') {
  const handoff = await readHandoff();
  const stopRelay = relayBootLog(log);
  log.info('boot step 1');
  reportBootLog('a direct line');
  console.log('stdout before ready');
  process.stderr.write('stderr before ready\\n');
  stopRelay();
  const grandchild = execFileSync(process.execPath, ['-e', 'process.stdout.write(process.env.${DETACHED_MARKER} ?? "unset")'], { encoding: 'utf8' });
  await reportReady({ pid: process.pid, detached: isDetachedChild(), handoff, marker: process.env.${DETACHED_MARKER} ?? null, grandchild });
  detachFromParent(log);
  // All of these are too late for the parent: none may reach it.
  await reportReady({ again: true });
  reportBootLog('boot line after ready');
  await reportFailed(new Error('failure after ready'));
  console.log('stdout after ready');
  console.error('stderr after ready');
  process.stdout.write('raw stdout after ready\\n');
  log.info('logger line after ready');
  mark('after-detach', String(isDetachedChild()));
  keepAlive();
} else if (mode === 'service') {
  const proc = new ServiceProcess(true);
  proc.relay(log);
  log.info('Starting the test service');
  console.log('stdout before ready');
  console.error('stderr before ready');
  await new Promise((r) => setTimeout(r, 50));
  void proc.serve(log, { port: 4321, logFile: log.file });
} else if (mode === 'service-fail') {
  const proc = new ServiceProcess(true);
  proc.relay(log);
  log.info('Starting the test service');
  proc.endRelay();
  log.error('cannot listen on 127.0.0.1:7770');
  try {
    await proc.failed('cannot listen on 127.0.0.1:7770', { toParent: new Error('cannot listen on 127.0.0.1:7770'), logged: true });
  } catch (err) {
    process.exit(err.exitCode === 1 ? 5 : 6);
  }
} else if (mode === 'raw-fail') {
  relayBootLog(log);
  log.info('opening the port');
  await reportFailed(Object.assign(new RangeError('port 7770 in use'), { code: 98 }));
  await reportFailed('plain words');
  await reportFailed(Object.assign(new Error('with a string code'), { code: 'EADDRINUSE' }));
  process.exit(4);
} else if (mode === 'throw') {
  relayBootLog(log);
  log.info('about to throw');
  await new Promise((r) => setTimeout(r, 20));
  throw new Error('kaboom during boot');
} else if (mode === 'exit1') {
  relayBootLog(log);
  log.info('about to exit');
  process.exit(1);
} else if (mode === 'sigkill') {
  relayBootLog(log);
  log.info('about to be killed');
  await new Promise((r) => setTimeout(r, 20));
  process.kill(process.pid, 'SIGKILL');
} else if (mode === 'hang') {
  relayBootLog(log);
  log.info('hanging');
  keepAlive();
} else if (mode === 'secret') {
  const stopRelay = relayBootLog(log);
  log.info('waiting for the password');
  const secret = await readHandoff({ timeoutMs: null });
  const again = await readHandoff();
  log.info('got a password of ' + (secret ? secret.length : -1) + ' bytes');
  console.log('stdout after the handoff');
  stopRelay();
  await reportReady({ length: secret ? secret.length : -1, sha256: secret && createHash('sha256').update(secret).digest('hex'), again });
  detachFromParent(log);
  keepAlive();
} else if (mode === 'secret-limits') {
  try {
    const secret = await readHandoff({ timeoutMs: Number(process.argv[4]) });
    await reportReady({ length: secret ? secret.length : -1 });
    process.exit(0);
  } catch (err) {
    await reportFailed(err);
    process.exit(2);
  }
} else if (mode === 'race') {
  // A relayed log line, then console output, then ready: what the parent sees of the console.
  const stopRelay = relayBootLog(log);
  log.info('listening');
  console.log('printed just before ready');
  stopRelay();
  await reportReady({});
  detachFromParent(log);
  keepAlive();
} else if (mode === 'orphan-secret') {
  // The parent is killed while this child waits for the password.
  const secret = await readHandoff({ timeoutMs: null });
  mark('handoff', JSON.stringify(secret === null ? null : { length: secret.length }));
  keepAlive();
} else if (mode === 'orphan') {
  // Waits until the test has killed the parent, then goes on with its start-up.
  relayBootLog(log);
  await waitFor('go');
  log.info('boot line nobody receives');
  console.log('stdout to a dead parent');
  process.stdout.write('raw stdout to a dead parent\\n');
  process.stderr.write('raw stderr to a dead parent\\n');
  await reportReady({ orphan: true });
  detachFromParent(log);
  console.log('stdout after detach');
  await new Promise((r) => setTimeout(r, 100));
  mark('done', String(isDetachedChild()));
  keepAlive();
}
`;

/** Plays the CLI parent: startDetached on child.mts, printing what it sees. Usage: parent.mts <mode> <dir> <secret|none>. */
const PARENT_SOURCE = `
import { startDetached } from ${mod('core/process/detach.js')};
const [mode, dir, secret] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
out({ parent: process.pid });
startDetached({
  script: ${JSON.stringify('CHILD')},
  args: [mode, dir],
  execArgv: ['--import', 'tsx'],
  bootTimeoutMs: 30000,
  // A password still being typed, forever.
  secret: secret === 'pending' ? new Promise(() => {}) : undefined,
  onLog: (line, source) => out({ log: line, source }),
}).then((c) => out({ ready: c }), (e) => out({ error: e.message }));
`;

let root: string;
let CHILD: string;
let PARENT: string;
let seq = 0;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'hgx-dchild-'));
  CHILD = join(root, 'child.mts');
  PARENT = join(root, 'parent.mts');
  writeFileSync(CHILD, CHILD_SOURCE);
  writeFileSync(PARENT, PARENT_SOURCE.replace(JSON.stringify('CHILD'), JSON.stringify(pathToFileURL(CHILD).pathname)));
});

const pids: number[] = [];
after(async () => {
  await Promise.all(pids.map((pid) => killPid(pid)));
  rmSync(root, { recursive: true, force: true });
});

/** A fresh directory for one run of the child (its pid file, marks and log file). */
function runDir(): string {
  const dir = join(root, `run-${++seq}`);
  mkdirSync(dir);
  return dir;
}

/** The child's pid, once it has written it (and it is then killed after the tests). */
async function childPid(dir: string): Promise<number> {
  const pid = Number(await until(() => existsSync(join(dir, 'pid')) && readFileSync(join(dir, 'pid'), 'utf8'), 'the child to write its pid', 15_000));
  pids.push(pid);
  return pid;
}

function logFile(dir: string): string {
  const name = readdirSync(dir).find((n) => n.startsWith('hgxchild_') && n.endsWith('.log'));
  return name ? readFileSync(join(dir, name), 'utf8') : '';
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Raw {
  child: ChildProcess;
  messages: ChildMessage[];
  out: { stdout: string; stderr: string };
  /** Set when the child drops the IPC channel (the raw parent never does). */
  disconnected: { atMessages: number } | null;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns child.mts the way startDetached does, but keeps listening to everything it sends. */
function raw(mode: string, dir: string, o: { marker: 'ipc' | 'ipc+stdin'; args?: string[] }): Raw {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, dir, ...(o.args ?? [])], {
    env: { ...process.env, [DETACHED_MARKER]: o.marker },
    detached: true,
    stdio: [o.marker === 'ipc+stdin' ? 'pipe' : 'ignore', 'pipe', 'pipe', 'ipc'],
  });
  const r: Raw = {
    child,
    messages: [],
    out: { stdout: '', stderr: '' },
    disconnected: null,
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  };
  child.on('message', (m: ChildMessage) => r.messages.push(m));
  child.on('disconnect', () => (r.disconnected = { atMessages: r.messages.length }));
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (r.out.stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (r.out.stderr += c));
  child.stdin?.on('error', () => {});
  if (child.pid) pids.push(child.pid);
  return r;
}

async function rejection(p: Promise<unknown>): Promise<StartFailed> {
  const err = await p.then(
    () => assert.fail('should not be ready'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof StartFailed, String(err));
  return err;
}

function startChild(mode: string, dir: string, extra: Partial<Parameters<typeof startDetached>[0]> = {}) {
  const seen: Array<{ line: string; source: OutputSource }> = [];
  const started = startDetached<Record<string, unknown>>({
    script: CHILD,
    args: [mode, dir],
    execArgv: ['--import', 'tsx'],
    bootTimeoutMs: 30_000,
    onLog: (line, source) => seen.push({ line, source }),
    ...extra,
  });
  return { started, seen };
}

/** `2024-… INFO    hgxchild: text` → `INFO hgxchild: text`. */
const bare = (line: string) => line.replace(/^\S+ (ERROR|WARN|INFO|DEBUG) +/, '$1 ');

describe('detached child', { concurrency: 2 }, () => {
  it('reports ready once, with its info, then drops the IPC channel and writes nothing more to the parent’s pipes', async () => {
    const dir = runDir();
    const r = raw('raw-ready', dir, { marker: 'ipc' });
    await childPid(dir);
    await until(() => existsSync(join(dir, 'after-detach')), 'the child to finish writing after ready', 15_000);
    await until(() => r.disconnected, 'the child to drop the IPC channel', 5000);
    await delay(200); // anything late on the pipes would have arrived by now

    const ready = r.messages.filter((m) => m.type === 'ready');
    assert.equal(ready.length, 1, `exactly one ready: ${JSON.stringify(r.messages)}`);
    const info = (ready[0] as { info: Record<string, unknown> }).info;
    assert.deepEqual(info, { pid: r.child.pid, detached: true, handoff: null, marker: null, grandchild: 'unset' });
    // The boot log, then ready, and nothing after it (the late ready/log/failed went nowhere).
    assert.deepEqual(
      r.messages.map((m) => (m.type === 'log' ? `log ${bare(m.line)}` : m.type)),
      ['log INFO hgxchild: boot step 1', 'log a direct line', 'ready'],
    );
    assert.equal(r.disconnected!.atMessages, 3, 'the child, not the parent, dropped the channel after ready');
    assert.equal(readFileSync(join(dir, 'after-detach'), 'utf8'), 'true', 'still reports itself a detached child');

    // Before ready its console went to the parent's pipes; after it, nothing did.
    assert.equal(r.out.stdout, 'stdout before ready\n');
    assert.match(r.out.stderr, /^\S+ INFO +hgxchild: boot step 1\nstderr before ready\n$/, 'the logger wrote to stderr only until ready');
    // … it went to the log file instead: stdout as INFO, stderr as WARN.
    const file = logFile(dir);
    assert.match(file, /INFO +hgxchild: stdout after ready/);
    assert.match(file, /WARN +hgxchild: stderr after ready/);
    assert.match(file, /INFO +hgxchild: raw stdout after ready/);
    assert.match(file, /INFO +hgxchild: logger line after ready/);
    assert.equal(isProcessAlive(r.child.pid!), true);
    r.child.kill('SIGKILL');
    await r.exited;
  });

  it('through ServiceProcess and startDetached: the boot log and the console before ready reach the parent, then the start resolves with the info', async () => {
    const dir = runDir();
    const { started, seen } = startChild('service', dir);
    const child = await started;
    pids.push(child.pid);
    assert.deepEqual(child.info, { port: 4321, logFile: child.info.logFile });
    assert.match(String(child.info.logFile), /hgxchild_.*\.log$/);
    const shown = seen.map((s) => `${s.source} ${s.source === 'log' ? bare(s.line) : s.line}`);
    assert.ok(shown.includes('log INFO hgxchild: Starting the test service'), shown.join('\n'));
    assert.ok(shown.includes('stdout stdout before ready'), shown.join('\n'));
    assert.ok(shown.includes('stderr stderr before ready'), shown.join('\n'));
    await delay(200);
    assert.equal(isProcessAlive(child.pid), true, 'the service runs on after its parent let go');
  });

  it('console output printed just before ready reaches the parent (onLog: "anything it prints before it is ready")', async () => {
    // Known to fail intermittently per child (2-3 of 8 here): see the report. Several children make it show.
    const runs = Array.from({ length: 6 }, () => startChild('race', runDir()));
    const children = await Promise.all(runs.map((r) => r.started));
    for (const c of children) pids.push(c.pid);
    const lost = runs.filter((r) => !r.seen.some((s) => s.source === 'stdout' && s.line === 'printed just before ready')).length;
    assert.equal(lost, 0, `${lost} of ${runs.length} parents never saw the line their child printed before reporting ready`);
  });

  it('a failure before ready: the parent’s error is the child’s message, with its name and the exit status', async () => {
    const dir = runDir();
    const r = raw('raw-fail', dir, { marker: 'ipc' });
    const { code } = await r.exited;
    assert.equal(code, 4);
    await until(() => r.messages.length >= 4, 'the failures to arrive', 5000);
    assert.deepEqual(r.messages.slice(1), [
      { type: 'failed', error: { name: 'RangeError', message: 'port 7770 in use', code: 98 } },
      { type: 'failed', error: { name: 'Error', message: 'plain words' } },
      { type: 'failed', error: { name: 'Error', message: 'with a string code' } },
    ]);

    // What the CLI does: ServiceProcess.failed tells the parent, and the CLI exits.
    const dir2 = runDir();
    const { started, seen } = startChild('service-fail', dir2);
    const err = await rejection(started);
    assert.equal(err.message, 'cannot listen on 127.0.0.1:7770');
    assert.equal(err.details.reason, 'failed');
    assert.equal(err.details.errorName, 'Error');
    assert.equal(err.details.exitCode, 5, 'the child’s own exit status (5: it caught a CliError with exitCode 1)');
    assert.equal(isProcessAlive(err.details.pid!), false);
    const logged = seen.filter((s) => s.source === 'log').map((s) => bare(s.line));
    assert.deepEqual(logged, ['INFO hgxchild: Starting the test service'], 'the failure is not relayed as a log line too (endRelay)');
  });

  it('a crash before ready (throw, exit(1), SIGKILL, SIGTERM from outside): the parent is told at once, not left waiting', async () => {
    const t0 = Date.now();
    const dirs = ['throw', 'exit1', 'sigkill', 'hang'].map(() => runDir());
    const starts = (['throw', 'exit1', 'sigkill', 'hang'] as const).map((mode, i) => startChild(mode, dirs[i]!, { bootTimeoutMs: 60_000 }));
    const failures = Promise.all(starts.map((s) => rejection(s.started)));
    const hangPid = await childPid(dirs[3]!);
    await until(() => starts[3]!.seen.length > 0, 'the hanging child to log', 15_000);
    process.kill(hangPid, 'SIGTERM');
    const [thrown, exited, killed, termed] = await failures;
    assert.ok(Date.now() - t0 < 20_000, 'told long before the 60 s boot timeout');

    assert.equal(thrown!.details.reason, 'exited');
    assert.equal(thrown!.details.exitCode, 1);
    assert.equal(thrown!.message, 'exited with status 1 before it was ready');
    assert.match(thrown!.details.output ?? '', /kaboom during boot/, 'the crash trace is in the failure');
    assert.ok(starts[0]!.seen.some((s) => s.source === 'stderr' && /kaboom during boot/.test(s.line)), 'and was shown');
    assert.deepEqual(starts[0]!.seen.filter((s) => s.source === 'log').map((s) => bare(s.line)), ['INFO hgxchild: about to throw']);

    assert.equal(exited!.details.reason, 'exited');
    assert.equal(exited!.details.exitCode, 1);
    assert.deepEqual(starts[1]!.seen.filter((s) => s.source === 'log').map((s) => bare(s.line)), ['INFO hgxchild: about to exit']);

    assert.equal(killed!.details.reason, 'exited');
    assert.equal(killed!.details.signal, 'SIGKILL');
    assert.equal(killed!.message, 'was killed by SIGKILL before it was ready');

    assert.equal(termed!.details.reason, 'exited');
    assert.equal(termed!.details.signal, 'SIGTERM');
    assert.equal(termed!.message, 'was killed by SIGTERM before it was ready');
  });

  it('the password handed over on stdin arrives once, intact, and lands in neither argv, the environment, the output nor the log', async () => {
    const dir = runDir();
    const password = 'correct horse battery staple ünïcödé';
    const { started, seen } = startChild('secret', dir, { secret: Buffer.from(password, 'utf8') });
    const child = await started;
    pids.push(child.pid);
    const bytes = Buffer.from(password, 'utf8');
    assert.deepEqual(child.info, { length: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), again: null });
    const shown = seen.map((s) => `${s.source} ${s.source === 'log' ? bare(s.line) : s.line}`);
    assert.deepEqual(shown.filter((l) => l.startsWith('log ')), ['log INFO hgxchild: waiting for the password', `log INFO hgxchild: got a password of ${bytes.length} bytes`]);
    const forms = [password, bytes.toString('hex'), bytes.toString('base64'), 'correct horse'];
    const places: Record<string, string> = {
      'what the parent was shown': seen.map((s) => s.line).join('\n'),
      'the log file': logFile(dir),
      'the ready info': JSON.stringify(child.info),
    };
    if (process.platform === 'linux') {
      places['argv'] = readFileSync(`/proc/${child.pid}/cmdline`, 'latin1');
      places['the environment'] = readFileSync(`/proc/${child.pid}/environ`, 'latin1');
      assert.match(places['argv']!, /child\.mts\0secret\0/, 'sanity: this is the child');
    }
    assert.match(places['the log file']!, /got a password of/, 'sanity: the log file is written');
    for (const [where, text] of Object.entries(places)) {
      for (const form of forms) assert.equal(text.includes(form), false, `the password (${form}) is in ${where}`);
    }
  });

  it('the handoff fails cleanly when the secret does not come in time, or is too large; exactly 64 KiB is taken', async () => {
    const big = (n: number) => Buffer.alloc(n, 0x61);
    const late = raw('secret-limits', runDir(), { marker: 'ipc+stdin', args: ['300'] });
    const over = raw('secret-limits', runDir(), { marker: 'ipc+stdin', args: ['20000'] });
    const max = raw('secret-limits', runDir(), { marker: 'ipc+stdin', args: ['20000'] });
    over.child.stdin!.end(big(64 * 1024 + 1));
    max.child.stdin!.end(big(64 * 1024));
    const [l, o, m] = await Promise.all([late.exited, over.exited, max.exited]);
    await delay(50);
    assert.equal(l.code, 2);
    assert.deepEqual(late.messages, [{ type: 'failed', error: { name: 'Error', message: 'no secret arrived on stdin within 300 ms' } }]);
    assert.equal(o.code, 2);
    assert.deepEqual(over.messages, [{ type: 'failed', error: { name: 'Error', message: 'handoff on stdin exceeds 65536 bytes' } }]);
    assert.equal(m.code, 0);
    assert.deepEqual(max.messages, [{ type: 'ready', info: { length: 65536 } }]);
  });

  it('runs in its own session: a Ctrl-C to the parent’s process group does not reach it', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    const dir = runDir();
    const { started } = startChild('hang', dir, { bootTimeoutMs: 60_000, killGraceMs: 500 });
    started.catch(() => {});
    const pid = await childPid(dir);
    // /proc/<pid>/stat: pid (comm) state ppid pgrp session …
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [, , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.equal(Number(pgrp), pid, 'leads its own process group');
    assert.equal(Number(session), pid, 'leads its own session (no controlling terminal: no SIGHUP when it closes)');
    await killPid(pid);
    await rejection(started);
  });

  it('the parent dies while the child waits for its password: the wait ends with nothing handed over', async () => {
    const dir = runDir();
    const parent = spawn(process.execPath, ['--import', 'tsx', PARENT, 'orphan-secret', dir, 'pending'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const parentGone = new Promise((r) => parent.once('exit', r));
    const pid = await childPid(dir);
    await delay(300); // let it reach readHandoff
    assert.equal(existsSync(join(dir, 'handoff')), false, 'still waiting while the parent lives');
    parent.kill('SIGKILL');
    await parentGone;
    const handoff = await until(() => existsSync(join(dir, 'handoff')) && readFileSync(join(dir, 'handoff'), 'utf8'), 'the wait to end', 5000);
    // "if the parent dies instead, the pipe closes and what arrived (nothing) is returned"
    assert.deepEqual(JSON.parse(String(handoff)), { length: 0 });
    assert.equal(isProcessAlive(pid), true);
  });

  it('the parent dies before ready: the child’s reports and console output go nowhere without hurting it, and it runs on', async () => {
    const dir = runDir();
    const parent = spawn(process.execPath, ['--import', 'tsx', PARENT, 'orphan', dir, 'none'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const parentGone = new Promise((r) => parent.once('exit', r));
    const pid = await childPid(dir);
    parent.kill('SIGKILL');
    await parentGone;
    await delay(100);
    writeFileSync(join(dir, 'go'), '');
    const done = await until(() => existsSync(join(dir, 'done')) && readFileSync(join(dir, 'done'), 'utf8'), 'the orphan to finish its start-up', 5000);
    assert.equal(done, 'true');
    await delay(100);
    assert.equal(isProcessAlive(pid), true, 'writing to the dead parent’s pipes did not kill it');
    assert.match(logFile(dir), /INFO +hgxchild: stdout after detach/, 'its console goes to its log');
  });
});
