import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InconsistentAuthor, StorageFull } from '../../../src/core/golix/index.js';
import { StorageWatch, asStorageRefusal, storageErrno, STORAGE_RETRY_MS } from '../../../src/core/remote/storage-refusal.js';
import { silentLogger } from '../../../src/core/remote/logger.js';
import { STORAGE_OK, type StorageState } from '../../../src/core/store/storage-state.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { decodeNak, encodeFrame } from '../../../src/wire/index.js';
import { FillableStore } from '../../fixtures/store/fillable-store.js';
import { RawPeer, memoryLogger } from '../../fixtures/remote/helpers.js';
import { startServer, vectors } from '../../fixtures/remote/setup.js';

const V = vectors();

async function serverOnFillableStore(t: { after(fn: () => Promise<void>): void }) {
  const store = new FillableStore();
  const { engine } = await RulesEngine.open(store);
  const logger = memoryLogger();
  const s = await startServer({ engine, logger });
  t.after(() => s.stop());
  return { store, engine, s, logger };
}

test('while the store is full, publishes get NK 0010 with a plain message; reads and subscriptions go on; publishing resumes by itself', async (t) => {
  const { store, s, logger } = await serverOnFillableStore(t);
  const c = await s.client();
  assert.equal(await c.publish(V.gidcs[0]!.raw), true);
  assert.equal(await c.publish(V.geocs[0]!.raw).catch((e: unknown) => e) instanceof Error, true, 'an unbound container is refused by the rules');

  store.fill();
  const err = await c.publish(V.gidcs[1]!.raw).then(
    () => assert.fail('a publish onto a full store succeeded'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof StorageFull, `got ${String(err)}`);
  assert.equal(err.code, 0x0010);
  assert.equal(err.message, "the server's storage is full");
  assert.equal(err.reason, 'storage_full');
  assert.equal(err.retryAfterMs, STORAGE_RETRY_MS);
  assert.equal(store.writesRefused, 0, 'refused before any write was tried');

  // Reads and subscriptions are untouched.
  assert.deepEqual(await c.get(V.gidcs[0]!.obj.ghid), V.gidcs[0]!.raw);
  assert.equal(await c.exists(V.gidcs[1]!.obj.ghid), false);
  await c.subscribe(V.recipient);
  assert.deepEqual((await c.listSubscriptions()).map(String), [V.recipient.text]);
  assert.ok(logger.lines.some((l) => l.includes('Refusing publishes until there is room') && l.includes(store.path)), 'the log names the path');

  // Room again: the very next publish is stored, without a restart.
  store.free();
  assert.equal(await c.publish(V.gidcs[1]!.raw), true);
  assert.equal(await c.exists(V.gidcs[1]!.obj.ghid), true);
  assert.ok(logger.lines.some((l) => l.includes('room again')));
  const metrics = await fetch(`http://127.0.0.1:${s.port}/metrics`).then((r) => r.text());
  assert.match(metrics, /hypergolix_refusals_total\{reason="storage_full"\} 1/);
  assert.match(metrics, /hypergolix_rejections_total\{code="0010",name="StorageFull"\} 1/);
  assert.match(metrics, /hypergolix_storage_writable 1/);
});

test('a write that fails with ENOSPC before the store noticed is still NK 0010, never "Internal error"', async (t) => {
  const { store, s } = await serverOnFillableStore(t);
  const peer = await RawPeer.connect(s.url);
  t.after(() => peer.socket.close());
  store.fill({ silent: true });
  peer.send(encodeFrame('PB', 7, V.gidcs[2]!.raw));
  const answer = await peer.next();
  assert.equal(answer.code, 'NK');
  const nak = decodeNak(answer.body);
  assert.equal(nak.code, 0x0010);
  assert.equal(nak.message, "the server's storage is full");
  assert.equal(nak.reason, 'storage_full');
  assert.equal(store.writesRefused, 1);
  store.free();
  peer.send(encodeFrame('PB', 8, V.gidcs[2]!.raw));
  const again = await peer.next();
  assert.equal(again.code, 'AK', 'stored once there is room: the failed write left no ghost behind');
});

test('asStorageRefusal keeps the rules’ verdicts and maps storage errnos (and their causes)', () => {
  const verdict = new InconsistentAuthor('not yours');
  const full = { kind: 'full', path: '/x', errno: 'ENOSPC', freeBytes: 0, since: 0, message: 'full' } as const;
  assert.equal(asStorageRefusal(verdict, full, 'server'), verdict);
  for (const [errno, reason] of [['ENOSPC', 'storage_full'], ['EDQUOT', 'storage_full'], ['EIO', 'storage_failed'], ['EROFS', 'storage_failed']] as const) {
    const io = Object.assign(new Error(errno), { code: errno });
    const mapped = asStorageRefusal(new Error('wrapped', { cause: io }), undefined, 'local');
    assert.ok(mapped instanceof StorageFull, errno);
    assert.equal(mapped.reason, reason);
    assert.match(mapped.message, /this computer's Hypergolix storage/);
    assert.equal(storageErrno(io), errno);
  }
  const other = new Error('EACCES');
  assert.equal(asStorageRefusal(other, undefined, 'server'), other);
});

test('the server logs a full store and a failed one (a database down) each in its own words, once per change', () => {
  const lines: string[] = [];
  const logger = { ...silentLogger, info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
  const watch = new StorageWatch(logger);
  let state: StorageState = STORAGE_OK;
  const engine = { storage: () => state };
  const failed = { kind: 'failed', path: 'postgresql://db', errno: '57P03', freeBytes: null, since: 0, message: 'The database cannot be used (57P03)' } as const;
  const full = { kind: 'full', path: '/x', errno: 'ENOSPC', freeBytes: 0, since: 0, message: 'The disk holding /x is full' } as const;
  for (const next of [failed, failed, STORAGE_OK, full, STORAGE_OK] as StorageState[]) {
    state = next;
    watch.check(engine);
  }
  assert.deepEqual(lines, [
    'Refusing publishes until the store takes writes again: The database cannot be used (57P03)',
    'Storage takes writes again; accepting publishes',
    'Refusing publishes until there is room: The disk holding /x is full',
    'Storage has room again; accepting publishes',
  ]);
});
