import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Account } from '../../../src/core/account/account.js';
import { REFERENCE_KDF } from '../../../src/core/account/kdf.js';
import { Ghid, IllegalDynamicFrame, InconsistentAuthor, UnknownSecret, packGobd, signObject, type Geoc, type Gobd } from '../../../src/core/golix/index.js';
import { ContainerMissing } from '../../../src/core/objects/errors.js';
import { API_ID_JSON, API_ID_RAW, decodeAppObject } from '../../../src/core/objects/hgxd.js';
import { ObjectManager } from '../../../src/core/objects/manager.js';
import { SecretStore, healSecret } from '../../../src/core/objects/secrets.js';
import { v16Identity } from '../../fixtures/vectors.js';
import { LocalIO } from '../../fixtures/daemon/local-io.js';

const kdf = { ...REFERENCE_KDF, n: 1024 };

async function twoUsers(options = {}) {
  const io = await LocalIO.create();
  const make = async (i: 0 | 1) => {
    const account = await Account.create({ io, password: 'pw', kdf, device: `d${i}`, identity: v16Identity(i) });
    return { account, objects: new ObjectManager(io, account.identity, new SecretStore(account.secrets), options) };
  };
  return { io, a: await make(0), b: await make(1) };
}

test('a dynamic object: create, update ten times, reopen from a fresh manager of the same account', async () => {
  const { io, a } = await twoUsers();
  const obj = await a.objects.create(API_ID_JSON, Buffer.from('{"n":0}'));
  for (let n = 1; n <= 10; n++) await a.objects.update(obj.ghid, Buffer.from(`{"n":${n}}`));
  const fresh = new ObjectManager(io, a.account.identity, new SecretStore(a.account.secrets));
  const back = await fresh.open(obj.ghid);
  assert.equal(back.state.toString(), '{"n":10}');
  assert.equal(back.counter, 10n);
  assert.deepEqual(back.apiId, API_ID_JSON);
});

test('a shared secret opens the object even after later updates, and later frames arrive as updates', async () => {
  const { a, b } = await twoUsers();
  const obj = await a.objects.create(API_ID_RAW, Buffer.from('v0'));
  const shared = a.objects.secrets.dynamic(obj.ghid)!;
  for (let n = 1; n <= 3; n++) await a.objects.update(obj.ghid, Buffer.from(`v${n}`));
  b.objects.secrets.quarantine(obj.ghid, shared.secret, a.account.fingerprint);
  assert.equal((await b.objects.open(obj.ghid)).state.toString(), 'v3');
  assert.equal(b.objects.secrets.quarantined(obj.ghid), null, 'the share secret is committed once used');
  const seen: string[] = [];
  b.objects.on('update', (o) => seen.push(o.state.toString()));
  const updated = await a.objects.update(obj.ghid, Buffer.from('v4'));
  const frame = (await a.objects['io'].fetch(updated.ghid)) as Gobd;
  await b.objects.receive(frame, obj.ghid);
  assert.deepEqual(seen, ['v4']);
});

test('a frame bound by someone else is refused before anything is decrypted', async () => {
  const { a, b } = await twoUsers();
  const obj = await a.objects.create(API_ID_RAW, Buffer.from('v0'));
  const real = a.objects.secrets.dynamic(obj.ghid)!;
  b.objects.secrets.quarantine(obj.ghid, real.secret, a.account.fingerprint);
  await b.objects.open(obj.ghid);
  const forged = await signObject<Gobd>(packGobd(v16Identity(1).ghid, 99n, [Ghid.fromDigest(Buffer.alloc(64, 5)), real.container], obj.ghid).unsigned, v16Identity(1));
  await assert.rejects(b.objects.applyFrame(forged), InconsistentAuthor);
});

test('falling more than legroom versions behind is reported as an unknown secret', async () => {
  const { a, b } = await twoUsers();
  const obj = await a.objects.create(API_ID_RAW, Buffer.from('v0'), { legroom: 2 });
  const old = a.objects.secrets.dynamic(obj.ghid)!;
  for (let n = 1; n <= 4; n++) await a.objects.update(obj.ghid, Buffer.from(`v${n}`), { legroom: 2 });
  b.objects.secrets.quarantine(obj.ghid, old.secret, a.account.fingerprint);
  await assert.rejects(b.objects.open(obj.ghid), UnknownSecret);
});

test('static objects, freeze, hold and delete', async () => {
  const { io, a, b } = await twoUsers();
  const st = await a.objects.create(API_ID_RAW, Buffer.from('static'), { dynamic: false });
  b.objects.secrets.quarantine(st.ghid, a.objects.secrets.static(st.ghid)!, a.account.fingerprint);
  assert.equal((await b.objects.open(st.ghid)).state.toString(), 'static');

  const dyn = await a.objects.create(API_ID_RAW, Buffer.from('d0'));
  await a.objects.update(dyn.ghid, Buffer.from('d1'));
  const frozen = await a.objects.freeze(dyn.ghid);
  assert.equal(frozen.dynamic, false);
  await a.objects.update(dyn.ghid, Buffer.from('d2'));
  const frozenGeoc = await io.fetch(frozen.ghid);
  assert.equal(frozenGeoc?.type, 'GEOC', 'the frozen container outlives the next update');
  assert.equal(decodeAppObject(a.objects.secrets.static(frozen.ghid)!.apply(frozenGeoc!.type === 'GEOC' ? frozenGeoc!.payload : Buffer.alloc(0))).state.toString(), 'd1');

  await a.objects.hold(dyn.ghid);
  const doomed = await a.objects.create(API_ID_RAW, Buffer.from('bye'));
  await a.objects.delete(doomed.ghid);
  assert.equal(await io.fetch(doomed.ghid), null);
  await assert.rejects(b.objects.delete(dyn.ghid), UnknownSecret, 'B cannot even open it');
  b.objects.secrets.quarantine(dyn.ghid, a.objects.secrets.dynamic(dyn.ghid)!.secret, a.account.fingerprint);
  await assert.rejects(b.objects.delete(dyn.ghid), InconsistentAuthor, 'B can read it but may not delete it');
});

test('the live cache is bounded and reports evictions', async () => {
  const { a } = await twoUsers({ maxLive: 2 });
  const evicted: string[] = [];
  a.objects.on('evict', (g) => evicted.push(g.text));
  const o1 = await a.objects.create(API_ID_RAW, Buffer.from('1'));
  await a.objects.create(API_ID_RAW, Buffer.from('2'));
  await a.objects.create(API_ID_RAW, Buffer.from('3'));
  assert.deepEqual(evicted, [o1.ghid.text]);
  assert.equal(a.objects.isLive(o1.ghid), false);
  assert.equal((await a.objects.open(o1.ghid)).state.toString(), '1', 'an evicted object reopens from storage');
});

test('after a burst of updates and a crash (no final flush), the object still opens from the persisted record', async () => {
  const { io, a } = await twoUsers();
  const obj = await a.objects.create(API_ID_RAW, Buffer.from('v0'), { legroom: 3 });
  for (let n = 1; n <= 30; n++) await a.objects.update(obj.ghid, Buffer.from(`v${n}`), { legroom: 3 });
  // "Crash": whatever the account map last wrote is all a fresh login sees.
  const again = await Account.login({ io, userId: a.account.userId, password: 'pw', kdf, device: 'after-crash' });
  const fresh = new ObjectManager(io, again.identity, new SecretStore(again.secrets));
  assert.equal((await fresh.open(obj.ghid)).state.toString(), 'v30');
});

test("a write over another computer's frame that no secret here reads goes above it, on the version shown here, only when asked (offline)", async () => {
  const { one, two, ghid } = await twoComputers();
  for (let n = 1; n <= 10; n++) await two.objects.update(ghid, Buffer.from(`two ${n}`));
  await send(two.io, one.io, ghid, 'frame', 'container');
  await assert.rejects(one.objects.update(ghid, Buffer.from('mine')), UnknownSecret, 'refused by default: online, the record that reads it is waited for');
  const settled: string[] = [];
  Object.assign(one.io, { settleFirst: (frame: Ghid) => settled.push(frame.text) });
  const mine = await one.objects.update(ghid, Buffer.from('mine'), { overUnreadable: true });
  assert.equal(mine.counter, 11n);
  const stored = (await one.io.fetch(ghid)) as Gobd;
  assert.equal(stored.counter, 11n, 'stored here above the frame it could not read');
  assert.deepEqual(settled, [stored.ghid.text], 'and to be settled with each remote as a conflict before it goes');
  assert.equal(one.objects.secrets.dynamic(ghid)!.counter, 11n, 'and the record with it, which outranks the other in the secrets map');
  await one.objects.update(ghid, Buffer.from('mine 2'), { overUnreadable: true });
  assert.equal(settled.length, 1, 'a write on top of it is an ordinary one');
  // Sent as it is (a conflict that cannot be settled), the other computer still knows the
  // version this one wrote on, and follows.
  const seen: string[] = [];
  two.objects.on('update', (o) => seen.push(o.state.toString()));
  await two.objects.receive(await send(one.io, two.io, ghid, 'frame', 'container'), ghid);
  assert.deepEqual(seen, ['mine 2']);
});


/** One account's two computers, each with its own local store, and a remote between them. */
async function twoComputers() {
  const remote = await LocalIO.create();
  const computer = async (device: string) => {
    const io = await LocalIO.create();
    const account = await Account.create({ io, password: 'pw', kdf, device, identity: v16Identity(0) });
    return { io, account, objects: new ObjectManager(io, account.identity, new SecretStore(account.secrets)) };
  };
  const one = await computer('one');
  const two = await computer('two');
  await remote.publish(one.account.identity.publicIdentity.gidc);
  const obj = await one.objects.create(API_ID_RAW, Buffer.from('v0'));
  for (const to of [remote, two.io]) await send(one.io, to, obj.ghid, 'frame', 'container');
  // What the account's secrets map brings to the other computer.
  two.objects.secrets.setDynamic(obj.ghid, one.objects.secrets.dynamic(obj.ghid)!);
  await two.objects.open(obj.ghid);
  return { remote, one, two, ghid: obj.ghid, v0: one.objects.secrets.dynamic(obj.ghid)!.secret };
}

/** Copies an object's current frame, or its container, or both, from one store to another. */
async function send(from: LocalIO, to: LocalIO, ghid: Ghid, ...what: ('frame' | 'container')[]): Promise<Gobd> {
  const frame = (await from.fetch(ghid)) as Gobd;
  if (what.includes('frame')) await to.publish(frame);
  if (what.includes('container')) await to.publish((await from.fetch(frame.targets[0]!))!);
  return frame;
}

test("another computer's frame that arrives before its container is shown once the container is here, and written after", async () => {
  const { one, two, ghid } = await twoComputers();
  await two.objects.update(ghid, Buffer.from('v1'));
  const f1 = await send(two.io, one.io, ghid, 'frame');
  await assert.rejects(one.objects.receive(f1, ghid), ContainerMissing);
  await send(two.io, one.io, ghid, 'container');
  assert.equal((await one.objects.refresh(ghid))!.state.toString(), 'v1', 'the secret moved on while the container was missing');

  const v2 = await one.objects.update(ghid, Buffer.from('v2'));
  assert.equal(v2.counter, 2n);
  const seen: string[] = [];
  two.objects.on('update', (o) => seen.push(o.state.toString()));
  await two.objects.receive(await send(one.io, two.io, ghid, 'frame', 'container'), ghid);
  assert.deepEqual(seen, ['v2']);
});

test("an update after the account's secrets moved past the frame shown here is readable by whoever follows the object", async () => {
  const { one, two, ghid, v0 } = await twoComputers();
  await two.objects.update(ghid, Buffer.from('v1'));
  // The secrets map brings the other computer's newer record; its frame has not come yet.
  one.objects.secrets.setDynamic(ghid, two.objects.secrets.dynamic(ghid)!);
  await one.objects.update(ghid, Buffer.from('mine'));

  const friend = await Account.create({ io: one.io, password: 'pw', kdf, device: 'f', identity: v16Identity(1) });
  const reader = new ObjectManager(one.io, friend.identity, new SecretStore(friend.secrets));
  reader.secrets.quarantine(ghid, v0, one.account.fingerprint);
  assert.equal((await reader.open(ghid)).state.toString(), 'mine');
});

test("a write while another computer's record is ahead of every frame here goes above it, settled first: a restart still reads it", async () => {
  const { one, two, ghid } = await twoComputers();
  for (let n = 1; n <= 3; n++) await two.objects.update(ghid, Buffer.from(`two ${n}`));
  // The secrets map brings the other computer's record; its frames have not come (held back by
  // its own conflict, or the link went down first).
  one.objects.secrets.setDynamic(ghid, two.objects.secrets.dynamic(ghid)!);
  const settled: string[] = [];
  Object.assign(one.io, { settleFirst: (frame: Ghid) => settled.push(frame.text) });
  const mine = await one.objects.update(ghid, Buffer.from('mine'));
  assert.equal(mine.counter, 4n, 'above the record');
  const stored = (await one.io.fetch(ghid)) as Gobd;
  assert.deepEqual(settled, [stored.ghid.text], 'settled with each remote as a conflict before it goes');
  assert.equal(one.objects.secrets.dynamic(ghid)!.counter, 4n, 'the record is ours');
  await one.objects.update(ghid, Buffer.from('mine 2'));
  assert.equal(settled.length, 1, 'a write on top of it is an ordinary one');
  // Restarted before it is back (recent secrets are memory only): what it wrote still opens.
  // Below the record, it failed here: "Frame 1 of … is not newer than 3".
  const restarted = new ObjectManager(one.io, one.account.identity, new SecretStore(one.account.secrets));
  assert.equal((await restarted.open(ghid)).state.toString(), 'mine 2');
});

test('a conflict that can read nothing of ours here writes the remote\'s state on top and says so', async () => {
  const { remote, one, two, ghid } = await twoComputers();
  // The frame here is one no secret here reads, and nothing is shown (a new process).
  for (let n = 1; n <= 10; n++) await two.objects.update(ghid, Buffer.from(`two ${n}`));
  await send(two.io, one.io, ghid, 'frame', 'container');
  const fresh = new ObjectManager(one.io, one.account.identity, new SecretStore(one.account.secrets));
  const resolution = await fresh.resolveConflict(ghid, remote);
  assert.ok(typeof resolution === 'object' && resolution.oursUnread, 'the daemon warns that what this computer wrote is lost');
  assert.equal((await fresh.open(ghid)).state.toString(), 'v0', "the remote's state, on top");
});

/** Two wrote `mine` times offline on v0 (its frames' base), one wrote `theirs` times at the remote meanwhile, and two has no record that reads one's frames. */
async function forkedOffline(mine: number, theirs: number) {
  const parts = await twoComputers();
  const { remote, one, two, ghid } = parts;
  const v0 = { container: two.objects.secrets.dynamic(ghid)!.container, secret: parts.v0 };
  // As NetworkIO says while the remote is out of reach: the chain there goes through v0.
  Object.assign(two.io, { chainBase: () => v0.container });
  for (let n = 1; n <= mine; n++) await two.objects.update(ghid, Buffer.from(`two ${n}`));
  for (let n = 1; n <= theirs; n++) await one.objects.update(ghid, Buffer.from(`one ${n}`));
  await send(one.io, remote, ghid, 'frame', 'container');
  return { ...parts, v0 };
}

test('a conflict that cannot read the remote\'s frame, with a fork deeper than the legroom: onBase writes our newest state on the base, which a friend reads', async () => {
  const { remote, one, two, ghid, v0 } = await forkedOffline(10, 10);
  await assert.rejects(two.objects.resolveConflict(ghid, remote), UnknownSecret, 'without onBase the caller waits for the record');
  const resolution = await two.objects.resolveConflict(ghid, remote, { onBase: true });
  assert.ok(typeof resolution === 'object' && resolution.counter === 11n && !resolution.oursUnread, 'above the remote\'s frame and ours');
  const bridge = (await two.io.fetch(ghid)) as Gobd;
  assert.deepEqual(bridge.targets.slice(1).map((t) => t.text), [v0.container.text], 'written on the base, not on our fork');
  const theirs = await send(two.io, remote, ghid, 'frame', 'container');
  assert.equal(theirs.ghid.text, bridge.ghid.text, 'the remote takes it over its own');
  // A friend who followed the remote's chain knows v0 (not one's record, nor two's fork) and reads it.
  const friend = healSecret(bridge, v0);
  const container = (await remote.fetch(bridge.targets[0]!)) as Geoc;
  assert.equal(decodeAppObject(friend.apply(container.payload)).state.toString(), 'two 10');
  await one.objects.receive(await send(remote, one.io, ghid, 'frame', 'container'), ghid);
  assert.equal((await one.objects.open(ghid)).state.toString(), 'two 10', 'the other computer reads it along the chain too');
});

test('a conflict that cannot read the remote\'s frame, with a fork within the legroom: onBase leaves our frames to go as they are (they name the base)', async () => {
  const { remote, two, ghid, v0 } = await forkedOffline(3, 10);
  await assert.rejects(two.objects.resolveConflict(ghid, remote, { onBase: true }), UnknownSecret);
  const ours = (await two.io.fetch(ghid)) as Gobd;
  assert.equal(ours.counter, 3n, 'nothing was written');
  assert.ok(ours.targets.some((t) => t.equals(v0.container)), 'a friend reads our frames along their vector');
});

test('a race between two computers is resolved once, however often it is reported', async () => {
  const { remote, one, two, ghid } = await twoComputers();
  await one.objects.update(ghid, Buffer.from('one'));
  await send(one.io, remote, ghid, 'frame', 'container');
  await two.objects.update(ghid, Buffer.from('two'));
  await assert.rejects(remote.publish((await two.io.fetch(ghid))!), IllegalDynamicFrame, 'the remote took the first');

  await two.objects.resolveConflict(ghid, remote);
  const written = (await two.io.fetch(ghid)) as Gobd;
  assert.equal(written.counter, 2n, "two's state goes on top of one's frame");
  // Reported again (one's frame pushed to two is refused here too) before two's reached the remote.
  await two.objects.resolveConflict(ghid, remote);
  assert.equal(((await two.io.fetch(ghid)) as Gobd).ghid.text, written.ghid.text, 'nothing more was written');

  await send(two.io, remote, ghid, 'frame', 'container');
  const seen: string[] = [];
  one.objects.on('update', (o) => seen.push(o.state.toString()));
  await one.objects.receive(await send(remote, one.io, ghid, 'frame', 'container'), ghid);
  assert.deepEqual(seen, ['two'], 'both computers end on the state written last');
});

test('a race whose winner this computer has since taken in, and the other wrote on: nothing is written over it', async () => {
  const { remote, one, two, ghid } = await twoComputers();
  // Two's write loses to one's at the remote...
  await one.objects.update(ghid, Buffer.from('one 1'));
  await send(one.io, remote, ghid, 'frame', 'container');
  await two.objects.update(ghid, Buffer.from('two 1'));
  await assert.rejects(remote.publish((await two.io.fetch(ghid))!), IllegalDynamicFrame);
  // ...two then takes in one's next frame (above its own), before the refusal is dealt with...
  await one.objects.update(ghid, Buffer.from('one 2'));
  await two.objects.receive(await send(one.io, two.io, ghid, 'frame', 'container'), ghid);
  // ...and one writes again, at the remote.
  await one.objects.update(ghid, Buffer.from('one 3'));
  const theirs = await send(one.io, remote, ghid, 'frame', 'container');

  const resolution = await two.objects.resolveConflict(ghid, remote);
  assert.deepEqual(resolution, { top: theirs.ghid, counter: theirs.counter }, 'theirs is newer than what two shows');
  assert.equal((await two.objects.open(ghid)).state.toString(), 'one 2', 'two wrote nothing (one 2 is what it shows until one 3 comes)');
  assert.equal(((await two.io.fetch(ghid)) as Gobd).counter, 2n);
});

test("another computer's frame racing ours while ours wait for a remote is not shown over ours, and ours goes on top of it; one written on ours is shown", async () => {
  const { remote, one, two, ghid } = await twoComputers();
  let waiting = true;
  Object.assign(two.io, { waiting: (g: Ghid) => waiting && g.equals(ghid) });
  const seen: string[] = [];
  two.objects.on('update', (o) => seen.push(o.state.toString()));
  // Two writes offline; one writes twice at the remote meanwhile.
  await two.objects.update(ghid, Buffer.from('two 1'));
  await one.objects.update(ghid, Buffer.from('one 1'));
  await one.objects.update(ghid, Buffer.from('one 2'));
  await send(one.io, remote, ghid, 'frame', 'container');
  // Back online, one's frame is pushed to two before two's refusal is dealt with.
  await two.objects.receive(await send(remote, two.io, ghid, 'frame', 'container'), ghid);
  assert.equal((await two.objects.open(ghid)).state.toString(), 'two 1', 'what two wrote is still shown');
  assert.deepEqual(seen, []);
  const resolution = await two.objects.resolveConflict(ghid, remote);
  assert.ok(typeof resolution === 'object' && resolution.counter === 3n, "two's state goes on top of one's frame");
  await send(two.io, remote, ghid, 'frame', 'container');
  await one.objects.receive(await send(remote, one.io, ghid, 'frame', 'container'), ghid);
  assert.equal((await one.objects.open(ghid)).state.toString(), 'two 1', 'the last to reach the remote is what both show');
  // One writes on what two wrote: shown at two, whose frames may still be on their way.
  await one.objects.update(ghid, Buffer.from('one 3'));
  await two.objects.receive(await send(one.io, two.io, ghid, 'frame', 'container'), ghid);
  assert.deepEqual(seen, ['one 3']);
  waiting = false;
});

test("opened after a restart while its frames wait, with another computer's record ahead (the secrets map merged): what this computer wrote is shown, not the remote's frame", async () => {
  const { remote, one, two, ghid } = await twoComputers();
  await two.objects.update(ghid, Buffer.from('two 1'));
  const mine = two.objects.secrets.dynamic(ghid)!;
  await one.objects.update(ghid, Buffer.from('one 1'));
  await one.objects.update(ghid, Buffer.from('one 2'));
  await send(one.io, remote, ghid, 'frame', 'container');
  // The merge brings one's record, carrying two's as its fork (SecretStore.carry).
  two.objects.secrets.setDynamic(ghid, { ...one.objects.secrets.dynamic(ghid)!, fork: { container: mine.container, secret: mine.secret } });
  let waiting = true;
  const fetchHere = two.io.fetch.bind(two.io);
  Object.assign(two.io, {
    waiting: () => waiting,
    fetch: async (g: Ghid, o?: { fresh?: boolean }) => (o?.fresh ? remote.fetch(g) : ((await fetchHere(g)) ?? remote.fetch(g))),
  });
  const restarted = () => new ObjectManager(two.io, two.account.identity, two.objects.secrets);
  assert.equal((await restarted().open(ghid)).state.toString(), 'two 1', 'ours, which the conflict writes on top');
  waiting = false;
  assert.equal((await restarted().open(ghid)).state.toString(), 'one 2', "nothing of ours waits: the remote's newest");
});

test('an update keeps in the record the version the remotes\' chain goes through while our frames wait (ObjectIO.chainBase), past the recent secrets, for a new process too', async () => {
  const { io, a } = await twoUsers();
  const obj = await a.objects.create(API_ID_RAW, Buffer.from('v0'));
  const first = a.objects.secrets.dynamic(obj.ghid)!;
  // Offline: the first frame waits, from the version written on; the next ones wait behind it.
  let base: Ghid | null = null;
  Object.assign(io, { chainBase: (_dynamic: Ghid, writtenOn: Ghid) => (base ??= writtenOn) });
  for (let n = 1; n <= 20; n++) await a.objects.update(obj.ghid, Buffer.from(`v${n}`));
  assert.equal(base!.text, first.container.text);
  const kept = a.objects.secrets.dynamic(obj.ghid)!.base;
  assert.equal(kept?.container.text, first.container.text, 'the version the offline writes started from');
  assert.equal(kept?.secret.text, first.secret.text, 'with its secret');
  assert.equal(new SecretStore(a.account.secrets).find(obj.ghid, first.container)?.secret.text, first.secret.text, 'known in a new process');
  // Back online with nothing waiting: the next write keeps no base.
  Object.assign(io, { chainBase: () => null });
  await a.objects.update(obj.ghid, Buffer.from('v21'));
  assert.equal(a.objects.secrets.dynamic(obj.ghid)!.base, undefined);
});

test("another user who took one computer's frame reads the other computer's frame on the same version with a higher counter, with its record loaded at its start", async () => {
  const { one, two, ghid, v0 } = await twoComputers();
  const friendIO = await LocalIO.create();
  await friendIO.publish(one.account.identity.publicIdentity.gidc);
  const friend = await Account.create({ io: friendIO, password: 'pw', kdf, device: 'f', identity: v16Identity(1) });
  const first = new ObjectManager(friendIO, friend.identity, new SecretStore(friend.secrets));
  first.secrets.quarantine(ghid, v0, one.account.fingerprint);
  await send(one.io, friendIO, ghid, 'frame', 'container');
  assert.equal((await first.open(ghid)).state.toString(), 'v0');
  // The friend's daemon restarts: it knows the version it showed from its record alone, and
  // follows the object without an app opening it (its current frame is nothing new).
  const reader = new ObjectManager(friendIO, friend.identity, new SecretStore(friend.secrets));
  await assert.rejects(reader.receive((await friendIO.fetch(ghid)) as Gobd, ghid), IllegalDynamicFrame);

  // Both computers write on v0 at once (each resolving a conflict against it, say); the remote
  // keeps two's frame, then one's, whose counter is higher, and which names v0 but not two's.
  await two.objects.update(ghid, Buffer.from('two'));
  for (const state of ['one 1', 'one 2']) await one.objects.update(ghid, Buffer.from(state));
  await reader.receive(await send(two.io, friendIO, ghid, 'frame', 'container'), ghid);
  assert.equal((await reader.open(ghid)).state.toString(), 'two');
  const seen: string[] = [];
  reader.on('update', (o) => seen.push(o.state.toString()));
  const ones = await send(one.io, friendIO, ghid, 'frame', 'container');
  assert.ok(!ones.targets.some((t) => t.equals(reader.secrets.dynamic(ghid)!.container)), "one's frame does not name two's version");
  await reader.receive(ones, ghid);
  assert.deepEqual(seen, ['one 2'], 'the friend follows the remote from one fork to the other');
});

test('opened with the record ahead of every frame here, the newest frame here is shown when a secret known here reads it, and the record stays', async () => {
  const { one, two, ghid, v0 } = await twoComputers();
  const v0Container = two.objects.secrets.dynamic(ghid)!.container;
  await one.objects.update(ghid, Buffer.from('one 1'));
  // The secrets map brings one's record, carrying the version it outranked as its fork; one's
  // frame is held back (its own conflict), so two's store holds v0 only.
  const ahead = one.objects.secrets.dynamic(ghid)!;
  two.objects.secrets.setDynamic(ghid, { ...ahead, base: null, fork: { container: v0Container, secret: v0 } });
  const restarted = new ObjectManager(two.io, two.account.identity, new SecretStore(two.account.secrets));
  assert.equal((await restarted.open(ghid)).state.toString(), 'v0');
  assert.equal(restarted.secrets.dynamic(ghid)!.counter, 1n, 'the record is not moved back');
  const seen: string[] = [];
  restarted.on('update', (o) => seen.push(o.state.toString()));
  await restarted.receive(await send(one.io, two.io, ghid, 'frame', 'container'), ghid);
  assert.deepEqual(seen, ['one 1'], 'and the frame the record reads is shown when it comes');

  // With no secret here that reads it, the old frame is refused as before.
  const { two: other, ghid: g2, one: one2 } = await twoComputers();
  await one2.objects.update(g2, Buffer.from('one 1'));
  other.objects.secrets.setDynamic(g2, { ...one2.objects.secrets.dynamic(g2)!, base: null });
  const fresh = new ObjectManager(other.io, other.account.identity, new SecretStore(other.account.secrets));
  await assert.rejects(fresh.open(g2), IllegalDynamicFrame);
});

test('a frame replaced here while its container was asked for gives way to the newer one (an open racing a start\'s catch-up)', async () => {
  const { io, a, b } = await twoUsers();
  const obj = await a.objects.create(API_ID_RAW, Buffer.from('v0'));
  const shared = a.objects.secrets.dynamic(obj.ghid)!;
  await a.objects.update(obj.ghid, Buffer.from('v1'));
  const first = (await io.fetch(obj.ghid)) as Gobd;
  await a.objects.update(obj.ghid, Buffer.from('v2'));
  assert.equal(await io.fetch(first.targets[0]!), null, 'the replaced frame\'s container went with it');
  b.objects.secrets.quarantine(obj.ghid, shared.secret, a.account.fingerprint);
  const shown = await b.objects.applyFrame(first, true);
  assert.equal(shown.state.toString(), 'v2');
  assert.equal(shown.counter, 2n);
});

test('an older version read while a newer one was pushed in does not replace it', async () => {
  const { io, a, b } = await twoUsers();
  const obj = await a.objects.create(API_ID_RAW, Buffer.from('v0'));
  b.objects.secrets.quarantine(obj.ghid, a.objects.secrets.dynamic(obj.ghid)!.secret, a.account.fingerprint);
  await a.objects.update(obj.ghid, Buffer.from('v1'));
  const first = (await io.fetch(obj.ghid)) as Gobd;
  const firstContainer = await io.fetch(first.targets[0]!);
  await a.objects.update(obj.ghid, Buffer.from('v2'));
  const second = (await io.fetch(obj.ghid)) as Gobd;
  // b's cache answers for the first container only once the second frame is shown.
  let release!: () => void;
  const pushed = new Promise<void>((r) => (release = r));
  const slow = new ObjectManager(
    { publish: (...o) => io.publish(...o), fetch: async (g) => (g.equals(first.targets[0]!) ? (await pushed, firstContainer) : io.fetch(g)) },
    b.account.identity,
    b.objects.secrets,
  );
  const opening = slow.applyFrame(first, true);
  await slow.receive(second, obj.ghid);
  release();
  assert.equal((await opening).state.toString(), 'v2');
  assert.equal((await slow.open(obj.ghid)).state.toString(), 'v2');
});
