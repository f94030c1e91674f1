import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DONE_WRITE_DELAY_MS, Outbox } from '../../../src/core/daemon/outbox.js';
import type { GolixObject } from '../../../src/core/golix/index.js';
import { vectors } from '../../fixtures/remote/setup.js';

const g = (n: number) => String(n).padStart(86, 'A') + '==';
const dirs: string[] = [];
test.after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

test('queued objects survive a restart in order; done ones do not; a torn tail is ignored', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-outbox-'));
  dirs.push(dir);
  const box = await Outbox.open(dir, '127.0.0.1:7770');
  await box.add([1, 2, 3, 4].map((n) => ({ ghid: g(n), raw: Buffer.alloc(100 + n, n) })));
  box.done(g(2));
  await box.close();
  await appendFile(box.path, Buffer.from([1, 0, 0, 9, 9, 1, 2]));
  const again = await Outbox.open(dir, '127.0.0.1:7770');
  assert.deepEqual(again.items().map(([k]) => k), [g(1), g(3), g(4)]);
  assert.deepEqual(again.items()[1]![1], Buffer.alloc(103, 3));
  for (const [k] of again.items()) again.done(k);
  assert.equal(again.size, 0);
  await again.close();
  const last = await Outbox.open(dir, '127.0.0.1:7770');
  assert.equal(last.size, 0);
  await last.close();
});

test('held entries are queued durably but not offered until released; withdrawn ones are gone, also after a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-outbox-'));
  dirs.push(dir);
  const box = await Outbox.open(dir, '127.0.0.1:7770');
  await box.add([{ ghid: g(1), raw: Buffer.alloc(10, 1) }]);
  await box.add([2, 3].map((n) => ({ ghid: g(n), raw: Buffer.alloc(10, n) })), { hold: true });
  await box.add([{ ghid: g(4), raw: Buffer.alloc(10, 4) }], { hold: true });
  assert.deepEqual(box.items().map(([k]) => k), [g(1)], 'held ones are not offered');
  assert.equal(box.size, 4);
  assert.equal(box.ready, 1);
  box.release([g(2), g(3)]);
  assert.deepEqual(box.items().map(([k]) => k), [g(1), g(2), g(3)], 'released in their queue order');
  await box.withdraw([g(4), g(1)]);
  assert.equal(box.size, 3, 'only a held entry can be withdrawn');
  await box.close();
  const again = await Outbox.open(dir, '127.0.0.1:7770');
  assert.deepEqual(again.items().map(([k]) => k), [g(1), g(2), g(3)], 'the withdrawn one is not replayed');
  await again.close();
});

test('an entry held when the process died is sent after the restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-outbox-'));
  dirs.push(dir);
  const box = await Outbox.open(dir, '127.0.0.1:7770');
  await box.add([{ ghid: g(7), raw: Buffer.alloc(10, 7) }], { hold: true });
  await box.close();
  const again = await Outbox.open(dir, '127.0.0.1:7770');
  assert.deepEqual(again.items().map(([k]) => k), [g(7)]);
  assert.equal(again.ready, 1);
  await again.close();
});

test('a parked entry is not offered but stays queued until done; parked when the process stopped, it is offered again', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-outbox-'));
  dirs.push(dir);
  const box = await Outbox.open(dir, '127.0.0.1:7770');
  await box.add([1, 2].map((n) => ({ ghid: g(n), raw: Buffer.alloc(10, n) })));
  box.park(g(1));
  box.park(g(9));
  assert.deepEqual(box.items().map(([k]) => k), [g(2)], 'parked: not offered');
  assert.deepEqual([box.size, box.ready], [2, 1], 'still counted as waiting; parking an unknown entry does nothing');
  await box.close();
  const again = await Outbox.open(dir, '127.0.0.1:7770');
  assert.deepEqual(again.items().map(([k]) => k), [g(1), g(2)], 'a stop before it was settled: sent again');
  again.park(g(1));
  again.done(g(1));
  assert.deepEqual([again.size, again.ready], [1, 1]);
  await again.close();
  const last = await Outbox.open(dir, '127.0.0.1:7770');
  assert.deepEqual(last.items().map(([k]) => k), [g(2)]);
  await last.close();
});

test('an entry already queued stays queued when the same object is held again and withdrawn', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-outbox-'));
  dirs.push(dir);
  const box = await Outbox.open(dir, '127.0.0.1:7770');
  await box.add([{ ghid: g(5), raw: Buffer.alloc(10, 5) }]);
  await box.add([{ ghid: g(5), raw: Buffer.alloc(10, 5) }, { ghid: g(6), raw: Buffer.alloc(10, 6) }], { hold: true });
  assert.deepEqual(box.items().map(([k]) => k), [g(5)], 'the earlier queueing still holds');
  await box.withdraw([g(5), g(6)]);
  assert.deepEqual(box.items().map(([k]) => k), [g(5)]);
  assert.equal(box.size, 1);
  await box.close();
  assert.deepEqual((await Outbox.open(dir, '127.0.0.1:7770')).items().map(([k]) => k), [g(5)]);
});

test('a queued object keeps only its own bytes, not the pool slab or message it was sliced from (also after a restart)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-outbox-'));
  dirs.push(dir);
  const box = await Outbox.open(dir, '127.0.0.1:7770');
  // As objects arrive: small slices of larger buffers (Node's 8 KiB pool, a WebSocket message).
  const message = Buffer.alloc(8192, 7);
  const raws = [1, 2, 3].map((n) => message.subarray(n * 1000, n * 1000 + 900));
  await box.add(raws.map((raw, i) => ({ ghid: g(i), raw })));
  message.fill(0); // the sender reuses its buffer: the queue must not change with it
  for (const [, raw] of box.items()) {
    assert.equal(raw.buffer.byteLength, 900, 'its own 900 bytes, not the 8 KiB it came in');
    assert.deepEqual(raw, Buffer.alloc(900, 7));
  }
  await box.close();
  const again = await Outbox.open(dir, '127.0.0.1:7770');
  for (const [, raw] of again.items()) assert.equal(raw.buffer.byteLength, 900, 'read back: its own bytes, not the log file read whole');
  await again.close();
});

test('a done record goes out with the next publish, needing no write of its own; one that never did only means a resend', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-outbox-'));
  dirs.push(dir);
  const box = await Outbox.open(dir, '127.0.0.1:7770');
  // What a restart would find now: the file as it is, opened elsewhere (opening compacts it).
  const afterCrash = async () => {
    const copy = await mkdtemp(join(tmpdir(), 'hgx-outbox-copy-'));
    dirs.push(copy);
    await cp(box.path, join(copy, basename(box.path)));
    const again = await Outbox.open(copy, '127.0.0.1:7770');
    await again.close();
    return again.items().map(([k]) => k);
  };
  await box.add([1, 2].map((n) => ({ ghid: g(n), raw: Buffer.alloc(10, n) })));
  box.done(g(1));
  assert.deepEqual(await afterCrash(), [g(1), g(2)], 'a crash now offers the done entry again (the remote has it), and loses nothing queued');
  await box.add([{ ghid: g(3), raw: Buffer.alloc(10, 3) }]);
  assert.deepEqual(await afterCrash(), [g(2), g(3)], 'the next publish carried the done record');
  box.done(g(3));
  await box.add([{ ghid: g(3), raw: Buffer.alloc(10, 3) }]);
  assert.deepEqual(await afterCrash(), [g(2), g(3)], 'done and then queued again: queued');
  box.done(g(2));
  await new Promise((r) => setTimeout(r, DONE_WRITE_DELAY_MS + 300));
  assert.deepEqual(await afterCrash(), [g(3)], 'with nothing to go with, it was written alone a moment later');
  box.done(g(3));
  await box.close();
  assert.deepEqual(await afterCrash(), [], 'close writes what was done meanwhile');
});

test('the oldest frame of an object still queued: held and parked ones count, done and withdrawn ones do not, also after a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-outbox-'));
  dirs.push(dir);
  const v = vectors();
  const frames = v.frames.map((f) => f.obj).filter((f): f is Extract<GolixObject, { type: 'GOBD' }> => f.type === 'GOBD' && f.dynamic.equals(v.dynamic));
  const [a, b] = [...frames].sort((x, y) => Number((x.counter ?? 0n) - (y.counter ?? 0n))) as [GolixObject, GolixObject];
  const counter = (o: GolixObject) => (o.type === 'GOBD' ? o.counter : null);
  const box = await Outbox.open(dir, '127.0.0.1:7770');
  await box.add([b, v.geocs[0]!.obj].map((o) => ({ ghid: o.ghid.text, raw: o.raw })));
  await box.add([{ ghid: a.ghid.text, raw: a.raw }], { hold: true });
  assert.equal(box.oldestFrame(v.dynamic.text)?.counter, counter(a), 'a held frame counts');
  await box.withdraw([a.ghid.text]);
  assert.equal(box.oldestFrame(v.dynamic.text)?.counter, counter(b), 'a withdrawn one does not');
  box.park(b.ghid.text);
  assert.equal(box.oldestFrame(v.dynamic.text)?.counter, counter(b), 'a parked one counts');
  await box.close();
  const again = await Outbox.open(dir, '127.0.0.1:7770');
  assert.deepEqual(again.oldestFrames().map((f) => f.counter), [counter(b)], 'after a restart');
  again.done(b.ghid.text);
  assert.equal(again.oldestFrame(v.dynamic.text), null, 'done');
  assert.deepEqual(again.oldestFrames(), []);
  await again.close();
});

test('whether a frame still queued binds a container: parked frames count, done ones do not, and a container is no frame', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-outbox-'));
  dirs.push(dir);
  const v = vectors();
  const frame = v.frames.map((f) => f.obj).find((f): f is Extract<GolixObject, { type: 'GOBD' }> => f.type === 'GOBD')!;
  const container = v.geocs.find((c) => c.obj.ghid.equals(frame.targets[0]!))!.obj;
  const box = await Outbox.open(dir, '127.0.0.1:7770');
  await box.add([frame, container].map((o) => ({ ghid: o.ghid.text, raw: o.raw })));
  assert.equal(box.bindsQueued(container.ghid.text), true);
  assert.equal(box.bindsQueued(frame.ghid.text), false, 'nothing queued binds the frame itself');
  box.park(frame.ghid.text);
  assert.equal(box.bindsQueued(container.ghid.text), true, 'parked, it still binds it');
  box.done(frame.ghid.text);
  assert.equal(box.bindsQueued(container.ghid.text), false, 'done, it does not');
  await box.close();
});

test('entries to settle first are refused once each, and again after a restart (a compaction too), until done or withdrawn', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-outbox-'));
  dirs.push(dir);
  const box = await Outbox.open(dir, '127.0.0.1:7770');
  await box.add([1, 2].map((n) => ({ ghid: g(n), raw: Buffer.alloc(10, n) })), { settleFirst: [g(1), g(9)] });
  await box.add([{ ghid: g(3), raw: Buffer.alloc(10, 3) }], { hold: true, settleFirst: [g(3)] });
  assert.equal(box.refuseFirst(g(2)), false, 'only those named');
  assert.equal(box.refuseFirst(g(9)), false, 'and queued with them');
  assert.equal(box.refuseFirst(g(1)), true);
  assert.equal(box.refuseFirst(g(1)), false, 'once: a conflict that cannot be settled sends it as it is');
  await box.close();

  const again = await Outbox.open(dir, '127.0.0.1:7770');
  assert.equal(again.refuseFirst(g(1)), true, 'after a restart its conflict is raised again');
  again.done(g(3));
  assert.equal(again.refuseFirst(g(3)), false, 'done');
  await again.add([{ ghid: g(5), raw: Buffer.alloc(10, 5) }], { hold: true, settleFirst: [g(5)] });
  await again.withdraw([g(5)]);
  assert.equal(again.refuseFirst(g(5)), false, 'withdrawn');
  await again.close();

  const third = await Outbox.open(dir, '127.0.0.1:7770');
  assert.equal(third.refuseFirst(g(1)), true, 'kept by the compaction of the second start');
  assert.deepEqual([g(2), g(3), g(5)].map((k) => third.refuseFirst(k)), [false, false, false]);
  await third.close();
});
