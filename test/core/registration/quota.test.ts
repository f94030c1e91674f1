// The free tier on a real server: an unregistered identity uploads up to
// server.unregistered_upload_bytes and is refused beyond it with NK 0011 (used and limit as
// fields); registering lifts the limit at the next upload, revoking brings it back; reads are
// never limited; with registration off nothing changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HypergolixError, RegistrationRequired } from '../../../src/core/golix/index.js';
import { RemoteClient } from '../../../src/core/remote/client.js';
import { startServer } from '../../../src/core/assembly/server.js';
import { serverHome, type ServerHome, type TestContext } from '../../fixtures/server/helpers.js';
import { signedPairs } from '../../fixtures/server/objects.js';
import { v16Identity, v16Objects } from '../../fixtures/vectors.js';
import type { RulesEngine } from '../../../src/core/rules/rules-engine.js';

const gidcs = v16Objects().filter((o) => o.obj.type === 'GIDC');
const FREE = 4096;

function onPort0(home: ServerHome) {
  return { ...home.config, server: { ...home.config.server, port: 0 } };
}

async function connect(port: number, t: TestContext): Promise<RemoteClient> {
  const c = new RemoteClient({ host: '127.0.0.1', port, backoff: { initialMs: 10, maxMs: 50 } });
  t.after(() => c.close());
  c.start();
  await c.whenConnected(5000);
  for (const g of gidcs) await c.publish(g.raw);
  return c;
}

const refusal = (p: Promise<unknown>) => p.then(() => null, (err: unknown) => err as HypergolixError);

test('an unregistered identity uploads up to the free limit, then NK 0011; registering lifts it, revoking restores it; reads stay open', async (t) => {
  const home = await serverHome({ registration: 'open', unregistered_upload_bytes: FREE });
  const running = await startServer(onPort0(home));
  t.after(() => running.close());
  const c = await connect(running.address.port, t);
  const me = v16Identity(0);
  const pairs = await signedPairs(me, 12, { size: 200 });

  let used = 0;
  let next = 0;
  for (; next < pairs.length; next++) {
    const p = pairs[next]!;
    if (used + p.binding.length + p.container.length > FREE) break;
    assert.equal(await c.publish(p.binding), true);
    assert.equal(await c.publish(p.container), true);
    used += p.binding.length + p.container.length;
  }
  assert.ok(next >= 1 && next < pairs.length, `${next} pairs fit in the free tier`);
  let over = pairs[next]!;
  const fits = used + over.binding.length <= FREE;
  if (fits) {
    assert.equal(await c.publish(over.binding), true);
    used += over.binding.length;
  }
  const err = await refusal(c.publish(fits ? over.container : over.binding));
  assert.ok(err instanceof RegistrationRequired, String(err));
  assert.equal(err.code, 0x0011);
  assert.equal(err.used, used);
  assert.equal(err.limit, FREE);
  assert.equal(err.reason, 'unregistered');
  assert.deepEqual((running.engine as RulesEngine).usageOf(me.ghid), { bytes: used, objects: 2 * next + (fits ? 1 : 0) });

  // Reads are never limited.
  const stored = v16Objects().find((o) => o.obj.type === 'GIDC')!;
  assert.deepEqual(await c.get(stored.obj.ghid), stored.raw);

  await running.accounts!.register(me.ghid.text, 'operator');
  over = pairs[next + 1]!;
  assert.equal(await c.publish(over.binding), true, 'registered: the limit is lifted at once');
  assert.equal(await c.publish(over.container), true);

  await running.accounts!.revoke(me.ghid.text);
  const again = await refusal(c.publish(pairs[next + 2]!.binding));
  assert.ok(again instanceof RegistrationRequired, 'revoked: back to the free tier');
  // Said apart from never registered: registering again is refused, only the operator lifts it.
  assert.equal(again.reason, 'revoked');
  assert.match(again.message, /^Registration revoked: this server's operator revoked the registration of identity .+; ask the operator to approve it again$/);
  assert.equal(again.limit, FREE);

  await running.accounts!.register(me.ghid.text, 'operator');
  assert.equal(await c.publish(pairs[next + 2]!.binding), true, 'approved again: lifted at once');
});

test('registered accounts get the quota keys; with registration off everyone is alike (no free tier)', async (t) => {
  const home = await serverHome({ registration: 'approval', unregistered_upload_bytes: 0, quota_bytes_per_identity: '3 KiB' });
  const running = await startServer(onPort0(home));
  t.after(() => running.close());
  const c = await connect(running.address.port, t);
  const me = v16Identity(1);
  const pairs = await signedPairs(me, 6, { size: 200 });
  const first = await refusal(c.publish(pairs[0]!.binding));
  assert.ok(first instanceof RegistrationRequired, 'a zero free tier: nothing without registering');
  assert.equal(first.used, 0);
  await running.accounts!.request(me.ghid.text);
  assert.ok((await refusal(c.publish(pairs[0]!.binding))) instanceof RegistrationRequired, 'pending is not registered');
  await running.accounts!.register(me.ghid.text, 'operator');
  let refused: HypergolixError | null = null;
  for (const p of pairs) {
    refused = (await refusal(c.publish(p.binding))) ?? (await refusal(c.publish(p.container)));
    if (refused) break;
  }
  assert.ok(refused && !(refused instanceof RegistrationRequired) && refused.code === 0x000a, `the account's quota applies: ${String(refused)}`);

  const off = await serverHome({ unregistered_upload_bytes: 0 });
  const plain = await startServer(onPort0(off));
  t.after(() => plain.close());
  assert.equal(plain.accounts, null);
  const d = await connect(plain.address.port, t);
  assert.equal(await d.publish(pairs[0]!.binding), true);
});
