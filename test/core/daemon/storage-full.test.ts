// A full disk is a state for the daemon too: a full local cache gives apps a typed StorageFull
// through the SDK (and changes nothing); a remote whose storage is full (NK 0010) is kept as that
// remote's state, its objects stay queued in the outbox and are sent once it has room again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HGXLink, IpcError, JsonObj, StorageFull } from '../../../packages/hgx/src/index.js';
import { FillableStore } from '../../fixtures/store/fillable-store.js';
import { until, world } from '../../fixtures/ipc/world.js';

test('an app writing while the local cache is full gets StorageFull through the SDK; the next write after room returns works', async (t) => {
  const local = new FillableStore('/home/user/.hypergolix/ghidcache');
  const w = await world();
  const a = await w.user(0, { offline: true, store: local });
  const app = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  t.after(() => app.close());
  const before = a.daemon.engine.stats().objects;

  local.fill();
  const err = await app.new(JsonObj, { v: 1 }).then(
    () => assert.fail('a write onto a full cache succeeded'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof StorageFull, `got ${String(err)}`);
  assert.ok(err instanceof IpcError);
  assert.equal(err.code, 0x0010);
  assert.equal(err.codeName, 'StorageFull');
  assert.equal(err.reason, 'storage_full');
  assert.match(err.message, /storage is full/);
  assert.equal(a.daemon.engine.stats().objects, before, 'nothing was stored');

  local.free();
  const obj = await app.new(JsonObj, { v: 2 });
  assert.deepEqual(obj.state, { v: 2 });
});

test('a write the full local cache refuses is never sent to a remote: its outbox takes it back', async (t) => {
  const local = new FillableStore('/home/user/.hypergolix/ghidcache');
  const w = await world();
  const a = await w.user(0, { store: local });
  const app = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  t.after(() => app.close());
  await until(() => a.daemon.network.status()[0]!.pending === 0, 'the start-up publishes sent');
  const storedOnServer = () => w.serverEngine.stats().objects;
  const before = storedOnServer();

  local.fill();
  const err = await app.new(JsonObj, { never: 'sent' }).then(
    () => assert.fail('a write onto a full cache succeeded'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof StorageFull, `got ${String(err)}`);
  assert.equal(a.daemon.network.status()[0]!.pending, 0, 'nothing left queued for the remote');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(storedOnServer(), before, 'the server never got it');

  local.free();
  await app.new(JsonObj, { sent: true });
  await until(() => storedOnServer() > before, 'the next write reaches the server');
  await until(() => a.daemon.network.status()[0]!.pending === 0, 'and the outbox drains');
});

test("a remote's NK 0010 is that remote's state: objects stay in its outbox and go out once it has room", async (t) => {
  const serverStore = new FillableStore('/srv/ghidcache');
  const w = await world({ serverStore });
  const a = await w.user(0);
  const app = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  t.after(() => app.close());
  const states: string[] = [];
  a.daemon.network.on('remoteStorage', (_label, storage) => void states.push(storage));

  serverStore.fill();
  const obj = await app.new(JsonObj, { kept: true });
  assert.deepEqual(obj.state, { kept: true }, 'the local write is acknowledged');
  await until(() => a.daemon.network.status()[0]!.storage === 'storage_full', 'the remote reported full');
  assert.ok(a.daemon.network.status()[0]!.pending > 0, 'still queued in the outbox');
  assert.equal(a.daemon.network.status()[0]!.connected, true, 'and still connected: reads go on');

  serverStore.free();
  await until(() => a.daemon.network.status()[0]!.pending === 0, 'the outbox drained after room returned', 15_000);
  assert.equal(a.daemon.network.status()[0]!.storage, 'ok');
  assert.deepEqual(states, ['storage_full', 'ok']);
  assert.equal(w.server.metrics.refusalsOf('storage_full') > 0, true);
});
