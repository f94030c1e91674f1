// A remote that lacks what a computer holds is given it again (daemon/remote-backfill.ts): a
// second server added to the configuration gets the whole account, so another computer signs in
// through it alone; a server restored from an older backup gets the newer versions back, also
// from further back than a frame's vector names (daemon/past-frames.ts); a server's damaged copy is given again by the daily check of a computer that holds the object,
// its author's or a friend's it was shared with. Real daemons, real persistence servers on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { API_ID_RAW } from '../../src/core/objects/hgxd.js';
import { MemoryStore } from '../../src/core/store/memory-store.js';
import { FileStore } from '../../src/core/store/file-store.js';
import { AccountDaemons, synced } from '../fixtures/daemon/account-daemons.js';
import { shownAfterSync } from '../fixtures/daemon/shown-after-sync.js';
import { tempHome, until, world } from '../fixtures/ipc/world.js';

test('a remote added later gets the whole account and its objects, so a computer signing in through it alone reads them', async (t) => {
  const [first, second] = [await world(), await world()];
  const daemons = new AccountDaemons(t);
  const home = await tempHome('hgx-backfill-');
  const computer = await daemons.start(home, first.serverPort, { create: 'a password 1' });
  const kept = await computer.create(API_ID_RAW, Buffer.from('written before the second server'));
  const frozen = await computer.create(API_ID_RAW, Buffer.from('a static object'), { dynamic: false });
  await computer.update(kept.ghid, Buffer.from('and changed since'));
  await until(() => synced(computer) || null, 'everything on the first server', 10_000);
  const login = { userId: computer.userId, password: 'a password 1' };
  await daemons.stop(computer);
  assert.equal(second.serverEngine.exists(computer.userId), false, 'the second server starts empty');

  const infos: string[] = [];
  const both = await daemons.start(home, [first.serverPort, second.serverPort], login, { infos });
  await until(() => (second.serverEngine.exists(kept.ghid) && second.serverEngine.exists(frozen.ghid)) || null, 'the account to reach the second server', 15_000);
  assert.ok(infos.some((m) => m.includes(`remote 127.0.0.1:${second.serverPort} lacks objects of this account: sending every object of ours held here`)), infos.join(' | '));
  await daemons.stop(both);

  // Another computer, through the second server alone: the account opens and both objects read.
  const elsewhere = await daemons.start(await tempHome('hgx-backfill-other-'), second.serverPort, login);
  assert.equal((await elsewhere.open(kept.ghid)).state.toString(), 'and changed since');
  assert.equal((await elsewhere.open(frozen.ghid)).state.toString(), 'a static object');
});

/** A server on a store in memory (to snapshot as a backup), and one computer of a new account syncing with it. */
async function oneComputer(t: ConstructorParameters<typeof AccountDaemons>[0]) {
  const store = new MemoryStore();
  const w = await world({ serverStore: store });
  const daemons = new AccountDaemons(t);
  const home = await tempHome('hgx-backfill-');
  const computer = await daemons.start(home, w.serverPort, { create: 'a password 1' });
  return { store, w, daemons, home, computer, login: { userId: computer.userId, password: 'a password 1' } };
}

test('a server restored from an older backup gets the newer versions back from the computer that holds them, open or not', async (t) => {
  const { store, w, daemons, home, computer, login } = await oneComputer(t);
  const objs = [await computer.create(API_ID_RAW, Buffer.from('first, version 1')), await computer.create(API_ID_RAW, Buffer.from('second, version 1'))];
  await until(() => synced(computer) || null, 'version 1 on the server', 10_000);
  const backup = store.snapshot();
  for (const [i, obj] of objs.entries()) await computer.update(obj.ghid, Buffer.from(`${i === 0 ? 'first' : 'second'}, version 2`));
  // Their secrets in the account's map (written a while after an update, as the map always is).
  await computer.account.secrets.flush();
  await until(() => synced(computer) || null, 'version 2 on the server', 10_000);
  const dynamics = [...objs.map((o) => o.ghid), ...computer.account.internalObjects];
  const frames = new Map(dynamics.map((g) => [g.text, computer.engine.currentFrame(g)?.ghid]));
  await daemons.stop(computer);

  // The server goes back to the backup while the computer is off; started again, it opens no
  // object (none is followed but the account's own), and sends every newer version back.
  await w.restartServer(backup);
  const behind = () => dynamics.filter((g) => w.serverEngine.currentFrame(g)?.ghid !== frames.get(g.text));
  assert.ok(behind().length > 0, 'the backup is behind');
  await daemons.start(home, w.serverPort, login);
  await until(() => behind().length === 0 || null, 'the newer frames back on the server', 15_000);

  // Another computer reads the newer versions from it.
  const elsewhere = await daemons.start(await tempHome('hgx-backfill-other-'), w.serverPort, login);
  assert.equal((await elsewhere.open(objs[0]!.ghid)).state.toString(), 'first, version 2');
  assert.equal((await elsewhere.open(objs[1]!.ghid)).state.toString(), 'second, version 2');
});

test('a server restored from a backup older than the versions a frame names gets the newest back from the computer that wrote them since', async (t) => {
  const { store, w, daemons, home, computer, login } = await oneComputer(t);
  const obj = await computer.create(API_ID_RAW, Buffer.from('version 1'));
  await until(() => synced(computer) || null, 'version 1 on the server', 10_000);
  const backup = store.snapshot();
  // More versions than a frame names (itself and the 7 before it): the backup's frame is not among them.
  for (let v = 2; v <= 11; v++) await computer.update(obj.ghid, Buffer.from(`version ${v}`));
  await computer.account.secrets.flush();
  await until(() => synced(computer) || null, 'version 11 on the server', 10_000);
  const newest = computer.engine.currentFrame(obj.ghid)!;
  await daemons.stop(computer);

  await w.restartServer(backup);
  const old = w.serverEngine.currentFrame(obj.ghid)!;
  assert.ok(!newest.targets!.includes(old.target!), "the backup's version is beyond the newest frame's vector");
  await daemons.start(home, w.serverPort, login);
  await until(() => w.serverEngine.currentFrame(obj.ghid)?.ghid === newest.ghid || null, 'the newest frame back on the server', 15_000);
  const elsewhere = await daemons.start(await tempHome('hgx-backfill-other-'), w.serverPort, login);
  assert.equal((await elsewhere.open(obj.ghid)).state.toString(), 'version 11');
});

test("a server whose stored copy of the account's root is damaged gets it again from a computer of the account, at its next connect", async (t) => {
  const serverDir = await tempHome('hgx-backfill-server-');
  const w = await world({ serverStore: new FileStore(join(serverDir, 'ghidcache')) });
  const daemons = new AccountDaemons(t);
  const home = await tempHome('hgx-backfill-');
  const computer = await daemons.start(home, w.serverPort, { create: 'a password 1' });
  const obj = await computer.create(API_ID_RAW, Buffer.from('kept here and there'));
  await until(() => synced(computer) || null, 'the object on the server', 10_000);
  // The root: the daemon follows it (as every object of the account's own), and asks for it at each connect.
  const name = `${w.serverEngine.currentFrame(computer.userId)!.ghid}.ghid`;
  const rootFile = join(serverDir, 'ghidcache', name);
  await until(async () => (await readdir(join(serverDir, 'ghidcache'))).includes(name) || null, "the root's file on the server", 10_000);
  const good = await readFile(rootFile);
  await daemons.stop(computer);

  // Damaged while the server was off; it opens its store again and finds nothing wrong until read.
  await w.server.close();
  await w.serverEngine.close();
  await writeFile(rootFile, good.subarray(0, good.length - 9));
  await w.restartServer(new FileStore(join(serverDir, 'ghidcache')));
  const again = await daemons.start(home, w.serverPort, { userId: computer.userId, password: 'a password 1' });
  await until(async () => (await readFile(rootFile)).equals(good) || null, "the server's copy put right", 15_000);
  await daemons.stop(again);
  const elsewhere = await daemons.start(await tempHome('hgx-backfill-other-'), w.serverPort, { userId: computer.userId, password: 'a password 1' });
  assert.equal((await elsewhere.open(obj.ghid)).state.toString(), 'kept here and there');
});

test("a server's damaged copy of an object nobody follows is found by its own check, and given again by the check of the computer that holds it", async (t) => {
  const serverDir = await tempHome('hgx-backfill-server-');
  const w = await world({ serverStore: new FileStore(join(serverDir, 'ghidcache')) });
  const daemons = new AccountDaemons(t);
  const infos: string[] = [];
  const computer = await daemons.start(await tempHome('hgx-backfill-'), w.serverPort, { create: 'a password 1' }, { infos });
  // A static object: nothing follows it (it cannot change), so no catch-up ever asks the server about it.
  const frozen = await computer.create(API_ID_RAW, Buffer.from('a static object nobody follows'), { dynamic: false });
  // Its secret in the account's map (written a while after a write, as the map always is), for the other computer.
  await computer.account.secrets.flush();
  await until(() => synced(computer) || null, 'the object on the server', 10_000);
  const file = join(serverDir, 'ghidcache', `${frozen.ghid.text}.ghid`);
  await until(async () => (await readdir(join(serverDir, 'ghidcache'))).includes(`${frozen.ghid.text}.ghid`) || null, "the object's file on the server", 10_000);
  const good = await readFile(file);

  // Its file rots on the server's disk while the server is off; the computer stays up and reconnects.
  await w.server.close();
  await w.serverEngine.close();
  await writeFile(file, good.subarray(0, good.length - 40));
  await w.restartServer(new FileStore(join(serverDir, 'ghidcache')));
  await until(() => synced(computer) || null, 'the computer connected again', 15_000);
  assert.equal((await readFile(file)).equals(good), false, 'the reconnect did not touch it');

  assert.equal((await w.server.storeCheck.run()).damaged, 1, "the server's check found it");
  const before = computer.cacheCheck.givenToRemotes;
  const report = await computer.checkCache();
  assert.ok(report.givenToRemotes > before, `given again: ${JSON.stringify(report)}`);
  await until(async () => (await readFile(file)).equals(good) || null, "the server's copy put right", 10_000);
  assert.ok(infos.some((m) => /objects held here that it lacked \(or held damaged\) given again/.test(m)), infos.join(' | '));
  assert.equal((await w.server.storeCheck.run()).damaged, 0);

  const elsewhere = await daemons.start(await tempHome('hgx-backfill-other-'), w.serverPort, { userId: computer.userId, password: 'a password 1' });
  assert.equal((await elsewhere.open(frozen.ghid)).state.toString(), 'a static object nobody follows');
});

test('a server restored from a backup that holds an object deleted since gets the deletion again from the check of the computer that made it', async (t) => {
  const store = new MemoryStore();
  const w = await world({ serverStore: store });
  const daemons = new AccountDaemons(t);
  const infos: string[] = [];
  const computer = await daemons.start(await tempHome('hgx-backfill-'), w.serverPort, { create: 'a password 1' }, { infos });
  const gone = await computer.create(API_ID_RAW, Buffer.from('deleted after the backup'));
  await until(() => synced(computer) || null, 'the object on the server', 10_000);
  const backup = store.snapshot();
  await computer.delete(gone.ghid);
  await until(() => (synced(computer) && !w.serverEngine.exists(gone.ghid)) || null, 'the deletion on the server', 10_000);

  // The backup comes back: the object with it. Nothing follows a deleted object, so no catch-up sees it.
  await w.restartServer(backup);
  await until(() => synced(computer) || null, 'the computer connected again', 15_000);
  assert.equal(w.serverEngine.exists(gone.ghid), true, 'back from the backup');
  const report = await computer.checkCache();
  assert.ok(report.givenToRemotes >= 1, JSON.stringify(report));
  assert.equal(w.serverEngine.exists(gone.ghid), false, 'deleted there again');
});

for (const dynamic of [true, false]) test(`a server's damaged copy of ${dynamic ? 'an object' : 'a static object'} shared with us, its author's computer gone, is given again by the check of the friend's computer`, async () => {
  const serverDir = await tempHome('hgx-backfill-server-');
  const w = await world({ serverStore: new FileStore(join(serverDir, 'ghidcache')) });
  const author = await w.user(0);
  const friend = await w.user(1);
  const { ghid } = await author.daemon.create(API_ID_RAW, Buffer.from('shared, then its author went away'), { dynamic });
  await author.sharing.share(ghid, friend.daemon.fingerprint);
  await until(async () => (await shownAfterSync(friend, ghid)) === 'shared, then its author went away' || null, 'the friend to read the share', 10_000);
  // The author's computer is gone for good: only the friend's holds the object besides the server.
  await author.stop();
  // A dynamic object's container is named by its frame; a static object's GHID is its container's.
  const container = dynamic ? w.serverEngine.currentFrame(ghid)!.target! : ghid.text;
  const file = join(serverDir, 'ghidcache', `${container}.ghid`);
  await until(async () => (await readdir(join(serverDir, 'ghidcache'))).includes(`${container}.ghid`) || null, "the container's file on the server", 10_000);
  const good = await readFile(file);

  // The container's file rots on the server's disk while it runs and the friend's computer stays
  // connected: no connect, so no catch-up (which, for a dynamic object, compares frames only).
  await writeFile(file, good.subarray(0, good.length - 40));
  assert.equal((await w.server.storeCheck.run()).damaged, 1, "the server's check found it");

  const report = await friend.daemon.checkCache();
  assert.ok(report.givenToRemotes >= 1, `given again: ${JSON.stringify(report)}`);
  await until(async () => (await readFile(file)).equals(good) || null, "the server's copy put right", 10_000);
  assert.equal((await w.server.storeCheck.run()).damaged, 0);
});
