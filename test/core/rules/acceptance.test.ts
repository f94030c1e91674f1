// Unit tests of the acceptance rules (src/core/rules/acceptance.ts: supersedes, checkAcceptance,
// admitToQuota; golix §9, §10, §11 steps 5–7), against RuleIndexes built here over an EntryTable, the way RulesEngine builds them (no engine, no
// signatures). Entries are synthetic except where a case says it uses the reference's vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  AlreadyDebound,
  HypergolixError,
  IllegalDynamicFrame,
  InconsistentAuthor,
  InvalidIdentity,
  InvalidTarget,
  RegistrationRequired,
  UnboundContainer,
} from '../../../src/core/golix/index.js';
import { admitToQuota, checkAcceptance, type AcceptanceOptions } from '../../../src/core/rules/acceptance.js';
import { supersedes } from '../../../src/core/rules/frame-order.js';
import { RuleIndexes } from '../../../src/core/rules/indexes.js';
import { QuotaExceeded, UsageLedger, type QuotaOptions } from '../../../src/core/rules/usage.js';
import { EntryTable } from '../../../src/core/store/entry-table.js';
import { entryOf, type Entry } from '../../../src/core/store/entry.js';
import { v16Objects } from '../../fixtures/vectors.js';

// ---- synthetic entries (sizes as golix §3 gives them)

/** A fresh GHID text: address algorithm 1 and 64 random digest bytes. */
function gh(): string {
  const b = randomBytes(65);
  b[0] = 1;
  return b.toString('base64url') + '=';
}

const gidc = (ghid = gh()): Entry => ({ ghid, type: 'GIDC', version: 2, size: 1130 });
const geoc = (author: string, size = 700): Entry => ({ ghid: gh(), type: 'GEOC', version: 14, size, signer: author });
const gobs = (binder: string, target: string): Entry => ({ ghid: gh(), type: 'GOBS', version: 6, size: 716, signer: binder, target });
const gdxx = (debinder: string, target: string): Entry => ({ ghid: gh(), type: 'GDXX', version: 9, size: 716, signer: debinder, target });
const garq = (recipient: string): Entry => ({ ghid: gh(), type: 'GARQ', version: 12, size: 715, recipient });

/** A v16 frame; `targets` newest first (the current target is targets[0]). */
function gobd(binder: string, dynamic: string, counter: bigint, targets: string[]): Entry {
  return { ghid: gh(), type: 'GOBD', version: 16, size: 726 + 65 * targets.length, signer: binder, target: targets[0]!, targets, dynamic, counter, history: [] };
}

/** A v15 frame; `history` = previous frame GHIDs, newest first. */
function gobd15(binder: string, dynamic: string, target: string, history: string[]): Entry {
  return { ghid: gh(), type: 'GOBD', version: 15, size: 783 + 65 * history.length, signer: binder, target, targets: [target], dynamic, counter: null, history };
}

/**
 * A store: an EntryTable and RuleIndexes over it, kept the way RulesEngine.apply keeps them for
 * a stored object (a newer frame replaces the current one), but without any rule or GC: tests
 * lay out exactly the state they describe.
 */
class World {
  readonly table = new EntryTable();
  readonly ix = new RuleIndexes(this.table);
  readonly warnings: string[] = [];
  readonly options: AcceptanceOptions = { maxChainDepth: 3, warn: (m) => this.warnings.push(m) };

  put(...es: Entry[]): this {
    for (const e of es) {
      if (e.type === 'GOBD') {
        const prev = this.ix.frames.get(e.dynamic!);
        if (prev !== undefined) {
          this.ix.binders.remove(this.table.targetAt(prev)!, prev);
          this.ix.frames.delete(e.dynamic!);
          this.table.delete(this.table.ghidAt(prev));
        }
      }
      const ref = this.table.set(e);
      if (e.type === 'GOBD') this.ix.frames.set(e.dynamic!, ref);
      this.ix.index(ref);
    }
    return this;
  }

  /** Removes a stored object from the table and the indexes (a debinding's effect, a collection). */
  drop(e: Entry): this {
    const ref = this.table.refOf(e.ghid)!;
    if (e.type === 'GOBD' && this.ix.frames.get(e.dynamic!) === ref) {
      this.ix.frames.delete(e.dynamic!);
      this.ix.binders.remove(e.target!, ref);
    }
    if (e.type === 'GOBS') this.ix.binders.remove(e.target!, ref);
    if (e.type === 'GDXX') this.ix.debinders.remove(e.target!, ref);
    if (e.type === 'GARQ') this.ix.requests.remove(e.recipient!, ref);
    this.table.delete(e.ghid);
    return this;
  }

  check(e: Entry): void {
    checkAcceptance(this.ix, e, this.options);
  }

  ledger(quota: QuotaOptions): UsageLedger {
    const l = new UsageLedger(quota);
    for (const e of this.table.values()) l.add(e);
    return l;
  }
}

type ErrorClass = new (...a: never[]) => HypergolixError;

/** Asserts that `fn` throws exactly `cls` (not a subclass or a parent), or nothing when `cls` is null. */
function outcome(fn: () => void, cls: ErrorClass | null, label: string): void {
  if (cls === null) {
    assert.doesNotThrow(fn, label);
    return;
  }
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error, `${label}: threw a non-error`);
    assert.equal(err.constructor, cls, `${label}: expected ${cls.name}, got ${err.constructor.name}: ${err.message}`);
    return true;
  });
}

// Three identities, stored as GIDCs in every world below.
const alice = gh();
const bob = gh();
const carol = gh();

function world(): World {
  return new World().put(gidc(alice), gidc(bob), gidc(carol));
}

// ---- supersedes (golix §9, §11 note on v15)

test('supersedes: v16 by counter, v16 over v15 always, v15 never over v16, v15 over v15 by history', () => {
  const d = gh();
  const c = gh();
  const v16 = (n: bigint) => gobd(alice, d, n, [c]);
  const stored15 = gobd15(alice, d, c, []);
  const cases: [string, Entry, Entry, boolean][] = [
    ['v16 higher counter', v16(5n), v16(4n), true],
    ['v16 much higher counter (no +1 rule at the server)', v16(1000n), v16(4n), true],
    ['v16 equal counter', v16(4n), v16(4n), false],
    ['v16 lower counter', v16(3n), v16(4n), false],
    ['v16 counter 0 over v15', v16(0n), stored15, true],
    ['v15 over v16 counter 0', gobd15(alice, d, c, [gh()]), v16(0n), false],
    ['v15 listing the stored frame first', gobd15(alice, d, c, [stored15.ghid]), stored15, true],
    ['v15 listing the stored frame further back', gobd15(alice, d, c, [gh(), gh(), stored15.ghid]), stored15, true],
    ['v15 not listing the stored frame', gobd15(alice, d, c, [gh(), gh()]), stored15, false],
    ['v15 with an empty history', gobd15(alice, d, c, []), stored15, false],
  ];
  for (const [name, e, current, expected] of cases) assert.equal(supersedes(e, current), expected, name);
});

// ---- checkAcceptance, one table per type

interface Case {
  name: string;
  /** Lays out the stored state in `w` and returns the object being checked. */
  build: (w: World) => Entry;
  expect: ErrorClass | null;
}

function runCases(cases: Case[]): void {
  for (const c of cases) {
    const w = world();
    const e = c.build(w);
    outcome(() => w.check(e), c.expect, c.name);
  }
}

test('GIDC: always accepted', () => {
  runCases([
    { name: 'a new identity', build: () => gidc(), expect: null },
    { name: 'over an empty store', build: () => gidc(), expect: null },
  ]);
});

test('GEOC: refused (UnboundContainer) unless a GOBS or the current frame of a GOBD binds it', () => {
  runCases([
    { name: 'unbound', build: () => geoc(alice), expect: UnboundContainer },
    {
      name: 'bound by a GOBS',
      build: (w) => {
        const c = geoc(alice);
        w.put(gobs(alice, c.ghid));
        return c;
      },
      expect: null,
    },
    {
      name: "bound by someone else's GOBS",
      build: (w) => {
        const c = geoc(alice);
        w.put(gobs(bob, c.ghid));
        return c;
      },
      expect: null,
    },
    {
      name: 'bound by the current frame of a dynamic binding',
      build: (w) => {
        const c = geoc(alice);
        w.put(gobd(alice, gh(), 0n, [c.ghid]));
        return c;
      },
      expect: null,
    },
    {
      name: 'named only by an older entry of the current frame vector',
      build: (w) => {
        const c = geoc(alice);
        w.put(gobd(alice, gh(), 1n, [gh(), c.ghid]));
        return c;
      },
      expect: UnboundContainer,
    },
    {
      name: 'bound only by a frame that has since been replaced',
      build: (w) => {
        const c = geoc(alice);
        const d = gh();
        w.put(gobd(alice, d, 0n, [c.ghid]), gobd(alice, d, 1n, [gh(), c.ghid]));
        return c;
      },
      expect: UnboundContainer,
    },
    {
      name: 'bound by a GOBS that was removed (debound)',
      build: (w) => {
        const c = geoc(alice);
        const s = gobs(alice, c.ghid);
        w.put(s).drop(s);
        return c;
      },
      expect: UnboundContainer,
    },
  ]);
});

/** Stores a chain of `n` dynamic bindings D1 → D2 → … → Dn → a container; returns [D1…Dn]. */
function chain(w: World, n: number, binder = alice): string[] {
  const ds = Array.from({ length: n }, gh);
  const c = geoc(binder);
  ds.forEach((d, i) => w.put(gobd(binder, d, 0n, [ds[i + 1] ?? c.ghid])));
  w.put(c);
  return ds;
}

test('GOBS: target rules (unknown, GEOC or dynamic GHID only; chain depth and cycles) and debinding', () => {
  // maxChainDepth is 3 in World.
  runCases([
    { name: 'target not stored (accepted: the container comes after)', build: () => gobs(alice, gh()), expect: null },
    {
      name: 'target a stored container',
      build: (w) => {
        const c = geoc(alice);
        w.put(gobs(alice, c.ghid), c);
        return gobs(alice, c.ghid);
      },
      expect: null,
    },
    {
      name: "target someone else's container",
      build: (w) => {
        const c = geoc(bob);
        w.put(gobs(bob, c.ghid), c);
        return gobs(alice, c.ghid);
      },
      expect: null,
    },
    { name: 'target a dynamic GHID (chain of 1)', build: (w) => gobs(alice, chain(w, 1)[0]!), expect: null },
    { name: 'target a chain of maxChainDepth dynamic bindings', build: (w) => gobs(alice, chain(w, 3)[0]!), expect: null },
    { name: 'target a chain one deeper than maxChainDepth', build: (w) => gobs(alice, chain(w, 4)[0]!), expect: InvalidTarget },
    {
      name: 'target a chain that loops (stored state already circular): refused, and terminates',
      build: (w) => {
        const [d1, d2] = [gh(), gh()];
        w.put(gobd(alice, d1, 0n, [d2]), gobd(alice, d2, 0n, [d1]));
        return gobs(alice, d1);
      },
      expect: InvalidTarget,
    },
    {
      name: 'target a frame GHID (not its dynamic GHID)',
      build: (w) => {
        const f = gobd(alice, gh(), 0n, [gh()]);
        w.put(f);
        return gobs(alice, f.ghid);
      },
      expect: InvalidTarget,
    },
    { name: 'target a GIDC', build: () => gobs(alice, bob), expect: InvalidTarget },
    {
      name: 'target a GOBS',
      build: (w) => {
        const s = gobs(alice, gh());
        w.put(s);
        return gobs(alice, s.ghid);
      },
      expect: InvalidTarget,
    },
    {
      name: 'target a GDXX',
      build: (w) => {
        const x = gdxx(alice, gh());
        w.put(x);
        return gobs(alice, x.ghid);
      },
      expect: InvalidTarget,
    },
    {
      name: 'target a GARQ',
      build: (w) => {
        const r = garq(alice);
        w.put(r);
        return gobs(alice, r.ghid);
      },
      expect: InvalidTarget,
    },
    {
      name: 'already debound by its binder (replay)',
      build: (w) => {
        const s = gobs(alice, gh());
        w.put(gdxx(alice, s.ghid));
        return s;
      },
      expect: AlreadyDebound,
    },
    {
      name: 'a provisional debinding by someone else does not block it',
      build: (w) => {
        const s = gobs(alice, gh());
        w.put(gdxx(bob, s.ghid));
        return s;
      },
      expect: null,
    },
    {
      name: 'the block is lifted once the debinding is removed (debinding of the debinding)',
      build: (w) => {
        const s = gobs(alice, gh());
        const x = gdxx(alice, s.ghid);
        w.put(x).drop(x).put(gdxx(alice, x.ghid));
        return s;
      },
      expect: null,
    },
    {
      name: 'an illegal target is reported before the debinding (step 5 before step 7)',
      build: (w) => {
        const s = gobs(alice, bob);
        w.put(gdxx(alice, s.ghid));
        return s;
      },
      expect: InvalidTarget,
    },
  ]);
});

test('GOBD: targets, cycles, counters, author consistency and debinding', () => {
  const cases: Case[] = [
    { name: 'first frame, target not stored', build: () => gobd(alice, gh(), 0n, [gh()]), expect: null },
    {
      name: 'first frame, target a stored container',
      build: (w) => {
        const c = geoc(alice);
        w.put(gobs(alice, c.ghid), c);
        return gobd(alice, gh(), 0n, [c.ghid]);
      },
      expect: null,
    },
    {
      name: 'trust on first upload: an unknown dynamic GHID with a longer vector and any counter',
      build: () => gobd(bob, gh(), 7n, [gh(), gh()]),
      expect: null,
    },
    {
      name: 'target its own dynamic GHID',
      build: () => {
        const d = gh();
        return gobd(alice, d, 0n, [d]);
      },
      expect: InvalidTarget,
    },
    { name: 'target a GIDC', build: () => gobd(alice, gh(), 0n, [bob]), expect: InvalidTarget },
    {
      name: 'target a frame GHID',
      build: (w) => {
        const f = gobd(alice, gh(), 0n, [gh()]);
        w.put(f);
        return gobd(alice, gh(), 0n, [f.ghid]);
      },
      expect: InvalidTarget,
    },
    {
      name: 'target a GOBS',
      build: (w) => {
        const s = gobs(alice, gh());
        w.put(s);
        return gobd(alice, gh(), 0n, [s.ghid]);
      },
      expect: InvalidTarget,
    },
    {
      name: 'target a GARQ',
      build: (w) => {
        const r = garq(bob);
        w.put(r);
        return gobd(alice, gh(), 0n, [r.ghid]);
      },
      expect: InvalidTarget,
    },
    { name: 'target another dynamic binding (a chain of 1 below it)', build: (w) => gobd(alice, gh(), 0n, [chain(w, 1)[0]!]), expect: null },
    { name: 'target a chain of maxChainDepth', build: (w) => gobd(alice, gh(), 0n, [chain(w, 3)[0]!]), expect: null },
    { name: 'target a chain deeper than maxChainDepth', build: (w) => gobd(alice, gh(), 0n, [chain(w, 4)[0]!]), expect: InvalidTarget },
    {
      name: 'a newer frame of A → B where B → A is stored closes a cycle',
      build: (w) => {
        const [a, b] = [gh(), gh()];
        w.put(gobd(alice, a, 0n, [gh()]), gobd(alice, b, 0n, [a]));
        return gobd(alice, a, 1n, [b, gh()]);
      },
      expect: InvalidTarget,
    },
    {
      name: 'a newer frame of A → B where B → C → A is stored closes a cycle',
      build: (w) => {
        const [a, b, c] = [gh(), gh(), gh()];
        w.put(gobd(alice, a, 0n, [gh()]), gobd(alice, c, 0n, [a]), gobd(alice, b, 0n, [c]));
        return gobd(alice, a, 1n, [b, gh()]);
      },
      expect: InvalidTarget,
    },
    {
      name: 'counter higher than the stored frame',
      build: (w) => {
        const d = gh();
        w.put(gobd(alice, d, 4n, [gh(), gh()]));
        return gobd(alice, d, 5n, [gh(), gh()]);
      },
      expect: null,
    },
    {
      name: 'counter equal to the stored frame',
      build: (w) => {
        const d = gh();
        w.put(gobd(alice, d, 4n, [gh(), gh()]));
        return gobd(alice, d, 4n, [gh(), gh()]);
      },
      expect: IllegalDynamicFrame,
    },
    {
      name: 'counter lower than the stored frame',
      build: (w) => {
        const d = gh();
        w.put(gobd(alice, d, 4n, [gh(), gh()]));
        return gobd(alice, d, 3n, [gh(), gh()]);
      },
      expect: IllegalDynamicFrame,
    },
    {
      name: 'v16 over a stored v15 frame',
      build: (w) => {
        const d = gh();
        w.put(gobd15(alice, d, gh(), []));
        return gobd(alice, d, 0n, [gh()]);
      },
      expect: null,
    },
    {
      name: 'v15 over a stored v16 frame',
      build: (w) => {
        const d = gh();
        const f = gobd(alice, d, 0n, [gh()]);
        w.put(f);
        return gobd15(alice, d, gh(), [f.ghid]);
      },
      expect: IllegalDynamicFrame,
    },
    {
      name: 'v15 over v15, listing the stored frame in its history',
      build: (w) => {
        const d = gh();
        const f = gobd15(alice, d, gh(), []);
        w.put(f);
        return gobd15(alice, d, gh(), [f.ghid]);
      },
      expect: null,
    },
    {
      name: 'v15 over v15, not listing the stored frame',
      build: (w) => {
        const d = gh();
        w.put(gobd15(alice, d, gh(), []));
        return gobd15(alice, d, gh(), [gh()]);
      },
      expect: IllegalDynamicFrame,
    },
    {
      name: 'another binder, higher counter (InconsistentAuthor)',
      build: (w) => {
        const d = gh();
        w.put(gobd(alice, d, 0n, [gh()]));
        return gobd(bob, d, 5n, [gh(), gh()]);
      },
      expect: InconsistentAuthor,
    },
    {
      name: 'another binder at counter 0 over a stored frame is still checked (the reference checks only counter > 0)',
      build: (w) => {
        const d = gh();
        w.put(gobd15(alice, d, gh(), []));
        return gobd(bob, d, 0n, [gh()]);
      },
      expect: InconsistentAuthor,
    },
    {
      name: 'another binder, lower counter: the counter (step 5) is reported before the author (step 6)',
      build: (w) => {
        const d = gh();
        w.put(gobd(alice, d, 4n, [gh(), gh()]));
        return gobd(bob, d, 1n, [gh(), gh()]);
      },
      expect: IllegalDynamicFrame,
    },
    {
      name: 'debound by its binder, frame removed, nothing holds it (replay)',
      build: (w) => {
        const d = gh();
        const f = gobd(alice, d, 3n, [gh(), gh()]);
        w.put(f, gdxx(alice, d)).drop(f);
        return gobd(alice, d, 4n, [gh(), gh()]);
      },
      expect: AlreadyDebound,
    },
    {
      name: 'debound by its binder before any frame (provisional, by the rightful binder): blocks the first frame',
      build: (w) => {
        const d = gh();
        w.put(gdxx(alice, d));
        return gobd(alice, d, 0n, [gh()]);
      },
      expect: AlreadyDebound,
    },
    {
      name: 'debound by its binder but held by a GOBS: a newer frame is accepted',
      build: (w) => {
        const d = gh();
        w.put(gobd(alice, d, 3n, [gh(), gh()]), gobs(bob, d), gdxx(alice, d));
        return gobd(alice, d, 4n, [gh(), gh()]);
      },
      expect: null,
    },
    {
      name: 'a provisional debinding by someone else does not block a first frame',
      build: (w) => {
        const d = gh();
        w.put(gdxx(bob, d));
        return gobd(alice, d, 0n, [gh()]);
      },
      expect: null,
    },
    {
      name: 'debound by its binder, once the GOBS that held it is gone (frame removed): replay refused',
      build: (w) => {
        const d = gh();
        const f = gobd(alice, d, 3n, [gh(), gh()]);
        const s = gobs(bob, d);
        w.put(f, s, gdxx(alice, d)).drop(s).drop(f);
        return gobd(alice, d, 4n, [gh(), gh()]);
      },
      expect: AlreadyDebound,
    },
  ];
  runCases(cases);
});

// The walk compares each GHID with `self` before asking for its stored frame: a frame whose own
// dynamic binding has none yet (a first frame, or a binding whose frame is gone) closes a cycle too.
test('GOBD: a first frame of B → A, where A → B is stored, closes a cycle (golix §11)', () => {
  const w = world();
  const [a, b] = [gh(), gh()];
  // A's frame may legitimately target B before B exists: B's dynamic GHID is computable from
  // B's first frame, which targets A (a known GHID).
  w.put(gobd(alice, a, 1n, [b, gh()]));
  outcome(() => w.check(gobd(alice, b, 0n, [a])), InvalidTarget, 'B → A → B');
  // Longer: A → C → B stored, then B's first frame → A.
  const w2 = world();
  const [a2, b2, c2] = [gh(), gh(), gh()];
  w2.put(gobd(alice, a2, 1n, [c2, gh()]), gobd(alice, c2, 1n, [b2, gh()]));
  outcome(() => w2.check(gobd(alice, b2, 0n, [a2])), InvalidTarget, 'B → A → C → B');
});

// golix §10 "A debound GOBD is refused only if nothing else binds its dynamic GHID" and the §11
// table "not debound unless something else binds its dynamic GHID": a GOBD may bind a dynamic
// GHID (it is a legal target), and holds it as a GOBS does (indexes.ts heldElsewhere).
test('GOBD: a debound dynamic binding that another dynamic binding still binds accepts a newer frame (golix §10)', () => {
  const w = world();
  const [d1, d2] = [gh(), gh()];
  const f1 = gobd(alice, d1, 3n, [gh(), gh()]);
  // D2's current frame binds D1; Alice debinds D1; D1's frame gone (as the engine did when only a GOBS held).
  w.put(f1, gobd(alice, d2, 0n, [d1]), gdxx(alice, d1)).drop(f1);
  outcome(() => w.check(gobd(alice, d1, 4n, [gh(), gh()])), null, 'bound elsewhere by a GOBD');
});

test('GDXX: legal targets (§10), authority, provisional acceptance of unknown targets, replay', () => {
  const cases: (Case & { warns?: boolean })[] = [
    { name: 'unknown target: accepted provisionally, with a warning', build: () => gdxx(alice, gh()), expect: null, warns: true },
    { name: 'target a GIDC', build: () => gdxx(alice, alice), expect: InvalidTarget },
    {
      name: 'target a GEOC (even its own author)',
      build: (w) => {
        const c = geoc(alice);
        w.put(gobs(alice, c.ghid), c);
        return gdxx(alice, c.ghid);
      },
      expect: InvalidTarget,
    },
    {
      name: 'target a frame GHID (never the frame, only its dynamic GHID)',
      build: (w) => {
        const f = gobd(alice, gh(), 0n, [gh()]);
        w.put(f);
        return gdxx(alice, f.ghid);
      },
      expect: InvalidTarget,
    },
    {
      name: 'an illegal target is reported before the author',
      build: () => gdxx(bob, alice),
      expect: InvalidTarget,
    },
    {
      name: 'target a GOBS, by its binder',
      build: (w) => {
        const s = gobs(alice, gh());
        w.put(s);
        return gdxx(alice, s.ghid);
      },
      expect: null,
    },
    {
      name: 'target a GOBS, by someone else',
      build: (w) => {
        const s = gobs(alice, gh());
        w.put(s);
        return gdxx(bob, s.ghid);
      },
      expect: InconsistentAuthor,
    },
    {
      name: 'target a dynamic GHID, by its binder',
      build: (w) => {
        const d = gh();
        w.put(gobd(alice, d, 0n, [gh()]));
        return gdxx(alice, d);
      },
      expect: null,
    },
    {
      name: 'target a dynamic GHID, by someone else',
      build: (w) => {
        const d = gh();
        w.put(gobd(alice, d, 0n, [gh()]));
        return gdxx(bob, d);
      },
      expect: InconsistentAuthor,
    },
    {
      name: 'target a GDXX, by its debinder',
      build: (w) => {
        const x = gdxx(alice, gh());
        w.put(x);
        return gdxx(alice, x.ghid);
      },
      expect: null,
    },
    {
      name: 'target a GDXX, by someone else',
      build: (w) => {
        const x = gdxx(alice, gh());
        w.put(x);
        return gdxx(bob, x.ghid);
      },
      expect: InconsistentAuthor,
    },
    {
      name: 'target a GARQ, by its recipient',
      build: (w) => {
        const r = garq(bob);
        w.put(r);
        return gdxx(bob, r.ghid);
      },
      expect: null,
    },
    {
      name: 'target a GARQ, by anyone but its recipient (its sender is hidden)',
      build: (w) => {
        const r = garq(bob);
        w.put(r);
        return gdxx(alice, r.ghid);
      },
      expect: InconsistentAuthor,
    },
    {
      name: 'itself debound by its debinder (replay)',
      build: (w) => {
        const s = gobs(alice, gh());
        const x = gdxx(alice, s.ghid);
        w.put(s, gdxx(alice, x.ghid));
        return x;
      },
      expect: AlreadyDebound,
    },
    {
      name: 'itself "debound" provisionally by someone else: not blocked',
      build: (w) => {
        const s = gobs(alice, gh());
        const x = gdxx(alice, s.ghid);
        w.put(s, gdxx(bob, x.ghid));
        return x;
      },
      expect: null,
    },
  ];
  for (const c of cases) {
    const w = world();
    const e = c.build(w);
    outcome(() => w.check(e), c.expect, c.name);
    assert.equal(w.warnings.length > 0, c.warns === true, `${c.name}: warning`);
  }
});

test('GARQ: the recipient must be a stored GIDC (InvalidIdentity); not debound by its recipient', () => {
  runCases([
    { name: 'recipient known', build: () => garq(bob), expect: null },
    { name: 'recipient unknown', build: () => garq(gh()), expect: InvalidIdentity },
    {
      name: 'recipient a stored object that is not a GIDC',
      build: (w) => {
        const c = geoc(alice);
        w.put(gobs(alice, c.ghid), c);
        return garq(c.ghid);
      },
      expect: InvalidIdentity,
    },
    {
      name: 'debound by its recipient (replay)',
      build: (w) => {
        const r = garq(bob);
        w.put(gdxx(bob, r.ghid));
        return r;
      },
      expect: AlreadyDebound,
    },
    {
      name: '"debound" by someone other than the recipient: not blocked',
      build: (w) => {
        const r = garq(bob);
        w.put(gdxx(alice, r.ghid));
        return r;
      },
      expect: null,
    },
    {
      name: 'unknown recipient is reported before a debinding',
      build: (w) => {
        const stranger = gh();
        const r = garq(stranger);
        w.put(gdxx(stranger, r.ghid));
        return r;
      },
      expect: InvalidIdentity,
    },
  ]);
});

test('real objects (reference vectors) through entryOf: container before binding, binding, debinding, request', () => {
  const v = v16Objects().map((o) => entryOf(o.obj));
  const w = new World().put(v[0]!, v[1]!, v[2]!);
  outcome(() => w.check(v[3]!), UnboundContainer, 'GEOC 3 before its GOBS');
  outcome(() => w.check(v[11]!), null, 'GOBS 11 (target not stored yet)');
  w.put(v[11]!);
  outcome(() => w.check(v[3]!), null, 'GEOC 3 once bound');
  w.put(v[3]!);
  outcome(() => w.check(v[13]!), null, 'first frame (counter 0)');
  w.put(v[13]!, v[12]!, v[15]!);
  outcome(() => w.check(v[13]!), IllegalDynamicFrame, 'frame 0 after frame 1');
  outcome(() => w.check(v[17]!), null, 'frame 2 after frame 1');
  outcome(() => w.check(v[32]!), null, 'GDXX 32 of GOBS 11 by its binder');
  outcome(() => w.check(v[35]!), null, 'GARQ 35 to a known recipient');
  w.put(v[32]!);
  outcome(() => w.check(v[34]!), null, 'GDXX 34 of GDXX 32');
  // After 32 is stored (and would have removed 11), re-uploading 11 is a replay.
  w.drop(v[11]!);
  outcome(() => w.check(v[11]!), AlreadyDebound, 'GOBS 11 after its debinding');
  const fresh = new World();
  outcome(() => fresh.check(v[35]!), InvalidIdentity, 'GARQ before its recipient');
});

// ---- admitToQuota

/** Asserts admitToQuota throws QuotaExceeded whose message says it needs `more` (bytes), or passes. */
function admits(w: World, e: Entry, quota: QuotaOptions, expect: 'ok' | { needs: number } | 'objects'): void {
  const ledger = w.ledger(quota);
  const run = () => admitToQuota(w.ix, e, ledger);
  if (expect === 'ok') return assert.doesNotThrow(run);
  assert.throws(run, (err: unknown) => {
    assert.equal((err as Error).constructor, QuotaExceeded, (err as Error).message);
    if (expect === 'objects') assert.match((err as Error).message, /objects on this server/);
    else assert.match((err as Error).message, new RegExp(`needs ${expect.needs} more`));
    return true;
  });
}

test('admitToQuota: unsigned objects are free; new objects count their bytes and one object, per signer', () => {
  const w = world();
  const c = geoc(alice, 1000);
  w.put(gobs(alice, c.ghid), c); // alice: 1716 bytes, 2 objects
  // GIDC and GARQ are charged to nobody, even with a zero quota.
  admits(w, gidc(), { bytesPerIdentity: 0, objectsPerIdentity: 0 }, 'ok');
  admits(w, garq(alice), { bytesPerIdentity: 0, objectsPerIdentity: 0 }, 'ok');
  // Bytes: at the limit exactly is allowed; one byte over is not.
  admits(w, geoc(alice, 284), { bytesPerIdentity: 2000 }, 'ok');
  admits(w, geoc(alice, 285), { bytesPerIdentity: 2000 }, { needs: 285 });
  admits(w, gobs(alice, gh()), { bytesPerIdentity: 2431 }, { needs: 716 });
  // Objects.
  admits(w, gobs(alice, gh()), { objectsPerIdentity: 3 }, 'ok');
  admits(w, gobs(alice, gh()), { objectsPerIdentity: 2 }, 'objects');
  // Another signer's usage is its own.
  admits(w, geoc(bob, 1000), { bytesPerIdentity: 1000, objectsPerIdentity: 1 }, 'ok');
  // No limits: nothing refused.
  admits(w, geoc(alice, 1_000_000), {}, 'ok');
  // A first frame is a new object like any other.
  admits(w, gobd(alice, gh(), 0n, [gh()]), { bytesPerIdentity: 1716 + 790 }, { needs: 791 });
  // A free-tier policy refuses with RegistrationRequired instead.
  const ledger = w.ledger({ policy: { limitsFor: () => ({ bytes: 1716, objects: null, freeTier: true }) } });
  assert.throws(() => admitToQuota(w.ix, geoc(alice, 1), ledger), (err: unknown) => (err as Error).constructor === RegistrationRequired);
});

test('admitToQuota: a newer frame is charged net of the frame it replaces and of the container it frees', () => {
  // Alice has a dynamic binding whose current frame (791 bytes) binds her container (1000 bytes).
  const setup = (opts: { containerBy?: string; alsoGobs?: boolean } = {}) => {
    const w = world();
    const d = gh();
    const c = geoc(opts.containerBy ?? alice, 1000);
    const f0 = gobd(alice, d, 0n, [c.ghid]);
    w.put(f0, c);
    if (opts.alsoGobs) w.put(gobs(bob, c.ghid));
    return { w, d, c, f0 };
  };
  const full = { bytesPerIdentity: 1791, objectsPerIdentity: 2 };

  // Moving on to a new container frees the old one: 856 − 791 − 1000 < 0, objects 1 − 1 − 1 < 0.
  {
    const { w, d, c } = setup();
    admits(w, gobd(alice, d, 1n, [gh(), c.ghid]), full, 'ok');
  }
  // Keeping the same container frees only the frame: +65 bytes, 0 objects.
  {
    const { w, d, c } = setup();
    admits(w, gobd(alice, d, 1n, [c.ghid, c.ghid]), full, { needs: 65 });
    admits(w, gobd(alice, d, 1n, [c.ghid, c.ghid]), { bytesPerIdentity: 1856, objectsPerIdentity: 2 }, 'ok');
  }
  // A replacement adds no object: passes a full object count when its bytes fit.
  {
    const { w, d } = setup();
    admits(w, gobd(alice, d, 1n, [gh()]), { objectsPerIdentity: 2 }, 'ok');
  }
  // A container something else still binds is not freed.
  {
    const { w, d } = setup({ alsoGobs: true });
    admits(w, gobd(alice, d, 1n, [gh(), gh()]), full, { needs: 65 });
  }
  // A container someone else wrote is charged to them, and is no credit to the binder.
  {
    const { w, d } = setup({ containerBy: bob });
    admits(w, gobd(alice, d, 1n, [gh(), gh()]), { bytesPerIdentity: 791, objectsPerIdentity: 1 }, { needs: 65 });
  }
  // A smaller frame always passes, even over the limit (negative amounts).
  {
    const w = world();
    const d = gh();
    const c = geoc(alice, 1000);
    w.put(gobd(alice, d, 5n, [c.ghid, gh(), gh()]), c); // 921 bytes
    admits(w, gobd(alice, d, 6n, [c.ghid, gh()]), { bytesPerIdentity: 10, objectsPerIdentity: 1 }, 'ok');
  }
});

test('admitToQuota: a debinding of something of one\'s own is never refused; any other is charged', () => {
  const w = world();
  const c = geoc(alice, 1000);
  const s = gobs(alice, c.ghid);
  const d = gh();
  const x = gdxx(alice, gh()); // provisional, Alice's
  const r = garq(alice);
  w.put(s, c, gobd(alice, d, 0n, [gh()]), x, r, gobs(bob, gh()));
  const full = { bytesPerIdentity: 1, objectsPerIdentity: 1 };
  admits(w, gdxx(alice, s.ghid), full, 'ok');
  admits(w, gdxx(alice, d), full, 'ok');
  admits(w, gdxx(alice, x.ghid), full, 'ok');
  // A request to Alice is hers to debind (its recipient): exempt as well, although a GARQ is
  // charged to nobody and so this frees none of her quota (see the report).
  admits(w, gdxx(alice, r.ghid), full, 'ok');
  // Unknown target (provisional): charged.
  admits(w, gdxx(alice, gh()), full, { needs: 716 });
  // Bob, at his limit, debinding something that is not his (checkAcceptance would refuse it anyway).
  admits(w, gdxx(bob, s.ghid), { bytesPerIdentity: 716 }, { needs: 716 });
});
