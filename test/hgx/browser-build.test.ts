// The SDK's browser build (dist/browser.js, the package's "browser" export): bundled again for
// the browser by esbuild, as an app's bundler would, it pulls in no Node built-in and not `ws`;
// the Node build keeps `ws` an import and holds no copy of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '../..');
const PKG = join(ROOT, 'packages/hgx');
const built = existsSync(join(PKG, 'dist/browser.js')) && existsSync(join(PKG, 'dist/index.js'));
const skip = built ? false : 'packages/hgx/dist is not built (npm test builds it first)';
const linked = existsSync(join(ROOT, 'node_modules/@hypergolix/hgx/package.json'));
const skipByName = skip || (linked ? false : 'node_modules/@hypergolix/hgx is not linked: run npm install (workspaces)');
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const isNodeOnly = (spec: string) => builtins.has(spec) || spec.startsWith('node:') || spec === 'ws' || spec.startsWith('ws/');

/** Every import the bundle's inputs make, as written. */
const importsOf = (meta: Metafile) => Object.values(meta.inputs).flatMap((i) => i.imports.map((x) => x.original ?? x.path));

test('the package exports a browser build for bundlers and a Node build for Node, with types first', () => {
  const pkg = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8'));
  const root = pkg.exports['.'];
  assert.deepEqual(Object.keys(root), ['types', 'browser', 'node', 'default']);
  assert.equal(root.browser, './dist/browser.js');
  assert.equal(root.node, './dist/index.js');
  assert.equal(pkg.sideEffects, false);
  assert.deepEqual(Object.keys(pkg.dependencies), ['ws']);
});

/** Bundles `contents` for the browser, failing on any import of a Node built-in or ws. */
function browserBundle(contents: string, seen: string[] = []) {
  return build({
    stdin: { contents, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [
      {
        name: 'refuse-node',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            seen.push(args.path);
            return isNodeOnly(args.path) ? { errors: [{ text: `imports ${args.path} (from ${args.importer})` }] } : undefined;
          });
        },
      },
    ],
  });
}

test('the check itself: the Node build, bundled for the browser, is refused for its Node imports', { skip }, async () => {
  await assert.rejects(browserBundle(`export * from ${JSON.stringify(join(PKG, 'dist/index.js'))};`), /imports (node:|ws)/);
});

test('bundled for the browser from its package name, the SDK imports no Node built-in and not ws', { skip: skipByName }, async () => {
  const seen: string[] = [];
  const r = await browserBundle("export { HGXLink, JsonObj } from '@hypergolix/hgx';", seen);
  assert.ok(Object.keys(r.metafile.inputs).some((f) => f.endsWith('packages/hgx/dist/browser.js')), 'the browser condition picks dist/browser.js');
  assert.deepEqual(importsOf(r.metafile).filter(isNodeOnly), []);
  assert.ok(seen.includes('@hypergolix/hgx'));
  // It is one self-contained file: the wire module is inside it, nothing of this repository is imported.
  assert.deepEqual(Object.keys(r.metafile.inputs).filter((f) => !f.endsWith('packages/hgx/dist/browser.js') && f !== '<stdin>'), []);
});

test('the Node build leaves ws and the Node built-ins as imports, and imports nothing else', { skip }, async () => {
  const r = await build({ entryPoints: [join(PKG, 'dist/index.js')], bundle: true, platform: 'node', format: 'esm', write: false, metafile: true, packages: 'external', logLevel: 'silent' });
  const specs = new Set(importsOf(r.metafile));
  assert.ok(specs.has('ws'));
  assert.deepEqual([...specs].filter((s) => !isNodeOnly(s)), []);
});
