// The SDK survives a daemon restart: it reconnects with back-off, restores its token, share
// handlers and open objects, and fails fast (NotConnected) while the daemon is away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiId, HGXLink, JsonObj, NotConnected, type GhidText } from '../../packages/hgx/src/index.js';
import { until, world } from '../fixtures/ipc/world.js';

test('after a daemon restart: handlers, tracked objects and the token are back; shares made meanwhile arrive', async (t) => {
  const w = await world();
  const a = await w.user(0);
  let b = await w.user(1);
  const la = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  const lb = await HGXLink.connect({ port: b.port, tokenFile: b.tokenFile });
  t.after(() => Promise.all([la.close(), lb.close()]));
  await lb.registerToken();
  const token = lb.token;
  const shared: GhidText[] = [];
  await lb.registerShareHandler(ApiId.JSON, (ghid) => void shared.push(ghid));

  const x = await la.new(JsonObj, { n: 0 });
  await x.share(lb.whoami);
  await until(() => shared.length === 1, 'the first share');
  const bx = await lb.get(JsonObj, x.ghid);
  const seen: unknown[] = [];
  bx.on('update', (o) => seen.push(o.state));

  const events: string[] = [];
  lb.on('disconnected', () => events.push('disconnected'));
  lb.on('reconnected', () => events.push('reconnected'));
  await b.stop();
  await until(() => events.includes('disconnected'), 'the link to notice');
  assert.equal(lb.connected, false);
  await assert.rejects(lb.new(JsonObj, 1), NotConnected);
  await assert.rejects(bx.sync(), NotConnected);

  // While B is away: an update to X and a new share.
  x.state = { n: 1 };
  await x.push();
  const y = await la.new(JsonObj, { y: true });
  await y.share(lb.whoami);

  b = await b.restart();
  await until(() => events.includes('reconnected'), 'the link to reconnect', 10_000);
  assert.equal(lb.token, token);
  assert.equal(b.ipc.apps()[0]?.token, token);
  await until(() => shared.includes(y.ghid), 'the share made while B was away', 10_000);
  // X was reopened on reconnect: the missed update shows as an update, and later ones arrive.
  await until(() => seen.some((s) => JSON.stringify(s) === '{"n":1}'), 'the missed update');
  x.state = { n: 2 };
  await x.push();
  await until(() => JSON.stringify(seen.at(-1)) === '{"n":2}', 'a later update');
});
