// The store's entry form and the two pieces of the file store that hold data before it is in its
// file: src/core/store/entry.ts (the binary entry of the index snapshot and the journal's PUT
// records), src/core/store/journal-file.ts (one journal: space reserved ahead with zeros, each
// batch committed with one synchronous write, failed bytes zeroed) and
// src/core/store/unwritten-files.ts (bytes held until their file is written; the back-pressure
// of acknowledgements). Real objects from the reference vectors (v16 and the 2016 v15 caches),
// real files in temp dirs, faults through FaultyFs or a small write hook, and a real small tmpfs
// for a full disk (root only; skipped with the reason elsewhere).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { statfsSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ghid, MalformedGolixPrimitive, makeFrame, packGobd, parseObject, signObject, type Gobd, type GolixObject } from '../../../src/core/golix/index.js';
import { decodeEntry, entryLength, entryOf, writeEntry, type Entry } from '../../../src/core/store/entry.js';
import {
  JournalFile,
  OP_DEL,
  OP_PUT,
  delRecord as unsealedDel,
  isZero,
  putRecord as unsealedPut,
  readRecords,
  sealRecord,
} from '../../../src/core/store/journal-file.js';
import { UnwrittenFiles } from '../../../src/core/store/unwritten-files.js';
import { nodeFs, type FsHandle, type FsOps } from '../../../src/core/util/fs-ops.js';
import { mountSmallDisk, type SmallDisk } from '../../fixtures/server/small-disk.js';
import { FaultyFs, errnoError } from '../../fixtures/store/faulty-fs.js';
import { V2016_DIRS, read2016, v16Identity, v16Objects } from '../../fixtures/vectors.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const TYPE_CODES = ['GIDC', 'GEOC', 'GOBS', 'GOBD', 'GDXX', 'GARQ'] as const;

const v16 = v16Objects().map((o) => o.obj);
const legacy = V2016_DIRS.flatMap((d) => read2016(d)).map((f) => parseObject(f.raw));
const allObjects: GolixObject[] = [...v16, ...legacy];
const objects = v16Objects().map((o) => ({ entry: entryOf(o.obj), raw: o.raw }));
const small = objects.filter((o) => o.raw.length < 4096);
const [a, b, c] = [small[0]!, small[1]!, small[2]!];

const randomGhid = () => Ghid.fromBytes(Buffer.concat([Buffer.from([1]), randomBytes(64)]));

/** A deterministic PRNG (mulberry32), so a failing sequence can be run again. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An entry's binary form, written at an offset into a larger buffer filled with a sentinel: the
 * writer must return the offset after exactly entryLength() bytes and touch nothing else.
 */
function encode(e: Entry): Buffer {
  const length = entryLength(e);
  const out = Buffer.alloc(length + 23, 0xa5);
  const end = writeEntry(e, out, 11);
  assert.equal(end, 11 + length, 'writeEntry returns the offset after entryLength() bytes');
  assert.ok(out.subarray(0, 11).every((x) => x === 0xa5), 'nothing written before the offset');
  assert.ok(out.subarray(end).every((x) => x === 0xa5), 'nothing written after the entry');
  return Buffer.from(out.subarray(11, end));
}

/** Decodes from a view inside a larger buffer, as the journal and the index do. */
function decodeView(bytes: Buffer): Entry {
  const host = Buffer.concat([Buffer.alloc(5, 0xee), bytes, Buffer.alloc(3, 0xee)]);
  return decodeEntry(host.subarray(5, 5 + bytes.length));
}

const isMalformed = (err: unknown) => err instanceof MalformedGolixPrimitive;

/** The keys each type's entry carries (entryOf's shape): no more, no fewer, none undefined. */
const KEYS: Record<Entry['type'], string[]> = {
  GIDC: ['ghid', 'type', 'version', 'size'],
  GEOC: ['ghid', 'type', 'version', 'size', 'signer'],
  GOBS: ['ghid', 'type', 'version', 'size', 'signer', 'target'],
  GDXX: ['ghid', 'type', 'version', 'size', 'signer', 'target'],
  GARQ: ['ghid', 'type', 'version', 'size', 'recipient'],
  GOBD: ['ghid', 'type', 'version', 'size', 'signer', 'target', 'targets', 'dynamic', 'counter', 'history'],
};

function assertRoundTrip(e: Entry, what: string): Buffer {
  const bytes = encode(e);
  const back = decodeView(bytes);
  assert.deepEqual(back, e, `${what}: decodes to exactly the entry written`);
  assert.deepEqual(Object.keys(back).sort(), [...KEYS[e.type]].sort(), `${what}: no field added or lost`);
  assert.deepEqual(encode(back), bytes, `${what}: re-encodes to the same bytes`);
  return bytes;
}

/** A real v16 frame (signed by the manifest's first identity) with these targets and counter. */
async function realFrame(counter: bigint, targets: Ghid[]): Promise<Gobd> {
  const id = v16Identity(0);
  const { unsigned } = targets.length === 1 ? packGobd(id.ghid, counter, targets) : packGobd(id.ghid, counter, targets, randomGhid());
  return parseObject((await signObject<Gobd>(unsigned, id)).raw) as Gobd;
}

// ---------------------------------------------------------------------------------------------
// entry.ts: the binary entry

describe('entry encoding', () => {
  test('every object of every type (v16 reference objects, 2016 caches with v15 frames) round-trips exactly, in the documented layout', () => {
    const kinds = new Set<string>();
    for (const obj of allObjects) {
      const e = entryOf(obj);
      kinds.add(`${e.type}${e.type === 'GOBD' ? ` v${e.version}` : ''}`);
      const bytes = assertRoundTrip(e, `${e.type} v${e.version} ${e.ghid.slice(0, 12)}`);
      // `type u8 | version u8 | size u32 | ghid text(88) | fields by type`
      assert.equal(bytes[0], TYPE_CODES.indexOf(e.type));
      assert.equal(bytes[1], e.version);
      assert.equal(bytes.readUInt32BE(2), obj.raw.length);
      assert.equal(bytes.subarray(6, 94).toString('latin1'), obj.ghid.text);
      if (e.type === 'GOBD') {
        assert.equal(bytes.subarray(94, 182).toString('latin1'), e.signer);
        assert.equal(bytes.subarray(182, 270).toString('latin1'), e.dynamic);
        assert.equal(bytes.readBigUInt64BE(270), e.counter ?? 0n, 'v15 frames have no counter: 0 on disk');
        assert.equal(bytes[278], e.targets!.length);
        assert.equal(bytes[279], e.history!.length);
      }
    }
    assert.deepEqual([...kinds].sort(), ['GARQ', 'GDXX', 'GEOC', 'GIDC', 'GOBD v15', 'GOBD v16', 'GOBS']);
    const v15 = legacy.filter((o): o is Gobd => o.type === 'GOBD');
    assert.ok(v15.some((f) => f.history.length === 0) && v15.some((f) => f.history.length > 1), 'v15 first frames (no history) and later ones are both covered');
    for (const f of v15) assert.equal(decodeEntry(encode(entryOf(f))).counter, null, 'a v15 frame decodes with a null counter');
  });

  test('a decoded entry owns its strings: changing the bytes afterwards changes nothing', () => {
    for (const obj of [v16.find((o) => o.type === 'GOBD')!, legacy.find((o) => o.type === 'GOBD')!, v16.find((o) => o.type === 'GARQ')!]) {
      const e = entryOf(obj);
      const bytes = encode(e);
      const back = decodeEntry(bytes);
      bytes.fill(0x41);
      assert.deepEqual(back, e);
    }
  });

  test('real frames with counters 0, 2^53 − 1, 2^53 and 2^64 − 1 keep their exact counter', async () => {
    for (const counter of [0n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 2n, 2n ** 64n - 1n]) {
      const frame = await realFrame(counter, counter === 0n ? [randomGhid()] : [randomGhid(), randomGhid()]);
      assert.equal(frame.counter, counter);
      const e = entryOf(frame);
      const bytes = assertRoundTrip(e, `counter ${counter}`);
      assert.equal(bytes.readBigUInt64BE(270), counter);
      assert.equal(decodeEntry(bytes).counter, counter);
      assert.equal(typeof decodeEntry(bytes).counter, 'bigint');
    }
  });

  test('edge values round-trip: sizes 0 and 2^32 − 1, versions 0 and 255, one target, empty history', () => {
    const ghid = randomGhid().text;
    const party = randomGhid().text;
    const entries: Entry[] = [
      { ghid, type: 'GIDC', version: 0, size: 0 },
      { ghid, type: 'GIDC', version: 255, size: 2 ** 32 - 1 },
      { ghid, type: 'GEOC', version: 14, size: 2 ** 32 - 1, signer: party },
      { ghid, type: 'GOBS', version: 6, size: 0, signer: party, target: randomGhid().text },
      { ghid, type: 'GDXX', version: 9, size: 1, signer: party, target: randomGhid().text },
      { ghid, type: 'GARQ', version: 12, size: 2 ** 31, recipient: party },
    ];
    const t = randomGhid().text;
    entries.push({ ghid, type: 'GOBD', version: 16, size: 0, signer: party, target: t, targets: [t], dynamic: randomGhid().text, counter: 0n, history: [] });
    entries.push({ ghid, type: 'GOBD', version: 15, size: 2 ** 32 - 1, signer: party, target: t, targets: [t], dynamic: randomGhid().text, counter: null, history: [] });
    for (const e of entries) assertRoundTrip(e, `${e.type} v${e.version} size ${e.size}`);
  });

  test('a frame with 255 targets, and a v15 frame with 255 history GHIDs, round-trip', async () => {
    const frame = await realFrame(300n, Array.from({ length: 255 }, randomGhid));
    assertRoundTrip(entryOf(frame), '255 targets');
    const v15 = entryOf(legacy.find((o) => o.type === 'GOBD' && o.history.length > 0)!);
    assertRoundTrip({ ...v15, history: Array.from({ length: 255 }, () => randomGhid().text) }, '255 history');
  });

  test('a frame with 256 targets (makeFrame with legroom 255, from its 256th frame on) round-trips, into a journal record too', async () => {
    // Golix allows up to 1008 targets (a u16 byte length of 65-byte GHIDs); our own builder
    // writes 256 once an object with legroom 255 has had 255 updates.
    const previous = { dynamic: randomGhid(), counter: 254n, targets: Array.from({ length: 255 }, randomGhid) };
    const frame = parseObject((await makeFrame(v16Identity(0), randomGhid(), previous, 255)).raw) as Gobd;
    assert.equal(frame.targets.length, 256);
    const e = entryOf(frame);
    let bytes: Buffer | undefined;
    assert.doesNotThrow(() => (bytes = encode(e)), 'a valid frame must have an entry form (the journal, the index and PostgreSQL all store it)');
    assert.deepEqual(decodeEntry(bytes!), e);
    const record = sealRecord(unsealedPut(e, frame.raw));
    const [only] = readRecords(record).records;
    const elen = only!.body.readUInt32BE(0);
    assert.deepEqual(decodeEntry(only!.body.subarray(4, 4 + elen)), e);
    assert.deepEqual(only!.body.subarray(4 + elen), frame.raw);
  });

  test('a v15 frame with 256 history GHIDs (a v15 history may hold up to 1008) round-trips', () => {
    const v15 = entryOf(legacy.find((o) => o.type === 'GOBD' && o.history.length > 0)!);
    const e: Entry = { ...v15, history: Array.from({ length: 256 }, () => randomGhid().text) };
    let bytes: Buffer | undefined;
    assert.doesNotThrow(() => (bytes = encode(e)));
    assert.deepEqual(decodeEntry(bytes!), e);
  });

  test('every truncation and every extension of every entry is refused with MalformedGolixPrimitive', () => {
    assert.throws(() => decodeEntry(Buffer.alloc(0)), isMalformed);
    const seen = new Set<string>();
    for (const obj of allObjects) {
      const e = entryOf(obj);
      const shape = `${e.type}/${e.version}/${e.targets?.length ?? 0}/${e.history?.length ?? 0}`;
      if (seen.has(shape)) continue;
      seen.add(shape);
      const bytes = encode(e);
      for (let cut = 0; cut < bytes.length; cut++) {
        assert.throws(() => decodeEntry(bytes.subarray(0, cut)), isMalformed, `${shape} cut to ${cut} of ${bytes.length} bytes`);
      }
      for (const extra of [Buffer.of(0), Buffer.of(0xff), Buffer.alloc(88, 0x41)]) {
        assert.throws(() => decodeEntry(Buffer.concat([bytes, extra])), isMalformed, `${shape} with ${extra.length} trailing bytes`);
      }
    }
    assert.ok(seen.size >= 8);
  });

  test('an unknown type code (7..255; 6 is a GOBD with wide counts) is refused with MalformedGolixPrimitive, whatever follows', () => {
    const bytes = encode(entryOf(v16.find((o) => o.type === 'GOBS')!));
    for (let code = 7; code <= 255; code++) {
      const bad = Buffer.from(bytes);
      bad[0] = code;
      assert.throws(() => decodeEntry(bad), (err: unknown) => isMalformed(err) && /unknown type/.test((err as Error).message), `type ${code}`);
    }
  });

  test('GOBD target and history counts that run past the end, or stop short of it, are refused', () => {
    const bytes = encode(entryOf(legacy.find((o) => o.type === 'GOBD' && o.history.length >= 2)!));
    const nt = bytes[278]!;
    const nh = bytes[279]!;
    for (const [t, h] of [
      [255, nh],
      [nt, 255],
      [nt + 1, nh],
      [nt, nh + 1],
      [nt, nh - 1],
      [nt + 1, nh - 2],
    ] as const) {
      const bad = Buffer.from(bytes);
      bad[278] = t;
      bad[279] = h;
      assert.throws(() => decodeEntry(bad), isMalformed, `counts ${t}/${h} for ${nt}/${nh}`);
    }
  });

  test('a GOBD entry with no target is refused (no frame has an empty vector), not decoded with an undefined target', () => {
    const bytes = encode(entryOf(v16.find((o) => o.type === 'GOBD' && o.targets.length === 1)!));
    // Drop the one target: counts 0/0 and nothing after them.
    const bad = Buffer.from(bytes.subarray(0, 280));
    bad[278] = 0;
    bad[279] = 0;
    let outcome: unknown;
    try {
      outcome = decodeEntry(bad);
    } catch (err) {
      outcome = err;
    }
    assert.ok(isMalformed(outcome), `decoded instead: ${JSON.stringify(outcome, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v === undefined ? 'undefined' : v))}`);
  });

  test('fuzz: 20,000 mutated entries either decode or throw MalformedGolixPrimitive, never another error', () => {
    const rnd = prng(0x5eed);
    const samples = allObjects.filter((_, i) => i % 3 === 0).map((o) => encode(entryOf(o)));
    let decoded = 0;
    for (let i = 0; i < 20_000; i++) {
      const bad = Buffer.from(samples[Math.floor(rnd() * samples.length)]!);
      const edits = 1 + Math.floor(rnd() * 3);
      for (let k = 0; k < edits; k++) {
        // Bias towards the head, where the type, counts and lengths are.
        const at = rnd() < 0.6 ? Math.floor(rnd() * Math.min(bad.length, 300)) : Math.floor(rnd() * bad.length);
        bad[at] = Math.floor(rnd() * 256);
      }
      const cut = rnd() < 0.2 ? Math.floor(rnd() * bad.length) : bad.length;
      try {
        decodeEntry(bad.subarray(0, cut));
        decoded++;
      } catch (err) {
        if (!isMalformed(err)) assert.fail(`mutation ${i} threw ${(err as Error).name}: ${(err as Error).message}`);
      }
    }
    assert.ok(decoded > 0, 'some mutations (inside GHID text) still decode');
  });
});

// ---------------------------------------------------------------------------------------------
// journal-file.ts: one journal

const temps: string[] = [];
after(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));
async function tempJournal(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-entry-journal-'));
  temps.push(dir);
  return join(dir, 'ghidcache.journal.1');
}

const putRecord = (entry: Entry, raw: Buffer): Buffer => sealRecord(unsealedPut(entry, raw));
const delRecord = (ghid: string): Buffer => sealRecord(unsealedDel(ghid));

/** The file size after reserving up to `end`, as documented: 64 KiB, doubling up to 4 MiB at a time. */
function allocationFor(end: number): number {
  let size = 0;
  while (size < end) size += Math.min(4 * MiB, Math.max(64 * KiB, size));
  return size;
}

/** What replay would take from a journal: each record as [op, ghid, object bytes or null]. */
async function replayable(path: string): Promise<{ ops: [number, string, Buffer | null][]; end: number; tailZero: boolean; size: number }> {
  const data = await readFile(path);
  const { records, end } = readRecords(data);
  const ops = records.map(({ op, body }): [number, string, Buffer | null] => {
    if (op === OP_DEL) return [op, body.toString('latin1'), null];
    const elen = body.readUInt32BE(0);
    return [op, decodeEntry(body.subarray(4, 4 + elen)).ghid, Buffer.from(body.subarray(4 + elen))];
  });
  return { ops, end, tailZero: isZero(data.subarray(end)), size: data.length };
}

type RealWrite = (length?: number) => Promise<{ bytesWritten: number }>;
/** Wraps the real FsOps; `onWrite` may let a write through (real()), cut it short, fail it before or after it lands. */
class HookFs implements FsOps {
  onWrite?: (path: string, position: number | null, data: Buffer, real: RealWrite) => Promise<{ bytesWritten: number }>;
  constructor(private readonly real: FsOps = nodeFs) {}
  async open(path: string, flags: number | string, mode?: number): Promise<FsHandle> {
    const fh = await this.real.open(path, flags, mode);
    const hooks = this;
    return {
      write(data, offset, length, position) {
        const real: RealWrite = (n = length) => fh.write(data, offset, n, position);
        return hooks.onWrite ? hooks.onWrite(path, position, data.subarray(offset, offset + length), real) : real();
      },
      writeFile: (d) => fh.writeFile(d),
      chmod: (m) => fh.chmod(m),
      truncate: (l) => fh.truncate(l),
      sync: () => fh.sync(),
      datasync: () => fh.datasync(),
      close: () => fh.close(),
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
  rm(path: string, options: { force?: boolean; recursive?: boolean }) {
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

const hasCode = (code: string) => (err: unknown) => (err as NodeJS.ErrnoException).code === code;

describe('journal file', () => {
  test('the documented allocation steps: 64 KiB, doubling up to 4 MiB at a time', () => {
    assert.deepEqual(
      [1, 64 * KiB, 64 * KiB + 1, 128 * KiB + 1, 4 * MiB, 4 * MiB + 1, 8 * MiB + 1].map(allocationFor),
      [64 * KiB, 64 * KiB, 128 * KiB, 256 * KiB, 4 * MiB, 8 * MiB, 12 * MiB],
    );
  });

  test('batches land back to back, every PUT and DEL of every object type readable; the file grows in whole steps, zeros after the last record', async () => {
    const path = await tempJournal();
    const j = await JournalFile.create(path, nodeFs);
    try {
      if (process.platform !== 'win32') assert.equal((await stat(path)).mode & 0o777, 0o600);
      await j.commit(Buffer.alloc(0));
      assert.equal((await replayable(path)).size, 0, 'an empty commit reserves and writes nothing');
      const expected: [number, string, Buffer | null][] = [];
      let committed = 0;
      const records = objects.flatMap((o, i) => (i % 4 === 3 ? [putRecord(o.entry, o.raw), delRecord(o.entry.ghid)] : [putRecord(o.entry, o.raw)]));
      const ops = objects.flatMap((o, i): [number, string, Buffer | null][] => {
        const put: [number, string, Buffer | null] = [OP_PUT, o.entry.ghid, o.raw];
        return i % 4 === 3 ? [put, [OP_DEL, o.entry.ghid, null]] : [put];
      });
      for (let i = 0; i < records.length; i += 5) {
        const batch = Buffer.concat(records.slice(i, i + 5));
        await j.commit(batch);
        committed += batch.length;
        expected.push(...ops.slice(i, i + 5));
        const r = await replayable(path);
        assert.equal(r.end, committed, 'records end exactly where the committed bytes do');
        assert.deepEqual(r.ops, expected);
        assert.ok(r.tailZero, 'zeros after the last record');
        assert.equal(r.size, allocationFor(committed));
      }
      // One commit larger than several steps at once, past the 4 MiB cap.
      const big = putRecord(a.entry, Buffer.alloc(9 * MiB, 0x5a));
      await j.commit(big);
      committed += big.length;
      const r = await replayable(path);
      assert.equal(r.end, committed);
      assert.equal(r.ops.length, expected.length + 1);
      assert.equal(r.ops.at(-1)![2]!.length, 9 * MiB);
      assert.equal(r.size, allocationFor(committed));
      assert.ok(r.size - committed < 4 * MiB + 1);
    } finally {
      await j.close();
    }
  });

  test('reserve() allocates without committing; a reserve while a commit is in flight (a probe) neither moves nor tears it', async () => {
    const path = await tempJournal();
    const j = await JournalFile.create(path, nodeFs);
    try {
      const first = putRecord(a.entry, a.raw);
      await j.commit(first);
      const second = putRecord(b.entry, b.raw);
      await Promise.all([j.commit(second), j.reserve(300 * KiB), j.reserve(10)]);
      let r = await replayable(path);
      assert.deepEqual(r.ops.map(([op, g]) => [op, g]), [[OP_PUT, a.entry.ghid], [OP_PUT, b.entry.ghid]]);
      assert.equal(r.end, first.length + second.length);
      assert.ok(r.size >= allocationFor(first.length + 300 * KiB), `reserved: ${r.size}`);
      assert.ok(r.tailZero);
      await j.reserve(3 * MiB);
      r = await replayable(path);
      assert.equal(r.end, first.length + second.length, 'a reserve commits nothing');
      assert.ok(r.size >= allocationFor(r.end + 3 * MiB) && r.tailZero);
      const third = delRecord(a.entry.ghid);
      await j.commit(third);
      r = await replayable(path);
      assert.equal(r.end, first.length + second.length + third.length, 'the next commit lands right after the last, not after the reserved space');
      assert.deepEqual(r.ops.at(-1), [OP_DEL, a.entry.ghid, null]);
    } finally {
      await j.close();
    }
  });

  test('two commits started together both resolve only once both are in the file, one after the other ("after the previous commit")', async () => {
    // FileStore's commit loop never overlaps commits today; nothing in JournalFile (or
    // JournalSequence.commit) stops a caller that does, and both calls then report durable.
    const path = await tempJournal();
    const j = await JournalFile.create(path, nodeFs);
    try {
      const one = putRecord(a.entry, a.raw);
      const two = putRecord(b.entry, b.raw);
      await Promise.all([j.commit(one), j.commit(two)]);
      const three = delRecord(a.entry.ghid);
      await j.commit(three);
      const r = await replayable(path);
      assert.deepEqual(
        r.ops.map(([op, g]) => [op, g.slice(0, 8)]),
        [
          [OP_PUT, a.entry.ghid.slice(0, 8)],
          [OP_PUT, b.entry.ghid.slice(0, 8)],
          [OP_DEL, a.entry.ghid.slice(0, 8)],
        ],
        'each resolved commit must be replayable',
      );
      assert.equal(r.end, one.length + two.length + three.length);
    } finally {
      await j.close();
    }
  });

  test('a failed extension (ENOSPC on its fifth zero write, midway through a step) rejects the commit before any of its bytes are written; later commits land after the last acknowledged one', async () => {
    const path = await tempJournal();
    const fs = new FaultyFs();
    const j = await JournalFile.create(path, fs);
    try {
      const first = putRecord(a.entry, a.raw);
      await j.commit(first); // 64 KiB allocated
      // Needs 1 MiB: steps 64 KiB → 128 KiB → 256 KiB → 512 KiB → 1 MiB, the last in two 256 KiB writes.
      const big = putRecord(b.entry, Buffer.alloc(700 * KiB, 0x77));
      fs.arm(5, 'ENOSPC', true, (op) => op === 'write');
      await assert.rejects(j.commit(big), hasCode('ENOSPC'));
      assert.ok(fs.failures >= 1);
      let r = await replayable(path);
      assert.deepEqual(r.ops.map(([op, g]) => [op, g]), [[OP_PUT, a.entry.ghid]]);
      assert.equal(r.end, first.length);
      assert.ok(r.tailZero, 'nothing of the refused batch is in the file');
      assert.equal((await readFile(path)).indexOf(Buffer.alloc(64, 0x77)), -1);
      fs.heal();
      const second = delRecord(c.entry.ghid);
      await j.commit(second);
      const third = putRecord(c.entry, c.raw);
      await j.commit(third);
      await j.commit(big);
      r = await replayable(path);
      assert.deepEqual(r.ops.map(([op, g]) => [op, g]), [
        [OP_PUT, a.entry.ghid],
        [OP_DEL, c.entry.ghid],
        [OP_PUT, c.entry.ghid],
        [OP_PUT, b.entry.ghid],
      ]);
      assert.equal(r.end, first.length + second.length + third.length + big.length);
      assert.ok(r.tailZero);
    } finally {
      await j.close();
    }
  });

  test('a write cut short (half lands) and then failing with ENOSPC rejects; the landed half is zeroed and the next commit takes its place', async () => {
    const path = await tempJournal();
    const fs = new HookFs();
    const j = await JournalFile.create(path, fs);
    try {
      const first = putRecord(a.entry, a.raw);
      await j.commit(first);
      const failed = Buffer.concat([putRecord(b.entry, b.raw), delRecord(a.entry.ghid)]);
      let state: 'short' | 'fail' | 'done' = 'short';
      fs.onWrite = async (_path, position, data, real) => {
        if (state === 'short' && position === first.length && !isZero(data)) {
          state = 'fail';
          return real(data.length >> 1);
        }
        if (state === 'fail' && !isZero(data)) {
          state = 'done';
          throw errnoError('ENOSPC', 'write', path);
        }
        return real();
      };
      await assert.rejects(j.commit(failed), hasCode('ENOSPC'));
      assert.equal(state, 'done');
      let r = await replayable(path);
      assert.deepEqual(r.ops.map(([op, g]) => [op, g]), [[OP_PUT, a.entry.ghid]], 'a crash now replays only what was acknowledged');
      assert.ok(r.tailZero, 'the half that landed is zeroed');
      fs.onWrite = undefined;
      const next = putRecord(c.entry, c.raw);
      await j.commit(next);
      r = await replayable(path);
      assert.deepEqual(r.ops.map(([op, g]) => [op, g]), [[OP_PUT, a.entry.ghid], [OP_PUT, c.entry.ghid]]);
      assert.equal(r.end, first.length + next.length);
    } finally {
      await j.close();
    }
  });

  test('a write that reports no progress (0 bytes) is a failure with an errno, never a commit', async () => {
    const path = await tempJournal();
    const fs = new HookFs();
    const j = await JournalFile.create(path, fs);
    try {
      const first = putRecord(a.entry, a.raw);
      await j.commit(first);
      let stalls = 0;
      fs.onWrite = async (_path, _position, data, real) => {
        if (!isZero(data)) {
          stalls++;
          return { bytesWritten: 0 };
        }
        return real();
      };
      await assert.rejects(j.commit(putRecord(b.entry, b.raw)), hasCode('EIO'));
      assert.equal(stalls, 1, 'not retried forever');
      fs.onWrite = undefined;
      await j.commit(putRecord(c.entry, c.raw));
      const r = await replayable(path);
      assert.deepEqual(r.ops.map(([, g]) => g), [a.entry.ghid, c.entry.ghid]);
    } finally {
      await j.close();
    }
  });

  test('after a failed commit whose zeroing failed too, a shorter next commit must not leave the failed batch\'s later records for replay to take', async () => {
    // The batch [put b, del a] lands and its sync reports EIO; zeroing it fails as well (a failing
    // disk, or ENOSPC on a copy-on-write file system). The caller is told it failed and retries
    // put b alone, which commits. A crash now must replay [put a, put b] — not the refused del a.
    const path = await tempJournal();
    const fs = new HookFs();
    const j = await JournalFile.create(path, fs);
    try {
      const first = putRecord(a.entry, a.raw);
      await j.commit(first);
      const retried = putRecord(b.entry, b.raw);
      const failed = Buffer.concat([retried, delRecord(a.entry.ghid)]);
      let landed = false;
      let zeroingFailed = false;
      fs.onWrite = async (_path, position, data, real) => {
        if (position !== first.length) return real();
        if (!isZero(data)) {
          await real();
          landed = true;
          throw errnoError('EIO', 'write', path);
        }
        zeroingFailed = true;
        throw errnoError('EIO', 'write', path);
      };
      await assert.rejects(j.commit(failed), hasCode('EIO'));
      assert.ok(landed && zeroingFailed);
      fs.onWrite = undefined;
      await j.commit(retried);
      const r = await replayable(path);
      assert.deepEqual(
        r.ops.map(([op, g]) => [op === OP_PUT ? 'put' : 'del', g.slice(0, 8)]),
        [
          ['put', a.entry.ghid.slice(0, 8)],
          ['put', b.entry.ghid.slice(0, 8)],
        ],
        'replay would apply the refused "del a" after the acknowledged commits: an acknowledged object lost',
      );
      assert.equal(r.end, first.length + retried.length);
    } finally {
      await j.close();
    }
  });

  // A real full disk: a tmpfs of 1 MiB.
  const disks: SmallDisk[] = [];
  after(() => disks.forEach((d) => d.unmount()));
  function smallDisk(): SmallDisk | string {
    const d = mountSmallDisk(1 * MiB);
    if (typeof d !== 'string') disks.push(d);
    return d;
  }
  const freeBytes = (dir: string) => {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  };

  test('a real full disk (tmpfs): commits inside the allocated space still land; one that needs more rejects ENOSPC with nothing of it written; once there is room it lands after the last acknowledged', async (t) => {
    const disk = smallDisk();
    if (typeof disk === 'string') return t.skip(disk);
    const path = join(disk.dir, 'ghidcache.journal.1');
    const j = await JournalFile.create(path);
    try {
      const first = putRecord(a.entry, a.raw);
      await j.commit(first);
      disk.fill();
      assert.equal(freeBytes(disk.dir), 0, 'the disk is full');
      const second = putRecord(b.entry, b.raw);
      await j.commit(second); // the full disk shows at the reserve step only
      const big = putRecord(c.entry, Buffer.alloc(100 * KiB, 0x66));
      await assert.rejects(j.commit(big), hasCode('ENOSPC'));
      await assert.rejects(j.reserve(100 * KiB), hasCode('ENOSPC'), 'a probe sees there is no room');
      let r = await replayable(path);
      assert.deepEqual(r.ops.map(([, g]) => g), [a.entry.ghid, b.entry.ghid]);
      assert.equal(r.end, first.length + second.length);
      assert.ok(r.tailZero);
      disk.free();
      const third = delRecord(b.entry.ghid);
      await j.commit(third);
      await j.commit(big);
      r = await replayable(path);
      assert.deepEqual(r.ops.map(([op, g]) => [op, g]), [
        [OP_PUT, a.entry.ghid],
        [OP_PUT, b.entry.ghid],
        [OP_DEL, b.entry.ghid],
        [OP_PUT, c.entry.ghid],
      ]);
      assert.equal(r.end, first.length + second.length + third.length + big.length);
      assert.deepEqual(r.ops[3]![2], Buffer.alloc(100 * KiB, 0x66));
    } finally {
      await j.close();
    }
  });

  test('a real full disk (tmpfs): a failed extension gives back the room it took, so the disk\'s last free bytes stay free for the files and the probe', async (t) => {
    const disk = smallDisk();
    if (typeof disk === 'string') return t.skip(disk);
    const path = join(disk.dir, 'ghidcache.journal.1');
    const j = await JournalFile.create(path);
    try {
      await j.commit(putRecord(a.entry, a.raw)); // 64 KiB allocated
      const sizeBefore = (await stat(path)).size;
      assert.equal(sizeBefore, 64 * KiB);
      // Leave 32 KiB free: the next step (64 KiB) does not fit.
      writeFileSync(join(disk.dir, 'filler'), Buffer.alloc(freeBytes(disk.dir) - 32 * KiB));
      const freeBefore = freeBytes(disk.dir);
      assert.equal(freeBefore, 32 * KiB);
      await assert.rejects(j.commit(putRecord(b.entry, Buffer.alloc(100 * KiB, 0x66))), hasCode('ENOSPC'));
      assert.equal((await stat(path)).size, sizeBefore, 'the journal keeps no partial extension');
      assert.equal(freeBytes(disk.dir), freeBefore, 'the refused extension left the disk as free as it found it');
    } finally {
      await j.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// unwritten-files.ts: bytes held until their file is written

/** The backlog the accounting keeps (private): what `filling` and `room()` are decided on. */
const backlog = (u: UnwrittenFiles): number => (u as unknown as { bytes: number }).bytes;
/** One turn of the event loop: promise callbacks due by now have run. */
const turn = () => new Promise<void>((r) => setImmediate(r));
function watch(p: Promise<void>): () => boolean {
  let done = false;
  void p.then(() => (done = true));
  return () => done;
}

describe('unwritten files', () => {
  test('set, replace, delete and written keep the backlog the sum of the bytes held', () => {
    const u = new UnwrittenFiles(1000);
    const x1 = Buffer.alloc(300);
    const x2 = Buffer.alloc(100);
    const y = Buffer.alloc(250);
    u.set('x', x1);
    u.set('y', y);
    assert.equal(backlog(u), 550);
    assert.equal(u.size, 2);
    assert.equal(u.filling, true, '550 × 2 ≥ 1000');
    u.set('x', x2); // replaced before its file was written
    assert.equal(backlog(u), 350);
    assert.equal(u.filling, false);
    u.written('x', x1); // the superseded write finishing changes nothing
    assert.equal(u.get('x'), x2);
    assert.equal(backlog(u), 350);
    u.set('y', null); // deleted
    assert.equal(backlog(u), 100);
    assert.equal(u.has('y'), true);
    assert.equal(u.get('y'), null);
    u.written('y', null);
    assert.equal(u.has('y'), false);
    u.written('x', x2);
    assert.equal(backlog(u), 0);
    assert.equal(u.size, 0);
    u.written('x', x2); // twice: nothing more to forget
    u.written('never', null);
    assert.equal(backlog(u), 0);
  });

  test('written() clears a stranded object only when the bytes written are its latest', () => {
    const u = new UnwrittenFiles(1000);
    const old = Buffer.alloc(10);
    const latest = Buffer.alloc(20);
    u.set('x', old);
    u.stranded.add('x');
    u.set('x', latest);
    u.written('x', old);
    assert.equal(u.stranded.has('x'), true);
    assert.equal(u.get('x'), latest);
    u.written('x', Buffer.alloc(20)); // equal bytes, another operation's
    assert.equal(u.has('x'), true);
    u.written('x', latest);
    assert.equal(u.stranded.has('x'), false);
    assert.equal(u.has('x'), false);
    assert.equal(backlog(u), 0);
  });

  test('restore() puts a GHID back exactly as it was: absent, bytes or a delete, and fileless or not', () => {
    const u = new UnwrittenFiles(1000);
    const before = Buffer.alloc(40);
    // Absent before: a new put rolled back.
    u.fileless.add('n');
    u.set('n', Buffer.alloc(70));
    u.restore('n', false, undefined, false);
    assert.equal(u.has('n'), false);
    assert.equal(u.fileless.has('n'), false);
    // Bytes before, replaced by a delete that is rolled back.
    u.set('p', before);
    u.fileless.add('p');
    u.fileless.delete('p');
    u.set('p', null);
    u.restore('p', true, before, true);
    assert.equal(u.get('p'), before);
    assert.equal(u.fileless.has('p'), true);
    // A delete before, replaced by a put that is rolled back.
    u.set('d', null);
    u.set('d', Buffer.alloc(90));
    u.restore('d', true, null, false);
    assert.equal(u.has('d'), true);
    assert.equal(u.get('d'), null);
    assert.equal(backlog(u), 40);
    u.written('p', before);
    u.written('d', null);
    assert.equal(backlog(u), 0);
    assert.equal(u.size, 0);
  });

  test('5,000 random puts, deletes, commits, rollbacks and file writes, as the file store makes them: the backlog never drifts and rollbacks restore exactly', () => {
    const rnd = prng(20240607);
    const max = 1500;
    const u = new UnwrittenFiles(max);
    const ghids = ['g0', 'g1', 'g2', 'g3', 'g4', 'g5'];
    interface Op {
      ghid: string;
      raw: Buffer | null;
      had: boolean;
      was: Buffer | null | undefined;
      fileless: boolean;
    }
    let open: Op[] = []; // enqueued, not committed yet
    let committed: Op[] = []; // committed, file write not done yet
    let writtenSinceOpen = new Set<string>();
    const check = (step: number) => {
      let sum = 0;
      let count = 0;
      for (const g of ghids) {
        if (!u.has(g)) continue;
        count++;
        sum += u.get(g)?.length ?? 0;
      }
      assert.ok(backlog(u) >= 0, `step ${step}: backlog ${backlog(u)} < 0`);
      assert.equal(backlog(u), sum, `step ${step}: backlog ${backlog(u)}, bytes held ${sum}`);
      assert.equal(u.size, count);
      assert.equal(u.filling, sum * 2 >= max);
    };
    for (let step = 0; step < 5000; step++) {
      const r = rnd();
      if (r < 0.45 || (open.length === 0 && committed.length === 0)) {
        const ghid = ghids[Math.floor(rnd() * ghids.length)]!;
        const raw = rnd() < 0.25 ? null : Buffer.alloc(Math.floor(rnd() * 500));
        const op: Op = { ghid, raw, had: u.has(ghid), was: u.get(ghid), fileless: u.fileless.has(ghid) };
        if (raw && !op.had) u.fileless.add(ghid);
        if (!raw) u.fileless.delete(ghid);
        u.set(ghid, raw);
        open.push(op);
      } else if (r < 0.62 && open.length > 0) {
        committed.push(...open.splice(0, 1 + Math.floor(rnd() * open.length)));
      } else if (r < 0.72 && open.length > 0) {
        // A commit failed: its batch and everything queued after it, undone newest first.
        const firstUndo = new Map<string, Op>();
        for (const op of open) if (!firstUndo.has(op.ghid)) firstUndo.set(op.ghid, op);
        for (let i = open.length - 1; i >= 0; i--) {
          const op = open[i]!;
          u.restore(op.ghid, op.had, op.was, op.fileless);
        }
        for (const [g, op] of firstUndo) {
          if (writtenSinceOpen.has(g)) continue;
          assert.equal(u.has(g), op.had, `step ${step}: ${g} present as before`);
          assert.equal(u.get(g), op.had ? op.was : undefined, `step ${step}: ${g} holds what it held before`);
          assert.equal(u.fileless.has(g), op.fileless);
        }
        open = [];
      } else if (committed.length > 0) {
        const op = committed.splice(Math.floor(rnd() * committed.length), 1)[0]!;
        const had = u.has(op.ghid);
        u.written(op.ghid, op.raw);
        if (had && !u.has(op.ghid)) writtenSinceOpen.add(op.ghid);
      }
      if (open.length === 0) writtenSinceOpen = new Set();
      check(step);
    }
    for (let i = open.length - 1; i >= 0; i--) u.restore(open[i]!.ghid, open[i]!.had, open[i]!.was, open[i]!.fileless);
    for (const op of committed) u.written(op.ghid, op.raw);
    check(5000);
    // What is left was restored by rollbacks: the retry writes each latest state.
    for (const g of ghids) if (u.has(g)) u.written(g, u.get(g)!);
    assert.equal(backlog(u), 0);
    assert.equal(u.size, 0);
  });

  test('room(): at or under the limit it resolves at once; over it, waiters wait until a written file brings the backlog back, then all go together', async () => {
    const u = new UnwrittenFiles(1000);
    const big = Buffer.alloc(800);
    const more = Buffer.alloc(300);
    u.set('a', Buffer.alloc(1000));
    const atLimit = watch(u.room());
    await turn();
    assert.equal(atLimit(), true, 'at the limit: resolved');
    u.set('a', big);
    const under = watch(u.room());
    await turn();
    assert.equal(under(), true, 'under the limit: resolved');
    u.set('b', more); // 1100
    const w1 = watch(u.room());
    const w2 = watch(u.room());
    await turn();
    assert.equal(w1() || w2(), false);
    assert.equal(u.waiting, true, 'callers are waiting: files go out without delay');
    u.written('b', Buffer.alloc(300)); // another operation's bytes: nothing changes
    await turn();
    assert.equal(w1() || w2(), false);
    u.written('b', more); // 800
    await turn();
    assert.equal(w1() && w2(), true, 'every waiter released');
    assert.equal(u.waiting, false);
    u.set('c', Buffer.alloc(500)); // 1300
    const w3 = watch(u.room());
    u.set('d', Buffer.alloc(100)); // 1400
    u.written('d', u.get('d')!); // 1300: still over
    await turn();
    assert.equal(w3(), false, 'still over the limit');
    u.releaseWaiters(); // the store's storage failed: nobody waits for room that will not come
    await turn();
    assert.equal(w3(), true);
  });

  test('room(): a rollback (restore) that brings the backlog under the limit releases the waiters', async () => {
    const u = new UnwrittenFiles(1000);
    const acked = Buffer.alloc(600);
    u.set('acked', acked);
    u.set('new', Buffer.alloc(600)); // 1200: its caller waits for room
    const waiter = watch(u.room());
    await turn();
    assert.equal(waiter(), false);
    u.restore('new', false, undefined, false); // its commit failed: 600 held
    assert.equal(backlog(u), 600);
    await turn();
    assert.equal(waiter(), true, 'the backlog is under its limit, but the waiter still waits (only written() or releaseWaiters() lets it go)');
  });

  test('room(): a delete or a smaller replacement (set) that brings the backlog under the limit releases the waiters', async () => {
    const u = new UnwrittenFiles(1000);
    const first = Buffer.alloc(700);
    u.set('x', first);
    u.set('y', Buffer.alloc(700)); // 1400
    const waiter = watch(u.room());
    u.set('y', null); // deleted before its file was written: 700
    u.written('x', Buffer.alloc(700)); // a superseded write of x finishing meanwhile
    assert.equal(backlog(u), 700);
    await turn();
    assert.equal(waiter(), true, 'the backlog is under its limit, but the waiter still waits');
  });
});
