import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquirePidFile, readPidFile } from '../../../src/core/process/pidfile.js';
import { AlreadyRunning } from '../../../src/core/process/errors.js';
import { isProcessAlive } from '../../../src/core/process/alive.js';
import { HypergolixError } from '../../../src/core/golix/errors.js';
import { runFixture, tempDir, until } from './helpers.js';

/** The pid of a process that has certainly exited (and been reaped). */
async function deadPid(): Promise<number> {
  const f = runFixture('sleeper.mjs');
  await f.waitFor(/ready/);
  f.child.kill('SIGKILL');
  await f.exited;
  return f.pid;
}

test('acquire writes the pid (mode 0600) and an info line; release removes it', (t) => {
  const path = join(tempDir(t), 'sub', 'hypergolix.pid');
  const lock = acquirePidFile(path, { info: { ports: [7772] } });
  assert.equal(lock.pid, process.pid);
  const [first, second, rest] = readFileSync(path, 'utf8').split('\n');
  assert.equal(first, String(process.pid));
  const info = JSON.parse(second!);
  assert.deepEqual(info.ports, [7772]);
  assert.ok(!Number.isNaN(Date.parse(info.started)));
  assert.equal(rest, '');
  assert.equal((statSync(path).mode & 0o777).toString(8), '600');
  assert.deepEqual(readPidFile(path), { pid: process.pid, alive: true, info });

  lock.update({ ports: [7772, 7773] });
  assert.deepEqual(readPidFile(path)?.info?.ports, [7772, 7773]);
  assert.equal(readPidFile(path)?.info?.started, info.started);

  lock.release();
  assert.equal(existsSync(path), false);
  assert.equal(readPidFile(path), null);
  lock.release();
  // After release the same process may take it again.
  acquirePidFile(path).release();
});

test('a second acquire while the holder lives fails with AlreadyRunning naming its pid', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'hgx-server.pid');
  const lock = acquirePidFile(path);
  assert.throws(() => acquirePidFile(path), (e) => e instanceof AlreadyRunning && e.pid === process.pid);
  lock.release();

  const holder = runFixture('sleeper.mjs', [], t);
  await holder.waitFor(/ready/);
  writeFileSync(path, `${holder.pid}\n`);
  assert.throws(
    () => acquirePidFile(path),
    (e: unknown) =>
      e instanceof AlreadyRunning &&
      e instanceof HypergolixError &&
      e.pid === holder.pid &&
      e.message === `already running (pid ${holder.pid})`,
  );
  assert.equal(readFileSync(path, 'utf8'), `${holder.pid}\n`, 'a live holder\'s file must stay untouched');
  assert.deepEqual(readPidFile(path), { pid: holder.pid, alive: true, info: null });
});

test('a file left by an exited process is taken over', async (t) => {
  const path = join(tempDir(t), 'hypergolix.pid');
  const pid = await deadPid();
  writeFileSync(path, `${pid}\n`);
  assert.equal(readPidFile(path)?.alive, false);
  const lock = acquirePidFile(path);
  assert.equal(readFileSync(path, 'utf8').split('\n')[0], String(process.pid));
  lock.release();
});

test('a recycled pid (same number, different process start time) counts as dead', { skip: process.platform !== 'linux' && 'needs /proc' }, async (t) => {
  const path = join(tempDir(t), 'hypergolix.pid');
  const holder = runFixture('sleeper.mjs', [], t);
  await holder.waitFor(/ready/);
  writeFileSync(path, `${holder.pid}\n${JSON.stringify({ procStart: 1 })}\n`);
  assert.equal(isProcessAlive(holder.pid), true);
  assert.equal(readPidFile(path)?.alive, false);
  acquirePidFile(path).release();
});

test('garbage pid files are taken over', (t) => {
  const dir = tempDir(t);
  for (const [i, junk] of ['', '\n', 'hello\n', '0\n', '-1\n', '99999999999\n', '12abc\n', '\u0000\u0001'].entries()) {
    const path = join(dir, `g${i}.pid`);
    writeFileSync(path, junk);
    const state = readPidFile(path);
    assert.equal(state?.alive, false, JSON.stringify(junk));
    const lock = acquirePidFile(path);
    assert.equal(readFileSync(path, 'utf8').split('\n')[0], String(process.pid), JSON.stringify(junk));
    lock.release();
  }
});

test('release leaves a file that now names another process alone', async (t) => {
  const path = join(tempDir(t), 'hypergolix.pid');
  const lock = acquirePidFile(path);
  const other = runFixture('sleeper.mjs', [], t);
  await other.waitFor(/ready/);
  writeFileSync(path, `${other.pid}\n`);
  lock.release();
  assert.equal(readFileSync(path, 'utf8'), `${other.pid}\n`);
});

test('starters racing for one stale file: exactly one wins', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'hypergolix.pid');
  const go = join(dir, 'go');
  writeFileSync(path, `${await deadPid()}\n`);
  const racers = Array.from({ length: 6 }, () => runFixture('race.ts', [path, go], t));
  await until(() => racers.every((r) => r.lines[0] === 'armed'), 'every racer to reach the gate', 10_000);
  writeFileSync(go, '');
  const outcomes = await until(() => {
    const lines = racers.map((r) => r.lines[1]);
    return lines.every(Boolean) ? (lines as string[]) : null;
  }, 'every racer to report', 10_000);
  rmSync(go);
  const winners = racers.filter((r) => r.lines[1] === 'won');
  assert.equal(winners.length, 1, outcomes.join(', '));
  for (const o of outcomes) if (o !== 'won') assert.equal(o, `lost ${winners[0]!.pid}`);
  await Promise.all(racers.map((r) => r.exited));
  // The winner released on exit.
  assert.equal(existsSync(path), false);
});
