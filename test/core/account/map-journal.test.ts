import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ghid, Secret } from '../../../src/core/golix/index.js';
import { MapJournal } from '../../../src/core/account/map-journal.js';
import type { Cell } from '../../../src/core/account/lww-map.js';

const dirs: string[] = [];
test.after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const map = Ghid.fromDigest(Buffer.alloc(64, 9));
const master = Secret.random();

async function journalAt(o: { master?: Secret; compactBytes?: number } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-journal-'));
  dirs.push(dir);
  const path = join(dir, 'secrets.journal');
  const warnings: string[] = [];
  const open = (m = o.master ?? master) => MapJournal.open({ path, master: m, map, warn: (w) => warnings.push(w), compactBytes: o.compactBytes });
  return { dir, path, warnings, open };
}

const cell = (ts: number, value: string | null): Cell => [ts, 'dev', value];

test('recorded changes come back after a reopen, sealed: no value is readable in the file', async () => {
  const j = await journalAt();
  const { journal, cells } = await j.open();
  assert.deepEqual(cells, []);
  journal.record('d:one', cell(1, 'SECRET-ONE'));
  journal.record('s:two', cell(2, 'SECRET-TWO'));
  journal.record('d:one', cell(3, null));
  await journal.durable();
  await journal.close(); // as after a crash: nothing covered
  const bytes = await readFile(j.path);
  assert.ok(!bytes.includes('SECRET'), 'values are encrypted');
  if (process.platform !== 'win32') assert.equal((await stat(j.path)).mode & 0o777, 0o600);
  const again = await j.open();
  // Latest per key, in the order last written.
  assert.deepEqual(again.cells, [['s:two', cell(2, 'SECRET-TWO')], ['d:one', cell(3, null)]]);
  await again.journal.close();
});

test('covered changes are dropped; an empty journal is rewritten as just its header', async () => {
  const j = await journalAt();
  const { journal } = await j.open();
  journal.record('a', cell(1, 'x'));
  const upTo = journal.seq;
  journal.record('b', cell(2, 'y'));
  journal.covered(upTo);
  await journal.durable();
  journal.covered(journal.seq);
  await journal.close();
  assert.equal((await stat(j.path)).size, 37, 'magic, version and salt only');
  const again = await j.open();
  assert.deepEqual(again.cells, []);
  await again.journal.close();
});

test('a journal that grows is compacted down to the changes not yet covered', async () => {
  const j = await journalAt({ compactBytes: 2000 });
  const { journal } = await j.open();
  for (let i = 0; i < 100; i++) journal.record(`k${i % 3}`, cell(i, 'v'.repeat(20)));
  await journal.durable();
  journal.covered(0); // nothing covered, but the file has grown past the threshold
  await journal.close();
  assert.ok((await stat(j.path)).size < 500, 'three live records remain');
  const again = await j.open();
  assert.deepEqual(again.cells.map(([k]) => k).sort(), ['k0', 'k1', 'k2']);
  await again.journal.close();
});

test('a torn tail is ignored with a warning; the records before it are kept', async () => {
  const j = await journalAt();
  const { journal } = await j.open();
  journal.record('kept', cell(1, 'v'));
  await journal.durable();
  await journal.close();
  await appendFile(j.path, Buffer.from([0, 0, 0, 60, 1, 2, 3]));
  const again = await j.open();
  assert.deepEqual(again.cells, [['kept', cell(1, 'v')]]);
  assert.match(j.warnings.join('\n'), /damaged tail of 7 bytes/);
  await again.journal.close();
});

test("another account's journal (another key) is moved aside, never deleted, and a new one started", async () => {
  const j = await journalAt();
  const { journal } = await j.open();
  journal.record('theirs', cell(1, 'v'));
  await journal.durable();
  await journal.close();
  const before = await readFile(j.path);
  const mine = await j.open(Secret.random());
  assert.deepEqual(mine.cells, []);
  assert.match(j.warnings.join('\n'), /belongs to another account or is damaged; it was moved to/);
  const aside = (await readdir(j.dir)).find((f) => f.includes('.unreadable-'))!;
  assert.deepEqual(await readFile(join(j.dir, aside)), before);
  await mine.journal.close();
});

test('a file that is not a journal is moved aside too', async () => {
  const j = await journalAt();
  await appendFile(j.path, 'hello: yaml\n');
  const { journal, cells } = await j.open();
  assert.deepEqual(cells, []);
  assert.match(j.warnings.join('\n'), /is not an account journal/);
  await journal.close();
});
