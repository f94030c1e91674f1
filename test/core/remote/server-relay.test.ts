// The server relays an update to its subscribers while the update's commit is still being
// written (PersistenceEngine's `applied` hook), and answers the publisher only once it is durable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Gobd } from '../../../src/core/golix/index.js';
import { RemoteClient } from '../../../src/core/remote/client.js';
import { PersistenceServer } from '../../../src/core/remote/server.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { sleep, waitFor } from '../../fixtures/remote/helpers.js';
import { HeldStore } from '../../fixtures/store/held-store.js';
import { vectors } from '../../fixtures/remote/setup.js';

const V = vectors();

test('subscribers get an update while its commit is written; the publisher is answered once it is durable', async (t) => {
  const store = new HeldStore();
  const { engine } = await RulesEngine.open(store);
  const server = new PersistenceServer({ engine, host: '127.0.0.1', port: 0 });
  const { port } = await server.listen();
  const clients = [0, 1].map(() => new RemoteClient({ host: '127.0.0.1', port, backoff: { initialMs: 10, maxMs: 100 } }));
  t.after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  });
  const [pub, sub] = clients as [RemoteClient, RemoteClient];
  for (const c of clients) c.start();
  await Promise.all(clients.map((c) => c.whenConnected(2000)));
  for (const gidc of V.gidcs) await pub.publish(gidc.raw);

  const frame = V.frames.find((f) => (f.obj as Gobd).counter === 0n)!;
  const target = (frame.obj as Gobd).targets[0]!;
  const container = V.geocs.find((g) => g.obj.ghid.equals(target))!;
  const pushed: Buffer[] = [];
  sub.on('notification', (_subscribed, raw) => void pushed.push(raw));
  await sub.subscribe(V.dynamic);

  const release = store.hold();
  let answered = 0;
  const publishes = [frame, container].map((o) => pub.publish(o.raw).then((stored) => (answered++, stored)));
  await waitFor(() => pushed.length === 1, 2000, 'the !! before the commit');
  assert.deepEqual(pushed[0], frame.raw);
  assert.deepEqual(await sub.get(target), container.raw, 'the subscriber can fetch the container at once');
  await sleep(20);
  assert.equal(answered, 0, 'the publisher waits for durability');

  release();
  assert.deepEqual(await Promise.all(publishes), [true, true]);
  await sleep(20);
  assert.equal(pushed.length, 1, 'relayed once, not again after the commit');
  assert.equal(server.metrics.notificationsSent, 1);
});
