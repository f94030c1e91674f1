// One remote as the daemon sends to it (daemon/remote-lane.ts): its outbox sent in order, and
// what each refusal means for what stays queued. A real outbox on disk and real objects (the
// reference vectors); the remote is a scripted client, answering each publish as told.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommsError, DoesNotExist, IllegalDynamicFrame, RegistrationRequired, StorageFull, type Ghid } from '../../../src/core/golix/index.js';
import type { RemoteClient } from '../../../src/core/remote/client.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { Outbox } from '../../../src/core/daemon/outbox.js';
import { RemoteLane } from '../../../src/core/daemon/remote-lane.js';
import { memoryLogger, waitFor } from '../../fixtures/remote/helpers.js';
import { vectors } from '../../fixtures/remote/setup.js';

const V = vectors();

async function lane(t: { after(fn: () => unknown): void }, answer: (ghid: string, n: number) => Promise<boolean>) {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-lane-'));
  const outbox = await Outbox.open(dir, 'r.example:7770');
  const { engine } = await RulesEngine.open(new MemoryStore());
  const sent: string[] = [];
  const client = {
    connected: true,
    lastFailure: null,
    lastConnectedAt: 1,
    nextAttemptAt: null,
    publish: (raw: Buffer) => {
      const ghid = [...V.all].find((o) => o.raw.equals(raw))!.obj.ghid.text;
      sent.push(ghid);
      return answer(ghid, sent.length);
    },
  } as unknown as RemoteClient;
  const told = { storage: [] as string[], freeTier: [] as string[], conflicts: [] as Ghid[], afterSend: 0 };
  let listening = true;
  let closed = false;
  const logger = memoryLogger();
  const l = new RemoteLane('r.example:7770', client, outbox, {
    engine,
    logger,
    closed: () => closed,
    afterSend: () => told.afterSend++,
    storageChanged: (_l, s) => told.storage.push(s),
    freeTierUsedUp: (_l, u) => told.freeTier.push(u.message),
    conflict: (dynamic) => (told.conflicts.push(dynamic), listening),
  });
  t.after(async () => {
    await l.close();
    await outbox.close();
    await rm(dir, { recursive: true, force: true });
  });
  const queue = async (...objs: { obj: { ghid: Ghid }; raw: Buffer }[]) => {
    await outbox.add(objs.map((o) => ({ ghid: o.obj.ghid.text, raw: o.raw })));
    await l.flush();
  };
  return { l, outbox, sent, told, logger, queue, client: client as { connected: boolean }, deaf: () => (listening = false), close: () => (closed = true) };
}

test('the outbox goes in order; a dropped link keeps the rest queued, in order, for the next flush', async (t) => {
  let down = false;
  const x = await lane(t, async () => {
    if (!down) return true;
    // The link dropped under the send: the client says so from then on.
    x.client.connected = false;
    throw new CommsError('not connected');
  });
  await x.queue(V.gidcs[0]!, V.gidcs[1]!);
  assert.deepEqual(x.sent, [V.gidcs[0]!.obj.ghid.text, V.gidcs[1]!.obj.ghid.text]);
  assert.equal(x.outbox.size, 0);
  assert.equal(x.told.afterSend, 1);

  down = true;
  await x.queue(V.gidcs[2]!, V.geocs[0]!);
  assert.equal(x.outbox.size, 2, 'kept, not taken as a verdict');
  assert.equal(x.l.status().pending, 2);
  assert.equal(x.sent.length, 3, 'nothing more tried once the link was down');
  down = false;
  x.client.connected = true;
  await x.l.flush();
  assert.equal(x.outbox.size, 0);
  assert.deepEqual(x.sent.slice(-2), [V.gidcs[2]!.obj.ghid.text, V.geocs[0]!.obj.ghid.text], 'in the order queued');
});

test('a full remote: everything stays queued, the status says full until one is stored again', async (t) => {
  let full = true;
  const x = await lane(t, async () => {
    if (full) throw new StorageFull('disk full', { retryAfterMs: 20, reason: 'storage_full' });
    return true;
  });
  await x.queue(V.gidcs[0]!, V.gidcs[1]!);
  assert.equal(x.l.status().storage, 'storage_full');
  assert.deepEqual(x.told.storage, ['storage_full']);
  assert.equal(x.outbox.size, 2, 'both kept: the one sent beside the refused one was refused too');
  full = false;
  // The remote said when to ask again: resent then by itself.
  await waitFor(() => x.outbox.size === 0, 3000, 'resent after the wait');
  assert.equal(x.l.status().storage, 'ok');
  assert.deepEqual(x.told.storage, ['storage_full', 'ok']);
  assert.ok(x.logger.lines.some((m) => m.includes('its storage takes writes again')));
});

test('a remote whose storage failed (its database down) keeps everything queued and says so apart from full', async (t) => {
  let down = true;
  const x = await lane(t, async () => {
    if (down) throw new StorageFull('the database cannot be used', { retryAfterMs: 20, reason: 'storage_failed' });
    return true;
  });
  await x.queue(V.gidcs[0]!);
  assert.equal(x.l.status().storage, 'storage_failed');
  assert.equal(x.outbox.size, 1);
  assert.ok(x.logger.lines.some((m) => m.includes('its storage cannot take writes now') && m.includes('resent when it takes writes again')), x.logger.lines.join('\n'));
  assert.ok(!x.logger.lines.some((m) => m.includes('is full')), 'not called full');
  down = false;
  await waitFor(() => x.outbox.size === 0, 3000, 'resent after the wait');
});

test('a used-up free tier holds the outbox until the uploads are retried (after registering)', async (t) => {
  let registered = false;
  const x = await lane(t, async () => {
    if (!registered) throw new RegistrationRequired('register first', { used: 2048, limit: 1024, reason: 'unregistered' });
    return true;
  });
  await x.queue(V.gidcs[0]!);
  assert.equal(x.told.freeTier.length, 1);
  assert.equal(x.l.status().freeTier?.used, 2048);
  await x.l.flush();
  assert.equal(x.sent.length, 1, 'not tried again while the free tier is used up');
  registered = true;
  await x.l.retryUploads();
  assert.equal(x.outbox.size, 0);
  assert.equal(x.l.status().freeTier, null);
});

test('a refusal that is a verdict on the object is final and logged; the objects after it go', async (t) => {
  const x = await lane(t, async (ghid) => {
    if (ghid === V.geocs[0]!.obj.ghid.text) throw new DoesNotExist('no such thing');
    return true;
  });
  await x.queue(V.geocs[0]!, V.gidcs[0]!);
  assert.equal(x.outbox.size, 0);
  assert.equal(x.sent.length, 2);
  assert.ok(x.logger.lines.some((m) => m.includes(V.geocs[0]!.obj.ghid.short)), x.logger.lines.join(' | '));
});

test('a frame of ours refused as not newer raises the conflict and stays parked until settled; raised again once someone listens', async (t) => {
  const x = await lane(t, async (ghid) => {
    if (ghid === V.frames[0]!.obj.ghid.text) throw new IllegalDynamicFrame('not newer');
    return true;
  });
  x.deaf();
  await x.queue(V.frames[0]!);
  assert.equal(x.told.conflicts.length, 1);
  assert.equal(x.told.conflicts[0]!.text, V.dynamic.text);
  assert.equal(x.outbox.size, 1, 'parked, not dropped');
  x.l.holds.retryIdle();
  await waitFor(() => x.told.conflicts.length === 2, 3000, 'raised again');
  assert.equal(x.outbox.size, 1);
});

test('nothing is sent while disconnected or once the daemon closes', async (t) => {
  const x = await lane(t, async () => true);
  x.client.connected = false;
  await x.queue(V.gidcs[0]!);
  assert.equal(x.sent.length, 0);
  x.close();
  x.client.connected = true;
  await x.l.flush();
  assert.equal(x.sent.length, 0);
  assert.equal(x.outbox.size, 1, 'kept for the next start');
});
