import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPENED_NOTHING_STATUS, SHARE_AGAIN_STATUS, Throttle, decideShareAgain } from '../../../src/core/sharing/share-again.js';
import { decodeInner, encodeInner } from '../../../src/core/golix/requests.js';
import { FakeDaemon, randomGhid } from '../../fixtures/ipc/fakes.js';
import { Secret, UnknownSecret, buildRequest, openRequest, type Garq, type Ghid, type GolixObject } from '../../../src/core/golix/index.js';
import { API_ID_RAW } from '../../../src/core/objects/hgxd.js';
import { Sharing } from '../../../src/core/sharing/sharing.js';
import { v16Identity } from '../../fixtures/vectors.js';
import { until } from '../../fixtures/wait.js';

test('an object is shared again only with someone who took it or has it on its way, and not blocked since', () => {
  assert.equal(decideShareAgain('accepted', false), 'share');
  assert.equal(decideShareAgain('accepted', true), 'ignore', 'blocked since');
  assert.equal(decideShareAgain(null, false), 'ignore', 'never shared with them: the request cannot widen who reads it');
  assert.equal(decideShareAgain('declined', false), 'ignore', 'they declined it');
  assert.equal(decideShareAgain('waiting', false), 'share', 'one on its way: they were sent its secret already (its answer may be lost)');
  assert.equal(decideShareAgain('waiting', true), 'ignore');
});

test('the request is an NK naming the object, with a status the reference never writes', () => {
  const [author, object] = [randomGhid(), randomGhid()];
  const { body } = decodeInner(encodeInner(author, { kind: 'NK', target: object, status: SHARE_AGAIN_STATUS }));
  assert.deepEqual(body, { kind: 'NK', target: object, status: SHARE_AGAIN_STATUS });
  assert.notEqual(SHARE_AGAIN_STATUS, 0, 'the reference answers with status 0');
});

test('a throttle lets one go per key within its period, and remembers a bounded number of keys', () => {
  let now = 0;
  const t = new Throttle(1000, 2, () => now);
  assert.equal(t.take('a'), true);
  assert.equal(t.take('a'), false);
  assert.equal(t.take('b'), true);
  now = 999;
  assert.equal(t.take('a'), false);
  now = 1000;
  assert.equal(t.take('a'), true, 'a period later');
  now = 1010;
  assert.equal(t.take('c'), true);
  assert.equal(t.take('b'), true, 'the key remembered longest was let go of (2 at most)');
  assert.equal(t.take('c'), false);
  t.forget('c');
  assert.equal(t.take('c'), true, 'a key forgotten has its go back');
  assert.equal(t.lastGo('c'), 1010, 'when it last went');
  assert.equal(t.lastGo('z'), null);
});

/** A daemon that is the vectors' second identity, knows the first's, and keeps what it publishes. */
class SigningDaemon extends FakeDaemon {
  override readonly fingerprint = v16Identity(1).ghid;
  readonly published: GolixObject[] = [];
  override get identity() {
    return v16Identity(1);
  }
  override async fetch(ghid: Ghid): Promise<GolixObject | null> {
    const sharer = v16Identity(0).publicIdentity.gidc;
    return ghid.equals(sharer.ghid) ? sharer : null;
  }
  override async publish(obj: GolixObject): Promise<void> {
    this.published.push(obj);
  }
}

test('an object shared with us that cannot be read: its sharer is asked once, by a request naming it, and the shares list says so until it is read again', async () => {
  const daemon = new SigningDaemon();
  const sharer = v16Identity(0);
  const [object, mine] = [randomGhid(), randomGhid()];
  daemon.shared.map.raw.set(`shared-in:${object.text}`, { f: sharer.ghid.text, a: null, z: 1, at: 1000 });
  const sharing = new Sharing(daemon, { policy: () => 'ask', blocked: () => [], warn: () => {} });

  daemon.emit('unreadable', mine);
  daemon.emit('unreadable', object);
  await until(() => sharing.askedAgain(object), 'the ask to go out');
  daemon.emit('unreadable', object);
  await new Promise((r) => setImmediate(r));
  assert.equal(daemon.published.length, 1, 'one ask, for the object shared with us only (not ours), however often it is unreadable');
  const opened = await openRequest(daemon.published[0] as Garq, sharer, async () => v16Identity(1).publicIdentity);
  assert.deepEqual([opened.kind, opened.author.text, opened.target.text, 'status' in opened ? opened.status : null], ['NK', daemon.fingerprint.text, object.text, SHARE_AGAIN_STATUS]);

  daemon.emit('readable', object);
  assert.equal(sharing.askedAgain(object), null, 'read again: nothing to say');
  daemon.emit('unreadable', object);
  await until(() => sharing.askedAgain(object), 'the second ask');
  assert.equal(daemon.published.length, 2, 'answered, the ask was spent: falling behind again asks again at once');
});

/** The sharer's side: the vectors' first identity, which shared `object` with the second, who took it. */
class SharerDaemon extends FakeDaemon {
  override readonly fingerprint = v16Identity(0).ghid;
  readonly published: GolixObject[] = [];
  constructor(readonly object: Ghid) {
    super();
    this.objects.set(object.text, { ghid: object, dynamic: true, apiId: API_ID_RAW, state: Buffer.from('v9'), author: this.fingerprint, counter: 9n, container: randomGhid() });
  }
  override get identity() {
    return v16Identity(0);
  }
  override async secretOf(ghid: Ghid): Promise<Secret | null> {
    return ghid.equals(this.object) ? Secret.random() : null;
  }
  override async fetch(ghid: Ghid): Promise<GolixObject | null> {
    const friend = v16Identity(1).publicIdentity.gidc;
    return ghid.equals(friend.ghid) ? friend : null;
  }
  override async publish(obj: GolixObject): Promise<void> {
    this.published.push(obj);
  }
  /** The handshakes it sent (its debindings of the requests it answered aside). */
  shares(): Garq[] {
    return this.published.filter((o): o is Garq => o.type === 'GARQ');
  }
}

test('a sharer shares again at once when its last share again was taken since, else once a period after it', async () => {
  const object = randomGhid();
  const daemon = new SharerDaemon(object);
  const friend = v16Identity(1);
  const sharing = new Sharing(daemon, { policy: () => 'ask', blocked: () => [], warn: () => {}, shareAgainEveryMs: 400 });
  const ask = () => daemon.emit('request', buildRequest(friend, v16Identity(0).publicIdentity, { kind: 'NK', target: object, status: SHARE_AGAIN_STATUS }));
  const take = (share: Garq) => daemon.emit('request', buildRequest(friend, v16Identity(0).publicIdentity, { kind: 'AK', target: share.ghid, status: 0 }));
  const settle = () => new Promise((r) => setTimeout(r, 100));
  const results: boolean[] = [];
  sharing.on('result', (r) => results.push(r.again === true && r.ok));
  sharing.records.sentOne(object, friend.ghid, 'accepted');
  ask();
  await until(() => daemon.shares().length === 1 || null, 'the share again');
  ask();
  await settle();
  assert.equal(daemon.shares().length, 1, 'not within the period while that share waits to be taken');
  take(daemon.shares()[0]!);
  await until(() => results.length === 1 || null, 'the share taken');
  ask();
  await until(() => daemon.shares().length === 2 || null, 'taken since: shared again at once, within the period');
  assert.deepEqual(results, [true]);

  // Taken before the last share again (as the record says): a period after it, not before.
  const last = Date.now();
  daemon.shared.map.raw.set(`shared-out:${object.text} ${friend.ghid.text}`, { s: 'accepted', at: last - 10_000, a: null, z: null });
  ask();
  await settle();
  assert.equal(daemon.shares().length, 2, 'not within the period');
  await new Promise((r) => setTimeout(r, Math.max(0, last + 450 - Date.now())));
  ask();
  await until(() => daemon.shares().length === 3 || null, 'a period later');
});

test('a sharer that deleted the object ignores asks to share it again, saying why; one deleted upstream (another computer) alike', async () => {
  const object = randomGhid();
  const daemon = new SharerDaemon(object);
  const friend = v16Identity(1);
  const warnings: string[] = [];
  const sharing = new Sharing(daemon, { policy: () => 'ask', blocked: () => [], warn: (m) => warnings.push(m) });
  sharing.records.sentOne(object, friend.ghid, 'accepted');
  daemon.emit('deleted-here', object);
  await until(() => sharing.records.isDeleted(object) || null, 'the record marked');
  daemon.emit('request', buildRequest(friend, v16Identity(0).publicIdentity, { kind: 'NK', target: object, status: SHARE_AGAIN_STATUS }));
  await until(() => warnings.find((w) => w.includes('share') && w.endsWith('again: it was deleted')), 'the ask ignored, in words');
  assert.equal(daemon.shares().length, 0);

  const other = randomGhid();
  sharing.records.sentOne(other, friend.ghid, 'accepted');
  daemon.emit('delete', other);
  await until(() => sharing.records.isDeleted(other) || null, 'marked when told upstream');
});

test("an answer that comes before another computer's record of the request is taken once the record comes, not dropped", async () => {
  const object = randomGhid();
  const daemon = new SharerDaemon(object);
  const friend = v16Identity(1);
  const sharing = new Sharing(daemon, { policy: () => 'ask', blocked: () => [], warn: () => {} });
  const results: string[] = [];
  sharing.on('result', (r) => results.push(`${r.ghid.text} ${r.ok}`));
  await sharing.share(object, friend.ghid);
  const request = daemon.shares()[0]!;
  // As on the account's other computer: the request made, its record not synced yet.
  const key = `out:${request.ghid.text}`;
  const record = daemon.shared.map.raw.get(key);
  daemon.shared.map.raw.delete(key);
  daemon.emit('request', buildRequest(friend, v16Identity(0).publicIdentity, { kind: 'AK', target: request.ghid, status: 0 }));
  await new Promise((r) => setTimeout(r, 200));
  daemon.shared.map.raw.set(key, record!);
  await until(() => results.length === 1 || null, 'the answer taken', 5_000);
  assert.deepEqual(results, [`${object.text} true`]);
  assert.equal(sharing.records.sentState(object, friend.ghid), 'accepted');
});

/** The friend's daemon of the test above, whose every open fails as a share of a version the server never took does. */
class BehindDaemon extends SigningDaemon {
  override async open(ghid: Ghid): Promise<never> {
    throw new UnknownSecret(`The known secret does not open ${ghid.short}`);
  }
  /** What it published, opened: kind, target and status. */
  async sent(): Promise<string[]> {
    const sharer = v16Identity(0);
    const out: string[] = [];
    for (const o of this.published) {
      if (o.type !== 'GARQ') continue;
      const r = await openRequest(o as Garq, sharer, async () => v16Identity(1).publicIdentity);
      out.push(`${r.kind} ${r.target.short} ${'status' in r ? r.status : ''}`);
    }
    return out;
  }
}

test('a share again that opens nothing is answered so (not declined), and asked for again after each wait of a bounded list, while still behind', async () => {
  const daemon = new BehindDaemon();
  const sharer = v16Identity(0);
  const object = randomGhid();
  daemon.shared.map.raw.set(`shared-in:${object.text}`, { f: sharer.ghid.text, a: null, z: 1, at: 1000 });
  const warnings: string[] = [];
  const sharing = new Sharing(daemon, { policy: () => 'ask', blocked: () => [], warn: (m) => warnings.push(m), askAgainAfterNothingMs: [400, 100] });
  const shareAgain = () => {
    const hs = buildRequest(sharer, v16Identity(1).publicIdentity, { kind: 'HS', target: object, secret: Secret.random() });
    daemon.emit('request', hs);
    return hs.ghid;
  };
  daemon.emit('unreadable', object);
  await until(() => sharing.askedAgain(object), 'the first ask');
  // Two computers of the sharer's account answer the one ask: one round, one ask again.
  const first = shareAgain();
  const alsoFirst = shareAgain();
  await until(async () => (await daemon.sent()).length >= 4 || null, 'the answers, and the ask again after the first wait');
  assert.deepEqual((await daemon.sent()).sort(), [`NK ${object.short} ${SHARE_AGAIN_STATUS}`, `NK ${object.short} ${SHARE_AGAIN_STATUS}`, `NK ${first.short} ${OPENED_NOTHING_STATUS}`, `NK ${alsoFirst.short} ${OPENED_NOTHING_STATUS}`].sort());
  assert.ok(warnings.some((w) => w.includes('does not open')), 'the failure is logged');
  await new Promise((r) => setTimeout(r, 120));
  assert.equal((await daemon.sent()).length, 4, 'one ask again for the round');
  const second = shareAgain();
  await until(async () => (await daemon.sent()).length >= 6 || null, 'the ask again after the second wait');
  assert.deepEqual((await daemon.sent()).slice(4), [`NK ${second.short} ${OPENED_NOTHING_STATUS}`, `NK ${object.short} ${SHARE_AGAIN_STATUS}`]);
  shareAgain();
  await until(async () => (await daemon.sent()).length >= 7 || null, 'the third answer');
  await new Promise((r) => setTimeout(r, 250));
  assert.equal((await daemon.sent()).length, 7, 'the waits spent: no ask again before a day');

});

test('a share again that opened nothing, then read again before the wait ends: not asked for again', async () => {
  const daemon = new BehindDaemon();
  const sharer = v16Identity(0);
  const object = randomGhid();
  daemon.shared.map.raw.set(`shared-in:${object.text}`, { f: sharer.ghid.text, a: null, z: 1, at: 1000 });
  const sharing = new Sharing(daemon, { policy: () => 'ask', blocked: () => [], warn: () => {}, askAgainAfterNothingMs: [1_500] });
  daemon.emit('unreadable', object);
  await until(() => sharing.askedAgain(object), 'the ask');
  daemon.emit('request', buildRequest(sharer, v16Identity(1).publicIdentity, { kind: 'HS', target: object, secret: Secret.random() }));
  await until(async () => (await daemon.sent()).length >= 2 || null, 'its answer');
  daemon.emit('readable', object);
  await new Promise((r) => setTimeout(r, 1_700));
  assert.equal((await daemon.sent()).length, 2, 'read again: not asked for');
});

test('a recipient whose share again opened nothing stays one who took it: their next ask is answered at once, and no result is told for it', async () => {
  const object = randomGhid();
  const daemon = new SharerDaemon(object);
  const friend = v16Identity(1);
  const sharing = new Sharing(daemon, { policy: () => 'ask', blocked: () => [], warn: () => {}, shareAgainEveryMs: 60_000 });
  const results: string[] = [];
  sharing.on('result', (r) => results.push(`${r.ok} ${r.token}${r.unopened ? ' true' : ''}`));
  const ask = () => daemon.emit('request', buildRequest(friend, v16Identity(0).publicIdentity, { kind: 'NK', target: object, status: SHARE_AGAIN_STATUS }));
  const nothing = (share: Garq) => daemon.emit('request', buildRequest(friend, v16Identity(0).publicIdentity, { kind: 'NK', target: share.ghid, status: OPENED_NOTHING_STATUS }));
  sharing.records.sentOne(object, friend.ghid, 'accepted');
  ask();
  await until(() => daemon.shares().length === 1 || null, 'the share again');
  await new Promise((r) => setTimeout(r, 5));
  nothing(daemon.shares()[0]!);
  await until(() => sharing.records.sentRecord(object, friend.ghid)?.state === 'accepted' || null, 'kept as taken');
  ask();
  await until(() => daemon.shares().length === 2 || null, 'answered at once, within the period');
  assert.deepEqual(results, [], 'nobody waits for the result of a share again');

  // A share a user made: the app that asked is told it did not open.
  await sharing.share(object, friend.ghid, 'token-1');
  nothing(daemon.shares()[2]!);
  await until(() => results.length === 1 || null, 'the result');
  assert.deepEqual(results, ['false token-1 true']);
  assert.equal(sharing.records.sentState(object, friend.ghid), 'accepted');

  // The reference's NK (status 0) is a refusal, as before.
  ask();
  await until(() => daemon.shares().length === 4 || null, 'the next share again');
  daemon.emit('request', buildRequest(friend, v16Identity(0).publicIdentity, { kind: 'NK', target: daemon.shares()[3]!.ghid, status: 0 }));
  await until(() => sharing.records.sentState(object, friend.ghid) === 'declined' || null, 'declined');
});

test('a share goes once our frames of the object are answered by the remotes, with the secret of the version shown then', async () => {
  const object = randomGhid();
  const steps: string[] = [];
  const daemon = new (class extends SharerDaemon {
    override async settled(ghid: Ghid): Promise<boolean> {
      steps.push(`settled ${ghid.short}`);
      return true;
    }
    override async secretOf(ghid: Ghid): Promise<Secret | null> {
      steps.push(`secret ${ghid.short}`);
      return super.secretOf(ghid);
    }
  })(object);
  const sharing = new Sharing(daemon, { policy: () => 'ask', blocked: () => [], warn: () => {} });
  await sharing.share(object, v16Identity(1).ghid);
  assert.deepEqual(steps, [`settled ${object.short}`, `secret ${object.short}`]);
  assert.equal(daemon.shares().length, 1);
});
