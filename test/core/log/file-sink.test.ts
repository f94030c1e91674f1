// Unit tests for the log file writer itself (src/core/log/file-sink.ts): what reaches the disk, how
// files are named, rotated and pruned, and what happens when the directory or the disk fails.
// The logger on top of it (names, levels, formatting) is tested in logger.test.ts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { FileSink } from '../../../src/core/log/file-sink.js';
import { mountSmallDisk } from '../../fixtures/server/small-disk.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-file-sink-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A sink closed after the test even if an assertion fails first. */
function sink(t: TestContext, path: string, options: Partial<ConstructorParameters<typeof FileSink>[1]> = {}): FileSink {
  const s = new FileSink(path, { maxSize: 0, maxFiles: 10, ...options });
  t.after(() => s.close());
  return s;
}

/** A record as the logger formats it (format.ts): `ISO-time LEVEL scope: message`. */
function record(message: string): string {
  return `2024-05-01T09:08:07.000Z INFO    test: ${message}`;
}

const RECORD = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (ERROR|WARN|INFO|DEBUG|SHOUTY|EXTREME) +\S+: /;
const NOTE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN {4}log: (\d+) line\(s\) could not be written \((.*)\)$/;

/** The physical lines of a file, asserting it ends with a newline (no partial last line). */
function linesIn(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  if (text === '') return [];
  assert.ok(text.endsWith('\n'), `${basename(path)} ends inside a line: ${JSON.stringify(text.slice(-80))}`);
  return text.slice(0, -1).split('\n');
}

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

/** How many of this process's descriptors are open on `path` (Linux /proc). */
function openDescriptors(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      // the descriptor readdir itself used is gone by now
    }
  }
  return n;
}

test('lines reach the file whole, in order and at once (before close); directory 0700, file 0600', (t) => {
  const dir = join(tempDir(t), 'deep', 'logs');
  const path = join(dir, 'hgxapp_2024.05.01_09.08.07.log');
  const s = sink(t, path);
  assert.equal(s.path, path);
  assert.equal(mode(dir), '700');
  assert.equal(mode(path), '600');
  assert.equal(readFileSync(path, 'utf8'), '', 'a new, empty file');

  const written: string[] = [];
  for (let i = 0; i < 300; i++) written.push(record(`line ${i} ${'x'.repeat(i % 97)}`));
  // A record with continuation lines (format.ts indents them) and one far larger than a pipe buffer.
  written.splice(100, 0, record('multi\n    continued\n    again'));
  written.splice(200, 0, record('big ' + 'y'.repeat(300_000)));
  for (const line of written) s.write(line);
  // Synchronous: everything is in the file before close.
  assert.equal(readFileSync(path, 'utf8'), written.map((l) => l + '\n').join(''));
  s.close();
  assert.equal(readFileSync(path, 'utf8'), written.map((l) => l + '\n').join(''));
});

test('close releases the descriptor; later lines are dropped silently and nothing is reopened', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'hgxapp.log');
  const s = sink(t, path, { checkIntervalMs: 0 });
  s.write(record('before close'));
  assert.equal(openDescriptors(path), 1);
  s.close();
  assert.equal(openDescriptors(path), 0, 'the descriptor stays open after close');
  assert.doesNotThrow(() => s.write(record('after close')));
  assert.deepEqual(linesIn(path), [record('before close')]);
  // Not even a deleted file is recreated once closed.
  unlinkSync(path);
  assert.doesNotThrow(() => s.write(record('after close and delete')));
  assert.doesNotThrow(() => s.close());
  assert.equal(existsSync(path), false);
  assert.deepEqual(readdirSync(dir), []);
});

test('a restart in the same second gets _2, _3 …, never touching an existing file; two sinks never interleave', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'hgxapp_2024.05.01_09.08.07.log');
  writeFileSync(path, 'previous run\n');
  writeFileSync(join(dir, 'hgxapp_2024.05.01_09.08.07.1.log'), 'previous backup\n');
  const b = sink(t, path);
  const c = sink(t, path);
  assert.equal(basename(b.path), 'hgxapp_2024.05.01_09.08.07_2.log');
  assert.equal(basename(c.path), 'hgxapp_2024.05.01_09.08.07_3.log');
  for (let i = 0; i < 50; i++) {
    b.write(record(`b ${i}`));
    c.write(record(`c ${i}`));
  }
  b.close();
  c.close();
  assert.equal(readFileSync(path, 'utf8'), 'previous run\n');
  assert.equal(readFileSync(join(dir, 'hgxapp_2024.05.01_09.08.07.1.log'), 'utf8'), 'previous backup\n');
  assert.deepEqual(linesIn(b.path), Array.from({ length: 50 }, (_, i) => record(`b ${i}`)));
  assert.deepEqual(linesIn(c.path), Array.from({ length: 50 }, (_, i) => record(`c ${i}`)));
  assert.equal(mode(b.path), '600');
});

test('once name, _2 … _100 all exist, construction throws EEXIST rather than reuse one', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'x.log');
  writeFileSync(path, 'keep 1\n');
  for (let n = 2; n <= 100; n++) writeFileSync(join(dir, `x_${n}.log`), `keep ${n}\n`);
  assert.throws(() => new FileSink(path, { maxSize: 0, maxFiles: 1 }), { code: 'EEXIST' });
  assert.equal(readdirSync(dir).length, 100);
  assert.equal(readFileSync(path, 'utf8'), 'keep 1\n');
  assert.equal(readFileSync(join(dir, 'x_100.log'), 'utf8'), 'keep 100\n');
});

test('rotation: name.1.log is the newest backup, no line is lost or split, no file passes maxSize', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'hgxapp_2024.05.01_09.08.07.log');
  const s = sink(t, path, { maxSize: 1000, maxFiles: 100 });
  const written = Array.from({ length: 120 }, (_, i) => record(`${String(i).padStart(3, '0')} ${'z'.repeat((i * 7) % 60)}`));
  for (const line of written) s.write(line);
  s.close();
  const names = readdirSync(dir).sort();
  const backups = names.length - 1;
  assert.ok(backups >= 5, `only ${backups} rotations`);
  const expected = ['hgxapp_2024.05.01_09.08.07.log'];
  for (let n = 1; n <= backups; n++) expected.push(`hgxapp_2024.05.01_09.08.07.${n}.log`);
  assert.deepEqual(names, expected.sort());
  // Oldest (highest number) first, the live file last: exactly what was written, in order.
  const ordered: string[] = [];
  for (let n = backups; n >= 1; n--) ordered.push(join(dir, `hgxapp_2024.05.01_09.08.07.${n}.log`));
  ordered.push(path);
  const all: string[] = [];
  for (const file of ordered) {
    const lines = linesIn(file);
    assert.ok(lines.length > 0, `${basename(file)} is empty`);
    assert.ok(statSync(file).size <= 1000, `${basename(file)} is ${statSync(file).size} bytes`);
    assert.equal(mode(file), '600', basename(file));
    all.push(...lines);
  }
  assert.deepEqual(all, written);
});

test('rotation keeps maxFiles backups (floored; 0 or less keeps only the live file), with the newest lines', (t) => {
  for (const [maxFiles, kept] of [
    [3, 3],
    [2.9, 2],
    [0, 0],
    [-4, 0],
  ] as const) {
    const dir = tempDir(t);
    const path = join(dir, 'hgxserver.log');
    const s = sink(t, path, { maxSize: 500, maxFiles });
    const written = Array.from({ length: 80 }, (_, i) => record(`n=${String(i).padStart(2, '0')}`));
    for (const line of written) s.write(line);
    s.close();
    const expected = ['hgxserver.log', ...Array.from({ length: kept }, (_, i) => `hgxserver.${i + 1}.log`)];
    assert.deepEqual(readdirSync(dir).sort(), expected.sort(), `maxFiles ${maxFiles}`);
    const files = [...Array.from({ length: kept }, (_, i) => join(dir, `hgxserver.${kept - i}.log`)), path];
    const all = files.flatMap(linesIn);
    // The newest lines, contiguous, ending with the last one written.
    assert.deepEqual(all, written.slice(written.length - all.length), `maxFiles ${maxFiles}`);
    assert.ok(all.length < written.length);
  }
});

test('a line longer than maxSize goes whole into a file of its own; a name without extension rotates to name.1', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'plain');
  const s = sink(t, path, { maxSize: 100, maxFiles: 5 });
  const long = record('L'.repeat(400));
  s.write(record('a'));
  s.write(long);
  s.write(record('c'));
  s.close();
  assert.deepEqual(readdirSync(dir).sort(), ['plain', 'plain.1', 'plain.2']);
  assert.deepEqual(linesIn(join(dir, 'plain.2')), [record('a')]);
  assert.deepEqual(linesIn(join(dir, 'plain.1')), [long]);
  assert.deepEqual(linesIn(path), [record('c')]);
});

test("a same-second restart rotates into its own backups (x_2.1.log), never the first run's", (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'x.log');
  const a = sink(t, path, { maxSize: 200, maxFiles: 2 });
  for (let i = 0; i < 6; i++) a.write(record(`a${i} ${'.'.repeat(60)}`));
  a.close();
  const before = Object.fromEntries(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n), 'utf8')]));
  assert.deepEqual(Object.keys(before).sort(), ['x.1.log', 'x.2.log', 'x.log']);
  const b = sink(t, path, { maxSize: 200, maxFiles: 2 });
  assert.equal(basename(b.path), 'x_2.log');
  for (let i = 0; i < 12; i++) b.write(record(`b${i} ${'.'.repeat(60)}`));
  b.close();
  assert.deepEqual(readdirSync(dir).sort(), ['x.1.log', 'x.2.log', 'x.log', 'x_2.1.log', 'x_2.2.log', 'x_2.log']);
  for (const [name, text] of Object.entries(before)) assert.equal(readFileSync(join(dir, name), 'utf8'), text, name);
  for (const name of ['x_2.1.log', 'x_2.2.log', 'x_2.log']) {
    for (const line of linesIn(join(dir, name))) assert.match(line, /test: b\d+ /, name);
  }
});

test('a log directory that cannot be created makes the constructor throw, creating nothing', (t) => {
  const root = tempDir(t);
  const file = join(root, 'in-the-way');
  writeFileSync(file, 'not a directory\n');
  // The directory itself is a file, or a parent of it is.
  assert.throws(() => new FileSink(join(file, 'hgxapp.log'), { maxSize: 0, maxFiles: 1 }), { code: /^(EEXIST|ENOTDIR)$/ });
  assert.throws(() => new FileSink(join(file, 'logs', 'hgxapp.log'), { maxSize: 0, maxFiles: 1 }), { code: 'ENOTDIR' });
  assert.equal(readFileSync(file, 'utf8'), 'not a directory\n');
  assert.deepEqual(readdirSync(root), ['in-the-way']);
});

test('a file put where the directory was: writes never throw, and one note counts the lost lines once writing works again', (t) => {
  const dir = join(tempDir(t), 'logs');
  const path = join(dir, 'hgxapp.log');
  const s = sink(t, path, { checkIntervalMs: 0 });
  s.write(record('before'));
  rmSync(dir, { recursive: true });
  writeFileSync(dir, 'in the way\n');
  assert.doesNotThrow(() => {
    for (let i = 0; i < 7; i++) s.write(record(`lost ${i}`));
  });
  assert.equal(readFileSync(dir, 'utf8'), 'in the way\n', 'the sink wrote into the file in the way');
  rmSync(dir);
  s.write(record('after 1'));
  s.write(record('after 2'));
  s.close();
  const lines = linesIn(path);
  assert.equal(lines.length, 3, lines.join('\n'));
  const note = NOTE.exec(lines[0]!);
  assert.ok(note, `not a note: ${lines[0]}`);
  assert.equal(note[1], '7');
  assert.match(note[2]!, /EEXIST|ENOTDIR/);
  assert.match(lines[0]!, RECORD);
  assert.deepEqual(lines.slice(1), [record('after 1'), record('after 2')]);
  assert.equal(mode(dir), '700');
  assert.equal(mode(path), '600');
});

test('a deleted file is recreated (0600) at the next check, and nothing is noted when nothing was lost', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'hgxapp.log');
  const eager = sink(t, path, { checkIntervalMs: 0 });
  eager.write(record('a'));
  unlinkSync(path);
  eager.write(record('b'));
  eager.write(record('c'));
  eager.close();
  assert.deepEqual(linesIn(path), [record('b'), record('c')]);
  assert.equal(mode(path), '600');

  const path2 = join(dir, 'rate-limited.log');
  const lazy = sink(t, path2, { checkIntervalMs: 40 });
  lazy.write(record('a'));
  unlinkSync(path2);
  await new Promise((r) => setTimeout(r, 60));
  lazy.write(record('after the interval'));
  lazy.close();
  assert.deepEqual(linesIn(path2), [record('after the interval')]);
});

test('its name taken by something else meanwhile (here a link to /dev/full): not written into; the next free name, nothing lost', (t) => {
  if (!existsSync('/dev/full')) return t.skip('no /dev/full on this platform');
  const dir = tempDir(t);
  const path = join(dir, 'hgxapp.log');
  const s = sink(t, path, { checkIntervalMs: 0 });
  s.write(record('before'));
  // The live file goes, and its name now leads to a device whose every write fails (ENOSPC):
  // not the sink's file, so it is left alone.
  unlinkSync(path);
  symlinkSync('/dev/full', path);
  assert.doesNotThrow(() => {
    for (let i = 0; i < 5; i++) s.write(record(`next ${i}`));
  });
  s.close();
  assert.equal(s.path, join(dir, 'hgxapp_2.log'));
  assert.deepEqual(linesIn(s.path), [0, 1, 2, 3, 4].map((i) => record(`next ${i}`)));
});

/** Writes numbered records of ~700 bytes on a real small tmpfs, filling it midway, then frees it. */
function fullDiskRun(t: TestContext): { written: string[]; lines: string[] } | null {
  const disk = mountSmallDisk(256 * 1024);
  if (typeof disk === 'string') {
    t.skip(disk);
    return null;
  }
  t.after(() => disk.unmount());
  const path = join(disk.dir, 'logs', 'hgxapp.log');
  mkdirSync(join(disk.dir, 'logs'));
  const s = new FileSink(path, { maxSize: 0, maxFiles: 2, checkIntervalMs: 0 });
  const written: string[] = [];
  const write = (i: number) => {
    const line = record(`#${String(i).padStart(3, '0')} ${'p'.repeat(680)}`);
    written.push(line);
    assert.doesNotThrow(() => s.write(line));
  };
  let i = 0;
  for (; i < 3; i++) write(i);
  disk.fill();
  for (; i < 30; i++) write(i);
  disk.free();
  for (; i < 35; i++) write(i);
  s.close();
  const text = readFileSync(path, 'utf8');
  return { written, lines: text.split('\n').slice(0, text.endsWith('\n') ? -1 : undefined) };
}

test('a real full disk (tmpfs): writes never throw, and writing resumes with a note once there is room', (t) => {
  const run = fullDiskRun(t);
  if (!run) return;
  const { written, lines } = run;
  assert.ok(lines.length < written.length, 'the disk never filled');
  // The lines written after the room came back are all there, whole and last.
  assert.deepEqual(lines.slice(-5), written.slice(-5));
  // (Only that a note is there: whether it is whole and its count right is the next test's.)
  assert.ok(lines.some((l) => /WARN {4}log: \d+ line\(s\) could not be written \(ENOSPC/.test(l)), 'no note about the lost lines');
});

test('a real full disk (tmpfs): no torn record is left in the file, one note, and it counts the lost lines exactly', (t) => {
  const run = fullDiskRun(t);
  if (!run) return;
  const { written, lines } = run;
  const wholeRecords = new Set(written);
  const torn = lines.filter((l) => !wholeRecords.has(l) && !NOTE.test(l));
  assert.deepEqual(torn.map((l) => l.slice(0, 60) + '…' + l.slice(-60)), [], 'partial records (or notes glued onto them) in the file');
  const notes = lines.filter((l) => NOTE.test(l));
  assert.equal(notes.length, 1, `${notes.length} notes`);
  const lost = written.filter((l) => !lines.includes(l)).length;
  assert.equal(NOTE.exec(notes[0]!)![1], String(lost), `${lost} records are missing from the file`);
});

test("a sink whose file was deleted does not reopen into a same-second restart's new file", (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'hgxapp_2024.05.01_09.08.07.log');
  const a = sink(t, path, { checkIntervalMs: 0 });
  a.write(record('a before'));
  // The live file goes (an operator cleaning logs/, or the instant between a rotation's rename and
  // reopen), and another start in the same second takes the free name with O_EXCL.
  unlinkSync(path);
  const b = sink(t, path, { checkIntervalMs: 0 });
  b.write(record('b 1'));
  a.write(record('a after'));
  b.write(record('b 2'));
  a.close();
  b.close();
  // "two starts within the same second must get two files, not interleave in one" (file-sink.ts)
  assert.deepEqual(linesIn(b.path), [record('b 1'), record('b 2')], `${basename(b.path)} holds another sink's lines`);
});
