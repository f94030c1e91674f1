import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirs, makeDirsSync } from '../../../src/core/util/make-dirs.js';

const temp = mkdtempSync(join(tmpdir(), 'hgx-mkdirs-'));
test.after(() => rmSync(temp, { recursive: true, force: true }));

for (const [name, make] of [
  ['makeDirs', (p: string, mode?: number) => makeDirs(p, mode)],
  ['makeDirsSync', async (p: string, mode?: number) => makeDirsSync(p, mode)],
] as const) {
  test(`${name}: every missing level is made with the mode; an existing path is fine; a file in the way is ENOTDIR`, async () => {
    const deep = join(temp, name, 'a', 'b', 'c');
    await make(deep, 0o700);
    assert.ok(statSync(deep).isDirectory());
    assert.equal(statSync(join(temp, name, 'a')).mode & 0o777, 0o700);
    await make(deep, 0o700);
    writeFileSync(join(temp, name, 'file'), 'x');
    await assert.rejects(make(join(temp, name, 'file', 'below')), (e: NodeJS.ErrnoException) => e.code === 'ENOTDIR' && e.message.includes(join(temp, name, 'file')));
  });

  // Node 20's own recursive mkdir never settles here: it retries the parent for ever.
  test(`${name}: a level that cannot be made although its parent exists (/proc) fails with its error, at once`, { skip: existsSync('/proc/self') ? false : 'no /proc on this system' }, async () => {
    await assert.rejects(make('/proc/hgx-never/below'), (e: NodeJS.ErrnoException) => typeof e.code === 'string' && e.message.includes('/proc/hgx-never'));
  });
}

test('makeDirs: several made at once, the same path and its parents, all succeed', async () => {
  const target = join(temp, 'racing', 'x', 'y');
  await Promise.all([makeDirs(target), makeDirs(join(temp, 'racing', 'x')), makeDirs(target), makeDirs(join(target, 'z'))]);
  assert.ok(statSync(join(target, 'z')).isDirectory());
});
