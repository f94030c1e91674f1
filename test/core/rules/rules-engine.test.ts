// The server acceptance rules against the reference's vectors (vectors README §2.6 item 10)
// and every rejection case of golix §11, on both store backends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AlreadyDebound,
  DoesNotExist,
  Ghid,
  HypergolixError,
  IllegalDynamicFrame,
  InconsistentAuthor,
  InvalidIdentity,
  InvalidTarget,
  MalformedGolixPrimitive,
  Secret,
  UnboundContainer,
  VerificationFailure,
  makeContainer,
  makeDebinding,
  makeFrame,
  makeStatic,
  packGobd,
  signObject,
  type Gobd,
} from '../../../src/core/golix/index.js';
import { frameOf } from '../../../src/core/golix/builders.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { FileStore } from '../../../src/core/store/file-store.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import type { ObjectStore } from '../../../src/core/store/object-store.js';
import { HeldStore } from '../../fixtures/store/held-store.js';
import { V2016_DIRS, read2016, readV16, v16Identity, v16Objects } from '../../fixtures/vectors.js';

const v16 = v16Objects();
const byIndex = (i: number) => v16[i]!;
const alice = v16Identity(0);
const bob = v16Identity(1);
const temps: string[] = [];
test.after(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

async function fileStore(): Promise<FileStore> {
  const d = await mkdtemp(join(tmpdir(), 'hgx-rules-'));
  temps.push(d);
  return new FileStore(join(d, 'ghidcache'));
}

async function engineWith(store: ObjectStore = new MemoryStore(), options = {}) {
  return (await RulesEngine.open(store, options)).engine;
}

async function rejects(engine: RulesEngine, raw: Buffer, cls: new (...a: never[]) => HypergolixError) {
  const before = engine.stats().objects;
  await assert.rejects(engine.ingest(raw), (err: unknown) => err instanceof cls);
  assert.equal(engine.stats().objects, before, 'a refusal stores nothing');
}

/** Publishes the v16 set in a valid order (vectors README §2.6 item 10). */
async function publishValid(engine: RulesEngine) {
  const notes = [];
  for (const i of [0, 1, 2, 11, 3]) assert.equal((await engine.ingest(byIndex(i).raw)).stored, true);
  for (let i = 12; i < 32; i += 2) {
    // Each frame is followed by its container (binding before container).
    const frame = v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === (i - 12) / 2)!;
    const geoc = v16.find((o) => o.obj.type === 'GEOC' && o.entry.chain_counter === (i - 12) / 2)!;
    notes.push(...(await engine.ingest(frame.raw)).notifications, ...(await engine.ingest(geoc.raw)).notifications);
  }
  return notes;
}

for (const [name, makeStore] of [
  ['memory', async () => new MemoryStore()],
  ['file', fileStore],
] as const) {
  test(`${name}: the reference scenario — publish, get, refusals, debindings`, async () => {
    const engine = await engineWith(await makeStore());
    const notes = await publishValid(engine);
    const dynamic = Ghid.fromText(byIndex(12).entry.ghid_dynamic ?? v16.find((o) => o.obj.type === 'GOBD')!.entry.ghid_dynamic!);
    // Every frame is announced once its container is stored.
    assert.equal(notes.filter((n) => n.subscribed.equals(dynamic)).length, 10);
    const frame9 = v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === 9)!;
    assert.deepEqual(await engine.get(dynamic), frame9.raw);
    // Only the current frame and its container survive; replaced frames and containers are collected.
    assert.equal(engine.stats().byType.GOBD, 1);
    assert.equal(engine.stats().byType.GEOC, 2);
    for (let i = 4; i <= 10; i++) await rejects(engine, byIndex(i).raw, UnboundContainer);
    const frame3 = v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === 3)!;
    await rejects(engine, frame3.raw, IllegalDynamicFrame);
    // Re-publishing the current frame is a no-op success.
    assert.equal((await engine.ingest(frame9.raw)).stored, false);

    const garqs = [35, 36, 37, 38].map(byIndex);
    for (const g of garqs) {
      const r = await engine.ingest(g.raw);
      assert.deepEqual(r.notifications.map((n) => n.subscribed.text), [g.entry.recipient]);
    }
    const replay = await engine.requestsFor(bob.ghid);
    assert.deepEqual(replay.map((b) => b.toString('hex')).sort(), garqs.map((g) => g.raw.toString('hex')).sort());

    const gobs = byIndex(11);
    await engine.ingest(byIndex(32).raw); // GDXX of the GOBS
    assert.equal(engine.exists(Ghid.fromText(gobs.entry.ghid)), false);
    assert.equal(engine.exists(Ghid.fromText(byIndex(3).entry.ghid)), false, 'its container is collected');
    await rejects(engine, gobs.raw, AlreadyDebound);
    await engine.ingest(byIndex(34).raw); // GDXX of that GDXX lifts the block
    assert.equal((await engine.ingest(gobs.raw)).stored, true);
    assert.equal((await engine.ingest(byIndex(3).raw)).stored, true);

    const r = await engine.ingest(byIndex(33).raw); // GDXX of the dynamic binding
    assert.deepEqual(r.notifications.map((n) => [n.subscribed.text, n.object.type]), [[dynamic.text, 'GDXX']]);
    await assert.rejects(engine.get(dynamic), DoesNotExist);
    await rejects(engine, frame9.raw, AlreadyDebound);
    await engine.close();
  });
}

test('state survives a restart of a file-backed engine', async () => {
  const store = await fileStore();
  const engine = await engineWith(store);
  await publishValid(engine);
  const before = engine.stats();
  await engine.close();
  const again = await engineWith(new FileStore(store.dir));
  assert.deepEqual(again.stats(), before);
  const frame3 = v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === 3)!;
  await rejects(again, frame3.raw, IllegalDynamicFrame);
  await again.close();
});

test('refusals: malformed, unknown identity, bad signature, wrong debinder, wrong binder', async () => {
  const engine = await engineWith();
  await rejects(engine, Buffer.from('GARBAGE!'), MalformedGolixPrimitive);
  await rejects(engine, readV16('negative/gobd_ghid_bitflip.bin'), MalformedGolixPrimitive);
  await rejects(engine, byIndex(11).raw, InvalidIdentity); // GOBS before its binder's GIDC
  await rejects(engine, byIndex(35).raw, InvalidIdentity); // GARQ before its recipient's GIDC
  for (const i of [0, 1, 2]) await engine.ingest(byIndex(i).raw);
  await rejects(engine, readV16('negative/geoc_wrong_signature.bin'), VerificationFailure);
  await engine.ingest(byIndex(11).raw);
  // Bob may not debind Alice's binding.
  await rejects(engine, (await makeDebinding(bob, Ghid.fromText(byIndex(11).entry.ghid))).raw, InconsistentAuthor);
  // Nor may anyone debind a GIDC or a container.
  await rejects(engine, (await makeDebinding(alice, alice.ghid)).raw, InvalidTarget);
  // Bob may not write a frame into Alice's dynamic binding.
  const first = await makeFrame(alice, Ghid.fromText(byIndex(3).entry.ghid));
  await engine.ingest(first.raw);
  const bobFrame = await signObject<Gobd>(
    packGobd(bob.ghid, 5n, [Ghid.fromDigest(Buffer.alloc(64, 1)), first.targets[0]!], first.dynamic).unsigned,
    bob,
  );
  await rejects(engine, bobFrame.raw, InconsistentAuthor);
  // A binding may not target an identity.
  await rejects(engine, (await makeStatic(alice, bob.ghid)).raw, InvalidTarget);
});

test('a dynamic binding that would close a cycle is refused', async () => {
  const engine = await engineWith();
  await engine.ingest(alice.publicIdentity.raw);
  const c = await makeContainer(alice, Secret.random(), Buffer.from('one state, long enough to be unique'));
  const a0 = await makeFrame(alice, c.ghid);
  await engine.ingest(a0.raw);
  const b0 = await makeFrame(alice, a0.dynamic); // B → A
  await engine.ingest(b0.raw);
  const a1 = await makeFrame(alice, b0.dynamic, frameOf(a0)); // A → B: cycle
  await rejects(engine, a1.raw, InvalidTarget);
});

test("a first frame that closes a cycle through a binding that named it before it existed is refused", async () => {
  const engine = await engineWith();
  await engine.ingest(alice.publicIdentity.raw);
  const c = await makeContainer(alice, Secret.random(), Buffer.from('one state, long enough to be unique'));
  const a0 = await makeFrame(alice, c.ghid);
  await engine.ingest(a0.raw);
  const b0 = await makeFrame(alice, a0.dynamic); // B → A, not sent yet: B's GHID is known from it
  await engine.ingest((await makeFrame(alice, b0.dynamic, frameOf(a0))).raw); // A → B (B unknown: taken)
  await rejects(engine, b0.raw, InvalidTarget); // B → A → B
});

test('a debound dynamic binding that another dynamic binding binds is kept, takes newer frames, and goes once unbound (golix §10)', async () => {
  const engine = await engineWith();
  await engine.ingest(alice.publicIdentity.raw);
  const [c1, c2] = [await makeContainer(alice, Secret.random(), Buffer.from('the first state, long enough')), await makeContainer(alice, Secret.random(), Buffer.from('another state, long enough too'))];
  const d1 = await makeFrame(alice, c1.ghid);
  await engine.ingest(d1.raw);
  await engine.ingest(c1.raw);
  const d2 = await makeFrame(alice, d1.dynamic); // D2 → D1
  await engine.ingest(d2.raw);
  await engine.ingest((await makeDebinding(alice, d1.dynamic)).raw);
  assert.ok(engine.exists(d1.dynamic), 'held by D2: kept');
  const d1next = await makeFrame(alice, c1.ghid, frameOf(d1));
  await engine.ingest(d1next.raw);
  assert.equal(engine.currentFrame(d1.dynamic)?.ghid, d1next.ghid.text);
  // D2 moves on: nothing binds D1 any more, and its debinding takes effect.
  await engine.ingest(c2.raw).catch(() => {});
  await engine.ingest((await makeFrame(alice, c2.ghid, frameOf(d2))).raw);
  assert.equal(engine.exists(d1.dynamic), false, 'unbound and debound: collected');
});

test('a frame published before its container is announced when the container arrives', async () => {
  const engine = await engineWith();
  await engine.ingest(alice.publicIdentity.raw);
  const c = await makeContainer(alice, Secret.random(), Buffer.from('one state, long enough to be unique'));
  const f = await makeFrame(alice, c.ghid);
  assert.deepEqual((await engine.ingest(f.raw)).notifications, []);
  const r = await engine.ingest(c.raw);
  assert.deepEqual(r.notifications.map((n) => [n.subscribed.text, n.object.ghid.text]), [[f.dynamic.text, f.ghid.text]]);
});

test('the applied hook hands over released notifications while the commit is still being written, once, readable', async () => {
  const store = new HeldStore();
  const release = store.hold();
  const engine = await engineWith(store);
  const id = engine.ingest(alice.publicIdentity.raw);
  const c = await makeContainer(alice, Secret.random(), Buffer.from('one state, long enough to be unique'));
  const f = await makeFrame(alice, c.ghid);
  const calls: string[][] = [];
  const hooks = { applied: (notes: { object: { ghid: Ghid } }[]) => void calls.push(notes.map((n) => n.object.ghid.text)) };
  const frame = engine.ingest(f.raw, hooks);
  let readBack: Promise<Buffer[]> | null = null;
  const container = engine.ingest(c.raw, {
    applied: (notes) => {
      hooks.applied(notes);
      readBack = Promise.all([engine.get(f.dynamic), engine.get(c.ghid)]);
    },
  });
  let settled = false;
  void Promise.all([id, frame, container]).then(() => (settled = true));
  // The checks run on the thread pool, which a busy machine may keep for a while: wait for the
  // hook (bounded), not for a fixed time (20 ms failed once under the full suite).
  for (let i = 0; i < 500 && calls.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(calls, [[f.ghid.text]], 'the frame releases nothing; its container releases the frame, once');
  assert.equal(settled, false, 'the ingests wait for durability');
  assert.deepEqual(await readBack, [f.raw, c.raw], 'readable through get() before anything is durable');
  release();
  const r = await container;
  assert.deepEqual(r.notifications.map((n) => n.object.ghid.text), [f.ghid.text], 'the result still carries them');
  assert.deepEqual(calls.length, 1);
  // A refusal applies nothing and calls nothing.
  await assert.rejects(engine.ingest(Buffer.from('not golix'), hooks), (err: unknown) => err instanceof MalformedGolixPrimitive);
  assert.equal(calls.length, 1);
  // A hook that throws does not fail the ingest, whose result still carries the news.
  const c2 = await makeContainer(alice, Secret.random(), Buffer.from('another state, long enough to be unique'));
  const f2 = await makeFrame(alice, c2.ghid);
  await engine.ingest(f2.raw);
  const thrown = await engine.ingest(c2.raw, {
    applied: () => {
      throw new Error('a listener failed');
    },
  });
  assert.deepEqual(thrown.notifications.map((n) => n.object.ghid.text), [f2.ghid.text]);
  assert.deepEqual(await engine.get(c2.ghid), c2.raw);
});

test('a provisional debinding by the wrong author does not block the real target', async () => {
  const engine = await engineWith();
  for (const id of [alice, bob]) await engine.ingest(id.publicIdentity.raw);
  const c = await makeContainer(alice, Secret.random(), Buffer.from('one state, long enough to be unique'));
  const gobs = await makeStatic(alice, c.ghid);
  await engine.ingest((await makeDebinding(bob, gobs.ghid)).raw); // unknown target: provisional
  assert.equal((await engine.ingest(gobs.raw)).stored, true);
  // The rightful author's provisional debinding does block it.
  const gobs2 = await makeStatic(alice, Ghid.fromDigest(Buffer.alloc(64, 9)));
  await engine.ingest((await makeDebinding(alice, gobs2.ghid)).raw);
  await rejects(engine, gobs2.raw, AlreadyDebound);
});

test('a held dynamic binding survives its debinding until the hold goes', async () => {
  const engine = await engineWith();
  await engine.ingest(alice.publicIdentity.raw);
  const c = await makeContainer(alice, Secret.random(), Buffer.from('one state, long enough to be unique'));
  const f = await makeFrame(alice, c.ghid);
  const hold = await makeStatic(alice, f.dynamic);
  for (const o of [f, c, hold]) await engine.ingest(o.raw);
  await engine.ingest((await makeDebinding(alice, f.dynamic)).raw);
  assert.equal(engine.exists(f.dynamic), true);
  await engine.ingest((await makeDebinding(alice, hold.ghid)).raw);
  assert.equal(engine.exists(f.dynamic), false);
  assert.equal(engine.exists(c.ghid), false);
});

test('2016 caches: v15 refused by default; accepted when enabled, every GARQ ends up debound', async () => {
  const files = V2016_DIRS.flatMap((d) => read2016(d));
  const strict = await engineWith();
  const gobd = files.find((f) => f.raw.toString('latin1', 0, 4) === 'GOBD')!;
  await rejects(strict, gobd.raw, MalformedGolixPrimitive);

  for (const order of [files, [...files].reverse()]) {
    const engine = await engineWith(new MemoryStore(), { acceptV15: true });
    let remaining = order.map((f) => f.raw);
    // Objects depend on each other (identities first, bindings before containers): retry until stable.
    for (let pass = 0; remaining.length > 0 && pass < 10; pass++) {
      const next: Buffer[] = [];
      for (const raw of remaining) {
        try {
          await engine.ingest(raw);
        } catch (err) {
          if (err instanceof AlreadyDebound) continue;
          next.push(raw);
        }
      }
      remaining = next;
    }
    assert.equal(remaining.length, 0);
    assert.equal(engine.stats().byType.GARQ, 0, 'each GARQ is debound by its recipient');
    assert.equal(engine.stats().byType.GDXX, 4);
  }
});

test('pipelined ingests apply in call order: identity, binding and container issued without waiting', async () => {
  const engine = await engineWith();
  const c = await makeContainer(alice, Secret.random(), Buffer.from('pipelined'));
  const f = await makeFrame(alice, c.ghid);
  const gobs = await makeStatic(alice, c.ghid);
  // No awaits between the calls: the GIDC's apply must precede the frame's check, and the
  // frame's the container's, whatever order their parsing and verification finish in.
  const results = await Promise.all([alice.publicIdentity.raw, f.raw, c.raw, gobs.raw].map((raw) => engine.ingest(raw)));
  assert.deepEqual(results.map((r) => r.stored), [true, true, true, true]);
  // A refusal in the middle does not disturb the order of the others.
  const c2 = await makeContainer(alice, Secret.random(), Buffer.from('unbound'));
  const c3 = await makeContainer(alice, Secret.random(), Buffer.from('bound'));
  const f3 = await makeFrame(alice, c3.ghid);
  const outcomes = await Promise.allSettled([c2.raw, f3.raw, c3.raw].map((raw) => engine.ingest(raw)));
  assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'fulfilled', 'fulfilled']);
});

test('a newer frame that keeps its target keeps the container; one that moves on frees it', async () => {
  const engine = await engineWith();
  await engine.ingest(alice.publicIdentity.raw);
  // Long enough that the two containers never coincide: a 1-byte state encrypts to 1 byte, and
  // two of them by one author were the same object once in 256 runs.
  const c = await makeContainer(alice, Secret.random(), Buffer.from('the first state of the object'));
  const f0 = await makeFrame(alice, c.ghid);
  for (const o of [f0, c]) await engine.ingest(o.raw);
  const f1 = await makeFrame(alice, c.ghid, frameOf(f0));
  assert.equal((await engine.ingest(f1.raw)).stored, true);
  assert.equal(engine.exists(c.ghid), true, 'the container the new frame targets stays');
  assert.equal(engine.exists(f0.ghid), false);
  assert.deepEqual(await engine.get(f1.dynamic), f1.raw);
  assert.deepEqual(engine.bindingsOf(c.ghid).map((g) => g.text), [f1.dynamic.text]);
  const c2 = await makeContainer(alice, Secret.random(), Buffer.from('the second state of the object'));
  const f2 = await makeFrame(alice, c2.ghid, frameOf(f1));
  for (const o of [f2, c2]) await engine.ingest(o.raw);
  assert.equal(engine.exists(c.ghid), false, 'the old container, bound by nothing now, is collected');
  assert.deepEqual(engine.bindingsOf(c2.ghid).map((g) => g.text), [f2.dynamic.text]);
});

test('an ingest after close is refused with the store\'s typed error, and leaves nothing half-indexed', async () => {
  const engine = await engineWith(await fileStore());
  await engine.ingest(alice.publicIdentity.raw);
  await engine.close();
  const c = await makeContainer(alice, Secret.random(), Buffer.from('one state, long enough to be unique'));
  const f = await makeFrame(alice, c.ghid);
  await assert.rejects(engine.ingest(f.raw), (err: unknown) => err instanceof HypergolixError && /closed/.test(err.message));
  assert.equal(engine.exists(f.dynamic), false);
  assert.deepEqual(engine.bindingsOf(c.ghid), []);
});
