// The daemon against a real persistence server on 127.0.0.1: accounts across machines,
// concurrent devices, offline publishes, updates between users.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REFERENCE_KDF } from '../../../src/core/account/kdf.js';
import { StatePrefixClaimed } from '../../../src/core/account/state-namespace.js';
import { IncorrectPassword, OutdatedPassword } from '../../../src/core/account/errors.js';
import { Ghid, type Gobd } from '../../../src/core/golix/index.js';
import { existsSync } from 'node:fs';
import { Daemon, type DaemonOptions } from '../../../src/core/daemon/daemon.js';
import { API_ID_JSON } from '../../../src/core/objects/hgxd.js';
import { PersistenceServer } from '../../../src/core/remote/server.js';
import { silentLogger } from '../../../src/core/remote/logger.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { HeldStore } from '../../fixtures/store/held-store.js';
import { CuttableLink } from '../../fixtures/remote/cuttable-link.js';
import { v16Identity } from '../../fixtures/vectors.js';
import { until } from '../../fixtures/wait.js';

const kdf = { ...REFERENCE_KDF, n: 1024 };
const temps: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
test.after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

async function home(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'hgx-daemon-'));
  temps.push(d);
  return d;
}

async function server(port = 0, limits: Partial<ConstructorParameters<typeof PersistenceServer>[0]> = {}) {
  const { engine } = await RulesEngine.open(new MemoryStore());
  const s = new PersistenceServer({ engine, port, host: '127.0.0.1', ...limits });
  const addr = await s.listen();
  cleanups.push(() => s.close());
  return { server: s, port: addr.port, engine };
}

async function daemon(port: number, account: DaemonOptions['account'], store?: DaemonOptions['store'], ghidcache?: string, logger?: DaemonOptions['logger']) {
  const d = await Daemon.start({
    ghidcache: ghidcache ?? join(await home(), 'ghidcache'),
    ...(store ? { store } : {}),
    remotes: [{ host: '127.0.0.1', port, tls: false }],
    account,
    logger: logger ?? (process.env.HGX_TEST_LOG ? { error: console.error, warn: console.error, info: () => {}, debug: () => {} } : silentLogger),
    remoteWaitMs: 5000,
  });
  cleanups.push(() => d.stop());
  return d;
}


test('log in on a second machine with an empty cache, through the server', async () => {
  const { port } = await server();
  const a = await daemon(port, { create: { password: 'pw', kdf, identity: v16Identity(0) } });
  const obj = await a.objects.create(API_ID_JSON, Buffer.from('{"hello":1}'));
  await a.account.flush();
  await until(() => a.network.status().every((r) => r.pending === 0), 'the outbox to drain');
  const a2 = await daemon(port, { login: { userId: a.userId, password: 'pw', kdf } });
  assert.ok(a2.fingerprint.equals(a.fingerprint));
  assert.equal((await a2.open(obj.ghid)).state.toString(), '{"hello":1}');
});

test('two daemons of one account change the account concurrently and both changes survive', async () => {
  const { port } = await server();
  const a = await daemon(port, { create: { password: 'pw', kdf, identity: v16Identity(0) } });
  await until(() => a.network.status().every((r) => r.pending === 0), 'the outbox to drain');
  const b = await daemon(port, { login: { userId: a.userId, password: 'pw', kdf } });
  a.account.state.set('from-a', 'A');
  b.account.state.set('from-b', 'B');
  await Promise.all([a.account.state.flush(), b.account.state.flush()]);
  const both = (d: Daemon) => d.account.state.get('from-a') === 'A' && d.account.state.get('from-b') === 'B';
  await until(() => both(a) && both(b), 'both devices to hold both changes');
  await until(() => a.network.status().every((r) => r.pending === 0) && b.network.status().every((r) => r.pending === 0), 'outboxes to drain');
  const c = await daemon(port, { login: { userId: a.userId, password: 'pw', kdf } });
  assert.ok(both(c), 'a third login sees both');
});

test('a computer that was off hears at its start what another computer changed in the account meanwhile', async () => {
  const { port } = await server();
  const a = await daemon(port, { create: { password: 'pw', kdf, identity: v16Identity(0) } });
  await until(() => a.network.status().every((r) => r.pending === 0), 'the outbox to drain');
  const cacheOfB = join(await home(), 'ghidcache');
  const login = { login: { userId: a.userId, password: 'pw', kdf } };
  await (await daemon(port, login, undefined, cacheOfB)).stop();

  a.account.state.set('while-b-was-off', 'A');
  await a.account.state.flush();
  await until(() => a.network.status().every((r) => r.pending === 0), 'the outbox to drain');
  // Nothing changes after b starts: what it knows of the change, it fetched itself.
  const b = await daemon(port, login, undefined, cacheOfB);
  await until(() => b.account.state.get('while-b-was-off') === 'A', 'b to catch up with the account', 5_000);
});

test('a remote that is down at boot receives every pending publish once it is up', async () => {
  const probe = await server();
  const port = probe.port;
  await probe.server.close();
  const a = await daemon(port, { create: { password: 'pw', kdf, identity: v16Identity(0) } });
  const obj = await a.objects.create(API_ID_JSON, Buffer.from('{"offline":true}'));
  await a.objects.update(obj.ghid, Buffer.from('{"offline":false}'));
  assert.ok(a.network.status()[0]!.pending > 0);
  const { engine } = await server(port);
  await until(() => engine.exists(obj.ghid) && a.network.status()[0]!.pending === 0, 'the outbox to reach the server', 15000);
  assert.equal(engine.currentFrame(obj.ghid)?.counter, 1n);
});

test('a lost remote is tried again as the daemon\'s reconnect options say (hosts and tests may tune the back-off)', async () => {
  const probe = await server();
  await probe.server.close();
  const waits: string[] = [];
  const log = (m: string) => {
    const said = /reconnecting in (\d+) ms/.exec(m);
    if (said) waits.push(said[1]!);
  };
  const d = await Daemon.start({
    ghidcache: join(await home(), 'ghidcache'),
    remotes: [{ host: '127.0.0.1', port: probe.port, tls: false }],
    account: { create: { password: 'pw', kdf, identity: v16Identity(0) } },
    logger: { ...silentLogger, debug: log },
    reconnect: { initialMs: 7, maxMs: 7, jitter: 'none' },
  });
  cleanups.push(() => d.stop());
  await until(() => waits.length >= 4, 'four tries of the remote');
  // The default would start at a random wait under 100 ms and double it toward 30 s.
  assert.deepEqual(new Set(waits), new Set(['7']));
});

test("a network that comes back is heard by this computer's addresses: the remote away is tried at once, not at the end of its wait", async () => {
  const first = await server();
  const port = first.port;
  let addresses = ['192.168.1.20'];
  const said: string[] = [];
  const d = await Daemon.start({
    ghidcache: join(await home(), 'ghidcache'),
    remotes: [{ host: '127.0.0.1', port, tls: false }],
    account: { create: { password: 'pw', kdf, identity: v16Identity(0) } },
    logger: { ...silentLogger, info: (m) => said.push(m) },
    // Left alone, the daemon would try again in a minute.
    reconnect: { initialMs: 60_000, maxMs: 60_000, jitter: 'none' },
    networkChanges: { intervalMs: 20, addresses: () => addresses },
  });
  cleanups.push(() => d.stop());
  await until(() => d.network.status()[0]!.connected || null, 'connected');
  // The Wi-Fi goes: the server out of reach (stopped here), the daemon waiting out its minute.
  await first.server.close();
  await until(() => d.network.status()[0]!.nextAttemptAt || null, 'the remote away, its next try set');
  assert.ok(d.network.status()[0]!.nextAttemptAt! > Date.now() + 30_000);
  addresses = [];
  await until(() => said.some((m) => m.includes('network changed (gone: 192.168.1.20)')) || null, 'the loss heard');
  const back = new PersistenceServer({ engine: first.engine, port, host: '127.0.0.1' });
  await back.listen();
  cleanups.push(() => back.close());
  // The Wi-Fi rejoined: a new address, and the remote tried at once.
  addresses = ['192.168.1.23'];
  await until(() => d.network.status()[0]!.connected || null, 'connected again within moments of the new address', 10_000);
  assert.ok(said.some((m) => m === 'network changed (new: 192.168.1.23): checking the remotes at once'), said.join(' | '));
  assert.ok(d.networkChanges, 'watched by default');
  await d.stop();
  addresses = ['10.0.0.9'];
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(said.filter((m) => m.includes('network changed')).length, 2, 'a stopped daemon watches nothing');
});

test('a link that went silent under a connected remote (the network changed under it) is found by a try and made again; a write then reaches the server', async () => {
  const { port, engine } = await server();
  const link = await CuttableLink.open(port);
  cleanups.push(() => link.close());
  const d = await Daemon.start({
    ghidcache: join(await home(), 'ghidcache'),
    remotes: [{ host: '127.0.0.1', port: link.port, tls: false }],
    account: { create: { password: 'pw', kdf, identity: v16Identity(0) } },
    logger: silentLogger,
    networkChanges: false,
  });
  cleanups.push(() => d.stop());
  await until(() => d.network.status()[0]!.connected || null, 'connected');
  const since = d.network.status()[0]!.lastConnectedAt;
  link.freeze();
  const obj = await d.objects.create(API_ID_JSON, Buffer.from('{"written":"after the freeze"}'));
  assert.equal(d.network.status()[0]!.connected, true, 'the daemon does not know: its heartbeat would take a minute');
  await d.tryRemotes();
  const now = d.network.status()[0]!;
  assert.equal(now.connected, true, 'connected again');
  assert.ok(now.lastConnectedAt! > since!, 'on a new link');
  await until(() => engine.exists(obj.ghid) || null, 'the write on the server');
});

test('a daemon without remotes, or told not to, watches no network', async () => {
  const none = await Daemon.start({ ghidcache: join(await home(), 'ghidcache'), remotes: [], account: { create: { password: 'pw', kdf, identity: v16Identity(0) } }, logger: silentLogger });
  cleanups.push(() => none.stop());
  assert.equal(none.networkChanges, null);
  const { port } = await server();
  const off = await Daemon.start({ ghidcache: join(await home(), 'ghidcache'), remotes: [{ host: '127.0.0.1', port, tls: false }], account: { create: { password: 'pw', kdf, identity: v16Identity(1) } }, logger: silentLogger, networkChanges: false });
  cleanups.push(() => off.stop());
  assert.equal(off.networkChanges, null);
});

test('publishes a remote refuses for now (rate limit) are kept and resent, in order, not dropped', async () => {
  // Tight enough that back-to-back publishes are refused however fast or slow the machine is.
  const { port, engine, server: s } = await server(0, { publishRatePerIdentity: 10, publishBurst: 1 });
  const a = await daemon(port, { create: { password: 'pw', kdf, identity: v16Identity(0) } });
  const objects = [];
  for (let i = 0; i < 6; i++) objects.push(await a.objects.create(API_ID_JSON, Buffer.from(`{"i":${i}}`)));
  await a.objects.update(objects[0]!.ghid, Buffer.from('{"i":"last"}'));
  await until(() => a.network.status()[0]!.pending === 0, 'the outbox to drain through the rate limit', 15000);
  for (const o of objects) assert.ok(engine.exists(o.ghid), `${o.ghid.short} reached the server`);
  assert.equal(engine.currentFrame(objects[0]!.ghid)?.counter, 1n);
  // The limit did refuse some (NK 000A with retryAfterMs): the daemon held and resent them.
  assert.ok(s.metrics.refusalsOf('rate_identity') > 0, 'the rate limit refused publishes');
});

test("a user's updates reach another user who holds the object's secret", async () => {
  const { port } = await server();
  const a = await daemon(port, { create: { password: 'pw', kdf, identity: v16Identity(0) } });
  const b = await daemon(port, { create: { password: 'pw', kdf, identity: v16Identity(1) } });
  const obj = await a.objects.create(API_ID_JSON, Buffer.from('{"n":0}'));
  await until(() => a.network.status()[0]!.pending === 0, 'publish');
  b.objects.secrets.quarantine(obj.ghid, a.objects.secrets.dynamic(obj.ghid)!.secret, a.fingerprint);
  await b.open(obj.ghid);
  const seen: string[] = [];
  b.objects.on('update', (o) => seen.push(o.state.toString()));
  for (let n = 1; n <= 5; n++) await a.objects.update(obj.ghid, Buffer.from(`{"n":${n}}`));
  await until(() => seen.at(-1) === '{"n":5}', 'the last update to reach B');
});

test("another user's update reaches the app while the local cache is still making it durable", async (t) => {
  const { port } = await server();
  const held = new HeldStore();
  const a = await daemon(port, { create: { password: 'pw', kdf, identity: v16Identity(0) } });
  const b = await daemon(port, { create: { password: 'pw', kdf, identity: v16Identity(1) } }, held);
  const obj = await a.objects.create(API_ID_JSON, Buffer.from('{"n":0}'));
  await until(() => a.network.status()[0]!.pending === 0, 'publish');
  b.objects.secrets.quarantine(obj.ghid, a.objects.secrets.dynamic(obj.ghid)!.secret, a.fingerprint);
  await b.open(obj.ghid);
  const seen: { state: string; waiting: number }[] = [];
  b.on('update', (o) => seen.push({ state: o.state.toString(), waiting: held.waiting }));

  const release = held.hold();
  t.after(release); // a daemon waits for its commits as it stops
  await a.objects.update(obj.ghid, Buffer.from('{"n":1}'));
  await until(() => seen.length === 1, "the update to reach B's app");
  assert.equal(seen[0]!.state, '{"n":1}');
  assert.ok(seen[0]!.waiting > 0, "B's cache was still making it durable");
  release();
  await until(() => held.waiting === 0, "B's commit");
  // Stored after all: B reads it back from its cache as a newcomer would.
  assert.equal((await b.engine.get(obj.ghid)).equals(await a.engine.get(obj.ghid)), true);
});

test('as a DaemonPort the daemon hands out each account state prefix once, over the account state map', async () => {
  const { port } = await server();
  const a = await daemon(port, { create: { password: 'pw', kdf, identity: v16Identity(0) } });
  const contacts = a.state('contact:');
  assert.throws(() => a.state('contact:'), StatePrefixClaimed);
  contacts.set('someone', true);
  assert.equal(a.account.state.get('contact:someone'), true);
});

test('a conflict raised while the daemon stops is left to the next start, not resolved after the account closed', async () => {
  const { port } = await server();
  const a = await daemon(port, { create: { password: 'pw', kdf, identity: v16Identity(0) } });
  const obj = await a.objects.create(API_ID_JSON, Buffer.from('{"n":0}'));
  await until(() => a.network.status()[0]!.pending === 0, 'publish');
  const before = a.objects.secrets.dynamic(obj.ghid)!.counter;
  // The outbox drains while a stop closes the network, and a refusal then raises a conflict.
  const stopped = a.stop();
  const outcomes: unknown[] = [];
  a.network.emit('conflict', obj.ghid, (outcome) => outcomes.push(outcome));
  await stopped;
  assert.deepEqual(outcomes, ['failed'], 'our frames stay queued for the next start');
  assert.equal(a.objects.secrets.dynamic(obj.ghid)!.counter, before, 'nothing was written on top');
});

test("the account's root node and keys at a start's catch-up, a password changed here and a kit made on another computer: kept without a warning or an unreadable object; the kit is known here", async () => {
  const { port } = await server();
  const cache = join(await home(), 'ghidcache');
  const a = await daemon(port, { create: { password: 'pw', kdf, identity: v16Identity(0) } }, undefined, cache);
  await a.account.flush();
  await until(() => a.network.status().every((r) => r.pending === 0), 'the outbox to drain');
  await a.stop();

  const said: { level: 'warn' | 'info' | 'debug'; text: string }[] = [];
  const logger = { error: (t: string) => said.push({ level: 'warn', text: t }), warn: (t: string) => said.push({ level: 'warn', text: t }), info: (t: string) => said.push({ level: 'info', text: t }), debug: (t: string) => said.push({ level: 'debug', text: t }) };
  const again = await daemon(port, { login: { userId: a.userId, password: 'pw', kdf } }, undefined, cache, logger);
  const unreadable: string[] = [];
  let changedElsewhere = 0;
  again.on('unreadable', (g) => unreadable.push(g.text));
  again.on('password-changed-elsewhere', () => changedElsewhere++);
  // The start subscribes to both with a catch-up: the server answers with their current frames.
  const told = (g: { short: string }) => said.filter((s) => s.text.includes(g.short)).length;
  await until(() => told(a.userId) > 0, "the root node's catch-up to reach the daemon");
  await until(() => told(a.account.manifest.identity.ghid) > 0, "the keys' catch-up to reach the daemon");

  // A kit made on another computer: the same password opens its root frame; this computer knows of the kit now.
  const other = await daemon(port, { login: { userId: a.userId, password: 'pw', kdf } });
  assert.equal(again.account.hasRecoveryKit, false);
  await other.account.makeRecoveryKey();
  await until(() => again.account.hasRecoveryKit, 'the kit made on the other computer to be known here');
  assert.ok(said.some((s) => s.level === 'info' && /recovery kit was made on another computer/.test(s.text)));

  // Its own password change is no news (whether or not a server sends it back; the other computer's news).
  await again.account.changePassword('pw 2', kdf);
  const own = again.engine.currentFrame(a.userId)!.ghid;
  await until(() => other.status().passwordChangedElsewhereAt !== null, 'the other computer to find the password changed');
  assert.equal(other.engine.currentFrame(a.userId)!.ghid, own);
  assert.deepEqual(said.filter((s) => s.level === 'warn').map((s) => s.text), [], 'nothing warned');
  assert.deepEqual(unreadable, [], 'nothing reported unreadable');
  assert.equal(changedElsewhere, 0);
  assert.equal(again.status().passwordChangedElsewhereAt, null);
});

test('a password changed on another computer is told once (a warning, the event, the status); an unlock here with the old password then says why it fails, the new one opens and the note goes', async () => {
  const { port } = await server();
  const cache = join(await home(), 'ghidcache');
  const warned: string[] = [];
  const logger = { error: (t: string) => warned.push(t), warn: (t: string) => warned.push(t), info: () => {}, debug: () => {} };
  const a = await daemon(port, { create: { password: 'pw', kdf, identity: v16Identity(0) } }, undefined, cache, logger);
  const events: number[] = [];
  a.on('password-changed-elsewhere', (at) => events.push(at));
  await until(() => a.network.status().every((r) => r.pending === 0), 'the outbox to drain');
  const other = await daemon(port, { login: { userId: a.userId, password: 'pw', kdf } });
  const before = Date.now();
  await other.account.changePassword('pw 2', kdf);
  await until(() => a.status().passwordChangedElsewhereAt !== null, 'the change to be found here');
  const at = a.status().passwordChangedElsewhereAt!;
  assert.ok(at >= before && at <= Date.now());
  assert.deepEqual(events, [at]);
  assert.equal(warned.filter((w) => /password of this account was changed on another computer/.test(w)).length, 1, warned.join('\n'));
  // Still unlocked as it was: its objects are read and written.
  const obj = await a.objects.create(API_ID_JSON, Buffer.from('{"still":"open"}'));
  assert.equal((await a.open(obj.ghid)).state.toString(), '{"still":"open"}');
  await a.stop();

  await assert.rejects(daemon(port, { login: { userId: a.userId, password: 'pw', kdf } }, undefined, cache), (err: unknown) => {
    assert.ok(err instanceof OutdatedPassword, String(err));
    assert.equal(err.noticedAt, at);
    assert.match(err.message, /^Incorrect password: the password of this account was changed on another computer \(this computer learned of it on \d{4}-\d\d-\d\d \d\d:\d\d UTC\); use the new password, or set one with the recovery kit$/);
    return true;
  });
  const opened = await daemon(port, { login: { userId: a.userId, password: 'pw 2', kdf } }, undefined, cache);
  assert.equal(opened.status().passwordChangedElsewhereAt, null);
  await opened.stop();
  // Opened with the new password: the note is gone, and a wrong password is only wrong.
  await assert.rejects(daemon(port, { login: { userId: a.userId, password: 'pw', kdf } }, undefined, cache), (err: unknown) => err instanceof IncorrectPassword && !(err instanceof OutdatedPassword));
});

test('a password changed on another computer and then set back to the one this computer holds: nothing is told any more, and the note goes', async () => {
  const { port } = await server();
  const cache = join(await home(), 'ghidcache');
  const a = await daemon(port, { create: { password: 'pw', kdf, identity: v16Identity(0) } }, undefined, cache);
  await until(() => a.network.status().every((r) => r.pending === 0), 'the outbox to drain');
  const note = join(`${cache}.account`, 'password-changed-elsewhere.json');
  const other = await daemon(port, { login: { userId: a.userId, password: 'pw', kdf } });
  await other.account.changePassword('pw 2', kdf);
  await until(() => a.status().passwordChangedElsewhereAt !== null, 'the change to be found here');
  assert.ok(existsSync(note), 'noted for the next unlock');
  await other.account.changePassword('pw', kdf);
  await until(() => a.status().passwordChangedElsewhereAt === null, 'the password set back to be found here');
  assert.equal(existsSync(note), false);
  // Only the account's root node is followed so.
  const stateFrame = await a.network.fetch(Ghid.fromText(a.engine.currentFrame(a.account.manifest.state.ghid)!.ghid));
  assert.equal(stateFrame?.type, 'GOBD');
  await assert.rejects(a.account.followRoot(stateFrame as Gobd), /is not the root node/);
});
