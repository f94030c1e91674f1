// Opening a file store after a crash (src/core/store/store-recovery.ts): the index snapshot is
// read or found unusable, the journals beside the directory are listed in order, and each is
// replayed up to its first torn record. Journals are written by JournalFile itself and snapshots
// by writeSnapshot, on real files in a temp dir; bytes are edited by hand only to corrupt them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { entryOf, type Entry } from '../../../src/core/store/entry.js';
import { EntryTable } from '../../../src/core/store/entry-table.js';
import { writeSnapshot } from '../../../src/core/store/index-snapshot.js';
import { JournalFile, RECORD_HEAD, delRecord as unsealedDel, putRecord as unsealedPut, readRecords, sealRecord } from '../../../src/core/store/journal-file.js';
import { listJournals, readIndex, replayJournal, type ReplayTarget } from '../../../src/core/store/store-recovery.js';
import { nodeFs, type FsOps } from '../../../src/core/util/fs-ops.js';
import { FileStore } from '../../../src/core/store/file-store.js';
import { FaultyFs, errnoError } from '../../fixtures/store/faulty-fs.js';
import { v16Objects } from '../../fixtures/vectors.js';

const objects = v16Objects().map((o) => ({ entry: entryOf(o.obj), raw: o.raw }));
const byType = (type: Entry['type']) => objects.filter((o) => o.entry.type === type);
// A few of each kind: a GIDC, GEOCs (one of them 66 KiB, past the journal's first 64 KiB), a GOBS, a GOBD (vectors), a GDXX, a GARQ.
const gidc = byType('GIDC')[0]!;
const geoc = byType('GEOC')[0]!;
const bigGeoc = objects.find((o) => o.raw.length > 64 * 1024)!;
const gobs = byType('GOBS')[0]!;
const gobd = byType('GOBD')[0]!;
const gdxx = byType('GDXX')[0]!;
const garq = byType('GARQ')[0]!;

const temps: string[] = [];
/** A fresh `<tmp>/ghidcache` path (the directory itself not created); its parent is removed after. */
async function tempCache(): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), 'hgx-recovery-'));
  temps.push(parent);
  return join(parent, 'ghidcache');
}
test.after(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

/** A PUT record, sealed, as FileStore.put builds it (journal-file.ts). */
const putRecord = (entry: Entry, raw: Buffer): Buffer => sealRecord(unsealedPut(entry, raw));

/** A DEL record, sealed, as FileStore.delete builds it. */
const delRecord = (ghid: string): Buffer => sealRecord(unsealedDel(ghid));

/** Writes a journal through JournalFile, one commit per batch; returns the offset where each batch's records end. */
async function writeJournal(path: string, batches: Buffer[][]): Promise<number[]> {
  const journal = await JournalFile.create(path, nodeFs);
  const ends: number[] = [];
  let at = 0;
  try {
    for (const batch of batches) {
      const data = Buffer.concat(batch);
      await journal.commit(data);
      at += data.length;
      ends.push(at);
    }
  } finally {
    await journal.close();
  }
  return ends;
}

type Call = { op: 'apply'; ghid: string; raw: Buffer | null } | { op: 'holds'; ghid: string; raw: Buffer };

/** A target that records every call; its files hold nothing unless `holds` says so, and apply resolves `applies(ghid)`. */
function recordingTarget(options: { holds?: (ghid: string, raw: Buffer) => boolean; applies?: (ghid: string, raw: Buffer | null) => boolean } = {}) {
  const calls: Call[] = [];
  const entries = new EntryTable();
  const target: ReplayTarget = {
    entries,
    apply: async (ghid, raw) => {
      calls.push({ op: 'apply', ghid, raw: raw && Buffer.from(raw) });
      return options.applies?.(ghid, raw) ?? true;
    },
    fileHolds: async (ghid, raw) => {
      calls.push({ op: 'holds', ghid, raw: Buffer.from(raw) });
      return options.holds?.(ghid, raw) ?? false;
    },
  };
  const applied = () => calls.filter((c) => c.op === 'apply').map((c) => [c.ghid, c.raw] as const);
  return { target, entries, calls, applied };
}

/** A target over real object files `<dir>/<ghid>.ghid`, as FileStore's ObjectFiles keeps them. */
function fileTarget(dir: string) {
  const applied: [string, Buffer | null][] = [];
  const holds: string[] = [];
  const entries = new EntryTable();
  const path = (ghid: string) => join(dir, `${ghid}.ghid`);
  const target: ReplayTarget = {
    entries,
    apply: async (ghid, raw) => {
      applied.push([ghid, raw && Buffer.from(raw)]);
      if (raw) await writeFile(path(ghid), raw);
      else await rm(path(ghid), { force: true });
      return true;
    },
    fileHolds: async (ghid, raw) => {
      holds.push(ghid);
      const bytes = await readFile(path(ghid)).catch(() => null);
      return bytes !== null && bytes.equals(raw);
    },
  };
  return { target, entries, applied, holds, path };
}

const replayedWarning = (n: number, count: number) => `ghidcache journal ${n}: replayed ${count} records after an unclean stop`;
const tornWarning = /^ghidcache journal (\d+): ignored a torn tail of (\d+) bytes/;

// ---------------------------------------------------------------------------------------------
// readIndex

test('readIndex: no index file is ok false, loads nothing and warns nothing', async () => {
  const dir = await tempCache();
  const entries = new EntryTable();
  const warnings: string[] = [];
  const result = await readIndex(nodeFs, `${dir}.index`, entries, warnings);
  assert.deepEqual(result, { ok: false, dirMtimeNs: null });
  assert.equal(entries.size, 0);
  assert.deepEqual(warnings, []);
});

test('readIndex: a snapshot from writeSnapshot loads every entry as written, with its directory mtime', async () => {
  const dir = await tempCache();
  const path = `${dir}.index`;
  const mtime = 1_733_000_000_123_456_789n;
  await writeSnapshot(path, objects.map((o) => o.entry), mtime, nodeFs);
  const entries = new EntryTable();
  const warnings: string[] = [];
  const result = await readIndex(nodeFs, path, entries, warnings);
  assert.deepEqual(result, { ok: true, dirMtimeNs: mtime });
  assert.deepEqual(warnings, []);
  assert.equal(entries.size, objects.length);
  for (const { entry } of objects) assert.deepEqual(entries.get(entry.ghid), entry, `${entry.type} ${entry.ghid.slice(0, 12)}`);
  // Every kind of entry is in there, GOBD vectors and all.
  assert.deepEqual(new Set([...entries.values()].map((e) => e.type)), new Set(['GIDC', 'GEOC', 'GOBS', 'GOBD', 'GDXX', 'GARQ']));
});

test('readIndex: an empty snapshot is ok, with nothing loaded', async () => {
  const dir = await tempCache();
  const path = `${dir}.index`;
  await writeSnapshot(path, [], 42n, nodeFs);
  const entries = new EntryTable();
  const warnings: string[] = [];
  assert.deepEqual(await readIndex(nodeFs, path, entries, warnings), { ok: true, dirMtimeNs: 42n });
  assert.equal(entries.size, 0);
  assert.deepEqual(warnings, []);
});

/** Reads a damaged index into a table that already holds an entry; checks the promised outcome. */
async function assertRebuilt(path: string, label: string): Promise<void> {
  const entries = new EntryTable();
  entries.set(gidc.entry);
  const warnings: string[] = [];
  const result = await readIndex(nodeFs, path, entries, warnings);
  assert.deepEqual(result, { ok: false, dirMtimeNs: null }, label);
  assert.equal(entries.size, 0, `${label}: the table is cleared`);
  assert.equal(entries.has(gidc.entry.ghid), false, label);
  assert.equal(warnings.length, 1, `${label}: ${warnings.join(' | ')}`);
  assert.match(warnings[0]!, /ghidcache\.index/, `${label}: the warning names the file`);
  assert.match(warnings[0]!, /rebuilding/, label);
}

test('readIndex: a truncated snapshot is ok false, clears the table and warns once that it is rebuilding', async () => {
  const dir = await tempCache();
  const path = `${dir}.index`;
  await writeSnapshot(path, objects.map((o) => o.entry), 7n, nodeFs);
  const whole = await readFile(path);
  for (const cut of [1, 5, 200, whole.length - 20, whole.length - 1]) {
    await writeFile(path, whole.subarray(0, whole.length - cut));
    await assertRebuilt(path, `cut ${cut} bytes`);
  }
  await writeFile(path, Buffer.alloc(0));
  await assertRebuilt(path, 'an empty file');
});

test('readIndex: a bit-flipped snapshot is ok false, clears the table and warns once that it is rebuilding', async () => {
  const dir = await tempCache();
  const path = `${dir}.index`;
  await writeSnapshot(path, objects.map((o) => o.entry), 7n, nodeFs);
  const whole = await readFile(path);
  // In the magic, the mtime, an entry, the count, and the checksum itself.
  for (const at of [0, 9, 100, Math.floor(whole.length / 2), whole.length - 6, whole.length - 1]) {
    const bad = Buffer.from(whole);
    bad[at]! ^= 0x10;
    await writeFile(path, bad);
    await assertRebuilt(path, `bit flipped at ${at} of ${whole.length}`);
  }
});

test('readIndex: a snapshot whose checksum holds but whose count does not is rejected after its entries were added, and the table is left empty', async () => {
  const dir = await tempCache();
  const path = `${dir}.index`;
  const some = objects.slice(0, 12).map((o) => o.entry);
  await writeSnapshot(path, some, 7n, nodeFs);
  // v3: `magic | mtime | entries | u32 count | crc32`. Claim one entry more and re-seal, so every
  // entry is read (and added) before the count is found wrong.
  const bad = Buffer.from(await readFile(path));
  const body = bad.subarray(0, bad.length - 4);
  assert.equal(body.readUInt32BE(body.length - 4), some.length);
  body.writeUInt32BE(some.length + 1, body.length - 4);
  bad.writeUInt32BE(crc32(body), bad.length - 4);
  await writeFile(path, bad);

  const entries = new EntryTable();
  let addedBeforeFailing = 0;
  const counting = new Proxy(entries, {
    get(t, key) {
      if (key === 'set') return (e: Entry) => (addedBeforeFailing++, t.set(e));
      const value = Reflect.get(t, key, t) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
  const warnings: string[] = [];
  const result = await readIndex(nodeFs, path, counting, warnings);
  assert.equal(addedBeforeFailing, some.length, 'the table was partially filled before the error');
  assert.deepEqual(result, { ok: false, dirMtimeNs: null });
  assert.equal(entries.size, 0, 'and is cleared again');
  for (const e of some) assert.equal(entries.has(e.ghid), false);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /ghidcache\.index/);
  assert.match(warnings[0]!, /12 entries where 13 were counted/);
  assert.match(warnings[0]!, /rebuilding/);
});

test('readIndex: an index that exists but cannot be read (EIO) is rebuilt, and that repair is a warning', async () => {
  // The module promises: "a bad index is rebuilt, and each repair is reported as a warning";
  // only a missing index (ENOENT, "there is none") is rebuilt silently. readIndex's first catch
  // takes every read error for "none".
  const dir = await tempCache();
  const path = `${dir}.index`;
  await writeSnapshot(path, objects.slice(0, 3).map((o) => o.entry), 7n, nodeFs);
  const failingRead: FsOps = { ...nodeFs, readFile: async (p) => Promise.reject(errnoError('EIO', 'read', p)) };
  const entries = new EntryTable();
  const warnings: string[] = [];
  const result = await readIndex(failingRead, path, entries, warnings);
  assert.deepEqual(result, { ok: false, dirMtimeNs: null }, 'it is rebuilt from the files');
  assert.equal(entries.size, 0);
  // Found: [] (the rebuild is silent).
  assert.equal(warnings.length, 1, `one warning for the unreadable index: ${JSON.stringify(warnings)}`);
  assert.match(warnings[0]!, /ghidcache\.index/);
  assert.match(warnings[0]!, /EIO/);
});

// ---------------------------------------------------------------------------------------------
// listJournals

test('listJournals: only <dir>.journal.<digits> siblings, in numeric order', async () => {
  const dir = await tempCache();
  const parent = join(dir, '..');
  await mkdir(dir);
  const names = [
    'ghidcache.journal.10',
    'ghidcache.journal.2',
    'ghidcache.journal.1',
    'ghidcache.journal.100',
    'ghidcache.journal.x',
    'ghidcache.journal.1.tmp',
    'ghidcache.journal.',
    'ghidcache.journal.-3',
    'ghidcache.journal.4a',
    'ghidcache.journal',
    'ghidcache.index',
    'ghidcache.lock',
    'other.journal.3',
    'xghidcache.journal.5',
    'ghidcache2.journal.6',
  ];
  for (const n of names) await writeFile(join(parent, n), '');
  // A journal-named file inside the directory is not beside it.
  await writeFile(join(dir, 'ghidcache.journal.7'), '');
  assert.deepEqual(await listJournals(nodeFs, dir), [1, 2, 10, 100]);
});

test('listJournals: none beside the directory, or no parent directory at all, is []', async () => {
  const dir = await tempCache();
  assert.deepEqual(await listJournals(nodeFs, dir), []);
  assert.deepEqual(await listJournals(nodeFs, join(dir, 'missing', 'ghidcache')), []);
});

test('listJournals: a folder that cannot be listed is an error, never "no journals" (the store would start journal 1 over one not replayed)', async () => {
  const dir = await tempCache();
  await writeFile(`${dir}.journal.1`, 'x');
  const failing: FsOps = { ...nodeFs, readdir: async (path: string) => Promise.reject(Object.assign(new Error(`EIO: i/o error, scandir '${path}'`), { code: 'EIO' })) };
  await assert.rejects(listJournals(failing, dir), (e) => (e as NodeJS.ErrnoException).code === 'EIO');
});

// ---------------------------------------------------------------------------------------------
// replayJournal

test('replayJournal: PUT records set their entries and apply their bytes, in order; the zero padding after them is no torn tail', async () => {
  const dir = await tempCache();
  const path = `${dir}.journal.1`;
  const puts = [gidc, bigGeoc, gobd, gobs, garq];
  await writeJournal(path, [[putRecord(gidc.entry, gidc.raw)], [putRecord(bigGeoc.entry, bigGeoc.raw), putRecord(gobd.entry, gobd.raw)], [putRecord(gobs.entry, gobs.raw), putRecord(garq.entry, garq.raw)]]);
  const data = await readFile(path);
  assert.ok(data.subarray(readRecords(data).end).length > 0 && data.subarray(readRecords(data).end).every((b) => b === 0), 'the journal is padded with zeros');

  const { target, entries, calls, applied } = recordingTarget();
  const warnings: string[] = [];
  await replayJournal(nodeFs, path, 1, warnings, target);

  assert.deepEqual(warnings, [replayedWarning(1, puts.length)]);
  assert.equal(entries.size, puts.length);
  for (const o of puts) assert.deepEqual(entries.get(o.entry.ghid), o.entry);
  assert.deepEqual(applied(), puts.map((o) => [o.entry.ghid, o.raw]));
  // Each file is checked before it is written.
  assert.deepEqual(
    calls.map((c) => `${c.op} ${c.ghid}`),
    puts.flatMap((o) => [`holds ${o.entry.ghid}`, `apply ${o.entry.ghid}`]),
  );
  assert.deepEqual(await readFile(path), data, 'replay leaves the journal as it was');
});

test('replayJournal: DEL records remove the entry and apply null, also for a GHID the table does not hold', async () => {
  const dir = await tempCache();
  const path = `${dir}.journal.3`;
  await writeJournal(path, [[putRecord(geoc.entry, geoc.raw), putRecord(gobs.entry, gobs.raw)], [putRecord(gdxx.entry, gdxx.raw), delRecord(gobs.entry.ghid), delRecord(garq.entry.ghid)]]);

  const { target, entries, calls, applied } = recordingTarget();
  const warnings: string[] = [];
  await replayJournal(nodeFs, path, 3, warnings, target);

  assert.deepEqual(warnings, [replayedWarning(3, 5)]);
  assert.deepEqual([...entries.values()].map((e) => e.ghid).sort(), [geoc.entry.ghid, gdxx.entry.ghid].sort());
  assert.equal(entries.has(gobs.entry.ghid), false);
  assert.deepEqual(applied(), [
    [geoc.entry.ghid, geoc.raw],
    [gobs.entry.ghid, gobs.raw],
    [gdxx.entry.ghid, gdxx.raw],
    [gobs.entry.ghid, null],
    [garq.entry.ghid, null],
  ]);
  // A delete has no bytes to compare: fileHolds is asked only for the puts.
  assert.deepEqual(
    calls.filter((c) => c.op === 'holds').map((c) => c.ghid),
    [geoc.entry.ghid, gobs.entry.ghid, gdxx.entry.ghid],
  );
});

test('replayJournal: a file that already holds exactly the bytes is not rewritten; a missing or torn one (right length, zeros) is', async () => {
  const dir = await tempCache();
  await mkdir(dir);
  const path = `${dir}.journal.1`;
  await writeJournal(path, [[putRecord(gidc.entry, gidc.raw), putRecord(geoc.entry, geoc.raw), putRecord(gobd.entry, gobd.raw)]]);
  const { target, entries, applied, holds, path: filePath } = fileTarget(dir);
  // gidc's file is whole; geoc's was extended but its last bytes never landed; gobd's is missing.
  await writeFile(filePath(gidc.entry.ghid), gidc.raw);
  const torn = Buffer.from(geoc.raw);
  torn.fill(0, torn.length - 100);
  await writeFile(filePath(geoc.entry.ghid), torn);

  const warnings: string[] = [];
  await replayJournal(nodeFs, path, 1, warnings, target);

  assert.deepEqual(warnings, [replayedWarning(1, 3)]);
  assert.deepEqual(holds, [gidc.entry.ghid, geoc.entry.ghid, gobd.entry.ghid]);
  assert.deepEqual(applied, [
    [geoc.entry.ghid, geoc.raw],
    [gobd.entry.ghid, gobd.raw],
  ]);
  // Every entry is set, the untouched file's included, and every file now holds its bytes.
  for (const o of [gidc, geoc, gobd]) {
    assert.deepEqual(entries.get(o.entry.ghid), o.entry);
    assert.deepEqual(await readFile(filePath(o.entry.ghid)), o.raw);
  }
});

test('replayJournal: a last record cut short by a few bytes ends the replay after the whole records, with a warning', async () => {
  const dir = await tempCache();
  const path = `${dir}.journal.4`;
  const ends = await writeJournal(path, [[putRecord(gidc.entry, gidc.raw)], [putRecord(geoc.entry, geoc.raw)], [putRecord(gobs.entry, gobs.raw)]]);
  const lastEnd = ends[2]!;
  for (const cut of [1, 4, 50]) {
    await truncate(path, lastEnd - cut);
    const { target, entries, applied } = recordingTarget();
    const warnings: string[] = [];
    await replayJournal(nodeFs, path, 4, warnings, target);
    assert.deepEqual(applied(), [
      [gidc.entry.ghid, gidc.raw],
      [geoc.entry.ghid, geoc.raw],
    ], `cut ${cut}`);
    assert.equal(entries.size, 2);
    assert.equal(entries.has(gobs.entry.ghid), false, 'the torn record is not applied');
    assert.equal(warnings.length, 2, warnings.join(' | '));
    const torn = tornWarning.exec(warnings[0]!);
    assert.ok(torn, warnings[0]);
    assert.equal(torn[1], '4');
    assert.equal(Number(torn[2]), lastEnd - cut - ends[1]!, 'the torn bytes are those of the cut record');
    assert.equal(warnings[1], replayedWarning(4, 2));
  }
});

test('replayJournal: a last record whose final bytes never landed (zeros in the padded file) ends the replay, with a warning', async () => {
  const dir = await tempCache();
  const path = `${dir}.journal.2`;
  const ends = await writeJournal(path, [[putRecord(gidc.entry, gidc.raw), putRecord(gobd.entry, gobd.raw)], [putRecord(garq.entry, garq.raw)]]);
  const data = Buffer.from(await readFile(path));
  data.fill(0, ends[1]! - 5, ends[1]!);
  await writeFile(path, data);

  const { target, entries, applied } = recordingTarget();
  const warnings: string[] = [];
  await replayJournal(nodeFs, path, 2, warnings, target);
  assert.deepEqual(applied(), [
    [gidc.entry.ghid, gidc.raw],
    [gobd.entry.ghid, gobd.raw],
  ]);
  assert.equal(entries.has(garq.entry.ghid), false);
  assert.equal(warnings.length, 2, warnings.join(' | '));
  const torn = tornWarning.exec(warnings[0]!);
  assert.ok(torn, warnings[0]);
  // Everything past the last whole record is counted, the padding included.
  assert.equal(Number(torn[2]), data.length - ends[0]!);
  assert.equal(warnings[1], replayedWarning(2, 2));
});

test('replayJournal: zeros after the last record are the end, not a torn tail; bytes after them are', async () => {
  const dir = await tempCache();
  const path = `${dir}.journal.5`;
  const ends = await writeJournal(path, [[putRecord(gidc.entry, gidc.raw), delRecord(gidc.entry.ghid), putRecord(geoc.entry, geoc.raw)]]);
  const records = (await readFile(path)).subarray(0, ends[0]!);

  // Records then zeros, with no padding of JournalFile's size.
  await writeFile(path, Buffer.concat([records, Buffer.alloc(13)]));
  let r = recordingTarget();
  let warnings: string[] = [];
  await replayJournal(nodeFs, path, 5, warnings, r.target);
  assert.deepEqual(warnings, [replayedWarning(5, 3)]);
  assert.deepEqual([...r.entries.values()].map((e) => e.ghid), [geoc.entry.ghid]);

  // Zeros shorter than a record head, then no more.
  await writeFile(path, Buffer.concat([records, Buffer.alloc(3)]));
  r = recordingTarget();
  warnings = [];
  await replayJournal(nodeFs, path, 5, warnings, r.target);
  assert.deepEqual(warnings, [replayedWarning(5, 3)]);

  // Garbage after the zero padding (what file-store.test.ts appends) is a torn tail.
  await writeFile(path, Buffer.concat([records, Buffer.alloc(64 * 1024 - records.length), Buffer.from([0, 0, 1, 0, 1, 2, 3])]));
  r = recordingTarget();
  warnings = [];
  await replayJournal(nodeFs, path, 5, warnings, r.target);
  assert.equal(warnings.length, 2, warnings.join(' | '));
  assert.equal(Number(tornWarning.exec(warnings[0]!)?.[2]), 64 * 1024 + 7 - records.length);
  assert.equal(warnings[1], replayedWarning(5, 3));
  assert.equal(r.applied().length, 3);
});

test('replayJournal: a record failing its checksum ends the replay there, later whole records included', async () => {
  const dir = await tempCache();
  const path = `${dir}.journal.6`;
  const ends = await writeJournal(path, [[putRecord(gidc.entry, gidc.raw)], [putRecord(geoc.entry, geoc.raw)], [putRecord(gobs.entry, gobs.raw)]]);
  const data = Buffer.from(await readFile(path));
  data[ends[0]! + RECORD_HEAD + 40]! ^= 0x01; // a bit inside the second record's body
  await writeFile(path, data);

  const { target, entries, applied } = recordingTarget();
  const warnings: string[] = [];
  await replayJournal(nodeFs, path, 6, warnings, target);
  assert.deepEqual(applied(), [[gidc.entry.ghid, gidc.raw]]);
  assert.deepEqual([...entries.values()].map((e) => e.ghid), [gidc.entry.ghid]);
  assert.equal(warnings.length, 2, warnings.join(' | '));
  assert.equal(Number(tornWarning.exec(warnings[0]!)?.[2]), data.length - ends[0]!);
  assert.equal(warnings[1], replayedWarning(6, 1));
});

test('replayJournal: an empty journal, or one of zeros only, replays nothing and warns nothing', async () => {
  const dir = await tempCache();
  const empty = `${dir}.journal.1`;
  await writeJournal(empty, []);
  assert.equal((await readFile(empty)).length, 0);
  const zeros = `${dir}.journal.2`;
  const journal = await JournalFile.create(zeros, nodeFs);
  await journal.reserve(100); // extended ahead, nothing committed: a crash right after a rotation
  await journal.close();
  assert.ok((await readFile(zeros)).length >= 64 * 1024);

  for (const [n, path] of [[1, empty], [2, zeros]] as const) {
    const { target, entries, calls } = recordingTarget();
    const warnings: string[] = [];
    await replayJournal(nodeFs, path, n, warnings, target);
    assert.deepEqual(warnings, []);
    assert.deepEqual(calls, []);
    assert.equal(entries.size, 0);
  }
});

test('replayJournal: an apply that resolves false does not stop the replay: the entry stays set, later records apply, and the journal is left in place', async () => {
  // ReplayTarget.apply: "A write that fails keeps the bytes in memory (the journal is kept too),
  // so it resolves whether it worked instead of throwing." Replay itself carries on; keeping the
  // journal is the caller's (FileStore.load removes journals only once makeDurable succeeds).
  const dir = await tempCache();
  const path = `${dir}.journal.8`;
  await writeJournal(path, [[putRecord(gidc.entry, gidc.raw), putRecord(geoc.entry, geoc.raw)], [delRecord(gobs.entry.ghid), putRecord(garq.entry, garq.raw)]]);
  const before = await readFile(path);
  const failing = new Set([geoc.entry.ghid, gobs.entry.ghid]);
  const { target, entries, applied } = recordingTarget({ applies: (ghid) => !failing.has(ghid) });
  const warnings: string[] = [];
  await replayJournal(nodeFs, path, 8, warnings, target);

  assert.deepEqual(applied(), [
    [gidc.entry.ghid, gidc.raw],
    [geoc.entry.ghid, geoc.raw],
    [gobs.entry.ghid, null],
    [garq.entry.ghid, garq.raw],
  ]);
  assert.deepEqual(entries.get(geoc.entry.ghid), geoc.entry, 'the object whose write failed is still indexed (served from memory)');
  assert.deepEqual(entries.get(garq.entry.ghid), garq.entry);
  assert.equal(entries.has(gobs.entry.ghid), false);
  // No warning of replay's own for it: the failure is reported by the caller's storage state.
  assert.deepEqual(warnings, [replayedWarning(8, 4)]);
  assert.deepEqual(await readFile(path), before, 'the journal is kept as it was');
});

test('replayJournal: an apply that rejects is not swallowed', async () => {
  // The contract asks apply to resolve false rather than throw; replay does not guard against a
  // throwing one, so the error reaches the caller (FileStore.load) and later records are not applied.
  const dir = await tempCache();
  const path = `${dir}.journal.1`;
  await writeJournal(path, [[putRecord(gidc.entry, gidc.raw), putRecord(geoc.entry, geoc.raw)]]);
  const { target, calls } = recordingTarget();
  const rejecting: ReplayTarget = { ...target, apply: async () => Promise.reject(new Error('EIO')) };
  await assert.rejects(replayJournal(nodeFs, path, 1, [], rejecting), /EIO/);
  assert.deepEqual(calls.map((c) => c.ghid), [gidc.entry.ghid]);
});

test('journals replayed in listJournals order leave the newest state (2 before 10)', async () => {
  const dir = await tempCache();
  await writeJournal(`${dir}.journal.2`, [[putRecord(gidc.entry, gidc.raw), putRecord(geoc.entry, geoc.raw)]]);
  await writeJournal(`${dir}.journal.10`, [[delRecord(geoc.entry.ghid), putRecord(gobs.entry, gobs.raw)]]);
  const ns = await listJournals(nodeFs, dir);
  assert.deepEqual(ns, [2, 10]);
  const { target, entries, applied } = recordingTarget();
  const warnings: string[] = [];
  for (const n of ns) await replayJournal(nodeFs, `${dir}.journal.${n}`, n, warnings, target);
  assert.deepEqual([...entries.values()].map((e) => e.ghid).sort(), [gidc.entry.ghid, gobs.entry.ghid].sort());
  assert.deepEqual(applied().at(-2), [geoc.entry.ghid, null]);
  assert.deepEqual(warnings, [replayedWarning(2, 2), replayedWarning(10, 2)]);
});

// ---------------------------------------------------------------------------------------------
// The skip on fileHolds, with FileStore's own ReplayTarget

test('FileStore replay of PUT, DEL, PUT of one object with a working disk leaves it stored (control for the next test)', async () => {
  const dir = await tempCache();
  await mkdir(dir);
  const x = geoc;
  const file = join(dir, `${x.entry.ghid}.ghid`);
  await writeFile(file, x.raw);
  await writeJournal(`${dir}.journal.1`, [[putRecord(x.entry, x.raw), delRecord(x.entry.ghid)], [putRecord(x.entry, x.raw)]]);
  const store = new FileStore(dir, { fileDelayMs: 0 });
  try {
    const { entries } = await store.load();
    assert.deepEqual(entries.get(x.entry.ghid), x.entry);
    assert.deepEqual(await store.read(x.entry.ghid), x.raw);
    assert.deepEqual(await readFile(file), x.raw, 'unlinked by the DEL, written again by the PUT');
  } finally {
    await store.close();
  }
});

test('FileStore replay: a PUT after a DEL whose unlink failed must not be skipped because the file still holds its bytes', async () => {
  // The store put X, deleted it and stored it again (formats.md: "an object stored again after
  // its delete"), then crashed before a checkpoint; X's file holds its bytes. At the next start
  // the disk fails unlinks (EIO). Replay: PUT X (file holds it: skipped), DEL X (unlink fails:
  // FileStore keeps `null` for X in memory, stranded, to retry), PUT X (file holds it: skipped).
  // The last record is a PUT, so X must stay readable and its file must survive the retries.
  const dir = await tempCache();
  await mkdir(dir);
  const x = geoc;
  const file = join(dir, `${x.entry.ghid}.ghid`);
  await writeFile(file, x.raw);
  await writeJournal(`${dir}.journal.1`, [[putRecord(x.entry, x.raw), delRecord(x.entry.ghid)], [putRecord(x.entry, x.raw)]]);

  const fs = new FaultyFs();
  fs.arm(1, 'EIO', true, (op) => op === 'unlink');
  const store = new FileStore(dir, { fs, fileDelayMs: 0, probeIntervalMs: 5, warn: () => undefined });
  const same = (b: Buffer | null) => (b === null ? 'null' : b.equals(x.raw) ? 'X' : 'other bytes');
  let seen: Record<string, string>;
  try {
    const { entries } = await store.load();
    assert.deepEqual(entries.get(x.entry.ghid), x.entry, 'the replayed PUT indexes X');
    const whileFailing = same(await store.read(x.entry.ghid));
    fs.heal();
    for (let i = 0; i < 400 && store.storage().kind !== 'ok'; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(store.storage().kind, 'ok', 'the probe retried the stranded operation once unlinks work');
    seen = {
      whileFailing,
      fileAfterRetry: same(await readFile(file).catch(() => null)),
      readAfterRetry: same(await store.read(x.entry.ghid)),
    };
  } finally {
    await store.close();
  }
  const reopened = new FileStore(dir);
  try {
    await reopened.load();
    seen.afterReopen = same(await reopened.read(x.entry.ghid));
  } finally {
    await reopened.close();
  }
  // Found: { whileFailing: 'null', fileAfterRetry: 'null', readAfterRetry: 'null', afterReopen: 'null' }.
  assert.deepEqual(seen, { whileFailing: 'X', fileAfterRetry: 'X', readAfterRetry: 'X', afterReopen: 'X' });
});
