// Registration over the server's HTTP listener, against a real server: challenge, signed link,
// the page by policy (open, approval, invite), forged and replayed links refused, the status
// endpoint, the webhook with its shared secret, and the counts in /metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../../../src/core/assembly/server.js';
import { registrationLink, remoteAccount, RegistrationUnavailable } from '../../../src/core/registration/client.js';
import { signChallenge } from '../../../src/core/registration/proof.js';
import { RemoteClient } from '../../../src/core/remote/client.js';
import { metric, serverHome, type TestContext } from '../../fixtures/server/helpers.js';
import { v16Identity, v16Objects } from '../../fixtures/vectors.js';

const gidcs = v16Objects().filter((o) => o.obj.type === 'GIDC');
const SECRET = 'a-webhook-secret-of-at-least-32-characters';

async function serve(t: TestContext, keys: Record<string, string | number>): Promise<{ running: RunningServer; base: string; remote: { host: string; port: number; tls: boolean } }> {
  const home = await serverHome(keys);
  const running = await startServer({ ...home.config, server: { ...home.config.server, port: 0 } });
  t.after(() => running.close());
  // The server learns the identities the way a daemon tells it: by their GIDCs.
  const c = new RemoteClient({ host: '127.0.0.1', port: running.address.port });
  c.start();
  await c.whenConnected(5000);
  for (const g of gidcs) await c.publish(g.raw);
  await c.close();
  return { running, base: `http://127.0.0.1:${running.address.port}`, remote: { host: '127.0.0.1', port: running.address.port, tls: false } };
}

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, text: await res.text(), headers: res.headers };
};

test('open: a signed link registers its own fingerprint once; the same link again is refused', async (t) => {
  const { running, remote } = await serve(t, { registration: 'open' });
  const me = v16Identity(0);
  const link = await registrationLink(remote, me);
  assert.deepEqual(await remoteAccount(remote, me.ghid.text), { policy: 'open', status: 'unregistered', usedBytes: 0, freeBytes: 10 * 1024 * 1024 });
  const first = await get(link);
  assert.equal(first.status, 200);
  assert.match(first.text, /data-result="ok"/);
  assert.ok(first.text.includes(me.ghid.text));
  assert.match(first.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  assert.equal(running.accounts!.get(me.ghid.text)?.status, 'registered');
  const replay = await get(link);
  assert.equal(replay.status, 403);
  assert.match(replay.text, /expired or already used/);
  assert.equal(running.registration!.refusalsOf('challenge'), 1);
  assert.equal((await remoteAccount(remote, me.ghid.text)).status, 'registered');
});

test('forged: a challenge the server never issued, or a signature by another identity, registers nothing', async (t) => {
  const { running, base, remote } = await serve(t, { registration: 'open' });
  const victim = v16Identity(1);
  const attacker = v16Identity(2);
  const { challenge } = (await (await fetch(`${base}/register/challenge`)).json()) as { challenge: string };
  // The attacker signs the victim's fingerprint with their own key.
  const sig = (await attacker.sign(Buffer.from(`hypergolix registration v1\n${challenge}\n${victim.ghid.text}`))).toString('base64url');
  const forged = await get(`${base}/register?fingerprint=${victim.ghid.text}&challenge=${challenge}&signature=${sig}`);
  assert.equal(forged.status, 403);
  assert.match(forged.text, /not signed by the account/);
  // A link signed by the attacker for themselves, moved onto the victim's fingerprint.
  const own = new URL(await registrationLink(remote, attacker));
  own.searchParams.set('fingerprint', victim.ghid.text);
  assert.equal((await get(own.href)).status, 403);
  // A made-up challenge, properly signed.
  const invented = 'A'.repeat(43);
  const made = await get(`${base}/register?fingerprint=${victim.ghid.text}&challenge=${invented}&signature=${await signChallenge(victim, invented)}`);
  assert.equal(made.status, 403);
  assert.equal(running.accounts!.get(victim.ghid.text), null);
  assert.equal(running.registration!.refusalsOf('signature'), 2);
  assert.equal((await get(`${base}/register`)).status, 400, 'no link at all');
});

test('approval: the page says waiting; the operator or the webhook decides; /metrics counts accounts', async (t) => {
  const { running, base, remote } = await serve(t, { registration: 'approval', registration_webhook_secret: SECRET });
  const me = v16Identity(0);
  const page = await get(await registrationLink(remote, me));
  assert.match(page.text, /data-result="waiting"/);
  assert.equal(running.accounts!.get(me.ghid.text)?.status, 'pending');

  const hook = (body: unknown, secret = SECRET) =>
    fetch(`${base}/accounts/webhook`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal((await hook({ action: 'approve', fingerprint: me.ghid.text }, 'wrong-secret-wrong-secret-wrong-secret')).status, 401);
  assert.equal(running.accounts!.get(me.ghid.text)?.status, 'pending');
  assert.equal((await hook({ action: 'bless', fingerprint: me.ghid.text })).status, 400);
  const ok = await hook({ action: 'approve', fingerprint: me.ghid.text });
  assert.deepEqual(await ok.json(), { fingerprint: me.ghid.text, status: 'registered' });
  assert.equal(running.accounts!.get(me.ghid.text)?.via, 'webhook');

  const other = v16Identity(1);
  await get(await registrationLink(remote, other));
  const metrics = (await get(`${base}/metrics`)).text;
  assert.equal(metric(metrics, 'hypergolix_accounts{status="registered"}'), 1);
  assert.equal(metric(metrics, 'hypergolix_accounts{status="pending"}'), 1);
  assert.equal(metric(metrics, 'hypergolix_registration_refusals_total{reason="webhook_auth"}'), 1);

  await hook({ action: 'revoke', fingerprint: me.ghid.text });
  const again = await get(await registrationLink(remote, me));
  assert.equal(again.status, 403, 'a revoked account cannot register itself again');
  assert.match(again.text, /revoked/);
});

test('invite: the page asks for a code; a wrong one keeps the link usable, a good one registers', async (t) => {
  const { running, base, remote } = await serve(t, { registration: 'invite' });
  const me = v16Identity(0);
  const code = await running.accounts!.createInvite(1, null);
  const link = new URL(await registrationLink(remote, me));
  const form = await get(link.href);
  assert.match(form.text, /data-result="form"/);
  assert.match(form.text, /name="code"/);
  const post = (c: string) =>
    fetch(`${base}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...Object.fromEntries(link.searchParams), code: c }).toString(),
    }).then(async (r) => ({ status: r.status, text: await r.text() }));
  const wrong = await post('not-the-code');
  assert.equal(wrong.status, 403);
  assert.match(wrong.text, /not valid/);
  const good = await post(code);
  assert.equal(good.status, 200);
  assert.match(good.text, /data-result="ok"/);
  assert.equal(running.accounts!.get(me.ghid.text)?.via, 'invite');
  assert.equal((await post(code)).status, 403, 'the link is used up');
});

test('a server with registration off offers none', async (t) => {
  const { base, remote } = await serve(t, {});
  assert.equal((await fetch(`${base}/register/challenge`)).status, 404);
  await assert.rejects(registrationLink(remote, v16Identity(0)), RegistrationUnavailable);
});

test('a body over 8 KiB is answered 413 (a page for the form, JSON for the webhook), not cut off', async (t) => {
  const { base } = await serve(t, { registration: 'invite', registration_webhook_secret: SECRET });
  const form = await fetch(`${base}/register`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'code=' + 'x'.repeat(20_000) });
  assert.equal(form.status, 413);
  assert.equal(form.headers.get('connection'), 'close');
  assert.match(await form.text(), /data-result="refused"[\s\S]*over 8192 bytes/);
  const hook = await fetch(`${base}/accounts/webhook`, { method: 'POST', headers: { authorization: `Bearer ${SECRET}` }, body: JSON.stringify({ action: 'approve', pad: 'x'.repeat(20_000) }) });
  assert.equal(hook.status, 413);
  assert.match(((await hook.json()) as { message: string }).message, /over 8192 bytes/);
  assert.equal((await fetch(`${base}/register/challenge`)).status, 200, 'the server still answers');
});
