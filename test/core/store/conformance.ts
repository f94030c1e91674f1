// The one conformance suite every ObjectStore backend runs (automerge-repo style).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entryOf } from '../../../src/core/store/entry.js';
import type { ObjectStore } from '../../../src/core/store/object-store.js';
import { v16Objects } from '../../fixtures/vectors.js';

export interface StoreHarness {
  /** A fresh, empty store. */
  create(): Promise<ObjectStore>;
  /** The same data opened again, as after a restart (the old instance is closed first). */
  reopen(store: ObjectStore): Promise<ObjectStore>;
}

const objects = v16Objects().map((o) => ({ entry: entryOf(o.obj), raw: o.raw }));

export function storeConformance(name: string, h: StoreHarness): void {
  test(`${name}: put then read returns the exact bytes; unknown reads null`, async () => {
    const s = await h.create();
    await s.load();
    for (const o of objects) await s.put(o.entry, o.raw);
    for (const o of objects) assert.deepEqual(await s.read(o.entry.ghid), o.raw);
    assert.equal(await s.read('A'.repeat(86) + '=='), null);
    await s.close();
  });

  test(`${name}: operations apply in call order, even before they are durable`, async () => {
    const s = await h.create();
    await s.load();
    const [a, b] = objects;
    const ops = [s.put(a!.entry, a!.raw), s.delete(a!.entry.ghid), s.put(b!.entry, b!.raw)];
    assert.equal(await s.read(a!.entry.ghid), null);
    assert.deepEqual(await s.read(b!.entry.ghid), b!.raw);
    await Promise.all(ops);
    assert.equal(await s.read(a!.entry.ghid), null);
    await s.close();
  });

  test(`${name}: a reopened store returns every entry and byte, and nothing deleted`, async () => {
    let s = await h.create();
    await s.load();
    await Promise.all(objects.map((o) => s.put(o.entry, o.raw)));
    const gone = objects.slice(0, 5);
    await Promise.all(gone.map((o) => s.delete(o.entry.ghid)));
    s = await h.reopen(s);
    const { entries, warnings } = await s.load();
    assert.deepEqual(warnings, []);
    const byGhid = new Map([...entries.values()].map((e) => [e.ghid, e]));
    assert.equal(byGhid.size, objects.length - gone.length);
    for (const o of objects.slice(5)) {
      assert.deepEqual(byGhid.get(o.entry.ghid), o.entry);
      assert.deepEqual(await s.read(o.entry.ghid), o.raw);
    }
    for (const o of gone) assert.equal(await s.read(o.entry.ghid), null);
    await s.close();
  });

  test(`${name}: many concurrent puts all land`, async () => {
    let s = await h.create();
    await s.load();
    await Promise.all(objects.map((o) => s.put(o.entry, o.raw)));
    s = await h.reopen(s);
    assert.equal((await s.load()).entries.size, objects.length);
    await s.close();
  });
}
