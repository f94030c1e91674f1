// Accounts made by the Python Hypergolix, as their users would bring them: real `hypergolix
// start app` processes, the reference's own server cache behind a real persistence server, the
// hgx SDK reading the app objects back, a share with a contact, and a second computer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, updateConfig } from '../../src/core/config/index.js';
import { fromB64url } from '../../src/core/golix/index.js';
import { PersistenceServer } from '../../src/core/remote/server.js';
import { HGXLink, Obj } from '../../packages/hgx/src/index.js';
import { engineOf, REFERENCE_ACCOUNTS, referenceAccounts, SERVER_CACHE } from '../fixtures/legacy.js';
import { appHome, startApp, type AppHome } from '../fixtures/ipc/processes.js';
import { until } from '../fixtures/wait.js';

const b64 = (text: string) => Buffer.from(fromB64url(text)).toString('base64url');

async function referenceHome(name: 'alice' | 'bob', serverPort: number, copyCache: boolean): Promise<AppHome> {
  const e = referenceAccounts().accounts[name];
  const h = await appHome(name, serverPort);
  const loaded = await loadConfig({ root: join(h.dir, 'hypergolix.yml') });
  await updateConfig(loaded, { user: { user_id: e.user_id, fingerprint: e.fingerprint } });
  if (copyCache) cpSync(join(REFERENCE_ACCOUNTS, e.ghidcache), loaded.config.process.ghidcache, { recursive: true });
  return h;
}

/** Every app object the reference made reads back through the SDK with its api_id and final state. */
async function expectObjects(link: HGXLink, name: 'alice' | 'bob'): Promise<void> {
  const e = referenceAccounts().accounts[name];
  for (const want of [...e.app_objects, ...e.received_shares]) {
    const obj = await link.get(Obj, want.ghid);
    assert.equal(b64(obj.apiId), b64(want.api_id), `${name} ${want.label ?? 'received share'}: api_id`);
    assert.equal(Buffer.from(obj.state).toString('base64url'), b64(want.state), `${name} ${want.label ?? 'received share'}: state`);
  }
}

test('Python-made accounts open through `hypergolix start app`, read back through the SDK, share with a contact, and sign in elsewhere', { timeout: 300_000 }, async (t) => {
  const { engine } = await engineOf(SERVER_CACHE);
  const server = new PersistenceServer({ engine, port: 0, host: '127.0.0.1' });
  const { port } = await server.listen();
  t.after(() => server.close());
  const alice = referenceAccounts().accounts.alice;
  const bob = referenceAccounts().accounts.bob;

  // alice from a copied ghidcache, bob from the server alone.
  const homeA = await referenceHome('alice', port, true);
  const homeB = await referenceHome('bob', port, false);
  const procA = await startApp(homeA, alice.password);
  t.after(() => procA.stop());
  const procB = await startApp(homeB, bob.password);
  t.after(() => procB.stop());
  assert.match(procA.output(), /Brought over the account made by the Python Hypergolix 0\.1 \(user ID [^)]+\) into this version's format/);
  assert.match(procB.output(), /Brought over the account made by the Python Hypergolix 0\.1/);
  assert.equal(procA.fingerprint, alice.fingerprint, 'the identity is kept');

  const la = await HGXLink.connect({ port: homeA.ipcPort, tokenFile: homeA.tokenFile });
  const lb = await HGXLink.connect({ port: homeB.ipcPort, tokenFile: homeB.tokenFile });
  t.after(() => Promise.all([la.close(), lb.close()]));
  assert.equal(la.whoami, alice.fingerprint);
  await expectObjects(la, 'alice');
  await expectObjects(lb, 'bob');

  // alice shares an object the reference made with bob, a contact; bob's app opens it.
  const made = alice.app_objects.find((o) => o.label === 'updated5')!;
  const received = new Map<string, Obj>();
  await lb.registerToken();
  await lb.registerShareHandler(made.api_id, async (ghid) => void received.set(ghid, await lb.get(Obj, ghid)));
  const obj = await la.get(Obj, made.ghid);
  await obj.share(lb.whoami);
  const atB = await until(() => received.get(obj.ghid), "bob's app to open alice's share", 30_000);
  assert.equal(Buffer.from(atB.state).toString('base64url'), b64(made.state));

  // A second computer signs into the brought-over account with the old user ID and the password.
  await until(async () => (await procA.stop()) !== undefined, 'alice stopped');
  const homeA2 = await referenceHome('alice', port, false);
  const procA2 = await startApp(homeA2, alice.password);
  t.after(() => procA2.stop());
  assert.doesNotMatch(procA2.output(), /Brought over/, 'found, not brought over again');
  const la2 = await HGXLink.connect({ port: homeA2.ipcPort, tokenFile: homeA2.tokenFile });
  t.after(() => la2.close());
  await expectObjects(la2, 'alice');
});
