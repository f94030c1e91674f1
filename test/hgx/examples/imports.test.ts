// The examples are what app developers copy: they use the SDK by its package name only (its
// public API), plus Node built-ins and ws in the Node hosts, and each other by relative path
// inside examples/. The page's own code (browser/app.js, shared-notes/notes.js) uses no Node at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { importsOf } from '../../layering/import-scan.js';

const EXAMPLES = resolve(import.meta.dirname, '../../../packages/hgx/examples');
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : /\.m?js$/.test(n) ? [join(dir, n)] : []));
/** What runs in the browser page. */
const PAGE = new Set(['browser/app.js', 'shared-notes/notes.js']);

test('the examples import the SDK by name only, and the page code no Node', () => {
  const files = walk(EXAMPLES);
  assert.ok(files.length >= 5);
  const bad = files.flatMap((f) => {
    const rel = relative(EXAMPLES, f);
    return importsOf(readFileSync(f, 'utf8'))
      .filter((s) => {
        if (s === '@hypergolix/hgx') return false;
        if (s.startsWith('.')) return !resolve(dirname(f), s).startsWith(EXAMPLES + '/');
        return PAGE.has(rel) || !(builtins.has(s) || s === 'ws');
      })
      .map((s) => `${rel}: ${s}`);
  });
  assert.deepEqual(bad, []);
});
