// Enforces the layer table of ../shared/docs/architecture.md, and the floors inside src/core
// (docs/architecture-notes.md), by reading every import in src/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { CORE_FLOORS, floorViolations } from './floors.js';
import { importsOf } from './import-scan.js';

const root = resolve(import.meta.dirname, '../..');
const src = join(root, 'src');
/** The SDK, a workspace package of its own (@hypergolix/hgx). */
const sdk = join(root, 'packages/hgx/src');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : /\.(ts|tsx|mts|cts)$/.test(name) ? [p] : [];
  });
}

export { importsOf };

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const files = [...walk(src), ...walk(sdk)].map((f) => ({ file: relative(root, f), specs: importsOf(readFileSync(f, 'utf8')), dir: dirname(f) }));
const inside = (spec: string, dir: string, folder: string) =>
  spec.startsWith('.') && resolve(dir, spec).startsWith(join(src, folder) + '/');
const insideSdk = (spec: string, dir: string) => spec.startsWith('.') && resolve(dir, spec).startsWith(sdk + '/');

test('the import scanner sees every import form', () => {
  const code = `import a from 'x';\nimport { b } from "y";\nimport 'z';\nexport * from './w.js';\nconst c = await import('v');\nrequire('u');`;
  assert.deepEqual(importsOf(code).sort(), ['u', 'v', 'w', 'x', 'y', 'z'].map((s) => (s === 'w' ? './w.js' : s)).sort());
});

test('src/core imports neither electron nor react', () => {
  const bad = files
    .filter((f) => f.file.startsWith('src/core/'))
    .flatMap((f) => f.specs.filter((s) => /^(electron|react|react-dom)(\/|$)/.test(s)).map((s) => `${f.file}: ${s}`));
  assert.deepEqual(bad, []);
});

test('src/core/golix imports only node:crypto, node:buffer, the wire module and itself', () => {
  const bad = files
    .filter((f) => f.file.startsWith('src/core/golix/'))
    .flatMap((f) =>
      f.specs
        .filter((s) => !(s === 'node:crypto' || s === 'node:buffer' || inside(s, f.dir, 'core/golix') || inside(s, f.dir, 'wire')))
        .map((s) => `${f.file}: ${s}`),
    );
  assert.deepEqual(bad, []);
});

test('src/wire (the runtime-neutral wire module) imports nothing outside itself: no package, no Node builtin', () => {
  const wire = files.filter((f) => f.file.startsWith('src/wire/'));
  assert.ok(wire.length > 0);
  const bad = wire.flatMap((f) => f.specs.filter((s) => !inside(s, f.dir, 'wire')).map((s) => `${f.file}: ${s}`));
  assert.deepEqual(bad, []);
});

test('src/wire uses no Buffer and no Node-only globals', () => {
  const bad = walk(join(src, 'wire'))
    .filter((f) => /\b(Buffer|process|require|__dirname|setImmediate)\b/.test(readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')))
    .map((f) => relative(root, f));
  assert.deepEqual(bad, []);
});

test('src/renderer imports neither src/core, electron nor Node builtins', () => {
  const bad = files
    .filter((f) => f.file.startsWith('src/renderer/'))
    .flatMap((f) =>
      f.specs
        .filter((s) => builtins.has(s) || /^electron(\/|$)/.test(s) || inside(s, f.dir, 'core') || inside(s, f.dir, 'main') || inside(s, f.dir, 'host'))
        .map((s) => `${f.file}: ${s}`),
    );
  assert.deepEqual(bad, []);
});

test('src/common and src/preload never import src/core; only src/main and src/preload import electron', () => {
  const bad = files.flatMap((f) =>
    f.specs
      .filter(
        (s) =>
          ((f.file.startsWith('src/common/') || f.file.startsWith('src/preload/')) && inside(s, f.dir, 'core')) ||
          (/^electron(\/|$)/.test(s) && !f.file.startsWith('src/main/') && !f.file.startsWith('src/preload/')),
      )
      .map((s) => `${f.file}: ${s}`),
  );
  assert.deepEqual(bad, []);
});

test('src/host (the Electron-free controller) imports only src/core, src/common and itself; never electron or react', () => {
  const bad = files
    .filter((f) => f.file.startsWith('src/host/'))
    .flatMap((f) =>
      f.specs
        .filter(
          (s) =>
            /^(electron|react|react-dom)(\/|$)/.test(s) ||
            (s.startsWith('.') && !inside(s, f.dir, 'host') && !inside(s, f.dir, 'core') && !inside(s, f.dir, 'common')),
        )
        .map((s) => `${f.file}: ${s}`),
    );
  assert.deepEqual(bad, []);
});

test('nothing below the hosts imports src/host, src/main, src/web or src/cli', () => {
  const lower = ['src/core/', 'src/common/', 'src/preload/', 'src/renderer/', 'packages/hgx/src/'];
  const bad = files
    .filter((f) => lower.some((l) => f.file.startsWith(l)))
    .flatMap((f) => f.specs.filter((s) => ['host', 'main', 'web', 'cli'].some((h) => inside(s, f.dir, h))).map((s) => `${f.file}: ${s}`));
  assert.deepEqual(bad, []);
});

test('the SDK (packages/hgx/src) imports only the wire module, itself, ws and (in its Node runtime only) Node builtins', () => {
  const sdkFiles = files.filter((f) => f.file.startsWith('packages/hgx/src/'));
  assert.ok(sdkFiles.some((f) => f.file.endsWith('/runtime-node.ts')));
  const bad = sdkFiles.flatMap((f) =>
    f.specs
      .filter((s) => {
        if (s.startsWith('.')) return !insideSdk(s, f.dir) && !inside(s, f.dir, 'wire');
        // Only the Node runtime (swapped out of the browser build) may reach Node or ws.
        return !(f.file.endsWith('/runtime-node.ts') && (builtins.has(s) || s === 'ws'));
      })
      .map((s) => `${f.file}: ${s}`),
  );
  assert.deepEqual(bad, []);
});

test('nothing in src/ imports the SDK package (the app uses it only as a dependency)', () => {
  const bad = files
    .filter((f) => f.file.startsWith('src/'))
    .flatMap((f) => f.specs.filter((s) => insideSdk(s, f.dir) || s.startsWith('@hypergolix/hgx')).map((s) => `${f.file}: ${s}`));
  assert.deepEqual(bad, []);
});

test('inside src/core every folder sits on a floor and imports only its own folder, lower floors, or siblings without a cycle', () => {
  const scanned = files.map((f) => ({ file: relative(src, join(root, f.file)), specs: f.specs }));
  assert.deepEqual(floorViolations(scanned), []);
  const folders = new Set(scanned.map((f) => f.file.split('/')).filter((p) => p[0] === 'core' && p.length > 2).map((p) => p[1]!));
  assert.deepEqual([...folders].sort(), Object.keys(CORE_FLOORS).sort(), 'the floor table names exactly the folders of src/core');
});

test('the floor rule reports an import that runs up, including into the assembly', () => {
  const bad = floorViolations([
    { file: 'core/store/x.ts', specs: ['../ipc/server.js', '../golix/index.js', './entry.js'] },
    { file: 'core/daemon/y.ts', specs: ['../assembly/app.js'] },
  ]);
  assert.equal(bad.length, 2);
  assert.match(bad[0]!, /^core\/store\/x\.ts: \.\.\/ipc\/server\.js runs up from store \(floor 2\) to ipc \(floor 6\)$/);
  assert.match(bad[1]!, /^core\/daemon\/y\.ts: \.\.\/assembly\/app\.js runs up from daemon \(floor 5\) to assembly \(floor 7\)$/);
});

test('the floor rule allows a sibling one way and reports siblings that import each other', () => {
  assert.deepEqual(floorViolations([{ file: 'core/account/a.ts', specs: ['../objects/object-io.js'] }]), []);
  const bad = floorViolations([
    { file: 'core/account/a.ts', specs: ['../objects/object-io.js'] },
    { file: 'core/objects/s.ts', specs: ['../account/account-map.js'] },
  ]);
  assert.equal(bad.length, 2);
  assert.ok(bad.every((b) => /core\/(account|objects) and core\/(account|objects) import each other/.test(b)), bad.join('\n'));
});

test('the floor rule reports a folder without a floor, and files directly in src/core', () => {
  const bad = floorViolations([
    { file: 'core/newroom/x.ts', specs: [] },
    { file: 'core/index.ts', specs: [] },
    { file: 'core/daemon/z.ts', specs: ['../newroom/x.js'] },
    { file: 'cli/main.ts', specs: ['../core/assembly/app.js'] },
  ]);
  assert.deepEqual(bad, [
    'core/newroom/x.ts: core/newroom has no floor (add it to CORE_FLOORS)',
    'core/index.ts: core/ has no floor (add it to CORE_FLOORS)',
    'core/daemon/z.ts: ../newroom/x.js is in core/newroom, which has no floor',
  ]);
});

test('in the SDK, the link and its objects do not import each other (they meet in port.ts)', () => {
  const of = (name: string) => files.find((f) => f.file === `packages/hgx/src/${name}`)!;
  const imports = (from: string, to: string) => of(from).specs.some((s) => s.startsWith('.') && resolve(of(from).dir, s) === join(sdk, to));
  assert.equal(imports('objects.ts', 'link.js'), false);
  assert.equal(imports('link.ts', 'objects.js'), false);
  assert.equal(imports('port.ts', 'objects.js') || imports('port.ts', 'link.js'), false);
});
