// The under-load runner: test files run again and again in lanes beside a spinning process; the
// output of a failing run is kept, the exit status says whether any failed, and a bad command
// line is refused in words. Run on two tiny test files of its own (no hog: the machine's tests
// run beside it already).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/under-load.mjs');
const dir = mkdtempSync(join(tmpdir(), 'hgx-under-load-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, body: string) => {
  const path = join(dir, name);
  writeFileSync(path, `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\n${body}\n`);
  return path;
};
const passing = file('passes.test.mjs', "test('passes', () => assert.equal(1, 1));");
// Fails on its second run only: which runs failed must be told apart.
const counter = join(dir, 'runs');
const secondFails = file(
  'second-fails.test.mjs',
  `import { appendFileSync, readFileSync } from 'node:fs';
test('the second run fails', () => {
  appendFileSync(${JSON.stringify(counter)}, 'x');
  assert.notEqual(readFileSync(${JSON.stringify(counter)}, 'utf8').length, 2, 'second run');
});`,
);
const run = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

test('every run passing: one line per run, the tally, exit 0, nothing kept', () => {
  const keep = join(dir, 'kept-none');
  const r = run('--runs', '2', '--lanes', '2', '--hogs', '0', '--keep', keep, passing);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.match(/^lane \d, run \d: pass$/gm)?.length, 4);
  assert.match(r.stdout, /^4 of 4 runs passed beside 0 busy process\(es\)$/m);
  assert.deepEqual(readdirSync(keep), []);
});

test('a failing run: named, its output kept, exit 1', () => {
  const keep = join(dir, 'kept');
  const r = run('--runs', '3', '--lanes', '1', '--hogs', '1', '--keep', keep, secondFails);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /^lane 1, run 1: pass$/m);
  assert.match(r.stdout, /^lane 1, run 2: FAIL \(.*lane1-run2\.log\)$/m);
  assert.match(r.stdout, /^lane 1, run 3: pass$/m);
  assert.match(r.stdout, /^2 of 3 runs passed beside 1 busy process\(es\)$/m);
  assert.deepEqual(readdirSync(keep), ['lane1-run2.log']);
  assert.match(readFileSync(join(keep, 'lane1-run2.log'), 'utf8'), /not ok 1 - the second run fails/);
});

test('--name runs only the tests whose names match: a file with one failing test passes without it', () => {
  const both = file('both.test.mjs', "test('kept', () => assert.equal(1, 1));\ntest('left out', () => assert.fail('ran'));");
  const keep = join(dir, 'kept-named');
  const r = run('--runs', '1', '--lanes', '1', '--hogs', '0', '--keep', keep, '--name', '^kept$', both);
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /^1 of 1 runs passed/m);
  const all = run('--runs', '1', '--lanes', '1', '--hogs', '0', '--keep', keep, both);
  assert.equal(all.status, 1, 'without --name the failing test runs');
});

test('a bad command line is refused in words with exit 2, and nothing runs', () => {
  for (const [args, said] of [
    [['--runs', '0', passing], /--runs takes a whole number \(1 or more\), not "0"/],
    [['--hogs', '-1', passing], /--hogs takes a whole number \(0 or more\), not "-1"/],
    [['--lanes', 'two', passing], /--lanes takes a whole number \(1 or more\), not "two"/],
    [['--keep'], /--keep needs a value/],
    [['--name'], /--name needs a value/],
    [[], /^Usage: node scripts\/under-load\.mjs/],
    [['--repeat', '3', passing], /^Usage:/],
  ] as const) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, said, args.join(' '));
    assert.equal(r.stdout, '', 'nothing ran');
  }
});
