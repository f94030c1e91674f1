// What an accepted object does to the store and the indexes (rules/effects.ts), driven directly
// over a memory store's entries with real objects (the reference vectors): a frame whose
// container is not stored waits and is told once it comes; a newer frame replaces the one before,
// whose container nothing binds any more and goes; the usage ledger follows every put and delete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entryOf } from '../../../src/core/store/entry.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { RuleEffects } from '../../../src/core/rules/effects.js';
import { HeldFrames } from '../../../src/core/rules/held-frames.js';
import { RuleIndexes } from '../../../src/core/rules/indexes.js';
import type { Notification } from '../../../src/core/rules/persistence-engine.js';
import { UsageLedger } from '../../../src/core/rules/usage.js';
import { v16Objects } from '../../fixtures/vectors.js';

const v16 = v16Objects();
const frame = (n: number) => v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === n)!;
const container = (n: number) => v16.find((o) => o.obj.type === 'GEOC' && o.entry.chain_counter === n)!;

async function world() {
  const store = new MemoryStore();
  const { entries } = await store.load();
  const state = { ix: RuleIndexes.derive(entries, null), store, held: new HeldFrames<Notification>(100), ledger: new UsageLedger({}) };
  const effects = new RuleEffects(state);
  const apply = async (o: (typeof v16)[number]) => {
    const writes: Promise<void>[] = [];
    const notes: Notification[] = [];
    effects.apply(entryOf(o.obj), o.obj, writes, notes, 'uploader');
    await Promise.all(writes);
    return notes;
  };
  return { store, state, apply };
}

test('a frame whose container is not stored waits; the container coming tells it, with who uploaded it', async () => {
  const { apply, state } = await world();
  const signer = v16.find((o) => o.obj.type === 'GIDC' && o.obj.ghid.text === frame(0).entry.binder)!;
  await apply(signer);
  assert.deepEqual(await apply(frame(0)), [], 'held: its container is not here');
  assert.ok(state.ix.frames.has(frame(0).entry.ghid_dynamic!), 'stored and current all the same');
  const told = await apply(container(0));
  assert.equal(told.length, 1);
  assert.equal(told[0]!.object.ghid.text, frame(0).obj.ghid.text);
  assert.equal(told[0]!.subscribed.text, frame(0).entry.ghid_dynamic);
  assert.equal(told[0]!.origin, 'uploader');
});

test("a newer frame replaces the one before; the container only the old one bound goes; the ledger follows", async () => {
  const { apply, state, store } = await world();
  for (const o of [container(0), frame(0)]) await apply(o);
  const signer = frame(0).entry.binder!;
  const before = state.ledger.of(signer);
  assert.equal(before.objects, 2, 'the container and the frame count for their author');
  const told = [...(await apply(container(1))), ...(await apply(frame(1)))];
  assert.deepEqual(told.map((n) => n.object.ghid.text), [frame(1).obj.ghid.text], 'the new frame told, its container being here');
  assert.equal(state.ix.entries.ghidAt(state.ix.frames.get(frame(0).entry.ghid_dynamic!)!), frame(1).obj.ghid.text, 'current now');
  assert.equal(await store.read(frame(0).obj.ghid.text), null, 'the old frame deleted');
  assert.equal(await store.read(container(0).obj.ghid.text), null, 'its container collected: nothing binds it');
  assert.ok(await store.read(container(1).obj.ghid.text), 'the new container stays');
  assert.equal(state.ledger.of(signer).objects, 2, 'the new pair counted, the old one taken off');
  assert.equal(state.ledger.of(signer).bytes, container(1).raw.length + frame(1).raw.length);
});
