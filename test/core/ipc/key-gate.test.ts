// The daemon's side of the IPC handshakes (key-gate.ts) against a real daemon's IPC server: the
// key proof AC/AP admits a connection without the key ever being sent, the daemon's proof names
// its own port, and every way of getting the exchange wrong is refused and closes the connection;
// AU (the key itself) is still admitted for apps of older SDKs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { AUTH_NONCE_BYTES, decodeAuthChallengeAnswer, proofMessage } from '../../../src/wire/index.js';
import { RawClient, world, type User } from '../../fixtures/ipc/world.js';

const nakOf = (err: unknown) => (err as { nak: { code: number; message: string } }).nak;
const hmac = (key: Uint8Array, m: Uint8Array) => createHmac('sha256', key).update(m).digest();

/** Sends AC with a fresh nonce; returns the nonces and the daemon's answer. */
async function challenge(c: RawClient) {
  const app = randomBytes(AUTH_NONCE_BYTES);
  const answer = decodeAuthChallengeAnswer(await c.ok('AC', app));
  return { app, daemon: answer.daemonNonce, daemonProof: answer.daemonProof };
}

const appProof = (u: User, n: { app: Uint8Array; daemon: Uint8Array }, port = u.port) => hmac(u.key, proofMessage('app', port, n.app, n.daemon));

test('AC then AP admits the connection; the daemon proved first, over its own port, and nothing carried the key', async () => {
  const w = await world();
  const a = await w.user(0);
  const c = await RawClient.open(a.port);
  const n = await challenge(c);
  assert.deepEqual(Buffer.from(n.daemonProof), hmac(a.key, proofMessage('daemon', a.port, n.app, n.daemon)), "the daemon's proof is over its port and both nonces");
  assert.equal(a.ipc.connectedApps(), 0, 'not admitted by AC alone');
  await assert.rejects(c.ok('?I'), (e) => /Authenticate first: prove the key \(AC, then AP\)/.test(nakOf(e).message));
  assert.deepEqual(await c.ok('AP', appProof(a, n)), Buffer.of(1));
  assert.deepEqual(await c.ok('?I'), a.daemon.fingerprint.bytes);
  assert.equal(a.ipc.connectedApps(), 1);
  assert.deepEqual(a.ipc.apps().map((x) => [x.authenticated, x.legacy, x.sendsKey]), [[true, false, false]]);
  c.close();
});

test('fresh daemon nonces: two connections never get the same challenge', async () => {
  const w = await world();
  const a = await w.user(0);
  const seen = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const c = await RawClient.open(a.port);
    seen.add(Buffer.from((await challenge(c)).daemon).toString('hex'));
    c.close();
  }
  assert.equal(seen.size, 5);
});

test('a wrong proof, a proof for another port, one replayed from another connection, AP before AC, a second AC: each refused (FFFF), the connection closed 1008, nobody admitted', async () => {
  const w = await world();
  const a = await w.user(0);
  const earlier = await RawClient.open(a.port);
  const earlierNonces = await challenge(earlier);
  const cases: [string, (c: RawClient) => Promise<unknown>][] = [
    ['a proof made with another key', async (c) => {
      const n = await challenge(c);
      return c.ok('AP', hmac(randomBytes(32), proofMessage('app', a.port, n.app, n.daemon)));
    }],
    ['a proof for another port', async (c) => c.ok('AP', appProof(a, await challenge(c), a.port + 1))],
    ["the daemon's own proof sent back", async (c) => c.ok('AP', (await challenge(c)).daemonProof)],
    ['a proof made for another connection', async (c) => (await challenge(c), c.ok('AP', appProof(a, earlierNonces)))],
    ['AP before AC', async (c) => c.ok('AP', randomBytes(32))],
    ['a second AC', async (c) => (await challenge(c), c.ok('AC', randomBytes(32)))],
  ];
  for (const [what, attempt] of cases) {
    const c = await RawClient.open(a.port);
    const closed = c.closed();
    await assert.rejects(attempt(c), (e) => nakOf(e).code === 0xffff && /^Authentication failed: /.test(nakOf(e).message), what);
    assert.equal(await closed, 1008, what);
  }
  assert.equal(a.ipc.connectedApps(), 0);
  // The earlier connection's exchange still stands: its own proof admits it.
  assert.deepEqual(await earlier.ok('AP', appProof(a, earlierNonces)), Buffer.of(1));
  assert.equal(a.ipc.connectedApps(), 1);
});

test('a proof is good once: after a wrong one, even the right one is refused', async () => {
  const w = await world();
  const a = await w.user(0);
  const c = await RawClient.open(a.port);
  const n = await challenge(c);
  await assert.rejects(c.ok('AP', randomBytes(32)), (e) => nakOf(e).code === 0xffff);
  await assert.rejects(c.ok('AP', appProof(a, n)), () => true);
  assert.equal(a.ipc.connectedApps(), 0);
});

test('bodies of the wrong size are refused as malformed, and admit nothing', async () => {
  const w = await world();
  const a = await w.user(0);
  const c = await RawClient.open(a.port);
  await assert.rejects(c.ok('AC', randomBytes(31)), (e) => /AC body \(the app nonce\) is 32 bytes, got 31/.test(nakOf(e).message));
  const d = await RawClient.open(a.port);
  await challenge(d);
  await assert.rejects(d.ok('AP', randomBytes(33)), (e) => /AP body \(the app proof\) is 32 bytes, got 33/.test(nakOf(e).message));
  assert.equal(a.ipc.connectedApps(), 0);
});

test('AU, the key itself, still admits apps of older SDKs; a wrong one is refused and closed', async () => {
  const w = await world();
  const a = await w.user(0);
  const old = await RawClient.open(a.port);
  assert.deepEqual(await old.ok('AU', a.key), Buffer.of(1));
  assert.deepEqual(await old.ok('?I'), a.daemon.fingerprint.bytes);
  assert.deepEqual(a.ipc.apps().map((x) => [x.authenticated, x.sendsKey]), [[true, true]], 'listed as sending its key, for the status page');
  const wrong = await RawClient.open(a.port);
  const closed = wrong.closed();
  await assert.rejects(wrong.ok('AU', randomBytes(32)), (e) => nakOf(e).code === 0xffff && /that is not the IPC key of this Hypergolix daemon/.test(nakOf(e).message));
  assert.equal(await closed, 1008);
});

test('with process.ipc_accept_sent_key off, AU is refused (saying which switch) and closed; the key proof still admits', async () => {
  const w = await world();
  const a = await w.user(0, { ipc: { acceptSentKey: false } });
  const old = await RawClient.open(a.port);
  const closed = old.closed();
  await assert.rejects(old.ok('AU', a.key), (e) => nakOf(e).code === 0xffff && /takes only the key proof \(process\.ipc_accept_sent_key is off\): update the app to hgx SDK 0\.3/.test(nakOf(e).message));
  assert.equal(await closed, 1008);
  const c = await RawClient.open(a.port);
  const n = await challenge(c);
  assert.deepEqual(await c.ok('AP', appProof(a, n)), Buffer.of(1));
  assert.equal(a.ipc.connectedApps(), 1);
});

test('200 connections trying seeded damaged handshakes: each answered or closed, nobody admitted without the right proof, and the daemon still admits a real one', async (t) => {
  const { rng, pick, mutate } = await import('../../fixtures/mutate.js');
  const SEED = Number(process.env.HGX_FUZZ_SEED ?? 2512);
  const rand = rng(SEED);
  const w = await world();
  const a = await w.user(0, { ipc: { authTimeoutMs: 2000 } });
  const tally: Record<string, number> = {};
  for (let i = 0; i < 200; i++) {
    const c = await RawClient.open(a.port);
    const closed = c.closed();
    let open = true;
    void closed.then(() => (open = false));
    // One to three steps of AC / AP / AU with damaged (or, for AC, sometimes good) bodies.
    for (let step = 0, steps = 1 + pick(rand, 3); step < steps && open; step++) {
      const verb = (['AC', 'AP', 'AU'] as const)[pick(rand, 3)]!;
      const valid = verb === 'AC' ? randomBytes(32) : verb === 'AP' ? randomBytes(32) : a.key;
      const body = verb === 'AC' && rand() < 0.5 ? valid : mutate(valid, rand, 40);
      if (verb === 'AU' && Buffer.from(body).equals(a.key)) continue;
      // A refused handshake closes the connection: a request sent on it gets no answer.
      const answer = await Promise.race([c.request(verb, body).catch(() => null), closed.then(() => null)]);
      const what = answer === null ? 'closed' : answer.code;
      tally[`${verb} ${what}`] = (tally[`${verb} ${what}`] ?? 0) + 1;
      if (answer?.code === 'AK' && verb !== 'AC') assert.fail(`connection ${i}: ${verb} ${Buffer.from(body).toString('hex')} was admitted`);
    }
    assert.equal(a.ipc.connectedApps(), 0, `connection ${i}: nobody admitted`);
    c.close();
  }
  t.diagnostic(`seed ${SEED}: ${Object.entries(tally).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  assert.ok(tally['AC AK']! > 0 && Object.keys(tally).some((k) => k.endsWith('NK')), JSON.stringify(tally));
  const c = await RawClient.open(a.port);
  const n = await challenge(c);
  assert.deepEqual(await c.ok('AP', appProof(a, n)), Buffer.of(1));
  assert.equal(a.ipc.connectedApps(), 1);
});
