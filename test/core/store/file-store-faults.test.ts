// The file store's write contract under failing writes (issue 18, item 1): the ghosts of a full
// disk — `?E` stored, `GT` not, re-publishing "already stored" — and the journal deleted by a
// graceful close while it was the only copy, each reproduced with an injected errno.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { entryOf } from '../../../src/core/store/entry.js';
import { FileStore, type FileStoreOptions } from '../../../src/core/store/file-store.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { Ghid } from '../../../src/core/golix/index.js';
import { v16Objects } from '../../fixtures/vectors.js';
import { ERRNOS, FaultyFs } from '../../fixtures/store/faulty-fs.js';

const objects = v16Objects().map((o) => ({ entry: entryOf(o.obj), raw: o.raw }));
const temps: string[] = [];
async function tempCache(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-faults-'));
  temps.push(dir);
  return join(dir, 'ghidcache');
}
test.after(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

async function open(dir: string, fs: FaultyFs, options: FileStoreOptions = {}): Promise<{ store: FileStore; warnings: string[]; warned: string[] }> {
  const warned: string[] = [];
  const store = new FileStore(dir, { fs, fileDelayMs: 0, probeIntervalMs: 5, warn: (m) => warned.push(m), ...options });
  const { warnings } = await store.load();
  return { store, warnings, warned };
}

async function journals(dir: string): Promise<string[]> {
  return (await readdir(dirname(dir))).filter((n) => n.startsWith(`${basename(dir)}.journal.`));
}

/** Waits (bounded) for the store's own probe to find the disk writable again. */
async function recovered(store: FileStore): Promise<void> {
  for (let i = 0; i < 400 && store.storage().kind !== 'ok'; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(store.storage().kind, 'ok', 'the store recovers by itself once writes work');
}

for (const errno of ERRNOS) {
  test(`a failed journal commit (${errno}) is undone: no entry, no bytes, storage() names the path; it recovers by itself`, async () => {
    const dir = await tempCache();
    const fs = new FaultyFs();
    const { store } = await open(dir, fs);
    const [a, b] = objects;
    await store.put(a!.entry, a!.raw);
    // The journal's zero padding is overwritten in place; fail that write and everything after.
    fs.arm(1, errno, true);
    await assert.rejects(store.put(b!.entry, b!.raw), (err: Error) => err.name === 'StorageFull' && err.message.includes(errno));
    assert.equal(store.storage().kind, errno === 'ENOSPC' || errno === 'EDQUOT' ? 'full' : 'failed');
    const state = store.storage();
    assert.ok(state.kind !== 'ok' && state.path.startsWith(dirname(dir)) && state.errno === errno, JSON.stringify(state));
    assert.equal(await store.read(b!.entry.ghid), null, 'nothing of the failed put is visible');
    // While failing, writes are refused before anything changes.
    await assert.rejects(store.put(b!.entry, b!.raw), (err: Error) => err.name === 'StorageFull');
    assert.equal(await store.read(b!.entry.ghid), null);
    assert.deepEqual(await store.read(a!.entry.ghid), a!.raw);
    fs.heal();
    await recovered(store);
    await store.put(b!.entry, b!.raw);
    await store.close();
    const again = await open(dir, new FaultyFs());
    assert.deepEqual(await again.store.read(b!.entry.ghid), b!.raw);
    await again.store.close();
  });
}

test('a failed delete is undone: the entry and its unwritten bytes come back', async () => {
  const dir = await tempCache();
  const fs = new FaultyFs();
  const { store } = await open(dir, fs, { fileDelayMs: 10_000 });
  const [a] = objects;
  await store.put(a!.entry, a!.raw);
  fs.arm(1, 'ENOSPC', true);
  await assert.rejects(store.delete(a!.entry.ghid), (err: Error) => err.name === 'StorageFull');
  assert.deepEqual(await store.read(a!.entry.ghid), a!.raw);
  fs.heal();
  await recovered(store);
  await store.close();
  const again = await open(dir, new FaultyFs());
  assert.deepEqual(await again.store.read(a!.entry.ghid), a!.raw);
  await again.store.close();
});

test('an object whose file cannot be written stays readable from memory, and a close on the full disk keeps its journal and says so', async () => {
  const dir = await tempCache();
  const fs = new FaultyFs();
  const { store } = await open(dir, fs);
  const [a, b] = objects;
  await store.put(a!.entry, a!.raw);
  await store.close();
  const again = await open(dir, fs);
  // The journal takes the record; every object file write fails from now on.
  // (A new object's file is written under its own name, a rewrite under a temp name.)
  fs.arm(0, 'ENOSPC', true, (_op, path) => dirname(path) === dir);
  await again.store.put(b!.entry, b!.raw);
  for (let i = 0; i < 200 && again.store.storage().kind === 'ok'; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(again.store.storage().kind, 'full');
  assert.deepEqual(await again.store.read(b!.entry.ghid), b!.raw, 'no ghost: the acknowledged object is served from memory');
  await again.store.close();
  assert.ok(again.warned.some((w) => /closed without flushing everything/.test(w)), again.warned.join('\n'));
  assert.ok((await journals(dir)).length > 0, 'the journal, the only copy, is kept');
  // Still full at the next start: it opens, and serves the object from the replayed journal.
  const third = await open(dir, fs);
  assert.deepEqual(await third.store.read(b!.entry.ghid), b!.raw);
  assert.ok(third.warnings.some((w) => /kept the journals/.test(w)), third.warnings.join('\n'));
  await third.store.close();
  // Space is back: the next start writes it out and drops the journals.
  fs.heal();
  const fourth = await open(dir, fs);
  assert.deepEqual(await fourth.store.read(b!.entry.ghid), b!.raw);
  await fourth.store.close();
  assert.deepEqual(await journals(dir), []);
});

test('the rules over a failing store: a refused publish leaves no ghost, and re-publishing after recovery stores it', async () => {
  const dir = await tempCache();
  const fs = new FaultyFs();
  const store = new FileStore(dir, { fs, fileDelayMs: 0, probeIntervalMs: 5 });
  const { engine } = await RulesEngine.open(store);
  const all = v16Objects();
  const identities = all.filter((o) => o.obj.type === 'GIDC');
  for (const o of identities) await engine.ingest(o.raw);
  const frame = all.find((o) => o.obj.type === 'GOBD' && o.entry.counter === 0)!;
  fs.arm(1, 'ENOSPC', true);
  await assert.rejects(engine.ingest(frame.raw), (err: Error) => err.name === 'StorageFull');
  const dynamic = Ghid.fromText(frame.entry.ghid_dynamic!);
  assert.equal(engine.exists(dynamic), false, '?E must not say stored');
  assert.equal(engine.exists(frame.obj.ghid), false);
  // Refused up front while the disk is full.
  await assert.rejects(engine.ingest(frame.raw), (err: Error) => err.name === 'StorageFull');
  fs.heal();
  await recovered(store);
  const result = await engine.ingest(frame.raw);
  assert.equal(result.stored, true, 're-publishing stores it, not "already stored"');
  assert.deepEqual(await engine.get(dynamic), frame.raw);
  await engine.close();
});
