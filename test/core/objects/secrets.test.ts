import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret, UnknownSecret, type Ghid, type Gobd } from '../../../src/core/golix/index.js';
import { SecretStore, healSecret, secretsRank, type KeptHereStore, type KnownSecret, type SecretMap } from '../../../src/core/objects/secrets.js';
import { randomGhid } from '../../fixtures/ipc/fakes.js';
import { LwwMap } from '../../../src/core/account/lww-map.js';

function memoryMap(): SecretMap {
  const m = new Map<string, unknown>();
  return {
    get: (k) => m.get(k),
    set: (k, v) => void m.set(k, v),
    delete: (k) => void m.delete(k),
    entries: (prefix) => [...m].filter(([k]) => k.startsWith(prefix)),
    secure: async () => {},
  };
}

const dyn = randomGhid();
const chain = Array.from({ length: 4 }, () => randomGhid());
/** A frame whose vector is chain[3], chain[2], chain[1], chain[0] (newest first). */
const frame = { dynamic: dyn, targets: [...chain].reverse() } as unknown as Gobd;

test('healSecret ratchets from the newest vector entry whose secret is known, whichever order they come in', () => {
  const s0 = Secret.random();
  const s1 = s0.ratchet(dyn, chain[0]!);
  const fromOldest = healSecret(frame, { container: chain[0]!, secret: s0 });
  const fromNewer = healSecret(frame, [
    { container: randomGhid(), secret: Secret.random() },
    { container: chain[0]!, secret: s0 },
    { container: chain[1]!, secret: s1 },
  ]);
  assert.equal(fromNewer.text, fromOldest.text, 'the same secret, from one step closer');
  assert.equal(healSecret(frame, { container: chain[3]!, secret: s0 }).text, s0.text, 'the newest itself needs no step');
  assert.throws(() => healSecret(frame, [{ container: randomGhid(), secret: s0 }]), UnknownSecret);
});

test('the store keeps the secrets of recent containers, re-opened ones too, and forgets them with the object', () => {
  const store = new SecretStore(memoryMap());
  const binder = randomGhid();
  const secrets = chain.map(() => Secret.random());
  chain.forEach((container, n) => store.setDynamic(dyn, { container, secret: secrets[n]!, binder, counter: BigInt(n) }));
  // The same record again (an object opened again) changes nothing, and is still known.
  store.setDynamic(dyn, { container: chain[3]!, secret: secrets[3]!, binder, counter: 3n });
  const known = store.known(dyn);
  for (const [n, container] of chain.entries()) {
    assert.ok(known.some((k) => k.container.equals(container) && k.secret.text === secrets[n]!.text), `container ${n} known`);
  }
  for (let n = 0; n < 40; n++) store.setDynamic(dyn, { container: randomGhid(), secret: Secret.random(), binder, counter: BigInt(10 + n) });
  assert.ok(store.known(dyn).length <= 17, 'a bounded number per object (the record and the recent ones)');
  store.forget(dyn);
  assert.deepEqual(store.known(dyn), []);
});

test("the secrets map ranks an object's records by counter, a deletion above them, and leaves everything else to time", () => {
  const record = (n: string) => ({ c: chain[0]!.text, s: Secret.random().text, b: dyn.text, n });
  const key = `d:${dyn.text}`;
  assert.equal(secretsRank(key, record('12')), 12n);
  assert.ok(secretsRank(key, record('12')) > secretsRank(key, record('3')));
  assert.ok(secretsRank(key, null) > secretsRank(key, record('18446744073709551615')), 'a debound object stays forgotten');
  assert.equal(secretsRank(key, { n: 'x' }), -1n, 'a record it cannot read ranks below the rest');
  assert.equal(secretsRank(`s:${dyn.text}`, record('9')), 0n, 'static secrets and shares: the later write');
  assert.equal(secretsRank(`q:${dyn.text}`, null), 0n);
});

test("a record never goes back to a lower counter; the lower one's secret is still known here", () => {
  const store = new SecretStore(memoryMap());
  const [ahead, behind] = [Secret.random(), Secret.random()];
  store.setDynamic(dyn, { container: chain[3]!, secret: ahead, binder: dyn, counter: 9n });
  store.setDynamic(dyn, { container: chain[1]!, secret: behind, binder: dyn, counter: 4n });
  assert.equal(store.dynamic(dyn)!.counter, 9n);
  assert.ok(store.known(dyn).some((k) => k.container.equals(chain[1]!) && k.secret.text === behind.text));
});

test('a record loaded from the map, then moved on, is still known here: the version another fork was written on', () => {
  const map = memoryMap();
  const [loaded, next] = [Secret.random(), Secret.random()];
  new SecretStore(map).setDynamic(dyn, { container: chain[0]!, secret: loaded, binder: dyn, counter: 1n });
  const store = new SecretStore(map);
  store.setDynamic(dyn, { container: chain[1]!, secret: next, binder: dyn, counter: 2n });
  assert.ok(store.known(dyn).some((k) => k.container.equals(chain[0]!) && k.secret.text === loaded.text));
  // Not across binders: another author's object of that name is another chain.
  const other = new SecretStore(map);
  other.setDynamic(dyn, { container: chain[2]!, secret: Secret.random(), binder: randomGhid(), counter: 3n });
  assert.ok(!other.known(dyn).some((k) => k.container.equals(chain[1]!)));
});

test('the base of our unsent frames, kept in the record, is known again in a new process', () => {
  const map = memoryMap();
  const store = new SecretStore(map);
  const secrets = chain.map(() => Secret.random());
  chain.forEach((container, n) => store.setDynamic(dyn, { container, secret: secrets[n]!, binder: dyn, counter: BigInt(n) }));
  assert.equal(store.rememberBase(dyn, randomGhid()), false, 'a container whose secret is not known here');
  assert.equal(store.rememberBase(dyn, chain[0]!), true);
  assert.equal(store.dynamic(dyn)!.counter, 3n, 'the record itself is unchanged');

  // A new process over the same map knows the record's secret, and the base once remembered.
  const again = new SecretStore(map);
  assert.deepEqual(again.find(dyn, chain[0]!)?.secret.text, secrets[0]!.text, 'the base is known');
  assert.equal(again.find(dyn, chain[1]!), null, 'versions between are not');
  // Kept among the recent ones too, for when another computer's record replaces this one.
  again.rememberCurrent(dyn);
  map.set(`d:${dyn.text}`, { c: randomGhid().text, s: Secret.random().text, b: dyn.text, n: '9' });
  assert.equal(again.find(dyn, chain[0]!)?.secret.text, secrets[0]!.text, 'known after the record was replaced');
});

test('a write keeps the record\'s base unless it says otherwise: a new base, or none', () => {
  const store = new SecretStore(memoryMap());
  const base = { container: chain[0]!, secret: Secret.random() };
  store.setDynamic(dyn, { container: chain[1]!, secret: Secret.random(), binder: dyn, counter: 1n, base });
  store.setDynamic(dyn, { container: chain[2]!, secret: Secret.random(), binder: dyn, counter: 2n });
  assert.equal(store.dynamic(dyn)!.base?.container.text, chain[0]!.text, 'kept across a write that does not name one');
  assert.equal(store.dynamic(dyn)!.base?.secret.text, base.secret.text);
  // The same version written again with another base is a change to keep.
  const other = { container: chain[1]!, secret: Secret.random() };
  store.setDynamic(dyn, { container: chain[2]!, secret: Secret.random(), binder: dyn, counter: 2n, base: other });
  assert.equal(store.dynamic(dyn)!.base?.container.text, chain[1]!.text);
  store.setDynamic(dyn, { container: chain[3]!, secret: Secret.random(), binder: dyn, counter: 3n, base: null });
  assert.equal(store.dynamic(dyn)!.base, undefined, 'dropped');
  assert.equal(store.dynamic(dyn)!.counter, 3n);
});

test('a record the secrets map leaves out for one of a higher counter still gives its secrets, and its base\'s', () => {
  let tell: (key: string, value: unknown) => void = () => assert.fail('not listening');
  const store = new SecretStore({ ...memoryMap(), onOutranked: (listener) => void (tell = listener) });
  const [theirs, theirBase] = [Secret.random(), Secret.random()];
  store.setDynamic(dyn, { container: chain[3]!, secret: Secret.random(), binder: dyn, counter: 12n });
  tell(`d:${dyn.text}`, { c: chain[2]!.text, s: theirs.text, b: dyn.text, n: '10', fc: chain[0]!.text, fs: theirBase.text });
  assert.equal(store.find(dyn, chain[2]!)?.secret.text, theirs.text);
  assert.equal(store.find(dyn, chain[0]!)?.secret.text, theirBase.text);
  assert.equal(store.dynamic(dyn)!.counter, 12n, 'the record is ours still');
  // Anything else is not a record to learn from, and is no error either.
  for (const [key, value] of [[`s:${dyn.text}`, 'x'], [`d:${dyn.text}`, 'not a record'], [`d:${dyn.text}`, { c: 'bad', s: 'bad' }], ['d:bad', { c: chain[1]!.text, s: theirs.text }]] as const) tell(key, value);
  assert.equal(store.find(dyn, chain[1]!), null);
});

test('an outranked record\'s newest version is carried in the record that won, once, as its fork, known in a new process and kept by later writes', async () => {
  let tell: (key: string, value: unknown) => void = () => assert.fail('not listening');
  const map = { ...memoryMap(), onOutranked: (listener: typeof tell) => void (tell = listener) };
  const store = new SecretStore(map);
  const theirs = Secret.random();
  const lost = { c: chain[2]!.text, s: theirs.text, b: dyn.text, n: '10' };
  store.setDynamic(dyn, { container: chain[3]!, secret: Secret.random(), binder: dyn, counter: 12n });
  let writes = 0;
  const set = map.set;
  map.set = (k, v) => void (writes++, set(k, v));
  tell(`d:${dyn.text}`, lost);
  assert.equal(store.dynamic(dyn)!.fork, undefined, 'not while the merge runs');
  await Promise.resolve();
  assert.equal(store.dynamic(dyn)!.fork?.container.text, chain[2]!.text);
  assert.equal(store.dynamic(dyn)!.counter, 12n, 'the same counter, the same rank');
  tell(`d:${dyn.text}`, lost);
  await Promise.resolve();
  assert.equal(writes, 1, 'carried once');
  assert.equal(new SecretStore({ ...map, onOutranked: () => {} }).find(dyn, chain[2]!)?.secret.text, theirs.text, 'known from the record in a new process');
  store.setDynamic(dyn, { container: randomGhid(), secret: Secret.random(), binder: dyn, counter: 13n });
  assert.equal(store.dynamic(dyn)!.fork?.container.text, chain[2]!.text, 'kept by a later write');
  // Another author's record is another object's chain: nothing to carry.
  tell(`d:${dyn.text}`, { ...lost, c: chain[1]!.text, b: randomGhid().text });
  await Promise.resolve();
  assert.equal(store.dynamic(dyn)!.fork?.container.text, chain[2]!.text);
});

test('a record that cannot be read is left as it is when an outranked one would be carried in it, without an error', async () => {
  let tell: (key: string, value: unknown) => void = () => assert.fail('not listening');
  const map = { ...memoryMap(), onOutranked: (listener: typeof tell) => void (tell = listener) };
  new SecretStore(map);
  map.set(`d:${dyn.text}`, { c: chain[3]!.text, s: Secret.random().text, b: dyn.text, n: 'not a counter' });
  tell(`d:${dyn.text}`, { c: chain[2]!.text, s: Secret.random().text, b: dyn.text, n: '10' });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual((map.get(`d:${dyn.text}`) as { n: string }).n, 'not a counter');
});

/** The secrets map of one computer of the account: an LWW map ranked as the account ranks it, as a SecretMap. */
function computerMap(device: string): SecretMap & { lww: LwwMap } {
  const lww = new LwwMap(device, secretsRank);
  return {
    lww,
    get: (k) => lww.get(k),
    set: (k, v) => lww.set(k, v),
    delete: (k) => void lww.delete(k),
    entries: (prefix) => lww.entries(prefix),
    secure: async () => {},
    onOutranked: (listener) => void (lww.outranked = listener),
  };
}

test("two computers that each wrote the same version on their own fork: the record that wins by time carries the other's, which the server may have kept, on both", async () => {
  const [a, b] = [computerMap('a'), computerMap('b')];
  const [storeA, storeB] = [new SecretStore(a), new SecretStore(b)];
  const [kept, refused] = [Secret.random(), Secret.random()];
  // b's write reached the server first; a's, of the same counter, was refused, and written later.
  storeB.setDynamic(dyn, { container: chain[2]!, secret: kept, binder: dyn, counter: 18n });
  await new Promise((r) => setTimeout(r, 2));
  storeA.setDynamic(dyn, { container: chain[3]!, secret: refused, binder: dyn, counter: 18n });
  b.lww.merge(a.lww);
  a.lww.merge(b.lww);
  await new Promise((r) => setImmediate(r));
  // b carried its own record, lost by time, in a's; merged back, a has it too.
  a.lww.merge(b.lww);
  b.lww.merge(a.lww);
  for (const [name, store] of [['a', storeA], ['b', storeB]] as const) {
    const r = store.dynamic(dyn)!;
    assert.equal(r.container.text, chain[3]!.text, `${name}: the later write wins`);
    assert.equal(r.fork?.container.text, chain[2]!.text, `${name}: the other fork's version is carried`);
    assert.equal(store.find(dyn, chain[2]!)?.secret.text, kept.text);
  }
  // Merged again and again, nothing is carried again.
  const before = a.lww.cell(`d:${dyn.text}`);
  a.lww.merge(b.lww);
  b.lww.merge(a.lww);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(a.lww.cell(`d:${dyn.text}`), before);
});

/** What a computer keeps of its own (account/KeptHere), in memory. */
function keptHere(): KeptHereStore & { secured: number } {
  const m = new Map<string, KnownSecret>();
  const here = {
    secured: 0,
    get: (d: Ghid) => m.get(d.text) ?? null,
    set: (d: Ghid, k: KnownSecret | null) => void (k ? m.set(d.text, k) : m.delete(d.text)),
    secure: async () => void here.secured++,
  };
  return here;
}

test('securing the records secures the versions kept here with them, waiting for both', async () => {
  const here = keptHere();
  let mapSecured = false;
  const store = new SecretStore({ ...memoryMap(), secure: () => new Promise<void>((r) => setTimeout(() => ((mapSecured = true), r()), 5)) }, here);
  store.setDynamic(dyn, { container: chain[1]!, secret: Secret.random(), binder: dyn, counter: 1n });
  assert.equal(here.secured, 0, 'not at each version');
  await store.secure();
  assert.equal(here.secured, 1);
  assert.ok(mapSecured, 'and the map');
});

test("the version a computer last showed stays readable there after other computers' records replaced its own and what it carried", async () => {
  const [one, two, three] = [computerMap('one'), computerMap('two'), computerMap('three')];
  const here = keptHere();
  const storeOne = new SecretStore(one, here);
  new SecretStore(two);
  const mine = Secret.random();
  // Computer one writes version chain[1] and follows the object no further (no app has it open).
  storeOne.setDynamic(dyn, { container: chain[1]!, secret: mine, binder: dyn, counter: 34n });
  // Computer two's record, higher, replaces it in a merge; one carries its own as the fork.
  new SecretStore(two).setDynamic(dyn, { container: chain[3]!, secret: Secret.random(), binder: dyn, counter: 41n });
  one.lww.merge(two.lww);
  await new Promise((r) => setImmediate(r));
  assert.equal(storeOne.dynamic(dyn)!.fork?.container.text, chain[1]!.text);
  // Then a third computer writes that record again, later, carrying a fork of its own.
  await new Promise((r) => setTimeout(r, 2));
  three.lww.merge(one.lww);
  three.lww.set(`d:${dyn.text}`, { c: chain[3]!.text, s: (storeOne.dynamic(dyn)!.secret).text, b: dyn.text, n: '41', oc: chain[2]!.text, os: Secret.random().text });
  one.lww.merge(three.lww);
  await new Promise((r) => setImmediate(r));
  assert.equal(storeOne.dynamic(dyn)!.fork?.container.text, chain[2]!.text, "the account's record no longer reads computer one's version");
  // Computer one restarts offline: its cache holds version chain[1] only.
  const restarted = new SecretStore(one, here);
  assert.equal(restarted.find(dyn, chain[1]!)?.secret.text, mine.text, 'read with what it kept here');
  assert.equal(new SecretStore(one).find(dyn, chain[1]!), null, 'and with nothing else');
  // Gone with the object.
  restarted.forget(dyn);
  assert.equal(here.get(dyn), null);
});
