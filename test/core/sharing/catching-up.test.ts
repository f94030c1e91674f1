// The recipient's side of asking for a share again, alone (catching-up.ts): whom it asks, how
// often, what a failed ask leaves, and the quicker asks after a share again that opened nothing.
// Through Sharing and real daemons: share-again.test.ts and the integration tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openRequest, type Garq, type Ghid, type GolixObject } from '../../../src/core/golix/index.js';
import { CatchingUp } from '../../../src/core/sharing/catching-up.js';
import { SHARE_AGAIN_STATUS } from '../../../src/core/sharing/share-again.js';
import { randomGhid } from '../../fixtures/ipc/fakes.js';
import { v16Identity } from '../../fixtures/vectors.js';
import { until } from '../../fixtures/wait.js';

/** We are the vectors' second identity; the first shared `object` with us. */
function setUp(o: { failPublish?: () => boolean; waits?: readonly number[] } = {}) {
  const sharer = v16Identity(0);
  const object = randomGhid();
  const published: GolixObject[] = [];
  const warnings: string[] = [];
  const stop = new AbortController();
  const deleted = new Set<string>();
  const catchingUp = new CatchingUp({
    daemon: {
      identity: v16Identity(1),
      stopped: stop.signal,
      publish: async (obj: GolixObject) => {
        if (o.failPublish?.()) throw new Error('the remote is away');
        published.push(obj);
      },
    },
    records: { receivedFrom: (ghid: Ghid) => (ghid.equals(object) ? sharer.ghid : null), isDeleted: (ghid: Ghid) => deleted.has(ghid.text) },
    identity: async () => sharer.publicIdentity,
    warn: (m) => warnings.push(m),
    askAgainAfterNothingMs: o.waits ?? [20, 40],
  });
  return { catchingUp, object, published, warnings, stop, sharer, deleted };
}

test('an object its author deleted is never asked for: no share again could open it', async () => {
  const { catchingUp, object, published, deleted } = setUp();
  deleted.add(object.text);
  await catchingUp.unreadable(object);
  assert.deepEqual(published, []);
  assert.equal(catchingUp.askedSince(object), null, 'not listed as behind');
});

test('an object shared with us is asked for once, by an NK request to its sharer naming it; one of ours is never', async () => {
  const { catchingUp, object, published, sharer } = setUp();
  await catchingUp.unreadable(randomGhid());
  assert.deepEqual(published, [], 'not shared with us: nobody to ask');
  await catchingUp.unreadable(object);
  await catchingUp.unreadable(object);
  assert.equal(published.length, 1, 'once a day, however often it is unreadable');
  const opened = await openRequest(published[0]! as Garq, sharer, async () => v16Identity(1).publicIdentity);
  assert.deepEqual([opened.kind, opened.target.text, 'status' in opened ? opened.status : null], ['NK', object.text, SHARE_AGAIN_STATUS]);
  assert.ok(catchingUp.askedSince(object)! <= Date.now());
});

test('an ask that could not go out is said, and the next unreadable version asks again', async () => {
  let away = true;
  const { catchingUp, object, published, warnings } = setUp({ failPublish: () => away });
  await catchingUp.unreadable(object);
  assert.deepEqual(published, []);
  assert.equal(catchingUp.askedSince(object), null, 'nothing asked yet');
  assert.match(warnings.at(-1)!, /could not ask .* again: the remote is away/);
  away = false;
  await catchingUp.unreadable(object);
  assert.equal(published.length, 1);
});

test('read again: no longer behind, and falling behind later asks again at once', async () => {
  const { catchingUp, object, published } = setUp();
  await catchingUp.unreadable(object);
  catchingUp.readable(object);
  assert.equal(catchingUp.askedSince(object), null);
  await catchingUp.unreadable(object);
  assert.equal(published.length, 2);
});

test('a share again that opened nothing is asked for again after each wait in turn, then no sooner than a day', async () => {
  const { catchingUp, object, published, warnings } = setUp({ waits: [20, 40] });
  catchingUp.openedNothing(object);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(published, [], 'not behind (never asked): nothing to ask again for');
  await catchingUp.unreadable(object);
  catchingUp.openedNothing(object);
  catchingUp.openedNothing(object);
  await until(() => published.length === 2 || null, 'the ask after the first wait');
  assert.equal(warnings.filter((w) => /opened nothing here/.test(w)).length, 1, 'one wait at a time');
  catchingUp.openedNothing(object);
  await until(() => published.length === 3 || null, 'the ask after the second wait');
  catchingUp.openedNothing(object);
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(published.length, 3, 'the waits are used up');
});

test('a daemon that stopped, or an object read again meanwhile, is not asked for when the wait ends', async () => {
  const a = setUp({ waits: [20] });
  await a.catchingUp.unreadable(a.object);
  a.catchingUp.openedNothing(a.object);
  a.stop.abort();
  const b = setUp({ waits: [20] });
  await b.catchingUp.unreadable(b.object);
  b.catchingUp.openedNothing(b.object);
  b.catchingUp.readable(b.object);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(a.published.length, 1);
  assert.equal(b.published.length, 1);
});
