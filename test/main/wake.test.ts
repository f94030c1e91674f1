// A computer woken from sleep tries its remotes away at once (src/main/wake.ts), through a fake of
// powerMonitor's resume/unlock-screen: one try for wakes that come together, none refused loudly
// while locked, nothing after the disposer. The controller's own tryRemotes is tested in
// test/host/status.test.ts and, end to end, in test/core/ipc/daemon-status.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupWakeTries } from '../../src/main/wake.js';

function fakePower() {
  const listeners = new Set<() => void>();
  return {
    port: { onWake: (l: () => void) => (listeners.add(l), () => void listeners.delete(l)) },
    wake: () => listeners.forEach((l) => l()),
    listening: () => listeners.size,
  };
}

test('a wake tries the remotes once, wakes during that try join it, a later wake tries again; the disposer stops it', async () => {
  const power = fakePower();
  const said: string[] = [];
  let tries = 0;
  let finish!: () => void;
  const dispose = setupWakeTries(power.port, {
    tryRemotes: () => (tries++, new Promise<void>((r) => (finish = r))),
    info: (m) => said.push(m),
  });
  power.wake();
  power.wake(); // resume and unlock-screen, a moment apart
  assert.equal(tries, 1);
  finish();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(said, ['Woken: the remotes away were tried at once']);
  power.wake();
  assert.equal(tries, 2, 'a later wake tries again');
  finish();
  await new Promise((r) => setImmediate(r));
  dispose();
  assert.equal(power.listening(), 0);
  power.wake();
  assert.equal(tries, 2);
});

test('a wake while locked (the controller refuses: nothing runs) is quiet, and the next wake tries again', async () => {
  const power = fakePower();
  const said: string[] = [];
  let tries = 0;
  setupWakeTries(power.port, { tryRemotes: async () => (tries++, Promise.reject(new Error('Unlock Hypergolix to connect to its remotes'))), info: (m) => said.push(m) });
  power.wake();
  await new Promise((r) => setImmediate(r));
  power.wake();
  await new Promise((r) => setImmediate(r));
  assert.equal(tries, 2);
  assert.deepEqual(said, []);
});
