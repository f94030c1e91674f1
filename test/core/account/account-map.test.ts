import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret, type Ghid, type GolixObject } from '../../../src/core/golix/index.js';
import { AccountMap } from '../../../src/core/account/account-map.js';
import { ContainerMissing } from '../../../src/core/objects/errors.js';
import { LwwMap } from '../../../src/core/account/lww-map.js';
import { MasterObject } from '../../../src/core/account/master-object.js';
import type { ObjectIO } from '../../../src/core/objects/object-io.js';
import { v16Identity } from '../../fixtures/vectors.js';
import { LocalIO } from '../../fixtures/daemon/local-io.js';

const id = v16Identity(0);

/** One account object in a local engine, opened as a map by as many devices as a test needs. */
async function accountObject() {
  const local = await LocalIO.create();
  await local.publish(id.publicIdentity.gidc);
  const master = Secret.random();
  const { ghid } = await MasterObject.create(local, id, master, new LwwMap('origin').encode());
  const open = async (io: ObjectIO, device: string, flushDelayMs = 20) => {
    const { object, plaintext } = await MasterObject.open(io, id, ghid, master, id.ghid);
    return new AccountMap(object!, LwwMap.decode(plaintext, device), io, id.ghid, flushDelayMs);
  };
  /** What a device opening the object now would read. */
  const stored = async () => {
    const { plaintext } = await MasterObject.open(local, null, ghid, master, id.ghid);
    return Object.fromEntries(LwwMap.decode(plaintext, 'reader').entries());
  };
  return { local, open, stored, ghid };
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** An ObjectIO over `local` whose first publish fails (no remote, and a full disk). */
function failingFirstPublish(local: ObjectIO) {
  let publishes = 0;
  const io: ObjectIO = {
    fetch: (g) => local.fetch(g),
    publish: async (...objects) => {
      if (++publishes === 1) throw new Error('no remote and a full disk');
      await local.publish(...objects);
    },
  };
  return { io, publishes: () => publishes };
}

/** Bounded wait, in real time, for something a timer brings about. */
async function eventually(cond: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a conflicting write that meets the other device\'s frame before its container waits for the container, then merges', async () => {
  const { local, open, stored } = await accountObject();
  // Device A publishes its frame, then its container only once the test lets it: the window in
  // which another device sees the frame and not yet what it names.
  const containerMayGo = gate();
  const frameStored = gate();
  const aIO: ObjectIO = {
    fetch: (g) => local.fetch(g),
    publish: async (frame: GolixObject, ...rest: GolixObject[]) => {
      await local.publish(frame);
      frameStored.open();
      await containerMayGo.opened;
      await local.publish(...rest);
    },
  };
  let misses = 0;
  const bIO: ObjectIO = {
    publish: (...objects) => local.publish(...objects),
    fetch: async (g: Ghid) => {
      const found = await local.fetch(g);
      if (!found && ++misses === 1) containerMayGo.open();
      return found;
    },
  };
  const a = await open(aIO, 'a');
  const b = await open(bIO, 'b');
  a.set('from-a', 1);
  const aWrites = a.flush();
  await frameStored.opened;
  // B changes only now: a change made earlier would be written by B's own timer as soon as A
  // took longer than B's flush delay to sign, ahead of A's frame, and no conflict would arise.
  b.set('from-b', 2);
  await b.flush(); // conflicts with A's frame, whose container is not there yet
  await aWrites;
  // Once at least; more where A's container took longer to land than B's first re-read.
  assert.ok(misses >= 1, 'B met the missing container, then found it');
  assert.deepEqual(Object.fromEntries(b.entries()), { 'from-a': 1, 'from-b': 2 });
  assert.deepEqual(await stored(), { 'from-a': 1, 'from-b': 2 }, 'B wrote the merge on top');
});

test('a flush that waits behind a failing one writes the changes itself', async () => {
  const { local, open, stored } = await accountObject();
  const firstPublish = gate();
  const failNow = gate();
  let publishes = 0;
  const io: ObjectIO = {
    fetch: (g) => local.fetch(g),
    publish: async (...objects) => {
      if (++publishes === 1) {
        firstPublish.open();
        await failNow.opened;
        throw new Error('the disk is full');
      }
      await local.publish(...objects);
    },
  };
  const a = await open(io, 'a', 1);
  a.set('k', 1); // its scheduled write starts, and fails once the explicit flush waits behind it
  await firstPublish.opened;
  const explicit = a.flush();
  failNow.open();
  await explicit;
  assert.deepEqual(await stored(), { k: 1 });
});

test('a write asked for directly (a merge, secure()) that failed is tried again later, like a scheduled one', async () => {
  const { local, open, stored } = await accountObject();
  const { io, publishes } = failingFirstPublish(local);
  const a = await open(io, 'a', 5);
  a.set('k', 1);
  await assert.rejects(a.flush(), /full disk/, 'the caller hears of the failure');
  const written = () => stored().then((m) => m.k === 1, (err) => (err instanceof ContainerMissing ? false : Promise.reject(err)));
  await eventually(written, 'the change was written by a retry');
  assert.equal(publishes(), 2);
});

test('a scheduled write that failed is tried again, without waiting for another change', async () => {
  const { local, open, stored } = await accountObject();
  const { io, publishes } = failingFirstPublish(local);
  const a = await open(io, 'a', 5);
  a.set('k', 1);
  // Read while the retry may be writing: a frame can be there a moment before its container.
  const written = () => stored().then((m) => m.k === 1, (err) => (err instanceof ContainerMissing ? false : Promise.reject(err)));
  await eventually(written, 'the change was written by a retry');
  assert.equal(publishes(), 2);
});

test('a frame of another computer below ours (a fork: this one wrote more, offline) is merged and written on top of ours', async () => {
  const { local, open, stored, ghid } = await accountObject();
  // The other computer's store starts from the same frame, then forks.
  const theirStore = await LocalIO.create();
  const head = (await local.fetch(ghid))!;
  assert.equal(head.type, 'GOBD');
  await theirStore.publish(id.publicIdentity.gidc, head, (await local.fetch(head.type === 'GOBD' ? head.targets[0]! : ghid))!);
  const ours = await open(local, 'ours');
  const theirs = await open(theirStore, 'theirs');
  theirs.set('from-theirs', 1);
  await theirs.flush();
  for (let n = 1; n <= 3; n++) {
    ours.set(`from-ours-${n}`, n);
    await ours.flush();
  }
  const theirFrame = (await theirStore.fetch(ghid))!;
  assert.ok(theirFrame.type === 'GOBD' && theirFrame.counter! < ours.counter, 'theirs is below ours');
  const before = ours.counter;
  assert.equal(await ours.refresh(theirFrame, theirStore), true, 'its write is taken in');
  await ours.flush();
  assert.ok(ours.counter > before, 'and written on top of ours');
  assert.deepEqual(await stored(), { 'from-ours-1': 1, 'from-ours-2': 2, 'from-ours-3': 3, 'from-theirs': 1 });
  // Taken in once: the same frame again changes nothing and writes nothing.
  assert.equal(await ours.refresh(theirFrame, theirStore), false);
  await ours.flush();
  assert.equal(ours.counter, before + 1n);
});
