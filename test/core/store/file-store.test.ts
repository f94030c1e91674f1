import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, copyFile, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { b64url } from '../../../src/core/golix/index.js';
import { entryOf } from '../../../src/core/store/entry.js';
import { FileStore } from '../../../src/core/store/file-store.js';
import { V16_DIR, v16Objects } from '../../fixtures/vectors.js';
import { storeConformance } from './conformance.js';

const objects = v16Objects().map((o) => ({ entry: entryOf(o.obj), raw: o.raw }));
const temps: string[] = [];
async function tempCache(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-store-'));
  temps.push(dir);
  return join(dir, 'ghidcache');
}
test.after(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

storeConformance('FileStore', {
  create: async () => new FileStore(await tempCache()),
  reopen: async (s) => {
    await s.close();
    return new FileStore((s as FileStore).dir);
  },
});

test('FileStore times each journal commit (one per batch) for /metrics', async () => {
  const store = new FileStore(await tempCache());
  await store.load();
  assert.equal(store.commitDurations().count, 0);
  for (const o of objects.slice(0, 3)) await store.put(o.entry, o.raw);
  const sequential = store.commitDurations();
  assert.equal(sequential.count, 3, 'a put awaited alone is a commit of its own');
  await Promise.all(objects.slice(3, 8).map((o) => store.put(o.entry, o.raw)));
  const after = store.commitDurations();
  assert.ok(after.count > 3 && after.count < 8, `five puts at once share their commits (${after.count - 3} for 5)`);
  assert.ok(after.sum > sequential.sum);
  assert.equal(after.cumulative.at(-1)! <= after.count, true);
  await store.close();
});

test('FileStore keeps the reference layout: <ghid>.ghid files with the exact bytes', async () => {
  const dir = await tempCache();
  const s = new FileStore(dir);
  await s.load();
  await Promise.all(objects.map((o) => s.put(o.entry, o.raw)));
  await s.close();
  const names = (await readdir(dir)).sort();
  assert.deepEqual(names, objects.map((o) => `${o.entry.ghid}.ghid`).sort());
  for (const o of objects) assert.deepEqual(await readFile(join(dir, `${o.entry.ghid}.ghid`)), o.raw);
});

test('FileStore adopts object files it has not indexed (a reference-made cache) and rebuilds a lost index', async () => {
  const dir = await tempCache();
  const s = new FileStore(dir);
  await s.load();
  await s.close();
  for (const o of objects.slice(0, 10)) await copyFile(join(V16_DIR, 'objects', `${o.entry.ghid}.ghid`), join(dir, `${o.entry.ghid}.ghid`));
  const s2 = new FileStore(dir);
  assert.equal((await s2.load()).entries.size, 10);
  await s2.close();
  await rm(`${dir}.index`);
  const s3 = new FileStore(dir);
  const { entries, warnings } = await s3.load();
  assert.equal(entries.size, 10);
  assert.deepEqual(warnings, []);
  await s3.close();
});

test('FileStore quarantines corrupt, misnamed and stray files instead of failing to open', async () => {
  const dir = await tempCache();
  const s = new FileStore(dir);
  await s.load();
  await s.close();
  const [a, b] = objects;
  await writeFile(join(dir, `${a!.entry.ghid}.ghid`), Buffer.concat([a!.raw.subarray(0, 100), Buffer.alloc(50)]));
  await writeFile(join(dir, `${a!.entry.ghid.slice(0, 80)}AAAAAAA=.ghid`), b!.raw);
  await writeFile(join(dir, 'notes.txt'), 'stray');
  const s2 = new FileStore(dir);
  const { entries, warnings } = await s2.load();
  assert.equal(entries.size, 0);
  assert.equal(warnings.length, 3, warnings.join('\n'));
  assert.equal((await readdir(`${dir}.quarantine`)).length, 3);
  assert.deepEqual(await readdir(dir), []);
  await s2.close();
});

test('FileStore writes a new object straight under its name, and replay rewrites one torn at its full length', async () => {
  const dir = await tempCache();
  const s = new FileStore(dir, { fileDelayMs: 0 });
  await s.load();
  const names: string[] = [];
  const watch = (await import('node:fs')).watch(dir, (_event, name) => name && names.push(name));
  await Promise.all(objects.slice(0, 3).map((o) => s.put(o.entry, o.raw)));
  await s.idle();
  // inotify events arrive on the event loop: wait until all three files have shown.
  for (let i = 0; i < 100 && new Set(names).size < 3; i++) await new Promise((r) => setTimeout(r, 10));
  watch.close();
  assert.deepEqual([...new Set(names)].sort(), objects.slice(0, 3).map((o) => `${o.entry.ghid}.ghid`).sort(), 'no temp names for new objects');
  // A crash after the file was extended but before its data landed: the right length, zeros.
  const torn = join(dir, `${objects[0]!.entry.ghid}.ghid`);
  await writeFile(torn, Buffer.alloc(objects[0]!.raw.length));
  const s2 = new FileStore(dir);
  const { warnings } = await s2.load();
  assert.ok(warnings.some((w) => /replayed 3 records/.test(w)), warnings.join('\n'));
  assert.deepEqual(await s2.read(objects[0]!.entry.ghid), objects[0]!.raw);
  await s2.close();
  assert.deepEqual(await readFile(torn), objects[0]!.raw);
});

test('FileStore replays its journal when a file did not reach the disk, and ignores a torn tail', async () => {
  const dir = await tempCache();
  const s = new FileStore(dir, { fileDelayMs: 0 });
  await s.load();
  await Promise.all(objects.slice(0, 5).map((o) => s.put(o.entry, o.raw)));
  // Simulate a crash: no close(); the journal stays. Then lose one file and tear the journal tail.
  const journal = (await readdir(join(dir, '..'))).find((n) => n.startsWith('ghidcache.journal.'))!;
  await s.idle();
  await rm(join(dir, `${objects[0]!.entry.ghid}.ghid`));
  await truncate(join(dir, `${objects[1]!.entry.ghid}.ghid`), 10);
  await appendFile(join(dir, '..', journal), Buffer.from([0, 0, 1, 0, 1, 2, 3]));
  const s2 = new FileStore(dir);
  const { entries, warnings } = await s2.load();
  assert.equal(entries.size, 5);
  assert.ok(warnings.some((w) => /torn tail/.test(w)), warnings.join('\n'));
  for (const o of objects.slice(0, 5)) assert.deepEqual(await readFile(join(dir, `${o.entry.ghid}.ghid`)), o.raw);
  await s2.close();
});

test('the journal is extended ahead with zeros, which replay reads as its end, not as a torn tail', async () => {
  const dir = await tempCache();
  const s = new FileStore(dir);
  await s.load();
  await Promise.all(objects.slice(0, 3).map((o) => s.put(o.entry, o.raw)));
  const name = (await readdir(join(dir, '..'))).find((n) => n.startsWith('ghidcache.journal.'))!;
  const journal = await readFile(join(dir, '..', name));
  assert.ok(journal.length >= 64 * 1024, 'space is allocated ahead of the records');
  assert.ok(journal.subarray(-1024).every((b) => b === 0));
  // A crash (no close): the next open replays the records and says nothing about a torn tail.
  const again = new FileStore(dir);
  const { entries, warnings } = await again.load();
  assert.equal(entries.size, 3);
  assert.ok(!warnings.some((w) => /torn tail/.test(w)), warnings.join('\n'));
  await again.close();
  await s.close().catch(() => {});
});

/** Runs put-forever.ts until it has acknowledged `count` operations, then SIGKILLs it. */
async function killMidStream(dir: string, count: number, checkpointBytes?: number): Promise<{ stored: Set<string>; deleted: Set<string> }> {
  const args = [join(import.meta.dirname, '../../fixtures/store/put-forever.ts'), dir, ...(checkpointBytes ? [String(checkpointBytes)] : [])];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stored = new Set<string>();
  const deleted = new Set<string>();
  let buffered = '';
  let acked = 0;
  await new Promise<void>((resolve) => {
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines.filter(Boolean)) {
        acked++;
        if (line.startsWith('~')) stored.delete(line.slice(1));
        else if (line.startsWith('-')) {
          stored.delete(line.slice(1));
          deleted.add(line.slice(1));
        } else stored.add(line);
      }
      if (acked >= count) {
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  await new Promise((r) => child.once('exit', r));
  return { stored, deleted };
}

async function assertSurvivors(dir: string, stored: Set<string>, deleted: Set<string>): Promise<void> {
  const s = new FileStore(dir);
  const { entries } = await s.load();
  for (const ghid of stored) {
    assert.ok(entries.has(ghid), `acknowledged ${ghid} is missing`);
    const raw = await s.read(ghid);
    assert.ok(raw && raw.length > 0);
  }
  for (const ghid of deleted) assert.equal(entries.has(ghid), false, `acknowledged delete of ${ghid} came undone`);
  await s.close();
}

test('SIGKILL during a stream of puts loses no acknowledged object', async () => {
  const dir = await tempCache();
  const { stored, deleted } = await killMidStream(dir, 400);
  await assertSurvivors(dir, stored, deleted);
});

test('SIGKILL among frequent checkpoints (the index streamed while puts and deletes go on) loses nothing acknowledged', async () => {
  const dir = await tempCache();
  // A checkpoint due every ~50 objects: each runs (files synced, index streamed) while the
  // puts and deletes go on, and the next is due as soon as it ends.
  const { stored, deleted } = await killMidStream(dir, 5000, 64 * 1024);
  assert.ok(deleted.size > 0);
  const journals = (await readdir(dirname(dir))).filter((n) => n.startsWith(`${basename(dir)}.journal.`));
  assert.ok(Math.max(...journals.map((n) => Number(n.split('.').pop())), 0) >= 3, `checkpoints ran under load: ${journals.join(', ')}`);
  await assertSurvivors(dir, stored, deleted);
  // And a clean close after recovery leaves an index that opens to the same state.
  await assertSurvivors(dir, stored, deleted);
});

test('FileStore back-pressure: acknowledgements wait while too many object files are unwritten', async () => {
  const dir = await tempCache();
  const s = new FileStore(dir, { maxUnwrittenBytes: 1 });
  await s.load();
  await Promise.all(
    objects.map(async (o) => {
      await s.put(o.entry, o.raw);
      // With a one-byte allowance the backlog is empty whenever a put resolves.
      assert.deepEqual(await readFile(join(dir, `${o.entry.ghid}.ghid`)), o.raw);
    }),
  );
  await s.close();
});

test('FileStore never writes the file of an object removed before its write was due', async () => {
  const dir = await tempCache();
  const s = new FileStore(dir, { fileDelayMs: 200 });
  await s.load();
  const [a, b] = objects;
  await s.put(a!.entry, a!.raw);
  await s.put(b!.entry, b!.raw);
  await s.delete(a!.entry.ghid);
  assert.equal(await s.read(a!.entry.ghid), null);
  await s.close();
  assert.deepEqual(await readdir(dir), [`${b!.entry.ghid}.ghid`]);
  const again = new FileStore(dir);
  assert.deepEqual([...(await again.load()).entries.values()].map((e) => e.ghid), [b!.entry.ghid]);
  await again.close();
});

test('FileStore refuses to delete or store under a name that is not a GHID, and touches no file for it', async () => {
  const dir = await tempCache();
  const s = new FileStore(dir);
  await s.load();
  const outside = join(dirname(dir), 'victim.ghid');
  await writeFile(outside, 'keep me');
  await assert.rejects(s.delete('../victim'), (err: Error) => err.name === 'ValueError');
  await assert.rejects(s.put({ ...objects[0]!.entry, ghid: '../victim' }, objects[0]!.raw), (err: Error) => err.name === 'MalformedGolixPrimitive');
  assert.equal(await readFile(outside, 'utf8'), 'keep me');
  await s.close();
});

test('an index written before v3 (count ahead of the entries) still opens without a rebuild', async () => {
  const dir = await tempCache();
  const s = new FileStore(dir);
  await s.load();
  for (const o of objects) await s.put(o.entry, o.raw);
  await s.close();
  // Rewrite the v3 index as v2: `"HGXIDX02" | mtime | count | entries | crc32`.
  const v3 = await readFile(`${dir}.index`);
  assert.equal(v3.subarray(0, 8).toString('latin1'), 'HGXIDX03');
  const count = v3.subarray(v3.length - 8, v3.length - 4);
  const body = Buffer.concat([Buffer.from('HGXIDX02', 'latin1'), v3.subarray(8, 16), count, v3.subarray(16, v3.length - 8)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  await writeFile(`${dir}.index`, Buffer.concat([body, crc]));
  const again = new FileStore(dir);
  const { entries, warnings } = await again.load();
  assert.deepEqual(warnings, []);
  assert.equal(entries.size, objects.length);
  for (const o of objects) assert.deepEqual(entries.get(o.entry.ghid), o.entry);
  await again.close();
  // A damaged index is noticed and rebuilt from the files.
  const idx = await readFile(`${dir}.index`);
  idx[20] = idx[20]! ^ 0xff;
  await writeFile(`${dir}.index`, idx);
  const third = new FileStore(dir);
  const loaded = await third.load();
  assert.match(loaded.warnings.join('\n'), /index .* is unreadable .*rebuilding/);
  assert.equal(loaded.entries.size, objects.length);
  await third.close();
});

test('a close with thousands of files to make durable (one syncfs on Linux) keeps every object', async () => {
  const dir = await tempCache();
  const s = new FileStore(dir, { fileDelayMs: 0 });
  await s.load();
  const made: { ghid: string; raw: Buffer }[] = [];
  for (let n = 0; n < 2_100; n++) {
    const raw = Buffer.alloc(64, n % 256);
    raw.writeUInt32BE(n, 0);
    const ghid = b64url(Buffer.concat([Buffer.of(1), createHash('sha512').update(raw).digest()]));
    made.push({ ghid, raw });
  }
  await Promise.all(made.map(({ ghid, raw }) => s.put({ ghid, type: 'GIDC', version: 2, size: raw.length }, raw)));
  await s.close();
  const again = new FileStore(dir);
  const { entries, warnings } = await again.load();
  assert.deepEqual(warnings, []);
  assert.equal(entries.size, made.length);
  for (const { ghid, raw } of made.slice(0, 50)) assert.deepEqual(await readFile(join(dir, `${ghid}.ghid`)), raw);
  await again.close();
});
