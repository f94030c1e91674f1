// An object another user shared with us can be read only along its frames: each names the
// containers of the last versions (7 back, its legroom), and our secret moves from one to the
// next. So the daemon follows every object shared with us, from its start and whether an app has
// it open or not; before, after a restart (or once the object left the live cache), more than 7
// updates by its author left it unreadable here for good.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_ID_RAW } from '../../src/core/objects/hgxd.js';
import { until, world, type User } from '../fixtures/ipc/world.js';
import { shownAfterSync } from '../fixtures/daemon/shown-after-sync.js';
import type { IncomingShare, ShareResult } from '../../src/core/sharing/sharing.js';
import { listShares } from '../../src/core/sharing/people-view.js';

const WRITES = 12;

/** An owner, and a friend who accepted the owner's share of one object and read it (under `ask`, once, as a person would). */
async function sharedWithFriend(o: { friendLive?: number; policy?: 'ask' } = {}) {
  const w = await world();
  const owner = await w.user(0);
  const friend = await w.user(1, { maxLiveObjects: o.friendLive, policy: o.policy });
  const { ghid } = await owner.daemon.create(API_ID_RAW, Buffer.from('v0'));
  await owner.sharing.share(ghid, friend.daemon.fingerprint);
  if (o.policy === 'ask') {
    const [waiting] = await until(() => (friend.sharing.pending().length > 0 ? friend.sharing.pending() : null), 'the share to wait for the friend');
    await friend.sharing.accept(waiting!.id);
  }
  await until(async () => (await shownAfterSync(friend, ghid)) === 'v0' || null, 'the friend to read the share');
  return { w, owner, friend, ghid };
}

/** The owner writes the object `WRITES` times; the friend, once its daemon has followed them, reads the last. */
async function writesFollowed(owner: User, friend: User, ghid: Parameters<typeof shownAfterSync>[1]) {
  for (let n = 1; n <= WRITES; n++) {
    await owner.daemon.update(ghid, Buffer.from(`owner ${n}`));
    // The friend's daemon takes each version in as it is pushed, one at a time.
    await new Promise((r) => setTimeout(r, 20));
  }
  const last = `owner ${WRITES}`;
  return until(async () => ((await shownAfterSync(friend, ghid)) === last ? last : null), 'the friend to read the last write', 10_000).catch(() => shownAfterSync(friend, ghid));
}

test(`a friend's daemon restarted after accepting a share still reads it after ${WRITES} updates by its author, no app having opened it since`, async () => {
  const { owner, friend, ghid } = await sharedWithFriend();
  const again = await friend.restart();
  assert.equal(await writesFollowed(owner, again, ghid), `owner ${WRITES}`);
});

test(`a shared object evicted from the friend's live cache is still followed through ${WRITES} updates`, async () => {
  const { owner, friend, ghid } = await sharedWithFriend({ friendLive: 1 });
  // Another object takes the only live place.
  await friend.daemon.create(API_ID_RAW, Buffer.from('mine'));
  assert.equal(friend.daemon.isLive(ghid), false, 'the shared object left the live cache');
  assert.equal(await writesFollowed(owner, friend, ghid), `owner ${WRITES}`);
});

// A daemon that was not running cannot follow: past the legroom the object is out of its reach
// (Golix frames carry 7 versions back). It asks whoever shared the object to share it again
// (sharing/share-again.ts), and their daemon does: the new share brings a secret of a current
// version, taken without asking (the same sender) over the record that cannot catch up. Before,
// the friend was told to ask, and, earlier still, the new share was refused.
const CANNOT_CATCH_UP = /Cannot catch up with .*more than 7 versions old; a new share of it from its author opens it again/;

/** Whether the owner's daemon shares the object again with `friend` within `ms` (its 'result' event). */
const sharedAgain = (owner: User, friend: User, ms = 10_000) =>
  new Promise<boolean | 'no share again'>((resolve) => {
    const seen = (r: ShareResult) => {
      if (!r.recipient.equals(friend.daemon.fingerprint)) return;
      owner.sharing.off('result', seen);
      resolve(r.again === true && r.ok);
    };
    owner.sharing.on('result', seen);
    setTimeout(() => resolve('no share again'), ms).unref();
  });

for (const policy of [undefined, 'ask'] as const) test(`a friend whose computer was off while the author wrote ${WRITES} times asks for the object again, and reads it once the author's daemon shares it again${policy ? ', without being asked (policy "ask")' : ''}`, async () => {
  const { owner, friend, ghid } = await sharedWithFriend({ policy });
  await friend.stop();
  for (let n = 1; n <= WRITES; n++) await owner.daemon.update(ghid, Buffer.from(`owner ${n}`));
  const answered = sharedAgain(owner, friend);
  const again = await friend.restart();
  const taken = new Promise<IncomingShare>((resolve) => again.sharing.once('incoming', resolve));
  assert.equal(await answered, true, "the owner's daemon shares it again (so marked), and the friend takes it");
  assert.equal((await taken).again, true, 'the friend is told it is a share again');
  assert.deepEqual(again.sharing.pending(), [], 'nothing waits for the friend');
  const last = `owner ${WRITES}`;
  assert.equal(await until(async () => ((await shownAfterSync(again, ghid)) === last ? last : null), 'the friend to read it').catch(() => shownAfterSync(again, ghid)), last);
  await owner.daemon.update(ghid, Buffer.from('owner after'));
  assert.equal(await until(async () => ((await shownAfterSync(again, ghid)) === 'owner after' ? 'owner after' : null), 'the next version to be read').catch(() => shownAfterSync(again, ghid)), 'owner after', 'and follows it from there');
});

test('the request waits on the server while the author is away, and is answered when they are back', async () => {
  const { owner, friend, ghid } = await sharedWithFriend();
  await friend.stop();
  for (let n = 1; n <= WRITES; n++) await owner.daemon.update(ghid, Buffer.from(`owner ${n}`));
  await owner.stop();
  const again = await friend.restart();
  assert.match(await until(async () => ((await shownAfterSync(again, ghid)).match(CANNOT_CATCH_UP) ? 'told' : null), 'the friend to be told').then(() => shownAfterSync(again, ghid)), CANNOT_CATCH_UP);
  const row = () => listShares(again.sharing).find((s) => s.direction === 'incoming' && s.object === ghid.text);
  await until(() => typeof row()?.askedAgain === 'number' || null, 'the shares list to say the friend asked for it again');
  const back = await owner.restart();
  const last = `owner ${WRITES}`;
  assert.equal(await until(async () => ((await shownAfterSync(again, ghid)) === last ? last : null), 'the friend to read it once the author is back', 15_000).catch(() => shownAfterSync(again, ghid)), last);
  await until(() => back.sharing.records.sentState(ghid, again.daemon.fingerprint) === 'accepted' || null, "the friend's answer to reach the author");
  assert.equal(row()?.askedAgain, undefined, 'and no longer once it reads it');
});

test('a request to share again from someone blocked since is ignored', async () => {
  const { owner, friend, ghid } = await sharedWithFriend();
  owner.sharing.contacts.set(friend.daemon.fingerprint, { trust: 'blocked' });
  await friend.stop();
  for (let n = 1; n <= WRITES; n++) await owner.daemon.update(ghid, Buffer.from(`owner ${n}`));
  const answered = sharedAgain(owner, friend, 5_000);
  const again = await friend.restart();
  assert.equal(await answered, 'no share again', 'a blocked friend gets no new share');
  assert.match(await shownAfterSync(again, ghid), CANNOT_CATCH_UP);
});
