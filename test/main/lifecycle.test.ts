// Single instance, quit, logoff and shutdown in plain Node: a fake `app` stands in for Electron's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { secondLaunchOpensWindow, setupLifecycle, setupSessionEnd, setupSingleInstance, type AppPort, type SessionEndPort } from '../../src/main/lifecycle.js';

export class FakeApp implements AppPort {
  handlers = new Map<string, ((...args: unknown[]) => void)[]>();
  quits = 0;
  exits: (number | undefined)[] = [];
  constructor(private readonly lock = true) {}
  requestSingleInstanceLock() {
    return this.lock;
  }
  on(event: string, l: (...args: never[]) => void) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), l as (...args: unknown[]) => void]);
  }
  /** Fires an event with a preventable first argument and `rest`; true when a listener prevented it. */
  fire(event: string, ...rest: unknown[]): boolean {
    let prevented = false;
    for (const h of this.handlers.get(event) ?? []) h({ preventDefault: () => void (prevented = true) }, ...rest);
    return prevented;
  }
  quit() {
    this.quits++;
  }
  exit(code?: number) {
    this.exits.push(code);
  }
}

test('single instance: a second launch brings the window forward, unless it is a --hidden login start', () => {
  const first = new FakeApp(true);
  let focused = 0;
  assert.equal(setupSingleInstance(first, () => focused++), true);
  first.fire('second-instance', ['/opt/Hypergolix/hypergolix']);
  assert.equal(focused, 1);
  first.fire('second-instance', ['/opt/Hypergolix/hypergolix', '--hidden']);
  assert.equal(focused, 1, 'a duplicate autostart leaves the window closed');
  first.fire('second-instance', ['/usr/bin/electron', '/src/hypergolix', '--original-process-start-time=1']);
  assert.equal(focused, 2, 'arguments Chromium adds do not count as --hidden');
  assert.equal(setupSingleInstance(new FakeApp(false), () => focused++), false);
  assert.equal(secondLaunchOpensWindow(['x', '--hidden']), false);
  assert.equal(secondLaunchOpensWindow(['x', '--hiddenness']), true);
});

test('lifecycle: closing windows keeps the app; Quit waits for a clean stop, once', async () => {
  const app = new FakeApp();
  let stops = 0;
  let release!: () => void;
  const stopped = new Promise<void>((r) => (release = r));
  const opened: string[] = [];
  const lc = setupLifecycle(app, {
    stop: async () => {
      stops++;
      await stopped;
    },
    openWindow: () => opened.push('open'),
    warn: () => {},
  });
  assert.equal(app.fire('window-all-closed'), false);
  assert.equal(app.quits, 0, 'the tray keeps it running');
  app.fire('activate');
  assert.deepEqual(opened, ['open']);

  assert.equal(app.fire('before-quit'), true, 'held until the daemon has stopped');
  assert.equal(lc.quitting(), true);
  assert.equal(app.fire('before-quit'), true);
  assert.equal(stops, 1, 'stopped once');
  assert.equal(app.quits, 0);
  release();
  await stopped;
  await new Promise((r) => setImmediate(r));
  assert.equal(app.quits, 1, 'then it quits');
  assert.equal(app.fire('before-quit'), false, 'and the second round goes through');
  assert.deepEqual(app.exits, []);
});

test('lifecycle: a stop that never ends is cut off at the deadline with exit status 1', async () => {
  const app = new FakeApp();
  const warnings: string[] = [];
  let exited!: () => void;
  const exit = new Promise<void>((r) => (exited = r));
  app.exit = (code?: number) => {
    app.exits.push(code);
    exited();
  };
  setupLifecycle(app, { stop: () => new Promise(() => {}), openWindow: () => {}, warn: (m) => warnings.push(m), deadlineMs: 20 });
  app.fire('before-quit');
  await exit;
  assert.deepEqual(app.exits, [1]);
  assert.match(warnings.join(), /took too long/);
});

function fakeSessionEnd(windows: boolean) {
  const heard: { shutdown?: (e?: { preventDefault?(): void }) => void; session?: (what: 'query' | 'end') => void; disposed: boolean } = { disposed: false };
  const port: SessionEndPort = {
    onShutdown: (l) => void (heard.shutdown = l),
    ...(windows ? { onWindowsSessionEnd: (l: (what: 'query' | 'end') => void) => ((heard.session = l), () => void (heard.disposed = true)) } : {}),
  };
  return { port, heard };
}

test('session end: a system shutdown (powerMonitor) asks the OS to wait and quits through the clean stop', () => {
  const { port, heard } = fakeSessionEnd(false);
  let quits = 0;
  const info: string[] = [];
  setupSessionEnd(port, { quit: () => quits++, info: (m) => info.push(m) });
  let delayed = false;
  heard.shutdown!({ preventDefault: () => void (delayed = true) });
  assert.equal(delayed, true);
  assert.equal(quits, 1);
  assert.match(info.join(), /shutting down: stopping cleanly/);
  heard.shutdown!(undefined);
  assert.equal(quits, 2, 'app.quit is idempotent under setupLifecycle; asking again is harmless');
  assert.equal(info.length, 1, 'said once');
});

test('session end: a Windows logoff (query-session-end, session-end) quits through the clean stop, which runs once', async () => {
  const { port, heard } = fakeSessionEnd(true);
  const app = new FakeApp();
  let stops = 0;
  setupLifecycle(app, { stop: async () => void stops++, openWindow: () => {}, warn: () => {} });
  // Electron's app.quit() emits before-quit; the fake does the same.
  const quit = () => {
    app.quit();
    app.fire('before-quit');
  };
  const off = setupSessionEnd(port, { quit, info: () => {} });
  heard.session!('query');
  heard.session!('end');
  await new Promise((r) => setImmediate(r));
  assert.equal(stops, 1, 'the daemon is stopped once, cleanly');
  off();
  assert.equal(heard.disposed, true);
});
