// The file store's numbered journals (src/core/store/journal-sequence.ts): which journal is being
// written, starting the next at a checkpoint, removing old ones once durable, and reporting
// failures to the storage monitor. Real files in a temp dir; faults are injected by wrapping the
// real FsOps (FaultyFs from the fixtures, or a small hook wrapper below for a write that lands
// and then reports an error, or one held until the test lets it go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { entryOf, type Entry } from '../../../src/core/store/entry.js';
import { EntryTable } from '../../../src/core/store/entry-table.js';
import { JournalFile, OP_DEL, OP_PUT, delRecord as unsealedDel, putRecord as unsealedPut, readRecords, sealRecord } from '../../../src/core/store/journal-file.js';
import { JournalSequence } from '../../../src/core/store/journal-sequence.js';
import { StorageMonitor } from '../../../src/core/store/storage-monitor.js';
import type { StorageState } from '../../../src/core/store/storage-state.js';
import { replayJournal, type ReplayTarget } from '../../../src/core/store/store-recovery.js';
import { nodeFs, type FsHandle, type FsOps } from '../../../src/core/util/fs-ops.js';
import { FaultyFs, errnoError } from '../../fixtures/store/faulty-fs.js';
import { v16Objects } from '../../fixtures/vectors.js';

const objects = v16Objects().map((o) => ({ entry: entryOf(o.obj), raw: o.raw }));
const small = objects.filter((o) => o.raw.length < 4096);
const [a, b, c] = [small[0]!, small[1]!, small[2]!];

const temps: string[] = [];
/** A fresh `<tmp>/ghidcache` path (the directory itself not created); its parent is removed after. */
async function tempCache(): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), 'hgx-jseq-'));
  temps.push(parent);
  return join(parent, 'ghidcache');
}
test.after(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

/** A PUT record, sealed, as FileStore.put builds it (journal-file.ts). */
const putRecord = (entry: Entry, raw: Buffer): Buffer => sealRecord(unsealedPut(entry, raw));

/** A DEL record, sealed, as FileStore.delete builds it. */
const delRecord = (ghid: string): Buffer => sealRecord(unsealedDel(ghid));

/** Replays a journal file into a recording target: what it applies, in order, and the warnings. */
async function replay(path: string, n: number) {
  const applied: [string, Buffer | null][] = [];
  const entries = new EntryTable();
  const warnings: string[] = [];
  const target: ReplayTarget = {
    entries,
    apply: async (ghid, raw) => {
      applied.push([ghid, raw && Buffer.from(raw)]);
      return true;
    },
    fileHolds: async () => false,
  };
  await replayJournal(nodeFs, path, n, warnings, target);
  return { applied, entries, warnings };
}

/** A journal as an earlier run left it, written through JournalFile. */
async function oldJournal(path: string, records: Buffer[]): Promise<void> {
  const j = await JournalFile.create(path, nodeFs);
  try {
    await j.commit(Buffer.concat(records));
  } finally {
    await j.close();
  }
}

async function journalNames(dir: string): Promise<string[]> {
  return (await readdir(dirname(dir))).filter((n) => n.startsWith(`${basename(dir)}.journal.`)).sort();
}

const exists = (path: string) => stat(path).then(
  () => true,
  () => false,
);

function monitorFor(probe: () => Promise<boolean> = async () => false) {
  const changes: [StorageState, string][] = [];
  const monitor = new StorageMonitor({ probe, probeIntervalMs: 60_000, changed: (s, m) => changes.push([s, m]) });
  return { monitor, changes };
}

function assertFailed(monitor: StorageMonitor, kind: 'full' | 'failed', path: string, errno: string): void {
  const s = monitor.state();
  assert.equal(monitor.ok, false, 'the monitor is told');
  assert.ok(s.kind !== 'ok', JSON.stringify(s));
  assert.equal(s.kind, kind);
  assert.equal(s.path, path);
  assert.equal(s.errno, errno);
  assert.ok(s.message.includes(path) && s.message.includes(errno), s.message);
}

/**
 * Wraps the real FsOps; each hook may throw (fail the call) or wait. `afterWrite` runs once the
 * real write has landed: throwing there is an O_DSYNC write whose data reached the file but whose
 * sync failed (on Linux the journal's "fsync" is the write itself).
 */
class HookFs implements FsOps {
  beforeOpen?: (path: string) => Promise<void> | void;
  beforeWrite?: (path: string, position: number | null, data: Buffer) => Promise<void> | void;
  afterWrite?: (path: string, position: number | null, data: Buffer) => Promise<void> | void;
  beforeRm?: (path: string) => Promise<void> | void;
  afterClose?: (path: string) => Promise<void> | void;
  constructor(private readonly real: FsOps = nodeFs) {}
  async open(path: string, flags: number | string, mode?: number): Promise<FsHandle> {
    await this.beforeOpen?.(path);
    const fh = await this.real.open(path, flags, mode);
    const hooks = this;
    return {
      async write(data, offset, length, position) {
        const slice = data.subarray(offset, offset + length);
        await hooks.beforeWrite?.(path, position, slice);
        const r = await fh.write(data, offset, length, position);
        await hooks.afterWrite?.(path, position, slice);
        return r;
      },
      writeFile: (d) => fh.writeFile(d),
      chmod: (m) => fh.chmod(m),
      truncate: (l) => fh.truncate(l),
      sync: () => fh.sync(),
      datasync: () => fh.datasync(),
      async close() {
        await fh.close();
        await hooks.afterClose?.(path);
      },
    };
  }
  writeWhole(path: string, data: Buffer, mode: number) {
    return this.real.writeWhole(path, data, mode);
  }
  rename(from: string, to: string) {
    return this.real.rename(from, to);
  }
  unlink(path: string) {
    return this.real.unlink(path);
  }
  mkdir(path: string, options: { recursive: true; mode?: number }) {
    return this.real.mkdir(path, options);
  }
  async rm(path: string, options: { force?: boolean; recursive?: boolean }) {
    await this.beforeRm?.(path);
    return this.real.rm(path, options);
  }
  readFile(path: string) {
    return this.real.readFile(path);
  }
  readdir(path: string) {
    return this.real.readdir(path);
  }
  stat(path: string) {
    return this.real.stat(path);
  }
  mtimeNs(path: string) {
    return this.real.mtimeNs(path);
  }
  realpath(path: string) {
    return this.real.realpath(path);
  }
}

// ---------------------------------------------------------------------------------------------
// numbering, start and commit

test('path(n) and currentPath name `<dir>.journal.<n>`; list() gives the numbers on disk in numeric order, ignoring other names', async () => {
  const dir = await tempCache();
  const seq = new JournalSequence(dir, nodeFs, monitorFor().monitor);
  assert.equal(seq.path(7), `${dir}.journal.7`);
  assert.equal(seq.ready, false, 'nothing to commit to before start');
  assert.equal(seq.bytes, 0);
  assert.deepEqual(await seq.list(), [], 'no directory yet: nothing listed, nothing thrown');
  for (const n of [10, 2, 1]) await oldJournal(seq.path(n), [delRecord(a.entry.ghid)]);
  await writeFile(`${dir}.journal.3.tmp`, 'x');
  await writeFile(`${dir}.journal.`, 'x');
  await writeFile(`${dir}x.journal.4`, 'x');
  await writeFile(`${dir}.index`, 'x');
  assert.deepEqual(await seq.list(), [1, 2, 10]);
});

test('start(k) after journals 1..k exist writes journal k+1, leaves 1..k as they were, and commits read back in order', async () => {
  const dir = await tempCache();
  const { monitor } = monitorFor();
  const seq = new JournalSequence(dir, nodeFs, monitor);
  for (const n of [1, 2, 3]) await oldJournal(seq.path(n), [putRecord(objects[n]!.entry, objects[n]!.raw)]);
  const before = await Promise.all([1, 2, 3].map((n) => readFile(seq.path(n))));
  const found = await seq.list();
  assert.deepEqual(found, [1, 2, 3]);
  const warnings: string[] = [];
  await seq.start(found.at(-1)!, warnings);
  try {
    assert.deepEqual(warnings, []);
    assert.equal(seq.ready, true);
    assert.equal(seq.currentPath, `${dir}.journal.4`);
    assert.deepEqual(await seq.list(), [1, 2, 3, 4], 'the new journal exists as soon as it is started');
    for (const [i, n] of [1, 2, 3].entries()) assert.deepEqual(await readFile(seq.path(n)), before[i], `journal ${n} untouched`);

    const batch1 = Buffer.concat([putRecord(a.entry, a.raw), putRecord(b.entry, b.raw)]);
    const batch2 = delRecord(a.entry.ghid);
    await seq.commit(batch1);
    assert.equal(seq.bytes, batch1.length);
    await seq.commit(batch2);
    assert.equal(seq.bytes, batch1.length + batch2.length, 'bytes counts what was committed to the current journal');

    const data = await readFile(seq.currentPath);
    const { records, end } = readRecords(data);
    assert.equal(end, seq.bytes, 'the records end where the committed bytes do; zero padding after');
    assert.deepEqual(
      records.map((r) => r.op),
      [OP_PUT, OP_PUT, OP_DEL],
    );
    const r = await replay(seq.currentPath, 4);
    assert.deepEqual(r.applied, [
      [a.entry.ghid, a.raw],
      [b.entry.ghid, b.raw],
      [a.entry.ghid, null],
    ]);
    assert.equal(r.entries.has(a.entry.ghid), false);
    assert.deepEqual(r.entries.get(b.entry.ghid), b.entry);
    assert.deepEqual(r.warnings, ['ghidcache journal 4: replayed 3 records after an unclean stop'], 'no torn tail: the padding reads as the end');
    assert.equal(monitor.ok, true);
  } finally {
    await seq.close();
  }
});

test('start(0) with no journals writes journal 1; a commit larger than the first extension is durable and whole', async () => {
  const dir = await tempCache();
  const seq = new JournalSequence(dir, nodeFs, monitorFor().monitor);
  await seq.start(0, []);
  try {
    assert.equal(seq.currentPath, `${dir}.journal.1`);
    const big = objects.find((o) => o.raw.length > 64 * 1024)!;
    const record = putRecord(big.entry, big.raw);
    await seq.commit(record);
    await seq.commit(putRecord(c.entry, c.raw));
    const r = await replay(seq.path(1), 1);
    assert.deepEqual(
      r.applied.map(([g, raw]) => [g, raw?.length]),
      [
        [big.entry.ghid, big.raw.length],
        [c.entry.ghid, c.raw.length],
      ],
    );
    assert.deepEqual(r.applied[0]![1], big.raw);
  } finally {
    await seq.close();
  }
});

// ---------------------------------------------------------------------------------------------
// checkpoints and removal

test('rotate() starts the next journal: currentPath moves, bytes resets, later commits land there; it returns the old number and handle', async () => {
  const dir = await tempCache();
  const { monitor } = monitorFor();
  const seq = new JournalSequence(dir, nodeFs, monitor);
  await oldJournal(seq.path(1), [delRecord(c.entry.ghid)]);
  await seq.start(1, []);
  try {
    await seq.commit(putRecord(a.entry, a.raw));
    assert.ok(seq.bytes > 0);
    const rotated = await seq.rotate();
    assert.ok(rotated);
    assert.equal(rotated.old, 2);
    assert.equal(rotated.handle.path, `${dir}.journal.2`);
    assert.equal(seq.currentPath, `${dir}.journal.3`);
    assert.equal(seq.bytes, 0);
    assert.equal(seq.ready, true);
    await seq.commit(putRecord(b.entry, b.raw));
    await rotated.handle.close();
    // Nothing was removed by rotating: 1, 2 and 3 are all there, each with its own records.
    assert.deepEqual(await seq.list(), [1, 2, 3]);
    assert.deepEqual((await replay(seq.path(1), 1)).applied, [[c.entry.ghid, null]]);
    assert.deepEqual((await replay(seq.path(2), 2)).applied, [[a.entry.ghid, a.raw]]);
    assert.deepEqual((await replay(seq.path(3), 3)).applied, [[b.entry.ghid, b.raw]]);
    // A second checkpoint moves on again.
    const again = await seq.rotate();
    assert.equal(again?.old, 3);
    assert.equal(seq.currentPath, seq.path(4));
    await again?.handle.close();
    assert.equal(monitor.ok, true);
  } finally {
    await seq.close();
  }
});

test('remove(ns, false) removes exactly the journals named, never the one being written; remove(..., true) removes it too', async () => {
  const dir = await tempCache();
  const { monitor } = monitorFor();
  const seq = new JournalSequence(dir, nodeFs, monitor);
  for (const n of [1, 2, 3, 4]) await oldJournal(seq.path(n), [delRecord(a.entry.ghid)]);
  await seq.start(4, []);
  try {
    await seq.commit(putRecord(a.entry, a.raw));
    await seq.remove([1, 3], false);
    assert.deepEqual(await seq.list(), [2, 4, 5], 'only those named');
    await seq.remove([], false);
    assert.deepEqual(await seq.list(), [2, 4, 5]);
    await seq.remove([2, 4, 5], false);
    assert.deepEqual(await seq.list(), [5], 'the current journal is kept');
    assert.deepEqual((await replay(seq.path(5), 5)).applied, [[a.entry.ghid, a.raw]], 'and still holds its record');
    // Removing one already gone is not a failure (rm with force).
    await seq.remove([1, 2], false);
    assert.equal(monitor.ok, true);
    await seq.close();
    await seq.remove(await seq.list(), true);
    assert.deepEqual(await journalNames(dir), []);
    assert.equal(monitor.ok, true);
  } finally {
    await seq.close();
  }
});

test('a checkpoint as FileStore does it: rotate, then remove the listed journals up to the old one; the new one stays', async () => {
  const dir = await tempCache();
  const seq = new JournalSequence(dir, nodeFs, monitorFor().monitor);
  await oldJournal(seq.path(6), [delRecord(a.entry.ghid)]);
  await seq.start(6, []);
  try {
    await seq.commit(putRecord(a.entry, a.raw));
    const rotated = (await seq.rotate())!;
    await seq.commit(putRecord(b.entry, b.raw));
    await rotated.handle.close();
    await seq.remove((await seq.list()).filter((n) => n <= rotated.old), false);
    assert.deepEqual(await seq.list(), [8]);
    assert.deepEqual((await replay(seq.currentPath, 8)).applied, [[b.entry.ghid, b.raw]]);
  } finally {
    await seq.close();
  }
});

for (const errno of ['EIO', 'EROFS', 'EACCES'] as const) {
  test(`a journal that cannot be removed (${errno}): removal stops there, the newer ones are kept, the monitor is told, nothing is thrown`, async () => {
    const dir = await tempCache();
    const fs = new FaultyFs();
    const { monitor, changes } = monitorFor();
    const seq = new JournalSequence(dir, fs, monitor);
    for (const n of [1, 2, 3, 4]) await oldJournal(seq.path(n), [delRecord(a.entry.ghid)]);
    await seq.start(4, []);
    try {
      fs.arm(1, errno, true, (op, path) => op === 'rm' && path === seq.path(2));
      await seq.remove([1, 2, 3, 4], false);
      assert.deepEqual(await seq.list(), [2, 3, 4, 5], 'oldest first, stopping at the first that cannot go: what is left is the newest');
      assertFailed(monitor, 'failed', seq.path(2), errno);
      assert.equal(changes.length, 1);
      assert.equal(seq.ready, true, 'the journal being written is unaffected');
      await seq.commit(putRecord(a.entry, a.raw));
      // Once the unlink works again, a later removal takes the rest.
      fs.heal();
      await seq.remove([2, 3, 4], false);
      assert.deepEqual(await seq.list(), [5]);
    } finally {
      await seq.close();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// failures

for (const errno of ['ENOSPC', 'EDQUOT', 'EIO'] as const) {
  test(`start() on a disk where the journal cannot be created (${errno}): not thrown, a warning, the monitor told, ready false; ensure() recovers once it can`, async () => {
    const dir = await tempCache();
    const fs = new FaultyFs();
    // The probe FileStore gives its monitor, cut down to the journal: ensure one, then show room in it.
    const probe = async () => (await seq.ensure()) && (await seq.reserve(64 * 1024).then(() => true, () => false));
    const { monitor, changes } = monitorFor(probe);
    const seq = new JournalSequence(dir, fs, monitor);
    await oldJournal(seq.path(1), [putRecord(a.entry, a.raw)]);
    await oldJournal(seq.path(2), [putRecord(b.entry, b.raw)]);
    const before2 = await readFile(seq.path(2));
    fs.arm(1, errno, true, (op) => op === 'open');
    const warnings: string[] = [];
    await seq.start(2, warnings); // resolves: never thrown at the store being opened
    try {
      assert.equal(seq.ready, false);
      assert.equal(seq.currentPath, `${dir}.journal.3`, 'the number it will write is still the next one');
      assertFailed(monitor, errno === 'EIO' ? 'failed' : 'full', seq.path(3), errno);
      assert.equal(changes.length, 1);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /^ghidcache: cannot start a journal \(.*\); reads are served, writes wait for room$/);
      assert.ok(warnings[0]!.includes(errno), warnings[0]);
      assert.deepEqual(await seq.list(), [1, 2], 'no journal 3 was made');
      assert.deepEqual(await readFile(seq.path(2)), before2, 'the newest old journal is not touched');

      // Still full: the probe finds no journal and says so; nothing thrown.
      monitor.start();
      assert.equal(await seq.ensure(), false);
      assert.equal(seq.ready, false);
      assert.equal(await monitor.probeNow(), false);
      assert.equal(monitor.ok, false);

      // Room again: the probe creates journal 3 and the monitor goes back to ok by itself.
      fs.heal();
      assert.equal(await monitor.probeNow(), true);
      assert.equal(monitor.ok, true);
      assert.equal(changes.at(-1)![0].kind, 'ok');
      assert.match(changes.at(-1)![1], /work again/);
      assert.equal(seq.ready, true);
      assert.equal(seq.currentPath, `${dir}.journal.3`);
      assert.equal(await seq.ensure(), true, 'ensure on a journal that exists does not make another');
      await seq.commit(putRecord(c.entry, c.raw));
      assert.deepEqual(await seq.list(), [1, 2, 3]);
      assert.deepEqual((await replay(seq.path(3), 3)).applied, [[c.entry.ghid, c.raw]]);
      assert.deepEqual((await replay(seq.path(2), 2)).applied, [[b.entry.ghid, b.raw]]);
    } finally {
      monitor.stop();
      await seq.close();
    }
  });
}

test('start() succeeds when only writes fail (the open works on a full disk); the first commit then rejects with ENOSPC and counts nothing', async () => {
  const dir = await tempCache();
  const fs = new FaultyFs();
  const { monitor } = monitorFor();
  const seq = new JournalSequence(dir, fs, monitor);
  fs.arm(1, 'ENOSPC', true, (op) => op === 'write');
  await seq.start(0, []);
  try {
    assert.equal(seq.ready, true);
    await assert.rejects(seq.commit(putRecord(a.entry, a.raw)), (err: NodeJS.ErrnoException) => err.code === 'ENOSPC');
    assert.equal(seq.bytes, 0);
    // commit() rejects as documented; reporting is its caller's (FileStore.rollBack) job.
    assert.equal(monitor.ok, true);
    await assert.rejects(seq.reserve(1), (err: NodeJS.ErrnoException) => err.code === 'ENOSPC', 'reserve shows there is no room');
    fs.heal();
    await seq.reserve(1);
    const record = putRecord(a.entry, a.raw);
    await seq.commit(record);
    assert.equal(seq.bytes, record.length);
    assert.deepEqual((await replay(seq.currentPath, 1)).applied, [[a.entry.ghid, a.raw]]);
  } finally {
    await seq.close();
  }
});

for (const errno of ['ENOSPC', 'EIO'] as const) {
  test(`a commit whose durable write fails after the bytes landed (${errno}) rejects; the bytes are zeroed, nothing counts, and the next commit takes their place`, async () => {
    const dir = await tempCache();
    const fs = new HookFs();
    const { monitor } = monitorFor();
    const seq = new JournalSequence(dir, fs, monitor);
    await seq.start(0, []);
    try {
      const first = putRecord(a.entry, a.raw);
      await seq.commit(first);
      let fail = true;
      fs.afterWrite = (_path, _position, data) => {
        // The record is written (non-zero), then the sync reports the error; the zeroing goes through.
        if (fail && !data.every((x) => x === 0)) {
          fail = false;
          throw errnoError(errno, 'write', seq.currentPath);
        }
      };
      const failed = putRecord(b.entry, b.raw);
      await assert.rejects(seq.commit(failed), (err: NodeJS.ErrnoException) => err.code === errno);
      assert.equal(seq.bytes, first.length, 'the failed batch is not counted');
      assert.equal(monitor.ok, true, 'commit rejects; the caller reports it');
      let data = await readFile(seq.currentPath);
      assert.ok(data.subarray(first.length, first.length + failed.length).every((x) => x === 0), 'the failed bytes are zeroed');
      let r = await replay(seq.currentPath, 1);
      assert.deepEqual(r.applied, [[a.entry.ghid, a.raw]], 'a crash now replays only what was acknowledged');
      assert.deepEqual(r.warnings, ['ghidcache journal 1: replayed 1 records after an unclean stop']);

      const next = putRecord(c.entry, c.raw);
      await seq.commit(next);
      assert.equal(seq.bytes, first.length + next.length);
      data = await readFile(seq.currentPath);
      assert.equal(readRecords(data).end, first.length + next.length, 'the next commit writes over the same place');
      r = await replay(seq.currentPath, 1);
      assert.deepEqual(r.applied, [
        [a.entry.ghid, a.raw],
        [c.entry.ghid, c.raw],
      ]);
    } finally {
      await seq.close();
    }
  });
}

test('a commit whose write fails outright (EIO, nothing written) rejects and the next commit goes to the same place', async () => {
  const dir = await tempCache();
  const fs = new FaultyFs();
  const seq = new JournalSequence(dir, fs, monitorFor().monitor);
  await seq.start(0, []);
  try {
    const first = putRecord(a.entry, a.raw);
    await seq.commit(first);
    // The first commit extended the file; the next small one is a single write: fail that one only.
    fs.arm(1, 'EIO', false);
    await assert.rejects(seq.commit(putRecord(b.entry, b.raw)), (err: NodeJS.ErrnoException) => err.code === 'EIO');
    assert.equal(fs.failures, 1);
    assert.equal(seq.bytes, first.length);
    await seq.commit(putRecord(c.entry, c.raw));
    assert.deepEqual(
      (await replay(seq.currentPath, 1)).applied.map(([g]) => g),
      [a.entry.ghid, c.entry.ghid],
    );
  } finally {
    await seq.close();
  }
});

for (const errno of ['ENOSPC', 'EIO'] as const) {
  test(`a checkpoint that cannot create the next journal (${errno}) returns null, tells the monitor, and writing goes on in the old one`, async () => {
    const dir = await tempCache();
    const fs = new FaultyFs();
    const { monitor } = monitorFor();
    const seq = new JournalSequence(dir, fs, monitor);
    await seq.start(0, []);
    try {
      const first = putRecord(a.entry, a.raw);
      await seq.commit(first);
      fs.arm(1, errno, true, (op) => op === 'open');
      assert.equal(await seq.rotate(), null);
      assertFailed(monitor, errno === 'EIO' ? 'failed' : 'full', seq.path(2), errno);
      assert.equal(seq.currentPath, seq.path(1));
      assert.equal(seq.bytes, first.length, 'bytes not reset: the old journal is still being written');
      assert.equal(seq.ready, true);
      assert.deepEqual(await seq.list(), [1]);
      // The store removes nothing after a failed rotate; even if asked, the current one is kept.
      await seq.remove([1], false);
      assert.deepEqual(await seq.list(), [1]);
      const second = putRecord(b.entry, b.raw);
      await seq.commit(second);
      assert.equal(seq.bytes, first.length + second.length);
      assert.equal(await seq.ensure(), true, 'a probe finds the old journal still there');
      // Room again: the next checkpoint works and moves on to journal 2.
      fs.heal();
      const rotated = await seq.rotate();
      assert.equal(rotated?.old, 1);
      assert.equal(seq.currentPath, seq.path(2));
      assert.equal(seq.bytes, 0);
      await rotated?.handle.close();
      assert.deepEqual(
        (await replay(seq.path(1), 1)).applied.map(([g]) => g),
        [a.entry.ghid, b.entry.ghid],
      );
    } finally {
      await seq.close();
    }
  });
}

test('close() closes the journal and swallows a close error; the file keeps what was committed', async () => {
  const dir = await tempCache();
  const fs = new HookFs();
  const { monitor } = monitorFor();
  const seq = new JournalSequence(dir, fs, monitor);
  await seq.close(); // none started: nothing to do
  await seq.start(0, []);
  await seq.commit(putRecord(a.entry, a.raw));
  let closes = 0;
  fs.afterClose = (path) => {
    closes++;
    throw errnoError('EIO', 'close', path);
  };
  await seq.close(); // the EIO from close(2) is not thrown
  assert.equal(closes, 1);
  assert.equal(monitor.ok, true);
  assert.equal(await exists(seq.path(1)), true);
  assert.deepEqual((await replay(seq.path(1), 1)).applied, [[a.entry.ghid, a.raw]]);
});

// ---------------------------------------------------------------------------------------------
// `bytes`: "Bytes committed to the current journal"

test('bytes counts only what the current journal holds: a batch still in flight to the old journal at a checkpoint is not counted for the new one', async () => {
  const dir = await tempCache();
  const fs = new HookFs();
  const seq = new JournalSequence(dir, fs, monitorFor().monitor);
  await seq.start(0, []);
  try {
    await seq.commit(putRecord(a.entry, a.raw));
    // Hold the next write to journal 1 until the checkpoint has started journal 2, as happens
    // in FileStore when the commit loop sends the next batch while checkpoint() is rotating.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held!: () => void;
    const writing = new Promise<void>((r) => (held = r));
    fs.beforeWrite = async (path) => {
      if (path === seq.path(1)) {
        held();
        await gate;
      }
    };
    const late = putRecord(b.entry, b.raw);
    const inFlight = seq.commit(late);
    await writing;
    const rotated = await seq.rotate();
    assert.equal(rotated?.old, 1);
    assert.equal(seq.bytes, 0);
    release();
    await inFlight;
    fs.beforeWrite = undefined;
    await rotated?.handle.close();
    // The late batch is in journal 1 (which the checkpoint removes once its files are durable)...
    assert.deepEqual(
      (await replay(seq.path(1), 1)).applied.map(([g]) => g),
      [a.entry.ghid, b.entry.ghid],
    );
    // ...and journal 2 holds nothing yet.
    assert.equal(readRecords(await readFile(seq.path(2))).end, 0);
    assert.equal(seq.bytes, 0, `journal 2 holds 0 bytes, but bytes says ${seq.bytes} (the late batch to journal 1 was counted for journal 2)`);
  } finally {
    await seq.close();
  }
});
