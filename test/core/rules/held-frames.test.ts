// Unit tests of HeldFrames (src/core/rules/held-frames.ts): the frames whose notification waits
// for their target, the bound on them, and the record of changes a rolled-back commit undoes.
// Frames are the reference's vectors; targets and dynamic GHIDs are random.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { GolixObject } from '../../../src/core/golix/index.js';
import { HeldFrames } from '../../../src/core/rules/held-frames.js';
import { v16Objects } from '../../fixtures/vectors.js';

/** A fresh GHID text: address algorithm 1 and 64 random digest bytes. */
function gh(): string {
  const b = randomBytes(65);
  b[0] = 1;
  return b.toString('base64url') + '=';
}

test('HeldFrames: hold, replace, unhold, release, and the bound on held frames (oldest target first)', () => {
  const objs = v16Objects()
    .filter((o) => o.obj.type === 'GOBD')
    .map((o) => o.obj);
  const [f0, f1, f2, f3, f4] = objs as [GolixObject, GolixObject, GolixObject, GolixObject, GolixObject];
  const [t1, t2, t3, d1, d2, d3, d4, d5] = Array.from({ length: 8 }, gh);
  const keys = (m: Map<string, GolixObject> | undefined) => (m ? [...m].map(([k, v]) => [k, v.ghid.text]) : undefined);

  // Hold, replace (same dynamic, same target), release once.
  const h = new HeldFrames(10);
  h.hold(t1!, d1!, f0);
  h.hold(t1!, d1!, f1);
  h.hold(t1!, d2!, f2);
  assert.deepEqual(keys(h.release(t1!)), [
    [d1, f1.ghid.text],
    [d2, f2.ghid.text],
  ]);
  assert.equal(h.release(t1!), undefined, 'released frames are forgotten');
  assert.equal(h.release(t2!), undefined);

  // Unhold: only that dynamic's frame for that target; unknown pairs are a no-op.
  h.hold(t1!, d1!, f0);
  h.hold(t1!, d2!, f1);
  h.unhold(t1!, d1!);
  h.unhold(t1!, d3!);
  h.unhold(t2!, d2!);
  assert.deepEqual(keys(h.release(t1!)), [[d2, f1.ghid.text]]);

  // The bound: replacing does not count twice; past the bound the oldest target goes whole.
  const b = new HeldFrames(3);
  b.hold(t1!, d1!, f0);
  b.hold(t1!, d1!, f1); // replace: still one
  b.hold(t1!, d2!, f2);
  b.hold(t2!, d3!, f3); // 3 held
  b.hold(t3!, d4!, f4); // 4 > 3: t1 (2 frames) goes
  assert.equal(b.release(t1!), undefined);
  b.hold(t3!, d5!, f0); // 3 held again: nothing goes
  assert.deepEqual(keys(b.release(t2!)), [[d3, f3.ghid.text]]);
  assert.deepEqual(keys(b.release(t3!)), [
    [d4, f4.ghid.text],
    [d5, f0.ghid.text],
  ]);

  // Counting stays right through unhold: after emptying a target it is gone, and a target held
  // again is the newest.
  const u = new HeldFrames(2);
  u.hold(t1!, d1!, f0);
  u.hold(t2!, d2!, f1);
  u.unhold(t1!, d1!);
  u.hold(t1!, d3!, f2); // t1 is now newer than t2
  u.hold(t3!, d4!, f3); // 3 > 2: t2 (oldest) goes
  assert.equal(u.release(t2!), undefined);
  assert.deepEqual(keys(u.release(t1!)), [[d3, f2.ghid.text]]);
  assert.deepEqual(keys(u.release(t3!)), [[d4, f3.ghid.text]]);

  // A bound of 0 keeps nothing.
  const z = new HeldFrames(0);
  z.hold(t1!, d1!, f0);
  assert.equal(z.release(t1!), undefined);
});

test('HeldFrames: a rollback undoes the changes of the objects it undid, newest first, and no more', () => {
  const [f0, f1, f2] = v16Objects()
    .filter((o) => o.obj.type === 'GOBD')
    .map((o) => o.obj) as [GolixObject, GolixObject, GolixObject];
  const [t1, t2, d1, d2, a, b, c, d] = Array.from({ length: 8 }, gh) as string[];
  const keys = (m: Map<string, GolixObject> | undefined) => (m ? [...m].map(([k, v]) => [k, v.ghid.text]) : undefined);
  const h = new HeldFrames(2);
  const step = (ghid: string, change: () => void) => {
    h.begin(ghid);
    change();
    return h.end();
  };
  // Objects a to d, stored in turn. a holds f0 for t1 (durable, settled); b replaces it by f1
  // for t2 (durable, but not settled yet); c holds f2 for t1; d releases t1.
  const sa = step(a!, () => h.hold(t1!, d1!, f0));
  h.settle(sa);
  step(b!, () => {
    h.unhold(t1!, d1!);
    h.hold(t2!, d1!, f1);
  });
  step(c!, () => h.hold(t1!, d2!, f2));
  step(d!, () => h.release(t1!));
  // c and d were undone (not stored now); b is still stored, so it and a stay.
  const stored = new Set([a, b]);
  h.rollBack((g) => stored.has(g));
  assert.deepEqual(keys(h.release(t1!)), undefined, "c's frame is not held, b's unhold of f0 stands");
  assert.deepEqual(keys(h.release(t2!)), [[d1, f1.ghid.text]]);
  // A second rollback finds nothing more to undo: b's step is the newest and still stored.
  h.rollBack((g) => stored.has(g));
  assert.equal(h.release(t2!), undefined);

  // Undone in reverse: the bound's eviction comes back too, and a settled step is never undone.
  const e = new HeldFrames(1);
  e.begin(a!);
  e.hold(t1!, d1!, f0);
  e.settle(e.end());
  e.begin(b!);
  e.hold(t2!, d2!, f1); // evicts t1
  const sb = e.end();
  e.rollBack(() => false);
  assert.deepEqual(keys(e.release(t1!)), [[d1, f0.ghid.text]], 'the evicted frame is back');
  assert.equal(e.release(t2!), undefined);
  e.settle(sb); // already undone: a no-op
  // Changes outside begin()/end() (a repair on open) are not recorded, so nothing undoes them.
  e.hold(t1!, d1!, f2);
  e.rollBack(() => false);
  assert.deepEqual(keys(e.release(t1!)), [[d1, f2.ghid.text]]);
});
