// Edges of the file store's journal (src/core/store/journal-file.ts) that journal-file.test.ts
// does not reach: a real full disk (a small tmpfs) hit part-way through a run of commits, a
// process SIGKILLed mid-stream (every acknowledged record must replay, nothing torn), a seeded
// storm of failed and torn writes (including failed zeroing) with commits and probe reserves
// issued concurrently, and hostile bytes fed to readRecords. Replay is always read back from the
// real file on disk, the way the store reads it after a restart.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalFile, OP_DEL, OP_PUT, RECORD_HEAD, delRecord, newRecord, readRecords, sealRecord } from '../../../src/core/store/journal-file.js';
import { FULL_ERRNOS, errnoOf, nodeFs, type FsOps } from '../../../src/core/util/fs-ops.js';
import { mountSmallDisk } from '../../fixtures/server/small-disk.js';
import { hooked } from '../../fixtures/store/hooked-fs.js';

const root = new URL('../../../', import.meta.url).pathname;
const temps: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'hgx-journal-edges-'));
  temps.push(d);
  return d;
}
after(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

/** A sealed record whose body is `n` (u32) followed by `size - 4` bytes derived from n. */
function numbered(n: number, size = 64): Buffer {
  const r = newRecord(OP_PUT, size);
  r.writeUInt32BE(n, RECORD_HEAD);
  for (let i = 4; i < size; i++) r[RECORD_HEAD + i] = (n * 31 + i) & 0xff;
  return sealRecord(r);
}
const numberOf = (body: Buffer): number => body.readUInt32BE(0);

/** The record numbers replayed from the journal's file as it is on disk now. */
function replayed(path: string): number[] {
  return readRecords(readFileSync(path)).records.map((r) => numberOf(r.body));
}

/** Rejects after `ms` so that no wait here is unbounded. */
function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

/** A small seeded PRNG (mulberry32): the storm below is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('JournalFile on a real full disk (2 MiB tmpfs)', () => {
  test('commits until the disk fills: the refusal is ENOSPC, every acknowledged record replays, the file holds no torn padding, and commits resume once room returns', async (t) => {
    const disk = mountSmallDisk(2 * 1024 * 1024);
    if (typeof disk === 'string') return t.skip(disk);
    try {
      const path = join(disk.dir, 'journal');
      const j = await JournalFile.create(path, nodeFs);
      const acked: number[] = [];
      let n = 0;
      try {
        // A little first, then the rest of the disk is taken by a filler.
        for (; n < 10; n++) {
          await j.commit(numbered(n, 2000));
          acked.push(n);
        }
        disk.fill();
        let refusal: unknown = null;
        for (let tries = 0; tries < 2000 && refusal === null; tries++, n++) {
          try {
            await j.commit(numbered(n, 2000));
            acked.push(n);
          } catch (err) {
            refusal = err;
          }
        }
        assert.ok(refusal, 'a full disk refused a commit');
        assert.ok(FULL_ERRNOS.has(errnoOf(refusal) ?? ''), `refused with a full-disk errno, not ${String(refusal)}`);
        assert.deepEqual(replayed(path), acked, 'exactly the acknowledged records replay, in order');
        assert.equal(statSync(path).size % (64 * 1024), 0, 'a refused extension step was given back whole (no torn padding left)');
        // A second refusal does not damage what is there either.
        await assert.rejects(j.commit(numbered(n++, 2000)), (e: unknown) => FULL_ERRNOS.has(errnoOf(e) ?? ''));
        assert.deepEqual(replayed(path), acked);
        disk.free();
        for (let k = 0; k < 40; k++, n++) {
          await j.commit(numbered(n, 2000));
          acked.push(n);
        }
        assert.deepEqual(replayed(path), acked, 'after room returned: the acknowledged records, nothing from the refused ones');
      } finally {
        await j.close();
      }
    } finally {
      disk.unmount();
    }
  });

  test('a probe reserve refused by a full disk does not disturb a commit that fits in the space already allocated', async (t) => {
    const disk = mountSmallDisk(2 * 1024 * 1024);
    if (typeof disk === 'string') return t.skip(disk);
    try {
      const path = join(disk.dir, 'journal');
      const j = await JournalFile.create(path, nodeFs);
      try {
        await j.commit(numbered(0, 100)); // allocates the first 64 KiB
        disk.fill();
        const probe = j.reserve(8 * 1024 * 1024);
        const commit = j.commit(numbered(1, 100)); // fits in the 64 KiB already there
        await assert.rejects(probe, (e: unknown) => FULL_ERRNOS.has(errnoOf(e) ?? ''));
        await commit;
        assert.deepEqual(replayed(path), [0, 1]);
        assert.equal(statSync(path).size, 64 * 1024, 'the failed probe step was truncated back');
      } finally {
        await j.close();
      }
    } finally {
      disk.unmount();
    }
  });
});

describe('JournalFile in a process killed mid-stream', () => {
  // The child commits numbered records as fast as it can, a few queued at once, with a probe
  // reserving ahead now and then, and prints each number once its commit resolved.
  const child = (path: string, size: number) => `
    import { JournalFile, newRecord, sealRecord, RECORD_HEAD, OP_PUT } from ${JSON.stringify(join(root, 'src/core/store/journal-file.ts'))};
    const j = await JournalFile.create(${JSON.stringify(path)});
    let n = 0;
    const one = async () => {
      const k = n++;
      const r = newRecord(OP_PUT, ${size});
      r.writeUInt32BE(k, RECORD_HEAD);
      for (let i = 4; i < ${size}; i++) r[RECORD_HEAD + i] = (k * 31 + i) & 0xff;
      await j.commit(sealRecord(r));
      process.stdout.write(k + '\\n');
    };
    process.stdout.write('ready\\n');
    for (;;) {
      if (n % 64 === 0) void j.reserve(300000).catch(() => {});
      await Promise.all([one(), one(), one(), one()]);
    }
  `;

  for (const size of [40, 5000]) {
    test(`SIGKILL after a few hundred commits of ${size}-byte bodies: every acknowledged record replays intact and in order, and nothing but whole records`, async () => {
      const dir = await tempDir();
      const path = join(dir, 'journal');
      const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child(path, size)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
      try {
        await bounded(
          new Promise<void>((resolve, reject) => {
            const check = () => {
              if ((out.match(/^\d+$/gm) ?? []).length >= 400) resolve();
            };
            proc.stdout.on('data', check);
            proc.on('exit', () => reject(new Error(`child exited early: ${err}`)));
          }),
          60_000,
          'the child acknowledging 400 commits',
        );
      } finally {
        proc.kill('SIGKILL');
        await bounded(exited, 10_000, 'the killed child exiting');
      }
      const acked = out
        .split('\n')
        .filter((l) => /^\d+$/.test(l))
        .map(Number);
      assert.ok(acked.length >= 400);
      const data = await readFile(path);
      const { records, end } = readRecords(data);
      const got = records.map((r) => numberOf(r.body));
      // Commits are serialised in call order: the replay is 0, 1, 2, ... with no gap.
      got.forEach((k, i) => assert.equal(k, i, `record ${i} is number ${k}`));
      const highestAcked = Math.max(...acked);
      assert.ok(got.length > highestAcked, `acknowledged up to ${highestAcked}, replayed only ${got.length} records`);
      for (const r of records) {
        const k = numberOf(r.body);
        assert.equal(r.op, OP_PUT);
        assert.equal(r.body.length, size);
        for (let i = 4; i < size; i++) if (r.body[i] !== ((k * 31 + i) & 0xff)) assert.fail(`record ${k} byte ${i} damaged`);
      }
      // Past the last whole record: nothing a later writer's replay could mistake for a record.
      assert.equal(readRecords(data.subarray(end)).records.length, 0);
    });
  }
});

/**
 * A file system whose journal writes fail at random (seeded): EIO before anything lands, or a
 * torn write (a prefix of the bytes lands, then EIO), the zeroing of a failed commit included.
 */
function stormyFs(rnd: () => number, rate: () => number): FsOps {
  return hooked(async (data, offset, length, position, real) => {
    if (rnd() < rate()) {
      if (rnd() < 0.5 && length > 1 && position !== null) {
        const part = 1 + Math.floor(rnd() * (length - 1));
        await real.write(data, offset, part, position);
      }
      throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
    }
    return real.write(data, offset, length, position);
  });
}

describe('JournalFile under a storm of failed and torn writes', () => {
  for (const seed of [1, 7, 42]) {
    test(`seed ${seed}: commits and probe reserves issued concurrently, ~30% of writes failing or torn — once a commit succeeds, the file replays exactly the acknowledged records`, async () => {
      const dir = await tempDir();
      const path = join(dir, 'journal');
      const rnd = prng(seed);
      let failing = 0.3;
      const j = await JournalFile.create(path, stormyFs(rnd, () => failing));
      const acked: number[] = [];
      let n = 0;
      try {
        for (let round = 0; round < 60; round++) {
          const batch: Promise<void>[] = [];
          const width = 1 + Math.floor(rnd() * 4);
          for (let i = 0; i < width; i++) {
            const k = n++;
            const size = 8 + Math.floor(rnd() * 3000);
            batch.push(j.commit(numbered(k, size)).then(() => void acked.push(k), () => undefined));
            if (rnd() < 0.2) batch.push(j.reserve(Math.floor(rnd() * 200_000)).catch(() => undefined));
          }
          await bounded(Promise.all(batch), 20_000, `round ${round}`);
          // Order of acknowledgement follows the order of the calls.
          assert.deepEqual([...acked].sort((a, b) => a - b), acked);
        }
        // A commit that certainly succeeds: it clears whatever a failed zeroing left.
        failing = 0;
        const last = n++;
        await j.commit(numbered(last, 16));
        acked.push(last);
        assert.deepEqual(replayed(path), acked, 'the acknowledged records, in order: none lost, none from a failed commit');
      } finally {
        await j.close();
      }
    });
  }

  test('a torn failed commit whose zeroing also fails, then an empty commit: the replay still holds no record of the failed batch after the next real commit', async () => {
    const dir = await tempDir();
    const path = join(dir, 'journal');
    let mode: 'ok' | 'torn-then-fail' = 'ok';
    let calls = 0;
    const fs: FsOps = {
      ...nodeFs,
      async open(p, flags, m) {
        const real = await nodeFs.open(p, flags, m);
        return {
          write: async (data, offset, length, position) => {
            if (mode === 'torn-then-fail') {
              calls++;
              // The batch's write lands whole but reports failure; its zeroing fails outright.
              if (calls === 1) await real.write(data, offset, length, position);
              throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
            }
            return real.write(data, offset, length, position);
          },
          writeFile: (d) => real.writeFile(d),
          chmod: (x) => real.chmod(x),
          truncate: (l) => real.truncate(l),
          sync: () => real.sync(),
          datasync: () => real.datasync(),
          close: () => real.close(),
        };
      },
    };
    const j = await JournalFile.create(path, fs);
    try {
      await j.commit(numbered(0));
      mode = 'torn-then-fail';
      await assert.rejects(j.commit(Buffer.concat([numbered(100), numbered(101), numbered(102)])), { code: 'EIO' });
      mode = 'ok';
      assert.deepEqual(replayed(path), [0, 100, 101, 102], 'the failed batch is still on disk (its zeroing failed)');
      await j.commit(Buffer.alloc(0)); // an empty commit: nothing to acknowledge
      await j.commit(numbered(1, 8));
      assert.deepEqual(replayed(path), [0, 1], 'the failed batch is gone once a later commit succeeded');
      await j.commit(numbered(2, 8));
      assert.deepEqual(replayed(path), [0, 1, 2]);
    } finally {
      await j.close();
    }
  });
});

describe('readRecords on hostile bytes', () => {
  test('random garbage never throws, never reads past the buffer, and whatever it returns re-encodes to the bytes it consumed', () => {
    const rnd = prng(99);
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(rnd() * 200);
      const data = Buffer.alloc(len);
      for (let k = 0; k < len; k++) data[k] = Math.floor(rnd() * 256);
      // Sometimes a plausible head: a small length and a matching checksum.
      if (len > RECORD_HEAD && rnd() < 0.5) {
        const body = len - RECORD_HEAD;
        data.writeUInt32BE(body + 5, 0);
        data.writeUInt8(rnd() < 0.5 ? OP_PUT : OP_DEL, 4);
        const sealed = sealRecord(Buffer.from(data));
        sealed.copy(data);
      }
      const { records, end } = readRecords(data);
      assert.ok(end >= 0 && end <= data.length);
      let consumed = 0;
      for (const r of records) {
        assert.ok(r.op === OP_PUT || r.op === OP_DEL, `op ${r.op} returned as a record`);
        consumed += RECORD_HEAD + r.body.length;
      }
      assert.equal(consumed, end);
    }
  });

  test('a DEL with an empty name and a PUT with an empty body are well-formed records of length 5', () => {
    const empty = sealRecord(delRecord(''));
    assert.equal(empty.length, RECORD_HEAD);
    assert.equal(empty.readUInt32BE(0), 5);
    const put = sealRecord(newRecord(OP_PUT, 0));
    const { records, end } = readRecords(Buffer.concat([empty, put, Buffer.alloc(32)]));
    assert.equal(records.length, 2);
    assert.equal(end, 2 * RECORD_HEAD);
    assert.equal(records[0]!.op, OP_DEL);
    assert.equal(records[1]!.op, OP_PUT);
  });

  test('a record whose length field claims more than the rest of the buffer (a torn file end) is not taken, even if the bytes present checksum', () => {
    const r = numbered(5, 100);
    const torn = r.subarray(0, r.length - 1);
    assert.equal(readRecords(torn).records.length, 0);
    // The same bytes with the length lowered to what is present: the checksum no longer matches.
    const lowered = Buffer.from(torn);
    lowered.writeUInt32BE(torn.length - 4, 0);
    assert.equal(readRecords(lowered).records.length, 0);
  });

  test('a journal of a whole real file with records, padding, then old records past the padding: replay stops at the padding', async () => {
    const dir = await tempDir();
    const path = join(dir, 'journal');
    // Records after a zero gap are a previous life's leftovers: they must never be replayed.
    writeFileSync(path, Buffer.concat([numbered(0), numbered(1), Buffer.alloc(RECORD_HEAD), numbered(2)]));
    assert.deepEqual(replayed(path), [0, 1]);
  });
});

describe('JournalFile odds and ends', () => {
  test('a commit of a view into a larger buffer writes the view only', async () => {
    const dir = await tempDir();
    const path = join(dir, 'journal');
    const j = await JournalFile.create(path);
    try {
      const big = Buffer.concat([Buffer.alloc(100, 0xaa), numbered(9), Buffer.alloc(100, 0xbb)]);
      await j.commit(big.subarray(100, big.length - 100));
      await j.commit(numbered(10));
      assert.deepEqual(replayed(path), [9, 10]);
    } finally {
      await j.close();
    }
  });

  test('create() on a directory fails with EISDIR, a typed errno', async () => {
    const dir = await tempDir();
    await assert.rejects(JournalFile.create(dir), (e: unknown) => errnoOf(e) === 'EISDIR');
  });

  test('close() twice resolves; a commit after close rejects with an errno code and writes nothing', async () => {
    const dir = await tempDir();
    const path = join(dir, 'journal');
    const j = await JournalFile.create(path);
    await j.commit(numbered(0));
    await j.close();
    await j.close();
    await assert.rejects(j.commit(numbered(1)), (e: unknown) => typeof errnoOf(e) === 'string');
    assert.deepEqual(replayed(path), [0]);
  });

  test('reserve(0) and a negative reserve allocate nothing; a reserve past 4 MiB is made in steps and the commits after it still land in order', async () => {
    const dir = await tempDir();
    const path = join(dir, 'journal');
    const j = await JournalFile.create(path);
    try {
      await j.reserve(0);
      await j.reserve(-100);
      assert.equal(statSync(path).size, 0);
      await j.reserve(9 * 1024 * 1024);
      const size = statSync(path).size;
      assert.ok(size >= 9 * 1024 * 1024, `allocated ${size}`);
      for (let k = 0; k < 5; k++) await j.commit(numbered(k, 1000));
      assert.deepEqual(replayed(path), [0, 1, 2, 3, 4]);
      assert.equal(statSync(path).size, size, 'commits inside reserved space do not grow the file');
    } finally {
      await j.close();
    }
  });
});

describe('JournalFile durability of its name', () => {
  // Fixed: a new journal is created
  // (O_CREAT) and its commits are acknowledged once their O_DSYNC write returns, but nothing
  // fsyncs the directory that holds its name, here or in journal-sequence.ts (start/rotate) before
  // commits to it are acknowledged. POSIX makes the name durable only with a directory fsync: after
  // a power cut the whole journal, and every write acknowledged into it since the store opened or
  // rotated, can be gone (ext4/XFS usually carry the name along with the file's first sync; other
  // file systems need not). The project's own atomic writes and index snapshot do fsyncDir.
  test('by the time the first commit to a new journal is acknowledged, the directory holding its name has been fsynced', async () => {
    const dir = await tempDir();
    const path = join(dir, 'journal');
    const dirSyncs: string[] = [];
    const fs: FsOps = {
      ...nodeFs,
      async open(p, flags, mode) {
        const real = await nodeFs.open(p, flags, mode);
        return {
          write: (d, o, l, pos) => real.write(d, o, l, pos),
          writeFile: (d) => real.writeFile(d),
          chmod: (m) => real.chmod(m),
          truncate: (l) => real.truncate(l),
          sync: async () => {
            if (p === dir) dirSyncs.push(p);
            return real.sync();
          },
          datasync: async () => {
            if (p === dir) dirSyncs.push(p);
            return real.datasync();
          },
          close: () => real.close(),
        };
      },
    };
    const j = await JournalFile.create(path, fs);
    try {
      await j.commit(numbered(0));
      assert.ok(dirSyncs.length > 0, 'an acknowledged commit lives in a journal whose name was never made durable');
    } finally {
      await j.close();
    }
  });
});
