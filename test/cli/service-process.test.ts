// The process side of `start app` / `start server` when a run fails: what is stopped, logged and exited with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CliError } from '../../src/cli/command.js';
import { ServiceProcess } from '../../src/cli/service-process.js';
import { createMemoryLogger } from '../../src/core/log/index.js';

test('failed after the service started: it is stopped, its log says why, and the CLI exits 1 with the message', async () => {
  const log = createMemoryLogger();
  let stops = 0;
  const runner = { stop: async () => void stops++ };
  const err = await new ServiceProcess(false).failed('Error: the parent went away', { toParent: new Error('gone'), started: { log, runner } }).catch((e: unknown) => e);
  assert.ok(err instanceof CliError, String(err));
  assert.equal(err.exitCode, 1);
  assert.equal(err.message, 'Error: the parent went away');
  assert.equal(stops, 1);
  assert.ok(log.lines.some((l) => l.includes('Error: the parent went away')), log.lines.join('\n'));
});

test('failed before anything started: nothing to stop, the same exit', async () => {
  const err = await new ServiceProcess(true).failed('already running (pid 42)', { toParent: new Error('x') }).catch((e: unknown) => e);
  assert.ok(err instanceof CliError);
  assert.equal(err.exitCode, 1);
  assert.equal(err.message, 'already running (pid 42)');
});

test('a service that cannot be stopped still ends in the CLI error', async () => {
  const log = createMemoryLogger();
  const runner = { stop: () => Promise.reject(new Error('store busy')) };
  await assert.rejects(new ServiceProcess(false).failed('Error: boom', { toParent: null, started: { log, runner } }), (e: unknown) => e instanceof CliError && e.message === 'Error: boom');
});
