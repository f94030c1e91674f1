// A link closed while it reconnects leaves nothing behind that keeps the app's process alive:
// not the back-off's wait, not a socket being opened to a daemon that does not answer. A link
// closed while its daemon has stopped answering fails its calls at once and lets go of the socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { HGXLink, JsonObj, NotConnected } from '../../packages/hgx/src/index.js';
import { until, world } from '../fixtures/ipc/world.js';

const FIXTURE = new URL('../fixtures/hgx/close-while-reconnecting.ts', import.meta.url).pathname;

/** Runs the child app; `gone()` takes its daemon away once it is connected. Resolves with ms from its close() to its exit. */
async function closeToExit(env: Record<string, string>, gone: () => Promise<void>): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let closedAt = 0;
  const exited = new Promise<number>((resolve) => child.on('exit', () => resolve(Date.now())));
  const killer = setTimeout(() => child.kill(), 30_000);
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      const said = JSON.parse(line) as { connected?: true; closedAt?: number };
      if (said.connected) await gone();
      if (said.closedAt) closedAt = said.closedAt;
    }
    const exitAt = await exited;
    assert.ok(closedAt > 0, `the child closed its link (stderr: ${stderr})`);
    return exitAt - closedAt;
  } finally {
    clearTimeout(killer);
  }
}

test('close() during the reconnect back-off ends its wait: the process exits at once', async () => {
  const w = await world();
  const a = await w.user(0);
  // The first wait is 5–10 s; the link is closed 200 ms into it.
  const ms = await closeToExit({ P: String(a.port), T: a.tokenFile, MIN: '10000', MAX: '10000', CLOSE_AFTER_MS: '200' }, () => a.stop());
  assert.ok(ms < 2000, `the process exited ${ms} ms after close(): a timer of the closed link kept it alive`);
});

test('close() while a reconnect waits on a listener that never answers ends that socket and its timer', async (t) => {
  const w = await world();
  const a = await w.user(0);
  // Once the daemon is gone, its port accepts connections and never answers the WebSocket upgrade.
  const held: Socket[] = [];
  const mute = createServer((s) => void held.push(s));
  t.after(() => {
    for (const s of held) s.destroy();
    mute.close();
  });
  const gone = async () => {
    await a.stop();
    await new Promise<void>((resolve, reject) => mute.once('error', reject).listen(a.port, '127.0.0.1', resolve));
  };
  // A try waits up to 10 s for the upgrade; the link is closed 1.5 s after the daemon went.
  const ms = await closeToExit({ P: String(a.port), T: a.tokenFile, MIN: '10', MAX: '10000', CLOSE_AFTER_MS: '1500' }, gone);
  assert.ok(held.length > 0, 'the link tried the mute listener');
  assert.ok(ms < 2000, `the process exited ${ms} ms after close(): the socket being opened kept it alive`);
});

test('close() while the daemon has stopped answering: calls under way fail at once with NotConnected, and the socket goes', async (t) => {
  const w = await world();
  const a = await w.user(0);
  // The link reaches the daemon through a relay that, once frozen, passes nothing either way.
  let frozen = false;
  const appSide: Socket[] = [];
  const relay = createServer((app) => {
    const daemon = connect(a.port, '127.0.0.1');
    appSide.push(app);
    app.on('data', (b) => void (frozen || daemon.write(b)));
    daemon.on('data', (b) => void (frozen || app.write(b)));
    app.on('close', () => daemon.destroy()).on('error', () => {});
    daemon.on('close', () => app.destroy()).on('error', () => {});
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  t.after(() => relay.close());
  const link = await HGXLink.connect({ port: (relay.address() as { port: number }).port, daemonPort: a.port, tokenFile: a.tokenFile, reconnect: false });
  const disconnected: string[] = [];
  link.on('disconnected', (why) => void disconnected.push(why));
  frozen = true;
  const pending = link.new(JsonObj, { n: 1 });
  const closedAt = Date.now();
  await link.close();
  await assert.rejects(pending, NotConnected);
  assert.ok(Date.now() - closedAt < 1000, `the call failed ${Date.now() - closedAt} ms after close(), not at once`);
  // Dropped after a short wait for the closing handshake, not after the socket's own 30 s.
  const gone = appSide.map((s) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve()))));
  await until(async () => (await Promise.race([Promise.all(gone).then(() => true), new Promise((r) => setTimeout(r, 50, false))])) as boolean, 'the link to drop its socket', 3000);
  assert.deepEqual(disconnected, []);
  await assert.rejects(link.status(), (e: Error) => e instanceof NotConnected && /The link is closed/.test(e.message));
});

test('with reconnect: false, calls after the daemon went say the link will not come back, not "reconnecting"', async (t) => {
  const w = await world();
  const a = await w.user(0);
  const link = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile, reconnect: false });
  t.after(() => link.close());
  await a.stop();
  await until(() => !link.connected, 'the link to notice');
  await assert.rejects(link.status(), (e: Error) => e instanceof NotConnected && /does not reconnect \(reconnect: false\): make a new one/.test(e.message));
});
