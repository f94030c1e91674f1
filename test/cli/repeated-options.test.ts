// An option given twice with different values is refused (exit 2, one line naming it), in every
// command that parses with node:util, which would otherwise keep the last value silently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMain, STACK } from '../fixtures/cli/in-process.js';

const home = mkdtempSync(join(tmpdir(), 'hgx-repeated-'));
test.after(() => rmSync(home, { recursive: true, force: true }));

const USER_ID = `A${'b'.repeat(86)}=`;

test('an option given twice with different values: exit 2 naming it, before anything is done', async () => {
  const cases: [string[], string][] = [
    [['account', 'login', '--user-id', USER_ID, '--remote', '127.0.0.1:1', '--remote', '127.0.0.1:2'], '--remote'],
    [['account', 'login', '--user-id', USER_ID, '--user-id=other', '--remote', '127.0.0.1:1'], '--user-id'],
    [['status', '--root', join(home, 'a'), '--root', join(home, 'b')], '--root'],
    [['stop', 'app', '--root', join(home, 'a'), '--root', join(home, 'b')], '--root'],
    [['stop', 'server', '--root', join(home, 'a'), '--root', join(home, 'b')], '--root'],
    [['start', 'server', '--root', join(home, 'a'), '--root', join(home, 'b')], '--root'],
    [['server', 'migrate', '--from', 'files', '--to', 'postgres', '--from', 'postgres'], '--from'],
    [['server', 'accounts', 'invite', '--uses', '1', '--uses', '5'], '--uses'],
    [['account', 'recovery-kit', '--out', 'a.html', '--out', 'b.html'], '--out'],
    [['start', 'app', '--ui', '--port', '1', '--port', '2'], '--port'],
  ];
  for (const [argv, option] of cases) {
    const r = await runMain(home, ...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.ok(r.err.split('\n')[0]!.endsWith(`${option} is given twice with different values`), `${argv.join(' ')}: ${r.err}`);
    assert.doesNotMatch(r.err, STACK);
    assert.equal(r.out, '');
  }
});

test('an option repeated with the same value is taken, as before', async () => {
  const r = await runMain(home, 'status', '--json', '--json', '--root', join(home, 'none'), '--root', join(home, 'none'));
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /No hypergolix\.yml .* found/);
});
