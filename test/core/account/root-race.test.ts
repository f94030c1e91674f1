// Two computers of one account writing its root node at the same moment: both write frame n + 1
// on frame n, the remote keeps the first. The other computer's write is reported lost, and it
// follows the frame that stands (a frame on top naming the same), so no computer keeps a root of
// its own that the others never see: one password opens the account everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Account } from '../../../src/core/account/account.js';
import { IncorrectPassword, PasswordChangedElsewhere } from '../../../src/core/account/errors.js';
import { REFERENCE_KDF } from '../../../src/core/account/kdf.js';
import { parseObject, type Ghid, type GolixObject } from '../../../src/core/golix/index.js';
import type { ObjectIO } from '../../../src/core/objects/object-io.js';
import { LocalIO } from '../../fixtures/daemon/local-io.js';
import { v16Identity } from '../../fixtures/vectors.js';

const kdf = { ...REFERENCE_KDF, n: 1024 };

/**
 * One computer: its own cache (`here`) and the account's remote (shared by all computers). A
 * publish goes here, then to the remote, which may refuse it (a frame that lost a race: the
 * daemon dismisses that refusal, so it stays here only). `beforeRoot` holds each root frame
 * back until the test lets it go, so two computers can write on the same frame.
 */
class Computer implements ObjectIO {
  beforeRoot: ((frame: GolixObject) => Promise<void>) | null = null;
  /** Runs after a root frame reached the remote at `index` (in this computer's order), before the next. */
  afterRemote: ((index: number) => Promise<void>) | null = null;
  private constructor(
    readonly here: LocalIO,
    /** The account's remotes, in the order this computer sends to them. */
    readonly remotes: LocalIO[],
  ) {}

  static async on(remote: LocalIO | LocalIO[]): Promise<Computer> {
    return new Computer(await LocalIO.create(), Array.isArray(remote) ? remote : [remote]);
  }

  get remote(): LocalIO {
    return this.remotes[0]!;
  }

  afterRoot: (() => void) | null = null;
  /** The account's user ID, once known: the hooks run for its root frames only (a recovery node's frames are frames too). */
  rootId: Ghid | null = null;
  /** Set: this computer stops before it follows a change that won a race (its root frames naming another change go nowhere). */
  stopsBeforeFollowing = false;
  private ownChange: Ghid | null = null;
  private stopped = false;

  async publish(...objects: GolixObject[]): Promise<void> {
    const root = objects.find((o) => o.type === 'GOBD' && (!this.rootId || o.dynamic.equals(this.rootId)));
    if (root?.type === 'GOBD' && this.stopsBeforeFollowing) {
      this.ownChange ??= root.targets[0]!;
      this.stopped ||= !root.targets[0]!.equals(this.ownChange);
    }
    // Stopped: nothing more is written, here or anywhere.
    if (this.stopped) return;
    if (root && this.beforeRoot) await this.beforeRoot(root);
    await this.here.publish(...objects);
    for (const [i, remote] of this.remotes.entries()) {
      for (const o of objects) await remote.engine.ingest(o.raw).catch(() => {});
      if (root && this.afterRemote) await this.afterRemote(i);
    }
    if (root && this.afterRoot) this.afterRoot();
  }

  async fetch(ghid: Ghid, opts: { fresh?: boolean } = {}): Promise<GolixObject | null> {
    const local = opts.fresh ? null : await this.here.fetch(ghid);
    if (local) return local;
    let remote: GolixObject | null = null;
    for (const r of this.remotes) remote ??= await r.fetch(ghid);
    if (!remote) return this.here.fetch(ghid);
    await this.keep(remote);
    return remote;
  }

  /** Stores what came from the remote here too, its signer's identity first (as a daemon's Inbound does). */
  private async keep(obj: GolixObject): Promise<void> {
    const signer = 'binder' in obj ? obj.binder : 'author' in obj ? obj.author : null;
    if (signer && !this.here.engine.exists(signer)) {
      const gidc = await this.fetch(signer, { fresh: true });
      if (gidc) await this.here.engine.ingest(gidc.raw);
    }
    await this.here.engine.ingest(obj.raw).catch(() => {});
  }

  async eachRemote(ghid: Ghid): Promise<GolixObject[]> {
    const held = await Promise.all(this.remotes.map((r) => r.fetch(ghid)));
    return held.filter((o) => o !== null);
  }

  /** This computer's cache with no remote at all: what it opens on its own. */
  async offline(): Promise<Computer> {
    return new Computer(this.here, [await LocalIO.create()]);
  }

  async rootHere(userId: Ghid) {
    return parseObject(await this.here.engine.get(userId));
  }
}

/** Lets two root writes go only once both are ready (both written on the same frame), first `first`'s. */
function bothOnTheSameFrame(a: Computer, b: Computer, root: Ghid) {
  a.rootId = b.rootId = root;
  let arrived = 0;
  let release!: () => void;
  const both = new Promise<void>((r) => (release = r));
  let aDone!: () => void;
  const aWent = new Promise<void>((r) => (aDone = r));
  const hold = (who: 'a' | 'b') => async () => {
    if (++arrived === 2) release();
    await both;
    if (who === 'b') await aWent;
  };
  const holdA = hold('a');
  const holdB = hold('b');
  a.beforeRoot = async () => {
    a.beforeRoot = null;
    a.afterRoot = () => {
      a.afterRoot = null;
      aDone();
    };
    await holdA();
  };
  b.beforeRoot = async () => {
    b.beforeRoot = null;
    await holdB();
  };
}

async function account() {
  const remote = await LocalIO.create();
  const a = await Computer.on(remote);
  const b = await Computer.on(remote);
  const made = await Account.create({ io: a, password: 'first password 1', kdf, device: 'a', identity: v16Identity(0) });
  const onB = await Account.login({ io: b, userId: made.userId, password: 'first password 1', kdf, device: 'b' });
  const login = async (password: string, o: { on?: Computer; key?: Uint8Array } = {}) =>
    Account.login({ io: o.on ?? (await Computer.on(remote)), userId: made.userId, password, recoveryKey: o.key, kdf, device: 'c' });
  return { a, b, made, onB, login };
}

test('two password changes at once: the one the remote took stands everywhere; the other is told so, and its computer follows it', async () => {
  const { a, b, made, onB, login } = await account();
  bothOnTheSameFrame(a, b, made.userId);
  const [first, second] = await Promise.allSettled([made.changePassword('password of a 2', kdf), onB.changePassword('password of b 3', kdf)]);
  assert.equal(first.status, 'fulfilled', String((first as PromiseRejectedResult).reason));
  assert.equal(second.status, 'rejected');
  const lost = (second as PromiseRejectedResult).reason as Error;
  assert.ok(lost instanceof PasswordChangedElsewhere, String(lost));
  assert.match(lost.message, /changed its password at the same moment, and its change stands/);

  // A new computer: a's password opens the account, b's does not.
  assert.ok((await login('password of a 2')).fingerprint.equals(made.fingerprint));
  await assert.rejects(login('password of b 3'), IncorrectPassword);
  // b's own cache follows the frame that stands: opened from it alone, a's password opens it, b's does not.
  const bOffline = await b.offline();
  assert.ok((await login('password of a 2', { on: bOffline })).fingerprint.equals(made.fingerprint));
  await assert.rejects(login('password of b 3', { on: bOffline }), IncorrectPassword);
  const [rootA, rootB] = [await a.rootHere(made.userId), await b.rootHere(made.userId)];
  assert.ok(rootA.type === 'GOBD' && rootB.type === 'GOBD');
  assert.ok(rootB.targets[0]!.equals(rootA.targets[0]!), "b's root names a's container");
  // b can change it again once signed in with the password that stands.
  const bAgain = await login('password of a 2', { on: b });
  await bAgain.changePassword('password of b 4', kdf);
  assert.ok((await login('password of b 4')).fingerprint.equals(made.fingerprint));
});

test('a recovery kit made while another computer changes the password: the change stands, the kit is refused', async () => {
  const { a, b, made, onB, login } = await account();
  bothOnTheSameFrame(a, b, made.userId);
  const [changed, kit] = await Promise.allSettled([made.changePassword('password of a 2', kdf), onB.makeRecoveryKey()]);
  assert.equal(changed.status, 'fulfilled');
  assert.ok(kit.status === 'rejected' && kit.reason instanceof PasswordChangedElsewhere, String((kit as PromiseRejectedResult).reason));
  assert.ok((await login('password of a 2')).fingerprint.equals(made.fingerprint));
  assert.equal((await login('password of a 2')).hasRecoveryKit, false, 'no kit: the one b made is named by nothing');
});

test('two recovery kits at once: the one that lost is made again on the other, and it is the kit that opens the account', async () => {
  const { a, b, made, onB, login } = await account();
  bothOnTheSameFrame(a, b, made.userId);
  const [first, second] = await Promise.allSettled([made.makeRecoveryKey(), onB.makeRecoveryKey()]);
  assert.ok(first.status === 'fulfilled' && second.status === 'fulfilled');
  // b's kit came last (made again on a's): it opens the account; a's was revoked by it.
  const c = await login('new password 5', { key: second.value.bytes });
  assert.ok(c.fingerprint.equals(made.fingerprint));
  assert.ok((await login('first password 1').catch(() => null)) === null, 'the recovery set a new password');
});

test('a recovery on a new computer while another changes the password: recovered again on the change, so the password of the recovery is the one that opens it', async () => {
  const { a, made, login } = await account();
  const kit = await made.makeRecoveryKey();
  const c = await Computer.on(a.remote);
  bothOnTheSameFrame(a, c, made.userId);
  const [changed, recovered] = await Promise.allSettled([made.changePassword('password of a 2', kdf), login('recovered on c 3', { on: c, key: kit.bytes })]);
  assert.equal(changed.status, 'fulfilled');
  assert.equal(recovered.status, 'fulfilled', String((recovered as PromiseRejectedResult).reason));
  assert.ok((await login('recovered on c 3')).fingerprint.equals(made.fingerprint));
  await assert.rejects(login('password of a 2'), IncorrectPassword);
});

/**
 * Two computers changing the password at the same moment, each sending to another of two remotes
 * first, so that each remote takes another computer's frame first. `stops`: both stop before
 * following the change that won (the one that lost never does).
 */
async function raceOnTwoRemotes(o: { stops?: boolean } = {}) {
  const [r1, r2] = [await LocalIO.create(), await LocalIO.create()];
  // a sends to r1 first, b to r2 first: each remote keeps a different computer's frame.
  const a = await Computer.on([r1, r2]);
  const b = await Computer.on([r2, r1]);
  const made = await Account.create({ io: a, password: 'first password 1', kdf, device: 'a', identity: v16Identity(0) });
  const onB = await Account.login({ io: b, userId: made.userId, password: 'first password 1', kdf, device: 'b' });
  a.rootId = b.rootId = made.userId;
  a.stopsBeforeFollowing = b.stopsBeforeFollowing = o.stops ?? false;
  let aOnFirst!: () => void;
  const aWentToR1 = new Promise<void>((r) => (aOnFirst = r));
  let bDone!: () => void;
  const bWent = new Promise<void>((r) => (bDone = r));
  a.afterRemote = async (i) => {
    if (i !== 0) return;
    a.afterRemote = null;
    aOnFirst();
    await bWent;
  };
  b.beforeRoot = async () => {
    b.beforeRoot = null;
    await aWentToR1;
  };
  b.afterRoot = () => {
    b.afterRoot = null;
    bDone();
  };
  const [byA, byB] = await Promise.allSettled([made.changePassword('password of a 2', kdf), onB.changePassword('password of b 3', kdf)]);
  assert.equal([byA, byB].filter((r) => r.status === 'fulfilled').length, 1, `one change stands: ${[byA, byB].map((r) => r.status)}`);
  const lost = [byA, byB].find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.ok(lost.reason instanceof PasswordChangedElsewhere, String(lost.reason));
  const [stands, lostPassword] = byA.status === 'fulfilled' ? ['password of a 2', 'password of b 3'] : ['password of b 3', 'password of a 2'];
  // Either remote alone opens the account with the change that stands, and not with the other.
  for (const remote of [r1, r2]) {
    const login = async (password: string) => Account.login({ io: await Computer.on(remote), userId: made.userId, password, kdf, device: 'c' });
    assert.ok((await login(stands)).fingerprint.equals(made.fingerprint));
    await assert.rejects(login(lostPassword), IncorrectPassword);
  }
  const roots = await Promise.all([r1, r2].map(async (r) => parseObject(await r.engine.get(made.userId))));
  return { a, b, made, roots, winner: byA.status === 'fulfilled' ? a : b };
}

test('two remotes that each took the other computer\'s change first: both computers settle on the same one (the lower frame GHID), on both remotes', async () => {
  const { a, b, made, roots } = await raceOnTwoRemotes();
  const [rootA, rootB] = [await a.rootHere(made.userId), await b.rootHere(made.userId)];
  for (const root of [...roots, rootA, rootB]) assert.ok(root.type === 'GOBD' && rootA.type === 'GOBD' && root.targets[0]!.equals(rootA.targets[0]!), 'every root names the same container');
});

test('the computer whose change lost stops before it follows: the one whose change stands replaces the losing frame on the remote that took it first', async () => {
  const { made, roots, winner } = await raceOnTwoRemotes({ stops: true });
  const standing = await winner.rootHere(made.userId);
  assert.ok(standing.type === 'GOBD');
  for (const root of roots) assert.ok(root.type === 'GOBD' && root.targets[0]!.equals(standing.targets[0]!), "each remote names the standing change's container");
});
