// `hypergolix account recovery-kit --out` naming a folder (a trailing "/", "/." or "/..") is
// refused before anything is asked or changed: path.resolve drops the slash, and the kit used to
// be written as a file named like the folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accountHome } from '../../fixtures/account/home.js';
import { runMain, STACK } from '../../fixtures/cli/in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'hgx-kit-out-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('--out naming a folder: exit 2 in words, nothing written, the config as it was', async () => {
  const { home } = await accountHome(join(dir, 'home'), 'velvet-harbor-quince-58');
  const config = readFileSync(join(home, 'hypergolix.yml'), 'utf8');
  const entries = readdirSync(home).sort();
  for (const out of [join(home, 'kits') + '/', join(home, 'kits') + '/.', home + '/', 'kits/', './', '..']) {
    const r = await runMain(home, 'account', 'recovery-kit', '--password-stdin', '--out', out);
    assert.equal(r.code, 2, `--out ${out}: ${r.out}\n${r.err}`);
    assert.match(r.err, /names a folder: give the file's name too, such as .*hypergolix-recovery-kit\.html\. Nothing was changed\.$/);
    assert.doesNotMatch(r.err, STACK);
    assert.equal(r.out, '');
    assert.equal(existsSync(join(home, 'kits')), false, 'no file named like the folder');
  }
  assert.deepEqual(readdirSync(home).sort(), entries);
  assert.equal(readFileSync(join(home, 'hypergolix.yml'), 'utf8'), config);
});
