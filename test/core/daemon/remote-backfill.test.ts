// RemoteBackfill on its own: what the catch-up's findings make it send to a remote (nothing when
// the remote is level, the object again when it lacks it or holds it older, everything of ours
// once per connection, and there only what the remote lacks or holds older on our line), never a
// frame waiting in the outbox, and how refusals end or continue it. A real rules engine holding
// the reference's objects and frames made here with the reference's key; a scripted remote.
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { AlreadyDebound, CommsError, DoesNotExist, Ghid, IllegalDynamicFrame, RegistrationRequired, RemoteNak, Secret, frameOf, makeContainer, makeDebinding, makeFrame, makeStatic, makeUpdate, parseObject, type GolixObject } from '../../../src/core/golix/index.js';
import { RemoteBackfill } from '../../../src/core/daemon/remote-backfill.js';
import type { RemoteClient } from '../../../src/core/remote/client.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { memoryLogger } from '../../fixtures/remote/helpers.js';
import { v16Identity, v16Objects } from '../../fixtures/vectors.js';

const v16 = v16Objects();
const frameAt = (n: number) => v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === n)!;
const containerAt = (n: number) => v16.find((o) => o.obj.type === 'GEOC' && o.entry.chain_counter === n)!;
const frame0 = frameAt(0).obj as Extract<GolixObject, { type: 'GOBD' }>;
const dynamic = frame0.dynamic;
const me = v16.find((o) => o.obj.ghid.equals(frame0.binder))!;

/**
 * A remote that takes what it is sent (or answers as `answer` says), recording the GHIDs in
 * order; asked for a dynamic object, it answers with its frame in `frames` (by dynamic GHID) or
 * that it has none; asked whether it holds an object, whether `held` has it.
 */
function remote(answer: (obj: GolixObject, i: number) => Promise<boolean> = async () => true, frames = new Map<string, Buffer>(), held = new Set<string>()) {
  const sent: string[] = [];
  const asked: string[] = [];
  const client = {
    connected: true,
    async publish(raw: Uint8Array) {
      const obj = parseObject(Buffer.from(raw));
      sent.push(obj.ghid.text);
      return answer(obj, sent.length - 1);
    },
    async get(ghid: Ghid) {
      asked.push(ghid.text);
      const raw = frames.get(ghid.text);
      if (!raw) throw new DoesNotExist(`${ghid.short} is not stored here`);
      return raw;
    },
    async exists(ghid: Ghid) {
      asked.push(ghid.text);
      return held.has(ghid.text);
    },
  };
  return { sent, asked, frames, client: client as unknown as RemoteClient & { connected: boolean } };
}

/** A second object of ours, made here with the reference identity's key: its first frame and container. */
const second = makeUpdate(v16Identity(0), Secret.random(), Buffer.from('a second object of ours'));

async function holding(frame = 1, o: { second?: boolean } = {}) {
  const { engine } = await RulesEngine.open(new MemoryStore());
  for (const o of v16.filter((x) => x.obj.type === 'GIDC')) await engine.ingest(o.raw);
  for (let n = 0; n <= frame; n++) {
    await engine.ingest(frameAt(n).raw);
    await engine.ingest(containerAt(n).raw);
  }
  if (o.second) for (const obj of [(await second).frame, (await second).container]) await engine.ingest(obj.raw);
  const logger = memoryLogger();
  return { engine, logger, backfill: new RemoteBackfill({ engine, logger, identity: () => me.obj }) };
}

const none = () => false;

test('a remote level with us is sent nothing; one holding an older frame gets ours (identity, frame, container), then everything of ours, once per connection', async () => {
  const { backfill, logger } = await holding(1, { second: true });
  const { frame: secondFrame, container: secondContainer } = await second;
  const r = remote();
  await backfill.caughtUp(r.client, 'r:1', dynamic, frameAt(1).raw, none);
  assert.deepEqual(r.sent, [], 'level: nothing');

  await backfill.caughtUp(r.client, 'r:1', dynamic, frameAt(0).raw, none);
  const again = [me.obj.ghid.text, frameAt(1).obj.ghid.text, containerAt(1).entry.ghid];
  assert.deepEqual(r.sent.slice(0, 3), again, 'the object first: its signer, its frame, its container');
  assert.deepEqual(r.sent.slice(3), [secondFrame.ghid.text, secondContainer.ghid.text], 'then the sweep: every other binding of ours with what it binds, not what the remote took already');
  assert.deepEqual(r.asked, [secondFrame.dynamic.text], 'the sweep asked the remote for its frame of the object it had not been sent');
  assert.ok(logger.lines.some((l) => l.includes('holds an older version of')), logger.lines.join(' | '));

  // The same connection again: the object, but no second sweep; a new connection sweeps again.
  r.sent.length = 0;
  await backfill.caughtUp(r.client, 'r:1', dynamic, null, none);
  assert.deepEqual(r.sent, again);
  backfill.reconnected(r.client);
  r.sent.length = 0;
  await backfill.caughtUp(r.client, 'r:1', dynamic, null, none);
  assert.deepEqual(r.sent, [...again, secondFrame.ghid.text, secondContainer.ghid.text]);
});

test("a sweep sends a dynamic object only where the remote lacks it or holds an older frame of our line: never over a fork's frame or a newer one", async () => {
  const { backfill, logger } = await holding(2);
  // Another line: a frame written on frame 0 by another computer of the account, counter 1, which
  // our frame 2 (counter 2) is not written on: the conflicts settle it, a sweep never does.
  const fork = await makeFrame(v16Identity(0), Ghid.fromText(containerAt(5).entry.ghid), frameOf(frameAt(0).obj as Extract<GolixObject, { type: 'GOBD' }>));
  assert.equal(fork.counter, 1n);
  const cases: [string, Buffer | null, boolean, number][] = [
    ['lacks it', null, true, 0],
    ['holds an older frame of our line', frameAt(1).raw, true, 0],
    ['holds our frame', frameAt(2).raw, false, 0],
    ["holds a fork's older frame", fork.raw, false, 1],
    ['holds a newer frame', frameAt(3).raw, false, 1],
  ];
  for (const [what, theirs, sent, left] of cases) {
    const r = remote(async () => true, new Map(theirs ? [[dynamic.text, theirs]] : []));
    const report = await backfill.sweep(r.client, what, me.obj.ghid.text, none);
    assert.equal(r.sent.includes(frameAt(2).obj.ghid.text), sent, `${what}: ${JSON.stringify(r.sent)}`);
    assert.equal(r.sent[0], me.obj.ghid.text, `${what}: our identity goes in any case`);
    assert.equal(report.leftThere, left, what);
  }
  assert.ok(logger.lines.some((l) => l.includes('1 held there newer or of another line, left to the conflicts')), logger.lines.join(' | '));

  // A remote that cannot answer the question ends the sweep, which the next catch-up runs again.
  const mute = remote();
  const answers = (mute.client as unknown as { get: (g: Ghid) => Promise<Buffer> }).get;
  (mute.client as unknown as { get: () => Promise<never> }).get = () => Promise.reject(new CommsError('no answer'));
  assert.deepEqual(await backfill.sweep(mute.client, 'mute', me.obj.ghid.text, none), { sent: 0, stored: 0, refused: 0, taken: 0, leftThere: 0 });
  (mute.client as unknown as { get: (g: Ghid) => Promise<Buffer> }).get = answers;
  assert.deepEqual((await backfill.sweep(mute.client, 'mute', me.obj.ghid.text, none)).sent, 3, 'swept again: identity, frame, container');
});

test("an older frame our vector does not name (a backup restored further back) gets ours when it was once current here; a fork's never", async () => {
  const { engine, logger } = await holding(9);
  const ours = frameAt(9).obj as Extract<GolixObject, { type: 'GOBD' }>;
  assert.ok(!ours.targets.some((c) => c.text === containerAt(0).entry.ghid || c.text === containerAt(1).entry.ghid), 'frames 0 and 1 are beyond our vector');
  // Frame 0 was current here once; frame 1 was not kept (written before the list was, or lost to a crash).
  const once = new Set([frameAt(0).obj.ghid.text]);
  const asked: string[] = [];
  const pastFrames = { held: async (f: string) => (asked.push(f), once.has(f)) };
  const withPast = new RemoteBackfill({ engine, logger, identity: () => me.obj, pastFrames });
  const without = new RemoteBackfill({ engine, logger, identity: () => me.obj });
  // Written on frame 0 by another computer, on a version of its own.
  const fork = await makeFrame(v16Identity(0), Ghid.fromDigest(randomBytes(64)), frameOf(frameAt(0).obj as Extract<GolixObject, { type: 'GOBD' }>));
  const cases: [string, RemoteBackfill, Buffer, boolean][] = [
    ['once current here', withPast, frameAt(0).raw, true],
    ['once current here, but nothing kept of it', without, frameAt(0).raw, false],
    ['of our line, not kept', withPast, frameAt(1).raw, false],
    ["a fork's, unknown here", withPast, fork.raw, false],
  ];
  for (const [what, backfill, theirs, sent] of cases) {
    const r = remote(async () => true, new Map([[dynamic.text, theirs]]));
    const report = await backfill.sweep(r.client, what, me.obj.ghid.text, none);
    assert.equal(r.sent.includes(ours.ghid.text), sent, `${what}: ${JSON.stringify(r.sent)}`);
    assert.equal(report.leftThere, sent ? 0 : 1, what);
    // The catch-up decides the same.
    const c = remote();
    await backfill.caughtUp(c.client, what, dynamic, theirs, none);
    assert.equal(c.sent.includes(ours.ghid.text), sent, `catch-up, ${what}`);
  }
  assert.ok(!asked.includes(frameAt(9).obj.ghid.text), 'asked only of older frames the vector does not name');
});

test('a frame of ours waiting in that remote\'s outbox is never sent around it, nor swept', async () => {
  const { backfill } = await holding(1);
  const r = remote();
  await backfill.caughtUp(r.client, 'r:1', dynamic, null, (g) => g.equals(dynamic));
  assert.deepEqual(r.sent, []);
  const report = await backfill.sweep(r.client, 'r:1', me.obj.ghid.text, (g) => g.equals(dynamic));
  assert.deepEqual(r.sent, [me.obj.ghid.text], 'our identity only');
  assert.deepEqual(report, { sent: 1, stored: 1, refused: 0, taken: 1, leftThere: 0 });
});

test('refusals: not newer there is no loss and the rest goes on; a dropped link stops it, and the next connection sweeps again', async () => {
  const { backfill, logger } = await holding(1);
  for (const refusal of [new IllegalDynamicFrame('not newer'), new AlreadyDebound('deleted there')]) {
    const notNewer = remote(async (obj) => {
      if (obj.type === 'GOBD') throw refusal;
      return false;
    });
    const report = await backfill.sweep(notNewer.client, 'r:1', me.obj.ghid.text, none);
    assert.deepEqual(report, { sent: 3, stored: 0, refused: 0, taken: 2, leftThere: 0 }, refusal.message);
  }

  const dropping = remote(async (_obj, i) => {
    if (i === 1) {
      dropping.client.connected = false;
      throw new CommsError('connection lost');
    }
    return true;
  });
  const cut = await backfill.sweep(dropping.client, 'r:2', me.obj.ghid.text, none);
  assert.ok(cut.sent < 3, `stopped at the drop: ${JSON.stringify(cut)}`);
  dropping.client.connected = true;
  assert.equal((await backfill.sweep(dropping.client, 'r:2', me.obj.ghid.text, none)).sent, 3, 'not marked swept: tried again');
  assert.ok(logger.lines.some((l) => l.includes('lacks objects of this account: sending every object of ours held here')), logger.lines.join(' | '));
});

test("an object of someone else's that the remote lacks is sent again, without a sweep of ours", async () => {
  const { engine, logger } = await holding(1);
  const other = v16.find((o) => o.obj.type === 'GIDC' && !o.obj.ghid.equals(me.obj.ghid))!;
  const backfill = new RemoteBackfill({ engine, logger, identity: () => other.obj });
  const r = remote();
  await backfill.caughtUp(r.client, 'r:1', dynamic, null, none);
  assert.deepEqual(r.sent, [me.obj.ghid.text, frameAt(1).obj.ghid.text, containerAt(1).entry.ghid]);
  assert.equal(Ghid.fromText(r.sent[0]!).equals(frame0.binder), true, "its signer's identity first");
});

test('a remote that asks to slow down is waited for and sent the rest; one that wants us registered ends it', async () => {
  const { backfill } = await holding(1);
  let slowed = 0;
  const slow = remote(async (obj) => {
    if (obj.type === 'GOBD' && slowed++ === 0) throw Object.assign(new RemoteNak('slow down', { reason: 'busy', retryAfterMs: 30 }));
    return true;
  });
  const report = await backfill.sweep(slow.client, 'r:1', me.obj.ghid.text, none);
  assert.equal(slowed, 2, 'the frame was sent again after the wait');
  assert.deepEqual(slow.sent.filter((g) => g === frameAt(1).obj.ghid.text).length, 2);
  assert.ok(slow.sent.includes(containerAt(1).entry.ghid), 'and what came after it');
  assert.equal(report.refused, 0);

  const closed = remote(async (obj) => {
    if (obj.type === 'GOBD') throw new RegistrationRequired('register first');
    return true;
  });
  const ended = await backfill.sweep(closed.client, 'r:2', me.obj.ghid.text, none);
  assert.equal(closed.sent.filter((g) => g === frameAt(1).obj.ghid.text).length, 1, `not tried again: ${JSON.stringify(ended)}`);
});

test('the daily check of a remote asks before it sends: one that has everything is sent nothing; what it lacks or holds damaged is given again, each time', async () => {
  const { engine, backfill, logger } = await holding(1);
  // A static object of ours too: its binding, then the container it keeps.
  const id = v16Identity(0);
  const kept = await makeContainer(id, Secret.random(), Buffer.from('a static object of ours'));
  const binding = await makeStatic(id, kept.ghid);
  for (const o of [binding, kept]) await engine.ingest(o.raw);
  const [frame1, container1] = [frameAt(1).obj.ghid.text, containerAt(1).entry.ghid];
  const everything = [me.obj.ghid.text, frame1, container1, binding.ghid.text, kept.ghid.text];
  const current = () => new Map([[dynamic.text, frameAt(1).raw]]);

  const full = remote(async () => true, current(), new Set(everything));
  assert.deepEqual(await backfill.audit(full.client, 'full', me.obj.ghid.text, none), { sent: 0, stored: 0, refused: 0, taken: 0, leftThere: 0 });
  assert.deepEqual(full.sent, [], 'asked, and sent nothing');
  assert.ok(full.asked.includes(frame1) && !full.asked.includes(dynamic.text), 'our frame asked about by its GHID: no frame read where the remote is level');
  assert.ok(full.asked.includes(kept.ghid.text) && full.asked.includes(container1), 'each object was asked about');

  // The remote lacks (or holds damaged, which it answers as not there) the static container and the current frame's container.
  const partial = remote(async () => true, current(), new Set([me.obj.ghid.text, frame1, binding.ghid.text]));
  for (let i = 0; i < 2; i++) {
    partial.sent.length = 0;
    const report = await backfill.audit(partial.client, 'partial', me.obj.ghid.text, none);
    assert.deepEqual(new Set(partial.sent), new Set([container1, kept.ghid.text]), `check ${i + 1}: only what it lacks`);
    assert.equal(report.taken, 2);
  }
  assert.ok(logger.lines.some((l) => l.includes('remote partial: 2 objects held here that it lacked (or held damaged) given again')), logger.lines.join(' | '));

  // Lacking the dynamic object, or holding an older frame of our line: frame then container. A fork's frame there is left.
  for (const [what, frames, sent] of [
    ['lacks it', new Map<string, Buffer>(), [frame1, container1]],
    ['holds frame 0', new Map([[dynamic.text, frameAt(0).raw]]), [frame1, container1]],
  ] as const) {
    const r = remote(async () => true, frames, new Set([me.obj.ghid.text, binding.ghid.text, kept.ghid.text]));
    await backfill.audit(r.client, what, me.obj.ghid.text, none);
    assert.deepEqual(r.sent, sent, what);
  }
  const fork = await makeFrame(id, kept.ghid, frameOf(frameAt(0).obj as Extract<GolixObject, { type: 'GOBD' }>), 7);
  // A server holds one frame of an object: ours is no longer there once the fork's replaced it.
  const forked = remote(async () => true, new Map([[dynamic.text, fork.raw]]), new Set(everything.filter((g) => g !== frame1)));
  assert.equal((await backfill.audit(forked.client, 'forked', me.obj.ghid.text, none)).leftThere, 1);
  assert.deepEqual(forked.sent, []);
});

test("the daily check gives a remote what it lacks of an object shared with us that this computer follows (dynamic or static), its author's identity first", async () => {
  const { engine, logger } = await holding(1);
  // This computer's account is another: the object held here (and followed) is someone else's, shared with us.
  const other = v16.find((o) => o.obj.type === 'GIDC' && !o.obj.ghid.equals(me.obj.ghid))!;
  const backfill = new RemoteBackfill({ engine, logger, identity: () => other.obj });
  const [author, frame1, container1] = [me.obj.ghid.text, frameAt(1).obj.ghid.text, containerAt(1).entry.ghid];
  const current = () => new Map([[dynamic.text, frameAt(1).raw]]);
  const notHeld = Ghid.fromDigest(Buffer.alloc(64, 7)).text;
  const audit = (r: ReturnType<typeof remote>) => backfill.audit(r.client, 'r', other.obj.ghid.text, none, [dynamic.text, notHeld]);

  const full = remote(async () => true, current(), new Set([other.obj.ghid.text, author, frame1, container1]));
  assert.equal((await audit(full)).sent, 0);
  assert.deepEqual(full.sent, [], 'a remote that holds it all is sent nothing');

  // Its container damaged there (answered as not there): a catch-up, which compares frames, never sees it.
  const damaged = remote(async () => true, current(), new Set([other.obj.ghid.text, author, frame1]));
  assert.equal((await audit(damaged)).taken, 1);
  assert.deepEqual(damaged.sent, [container1]);

  // A server restored from an old backup: the author's identity too, sent before the frame it signed.
  const bare = remote(async () => true, new Map(), new Set([other.obj.ghid.text]));
  await audit(bare);
  assert.deepEqual(bare.sent, [author, frame1, container1]);

  // The author wrote on since (a newer frame there): left as it is.
  const newer = remote(async () => true, new Map([[dynamic.text, frameAt(2).raw]]), new Set([other.obj.ghid.text, author]));
  assert.equal((await audit(newer)).leftThere, 1);
  assert.deepEqual(newer.sent, []);
  assert.ok(!full.asked.includes(notHeld) && !bare.asked.includes(notHeld), 'a followed object not held here is not asked about');

  // A static object shared with us (followed by its container's GHID): its author's binding, then the container.
  const kept = await makeContainer(v16Identity(0), Secret.random(), Buffer.from('a static object shared with us'));
  const binding = await makeStatic(v16Identity(0), kept.ghid);
  for (const o of [binding, kept]) await engine.ingest(o.raw);
  const lacking = remote(async () => true, current(), new Set([other.obj.ghid.text, author, frame1, container1]));
  await backfill.audit(lacking.client, 'static', other.obj.ghid.text, none, [dynamic.text, kept.ghid.text]);
  assert.deepEqual(lacking.sent, [binding.ghid.text, kept.ghid.text]);
  const holding1 = remote(async () => true, current(), new Set([other.obj.ghid.text, author, frame1, container1, binding.ghid.text, kept.ghid.text]));
  await backfill.audit(holding1.client, 'static', other.obj.ghid.text, none, [dynamic.text, kept.ghid.text]);
  assert.deepEqual(holding1.sent, []);
});

test("the daily check gives a remote our deletion where it lacks it but holds what it deleted (a backup restored), and nowhere else", async () => {
  const { engine, backfill } = await holding(1);
  const id = v16Identity(0);
  const kept = await makeContainer(id, Secret.random(), Buffer.from('deleted since'));
  const binding = await makeStatic(id, kept.ghid);
  const deletion = await makeDebinding(id, binding.ghid);
  for (const o of [binding, kept, deletion]) await engine.ingest(o.raw);
  assert.equal(engine.exists(binding.ghid), false, 'deleted here');
  const ours = [me.obj.ghid.text, frameAt(1).obj.ghid.text, containerAt(1).entry.ghid];
  const current = () => new Map([[dynamic.text, frameAt(1).raw]]);
  const cases: [string, string[], boolean][] = [
    ['holds the deleted object, not the deletion (a restored backup)', [...ours, binding.ghid.text, kept.ghid.text], true],
    ['holds neither (a new server)', ours, false],
    ['holds the deletion', [...ours, deletion.ghid.text], false],
  ];
  for (const [what, held, sent] of cases) {
    const r = remote(async () => true, current(), new Set(held));
    await backfill.audit(r.client, what, me.obj.ghid.text, none);
    assert.deepEqual(r.sent, sent ? [deletion.ghid.text] : [], what);
  }
  // A sweep (a remote found without our objects at a connect) sends no deletions: a new server needs none.
  const fresh = remote(async () => true, new Map(), new Set());
  await backfill.sweep(fresh.client, 'fresh', me.obj.ghid.text, none);
  assert.equal(fresh.sent.includes(deletion.ghid.text), false);
});
