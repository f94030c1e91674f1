/**
 * The sealed envelope of the account's local files (src/core/account/sealed-records.ts,
 * docs/formats.md "Account map journal" and "Versions kept on this computer"), pinned on its own:
 * the byte layout and key derivation, what a torn tail, a flipped bit, a wrong key or another
 * format does to a read, and that a damaged tail cut off lets appends go on. The journal's and
 * the kept-here file's own behaviour is in map-journal.test.ts and kept-here.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, hkdfSync } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ghid, Secret } from '../../../src/core/golix/index.js';
import { Sealer, setAside, type SealedFormat, type SealedRead } from '../../../src/core/account/sealed-records.js';
import { HERE_FORMAT } from '../../../src/core/account/kept-here.js';
import { JOURNAL_FORMAT } from '../../../src/core/account/map-journal.js';
import { AppendLog } from '../../../src/core/util/append-log.js';
import { writeFileAtomic } from '../../../src/core/util/atomic-write.js';

/** How a file whose first record runs past its end is told. */
const CUT_SHORT = 'ends in its first record cut short (a crash while it was first written, or damage)';
const dirs: string[] = [];
test.after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function fileIn(): Promise<{ dir: string; path: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-sealed-'));
  dirs.push(dir);
  return { dir, path: join(dir, 'records.sealed') };
}

const FORMAT: SealedFormat = { name: 'a test file', magic: 'HGXT', version: 3, info: 'hgx-test/1' };
const HEADER_LENGTH = 4 + 1 + 32;
/** u32 length | nonce (12) | ciphertext | tag (16). */
const OVERHEAD = 4 + 12 + 16;
const map = Ghid.fromDigest(Buffer.alloc(64, 7));
const master = Secret.random();

/** Every plaintext back as it was (a copy, so a later change to the file's bytes cannot alter it). */
const raw = (plain: Buffer): Buffer => Buffer.from(plain);
const read = (data: Buffer, o: { master?: Secret; map?: Ghid; format?: SealedFormat; decode?: (p: Buffer) => Buffer | null } = {}): SealedRead<Buffer> =>
  Sealer.read(data, o.format ?? FORMAT, o.master ?? master, o.map ?? map, o.decode ?? raw);

function readable(r: SealedRead<Buffer>): { sealer: Sealer; items: Buffer[]; damagedTail: number } {
  if (r.unreadable !== undefined) assert.fail(`expected a readable file, got: ${r.unreadable}`);
  return r;
}
const texts = (items: Buffer[]): string[] => items.map((b) => b.toString('latin1'));

/** A file of `plains`, sealed in order under one fresh salt; the offsets at which each record starts. */
function sealedFile(plains: Buffer[], sealer = Sealer.fresh(FORMAT, master, map)): { bytes: Buffer; starts: number[]; sealer: Sealer } {
  const records = plains.map((p) => sealer.seal(p));
  const starts: number[] = [];
  let pos = sealer.header.length;
  for (const r of records) {
    starts.push(pos);
    pos += r.length;
  }
  return { bytes: Buffer.concat([sealer.header, ...records]), starts, sealer };
}

test('the layout is the one formats.md gives: header magic | version | salt, records under HKDF-SHA512 with the map GHID as AAD', () => {
  const sealer = Sealer.fresh(FORMAT, master, map);
  assert.equal(sealer.header.length, HEADER_LENGTH);
  assert.equal(sealer.header.toString('latin1', 0, 4), 'HGXT');
  assert.equal(sealer.header[4], 3);
  const salt = sealer.header.subarray(5);
  assert.notDeepEqual(Sealer.fresh(FORMAT, master, map).header.subarray(5), salt, 'a fresh salt each time');

  const plain = Buffer.from('a secret worth keeping out of plain text');
  const record = sealer.seal(plain);
  assert.equal(record.length, OVERHEAD + plain.length);
  assert.equal(record.readUInt32BE(0), record.length - 4, 'the length counts nonce, ciphertext and tag');
  assert.ok(!record.includes(plain.subarray(0, 8)), 'nothing in plain text');
  const again = sealer.seal(plain);
  assert.notDeepEqual(again.subarray(4, 16), record.subarray(4, 16), 'a fresh nonce per record');
  assert.notDeepEqual(again, record);

  // Opened independently, exactly as the format says.
  const key = Buffer.from(hkdfSync('sha512', Buffer.concat([master.key, master.seed]), salt, Buffer.concat([Buffer.from('hgx-test/1', 'latin1'), map.bytes]), 32));
  const decipher = createDecipheriv('aes-256-gcm', key, record.subarray(4, 16));
  decipher.setAAD(map.bytes);
  decipher.setAuthTag(record.subarray(record.length - 16));
  assert.deepEqual(Buffer.concat([decipher.update(record.subarray(16, record.length - 16)), decipher.final()]), plain);

  // The real files' formats, as formats.md names them.
  assert.deepEqual([HERE_FORMAT.magic, HERE_FORMAT.version, HERE_FORMAT.info], ['HGXH', 1, 'hgx-here/1']);
  assert.deepEqual([JOURNAL_FORMAT.magic, JOURNAL_FORMAT.version, JOURNAL_FORMAT.info], ['HGXJ', 1, 'hgx-journal/1']);
  const here = Sealer.fresh(HERE_FORMAT, master, map).header;
  assert.equal(here.toString('latin1', 0, 4), 'HGXH');
  assert.equal(here[4], 1);
});

test('several records, an empty and a large one among them, come back in order from a real file', async () => {
  const { path } = await fileIn();
  const large = Buffer.alloc(300 * 1024);
  for (let i = 0; i < large.length; i++) large[i] = (i * 31 + 7) & 0xff;
  const plains = [Buffer.from('first'), Buffer.alloc(0), large, Buffer.from('ünïcødé bytes', 'utf8'), Buffer.from([0, 0, 0, 0]), Buffer.from('last')];
  const { bytes, sealer } = sealedFile(plains);
  await writeFile(path, bytes);
  const r = readable(read(await readFile(path)));
  assert.equal(r.items.length, plains.length);
  r.items.forEach((item, i) => assert.deepEqual(item, plains[i], `record ${i}`));
  assert.equal(r.damagedTail, 0);
  assert.deepEqual(r.sealer.header, sealer.header, 'the sealer of the file\'s own salt, to append under');

  // Appended through the real append log with the sealer read back: the file goes on under the same key.
  const { log, data } = await AppendLog.open(path);
  assert.deepEqual(data, bytes);
  await log.append([r.sealer.seal(Buffer.from('appended one')), r.sealer.seal(Buffer.alloc(0))]);
  await log.close();
  const after = readable(read(await readFile(path)));
  assert.deepEqual(after.items, [...plains, Buffer.from('appended one'), Buffer.alloc(0)]);
  assert.equal(after.damagedTail, 0);
});

test('a header alone is an empty file of this format, and its sealer appends under its salt', () => {
  const sealer = Sealer.fresh(FORMAT, master, map);
  const r = readable(read(sealer.header));
  assert.deepEqual(r.items, []);
  assert.equal(r.damagedTail, 0);
  assert.deepEqual(r.sealer.header, sealer.header);
  const grown = Buffer.concat([sealer.header, r.sealer.seal(Buffer.from('one')), sealer.seal(Buffer.from('two'))]);
  assert.deepEqual(texts(readable(read(grown)).items), ['one', 'two'], 'the read sealer and the writing one are the same key');
});

test('a crash at every byte inside the last record: the whole records before it come back, the torn bytes are the damaged tail, never an error', async () => {
  const { path } = await fileIn();
  const plains = [Buffer.from('alpha'), Buffer.alloc(0), Buffer.from('gamma gamma'), Buffer.from('the last one, torn')];
  const { bytes, starts } = sealedFile(plains);
  const last = starts.at(-1)!;
  const whole = ['alpha', '', 'gamma gamma'];
  for (let cut = last; cut < bytes.length; cut++) {
    await writeFile(path, bytes);
    await truncate(path, cut);
    const data = await readFile(path);
    assert.equal(data.length, cut);
    let r: SealedRead<Buffer>;
    assert.doesNotThrow(() => (r = read(data)), `cut at ${cut}`);
    const ok = readable(r!);
    assert.deepEqual(texts(ok.items), whole, `cut at ${cut}`);
    assert.equal(ok.damagedTail, cut - last, `cut at ${cut}: the torn bytes, exactly`);
  }
});

test('after a torn tail, cutting the damaged tail off and appending reads back every record once; appending without the cut loses the new record', async () => {
  const { path } = await fileIn();
  const plains = [Buffer.from('one'), Buffer.from('two'), Buffer.from('three (torn)')];
  const { bytes, starts } = sealedFile(plains);
  const last = starts.at(-1)!;
  for (let cut = last + 1; cut < bytes.length; cut++) {
    await writeFile(path, bytes.subarray(0, cut));
    // Reopened as the callers do: the append log's bytes, read, the damaged tail cut off (a rewrite), then appends.
    const { log, data } = await AppendLog.open(path);
    const r = readable(read(data));
    assert.equal(r.damagedTail, cut - last);
    await log.replace(() => data.subarray(0, data.length - r.damagedTail));
    await log.append([r.sealer.seal(Buffer.from('four'))]);
    await log.append([r.sealer.seal(Buffer.from('five'))]);
    await log.close();
    const after = readable(read(await readFile(path)));
    assert.deepEqual(texts(after.items), ['one', 'two', 'four', 'five'], `cut at ${cut}: none lost, none twice`);
    assert.equal(after.damagedTail, 0);
  }

  // Why the damaged tail must go: a record appended after torn bytes is never reached.
  await writeFile(path, bytes.subarray(0, bytes.length - 5));
  const { log, data } = await AppendLog.open(path);
  const r = readable(read(data));
  await log.append([r.sealer.seal(Buffer.from('four'))]);
  await log.close();
  const after = readable(read(await readFile(path)));
  assert.deepEqual(texts(after.items), ['one', 'two']);
  assert.equal(after.damagedTail, bytes.length - 5 - last + OVERHEAD + 4);
});

test('a flipped bit anywhere in a later record (nonce, ciphertext, tag) stops the read there: the records before it, the rest a damaged tail', () => {
  const plains = ['one', 'two', 'three, the flipped one', 'four', 'five'].map((s) => Buffer.from(s));
  const { bytes, starts } = sealedFile(plains);
  const at = starts[2]!;
  const end = starts[3]!;
  for (let byte = at + 4; byte < end; byte++) {
    for (const bit of [0x01, 0x80]) {
      const damaged = Buffer.from(bytes);
      damaged[byte]! ^= bit;
      let decoded = 0;
      const r = readable(read(damaged, { decode: (p) => (decoded++, Buffer.from(p)) }));
      assert.deepEqual(texts(r.items), ['one', 'two'], `byte ${byte - at} of the record, bit ${bit}`);
      assert.equal(r.damagedTail, bytes.length - at, 'everything from the damaged record on, the whole records after it too');
      assert.equal(decoded, 2, 'no unauthenticated plaintext is ever handed to decode');
    }
  }
});

test('a flipped bit in a later record\'s length field stops the read there too, whatever length it makes (none past the end is trusted, none too short)', () => {
  const plains = ['one', 'two', 'three', 'four'].map((s) => Buffer.from(s));
  const { bytes, starts } = sealedFile(plains);
  const at = starts[1]!;
  for (let bit = 0; bit < 32; bit++) {
    const damaged = Buffer.from(bytes);
    damaged.writeUInt32BE((damaged.readUInt32BE(at) ^ (1 << bit)) >>> 0, at);
    const r = readable(read(damaged));
    assert.deepEqual(texts(r.items), ['one'], `bit ${bit}`);
    assert.equal(r.damagedTail, bytes.length - at, `bit ${bit}`);
  }
  for (const length of [0, 1, 27, 28, 0xffffffff]) {
    const damaged = Buffer.from(bytes);
    damaged.writeUInt32BE(length, at);
    const r = readable(read(damaged));
    assert.deepEqual(texts(r.items), ['one'], `length ${length}`);
    assert.equal(r.damagedTail, bytes.length - at);
  }
});

test('a damaged first record makes the whole file unreadable (another account\'s or damaged), never a few garbage records', () => {
  const { bytes, starts } = sealedFile(['one', 'two'].map((s) => Buffer.from(s)));
  for (const byte of [starts[0]!, starts[0]! + 3, starts[0]! + 4, starts[0]! + 20, starts[1]! - 1]) {
    const damaged = Buffer.from(bytes);
    damaged[byte]! ^= 0x10;
    // A length now past the end of the file reads as a record cut short: set aside all the same.
    const cutShort = byte < starts[0]! + 4 && damaged.readUInt32BE(starts[0]!) + starts[0]! + 4 > damaged.length;
    assert.deepEqual(read(damaged), { unreadable: cutShort ? CUT_SHORT : 'belongs to another account or is damaged' }, `byte ${byte}`);
  }
  // The salt is part of the key: a flipped bit there leaves no record readable.
  const salted = Buffer.from(bytes);
  salted[HEADER_LENGTH - 1]! ^= 0x01;
  assert.deepEqual(read(salted), { unreadable: 'belongs to another account or is damaged' });
});

test('a wrong key (another master secret, another map, another kind of file) is told apart, and decode never sees a byte', () => {
  const { bytes } = sealedFile(['one', 'two', 'three'].map((s) => Buffer.from(s)));
  let decoded = 0;
  const decode = (p: Buffer) => (decoded++, Buffer.from(p));
  const unreadable = { unreadable: 'belongs to another account or is damaged' };
  assert.deepEqual(read(bytes, { master: Secret.random(), decode }), unreadable, 'another master secret');
  assert.deepEqual(read(bytes, { master: Secret.create(master.key, Buffer.alloc(16)), decode }), unreadable, 'the seed is part of the key');
  assert.deepEqual(read(bytes, { map: Ghid.fromDigest(Buffer.alloc(64, 8)), decode }), unreadable, 'another map GHID');
  // Another info under the same magic and secrets: the keys of different kinds of file are apart.
  assert.deepEqual(read(bytes, { format: { ...FORMAT, info: 'hgx-other/1' }, decode }), unreadable, 'another info');
  assert.equal(decoded, 0);
  // And the right key still reads it.
  assert.deepEqual(texts(readable(read(bytes, { decode })).items), ['one', 'two', 'three']);

  // A journal's records relabelled as a kept-here file: the magic passes, the key does not.
  const journal = Sealer.fresh(JOURNAL_FORMAT, master, map);
  const relabelled = Buffer.concat([journal.header, journal.seal(Buffer.from('[]'))]);
  relabelled.write(HERE_FORMAT.magic, 0, 'latin1');
  assert.deepEqual(Sealer.read(relabelled, HERE_FORMAT, master, map, raw), unreadable);
});

test('a record sealed under another salt (an older file before its rewrite) does not read in the rewritten file', () => {
  const older = Sealer.fresh(FORMAT, master, map);
  const { bytes } = sealedFile([Buffer.from('compacted')]);
  const stale = Buffer.concat([bytes, older.seal(Buffer.from('sealed under the old salt'))]);
  const r = readable(read(stale));
  assert.deepEqual(texts(r.items), ['compacted']);
  assert.equal(r.damagedTail, stale.length - bytes.length);
});

test('a file of another magic or version, or too short for a header, is refused with a message naming why', () => {
  const { bytes } = sealedFile([Buffer.from('one')]);
  const otherMagic = Buffer.from(bytes);
  otherMagic.write('HGXJ', 0, 'latin1');
  assert.deepEqual(read(otherMagic), { unreadable: 'is not a test file' });
  assert.deepEqual(read(Buffer.from('hello: yaml\nthis is not a sealed file at all, though it is long enough\n')), { unreadable: 'is not a test file' });
  for (const version of [0, 1, 2, 4, 255]) {
    const other = Buffer.from(bytes);
    other[4] = version;
    assert.deepEqual(read(other), { unreadable: `has format version ${version}, which this version does not read` });
  }
  assert.deepEqual(read(Buffer.alloc(0)), { unreadable: 'is not a test file' });
  for (const length of [1, 4, 5, HEADER_LENGTH - 1]) assert.deepEqual(read(bytes.subarray(0, length)), { unreadable: 'is not a test file' }, `${length} bytes`);
  // The real formats refuse each other's files by their magic before any key is tried.
  const here = Buffer.concat([Sealer.fresh(HERE_FORMAT, master, map).header]);
  assert.deepEqual(Sealer.read(here, JOURNAL_FORMAT, master, map, raw), { unreadable: 'is not an account journal' });
  const journal = Sealer.fresh(JOURNAL_FORMAT, master, map).header;
  assert.deepEqual(Sealer.read(journal, HERE_FORMAT, master, map, raw), { unreadable: 'is not a file of versions kept here' });
});

test('a record that authenticates but that decode refuses: unreadable as the first record, a damaged tail from it later', () => {
  const { bytes, starts } = sealedFile(['good', 'bad', 'good again'].map((s) => Buffer.from(s)));
  const onlyGood = (p: Buffer) => (p.toString('latin1').startsWith('good') ? Buffer.from(p) : null);
  const r = readable(read(bytes, { decode: onlyGood }));
  assert.deepEqual(texts(r.items), ['good']);
  assert.equal(r.damagedTail, bytes.length - starts[1]!);
  const first = sealedFile(['bad', 'good'].map((s) => Buffer.from(s)));
  assert.deepEqual(read(first.bytes, { decode: onlyGood }), { unreadable: 'belongs to another account or is damaged' });
  // Falsy items that are not null or undefined are records all the same.
  const zeros = Sealer.read(bytes, FORMAT, master, map, () => 0);
  assert.deepEqual(zeros.unreadable === undefined && zeros.items, [0, 0, 0]);
});

test('an unreadable file is set aside byte for byte, never deleted, and a new empty one opened in its place', async () => {
  const { dir, path } = await fileIn();
  const { bytes } = sealedFile(['theirs'].map((s) => Buffer.from(s)), Sealer.fresh(FORMAT, Secret.random(), map));
  await writeFile(path, bytes);
  const opened = await AppendLog.open(path);
  const r = read(opened.data);
  assert.equal(r.unreadable, 'belongs to another account or is damaged');
  const warnings: string[] = [];
  const log = await setAside(opened.log, r.unreadable!, 'The test file', (w) => warnings.push(w));
  assert.equal(log.path, path);
  const files = await readdir(dir);
  const aside = files.find((f) => f.startsWith('records.sealed.unreadable-'));
  assert.ok(aside, `moved aside: ${files.join(', ')}`);
  assert.match(aside!, /^records\.sealed\.unreadable-\d+$/);
  assert.deepEqual(await readFile(join(dir, aside!)), bytes, 'kept whole');
  assert.deepEqual(await readFile(path), Buffer.alloc(0), 'a new, empty file');
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0], `The test file ${path} belongs to another account or is damaged; it was moved to ${join(dir, aside!)} and a new one started`);
  // The new log is open for writing.
  const sealer = Sealer.fresh(FORMAT, master, map);
  await log.replace(() => Buffer.concat([sealer.header, sealer.seal(Buffer.from('mine'))]));
  await log.append([sealer.seal(Buffer.from('mine too'))]);
  await log.close();
  assert.deepEqual(texts(readable(read(await readFile(path))).items), ['mine', 'mine too']);
});

test('a rewrite (compaction under a fresh salt) that crashes between the temp file and the rename leaves the old file whole and readable', async () => {
  const { dir, path } = await fileIn();
  const old = sealedFile(['a1', 'b1', 'a2', 'b2'].map((s) => Buffer.from(s)));
  await writeFile(path, old.bytes);
  const compacted = sealedFile(['a2', 'b2'].map((s) => Buffer.from(s)));
  let temp = '';
  await assert.rejects(
    writeFileAtomic(path, compacted.bytes, {
      beforeRename: async (t) => {
        temp = t;
        // The instant of the crash: the new file complete beside the old, the old untouched.
        assert.deepEqual(texts(readable(read(await readFile(t))).items), ['a2', 'b2']);
        assert.deepEqual(await readFile(path), old.bytes);
        throw new Error('crash');
      },
    }),
    /crash/,
  );
  assert.ok(temp.startsWith(dir));
  // A crash proper leaves the temp file behind: it is beside the file, not in it.
  await writeFile(temp, compacted.bytes);
  const { log, data } = await AppendLog.open(path);
  const r = readable(read(data));
  assert.deepEqual(texts(r.items), ['a1', 'b1', 'a2', 'b2']);
  assert.equal(r.damagedTail, 0);
  // The next rewrite goes through, and records sealed under its salt follow it.
  await log.replace(() => compacted.bytes);
  await log.append([compacted.sealer.seal(Buffer.from('c1'))]);
  await log.close();
  assert.deepEqual(texts(readable(read(await readFile(path))).items), ['a2', 'b2', 'c1']);
});

test('a crash during the first append to a header-only file is told as such, and the file set aside, never cut', () => {
  // Both callers leave a header-only file in normal use (a new kept-here file, a journal with
  // nothing pending rewritten at its open) and then append one record: a crash tears it here.
  // From the file alone it cannot be told apart from a damaged length (which cutting would turn
  // into a lost record), so it is set aside like an unreadable file, but not called another account's.
  const { bytes, starts } = sealedFile([Buffer.from('the first change, torn')]);
  const first = starts[0]!;
  for (let cut = first + 1; cut < bytes.length; cut++) {
    assert.deepEqual(read(bytes.subarray(0, cut)), { unreadable: CUT_SHORT }, `cut ${cut - first} bytes into the record`);
  }
});
