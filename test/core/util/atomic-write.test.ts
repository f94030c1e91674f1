import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { writeFileAtomic } from '../../../src/core/util/atomic-write.js';

const dir = mkdtempSync(join(tmpdir(), 'hgx-atomic-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const posix = process.platform !== 'win32';
const mode = (p: string) => statSync(p).mode & 0o777;

test('a new file gets its content and mode 0600 by default', async () => {
  const p = join(dir, 'new.txt');
  await writeFileAtomic(p, 'hello');
  assert.equal(readFileSync(p, 'utf8'), 'hello');
  if (posix) assert.equal(mode(p), 0o600);
});

test('newFileMode and an explicit mode are honoured despite the umask', { skip: !posix && 'POSIX modes' }, async () => {
  const a = join(dir, 'a.txt');
  await writeFileAtomic(a, 'x', { newFileMode: 0o644 });
  assert.equal(mode(a), 0o644);
  await writeFileAtomic(a, 'y', { mode: 0o660 });
  assert.equal(mode(a), 0o660);
});

test('replacing a file keeps its mode', { skip: !posix && 'POSIX modes' }, async () => {
  const p = join(dir, 'kept.txt');
  writeFileSync(p, 'old');
  chmodSync(p, 0o640);
  await writeFileAtomic(p, 'new');
  assert.equal(readFileSync(p, 'utf8'), 'new');
  assert.equal(mode(p), 0o640);
});

test('a failure before the rename leaves the old file byte-identical and no temp file behind', async () => {
  const p = join(dir, 'precious.txt');
  writeFileSync(p, 'original bytes\n');
  await assert.rejects(
    writeFileAtomic(p, 'half-baked', {
      beforeRename: (temp) => {
        assert.equal(readFileSync(temp, 'utf8'), 'half-baked');
        throw new Error('power cut');
      },
    }),
    /power cut/,
  );
  assert.equal(readFileSync(p, 'utf8'), 'original bytes\n');
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
});

test('a symlink is followed: its target is replaced and the link stays a link', { skip: !posix && 'symlinks need privileges on Windows' }, async () => {
  const target = join(dir, 'real.yml');
  const link = join(dir, 'link.yml');
  writeFileSync(target, 'a');
  symlinkSync(target, link);
  await writeFileAtomic(link, 'b');
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.equal(readFileSync(target, 'utf8'), 'b');
});

test('concurrent writers never interleave: the result is one whole version', async () => {
  const p = join(dir, 'race.txt');
  const versions = Array.from({ length: 20 }, (_, i) => String(i).repeat(50_000));
  await Promise.all(versions.map((v) => writeFileAtomic(p, v, { fsync: false })));
  assert.ok(versions.includes(readFileSync(p, 'utf8')));
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
});

test('writing into a missing directory fails without creating anything', async () => {
  await assert.rejects(writeFileAtomic(join(dir, 'nope', 'x.txt'), 'x'), { code: 'ENOENT' });
});
