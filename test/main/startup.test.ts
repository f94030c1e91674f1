// Start-up failure in plain Node: a broken hypergolix.yml starts the controller in its error
// state; anything else thrown by start() releases the single-instance lock, says why and exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config/index.js';
import { harness, tempHome } from '../host/helpers.js';
import { STARTUP_FAILED_TITLE, ShutdownSteps, firstLook, runStartup, type StartupAppPort } from '../../src/main/startup.js';

const temps: string[] = [];
test.after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'hgx-startup-'));
  temps.push(d);
  return d;
};

class FakeApp implements StartupAppPort {
  calls: string[] = [];
  exited: Promise<number | undefined>;
  private onExit!: (code: number | undefined) => void;
  constructor(private readonly ready: Promise<unknown> = Promise.resolve()) {
    this.exited = new Promise((r) => (this.onExit = r));
  }
  whenReady() {
    return this.ready;
  }
  releaseSingleInstanceLock() {
    this.calls.push('release');
  }
  exit(code?: number) {
    this.calls.push(`exit ${code}`);
    this.onExit(code);
  }
}

function report(calls: string[]) {
  return { log: (m: string) => calls.push(`log ${m.split('\n')[0]}`), showError: (title: string, m: string) => calls.push(`box ${title}: ${m}`) };
}

test('start-up: an error thrown by start() releases the lock, shows why, stops what started and exits 1', async () => {
  const app = new FakeApp();
  const steps = new ShutdownSteps();
  await runStartup({
    app,
    steps,
    report: report(app.calls),
    start: async () => {
      steps.add('the daemon', () => void app.calls.push('daemon stopped'));
      throw new Error('the tray could not be made');
    },
  });
  assert.equal(await app.exited, 1);
  assert.deepEqual(app.calls, [
    'release',
    `log ${STARTUP_FAILED_TITLE}: Error: the tray could not be made`,
    `box ${STARTUP_FAILED_TITLE}: the tray could not be made`,
    'daemon stopped',
    'exit 1',
  ]);
});

test('start-up: a failed whenReady, a throwing error box and a stop that hangs still end in exit 1', async () => {
  const app = new FakeApp(Promise.reject(new Error('no display')));
  const steps = new ShutdownSteps();
  steps.add('a hung server', () => new Promise(() => {}));
  const warnings: string[] = [];
  await runStartup({
    app,
    steps,
    abortDeadlineMs: 20,
    warn: (m) => warnings.push(m),
    report: {
      log: (m) => app.calls.push(`log ${m.split('\n')[0]}`),
      showError: () => {
        throw new Error('cannot show a box');
      },
    },
    start: async () => assert.fail('start must not run when ready failed'),
  });
  assert.equal(await app.exited, 1);
  assert.equal(app.calls[0], 'release');
  assert.match(warnings.join(), /took too long/);
});

test('start-up: success exits nothing and releases nothing', async () => {
  const app = new FakeApp();
  let started = false;
  await runStartup({ app, report: report(app.calls), start: async () => void (started = true) });
  assert.equal(started, true);
  assert.deepEqual(app.calls, []);
});

test('start-up: a broken hypergolix.yml is not a crash: its path and problem go to the controller, logs to the fallback', async () => {
  const dir = temp();
  const file = join(dir, 'hypergolix.yml');
  writeFileSync(file, 'process:\n  ipc_port: [unclosed\n');
  const where = await firstLook(() => loadConfig({ root: file, create: true }), join(dir, 'fallback-logs'));
  assert.equal(where.configPath, file);
  assert.equal(where.configDir, dir);
  assert.equal(where.logDir, join(dir, 'fallback-logs'));
  assert.match(where.problem ?? '', /line \d/);

  const good = temp();
  const fine = await firstLook(() => loadConfig({ root: join(good, 'hypergolix.yml'), create: true }), '/nowhere');
  assert.equal(fine.problem, null);
  assert.equal(fine.configDir, good);
  assert.notEqual(fine.logDir, '/nowhere');
});

test('start-up: a failure that is not the file (no permission, say) is thrown to runStartup', async () => {
  const err = Object.assign(new Error('EACCES: permission denied, mkdir'), { code: 'EACCES' });
  await assert.rejects(firstLook(() => Promise.reject(err), '/logs'), /EACCES/);
});

test('shutdown steps: last started is stopped first; a failing step does not stop the rest; quit during start-up waits for it', async () => {
  const steps = new ShutdownSteps();
  const order: string[] = [];
  let finishStart!: () => void;
  steps.startingWith(new Promise<void>((r) => (finishStart = r)));
  steps.add('daemon', () => void order.push('daemon'));
  steps.add('tray', () => {
    throw new Error('gone already');
  });
  steps.add('ipc', async () => void order.push('ipc'));
  const warnings: string[] = [];
  const running = steps.run((m) => warnings.push(m));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [], 'nothing stops before start-up is over');
  finishStart();
  await running;
  assert.deepEqual(order, ['ipc', 'daemon']);
  assert.deepEqual(warnings, ['Stopping tray failed: gone already']);
  await steps.run(() => {});
  assert.deepEqual(order, ['ipc', 'daemon'], 'each step runs once');
});

test('start-up, as main.ts wires it: a broken hypergolix.yml gives a controller in its error state (the error view), not a crash', async () => {
  const home = tempHome('hgx-startup-broken-');
  const file = join(home, 'hypergolix.yml');
  writeFileSync(file, 'process:\n  ipc_port: [unclosed\n');
  const where = await firstLook(() => loadConfig({ root: file, create: true }), join(home, 'logs'));
  // The same root main.ts passes; the rest as the host tests run a controller.
  const h = await harness(home, { configOptions: { root: where.configPath } });
  const status = h.controller.status();
  assert.equal(status.state, 'error');
  assert.match(status.message ?? '', /hypergolix\.yml cannot be used: .*line \d/);
});
