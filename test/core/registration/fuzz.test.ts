// Seeded damage at the registration pages and the webhook, on a real server: mutated links,
// forms, status queries and webhook bodies (with the right secret, a wrong one, or none). Each
// must be answered with a status below 500, and afterwards a good link must still register.
// HGX_FUZZ_REQUESTS and HGX_FUZZ_SEED run other campaigns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../../src/core/assembly/server.js';
import { registrationLink } from '../../../src/core/registration/client.js';
import { RemoteClient } from '../../../src/core/remote/client.js';
import { mutate, mutateJson, pick, rng } from '../../fixtures/mutate.js';
import { serverHome } from '../../fixtures/server/helpers.js';
import { v16Identity, v16Objects } from '../../fixtures/vectors.js';

const REQUESTS = Number(process.env.HGX_FUZZ_REQUESTS ?? 600);
const SEED = Number(process.env.HGX_FUZZ_SEED ?? 0x4e6);
const SECRET = 'a-webhook-secret-of-at-least-32-characters';

test(`${REQUESTS} damaged registration requests: each answered below 500, and a good link still registers`, async (t) => {
  const home = await serverHome({ registration: 'invite', registration_webhook_secret: SECRET });
  const running = await startServer({ ...home.config, server: { ...home.config.server, port: 0 } });
  t.after(() => running.close());
  const c = new RemoteClient({ host: '127.0.0.1', port: running.address.port });
  c.start();
  await c.whenConnected(5000);
  for (const g of v16Objects().filter((o) => o.obj.type === 'GIDC')) await c.publish(g.raw);
  await c.close();
  const base = `http://127.0.0.1:${running.address.port}`;
  const remote = { host: '127.0.0.1', port: running.address.port, tls: false };
  const links = [new URL(await registrationLink(remote, v16Identity(0))), new URL(await registrationLink(remote, v16Identity(1)))];
  const code = await running.accounts!.createInvite(1000, null);

  const rand = rng(SEED);
  /** A query or form: the good one, with one value damaged, one field gone, or one added. */
  const damagedParams = (good: URLSearchParams): string => {
    const p = new URLSearchParams(good);
    const keys = [...p.keys()];
    const key = keys[pick(rand, keys.length)]!;
    switch (pick(rand, 4)) {
      case 0:
        p.set(key, mutate(Buffer.from(p.get(key)!, 'utf8'), rand).toString('latin1'));
        break;
      case 1:
        p.delete(key);
        break;
      case 2:
        p.append(key, 'again');
        break;
      default:
        return mutate(Buffer.from(p.toString(), 'utf8'), rand).toString('latin1');
    }
    return p.toString();
  };
  const statuses: Record<string, number> = {};
  for (let i = 0; i < REQUESTS; i++) {
    const link = links[pick(rand, links.length)]!;
    const form = new URLSearchParams({ ...Object.fromEntries(link.searchParams), code });
    const which = pick(rand, 4);
    let route: string;
    let res: Response;
    if (which === 0) {
      route = 'GET /register';
      res = await fetch(`${base}/register?${damagedParams(link.searchParams)}`);
    } else if (which === 1) {
      route = 'POST /register';
      const type = ['application/x-www-form-urlencoded', 'application/json', 'text/plain', ''][pick(rand, 4)]!;
      const body = rand() < 0.05 ? 'x'.repeat(20_000) : damagedParams(form);
      res = await fetch(`${base}/register`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body });
    } else if (which === 2) {
      route = 'GET /register/status';
      res = await fetch(`${base}/register/status?${damagedParams(new URLSearchParams({ fingerprint: v16Identity(0).ghid.text }))}`);
    } else {
      route = 'POST /accounts/webhook';
      const secret = [SECRET, SECRET.slice(1), '', 'x'.repeat(5000)][pick(rand, 4)]!;
      const body = mutateJson({ action: ['approve', 'revoke'][pick(rand, 2)]!, fingerprint: v16Identity(1).ghid.text }, rand);
      const sent = rand() < 0.5 ? body : mutate(body, rand);
      res = await fetch(`${base}/accounts/webhook`, { method: 'POST', headers: secret ? { authorization: `Bearer ${secret}` } : {}, body: sent });
    }
    await res.arrayBuffer();
    assert.ok(res.status < 500, `request ${i} (${route}): status ${res.status}`);
    statuses[`${route} ${res.status}`] = (statuses[`${route} ${res.status}`] ?? 0) + 1;
  }
  t.diagnostic(`seed ${SEED}: ${Object.entries(statuses).map(([k, n]) => `${k}: ${n}`).join(', ')}`);

  // The server still registers a good link (for the one identity nothing above touched).
  const me = v16Identity(2);
  const fresh = new URL(await registrationLink(remote, me));
  const done = await fetch(`${base}/register`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...Object.fromEntries(fresh.searchParams), code }).toString() });
  assert.equal(done.status, 200, await done.text());
  assert.equal(running.accounts!.get(me.ghid.text)?.status, 'registered');
});
