// EntryTable: the compact index every store keeps of its objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Ghid, MalformedGolixPrimitive } from '../../../src/core/golix/index.js';
import { entryOf, type Entry } from '../../../src/core/store/entry.js';
import { EntryTable } from '../../../src/core/store/entry-table.js';
import { v16Objects } from '../../fixtures/vectors.js';

const vectors = v16Objects().map((o) => entryOf(o.obj));
const randomGhid = () => Ghid.fromBytes(Buffer.concat([Buffer.from([1]), randomBytes(64)])).text;
const identities = Array.from({ length: 3 }, randomGhid);

/** A synthetic entry of each non-frame shape, naming a few shared identities. */
function synthetic(i: number): Entry {
  const ghid = randomGhid();
  const party = identities[i % identities.length]!;
  switch (i % 5) {
    case 0:
      return { ghid, type: 'GIDC', version: 2, size: 1000 + i };
    case 1:
      return { ghid, type: 'GEOC', version: 2, size: i, signer: party };
    case 2:
      return { ghid, type: 'GOBS', version: 2, size: i, signer: party, target: randomGhid() };
    case 3:
      return { ghid, type: 'GDXX', version: 2, size: i, signer: party, target: randomGhid() };
    default:
      return { ghid, type: 'GARQ', version: 2, size: i, recipient: party };
  }
}

test('every reference object type reads back equal to what was stored, by GHID and by record', () => {
  const t = new EntryTable();
  const refs = vectors.map((e) => t.set(e));
  assert.equal(t.size, vectors.length);
  vectors.forEach((e, i) => {
    assert.deepEqual(t.get(e.ghid), e);
    assert.deepEqual(t.at(refs[i]!), e);
    assert.equal(t.refOf(e.ghid), refs[i]);
    assert.equal(t.ghidAt(refs[i]!), e.ghid);
    assert.equal(t.typeAt(refs[i]!), e.type);
    assert.equal(t.partyAt(refs[i]!), e.signer ?? e.recipient);
    assert.equal(t.targetAt(refs[i]!), e.target);
    assert.equal(t.dynamicAt(refs[i]!), e.dynamic);
  });
  assert.deepEqual(
    [...t.values()].map((e) => e.ghid).sort(),
    vectors.map((e) => e.ghid).sort(),
  );
});

test('replacing keeps the record; deleting frees it for reuse; lookups of deleted GHIDs miss', () => {
  const t = new EntryTable();
  const [a, b] = [synthetic(1), synthetic(2)];
  const ra = t.set(a);
  const rb = t.set(b);
  assert.equal(t.set({ ...a, size: 7 }), ra);
  assert.equal(t.get(a.ghid)!.size, 7);
  assert.equal(t.delete(a.ghid), true);
  assert.equal(t.delete(a.ghid), false);
  assert.equal(t.has(a.ghid), false);
  assert.equal(t.get(a.ghid), undefined);
  assert.throws(() => t.at(ra), RangeError);
  const c = synthetic(3);
  assert.equal(t.set(c), ra, 'the freed record is reused');
  assert.deepEqual(t.at(ra), c);
  assert.deepEqual(t.at(rb), b);
  assert.deepEqual([...t.refs()].sort(), [ra, rb].sort());
  t.clear();
  assert.equal(t.size, 0);
  assert.equal(t.has(b.ghid), false);
  assert.deepEqual([...t.values()], []);
});

test('tens of thousands of entries through growth, deletions and re-insertions stay exact', () => {
  const t = new EntryTable();
  const all = Array.from({ length: 30_000 }, (_, i) => synthetic(i));
  for (const e of all) t.set(e);
  // Delete every other entry (leaving tombstones behind), then add them back.
  for (let i = 0; i < all.length; i += 2) assert.equal(t.delete(all[i]!.ghid), true);
  assert.equal(t.size, all.length / 2);
  for (let i = 0; i < all.length; i += 2) assert.equal(t.has(all[i]!.ghid), false);
  for (let i = 0; i < all.length; i += 4) t.set(all[i]!);
  const expected = all.filter((_, i) => i % 2 === 1 || i % 4 === 0);
  assert.equal(t.size, expected.length);
  for (const e of expected) assert.deepEqual(t.get(e.ghid), e);
  assert.equal([...t.values()].length, expected.length);
});

test('a GOBD keeps its vectors and counter; a v15 frame its history and null counter', () => {
  const frames = vectors.filter((e) => e.type === 'GOBD');
  assert.ok(frames.length > 0);
  const t = new EntryTable();
  for (const f of frames) t.set(f);
  const v15 = { ...frames[0]!, version: 15, counter: null, history: [randomGhid(), randomGhid()] };
  t.set(v15);
  assert.deepEqual(t.get(v15.ghid), v15);
  // Replacing a frame with another type drops its vectors.
  const ref = t.set({ ghid: v15.ghid, type: 'GEOC', version: 2, size: 3, signer: identities[0]! });
  assert.equal(t.dynamicAt(ref), undefined);
});

test('text that is not a canonical GHID misses; storing it is a typed error that changes nothing', () => {
  const t = new EntryTable();
  const e = synthetic(2);
  t.set(e);
  const canonical = e.ghid;
  // The last character before "=" carries two padding bits, which a canonical text leaves zero.
  const last = canonical[86]!;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const noisy = canonical.slice(0, 86) + alphabet[alphabet.indexOf(last) | 1] + '=';
  const bad = [
    '',
    'A'.repeat(86) + '==',
    canonical.slice(0, 87),
    canonical.slice(0, 87) + 'A',
    canonical.slice(0, 40) + '+' + canonical.slice(41),
    canonical.slice(0, 40) + '\u00e9' + canonical.slice(41),
    noisy,
  ];
  for (const text of bad) {
    assert.equal(t.has(text), false, JSON.stringify(text));
    assert.equal(t.get(text), undefined);
    assert.equal(t.delete(text), false);
    assert.throws(() => t.set({ ...e, ghid: text }), MalformedGolixPrimitive);
  }
  assert.throws(() => t.set({ ...e, target: 'not a ghid' }), MalformedGolixPrimitive);
  assert.throws(() => t.set({ ...e, type: 'GXXX' as Entry['type'] }), MalformedGolixPrimitive);
  assert.throws(() => t.set({ ...e, size: -1 }), MalformedGolixPrimitive);
  assert.throws(() => t.set({ ...e, size: 2 ** 32 }), MalformedGolixPrimitive);
  assert.throws(() => t.set({ ...e, version: 256 }), MalformedGolixPrimitive);
  assert.throws(() => t.set({ ...e, type: 'GOBD' }), MalformedGolixPrimitive, 'a frame without its vectors');
  assert.equal(t.size, 1);
  assert.deepEqual(t.get(canonical), e, 'a refused replacement leaves the stored entry as it was');
});
