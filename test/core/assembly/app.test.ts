// startApp({ ipc }) from a config: the key file beside hypergolix.yml, the configured port, SDK
// discovery through the home, stopApp releasing the port, a busy port failing the start cleanly.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REFERENCE_KDF } from '../../../src/core/account/kdf.js';
import { loadConfig, updateConfig } from '../../../src/core/config/index.js';
import { startApp, stopApp } from '../../../src/core/assembly/app.js';
import { HGXLink, JsonObj } from '../../../packages/hgx/src/index.js';
import { logger, tempHome } from '../../fixtures/ipc/world.js';
import { freePort } from '../../fixtures/free-port.js';


async function home(ipcPort: number) {
  const dir = await tempHome('hgx-ipc-app-');
  const env = { ...process.env, HYPERGOLIX_HOME: dir };
  const loaded = await loadConfig({ root: dir, create: true, env, cwd: dir });
  return { dir, loaded: await updateConfig(loaded, { process: { ipc_port: ipcPort } }) };
}

test('startApp with ipc serves apps on process.ipc_port with the key in <home>/ipc-token; stopApp releases it', async () => {
  const port = await freePort();
  const h = await home(port);
  const app = await startApp(h.loaded, { password: 'pw pw pw pw' }, { logger, kdf: { ...REFERENCE_KDF, n: 1024 }, ipc: true });
  try {
    assert.equal(app.ipc?.listenAddress?.port, port);
    assert.equal(app.ipc?.tokenFile, join(h.dir, 'ipc-token'));
    if (process.platform !== 'win32') assert.equal((await stat(join(h.dir, 'ipc-token'))).mode & 0o777, 0o600);
    const saved = process.env.HYPERGOLIX_HOME;
    process.env.HYPERGOLIX_HOME = h.dir;
    let link: HGXLink;
    try {
      link = await HGXLink.connect({ port });
    } finally {
      if (saved === undefined) delete process.env.HYPERGOLIX_HOME;
      else process.env.HYPERGOLIX_HOME = saved;
    }
    assert.equal(link.whoami, app.daemon.fingerprint.text);
    assert.equal(app.ipc!.connectedApps(), 1);
    const obj = await link.new(JsonObj, { ok: true });
    assert.deepEqual((await link.get(JsonObj, obj.ghid)).state, { ok: true });
    await link.close();
  } finally {
    await stopApp(app);
  }
  // The port is free again.
  await new Promise<void>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
  });
});

/** A port some other program holds for the rest of the test. */
async function busyPort(t: TestContext): Promise<number> {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  t.after(() => busy.close());
  return (busy.address() as { port: number }).port;
}

test('startApp without ipc has none; a busy IPC port fails the start with a clear error and leaves the cache usable', async (t) => {
  const port = await busyPort(t);
  const h = await home(port);
  const opts = { logger, kdf: { ...REFERENCE_KDF, n: 1024 } };
  const plain = await startApp(h.loaded, { password: 'pw pw pw pw' }, opts);
  assert.equal(plain.ipc, null);
  await stopApp(plain);
  await assert.rejects(startApp(plain.loaded, { password: 'pw pw pw pw' }, { ...opts, ipc: true }), /already in use/);
  // The port is checked before the daemon starts, so nothing holds the cache: it opens again.
  const again = await startApp(plain.loaded, { password: 'pw pw pw pw' }, opts);
  await stopApp(again);
});

test('a first run on a busy IPC port fails before the account is made: no keys, nothing written', async (t) => {
  const port = await busyPort(t);
  const h = await home(port);
  const before = await readFile(h.loaded.path, 'utf8');
  let progressed = false;
  await assert.rejects(
    startApp(h.loaded, { password: 'pw pw pw pw' }, { logger, kdf: { ...REFERENCE_KDF, n: 1024 }, ipc: true, onProgress: () => (progressed = true) }),
    new RegExp(`Cannot listen for apps on 127\\.0\\.0\\.1:${port}: the port is already in use`),
  );
  assert.equal(progressed, false, 'no account step began');
  assert.equal(await readFile(h.loaded.path, 'utf8'), before, 'hypergolix.yml names no account');
  assert.equal(existsSync(h.loaded.config.process.ghidcache), false, 'no cache was made');
});
