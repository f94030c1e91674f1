// Issue 5's proof with real processes: one `hypergolix start server`, two `hypergolix start app`
// daemons (two accounts, created on first run), and an hgx SDK app on each side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, encodeObjDef } from '../../src/wire/index.js';
import { ApiId, HGXLink, JsonObj, type GhidText } from '../../packages/hgx/src/index.js';
import { RawClient, until } from '../fixtures/ipc/world.js';
import { appHome, startApp, startServer, type AppProc } from '../fixtures/ipc/processes.js';

test('two users, two daemons, one server, real processes: share, updates, delete, offline, refusals, reconnect', { timeout: 300_000 }, async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const homeA = await appHome('a', server.port);
  const homeB = await appHome('b', server.port);
  const [procA, firstB] = await Promise.all([startApp(homeA), startApp(homeB)]);
  let procB: AppProc = firstB;
  t.after(() => procA.stop());
  t.after(() => procB.stop());
  assert.match(procA.output(), new RegExp(`Apps connect on ws://127\\.0\\.0\\.1:${homeA.ipcPort}/`));

  const la = await HGXLink.connect({ port: homeA.ipcPort, tokenFile: homeA.tokenFile });
  const lb = await HGXLink.connect({ port: homeB.ipcPort, tokenFile: homeB.tokenFile });
  t.after(() => Promise.all([la.close(), lb.close()]));
  assert.equal(la.whoami, procA.fingerprint);
  assert.equal(lb.whoami, procB.fingerprint);
  await lb.registerToken();

  const shares: [GhidText, GhidText, string][] = [];
  const opened = new Map<GhidText, JsonObj>();
  await lb.registerShareHandler(ApiId.JSON, async (ghid, origin, api) => {
    shares.push([ghid, origin, api]);
    opened.set(ghid, await lb.get(JsonObj, ghid));
  });

  await t.test('A shares a JsonObj; B is told with A\'s fingerprint and reads it; A hears success', async () => {
    const obj = await la.new(JsonObj, { title: 'shopping', items: ['milk'] });
    const outcome = new Promise<string>((resolve) => {
      obj.on('shared', (r) => resolve(`shared ${r}`));
      obj.on('share-failed', (r) => resolve(`failed ${r}`));
    });
    await obj.share(lb.whoami);
    await until(() => opened.has(obj.ghid), 'B\'s handler to open the share', 20_000);
    assert.deepEqual(shares[0], [obj.ghid, la.whoami, ApiId.JSON]);
    assert.deepEqual(opened.get(obj.ghid)!.state, { title: 'shopping', items: ['milk'] });
    assert.equal(await outcome, `shared ${lb.whoami}`);

    // 100 updates; B's update events see the last one.
    const atB = opened.get(obj.ghid)!;
    const seen: unknown[] = [];
    atB.on('update', (o) => seen.push(o.state));
    for (let n = 1; n <= 100; n++) {
      obj.state = { title: 'shopping', items: ['milk'], n };
      await obj.push();
    }
    await until(() => (seen.at(-1) as { n?: number } | undefined)?.n === 100, 'the 100th update at B', 30_000);
    assert.deepEqual(atB.state, { title: 'shopping', items: ['milk'], n: 100 });

    // A deletes; B is told.
    let deleted = false;
    atB.on('delete', () => (deleted = true));
    await obj.delete();
    await until(() => deleted, 'B to be told of the delete', 20_000);
    assert.equal(atB.isAlive, false);
  });

  await t.test('refusals: no key, a wrong key, a browser origin; a private object from another token; malformed frames', async () => {
    const noKey = await RawClient.open(homeB.ipcPort);
    await assert.rejects(noKey.ok('?I'), /Authenticate first/);
    const closed = noKey.closed();
    await assert.rejects(noKey.ok('AU', Buffer.alloc(32)), /Authentication failed/);
    assert.equal(await closed, 1008);
    await assert.rejects(RawClient.open(homeB.ipcPort, { Origin: 'https://attacker.example' }), /HTTP 403/);
    await assert.rejects(HGXLink.connect({ port: homeB.ipcPort, token: '00'.repeat(32) }), /could not prove it holds this IPC key .*The key was not sent/);

    const owner = await HGXLink.connect({ port: homeA.ipcPort, tokenFile: homeA.tokenFile });
    const snoop = await HGXLink.connect({ port: homeA.ipcPort, tokenFile: homeA.tokenFile });
    t.after(() => Promise.all([owner.close(), snoop.close()]));
    await owner.registerToken();
    await snoop.registerToken();
    const diary = await owner.new(JsonObj, { secret: 'private' }, { private: true });
    await assert.rejects(snoop.get(JsonObj, diary.ghid), /private to another app/);
    assert.deepEqual((await owner.get(JsonObj, diary.ghid)).state, { secret: 'private' });

    const raw = await RawClient.open(homeA.ipcPort);
    await raw.ok('AU', Buffer.from((await import('node:fs')).readFileSync(homeA.tokenFile, 'utf8').trim(), 'hex'));
    const short = await raw.sendRaw(Buffer.of(0, 0, 0x3f), 0);
    assert.equal(short.code, 'NK');
    const badVersion = await raw.sendRaw(Buffer.from([0, 9, 0x3f, 0x49, 0, 42]), 42);
    assert.equal(badVersion.code, 'NK');
    assert.equal((await raw.request('??')).code, 'NK');
    await assert.rejects(raw.ok('>O', Buffer.alloc(5)), /0001|1 /);
    await assert.rejects(raw.ok('+O', encodeObjDef({ state: Buffer.from('1'), apiId: ApiId.bytes(ApiId.JSON), isLink: true })), /is_link/);
    raw.ws.send(encodeFrame('+O', 77, Buffer.alloc(150)));
    assert.equal((await raw.ok('?I')).length, 65);
    raw.close();
  });

  await t.test('B offline during a share gets it when it comes back; the SDK reconnects and restores handlers and objects; the inbox serves a later app', async () => {
    const tracked = await la.new(JsonObj, { v: 'before' });
    await tracked.share(lb.whoami);
    await until(() => opened.has(tracked.ghid), 'the tracked object at B', 20_000);
    const atB = opened.get(tracked.ghid)!;
    const seen: unknown[] = [];
    atB.on('update', (o) => seen.push(o.state));

    let reconnected = false;
    lb.on('reconnected', () => (reconnected = true));
    assert.equal(await procB.stop(), 0);
    await until(() => !lb.connected, 'the link to notice');

    // While B's daemon is down: an update to a tracked object, a JSON share, a share for an API nobody handles yet.
    tracked.state = { v: 'while away' };
    await tracked.push();
    const offline = await la.new(JsonObj, { sent: 'while B was offline' });
    await offline.share(lb.whoami);
    const custom = ApiId.random();
    const later = await la.new(JsonObj, { for: 'a later app' }, { apiId: custom });
    await later.share(lb.whoami);

    procB = await startApp(homeB);
    await until(() => reconnected, 'the SDK to reconnect', 30_000);
    await until(() => opened.has(offline.ghid), 'the offline share at B', 30_000);
    assert.deepEqual(opened.get(offline.ghid)!.state, { sent: 'while B was offline' });
    await until(() => seen.some((s) => (s as { v: string }).v === 'while away'), 'the missed update on the tracked object', 20_000);
    tracked.state = { v: 'after' };
    await tracked.push();
    await until(() => (seen.at(-1) as { v: string } | undefined)?.v === 'after', 'a later update', 20_000);

    // Nobody handles `custom` yet: the share waits in B's inbox until an app registers it.
    await new Promise((r) => setTimeout(r, 500));
    const lb2 = await HGXLink.connect({ port: homeB.ipcPort, tokenFile: homeB.tokenFile });
    t.after(() => lb2.close());
    const got: [GhidText, GhidText][] = [];
    await lb2.registerShareHandler(custom, (ghid, origin) => void got.push([ghid, origin]));
    await until(() => got.length === 1, 'the inbox delivery', 20_000);
    assert.deepEqual(got[0], [later.ghid, la.whoami]);
    assert.deepEqual((await lb2.get(JsonObj, later.ghid)).state, { for: 'a later app' });
  });
});
