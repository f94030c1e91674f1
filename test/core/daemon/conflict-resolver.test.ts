// ConflictResolver, driven directly: what a conflict raised by the network (a remote refused one
// of our frames as not newer) settles as, and what it asks of its parts on the way. Every part is
// a fake recording what it is asked (the object manager's resolveConflict scripted to return or
// throw, the account's secrets map, the remotes' read-only view, an account map); the waits run on
// virtual time (node:test's mock timers, synced into node:timers/promises), except where a test
// is about real time (finished).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { syncBuiltinESMExports } from 'node:module';
import type { Account } from '../../../src/core/account/account.js';
import type { AccountMap } from '../../../src/core/account/account-map.js';
import type { ConflictOutcome } from '../../../src/core/daemon/conflict-holds.js';
import { ConflictResolver } from '../../../src/core/daemon/conflict-resolver.js';
import type { NetworkIO } from '../../../src/core/daemon/network-io.js';
import { RECORD_WAITS_MS } from '../../../src/core/daemon/record-waits.js';
import { CommsError, Ghid, IllegalDynamicFrame, UnknownSecret, type GolixObject, type Gobd } from '../../../src/core/golix/index.js';
import { ContainerMissing } from '../../../src/core/objects/errors.js';
import type { ConflictResolution, ObjectManager } from '../../../src/core/objects/manager.js';
import type { ObjectIO } from '../../../src/core/objects/object-io.js';
import type { RemoteLogger } from '../../../src/core/remote/logger.js';
import { until } from '../../fixtures/wait.js';

const ghid = (name: string) => Ghid.fromDigest(createHash('sha512').update(name).digest());
/** An app object in conflict, and the frame our state went into on top of the remote's. */
const OBJ = ghid('app object');
const TOP = ghid('our frame on top');
/** An account map (the secrets map), its head after the merge, and the remote's frame of it. */
const MAP = ghid('account map');
const MAP_HEAD = ghid('account map head');
const THEIRS = { type: 'GOBD', ghid: ghid('their map frame'), dynamic: MAP, counter: 12n } as unknown as Gobd;
const CONTAINER = ghid('a container');

/** The error a missing container is (a frame arrives before its container). */
const missing = () => new ContainerMissing(CONTAINER, OBJ);
const unreadable = () => new UnknownSecret('no secret reads that frame');
const raced = () => new IllegalDynamicFrame('a newer frame is here');

/** What resolveConflict does on one call: returns, throws, or runs. */
type Step = ConflictResolution | Error | (() => Promise<ConflictResolution>);

/** The parts of a ConflictResolver, faked, with what they were asked (at which virtual time). */
function setUp(now: () => number = () => 0) {
  const rec = {
    /** Virtual times of resolveConflict's calls. */
    resolves: [] as number[],
    resolvedWith: [] as [Ghid, ObjectIO][],
    /** Whether each call asked for our state on the base (onBase). */
    onBase: [] as boolean[],
    /** Virtual times of the secrets map's refreshes, and their arguments. */
    refreshes: [] as number[],
    refreshedWith: [] as unknown[][],
    /** Virtual times of the view's fetches. */
    fetches: [] as number[],
    views: 0,
    mapsAsked: [] as Ghid[],
    /** What the account map was asked, in order. */
    map: [] as string[],
    mapRefreshedWith: [] as unknown[][],
    warnings: [] as string[],
    others: [] as string[],
  };
  const view: ObjectIO = {
    publish: async () => {
      throw new CommsError('remoteView is read-only');
    },
    fetch: async (g: Ghid) => {
      rec.fetches.push(now());
      return hooks.fetch(g);
    },
  };
  const hooks = {
    steps: [{ top: TOP, counter: 9n }] as Step[],
    secretsRefresh: async (): Promise<boolean> => false,
    fetch: async (_g: Ghid): Promise<GolixObject | null> => THEIRS,
    map: null as FakeMap | null,
  };
  const account = {
    secrets: {
      refresh: async (...args: unknown[]) => {
        rec.refreshes.push(now());
        rec.refreshedWith.push(args);
        return hooks.secretsRefresh();
      },
    },
  };
  const objects = {
    resolveConflict: async (g: Ghid, io: ObjectIO, opts: { onBase?: boolean } = {}): Promise<ConflictResolution> => {
      rec.resolves.push(now());
      rec.resolvedWith.push([g, io]);
      rec.onBase.push(opts.onBase === true);
      // The last step repeats.
      const step = hooks.steps.length > 1 ? hooks.steps.shift()! : hooks.steps[0]!;
      if (step instanceof Error) throw step;
      if (typeof step === 'function') return step();
      return step;
    },
  };
  const network = {
    remoteView: () => {
      rec.views++;
      return view;
    },
  };
  const logger: RemoteLogger = {
    warn: (m: string) => void rec.warnings.push(m),
    error: (m: string) => void rec.others.push(`error: ${m}`),
    info: () => {},
    debug: () => {},
  };
  const stop = new AbortController();
  // The mock timers' promisified setTimeout leaves its abort listener on the signal after the
  // wait (node's own removes it): no MaxListenersExceededWarning for the longer schedules.
  setMaxListeners(0, stop.signal);
  const resolver = new ConflictResolver({
    account: account as unknown as Account,
    objects: objects as unknown as ObjectManager,
    network: network as unknown as NetworkIO,
    logger,
    accountMap: (g: Ghid) => {
      rec.mapsAsked.push(g);
      return g.equals(MAP) ? (hooks.map as unknown as AccountMap | null) : null;
    },
    stopping: stop.signal,
  });
  /** Raises a conflict on `dynamic`; `settled()` is its outcome once settled (and how often it was). */
  function raise(dynamic: Ghid = OBJ) {
    const outcomes: ConflictOutcome[] = [];
    let done!: (o: ConflictOutcome) => void;
    const outcome = new Promise<ConflictOutcome>((r) => (done = r));
    resolver.raised(dynamic, (o) => {
      outcomes.push(o);
      done(o);
    });
    return { outcome, outcomes, settled: () => outcomes.length > 0 };
  }
  return { rec, hooks, view, stop, resolver, raise };
}

/** An account map: refresh and flush scripted, its head and counter after the flush. */
interface FakeMap {
  head: Ghid;
  counter: bigint;
  refresh(frame?: Gobd, via?: ObjectIO): Promise<boolean>;
  flush(): Promise<void>;
}

function fakeMap(rec: ReturnType<typeof setUp>['rec'], o: { refresh?: () => Promise<boolean>; flush?: () => Promise<void> } = {}): FakeMap {
  const map: FakeMap = {
    head: ghid('account map head before'),
    counter: 11n,
    refresh: async (...args) => {
      rec.map.push('refresh');
      rec.mapRefreshedWith.push(args);
      return o.refresh ? o.refresh() : true;
    },
    flush: async () => {
      rec.map.push('flush');
      if (o.flush) return o.flush();
      // The merge written on top.
      map.head = MAP_HEAD;
      map.counter = 13n;
    },
  };
  return map;
}

const turn = () => new Promise<void>((r) => setImmediate(r));

/**
 * Virtual time for the waits (node:timers/promises' setTimeout is bound at import: synced to the
 * mock). `until` moves it on in steps of 25 ms (the shortest wait) until `done`.
 */
function virtualTime(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  syncBuiltinESMExports();
  t.after(() => {
    t.mock.timers.reset();
    syncBuiltinESMExports();
  });
  let ms = 0;
  return {
    now: () => ms,
    async until(done: () => boolean, limitMs = 60_000): Promise<void> {
      await turn();
      while (!done() && ms < limitMs) {
        ms += 25;
        t.mock.timers.tick(25);
        await turn();
      }
    },
  };
}

/** The waits between successive times. */
const gaps = (times: number[]) => times.slice(1).map((at, i) => at - times[i]!);

// ---- an app object

test('an app object: our state written on top settles with that frame and its counter', async () => {
  const s = setUp();
  s.hooks.steps = [{ top: TOP, counter: 9n }];
  const c = s.raise();
  assert.deepEqual(await c.outcome, { top: TOP.text, counter: 9n });
  assert.deepEqual(s.rec.mapsAsked, [OBJ], 'asked whether it is an account map');
  assert.equal(s.rec.resolves.length, 1);
  const [g, io] = s.rec.resolvedWith[0]!;
  assert.ok(g.equals(OBJ), 'resolved for the object raised');
  assert.equal(io, s.view, "against the remotes' view");
  assert.equal(s.rec.views, 1);
  assert.equal(s.rec.refreshes.length, 0, 'the secrets map not asked');
  assert.deepEqual(s.rec.warnings, []);
  assert.deepEqual(c.outcomes.length, 1, 'settled once');
});

test("an app object that is not ours to resolve: 'dismiss'", async () => {
  const s = setUp();
  s.hooks.steps = ['not-ours'];
  assert.equal(await s.raise().outcome, 'dismiss');
  assert.equal(s.rec.resolves.length, 1);
  assert.deepEqual(s.rec.warnings, []);
});

test("an app object the remotes show no frame of: 'failed' (tried again later)", async () => {
  const s = setUp();
  s.hooks.steps = ['no-remote-frame'];
  assert.equal(await s.raise().outcome, 'failed');
  assert.equal(s.rec.resolves.length, 1);
});

test("nothing of ours readable here: the other computer's state on top, said in a warning", async () => {
  const s = setUp();
  s.hooks.steps = [{ top: TOP, counter: 21n, oursUnread: true }];
  assert.deepEqual(await s.raise().outcome, { top: TOP.text, counter: 21n });
  assert.equal(s.rec.warnings.length, 1);
  assert.match(s.rec.warnings[0]!, /what this computer wrote of .* could not be read here; the other computer's version, written on top, stands/);
  assert.ok(s.rec.warnings[0]!.includes(OBJ.short), 'names the object');
});

test("any other error: 'failed' at once, with a warning, not tried again", async () => {
  const s = setUp();
  s.hooks.steps = [new CommsError('no remote answered')];
  assert.equal(await s.raise().outcome, 'failed');
  assert.equal(s.rec.resolves.length, 1);
  assert.equal(s.rec.refreshes.length, 0);
  assert.equal(s.rec.warnings.length, 1);
  assert.match(s.rec.warnings[0]!, /could not write after another computer's change to .*: no remote answered/);
});

// ---- the remote's frame unreadable here (UnknownSecret)

test("the remote's frame unreadable for now: the secrets map asked at once, and the resolution tried again", async (t) => {
  const clock = virtualTime(t);
  const s = setUp(clock.now);
  s.hooks.steps = [unreadable(), { top: TOP, counter: 30n }];
  const c = s.raise();
  await clock.until(c.settled);
  assert.deepEqual(await c.outcome, { top: TOP.text, counter: 30n });
  assert.deepEqual(s.rec.refreshes, [0], 'asked once, without a wait');
  assert.deepEqual(s.rec.refreshedWith, [[undefined, s.view]], "the newest frame of the secrets map, through the remotes' view");
  assert.deepEqual(s.rec.resolves, [0, 0], 'tried again once the map is merged');
  assert.deepEqual(s.rec.warnings, []);
});

test("the remote's frame never readable: the secrets map asked with the record waits between, then on the base, then 'send-rest'", async (t) => {
  const clock = virtualTime(t);
  const s = setUp(clock.now);
  s.hooks.steps = [unreadable()];
  const c = s.raise();
  await clock.until(c.settled);
  assert.equal(await c.outcome, 'send-rest');
  assert.equal(s.rec.refreshes.length, RECORD_WAITS_MS.length + 1, 'asked once at once, then after each wait');
  assert.deepEqual(gaps(s.rec.refreshes), RECORD_WAITS_MS, 'waiting longer each time');
  assert.equal(s.rec.resolves.length, RECORD_WAITS_MS.length + 3, 'tried after each refresh, then once on the base');
  assert.deepEqual(s.rec.onBase, [...s.rec.resolves.slice(1).map(() => false), true], 'on the base only once the waits are over');
  const total = RECORD_WAITS_MS.reduce((a, b) => a + b, 0);
  assert.equal(s.rec.resolves.at(-1), total, '~3.4 s in all');
  assert.equal(s.rec.warnings.length, 1);
  assert.match(s.rec.warnings[0]!, /could not write after another computer's change to .*: no secret reads that frame/);
});

test('the remote\'s frame never readable, and our fork deeper than the legroom: our state written on the base settles it', async (t) => {
  const clock = virtualTime(t);
  const s = setUp(clock.now);
  s.hooks.steps = [...RECORD_WAITS_MS.map(() => unreadable()), unreadable(), unreadable(), { top: TOP, counter: 12n }];
  const c = s.raise();
  await clock.until(c.settled);
  assert.deepEqual(await c.outcome, { top: TOP.text, counter: 12n });
  assert.equal(s.rec.onBase.at(-1), true);
  assert.deepEqual(s.rec.warnings, []);
});

test('the secrets map readable after a few tries: resolved then, the waits so far taken', async (t) => {
  const clock = virtualTime(t);
  const s = setUp(clock.now);
  s.hooks.steps = [unreadable(), unreadable(), unreadable(), { top: TOP, counter: 5n }];
  const c = s.raise();
  await clock.until(c.settled);
  assert.deepEqual(await c.outcome, { top: TOP.text, counter: 5n });
  assert.deepEqual(s.rec.refreshes, [0, 100, 350]);
  assert.deepEqual(s.rec.resolves, [0, 0, 100, 350]);
  assert.deepEqual(s.rec.warnings, []);
});

test("a failing refresh of the secrets map: 'failed', with a warning", async (t) => {
  const clock = virtualTime(t);
  const s = setUp(clock.now);
  s.hooks.steps = [unreadable()];
  s.hooks.secretsRefresh = async () => {
    throw new CommsError('the secrets map could not be fetched');
  };
  const c = s.raise();
  await clock.until(c.settled);
  assert.equal(await c.outcome, 'failed');
  assert.equal(s.rec.refreshes.length, 1);
  assert.equal(s.rec.resolves.length, 1);
  assert.match(s.rec.warnings[0] ?? '', /the secrets map could not be fetched/);
});

// ---- a newer frame of the other computer's reached the local store meanwhile

test("lost to the other computer's next frame every time: tried again 8 times (RESOLUTION_RACES) at once, then 'failed'", async (t) => {
  const clock = virtualTime(t);
  const s = setUp(clock.now);
  s.hooks.steps = [raced()];
  const c = s.raise();
  await clock.until(c.settled);
  assert.equal(await c.outcome, 'failed');
  assert.deepEqual(s.rec.resolves, Array(9).fill(0), 'the first try and 8 more, without waiting');
  assert.equal(s.rec.refreshes.length, 0, 'the secrets map not asked');
  assert.equal(s.rec.warnings.length, 1);
  assert.match(s.rec.warnings[0]!, /a newer frame is here/);
});

test("lost 8 times, then on top: the ninth try's frame settles it", async (t) => {
  const clock = virtualTime(t);
  const s = setUp(clock.now);
  s.hooks.steps = [...Array.from({ length: 8 }, raced), { top: TOP, counter: 40n }];
  const c = s.raise();
  await clock.until(c.settled);
  assert.deepEqual(await c.outcome, { top: TOP.text, counter: 40n });
  assert.equal(s.rec.resolves.length, 9);
  assert.deepEqual(s.rec.warnings, []);
});

test('a refresh for an unreadable frame does not use up the races: 8 races still allowed after it', async (t) => {
  // RESOLUTION_RACES: "How often a resolution tries again when the other computer's next frame
  // reaches the local store first". A try after a secrets-map refresh is not such a race.
  const clock = virtualTime(t);
  const s = setUp(clock.now);
  s.hooks.steps = [unreadable(), ...Array.from({ length: 8 }, raced), { top: TOP, counter: 41n }];
  const c = s.raise();
  await clock.until(c.settled);
  assert.equal(s.rec.refreshes.length, 1);
  assert.deepEqual(await c.outcome, { top: TOP.text, counter: 41n }, 'the ninth race-free try after 8 lost races is made');
  assert.equal(s.rec.resolves.length, 10);
});

// ---- the other computer's container not here yet (ContainerMissing)

test('a container missing for a moment: tried again, and resolved', async (t) => {
  const clock = virtualTime(t);
  const s = setUp(clock.now);
  s.hooks.steps = [missing(), missing(), { top: TOP, counter: 50n }];
  const c = s.raise();
  await clock.until(c.settled);
  assert.deepEqual(await c.outcome, { top: TOP.text, counter: 50n });
  assert.equal(s.rec.resolves.length, 3);
  assert.deepEqual(s.rec.warnings, []);
});

test("a container that never comes: 8 tries, 25 ms doubling between (~3 s), no secrets-map refresh, then 'failed'", async (t) => {
  // CONFLICT_CONTAINER_WAIT: "How long a merge after a lost counter race waits for the winning
  // frame's container (~3 s in all)", { tries: 8, firstWaitMs: 25 }; ConflictOutcome 'failed':
  // "Not settled (no remote answered, a container never came): everything is tried again later."
  const clock = virtualTime(t);
  const s = setUp(clock.now);
  s.hooks.steps = [missing()];
  const c = s.raise();
  await clock.until(c.settled);
  const outcome = await c.outcome;
  const seen = `outcome ${String(outcome)}, ${s.rec.resolves.length} tries over ${s.rec.resolves.at(-1)} ms, ${s.rec.refreshes.length} secrets-map refreshes`;
  assert.equal(s.rec.refreshes.length, 0, `a missing container is not an unknown record (${seen})`);
  assert.deepEqual(gaps(s.rec.resolves), [25, 50, 100, 200, 400, 800, 1600], `tried 8 times, waiting twice as long each time (${seen})`);
  assert.equal(outcome, 'failed', `a container never came: tried again later (${seen})`);
  assert.equal(s.rec.warnings.length, 1);
  assert.match(s.rec.warnings[0]!, /Container .* is missing/);
});

// ---- an account map

test("an account map: merged with the remote's frame, flushed, settled with the map's head and counter", async () => {
  const s = setUp();
  s.hooks.map = fakeMap(s.rec);
  const c = s.raise(MAP);
  assert.deepEqual(await c.outcome, { top: MAP_HEAD.text, counter: 13n });
  assert.deepEqual(s.rec.map, ['refresh', 'flush']);
  assert.equal(s.rec.mapRefreshedWith[0]![0], THEIRS, "merged with the remote's frame");
  assert.equal(s.rec.mapRefreshedWith[0]![1], s.view, "read through the remotes' view");
  assert.equal(s.rec.fetches.length, 1);
  assert.equal(s.rec.resolves.length, 0, 'not resolved as an app object');
  assert.deepEqual(s.rec.warnings, []);
});

test('an account map the remotes show no frame of: not merged, still flushed', async () => {
  const s = setUp();
  s.hooks.map = fakeMap(s.rec);
  s.hooks.fetch = async () => null;
  assert.deepEqual(await s.raise(MAP).outcome, { top: MAP_HEAD.text, counter: 13n });
  assert.deepEqual(s.rec.map, ['flush']);
  assert.deepEqual(s.rec.warnings, []);
});

test("an account map that cannot be written: 'failed', with a warning", async () => {
  const s = setUp();
  s.hooks.map = fakeMap(s.rec, {
    flush: async () => {
      throw new CommsError('the journal is full');
    },
  });
  assert.equal(await s.raise(MAP).outcome, 'failed');
  assert.deepEqual(s.rec.map, ['refresh', 'flush']);
  assert.equal(s.rec.warnings.length, 1);
  assert.match(s.rec.warnings[0]!, /could not write .* after a concurrent change: the journal is full/);
  assert.ok(s.rec.warnings[0]!.includes(MAP.short));
});

test('an account map whose merge fails: a warning, and what is here still flushed and settled', async () => {
  const s = setUp();
  s.hooks.map = fakeMap(s.rec, {
    refresh: async () => {
      throw new UnknownSecret('the master secret does not read it');
    },
  });
  assert.deepEqual(await s.raise(MAP).outcome, { top: MAP_HEAD.text, counter: 13n });
  assert.deepEqual(s.rec.map, ['refresh', 'flush'], 'not tried again (not a missing container), but flushed');
  assert.equal(s.rec.warnings.length, 1);
  assert.match(s.rec.warnings[0]!, /could not merge a concurrent change to .*: the master secret does not read it/);
});

test("an account map whose frame's container comes late: the frame fetched again each time, 25 ms doubling, then merged", async (t) => {
  const clock = virtualTime(t);
  const s = setUp(clock.now);
  let misses = 2;
  s.hooks.map = fakeMap(s.rec, {
    refresh: async () => {
      if (misses-- > 0) throw missing();
      return true;
    },
  });
  const c = s.raise(MAP);
  await clock.until(c.settled);
  assert.deepEqual(await c.outcome, { top: MAP_HEAD.text, counter: 13n });
  assert.deepEqual(s.rec.fetches, [0, 25, 75], 'fetched again before each try');
  assert.deepEqual(s.rec.map, ['refresh', 'refresh', 'refresh', 'flush']);
  assert.deepEqual(s.rec.warnings, []);
});

test("an account map whose frame's container never comes: 8 tries (~3 s), a warning, still flushed", async (t) => {
  const clock = virtualTime(t);
  const s = setUp(clock.now);
  s.hooks.map = fakeMap(s.rec, {
    refresh: async () => {
      throw missing();
    },
  });
  const c = s.raise(MAP);
  await clock.until(c.settled);
  assert.deepEqual(await c.outcome, { top: MAP_HEAD.text, counter: 13n });
  assert.deepEqual(gaps(s.rec.fetches), [25, 50, 100, 200, 400, 800, 1600]);
  assert.equal(s.rec.map.filter((m) => m === 'refresh').length, 8);
  assert.equal(s.rec.map.at(-1), 'flush');
  assert.equal(s.rec.warnings.length, 1);
  assert.match(s.rec.warnings[0]!, /could not merge a concurrent change to .*: Container .* is missing/);
});

// ---- stopping

test("raised once the daemon is stopping: 'failed' at once, nothing asked", () => {
  const s = setUp();
  s.hooks.map = fakeMap(s.rec);
  s.stop.abort();
  for (const dynamic of [OBJ, MAP]) {
    const c = s.raise(dynamic);
    // Settled synchronously, inside raised().
    assert.deepEqual(c.outcomes, ['failed'], `${dynamic.short} settled at once`);
  }
  assert.deepEqual(s.rec.mapsAsked, []);
  assert.equal(s.rec.views, 0);
  assert.equal(s.rec.resolves.length, 0);
  assert.deepEqual(s.rec.map, []);
  assert.deepEqual(s.rec.warnings, []);
});

test("a stop during the record waits ends them at once: 'failed', no warning, nothing asked after", async (t) => {
  const clock = virtualTime(t);
  const s = setUp(clock.now);
  s.hooks.steps = [unreadable()];
  const c = s.raise();
  await clock.until(() => s.rec.refreshes.length >= 2);
  assert.equal(clock.now(), 100, 'in the second wait (250 ms)');
  const asked = s.rec.resolves.length;
  s.stop.abort();
  await turn();
  assert.deepEqual(c.outcomes, ['failed'], 'settled without any more virtual time passing');
  assert.equal(clock.now(), 100);
  assert.equal(s.rec.resolves.length, asked, 'not tried again');
  assert.equal(s.rec.refreshes.length, 2);
  assert.deepEqual(s.rec.warnings, []);
  await s.resolver.finished(10_000);
});

test("a stop during a container wait ends it at once: 'failed', no warning", async (t) => {
  const clock = virtualTime(t);
  const s = setUp(clock.now);
  // ContainerMissing alone: which wait it is in does not matter here, only that it ends.
  s.hooks.steps = [missing()];
  const c = s.raise();
  await clock.until(() => s.rec.resolves.length >= 3);
  const asked = s.rec.resolves.length;
  s.stop.abort();
  await turn();
  assert.deepEqual(c.outcomes, ['failed']);
  assert.equal(s.rec.resolves.length, asked);
  assert.deepEqual(s.rec.warnings, []);
});

test("a stop during an account map's container wait: the wait ends at once, no warning, what is here flushed", async (t) => {
  const clock = virtualTime(t);
  const s = setUp(clock.now);
  s.hooks.map = fakeMap(s.rec, {
    refresh: async () => {
      throw missing();
    },
  });
  const c = s.raise(MAP);
  await clock.until(() => s.rec.fetches.length >= 2);
  s.stop.abort();
  await turn();
  assert.equal(c.outcomes.length, 1, 'settled without any more virtual time passing');
  assert.deepEqual(c.outcomes[0], { top: MAP_HEAD.text, counter: 13n });
  assert.equal(s.rec.fetches.length, 2);
  assert.deepEqual(s.rec.map, ['refresh', 'refresh', 'flush']);
  assert.deepEqual(s.rec.warnings, []);
});

test("a failure after a stop is not warned of: a map's flush refused as the account closes settles 'failed' quietly", async () => {
  const s = setUp();
  s.hooks.map = fakeMap(s.rec, {
    flush: async () => {
      s.stop.abort();
      throw new CommsError('the account is closed');
    },
  });
  assert.equal(await s.raise(MAP).outcome, 'failed');
  assert.deepEqual(s.rec.warnings, []);
});

// ---- finished (real time, short)

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

test('finished: at once when nothing is under way, including once a resolution has ended', async () => {
  const s = setUp();
  let t0 = performance.now();
  await s.resolver.finished(5_000);
  assert.ok(performance.now() - t0 < 1_000, 'nothing under way');
  await s.raise().outcome;
  t0 = performance.now();
  await s.resolver.finished(5_000);
  assert.ok(performance.now() - t0 < 1_000, 'a settled resolution is no longer waited for');
});

test('finished: when the resolutions under way have settled, before the timeout', async () => {
  const s = setUp();
  const first = deferred<ConflictResolution>();
  const second = deferred<ConflictResolution>();
  s.hooks.steps = [() => first.promise, () => second.promise];
  const a = s.raise(OBJ);
  const b = s.raise(ghid('another object'));
  await turn();
  assert.equal(s.rec.resolves.length, 2, 'both under way');
  let over = false;
  const t0 = performance.now();
  const finished = s.resolver.finished(5_000).then(() => (over = true));
  first.resolve({ top: TOP, counter: 1n });
  await a.outcome;
  await turn();
  assert.equal(over, false, 'one is still under way');
  second.resolve('not-ours');
  await finished;
  assert.ok(performance.now() - t0 < 1_000, 'not the timeout');
  assert.deepEqual(a.outcomes, [{ top: TOP.text, counter: 1n }]);
  assert.deepEqual(b.outcomes, ['dismiss'], 'settled before finished');
});

test('finished: after the timeout when a resolution hangs (a signature under way), which is not settled', async () => {
  const s = setUp();
  const hung = deferred<ConflictResolution>();
  s.hooks.steps = [() => hung.promise];
  // The signature under way keeps the process alive (finished's own timer does not: unref'd).
  const working = setInterval(() => {}, 1_000);
  try {
    const c = s.raise();
    await turn();
    const t0 = performance.now();
    await s.resolver.finished(60);
    const took = performance.now() - t0;
    assert.ok(took >= 50 && took < 1_000, `after the timeout (${took.toFixed(0)} ms)`);
    assert.deepEqual(c.outcomes, [], 'still under way');
    hung.resolve({ top: TOP, counter: 2n });
    assert.deepEqual(await c.outcome, { top: TOP.text, counter: 2n }, 'settled when it ends after all');
  } finally {
    clearInterval(working);
  }
});

test('finished: a stop ends the waits, so the resolutions under way finish well within the timeout', async () => {
  const s = setUp();
  s.hooks.steps = [unreadable()];
  const c = s.raise();
  // In a record wait (100 ms and more, real time): waited for, since a busy machine is slow to get there.
  await until(() => s.rec.refreshes.length >= 1, 'the first refresh');
  s.stop.abort();
  const t0 = performance.now();
  await s.resolver.finished(3_000);
  assert.ok(performance.now() - t0 < 500, 'not waiting out the timeout');
  assert.deepEqual(c.outcomes, ['failed']);
  assert.deepEqual(s.rec.warnings, []);
});
