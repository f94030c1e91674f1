import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDetached, type OutputSource } from '../../../src/core/process/detach.js';
import { StartFailed } from '../../../src/core/process/errors.js';
import { isProcessAlive } from '../../../src/core/process/alive.js';
import { FIXTURES, killPid, runFixture, tempDir, until } from './helpers.js';

const CHILD = join(FIXTURES, 'boot-child.ts');

function start(mode: string, logdir: string, extra: Partial<Parameters<typeof startDetached>[0]> = {}) {
  const seen: Array<{ line: string; source: OutputSource }> = [];
  const started = startDetached<Record<string, unknown>>({
    script: CHILD,
    args: [mode, logdir],
    execArgv: ['--import', 'tsx'],
    bootTimeoutMs: 15_000,
    onLog: (line, source) => seen.push({ line, source }),
    ...extra,
  });
  return { started, seen };
}

test('relays boot lines in order, resolves with the ready info, and leaves the child running', async (t) => {
  const dir = tempDir(t);
  const { started, seen } = start('ready', dir);
  const child = await started;
  t.after(() => killPid(child.pid));
  assert.deepEqual(child.info, { pid: child.pid, hello: 'world' });
  assert.deepEqual(
    seen.map((s) => [s.source, s.line.replace(/^\S+ /, '')]),
    [1, 2, 3].map((n) => ['log', `INFO    hgxtest: boot step ${n}`]),
  );
  // The child keeps printing to a console nobody reads any more; it must survive that.
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(isProcessAlive(child.pid), true);
});

test('the parent can exit while the detached child keeps running; console output lands in the log', async (t) => {
  const dir = tempDir(t);
  const parent = runFixture('detach-parent.ts', ['ready', dir], t);
  let timer: NodeJS.Timeout | undefined;
  const { code } = await Promise.race([
    parent.exited,
    new Promise<never>((_, reject) => {
      // A backstop against a hang, far above its ~3 s (two processes booting through tsx), which
      // a full parallel run on two CPUs stretched past 10 s once.
      timer = setTimeout(() => reject(new Error('parent did not exit: a handle kept it alive')), 30_000);
    }),
  ]);
  clearTimeout(timer);
  assert.equal(code, 0);
  const messages = parent.lines.map((l) => JSON.parse(l) as { log?: string; ready?: { pid: number; info: unknown } });
  assert.deepEqual(
    messages.filter((m) => m.log).map((m) => m.log!.replace(/^\S+ /, '')),
    [1, 2, 3].map((n) => `INFO    hgxtest: boot step ${n}`),
  );
  const ready = messages.find((m) => m.ready)?.ready;
  assert.ok(ready, parent.lines.join('\n'));
  t.after(() => killPid(ready.pid));
  assert.deepEqual(ready.info, { pid: ready.pid, hello: 'world' });

  // Still alive well after its parent is gone and its old stdout/stderr pipes are closed.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(isProcessAlive(ready.pid), true);
  const [file] = readdirSync(dir);
  const log = readFileSync(join(dir, file!), 'utf8');
  assert.match(log, /INFO +hgxtest: stdout after detach/);
  assert.match(log, /WARN +hgxtest: stderr after detach/);
  assert.match(log, /INFO +hgxtest: tick/);
});

test('a child that reports failure rejects with its message, and is gone', async (t) => {
  const { started } = start('fail', tempDir(t));
  const err = await started.then(
    () => assert.fail('should not be ready'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof StartFailed);
  assert.equal(err.message, 'cannot bind 127.0.0.1:7770: address in use');
  assert.equal(err.details.reason, 'failed');
  assert.equal(err.details.errorName, 'RangeError');
  assert.equal(err.details.exitCode, 1);
  assert.equal(isProcessAlive(err.details.pid!), false);
});

test('a child that exits before it is ready rejects, with its last output', async (t) => {
  const { started, seen } = start('crash', tempDir(t));
  const err = await started.then(
    () => assert.fail('should not be ready'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof StartFailed);
  assert.equal(err.details.reason, 'exited');
  assert.equal(err.details.exitCode, 3);
  assert.match(err.message, /exited with status 3 before it was ready/);
  assert.match(err.details.output ?? '', /fatal: something broke/);
  assert.ok(seen.some((s) => s.source === 'stderr' && s.line === 'fatal: something broke'));
});

test('a child that never reports is killed after the boot timeout', async (t) => {
  const { started } = start('hang', tempDir(t), { bootTimeoutMs: 1500, killGraceMs: 10_000 });
  const err = await started.then(
    () => assert.fail('should not be ready'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof StartFailed);
  assert.equal(err.details.reason, 'timeout');
  // SIGTERM stopped it, within the grace before SIGKILL: the fixture's handler exits with status 0,
  // or, on a loaded machine where tsx had not yet installed that handler, SIGTERM itself ended it.
  assert.ok(
    err.details.exitCode === 0 || err.details.signal === 'SIGTERM',
    `stopped by SIGTERM, not ${err.details.signal ?? `status ${err.details.exitCode}`}`,
  );
  assert.equal(isProcessAlive(err.details.pid!), false);
});

test('a spawn failure rejects with reason "spawn"', async () => {
  const err = await startDetached({ script: CHILD, cwd: '/nonexistent/dir/for/hgx' }).then(
    () => assert.fail('should not start'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof StartFailed);
  assert.equal(err.details.reason, 'spawn');
});

test('the secret arrives intact over stdin and is in neither argv nor the environment', { skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const secret = randomBytes(48);
  const { started } = start('secret', tempDir(t), { secret });
  const child = await started;
  t.after(() => killPid(child.pid));
  assert.deepEqual(child.info, { sha256: createHash('sha256').update(secret).digest('hex'), length: secret.length });
  const cmdline = readFileSync(`/proc/${child.pid}/cmdline`);
  const environ = readFileSync(`/proc/${child.pid}/environ`);
  for (const form of [secret, Buffer.from(secret.toString('hex')), Buffer.from(secret.toString('base64')), Buffer.from(secret.toString('base64url'))]) {
    assert.equal(cmdline.indexOf(form), -1, 'secret found in argv');
    assert.equal(environ.indexOf(form), -1, 'secret found in the environment');
  }
  assert.match(cmdline.toString(), /boot-child\.ts\0secret\0/, 'sanity: this is the child');
});

test('a secret still being typed: the child starts at once and waits for it; its output is held until then, and the boot timeout runs from the handoff', async (t) => {
  let give!: (b: Buffer) => void;
  const secret = new Promise<Buffer>((resolve) => (give = resolve));
  const { started, seen } = start('secret', tempDir(t), { secret, bootTimeoutMs: 3000 });
  // Longer than the boot timeout: the wait for the secret is not counted against the child.
  await new Promise((r) => setTimeout(r, 4000));
  assert.equal(seen.length, 0, 'nothing shown while the secret is awaited (it would land in the prompt)');
  const bytes = randomBytes(32);
  give(bytes);
  const child = await started;
  t.after(() => killPid(child.pid));
  assert.deepEqual(child.info, { sha256: createHash('sha256').update(bytes).digest('hex'), length: bytes.length });
  assert.deepEqual(
    seen.map((s) => s.line.replace(/^\S+ /, '')),
    [1, 2, 3].map((n) => `INFO    hgxtest: boot step ${n}`),
    'the held boot log, shown once the secret was handed over',
  );
});

/** Starts `mode` waiting for a secret, cancels the secret once `ready()` resolves, and returns the failure. */
async function cancelledStart(mode: string, dir: string, ready: () => Promise<unknown>) {
  let refuse!: (err: Error) => void;
  const secret = new Promise<Buffer>((_, reject) => (refuse = reject));
  const { started, seen } = start(mode, dir, { secret });
  await ready();
  refuse(new Error('Cancelled'));
  const err = await started.then(
    () => assert.fail('should not be ready'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof StartFailed);
  assert.equal(err.details.reason, 'cancelled');
  return { err, seen };
}

test('a secret that will not come (its prompt was cancelled): the waiting child is stopped and the start fails as cancelled', async (t) => {
  const { err, seen } = await cancelledStart('secret', tempDir(t), () => new Promise((r) => setTimeout(r, 300)));
  assert.equal((err.cause as Error).message, 'Cancelled');
  assert.equal(isProcessAlive(err.details.pid!), false, 'gone by the time the start fails');
  assert.equal(seen.length, 0, 'what it printed meanwhile is not shown');
});

test('what a cancelled child prints while it stops is not shown either, only kept in the failure', async (t) => {
  const dir = tempDir(t);
  const { err, seen } = await cancelledStart('secret-loud', dir, () => until(() => existsSync(join(dir, 'waiting')), 'the child to wait for its secret', 15_000));
  assert.match(String(err.details.output), /stopping: no secret came/, 'the line it printed on its way out is in the failure');
  assert.deepEqual(seen, [], 'nothing reached the terminal the prompt was in');
});

test('the child-side helpers are no-ops in the foreground', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, 'foreground'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  // stdin stays open: a foreground child must not wait on it.
  const code = await new Promise((r) => child.once('exit', r));
  child.stdin.destroy();
  assert.equal(code, 0);
  assert.equal(out, 'foreground detached=false handoff=null\n');
  await until(() => true, 'noop');
});
