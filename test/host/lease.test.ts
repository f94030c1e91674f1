// What a run holds, in which order it is taken and given back: the pid file, the log, the service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMemoryLogger, type Logger } from '../../src/core/log/index.js';
import { AlreadyRunning, readPidFile } from '../../src/core/process/index.js';
import { Lease, type LeaseSpec } from '../../src/host/lease.js';
import { tempHome } from './helpers.js';

/** A log that records when it is closed, and whether the pid file was still there then. */
function recordingLog(events: string[], pidFile: string): Logger {
  return Object.assign(createMemoryLogger(), {
    close: async () => void events.push(`log closed (lock ${existsSync(pidFile) ? 'held' : 'released'})`),
  });
}

function spec(events: string[], pidFile: string, over: Partial<LeaseSpec<string>> = {}): LeaseSpec<string> {
  return {
    pidFile: { path: pidFile, info: { role: 'test' } },
    log: () => {
      events.push(`log made (lock ${existsSync(pidFile) ? 'held' : 'released'})`);
      return recordingLog(events, pidFile);
    },
    start: async () => {
      events.push('started');
      return 'service';
    },
    stop: async (service) => void events.push(`${service} stopped (lock ${existsSync(pidFile) ? 'held' : 'released'})`),
    ...over,
  };
}

test('a start takes the pid file, then makes the log; a stop stops the service, releases the lock, then closes the log', async () => {
  const pidFile = join(tempHome(), 'x.pid');
  const events: string[] = [];
  const lease = new Lease<string>();
  const { service, log } = await lease.start(spec(events, pidFile));
  assert.equal(service, 'service');
  assert.equal(lease.current, 'service');
  assert.equal(lease.logger, log);
  assert.equal(readPidFile(pidFile)?.info?.role, 'test');

  await lease.stop();
  assert.deepEqual(events, ['log made (lock held)', 'started', 'service stopped (lock held)', 'log closed (lock released)']);
  assert.equal(existsSync(pidFile), false);
  assert.equal(lease.current, null);
  assert.equal(lease.logger, null);
  await lease.stop();
  assert.equal(events.length, 4, 'a second stop does nothing');
});

test('a failed start releases the lock, then runs onFailure with the log still open, then closes it', async () => {
  const pidFile = join(tempHome(), 'x.pid');
  const events: string[] = [];
  const lease = new Lease<string>();
  const boom = new Error('the port is taken');
  await assert.rejects(
    lease.start(spec(events, pidFile, { start: async () => Promise.reject(boom) }), {
      beforeStart: () => void events.push('beforeStart'),
      onFailure: (err, log) => {
        assert.equal(err, boom);
        log.error('did not start');
        events.push(`onFailure (lock ${existsSync(pidFile) ? 'held' : 'released'})`);
      },
    }),
    boom,
  );
  assert.deepEqual(events, ['log made (lock held)', 'beforeStart', 'onFailure (lock released)', 'log closed (lock released)']);
  assert.equal(lease.current, null);
  assert.equal(lease.logger, null);
  // Nothing is held: the next start can take the pid file again.
  await lease.start(spec([], pidFile));
  await lease.stop();
});

test('an onFailure that throws does not hide the start\'s own failure, and everything is still given back', async () => {
  const pidFile = join(tempHome(), 'x.pid');
  const events: string[] = [];
  const boom = new Error('the store is corrupt');
  const lease = new Lease<string>();
  await assert.rejects(
    lease.start(spec(events, pidFile, { start: () => Promise.reject(boom) }), {
      onFailure: () => {
        throw new Error('the parent went away');
      },
    }),
    boom,
  );
  assert.deepEqual(events, ['log made (lock held)', 'log closed (lock released)']);
});

test('a log that cannot be made releases the pid file; a given log is never closed', async () => {
  const pidFile = join(tempHome(), 'x.pid');
  const lease = new Lease<string>();
  const noLog = new Error('cannot create log file');
  await assert.rejects(
    lease.start(
      spec([], pidFile, {
        log: () => {
          throw noLog;
        },
      }),
    ),
    noLog,
  );
  assert.equal(existsSync(pidFile), false);

  const events: string[] = [];
  const given = recordingLog(events, pidFile);
  const { log } = await lease.start(spec(events, pidFile, { log: given }));
  assert.equal(log, given);
  await lease.stop();
  assert.deepEqual(events, ['started', 'service stopped (lock held)'], 'the caller closes its own log');
});

test('a stop during a start waits for it, then undoes it; a second start while one runs is refused', async () => {
  const pidFile = join(tempHome(), 'x.pid');
  const events: string[] = [];
  const lease = new Lease<string>();
  let finish!: () => void;
  const starting = lease.start(spec(events, pidFile, { start: () => new Promise((ok) => (finish = () => ok('slow service'))) }));
  await assert.rejects(lease.start(spec([], pidFile)), /already running/);
  const stopping = lease.stop();
  const again = lease.stop();
  await new Promise((r) => setImmediate(r));
  assert.equal(existsSync(pidFile), true, 'nothing is released while the start runs');
  finish();
  await starting;
  await Promise.all([stopping, again]);
  assert.deepEqual(events, ['log made (lock held)', 'slow service stopped (lock held)', 'log closed (lock released)']);
  assert.equal(existsSync(pidFile), false);
});

test('another live process holding the pid file: AlreadyRunning names it, and no log is made', async (t) => {
  const pidFile = join(tempHome(), 'x.pid');
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  t.after(() => sleeper.kill('SIGKILL'));
  writeFileSync(pidFile, `${sleeper.pid}\n`);
  const events: string[] = [];
  const err = await new Lease<string>().start(spec(events, pidFile)).catch((e: unknown) => e);
  assert.ok(err instanceof AlreadyRunning, String(err));
  assert.equal(err.pid, sleeper.pid);
  assert.equal(err.message, `already running (pid ${sleeper.pid})`);
  assert.deepEqual(events, []);
  assert.equal(readPidFile(pidFile)?.pid, sleeper.pid, 'the holder keeps its file');
});

test('no pid file asked for: none is written', async () => {
  const pidFile = join(tempHome(), 'x.pid');
  const lease = new Lease<string>();
  await lease.start(spec([], pidFile, { pidFile: null }));
  assert.equal(existsSync(pidFile), false);
  await lease.stop();
});
