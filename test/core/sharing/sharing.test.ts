// Sharing between two users' daemons through a real persistence server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REFERENCE_KDF } from '../../../src/core/account/kdf.js';
import { Daemon } from '../../../src/core/daemon/daemon.js';
import type { Ghid } from '../../../src/core/golix/index.js';
import { API_ID_JSON } from '../../../src/core/objects/hgxd.js';
import { silentLogger } from '../../../src/core/remote/logger.js';
import { PersistenceServer } from '../../../src/core/remote/server.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import type { WaitingLimits } from '../../../src/core/sharing/consent.js';
import { NoSuchShare, ShareRemoved, Sharing, type IncomingShare, type PendingShare, type SharingPolicy, type ShareResult } from '../../../src/core/sharing/sharing.js';
import { apiIdText } from '../../../src/core/sharing/peek.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { ObjectNotFound } from '../../../src/core/objects/errors.js';
import { listShares } from '../../../src/core/sharing/people-view.js';
import { v16Identity } from '../../fixtures/vectors.js';
import { until } from '../../fixtures/wait.js';

const kdf = { ...REFERENCE_KDF, n: 1024 };
const temps: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
test.after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});


async function world() {
  const { engine } = await RulesEngine.open(new MemoryStore());
  const server = new PersistenceServer({ engine, port: 0, host: '127.0.0.1' });
  const { port } = await server.listen();
  cleanups.push(() => server.close());
  const user = async (i: 0 | 1 | 2, policy: SharingPolicy = 'all', blocked: Ghid[] = [], existing?: { userId: Ghid; cache: string }, waitingLimits?: WaitingLimits) => {
    const cache = existing?.cache ?? join(await mkdtemp(join(tmpdir(), 'hgx-share-')), 'ghidcache');
    temps.push(join(cache, '..'));
    const daemon = await Daemon.start({
      ghidcache: cache,
      remotes: [{ host: '127.0.0.1', port, tls: false }],
      account: existing ? { login: { userId: existing.userId, password: 'pw', kdf } } : { create: { password: 'pw', kdf, identity: v16Identity(i) } },
      logger: process.env.HGX_TEST_LOG ? { error: console.error, warn: console.error, info: () => {}, debug: console.error } : silentLogger,
    });
    const warnings: string[] = [];
    const sharing = new Sharing(daemon, { policy: () => policy, blocked: () => blocked, warn: (m) => warnings.push(m), ...(waitingLimits ? { waitingLimits } : {}) });
    const seen = { incoming: [] as IncomingShare[], pending: [] as PendingShare[], results: [] as ShareResult[] };
    sharing.on('incoming', (s) => seen.incoming.push(s));
    sharing.on('pending', (s) => seen.pending.push(s));
    sharing.on('result', (r) => seen.results.push(r));
    let stopped = false;
    const stop = async () => {
      if (!stopped) await daemon.stop();
      stopped = true;
    };
    cleanups.push(stop);
    await daemon.network.whenConnected(5000);
    return { daemon, sharing, seen, stop, cache, warnings };
  };
  return { user, server };
}

test('A shares a JSON object with B: B is told, reads it, follows updates and the delete; A hears success', async () => {
  const { user } = await world();
  const a = await user(0);
  const b = await user(1, 'all');
  const obj = await a.daemon.objects.create(API_ID_JSON, Buffer.from('{"n":0}'));
  await a.sharing.share(obj.ghid, b.daemon.fingerprint, 'app-token');
  await until(() => b.seen.incoming.length === 1, 'B to receive the share');
  const share = b.seen.incoming[0]!;
  assert.ok(share.ghid.equals(obj.ghid) && share.from.equals(a.daemon.fingerprint));
  assert.deepEqual(share.apiId, API_ID_JSON);
  assert.equal((await b.daemon.open(obj.ghid)).state.toString(), '{"n":0}');
  await until(() => a.seen.results.length === 1, 'A to hear the answer');
  assert.deepEqual([a.seen.results[0]!.ok, a.seen.results[0]!.token], [true, 'app-token']);

  const states: string[] = [];
  b.daemon.objects.on('update', (o) => states.push(o.state.toString()));
  for (let n = 1; n <= 20; n++) await a.daemon.objects.update(obj.ghid, Buffer.from(`{"n":${n}}`));
  try {
    await until(() => states.at(-1) === '{"n":20}', 'the last update at B', Number(process.env.HGX_WAIT ?? 8000));
  } catch (err) {
    if (process.env.HGX_TEST_LOG) console.error('B saw', states, 'B record', b.daemon.objects.secrets.dynamic(obj.ghid)?.counter, 'B engine', b.daemon.engine.currentFrame(obj.ghid)?.counter, 'A pending', a.daemon.network.status(), 'B live', b.daemon.objects.isLive(obj.ghid));
    throw err;
  }
  const deleted: string[] = [];
  b.daemon.objects.on('delete', (g) => deleted.push(g.text));
  await a.daemon.objects.delete(obj.ghid);
  await until(() => deleted.length === 1, 'the delete at B');
});

test("policy 'ask' holds a stranger's share until accepted; 'known' and the block list refuse", async () => {
  const { user } = await world();
  const a = await user(0);
  const b = await user(1, 'ask');
  const obj = await a.daemon.objects.create(API_ID_JSON, Buffer.from('{"ask":1}'));
  await a.sharing.share(obj.ghid, b.daemon.fingerprint);
  await until(() => b.seen.pending.length === 1, 'the share to wait for B');
  assert.equal(b.seen.incoming.length, 0);
  assert.equal(b.sharing.pending().length, 1);
  const waiting = b.sharing.pending()[0]!;
  // What the share is, read before accepting: a JSON object of 9 bytes.
  assert.deepEqual([waiting.apiId, waiting.size, waiting.dynamic], [apiIdText(API_ID_JSON), 9, true]);
  // Read to be shown, not kept: until B accepts, none of it is in B's cache.
  const frame = (await a.daemon.fetch(obj.ghid))!;
  assert.equal(frame.type, 'GOBD');
  for (const g of [obj.ghid, frame.type === 'GOBD' ? frame.targets[0]! : obj.ghid]) assert.equal(b.daemon.engine.exists(g), false, g.short);
  await b.sharing.accept(waiting.id);
  assert.equal(b.seen.incoming.length, 1);
  assert.equal(b.daemon.engine.exists(obj.ghid), true);
  await until(() => a.seen.results.length === 1, 'the AK');
  assert.equal(a.seen.results[0]!.ok, true);
  // Accepted once: A is a contact B is asked about, and the next share waits again.
  assert.equal(b.sharing.contacts.trustOf(a.daemon.fingerprint), 'ask');
  const second = await a.daemon.objects.create(API_ID_JSON, Buffer.from('{"ask":2}'));
  await a.sharing.share(second.ghid, b.daemon.fingerprint);
  await until(() => b.seen.pending.length === 2, 'the second share to wait');
  assert.equal(b.seen.incoming.length, 1);
  // Accept and trust: from then on A's shares arrive at once.
  await b.sharing.accept(b.seen.pending[1]!.id, { trust: true });
  assert.equal(b.sharing.contacts.trustOf(a.daemon.fingerprint), 'trusted');
  const third = await a.daemon.objects.create(API_ID_JSON, Buffer.from('{"ask":3}'));
  await a.sharing.share(third.ghid, b.daemon.fingerprint);
  await until(() => b.seen.incoming.length === 3, 'the trusted share');
  assert.equal(b.seen.pending.length, 2);
  // B's history holds both accepted objects from A; A's holds each answer.
  assert.deepEqual(new Set(b.sharing.records.receivedList().map((r) => r.object.text)), new Set([obj, second, third].map((o) => o.ghid.text)));
  await until(() => a.sharing.records.sentList().every((r) => r.state === 'accepted'), "A's records of B's answers");
  assert.equal(a.sharing.records.sentList().length, 3);
});

test('decline and block: the sender is told, and their later shares are refused without asking', async () => {
  const { user } = await world();
  const a = await user(0);
  const b = await user(1, 'ask');
  const obj = await a.daemon.objects.create(API_ID_JSON, Buffer.from('{"no":1}'));
  await a.sharing.share(obj.ghid, b.daemon.fingerprint);
  await until(() => b.seen.pending.length === 1, 'the share to wait');
  await b.sharing.decline(b.seen.pending[0]!.id, { block: true });
  await until(() => a.seen.results.length === 1, 'the NK');
  assert.equal(a.seen.results[0]!.ok, false);
  assert.equal(b.sharing.contacts.trustOf(a.daemon.fingerprint), 'blocked');
  const again = await a.daemon.objects.create(API_ID_JSON, Buffer.from('{"no":2}'));
  await a.sharing.share(again.ghid, b.daemon.fingerprint);
  await until(() => a.seen.results.length === 2, 'the second NK');
  assert.equal(a.seen.results[1]!.ok, false);
  assert.equal(b.seen.pending.length, 1);
  assert.deepEqual(a.sharing.records.sentList().map((r) => r.state), ['declined', 'declined']);
  await assert.rejects(b.sharing.accept('nothing-waits-here'), NoSuchShare);
});

test('a blocked sender, and a stranger under "known", get a refusal', async () => {
  const { user } = await world();
  const a = await user(0);
  const b = await user(1, 'known');
  const obj = await a.daemon.objects.create(API_ID_JSON, Buffer.from('{}'));
  await a.sharing.share(obj.ghid, b.daemon.fingerprint);
  await until(() => a.seen.results.length === 1, 'the NK');
  assert.equal(a.seen.results[0]!.ok, false);
  assert.equal(b.seen.incoming.length, 0);
});

test('B offline during the share receives it when it comes back', async () => {
  const { user } = await world();
  const a = await user(0);
  const b = await user(1, 'all');
  const userId = b.daemon.userId;
  await b.daemon.account.flush();
  await until(() => b.daemon.network.status()[0]!.pending === 0, 'B to sync');
  await b.stop();
  const obj = await a.daemon.objects.create(API_ID_JSON, Buffer.from('{"late":true}'));
  await a.sharing.share(obj.ghid, b.daemon.fingerprint);
  await until(() => a.daemon.network.status()[0]!.pending === 0, 'the share to reach the server');
  const b2 = await user(1, 'all', [], { userId, cache: b.cache });
  await until(() => b2.seen.incoming.length === 1, 'the share after B returns');
  assert.equal((await b2.daemon.open(obj.ghid)).state.toString(), '{"late":true}');
  await until(() => a.seen.results.length === 1, 'A to hear the late AK');
});

test("a full waiting list declines strangers' further shares (per sender, then in all), and answering one makes room", async () => {
  const { user } = await world();
  const b = await user(1, 'ask', [], undefined, { perSender: 2, total: 3 });
  const a = await user(0);
  const c = await user(2);
  const shareFrom = async (who: typeof a, n: number) => {
    const obj = await who.daemon.objects.create(API_ID_JSON, Buffer.from(`{"n":${n}}`));
    await who.sharing.share(obj.ghid, b.daemon.fingerprint);
  };
  for (let n = 0; n < 3; n++) await shareFrom(a, n);
  await until(() => a.seen.results.length === 1, 'the third share from A to be declined');
  assert.equal(a.seen.results[0]!.ok, false);
  assert.equal(b.sharing.pending().length, 2);
  assert.ok(b.warnings.some((w) => w.includes('2 of their shares already wait')), b.warnings.join('\n'));
  // C, another stranger: one more fits in all, the next does not.
  await shareFrom(c, 10);
  await until(() => b.sharing.pending().length === 3, "C's first share to wait");
  await shareFrom(c, 11);
  await until(() => c.seen.results.length === 1, "C's second share to be declined");
  assert.equal(c.seen.results[0]!.ok, false);
  assert.ok(b.warnings.some((w) => w.includes('3 shares already wait')), b.warnings.join('\n'));
  // The user answers one of A's: room again, for A as for anyone.
  await b.sharing.decline(b.sharing.pending().find((p) => p.from.equals(a.daemon.fingerprint))!.id);
  await shareFrom(a, 3);
  await until(() => b.seen.pending.length === 4, "A's next share to wait");
  assert.equal(b.sharing.pending().length, 3);
  // A trusted sender is never held by the list: their share is taken at once.
  b.sharing.contacts.set(c.daemon.fingerprint, { trust: 'trusted' });
  await shareFrom(c, 12);
  await until(() => b.seen.incoming.length === 1, "trusted C's share");
});

test('B offline while A deletes a shared object hears of the delete when it comes back', async () => {
  const { user } = await world();
  const a = await user(0);
  const b = await user(1, 'all');
  const userId = b.daemon.userId;
  const obj = await a.daemon.objects.create(API_ID_JSON, Buffer.from('{"soon":"gone"}'));
  await a.sharing.share(obj.ghid, b.daemon.fingerprint);
  await until(() => b.seen.incoming.length === 1, 'B to take the share');
  assert.equal((await b.daemon.open(obj.ghid)).state.toString(), '{"soon":"gone"}');
  await b.daemon.account.flush();
  await until(() => b.daemon.network.status()[0]!.pending === 0, 'B to sync');
  await b.stop();
  await a.daemon.objects.delete(obj.ghid);
  await until(() => a.daemon.network.status()[0]!.pending === 0, 'the delete to reach the server');
  const b2 = await user(1, 'all', [], { userId, cache: b.cache });
  const deleted: string[] = [];
  b2.daemon.objects.on('delete', (g) => deleted.push(g.text));
  await until(() => deleted.includes(obj.ghid.text), 'B to hear of the delete after it returns');
  await until(() => b2.sharing.records.isDeleted(obj.ghid), "B's record of the share to say it was deleted");
  await assert.rejects(b2.daemon.open(obj.ghid), ObjectNotFound);
});

test('an object its author deletes after sharing it: both lists say so, and the recipient asks nobody to share it again', async () => {
  const { user } = await world();
  const a = await user(0);
  const b = await user(1, 'all');
  const obj = await a.daemon.objects.create(API_ID_JSON, Buffer.from('{"brief":true}'));
  await a.sharing.share(obj.ghid, b.daemon.fingerprint);
  await until(() => b.seen.incoming.length === 1, 'B to take the share');
  await b.daemon.open(obj.ghid);
  await until(() => a.sharing.records.sentState(obj.ghid, b.daemon.fingerprint) === 'accepted', "A's record of the answer");
  const unreadable: string[] = [];
  b.daemon.on('unreadable', (g) => unreadable.push(g.text));
  // As an app's delete goes: through the daemon.
  await a.daemon.delete(obj.ghid);
  assert.ok(a.sharing.records.isDeleted(obj.ghid), 'marked on the computer that deleted it at once');
  await until(() => b.sharing.records.isDeleted(obj.ghid), 'B to mark it on hearing of the delete');
  const sent = listShares(a.sharing).find((s) => s.object === obj.ghid.text)!;
  const received = listShares(b.sharing).find((s) => s.object === obj.ghid.text)!;
  assert.equal(typeof sent.deletedAt, 'number');
  assert.equal(typeof received.deletedAt, 'number');
  assert.equal(received.state, 'accepted', 'still what B answered');

  // An app on B opening it again: found nowhere, which is no matter of keys.
  await assert.rejects(b.daemon.open(obj.ghid), (e: Error) => e instanceof ObjectNotFound && /was not found locally or on any remote/.test(e.message));
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(unreadable, [], 'not reported unreadable');
  assert.equal(b.sharing.askedAgain(obj.ghid), null, 'A not asked to share it again');
  assert.ok(!b.warnings.some((w) => w.includes('share it again')), b.warnings.join('\n'));
  assert.ok(!a.warnings.some((w) => w.includes('not handled')), a.warnings.join('\n'));
});

test('a waiting share whose object its sender deleted: accepting it says so and removes it (the sender hears a refusal); with the server away it waits on', async () => {
  const { user, server } = await world();
  const a = await user(0);
  const b = await user(1, 'ask');
  const gone = await a.daemon.objects.create(API_ID_JSON, Buffer.from('{"gone":1}'));
  await a.sharing.share(gone.ghid, b.daemon.fingerprint);
  await until(() => b.sharing.pending().length === 1, 'the share to wait');
  await a.daemon.delete(gone.ghid);
  await until(() => a.daemon.network.status()[0]!.pending === 0, 'the delete to reach the server');
  const id = b.sharing.pending()[0]!.id;
  await assert.rejects(b.sharing.accept(id), (e: Error) => e instanceof ShareRemoved && /cannot be accepted: its object is on no server any more: its sender deleted it after sharing it\. It was declined and removed/.test(e.message));
  assert.deepEqual(b.sharing.pending(), [], 'nothing left to answer');
  await until(() => a.seen.results.length === 1, "A to hear B's answer");
  assert.equal(a.seen.results[0]!.ok, false);
  const atA = a.sharing.records.sentList().find((r) => r.object.equals(gone.ghid))!;
  assert.equal(atA.state, 'declined');
  assert.equal(typeof atA.deletedAt, 'number', "A's record keeps its deleted mark through B's later answer");

  // The same with the server away: nothing says it is gone rather than out of reach, so it waits.
  const later = await a.daemon.objects.create(API_ID_JSON, Buffer.from('{"gone":2}'));
  await a.sharing.share(later.ghid, b.daemon.fingerprint);
  await until(() => b.sharing.pending().length === 1, 'the second share to wait');
  await a.daemon.delete(later.ghid);
  await until(() => a.daemon.network.status()[0]!.pending === 0, 'the second delete to reach the server');
  await server.close();
  await until(() => !b.daemon.network.status()[0]!.connected, 'B to see the server gone');
  await assert.rejects(b.sharing.accept(b.sharing.pending()[0]!.id), (e: Error) => e instanceof ObjectNotFound && !(e instanceof ShareRemoved) && /no server is connected/.test(e.message));
  assert.equal(b.sharing.pending().length, 1, 'still waiting');
  assert.equal(b.daemon.network.status()[0]!.pending, 0, 'and unanswered: nothing waits to go out');
});

test('a waiting share whose key no longer opens its object (written on past its reach meanwhile): accepting it says so and removes it', async () => {
  const { user } = await world();
  const a = await user(0);
  const b = await user(1, 'ask');
  const obj = await a.daemon.objects.create(API_ID_JSON, Buffer.from('{"v":0}'));
  await a.sharing.share(obj.ghid, b.daemon.fingerprint);
  await until(() => b.sharing.pending().length === 1, 'the share to wait');
  for (let v = 1; v <= 12; v++) await a.daemon.update(obj.ghid, Buffer.from(`{"v":${v}}`));
  await until(() => a.daemon.network.status()[0]!.pending === 0, 'the updates to reach the server');
  const id = b.sharing.pending()[0]!.id;
  // Twelve versions on: past what the key in the share reaches.
  await assert.rejects(b.sharing.accept(id), (e: Error) => e instanceof ShareRemoved && /the key it carries no longer opens its object/.test(e.message));
  assert.deepEqual(b.sharing.pending(), []);
  assert.ok(b.warnings.some((w) => w.includes('as it was accepted: The known secret does not open')), b.warnings.join('\n'));
  await until(() => a.seen.results.length === 1, "A to hear B's answer");
  assert.equal(a.seen.results[0]!.ok, false);
});
