/**
 * The records of shares (src/core/sharing/share-records.ts), pinned on their own over an account
 * state in memory: what a share we took (`shared-in:<object GHID>`) and a share we sent with its
 * answer (`shared-out:<object GHID> <recipient>`) store, key and value, as docs/formats.md ("Keys
 * of the account state") and account/state-keys.ts give them; the same object shared twice;
 * the order Sharing's bound (MAX_FOLLOWED_SHARES) is taken from; removal; records another
 * computer of the account wrote, merged through the account's last-writer-wins map; and records
 * in an older or malformed encoding, skipped, never a crash. Sharing's use of them is in
 * sharing.test.ts, follow.test.ts and share-again.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ghid } from '../../../src/core/golix/index.js';
import { LwwMap, type JsonValue } from '../../../src/core/account/lww-map.js';
import { STATE_PREFIXES } from '../../../src/core/account/state-keys.js';
import { StateNamespaces, type StateMap } from '../../../src/core/account/state-namespace.js';
import { API_ID_RAW } from '../../../src/core/objects/hgxd.js';
import { apiIdText } from '../../../src/core/sharing/peek.js';
import { ShareRecords, type ReceivedRecord, type SentRecord } from '../../../src/core/sharing/share-records.js';
import { MAX_FOLLOWED_SHARES } from '../../../src/core/sharing/sharing.js';
import { memoryState } from '../../fixtures/account/memory-state.js';

const ghid = (): Ghid => Ghid.fromDigest(randomBytes(64));
const API = apiIdText(API_ID_RAW);

/** Records over an in-memory state map, on a clock the test moves. */
function records(start = 1000) {
  const { map, state } = memoryState();
  const clock = { now: start };
  const r = new ShareRecords(state('shared-in:'), state('shared-out:'), () => clock.now);
  return { map, clock, r };
}

/** A record made plain for deepEqual: GHIDs as their text. */
const plainIn = (x: ReceivedRecord) => ({ ...x, object: x.object.text, from: x.from.text });
const plainOut = (x: SentRecord) => ({ ...x, object: x.object.text, recipient: x.recipient.text });

/** One computer of the account: its replica of the state map (the daemon's AccountMap, minus the writing). */
class Computer implements StateMap {
  readonly lww: LwwMap;
  readonly records: ShareRecords;
  readonly clock = { now: 0 };

  constructor(device: string, from?: Computer) {
    this.lww = from ? LwwMap.decode(from.lww.encode(), device) : new LwwMap(device);
    const namespaces = new StateNamespaces(this);
    this.records = new ShareRecords(namespaces.claim('shared-in:'), namespaces.claim('shared-out:'), () => this.clock.now);
  }

  get(key: string): JsonValue | undefined {
    return this.lww.get(key);
  }
  set(key: string, value: JsonValue): void {
    this.lww.set(key, value);
  }
  delete(key: string): void {
    this.lww.delete(key);
  }
  entries(prefix?: string): IterableIterator<[string, JsonValue]> {
    return this.lww.entries(prefix);
  }
  async flush(): Promise<void> {}

  /** Takes in what the other computer wrote, as its state map's object arrives. */
  hears(other: Computer): void {
    this.lww.merge(LwwMap.decode(other.lww.encode(), 'wire'));
  }
}

/** The row of docs/formats.md's table of account state keys for `key`. */
function formatsRow(key: string): string {
  const text = readFileSync(fileURLToPath(new URL('../../../docs/formats.md', import.meta.url)), 'utf8');
  const row = text.split('\n').find((l) => l.startsWith(`| \`${key}`));
  assert.ok(row, `docs/formats.md has a row for ${key}`);
  return row;
}

test('a share we took is kept under shared-in:<object GHID> as {f, a, z, at}, and read back', () => {
  const { map, clock, r } = records();
  const [object, from] = [ghid(), ghid()];
  assert.equal(API.length, 88, 'api_ids in their 88-character text (formats.md)');
  clock.now = 1_700_000_000_123;
  r.receivedOne({ object, from, apiId: API, size: 42 });

  assert.deepEqual([...map.raw], [[`shared-in:${object.text}`, { f: from.text, a: API, z: 42, at: 1_700_000_000_123 }]]);
  assert.deepEqual(Object.keys(map.raw.get(`shared-in:${object.text}`) as object), ['f', 'a', 'z', 'at'], 'exactly the documented fields');
  assert.ok(r.receivedFrom(object)?.equals(from));
  assert.deepEqual(r.receivedList().map(plainIn), [{ object: object.text, from: from.text, apiId: API, size: 42, at: 1_700_000_000_123, deletedAt: null }]);

  // Nothing else is implied: not a share we sent, and not another object.
  assert.deepEqual(r.sentList(), []);
  assert.equal(r.sentState(object, from), null);
  assert.equal(r.receivedFrom(ghid()), null);
  assert.equal(r.receivedFrom(from), null, 'keyed by the object, not the sender');
});

test('what a share we took is not known is kept as null; a size of 0 is a size', () => {
  const { map, r } = records();
  const [unknown, empty, from] = [ghid(), ghid(), ghid()];
  r.receivedOne({ object: unknown, from, apiId: null, size: null });
  r.receivedOne({ object: empty, from, apiId: API, size: 0 });
  assert.deepEqual(map.raw.get(`shared-in:${unknown.text}`), { f: from.text, a: null, z: null, at: 1000 });
  assert.deepEqual(map.raw.get(`shared-in:${empty.text}`), { f: from.text, a: API, z: 0, at: 1000 });
  const byObject = new Map(r.receivedList().map((x) => [x.object.text, x]));
  assert.deepEqual([byObject.get(unknown.text)!.apiId, byObject.get(unknown.text)!.size], [null, null]);
  assert.deepEqual([byObject.get(empty.text)!.apiId, byObject.get(empty.text)!.size], [API, 0]);
});

test('the time of a record is the injected clock, Date.now by default', () => {
  const { state } = memoryState();
  const r = new ShareRecords(state('shared-in:'), state('shared-out:'));
  const before = Date.now();
  r.receivedOne({ object: ghid(), from: ghid(), apiId: null, size: 1 });
  r.sentOne(ghid(), ghid(), 'waiting');
  const after = Date.now();
  const [inAt, outAt] = [r.receivedList()[0]!.at, r.sentList()[0]!.at];
  for (const at of [inAt, outAt]) assert.ok(at >= before && at <= after, `${at} within [${before}, ${after}]`);
});

test('the same object shared with us twice, by the same user or another, is one record: the latest sharer, at its time', () => {
  const { map, clock, r } = records();
  const [object, alice, bob] = [ghid(), ghid(), ghid()];
  r.receivedOne({ object, from: alice, apiId: API, size: 10 });
  clock.now = 2000;
  r.receivedOne({ object, from: alice, apiId: API, size: 12 });
  assert.equal(map.raw.size, 1);
  assert.deepEqual(r.receivedList().map(plainIn), [{ object: object.text, from: alice.text, apiId: API, size: 12, at: 2000, deletedAt: null }], 'shared again: newer size and time');

  clock.now = 3000;
  r.receivedOne({ object, from: bob, apiId: null, size: null });
  assert.equal(map.raw.size, 1, 'still one record of the object');
  assert.ok(r.receivedFrom(object)?.equals(bob), 'the latest sharer is the one asked to share it again');
  assert.deepEqual(map.raw.get(`shared-in:${object.text}`), { f: bob.text, a: null, z: null, at: 3000 }, 'nothing carried over from the earlier share');
});

test('a share we sent is kept under shared-out:<object> <recipient> with what it is; its answer keeps that and moves state and time', () => {
  const { map, clock, r } = records();
  const [object, friend] = [ghid(), ghid()];
  const key = `shared-out:${object.text} ${friend.text}`;
  r.sentOne(object, friend, 'waiting', { apiId: API, size: 7 });
  assert.deepEqual([...map.raw], [[key, { s: 'waiting', at: 1000, a: API, z: 7 }]]);
  assert.equal(r.sentState(object, friend), 'waiting');
  assert.deepEqual(r.sentRecord(object, friend), { state: 'waiting', at: 1000 });

  clock.now = 5000;
  r.sentOne(object, friend, 'accepted');
  assert.deepEqual(map.raw.get(key), { s: 'accepted', at: 5000, a: API, z: 7 }, 'what it is is kept from the first record');
  assert.deepEqual(r.sentRecord(object, friend), { state: 'accepted', at: 5000 }, 'when it became so');
  assert.deepEqual(r.sentList().map(plainOut), [{ object: object.text, recipient: friend.text, state: 'accepted', apiId: API, size: 7, at: 5000, deletedAt: null }]);

  clock.now = 6000;
  r.sentOne(object, friend, 'declined');
  assert.deepEqual(map.raw.get(key), { s: 'declined', at: 6000, a: API, z: 7 });
  assert.equal(r.sentState(object, friend), 'declined');

  // Keyed by both: not the reverse pair, not another recipient, not a share taken.
  assert.equal(r.sentState(friend, object), null);
  assert.equal(r.sentRecord(object, ghid()), null);
  assert.equal(r.receivedFrom(object), null);
  assert.deepEqual(r.receivedList(), []);
});

test('a share of an empty object keeps its size 0 through its answer; an answer to nothing recorded knows nothing of what it was', () => {
  const { map, r } = records();
  const [empty, stranger, friend] = [ghid(), ghid(), ghid()];
  r.sentOne(empty, friend, 'waiting', { apiId: API, size: 0 });
  r.sentOne(empty, friend, 'accepted');
  assert.deepEqual(map.raw.get(`shared-out:${empty.text} ${friend.text}`), { s: 'accepted', at: 1000, a: API, z: 0 });
  r.sentOne(stranger, friend, 'declined');
  assert.deepEqual(map.raw.get(`shared-out:${stranger.text} ${friend.text}`), { s: 'declined', at: 1000, a: null, z: null });
});

test('one object shared with two recipients: two records, each with its own answer', () => {
  const { clock, r } = records();
  const [object, alice, bob] = [ghid(), ghid(), ghid()];
  r.sentOne(object, alice, 'waiting', { apiId: API, size: 3 });
  clock.now = 1100;
  r.sentOne(object, bob, 'waiting', { apiId: API, size: 3 });
  clock.now = 1200;
  r.sentOne(object, alice, 'accepted');
  clock.now = 1300;
  r.sentOne(object, bob, 'declined');
  assert.equal(r.sentState(object, alice), 'accepted');
  assert.equal(r.sentState(object, bob), 'declined');
  assert.deepEqual(
    r.sentList().map((x) => [x.recipient.text, x.state, x.at]),
    [
      [bob.text, 'declined', 1300],
      [alice.text, 'accepted', 1200],
    ],
  );
});

test('lists come newest first and hold every record: Sharing follows the newest MAX_FOLLOWED_SHARES, the oldest and undated left out', () => {
  const { map, clock, r } = records();
  const from = ghid();
  // An undated record (written without a time) counts as the oldest.
  const undated = ghid();
  map.raw.set(`shared-in:${undated.text}`, { f: from.text, a: null, z: 1 });
  const objects = Array.from({ length: MAX_FOLLOWED_SHARES + 1 }, () => ghid());
  // Written out of time order: the order is the records' times, not the map's.
  const times = objects.map((_, i) => 10_000 + ((i * 7919) % objects.length));
  objects.forEach((object, i) => {
    clock.now = times[i]!;
    r.receivedOne({ object, from, apiId: null, size: i });
  });
  const list = r.receivedList();
  assert.equal(list.length, MAX_FOLLOWED_SHARES + 2, 'no bound in the records themselves');
  for (let i = 1; i < list.length; i++) assert.ok(list[i - 1]!.at >= list[i]!.at, 'newest first');
  assert.equal(list.at(-1)!.object.text, undated.text);
  assert.equal(list.at(-1)!.at, 0, 'no time: 0');

  const followed = new Set(list.slice(0, MAX_FOLLOWED_SHARES).map((x) => x.object.text));
  const oldest = objects[times.indexOf(Math.min(...times))]!;
  assert.ok(!followed.has(undated.text) && !followed.has(oldest.text), 'the undated and the oldest go');
  assert.ok(followed.has(objects[times.indexOf(Math.max(...times))]!.text), 'the newest stays');

  // Sent records likewise.
  const [a, b, c] = [ghid(), ghid(), ghid()];
  clock.now = 2;
  r.sentOne(a, from, 'waiting');
  clock.now = 3;
  r.sentOne(b, from, 'waiting');
  clock.now = 1;
  r.sentOne(c, from, 'waiting');
  assert.deepEqual(
    r.sentList().map((x) => x.object.text),
    [b, a, c].map((x) => x.text),
  );
});

test('a record removed from the state is gone from every read', () => {
  const { map, r } = records();
  const [object, from, sent, friend] = [ghid(), ghid(), ghid(), ghid()];
  r.receivedOne({ object, from, apiId: API, size: 1 });
  r.sentOne(sent, friend, 'accepted', { apiId: API, size: 2 });
  map.delete(`shared-in:${object.text}`);
  map.delete(`shared-out:${sent.text} ${friend.text}`);
  assert.equal(r.receivedFrom(object), null);
  assert.deepEqual(r.receivedList(), []);
  assert.equal(r.sentState(sent, friend), null);
  assert.equal(r.sentRecord(sent, friend), null);
  assert.deepEqual(r.sentList(), []);
  // A later share is a fresh record: nothing comes back from the removed one.
  r.sentOne(sent, friend, 'accepted');
  assert.deepEqual(r.sentList().map((x) => [x.apiId, x.size]), [[null, null]]);
});

test('records another computer of the account wrote are read here once the state maps merge, both ways', () => {
  const home = new Computer('home');
  const work = new Computer('work', home);
  const [taken, shared, sharer, friend] = [ghid(), ghid(), ghid(), ghid()];

  home.clock.now = 1000;
  home.records.receivedOne({ object: taken, from: sharer, apiId: API, size: 5 });
  work.clock.now = 1100;
  work.records.sentOne(shared, friend, 'waiting', { apiId: API, size: 9 });
  assert.equal(work.records.receivedFrom(taken), null, 'not merged yet');

  work.hears(home);
  home.hears(work);
  for (const c of [home, work]) {
    assert.ok(c.records.receivedFrom(taken)?.equals(sharer));
    assert.deepEqual(c.records.receivedList().map(plainIn), [{ object: taken.text, from: sharer.text, apiId: API, size: 5, at: 1000, deletedAt: null }]);
    assert.equal(c.records.sentState(shared, friend), 'waiting');
  }

  // The friend's answer reaches home, which did not send the share: what it was is kept.
  home.clock.now = 2000;
  home.records.sentOne(shared, friend, 'accepted');
  work.hears(home);
  assert.deepEqual(work.records.sentRecord(shared, friend), { state: 'accepted', at: 2000 });
  assert.deepEqual(work.records.sentList().map(plainOut), [{ object: shared.text, recipient: friend.text, state: 'accepted', apiId: API, size: 9, at: 2000, deletedAt: null }]);

  // A removal on one computer reaches the other.
  home.delete(`shared-in:${taken.text}`);
  work.hears(home);
  assert.equal(work.records.receivedFrom(taken), null);
  assert.deepEqual(work.records.receivedList(), []);
});

test('the same object taken on two computers from two users settles on one record, the same on both', () => {
  const home = new Computer('home');
  const work = new Computer('work', home);
  const [object, alice, bob] = [ghid(), ghid(), ghid()];
  home.clock.now = 1000;
  home.records.receivedOne({ object, from: alice, apiId: API, size: 1 });
  work.clock.now = 900; // its clock behind; the map's own order decides
  work.records.receivedOne({ object, from: bob, apiId: null, size: 2 });
  home.hears(work);
  work.hears(home);
  const [h, w] = [home.records.receivedList().map(plainIn), work.records.receivedList().map(plainIn)];
  assert.equal(h.length, 1);
  assert.deepEqual(h, w, 'both computers show the same history');
  assert.ok(home.records.receivedFrom(object)?.equals(work.records.receivedFrom(object)));
  assert.equal(h[0]!.from, bob.text, "the later write in the map's order (the record's own time does not decide)");
});

test('received records in an older or malformed encoding are skipped, never a crash', () => {
  const { map, r } = records();
  const [good, from] = [ghid(), ghid()];
  const badValues: [Ghid, JsonValue | null][] = [
    [ghid(), true],
    [ghid(), 'from someone'],
    [ghid(), 12],
    [ghid(), null],
    [ghid(), [from.text]],
    [ghid(), {}],
    [ghid(), { f: 'not a ghid', at: 1 }],
    [ghid(), { f: from.text.slice(0, 87), at: 1 }],
    [ghid(), { f: 12, at: 1 }],
  ];
  for (const [object, v] of badValues) map.raw.set(`shared-in:${object.text}`, v as JsonValue);
  map.raw.set('shared-in:not-a-ghid', { f: from.text, a: null, z: 1, at: 1 });
  map.raw.set(`shared-in:${good.text.slice(0, -1)}A`, { f: from.text, a: null, z: 1, at: 1 }); // not canonical text
  map.raw.set(`shared-in:${good.text} `, { f: from.text, a: null, z: 1, at: 1 });
  // A readable record whose fields are of the wrong kinds: read, those fields as unknown.
  map.raw.set(`shared-in:${good.text}`, { f: from.text, a: 5, z: '12', at: 'yesterday' });

  assert.deepEqual(r.receivedList().map(plainIn), [{ object: good.text, from: from.text, apiId: null, size: null, at: 0, deletedAt: null }]);
  for (const [object] of badValues) assert.equal(r.receivedFrom(object), null);
  assert.ok(r.receivedFrom(good)?.equals(from));
});

test('sent records in an older or malformed encoding: never a crash, not known to sentState, and an answer over one is read sanely', () => {
  const { map, r } = records();
  const [object, friend] = [ghid(), ghid()];
  // Keyed by the object alone, the recipient inside (the shape follow.test.ts plants), and other wrong keys.
  map.raw.set(`shared-out:${object.text}`, { r: friend.text, s: 'accepted', a: null, z: 1, at: 5 });
  map.raw.set(`shared-out:${object.text} not-a-ghid`, { s: 'accepted', at: 5 });
  map.raw.set(`shared-out:not-a-ghid ${friend.text}`, { s: 'accepted', at: 5 });
  map.raw.set(`shared-out:${object.text}  ${friend.text}`, { s: 'accepted', at: 5 });
  assert.deepEqual(r.sentList(), []);
  assert.equal(r.sentState(object, friend), null);

  // A known state without a time: when it became so is not known (0).
  const undated = ghid();
  map.raw.set(`shared-out:${undated.text} ${friend.text}`, { s: 'accepted' });
  assert.deepEqual(r.sentRecord(undated, friend), { state: 'accepted', at: 0 });
  assert.deepEqual(r.sentList().map((x) => [x.object.text, x.state, x.at, x.apiId, x.size]), [[undated.text, 'accepted', 0, null, null]]);

  // Answers over values that are not records at all, or whose fields are of the wrong kinds.
  const [odd, odder] = [ghid(), ghid()];
  map.raw.set(`shared-out:${odd.text} ${friend.text}`, 'accepted');
  map.raw.set(`shared-out:${odder.text} ${friend.text}`, { s: 'waiting', at: 1, a: 5, z: 'big' });
  r.sentOne(odd, friend, 'declined');
  r.sentOne(odder, friend, 'accepted');
  assert.deepEqual(map.raw.get(`shared-out:${odd.text} ${friend.text}`), { s: 'declined', at: 1000, a: null, z: null });
  assert.equal(r.sentState(odder, friend), 'accepted');
  const read = r.sentList().find((x) => x.object.equals(odder))!;
  assert.deepEqual([read.state, read.apiId, read.size], ['accepted', null, null], 'wrong kinds read as unknown');
});

// FAILS (bug): sentList() lists a record whose state it does not know as 'waiting' (line 98),
// while sentRecord()/sentState() of the same record say it was never shared (null, line 74).
test('a sent record whose state is not one we know is skipped by every read alike', () => {
  const { map, r } = records();
  const [later, missing, friend] = [ghid(), ghid(), ghid()];
  // A state a newer version may write, and one without a state at all.
  map.raw.set(`shared-out:${later.text} ${friend.text}`, { s: 'revoked', at: 5, a: API, z: 1 });
  map.raw.set(`shared-out:${missing.text} ${friend.text}`, { at: 5 });
  assert.equal(r.sentState(later, friend), null);
  assert.equal(r.sentState(missing, friend), null);
  assert.deepEqual(
    r.sentList().map((x) => [x.object.text, x.state]),
    [],
    'the people view would show as waiting a share that share-again treats as never made',
  );
});

test('formats.md and the state-key registry give the shared-in: record as it is stored', () => {
  assert.equal(STATE_PREFIXES['shared-in:'].owner, 'sharing/share-records');
  assert.equal(STATE_PREFIXES['shared-in:'].key, 'object GHID');
  const row = formatsRow('shared-in:');
  assert.match(row, /^\| `shared-in:<object GHID>` \| `\{f: from, a: api_id text or null, z: state bytes or null, at, x\?: when its author deleted it\}` \|/);
  for (const field of ['f', 'a', 'z', 'at', 'x']) assert.match(STATE_PREFIXES['shared-in:'].value, new RegExp(`\\b${field}\\b`));
});

// A shared-out: record stores `a` (api_id) and `z` (size) too (since d212d68): the docs must say so.
test('formats.md and the state-key registry give every field of the shared-out: record as it is stored', () => {
  const { map, r } = records();
  const [object, friend] = [ghid(), ghid()];
  r.sentOne(object, friend, 'waiting', { apiId: API, size: 1 });
  r.objectDeleted(object);
  const stored = Object.keys(map.raw.get(`shared-out:${object.text} ${friend.text}`) as object).sort();
  assert.deepEqual(stored, ['a', 'at', 's', 'x', 'z']);
  assert.equal(STATE_PREFIXES['shared-out:'].owner, 'sharing/share-records');
  const row = formatsRow('shared-out:');
  assert.match(row, /^\| `shared-out:<object GHID> <recipient>` \|/);
  const documented = row.split(/(?<!\\)\|/)[2]!; // cells split on unescaped bars
  const registry = STATE_PREFIXES['shared-out:'].value as string;
  for (const field of stored) {
    assert.match(documented, new RegExp(`[{,] ?${field}\\??[:,}]`), `formats.md documents ${field} of a shared-out: record`);
    assert.match(registry, new RegExp(`[{,] ?${field}\\??[:,}]`), `state-keys.ts documents ${field} of a shared-out: record`);
  }
});

test('an object deleted by its author marks its records with when (x): the one received, every one sent; an answer after keeps the mark, a second deletion its first time', () => {
  const { map, clock, r } = records(1000);
  const [taken, mine, other, from, alice, bob] = [ghid(), ghid(), ghid(), ghid(), ghid(), ghid()];
  r.receivedOne({ object: taken, from, apiId: API, size: 3 });
  r.sentOne(mine, alice, 'accepted', { apiId: API, size: 4 });
  r.sentOne(mine, bob, 'waiting', { apiId: API, size: 4 });
  r.sentOne(other, alice, 'accepted', { apiId: API, size: 5 });
  assert.equal(r.objectDeleted(ghid()), false, 'no record of it: nothing marked');

  clock.now = 2000;
  assert.equal(r.objectDeleted(taken), true);
  assert.equal(r.objectDeleted(mine), true);
  assert.deepEqual(map.raw.get(`shared-in:${taken.text}`), { f: from.text, a: API, z: 3, at: 1000, x: 2000 }, 'the share keeps its time; x is when');
  assert.deepEqual(map.raw.get(`shared-out:${mine.text} ${alice.text}`), { s: 'accepted', at: 1000, a: API, z: 4, x: 2000 });
  assert.equal(r.isDeleted(taken) && r.isDeleted(mine), true);
  assert.equal(r.isDeleted(other), false);
  assert.deepEqual(r.sentList().map((x) => [x.object.text, x.recipient.text, x.deletedAt]).sort(), [[mine.text, alice.text, 2000], [mine.text, bob.text, 2000], [other.text, alice.text, null]].sort());
  assert.deepEqual(r.receivedList().map((x) => x.deletedAt), [2000]);

  clock.now = 3000;
  assert.equal(r.objectDeleted(mine), false, 'told again (another computer of the account, or upstream after here): the first time stays');
  r.sentOne(mine, bob, 'declined');
  assert.deepEqual(map.raw.get(`shared-out:${mine.text} ${bob.text}`), { s: 'declined', at: 3000, a: API, z: 4, x: 2000 }, "bob's answer came after: the mark stays");

  // Shared with us again later (a new share of it, from its author): no longer deleted.
  r.receivedOne({ object: taken, from, apiId: API, size: 3 });
  assert.equal(r.isDeleted(taken), false);
});
