// The hgx SDK against in-process daemons and a persistence server (fast: vector identities).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiId, DeadObject, HGXLink, JsonObj, LocallyImmutable, Obj, Unsharable, WrongClass, type GhidText } from '../../packages/hgx/src/index.js';
import { until, world } from '../fixtures/ipc/world.js';

test('share, follow updates and a delete between two users through the SDK', async (t) => {
  const w = await world();
  const a = await w.user(0);
  const b = await w.user(1);
  const la = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  const lb = await HGXLink.connect({ port: b.port, tokenFile: b.tokenFile });
  t.after(() => Promise.all([la.close(), lb.close()]));
  assert.equal(la.whoami, a.daemon.fingerprint.text);

  const shares: [GhidText, GhidText, string][] = [];
  let received: JsonObj | null = null;
  const updates: unknown[] = [];
  let deleted = false;
  await lb.registerShareHandler(ApiId.JSON, async (ghid, origin, api) => {
    shares.push([ghid, origin, api]);
    received = await lb.get(JsonObj, ghid);
    received.on('update', (o) => updates.push(o.state));
    received.on('delete', () => (deleted = true));
  });

  const obj = await la.new(JsonObj, { n: 0, text: 'héllo' });
  const outcomes: string[] = [];
  obj.on('shared', (r) => outcomes.push(`ok ${r}`));
  await obj.share(lb.whoami);
  await until(() => received !== null, 'B to open the share');
  assert.deepEqual(shares[0], [obj.ghid, la.whoami, ApiId.JSON]);
  assert.deepEqual(received!.state, { n: 0, text: 'héllo' });
  await until(() => outcomes.length === 1, 'A to hear the AK');
  assert.equal(outcomes[0], `ok ${lb.whoami}`);

  for (let n = 1; n <= 20; n++) {
    obj.state = { n };
    await obj.push();
  }
  await until(() => JSON.stringify(updates.at(-1)) === '{"n":20}', 'the last update at B');
  await assert.rejects(received!.push(), LocallyImmutable);

  await obj.delete();
  assert.equal(obj.isAlive, false);
  await assert.rejects(obj.push(), DeadObject);
  await until(() => deleted, 'B to be told of the delete');
});

test('private objects stay with their token; Unsharable; legroom is reported', async (t) => {
  const w = await world();
  const a = await w.user(0);
  const owner = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  const other = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  t.after(() => Promise.all([owner.close(), other.close()]));
  assert.equal(await owner.registerToken(), null);
  await other.registerToken();
  const secret = await owner.new(JsonObj, { pin: 1234 }, { private: true, legroom: 3 });
  assert.equal(secret.private, true);
  await assert.rejects(secret.share(a.daemon.fingerprint.text), Unsharable);
  await assert.rejects(other.get(JsonObj, secret.ghid), /private to another app/);
  const again = await owner.get(JsonObj, secret.ghid);
  assert.equal(again, secret);
  await owner.registerStartup(secret);
  const restarted = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  t.after(() => restarted.close());
  // The token is live on `owner`'s connection.
  await assert.rejects(restarted.registerToken(owner.token!), /in use/);
  await owner.close();
  await until(() => a.ipc.connectedApps() === 2, 'the daemon to notice');
  assert.equal(await restarted.registerToken(owner.token!), secret.ghid);
  const reread = await restarted.get(JsonObj, secret.ghid);
  assert.deepEqual(reread.state, { pin: 1234 });
  assert.equal(reread.legroom, 3);
  assert.equal(reread.private, true);

  // One cache across classes: another class is an error until recast, which kills the old instance.
  await assert.rejects(restarted.get(Obj, secret.ghid), WrongClass);
  const raw = restarted.recast(reread, Obj);
  assert.equal(reread.isAlive, false);
  assert.equal(new TextDecoder().decode(raw.state), '{"pin":1234}');
  assert.equal(await restarted.get(Obj, secret.ghid), raw);
  await assert.rejects(restarted.get(JsonObj, secret.ghid), WrongClass);
});
