// The ghidcache directory (src/core/store/ghidcache-dir.ts): one `<ghid>.ghid` file per object,
// temp files named `.tmp-…`, and reconcile(), which makes the index agree with the files at open —
// unindexed object files adopted, entries without a file dropped, stray/corrupt/misnamed files
// moved to `<dir>.quarantine/`, temp files removed. Real files in a temp dir; object bytes are the
// reference v16 vectors.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUFFIX, TEMP_PREFIX, objectFile, reconcile } from '../../../src/core/store/ghidcache-dir.js';
import { entryOf, type Entry } from '../../../src/core/store/entry.js';
import { EntryTable } from '../../../src/core/store/entry-table.js';
import { nodeFs, type FsOps } from '../../../src/core/util/fs-ops.js';
import { errnoError } from '../../fixtures/store/faulty-fs.js';
import { v16Objects } from '../../fixtures/vectors.js';

const objects = v16Objects().map((o) => ({ entry: entryOf(o.obj), raw: o.raw }));
const some = (type: Entry['type']) => objects.find((o) => o.entry.type === type)!;

const root = mkdtempSync(join(tmpdir(), 'hgx-ghidcache-dir-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** A fresh, empty `<root>/<n>/ghidcache`, its parent holding nothing else. */
function freshCache(): string {
  const dir = join(root, String(n++), 'ghidcache');
  mkdirSync(dir, { recursive: true });
  return dir;
}
const write = (dir: string, o: { entry: Entry; raw: Buffer }) => writeFileSync(objectFile(dir, o.entry.ghid), o.raw);
const noneInMemory = () => false;

/** nodeFs, counting reads of object files. */
function countingFs(): { fs: FsOps; reads: string[] } {
  const reads: string[] = [];
  return { reads, fs: { ...nodeFs, readFile: (p) => (reads.push(p), nodeFs.readFile(p)) } };
}

// ---------------------------------------------------------------------------------------------
// naming

test('objectFile: <dir>/<ghid>.ghid, the reference layout (no subdirectories, the GHID text as the name)', () => {
  const ghid = some('GEOC').entry.ghid;
  assert.equal(SUFFIX, '.ghid');
  assert.equal(objectFile('/srv/ghidcache', ghid), `/srv/ghidcache/${ghid}.ghid`);
  assert.equal(objectFile('/srv/ghidcache/', ghid), `/srv/ghidcache/${ghid}.ghid`, 'a trailing slash is not doubled');
  assert.equal(objectFile('rel/cache', ghid), join('rel/cache', `${ghid}.ghid`));
  assert.equal(ghid.length, 88, 'the name is the 88-character GHID text');
  assert.equal(TEMP_PREFIX, '.tmp-');
  assert.ok(!(TEMP_PREFIX + ghid).endsWith(SUFFIX), 'a temp name never looks like an object file');
});

test('every v16 object kind is filed under its file GHID (a GOBD under its frame GHID)', () => {
  const dir = freshCache();
  for (const o of objects) write(dir, o);
  const names = readdirSync(dir).sort();
  assert.deepEqual(names, objects.map((o) => `${o.entry.ghid}.ghid`).sort());
  const gobd = some('GOBD');
  assert.notEqual(gobd.entry.ghid, gobd.entry.dynamic, 'not under its dynamic GHID');
});

// ---------------------------------------------------------------------------------------------
// reconcile: agreement

test('reconcile: an empty directory and an empty index agree: false, no warnings', async () => {
  const dir = freshCache();
  const entries = new EntryTable();
  const warnings: string[] = [];
  assert.equal(await reconcile(dir, entries, warnings, nodeFs, noneInMemory), false);
  assert.equal(entries.size, 0);
  assert.deepEqual(warnings, []);
  assert.equal(existsSync(`${dir}.quarantine`), false);
});

test('reconcile: files that are all indexed are trusted without reading them: false, nothing changed', async () => {
  const dir = freshCache();
  const entries = new EntryTable();
  for (const o of objects) {
    write(dir, o);
    entries.set(o.entry);
  }
  const { fs, reads } = countingFs();
  const warnings: string[] = [];
  assert.equal(await reconcile(dir, entries, warnings, fs, noneInMemory), false);
  assert.deepEqual(reads, [], 'no object file was read');
  assert.equal(entries.size, objects.length);
  assert.deepEqual(warnings, []);
  assert.equal(readdirSync(dir).length, objects.length);
});

test('reconcile: unindexed object files of every kind are parsed and indexed as entryOf gives them, silently', async () => {
  const dir = freshCache();
  for (const o of objects) write(dir, o);
  const entries = new EntryTable();
  entries.set(objects[0]!.entry);
  const { fs, reads } = countingFs();
  const warnings: string[] = [];
  assert.equal(await reconcile(dir, entries, warnings, fs, noneInMemory), true);
  assert.equal(reads.length, objects.length - 1, 'only the unindexed files were read');
  assert.equal(entries.size, objects.length);
  for (const o of objects) assert.deepEqual(entries.get(o.entry.ghid), o.entry, o.entry.type);
  assert.deepEqual(warnings, []);
  assert.equal(readdirSync(dir).length, objects.length, 'the files stay where they are');
});

test('reconcile: an indexed entry whose file is gone is dropped, with a warning naming its GHID', async () => {
  const dir = freshCache();
  const kept = some('GIDC');
  const gone = some('GOBS');
  write(dir, kept);
  const entries = new EntryTable();
  entries.set(kept.entry);
  entries.set(gone.entry);
  const warnings: string[] = [];
  assert.equal(await reconcile(dir, entries, warnings, nodeFs, noneInMemory), true);
  assert.equal(entries.has(gone.entry.ghid), false);
  assert.equal(entries.has(kept.entry.ghid), true);
  assert.deepEqual(warnings, [`ghidcache: ${gone.entry.ghid.slice(0, 12)}… was indexed but its file is gone; forgetting it`]);
});

test('reconcile: temp files (.tmp-…) are removed, never adopted or quarantined, without a warning', async () => {
  const dir = freshCache();
  const o = some('GEOC');
  // A half-written object file and a probe file, as ObjectFiles names them.
  writeFileSync(join(dir, `${TEMP_PREFIX}${o.entry.ghid}-1234`), o.raw.subarray(0, 10));
  writeFileSync(join(dir, `${TEMP_PREFIX}probe-1234`), 'probe');
  // Even one that ends like an object file.
  writeFileSync(join(dir, `${TEMP_PREFIX}${o.entry.ghid}.ghid`), o.raw);
  const entries = new EntryTable();
  const warnings: string[] = [];
  const changed = await reconcile(dir, entries, warnings, nodeFs, noneInMemory);
  assert.deepEqual(readdirSync(dir), []);
  assert.equal(entries.size, 0);
  assert.deepEqual(warnings, []);
  assert.equal(existsSync(`${dir}.quarantine`), false);
  // The index did not change: dropping temp files is not reported as a change.
  assert.equal(changed, false);
});

test('reconcile: a temp file that cannot be removed (a read-only disk) is left, harmlessly', async () => {
  const dir = freshCache();
  const o = some('GIDC');
  write(dir, o);
  writeFileSync(join(dir, `${TEMP_PREFIX}x-1`), 'half');
  const readOnly: FsOps = { ...nodeFs, rm: async (p) => Promise.reject(errnoError('EROFS', 'rm', p)) };
  const entries = new EntryTable();
  const warnings: string[] = [];
  assert.equal(await reconcile(dir, entries, warnings, readOnly, noneInMemory), true, 'the object file was still adopted');
  assert.ok(entries.has(o.entry.ghid));
  assert.deepEqual(readdirSync(dir).sort(), [`${TEMP_PREFIX}x-1`, `${o.entry.ghid}.ghid`].sort());
  assert.deepEqual(warnings, []);
});

// ---------------------------------------------------------------------------------------------
// reconcile: objects held in memory

test('reconcile: an object held in memory keeps its entry without a file, and its file is neither read nor adopted', async () => {
  const dir = freshCache();
  const noFile = some('GOBD');
  const unwrittenYet = some('GDXX');
  // A torn file of an object awaiting its rewrite: the journal's to settle, not reconcile's.
  writeFileSync(objectFile(dir, unwrittenYet.entry.ghid), unwrittenYet.raw.subarray(0, 20));
  const entries = new EntryTable();
  entries.set(noFile.entry);
  const inMemory = (g: string) => g === noFile.entry.ghid || g === unwrittenYet.entry.ghid;
  const { fs, reads } = countingFs();
  const warnings: string[] = [];
  assert.equal(await reconcile(dir, entries, warnings, fs, inMemory), false);
  assert.deepEqual(reads, []);
  assert.ok(entries.has(noFile.entry.ghid), 'kept though its file is missing');
  assert.equal(entries.has(unwrittenYet.entry.ghid), false, 'not adopted from the torn file');
  assert.deepEqual(readdirSync(dir), [`${unwrittenYet.entry.ghid}.ghid`], 'nor quarantined');
  assert.deepEqual(warnings, []);
});

// ---------------------------------------------------------------------------------------------
// reconcile: quarantine

/** The one file in `<dir>.quarantine`, its name `<ms>-<original name>`. */
function quarantined(dir: string, name: string, before: number): Buffer {
  const q = `${dir}.quarantine`;
  const files = readdirSync(q).filter((f) => f.endsWith(`-${name}`));
  assert.equal(files.length, 1, `${name} in ${readdirSync(q).join(', ')}`);
  const ms = Number(files[0]!.slice(0, files[0]!.length - name.length - 1));
  assert.ok(ms >= before && ms <= Date.now(), `the prefix is the time it was moved (${files[0]})`);
  return readFileSync(join(q, files[0]!));
}

test('reconcile: a stray file is moved whole to <dir>.quarantine/ (a sibling, mode 0700), with a warning saying where and why', async () => {
  const dir = freshCache();
  writeFileSync(join(dir, 'notes.txt'), 'not an object');
  const before = Date.now();
  const entries = new EntryTable();
  const warnings: string[] = [];
  assert.equal(await reconcile(dir, entries, warnings, nodeFs, noneInMemory), true);
  assert.deepEqual(readdirSync(dir), []);
  assert.equal(quarantined(dir, 'notes.txt', before).toString(), 'not an object');
  assert.deepEqual(readdirSync(join(dir, '..')).sort(), ['ghidcache', 'ghidcache.quarantine'], 'beside the cache, never inside it');
  if (process.platform !== 'win32') assert.equal(statSync(`${dir}.quarantine`).mode & 0o777, 0o700);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^ghidcache: moved notes\.txt to .*ghidcache\.quarantine.*-notes\.txt \(not an object file\)$/);
  assert.equal(entries.size, 0);
});

test('reconcile: a corrupt or truncated .ghid file is quarantined with the parse error, and not indexed', async () => {
  const dir = freshCache();
  const o = some('GEOC');
  const garbage = `${'A'.repeat(88)}.ghid`;
  writeFileSync(join(dir, garbage), Buffer.from('definitely not golix'));
  writeFileSync(objectFile(dir, o.entry.ghid), o.raw.subarray(0, o.raw.length - 7));
  writeFileSync(join(dir, '.ghid'), 'empty name');
  const before = Date.now();
  const entries = new EntryTable();
  const warnings: string[] = [];
  assert.equal(await reconcile(dir, entries, warnings, nodeFs, noneInMemory), true);
  assert.deepEqual(readdirSync(dir), []);
  assert.equal(entries.size, 0);
  assert.ok(quarantined(dir, `${o.entry.ghid}.ghid`, before).equals(o.raw.subarray(0, o.raw.length - 7)), 'moved as it was');
  quarantined(dir, garbage, before);
  quarantined(dir, '.ghid', before);
  assert.equal(warnings.length, 3, warnings.join('\n'));
  for (const w of warnings) assert.match(w, /^ghidcache: moved \S+ to \S+ \(.+\)$/);
  assert.ok(warnings.some((w) => w.includes('.ghid (not an object file)')), 'a bare ".ghid" names no object');
});

test('reconcile: a valid object under another object\'s name is quarantined, saying whose content it is', async () => {
  const dir = freshCache();
  const a = some('GOBS');
  const b = some('GARQ');
  writeFileSync(objectFile(dir, b.entry.ghid), a.raw);
  const before = Date.now();
  const entries = new EntryTable();
  const warnings: string[] = [];
  assert.equal(await reconcile(dir, entries, warnings, nodeFs, noneInMemory), true);
  assert.equal(entries.size, 0, 'neither a nor b is indexed');
  assert.ok(quarantined(dir, `${b.entry.ghid}.ghid`, before).equals(a.raw));
  assert.equal(warnings.length, 1);
  assert.ok(warnings[0]!.endsWith(`(its content is object ${a.entry.ghid.slice(0, 12)}…, not the one its name says)`), warnings[0]);
});

test('reconcile: where the quarantine cannot be made, the bad file is left in place, unindexed, with a warning', async () => {
  const dir = freshCache();
  writeFileSync(`${dir}.quarantine`, 'a file where the directory would go');
  writeFileSync(join(dir, 'stray'), 'x');
  const good = some('GIDC');
  write(dir, good);
  const entries = new EntryTable();
  const warnings: string[] = [];
  assert.equal(await reconcile(dir, entries, warnings, nodeFs, noneInMemory), true);
  assert.deepEqual(readdirSync(dir).sort(), ['stray', `${good.entry.ghid}.ghid`].sort());
  assert.deepEqual([...entries.values()].map((e) => e.ghid), [good.entry.ghid], 'the rest of the directory is still reconciled');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^ghidcache: ignored stray \(not an object file\); could not move it aside: /);
  assert.equal(readFileSync(`${dir}.quarantine`, 'utf8'), 'a file where the directory would go');
});

test('reconcile: a rename refused by the disk (EROFS) leaves the file in place with a warning; reconcile does not throw', async () => {
  const dir = freshCache();
  writeFileSync(join(dir, 'stray.bin'), 'x');
  const fs: FsOps = { ...nodeFs, rename: async (from) => Promise.reject(errnoError('EROFS', 'rename', from)) };
  const warnings: string[] = [];
  assert.equal(await reconcile(dir, new EntryTable(), warnings, fs, noneInMemory), true);
  assert.deepEqual(readdirSync(dir), ['stray.bin']);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /could not move it aside: EROFS/);
});

test('reconcile: a second run after a repair finds nothing more to do', async () => {
  const dir = freshCache();
  for (const o of objects.slice(0, 5)) write(dir, o);
  writeFileSync(join(dir, 'stray'), 'x');
  const entries = new EntryTable();
  entries.set(some('GDXX').entry);
  const warnings: string[] = [];
  assert.equal(await reconcile(dir, entries, warnings, nodeFs, noneInMemory), true);
  const again: string[] = [];
  assert.equal(await reconcile(dir, entries, again, nodeFs, noneInMemory), false);
  assert.deepEqual(again, []);
  assert.equal(entries.size, new Set(objects.slice(0, 5).map((o) => o.entry.ghid)).size);
});

test('reconcile: a directory that cannot be listed rejects (there is nothing to agree with)', async () => {
  const dir = join(freshCache(), 'missing');
  await assert.rejects(reconcile(dir, new EntryTable(), [], nodeFs, noneInMemory), { code: 'ENOENT' });
});
