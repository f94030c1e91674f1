// The daemon's IPC server at the frame level: authentication, Origin/Host checks, legacy mode,
// every verb both ways, privacy, legroom/is_link, the share inbox, malformed frames and limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { Ghid } from '../../../src/core/golix/index.js';
import { loadOrCreateIpcToken, readIpcToken } from '../../../src/core/ipc/token.js';
import {
  decodeNak,
  decodeObjDef,
  decodeShareNotice,
  encodeFrame,
  encodeObjDef,
  encodeShareRequest,
  idText,
} from '../../../src/wire/index.js';
import { API_ID_JSON, API_ID_RAW } from '../../../src/core/objects/hgxd.js';
import { RawClient, tempHome, until, world, type User } from '../../fixtures/ipc/world.js';
import { HGXLink, JsonObj } from '../../../packages/hgx/src/index.js';

const ZERO_TOKEN = Buffer.alloc(16);
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const def = (o: Parameters<typeof encodeObjDef>[0]) => encodeObjDef(o);
const nakOf = (err: unknown) => (err as { nak: { code: number; message: string } }).nak;

async function authed(u: User): Promise<RawClient> {
  const c = await RawClient.open(u.port);
  await c.ok('AU', u.key);
  return c;
}

test('the key file: created 0600 with 32 random bytes, kept across starts, loose modes tightened', async () => {
  const home = await tempHome();
  const file = `${home}/sub/ipc-token`;
  const warnings: string[] = [];
  const k1 = await loadOrCreateIpcToken(file, { warn: (m) => warnings.push(m) });
  assert.equal(k1.length, 32);
  if (process.platform !== 'win32') assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.deepEqual(await loadOrCreateIpcToken(file), k1);
  assert.deepEqual(await readIpcToken(file), k1);
  if (process.platform !== 'win32') {
    const { chmod, writeFile } = await import('node:fs/promises');
    await chmod(file, 0o644);
    assert.deepEqual(await loadOrCreateIpcToken(file, { warn: (m) => warnings.push(m) }), k1);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.match(warnings.join('\n'), /tightened/);
    await writeFile(file, 'garbage');
    const k2 = await loadOrCreateIpcToken(file, { warn: (m) => warnings.push(m) });
    assert.notDeepEqual(k2, k1);
    assert.deepEqual(await readIpcToken(file), k2);
  }
});

test('authentication: nothing before AU; a wrong key is refused and the connection closed; silence times out', async () => {
  const w = await world();
  const a = await w.user(0, { ipc: { authTimeoutMs: 300 } });
  const c = await RawClient.open(a.port);
  await assert.rejects(c.ok('?I'), (e) => nakOf(e).code === 0xffff && /Authenticate first/.test(nakOf(e).message));
  await assert.rejects(c.ok('+T', ZERO_TOKEN), (e) => nakOf(e).code === 0xffff);
  const closed = c.closed();
  await assert.rejects(c.ok('AU', Buffer.alloc(32, 7)), (e) => nakOf(e).code === 0xffff && /Authentication failed/.test(nakOf(e).message));
  assert.equal(await closed, 1008);

  const good = await authed(a);
  assert.deepEqual(await good.ok('?I'), a.daemon.fingerprint.bytes);
  assert.equal(a.ipc.connectedApps(), 1);

  const idle = await RawClient.open(a.port);
  assert.equal(await idle.closed(), 1008);
  assert.equal(a.ipc.connectedApps(), 1);
});

test('browser origins and foreign Host headers are refused before any frame; allow-listed origins pass', async () => {
  const w = await world();
  const a = await w.user(0, { ipc: { allowedOrigins: ['app://hgx-notes'] } });
  await assert.rejects(RawClient.open(a.port, { Origin: 'https://evil.example' }), /HTTP 403/);
  await assert.rejects(RawClient.open(a.port, { Origin: 'null' }), /HTTP 403/);
  await assert.rejects(RawClient.open(a.port, { Host: 'evil.example:7772' }), /HTTP 403/);
  const ok = await RawClient.open(a.port, { Origin: 'app://hgx-notes' });
  await ok.ok('AU', a.key);
  ok.close();
});

test('legacy clients (opt-in) use public objects without AU, but never tokens or private objects', async () => {
  const w = await world();
  const a = await w.user(0, { ipc: { legacyClients: true } });
  const legacy = await RawClient.open(a.port);
  assert.deepEqual(await legacy.ok('?I'), a.daemon.fingerprint.bytes);
  await assert.rejects(legacy.ok('+T', ZERO_TOKEN), (e) => /authenticated connection/.test(nakOf(e).message));
  await assert.rejects(legacy.ok('+O', def({ state: json(1), apiId: API_ID_JSON, dynamic: true, private: true })), (e) => /app token/.test(nakOf(e).message));
  const g = await legacy.ok('+O', def({ state: json({ public: true }), apiId: API_ID_JSON, dynamic: true }));
  assert.deepEqual(JSON.parse(Buffer.from(decodeObjDef(await legacy.ok('>O', g)).state).toString()), { public: true });
  // A private object of an authenticated app stays out of reach.
  const app = await authed(a);
  await app.ok('+T', ZERO_TOKEN);
  const p = await app.ok('+O', def({ state: json('mine'), apiId: API_ID_JSON, dynamic: true, private: true }));
  await assert.rejects(legacy.ok('>O', p), (e) => nakOf(e).code === 0xffff && /private/.test(nakOf(e).message));
  assert.equal(a.ipc.apps().find((x) => x.legacy)?.authenticated, false);
});

test('malformed frames get NK and the connection stays usable', async () => {
  const w = await world();
  const a = await w.user(0);
  const c = await authed(a);
  const short = await c.sendRaw(Buffer.of(0, 0, 0x3f), 0);
  assert.equal(short.code, 'NK');
  assert.equal(decodeNak(short.body).code, 0x000e);
  const version = await c.sendRaw(Buffer.from([0, 1, 0x3f, 0x49, 0x12, 0x34]), 0x1234);
  assert.deepEqual([version.code, decodeNak(version.body).code], ['NK', 0x000e]);
  assert.match(decodeNak(version.body).message, /version/);
  const unknown = await c.request('ZZ');
  assert.deepEqual([unknown.code, decodeNak(unknown.body).code], ['NK', 0x000e]);
  await assert.rejects(c.ok('>O', Buffer.alloc(10)), (e) => nakOf(e).code === 0x0001);
  await assert.rejects(c.ok('+O', Buffer.alloc(100)), (e) => nakOf(e).code === 0x0001);
  const badFlag = Buffer.from(def({ state: json(1), apiId: API_ID_JSON }));
  badFlag[132] = 9;
  await assert.rejects(c.ok('+O', badFlag), (e) => nakOf(e).code === 0x0001);
  await assert.rejects(c.ok('+O', def({ state: json(1), apiId: API_ID_JSON, isLink: true })), (e) => nakOf(e).code === 0xffff && /is_link/.test(nakOf(e).message));
  await assert.rejects(c.ok('+O', def({ state: json(1) })), (e) => /api_id/.test(nakOf(e).message));
  await assert.rejects(c.ok('+A', Buffer.alloc(65)), (e) => nakOf(e).code === 0x0001);
  await assert.rejects(c.ok('@O', Buffer.alloc(64)), (e) => nakOf(e).code === 0x0001);
  await assert.rejects(c.ok('+T', Buffer.alloc(3)), (e) => nakOf(e).code === 0x0001);
  assert.deepEqual(await c.ok('?I'), a.daemon.fingerprint.bytes);
  // Text messages are not part of the protocol (no token to answer): that connection closes with 1003.
  const text = await authed(a);
  const closed = text.closed();
  text.ws.send('hello');
  assert.equal(await closed, 1003);
  assert.deepEqual(await c.ok('?I'), a.daemon.fingerprint.bytes);
});

test('every app verb: tokens, startup objects, objects, legroom, privacy, freeze/hold/sync/discard/delete, pushes', async () => {
  const w = await world();
  const a = await w.user(0);
  const one = await authed(a);
  const two = await authed(a);

  // Tokens.
  const t1 = await one.ok('+T', ZERO_TOKEN);
  assert.equal(t1.length, 16);
  await assert.rejects(one.ok('+T', ZERO_TOKEN), (e) => /already has an app token/.test(nakOf(e).message));
  await assert.rejects(two.ok('+T', t1), (e) => /in use/.test(nakOf(e).message));
  await assert.rejects(two.ok('+T', Buffer.alloc(16, 9)), (e) => nakOf(e).code === 0x000b);
  await assert.rejects(two.ok('>$'), (e) => /needs an app token/.test(nakOf(e).message));
  const t2 = await two.ok('+T', ZERO_TOKEN);

  // Startup objects.
  assert.equal((await one.ok('>$')).length, 0);
  await two.ok('+A', API_ID_JSON);
  const g = await one.ok('+O', def({ state: json({ v: 1 }), apiId: API_ID_JSON, dynamic: true, legroom: 3 }));
  await one.ok('+$', g);
  assert.deepEqual(await one.ok('>$'), g);
  await one.ok('-$');
  assert.equal((await one.ok('>$')).length, 0);

  // The public +O was announced to the other app registered for JSON, with our own fingerprint as origin.
  await until(() => two.pushes.some((p) => p.code === '@O'), 'the @O announcement');
  const note = decodeShareNotice(two.pushes.find((p) => p.code === '@O')!.body);
  assert.deepEqual([Buffer.from(note.ghid), Buffer.from(note.origin), Buffer.from(note.apiId)], [g, a.daemon.fingerprint.bytes, API_ID_JSON]);
  assert.equal(one.pushes.length, 0);

  // >O reports what +O was told, legroom included; !O keeps it and reaches the other tracker only.
  const d = decodeObjDef(await two.ok('>O', g));
  assert.deepEqual([d.dynamic, d.private, d.legroom, d.isLink, Buffer.from(d.author!).equals(a.daemon.fingerprint.bytes)], [true, false, 3, false, true]);
  await one.ok('!O', def({ address: g, state: json({ v: 2 }) }));
  await until(() => two.pushes.some((p) => p.code === '!O'), 'the !O push');
  const pushed = decodeObjDef(two.pushes.find((p) => p.code === '!O')!.body);
  assert.deepEqual(JSON.parse(Buffer.from(pushed.state).toString()), { v: 2 });
  assert.equal(one.pushes.filter((p) => p.code === '!O').length, 0);
  assert.equal(decodeObjDef(await one.ok('>O', g)).legroom, 3);
  await assert.rejects(one.ok('!O', def({ address: g, state: json(3), private: true })), (e) => /CatOuttaBag/.test(nakOf(e).message));

  // Private → public.
  const p = await one.ok('+O', def({ state: json('secret'), apiId: API_ID_RAW, dynamic: true, private: true }));
  assert.equal(decodeObjDef(await one.ok('>O', p)).private, true);
  for (const [verb, body] of [['>O', p], ['!O', def({ address: p, state: json(0) })], ['~O', p], ['*O', p], ['#O', p], ['XO', p], ['@O', encodeShareRequest(p, a.daemon.fingerprint.bytes)], ['+$', p]] as const) {
    await assert.rejects(two.ok(verb, body), (e) => nakOf(e).code === 0xffff && /private to another app/.test(nakOf(e).message), verb);
  }
  await assert.rejects(one.ok('@O', encodeShareRequest(p, a.daemon.fingerprint.bytes)), (e) => /Unsharable/.test(nakOf(e).message));
  await one.ok('!O', def({ address: p, state: json('public now'), private: false }));
  assert.equal(decodeObjDef(await two.ok('>O', p)).private, false);

  // Freeze, hold, sync.
  const frozen = await one.ok('*O', g);
  const fd = decodeObjDef(await two.ok('>O', frozen));
  assert.deepEqual([fd.dynamic, JSON.parse(Buffer.from(fd.state).toString())], [false, { v: 2 }]);
  await assert.rejects(one.ok('!O', def({ address: frozen, state: json(0) })));
  assert.deepEqual(await one.ok('#O', g), Buffer.of(1));
  assert.deepEqual(await two.ok('~O', g), Buffer.of(1));

  // Discard: no more pushes to that connection.
  await two.ok('-O', g);
  const before = two.pushes.length;
  await one.ok('!O', def({ address: g, state: json({ v: 3 }) }));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(two.pushes.length, before);

  // Delete: the other tracker hears XO.
  await two.ok('>O', g);
  await one.ok('XO', g);
  await until(() => two.pushes.some((x) => x.code === 'XO'), 'the XO push');
  assert.deepEqual(two.pushes.find((x) => x.code === 'XO')!.body, g);
  // A static object: a GDXX on our own GOBS.
  await one.ok('XO', frozen);

  // Sharing with an unknown identity fails with the daemon's error.
  const stranger = Buffer.concat([Buffer.of(1), Buffer.alloc(64, 5)]);
  const q = await one.ok('+O', def({ state: json(1), apiId: API_ID_JSON, dynamic: true }));
  await assert.rejects(one.ok('@O', encodeShareRequest(q, stranger)), (e) => nakOf(e).code === 0x0003);
  assert.deepEqual(a.ipc.apps().map((x) => x.token).sort(), [t1.toString('hex'), t2.toString('hex')].sort());
});

test('shares: delivered to registered apps, kept in the inbox otherwise, and ^S to the app that asked', async () => {
  const w = await world();
  const a = await w.user(0);
  const b = await w.user(1);
  const sender = await authed(a);
  await sender.ok('+T', ZERO_TOKEN);
  const bApp = await authed(b);
  const bToken = await bApp.ok('+T', ZERO_TOKEN);
  await bApp.ok('+A', API_ID_JSON);

  const g1 = await sender.ok('+O', def({ state: json({ s: 1 }), apiId: API_ID_JSON, dynamic: true }));
  await sender.ok('@O', encodeShareRequest(g1, b.daemon.fingerprint.bytes));
  await until(() => bApp.pushes.some((p) => p.code === '@O'), 'B app to hear the share');
  const n = decodeShareNotice(bApp.pushes.find((p) => p.code === '@O')!.body);
  assert.deepEqual([Buffer.from(n.ghid), Buffer.from(n.origin)], [g1, a.daemon.fingerprint.bytes]);
  await until(() => sender.pushes.some((p) => p.code === '^S'), 'A to hear ^S');
  assert.deepEqual(sender.pushes.find((p) => p.code === '^S')!.body, Buffer.concat([g1, b.daemon.fingerprint.bytes]));

  // B's app goes away: the next share waits in the inbox; its token's registration persists.
  bApp.close();
  await until(() => b.ipc.connectedApps() === 0, 'B app to leave');
  const g2 = await sender.ok('+O', def({ state: json({ s: 2 }), apiId: API_ID_JSON, dynamic: true }));
  await sender.ok('@O', encodeShareRequest(g2, b.daemon.fingerprint.bytes));
  await until(() => b.daemon.account.state.get(`inbox:${idText(g2)}`) !== undefined, 'the share to wait in B inbox');
  // The same token on a new connection gets its registration back, and the share with it.
  const again = await authed(b);
  await again.ok('+T', bToken);
  await until(() => again.pushes.some((p) => p.code === '@O'), 'the kept share');
  assert.deepEqual(Buffer.from(decodeShareNotice(again.pushes.find((p) => p.code === '@O')!.body).ghid), g2);
  await until(() => b.daemon.account.state.get(`inbox:${idText(g2)}`) === undefined, 'the inbox to empty');
  assert.deepEqual(JSON.parse(Buffer.from(decodeObjDef(await again.ok('>O', g2)).state).toString()), { s: 2 });

  // An app that refuses (NK) leaves the share in the inbox for a later one.
  const refuser = await RawClient.open(b.port);
  await refuser.ok('AU', b.key);
  const rawApi = API_ID_RAW;
  refuser.ws.removeAllListeners('message');
  const seen: string[] = [];
  refuser.ws.on('message', (data: Buffer) => {
    const code = data.toString('latin1', 2, 4);
    seen.push(code);
    if (code === '@O') refuser.ws.send(encodeFrame('NK', data.readUInt16BE(4), Buffer.of(0xff, 0xff)));
  });
  refuser.ws.send(encodeFrame('+A', 1, rawApi));
  const g3 = await sender.ok('+O', def({ state: Buffer.from('raw'), apiId: rawApi, dynamic: true }));
  await sender.ok('@O', encodeShareRequest(g3, b.daemon.fingerprint.bytes));
  await until(() => seen.includes('@O'), 'the refused delivery');
  await until(() => b.daemon.account.state.get(`inbox:${idText(g3)}`) !== undefined, 'the refused share in the inbox');
  const later = await authed(b);
  await later.ok('+A', rawApi);
  await until(() => later.pushes.some((p) => p.code === '@O' && Buffer.from(decodeShareNotice(p.body).ghid).equals(g3)), 'the later app');
});

test('updates from another user reach tracking apps as !O; their delete as XO', async () => {
  const w = await world();
  const a = await w.user(0);
  const b = await w.user(1);
  const sender = await authed(a);
  const reader = await authed(b);
  await reader.ok('+A', API_ID_JSON);
  const g = await sender.ok('+O', def({ state: json(0), apiId: API_ID_JSON, dynamic: true }));
  await sender.ok('@O', encodeShareRequest(g, b.daemon.fingerprint.bytes));
  await until(() => reader.pushes.some((p) => p.code === '@O'), 'the share');
  await reader.ok('>O', g);
  for (let i = 1; i <= 10; i++) await sender.ok('!O', def({ address: g, state: json(i) }));
  await until(() => {
    const last = reader.pushes.filter((p) => p.code === '!O').at(-1);
    return !!last && Buffer.from(decodeObjDef(last.body).state).toString() === '10';
  }, 'the last update at B');
  await sender.ok('XO', g);
  await until(() => reader.pushes.some((p) => p.code === 'XO'), 'the delete at B');
});

test('limits: tracked objects per connection, message size, connections', async () => {
  const w = await world();
  const a = await w.user(0, { ipc: { maxTrackedPerConnection: 2, maxMessageBytes: 64 * 1024, maxConnections: 3 } });
  const c = await authed(a);
  const ghids = [];
  for (let i = 0; i < 2; i++) ghids.push(await c.ok('+O', def({ state: json(i), apiId: API_ID_JSON, dynamic: true })));
  await assert.rejects(c.ok('+O', def({ state: json(9), apiId: API_ID_JSON, dynamic: true })), (e) => nakOf(e).code === 0x000a);
  await c.ok('-O', ghids[0]!);
  await c.ok('>O', ghids[0]!);
  const closed = c.closed();
  c.ws.send(encodeFrame('+O', 5, def({ state: Buffer.alloc(70 * 1024), apiId: API_ID_JSON })));
  assert.equal(await closed, 1009);
  // Three admitted apps fill maxConnections: the next upgrade is refused.
  const others = [await authed(a), await authed(a), await authed(a)];
  await assert.rejects(RawClient.open(a.port), /HTTP 503/);
  for (const o of others) o.close();
});

test('objects tracked by apps stay live (pinned) beyond the daemon cache size', async () => {
  const w = await world();
  const a = await w.user(0, { maxLiveObjects: 5 });
  const c = await authed(a);
  const g = Ghid.fromBytes(await c.ok('+O', def({ state: json('pinned'), apiId: API_ID_JSON, dynamic: true })));
  const objects = a.daemon.objects;
  for (let i = 0; i < 8; i++) await objects.create(API_ID_JSON, json(i));
  assert.equal(objects.isLive(g), true);
  await c.ok('-O', g.bytes);
  await objects.create(API_ID_JSON, json('one more'));
  assert.equal(objects.isLive(g), false);
});

test('a flood of unauthenticated connections stays in its own small pool: an app still gets in and works', async () => {
  const w = await world();
  const a = await w.user(0, { offline: true });
  // 80 sockets that never authenticate, opened as fast as the daemon takes them: each new one
  // pushes the longest-waiting out of the pool of 8.
  const flood = await Promise.all(Array.from({ length: 80 }, () => RawClient.open(a.port).catch(() => null)));
  const open = flood.filter((c): c is RawClient => c !== null);
  assert.ok(open.length >= 64, `${open.length} of the flood connected`);
  await until(() => [...(a.ipc as unknown as { sessions: Iterable<{ admitted: boolean }> }).sessions].length <= 8, 'the pool back to its size');
  // And while more keep coming (bounded: 128 more, 16 at a time), an app connects.
  let flooding = true;
  const more = (async () => {
    for (let i = 0; i < 8 && flooding; i++) {
      const batch = await Promise.all(Array.from({ length: 16 }, () => RawClient.open(a.port).catch(() => null)));
      open.push(...batch.filter((c): c is RawClient => c !== null));
    }
  })();
  const app = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  flooding = false;
  await more;
  try {
    const obj = await app.new(JsonObj, { in: true });
    assert.deepEqual(obj.state, { in: true });
    assert.equal(a.ipc.connectedApps(), 1);
  } finally {
    await app.close();
    for (const c of open) c.close();
  }
});
