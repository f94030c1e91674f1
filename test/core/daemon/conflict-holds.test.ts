// Our frames of an object held back from a remote while a conflict on it is open, against a real
// outbox: what is offered, what is done, and what is tried again, for each way a conflict ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFLICT_RETRY_MS, ConflictHolds } from '../../../src/core/daemon/conflict-holds.js';
import { Outbox } from '../../../src/core/daemon/outbox.js';
import type { FrameFacts } from '../../../src/core/daemon/frame-facts.js';

/** A GHID text (88 characters, as the outbox keeps them). */
const g = (name: string) => name.padEnd(88, '_');
const OBJ = g('object');
const OTHER = g('other');

/** Frame `n` of OBJ (or of `dynamic`) and its container. */
function frame(n: number, dynamic = OBJ): { ghid: string; facts: FrameFacts } {
  return { ghid: g(`${dynamic.slice(0, 5)}-frame-${n}`), facts: { dynamic, counter: BigInt(n), container: g(`${dynamic.slice(0, 5)}-container-${n}`), previous: null } };
}

/** An outbox holding frames 1..n of OBJ, each followed by its container, and the holds over it. */
async function setup(t: { after(fn: () => unknown): void }, n: number, sending: () => boolean = () => false) {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-holds-'));
  const outbox = await Outbox.open(dir, 'remote');
  t.after(async () => {
    holds.close();
    await outbox.close();
    await rm(dir, { recursive: true, force: true });
  });
  const frames = Array.from({ length: n }, (_, i) => frame(i + 1));
  await outbox.add(frames.flatMap((f) => [f, { ghid: f.facts.container }].map((o) => ({ ghid: o.ghid, raw: Buffer.from(o.ghid) }))));
  let resends = 0;
  const holds = new ConflictHolds(outbox, () => resends++, sending);
  const offered = () => outbox.items().map(([ghid]) => ghid);
  return { outbox, holds, frames, offered, resends: () => resends };
}

/** Frame 1 refused (its container refused after it, as unbound), frames 2..n and their containers asked about before being sent. */
function refuseFirst(s: Awaited<ReturnType<typeof setup>>) {
  const [first, ...later] = s.frames;
  const settle = s.holds.refused(first!.ghid, first!.facts);
  assert.ok(settle, 'the first refusal raises a conflict');
  assert.ok(s.holds.refusedContainer(first!.facts.container), 'its container is kept with it');
  for (const f of later) {
    assert.ok(s.holds.holdBack(f.ghid, f.facts), `frame ${f.facts.counter} is held back`);
    assert.ok(s.holds.holdBack(f.facts.container, null), `container ${f.facts.counter} is held back`);
  }
  return settle!;
}

test('once a frame is refused, the object\'s later frames and their containers are held back; other objects go', async (t) => {
  const s = await setup(t, 3);
  refuseFirst(s);
  assert.deepEqual(s.offered(), [], 'nothing of the object is offered');
  assert.equal(s.outbox.size, 6, 'but all of it is kept');
  const other = frame(1, OTHER);
  assert.equal(s.holds.holdBack(other.ghid, other.facts), false);
  assert.equal(s.holds.holdBack(g('some container'), null), false);
  const again = frame(2);
  assert.equal(s.holds.refused(again.ghid, again.facts), null, 'a refusal while the conflict is open joins it');
  assert.equal(s.holds.frames, 3);
});

test('settled on top: what is held at or below that counter is done; the frame on top and anything above go', async (t) => {
  const s = await setup(t, 3);
  const settle = refuseFirst(s);
  // Our state written again on top of the remote's frame, as frame 4 (queued, then held too).
  const top = frame(4);
  await s.outbox.add([top, { ghid: top.facts.container }].map((o) => ({ ghid: o.ghid, raw: Buffer.from(o.ghid) })));
  assert.ok(s.holds.holdBack(top.ghid, top.facts));
  const after = frame(5);
  await s.outbox.add([{ ghid: after.ghid, raw: Buffer.from('5') }]);
  assert.ok(s.holds.holdBack(after.ghid, after.facts));
  settle({ top: top.ghid, counter: 4n });
  assert.deepEqual(s.offered(), [top.ghid, top.facts.container, after.ghid], 'the frame on top, its container, and what came after it');
  assert.equal(s.outbox.size, 3, 'frames 1..3 and their containers are done');
  assert.equal(s.holds.frames, 0);
  assert.equal(s.resends(), 1);
  settle({ top: top.ghid, counter: 4n });
  assert.equal(s.resends(), 1, 'a conflict settles once');
});

test('settled on top by the remote\'s own frame (it holds all of ours): every frame held at or below it is done', async (t) => {
  const s = await setup(t, 3);
  refuseFirst(s)({ top: g('the remote frame'), counter: 3n });
  assert.equal(s.outbox.size, 0);
});

test('the remote\'s frame cannot be read here: our later frames go as they are; the refused one waits and is tried again', async (t) => {
  const s = await setup(t, 3);
  const [first, second, third] = s.frames;
  refuseFirst(s)('send-rest');
  assert.deepEqual(s.offered(), [second!.ghid, second!.facts.container, third!.ghid, third!.facts.container]);
  // Frames written meanwhile are not held either.
  const next = frame(4);
  assert.equal(s.holds.holdBack(next.ghid, next.facts), false);
  assert.equal(s.holds.frames, 1, 'the refused frame is kept');
  await new Promise((r) => setTimeout(r, CONFLICT_RETRY_MS.first + 200));
  assert.deepEqual(s.offered().slice(0, 2), [first!.ghid, first!.facts.container], 'offered again, in its place');
  assert.equal(s.resends(), 2, 'once at the settling, once at the retry');
  assert.ok(s.holds.refused(first!.ghid, first!.facts), 'refused again: a new conflict is raised');
});

test('not ours to resolve: the refused frame is done and the rest go', async (t) => {
  const s = await setup(t, 2);
  const [, second] = s.frames;
  refuseFirst(s)('dismiss');
  assert.deepEqual(s.offered(), [second!.ghid, second!.facts.container]);
  assert.equal(s.outbox.size, 2);
});

test('a conflict that failed to settle keeps everything until it is tried again; one being resolved is left alone', async (t) => {
  const s = await setup(t, 2);
  const settle = refuseFirst(s);
  s.holds.retryIdle();
  assert.deepEqual(s.offered(), [], 'being resolved: nothing goes');
  settle('failed');
  assert.deepEqual(s.offered(), []);
  assert.equal(s.outbox.size, 4);
  s.holds.retryIdle();
  assert.equal(s.offered().length, 4, 'everything is offered again, in order');
  assert.equal(s.outbox.size, 4);
  assert.equal(s.holds.frames, 0);
});

test('a conflict nobody heard (a start, before the daemon listens) keeps everything until it is raised again', async (t) => {
  const s = await setup(t, 2);
  refuseFirst(s);
  s.holds.unheard(OBJ);
  await new Promise((r) => setTimeout(r, CONFLICT_RETRY_MS.first + 200));
  assert.deepEqual(s.offered(), [], 'no timer sends it meanwhile');
  s.holds.retryIdle();
  assert.equal(s.offered().length, 4, 'offered again once the daemon listens');
});

test('a retry waits for the send under way: our later frames still to come in it stay held back until the refused one is offered again (the daemon listening just after a start\'s refusal, seed 21)', async (t) => {
  let sending = true;
  const s = await setup(t, 3, () => sending);
  const [first, second, third] = s.frames as [ReturnType<typeof frame>, ReturnType<typeof frame>, ReturnType<typeof frame>];
  // The send under way: frame 1 refused before anyone listened, and its container's refusal still on its way.
  assert.ok(s.holds.refused(first.ghid, first.facts));
  s.holds.unheard(OBJ);
  s.holds.retryIdle();
  // The same send goes on to the later frames: still held back, and the container's refusal is kept with its frame.
  assert.ok(s.holds.holdBack(second.ghid, second.facts), 'frame 2 is held back');
  assert.ok(s.holds.holdBack(second.facts.container, null));
  assert.ok(s.holds.refusedContainer(first.facts.container), 'the refused frame\'s container is kept with it');
  assert.ok(s.holds.holdBack(third.ghid, third.facts), 'frame 3 is held back');
  assert.ok(s.holds.holdBack(third.facts.container, null));
  assert.deepEqual(s.offered(), [], 'nothing is offered again during the send');
  assert.equal(s.resends(), 0);
  // The send ends (the next may start at once: the retry is done before it).
  sending = false;
  s.holds.betweenSends();
  assert.deepEqual(s.offered(), s.outbox.all().map(([ghid]) => ghid), 'once it ended, everything is offered again, in order');
  assert.equal(s.offered()[0], first.ghid, 'the refused frame first: its refusal holds the rest again');
  assert.equal(s.resends(), 1);
  assert.equal(s.holds.frames, 0);
  s.holds.betweenSends();
  assert.equal(s.resends(), 1, 'done once');
});
