#!/usr/bin/env node
// Builds every runtime bundle into dist/ with esbuild, and the SDK package (packages/hgx/dist);
// type-checking is `npm run typecheck`.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_BUILD, NODE_BUILD } from './build-options.mjs';

const root = new URL('..', import.meta.url).pathname;
const final = join(root, 'dist');
// Build beside dist/ and swap it in at the end, so tests and running processes reading dist/
// never see it half-written or empty while a rebuild runs.
const dist = join(root, `.dist-build-${process.pid}`);
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const targets = [
  { entry: 'src/cli/index.ts', outdir: 'dist/cli', opts: CLI_BUILD },
  { entry: 'src/main/main.ts', out: 'dist/main/main.js', opts: { ...NODE_BUILD, format: 'esm', external: ['electron'] } },
  // A sandboxed preload cannot be an ES module.
  { entry: 'src/preload/preload.ts', out: 'dist/preload/preload.cjs', opts: { ...NODE_BUILD, format: 'cjs', external: ['electron'] } },
  {
    entry: 'src/renderer/index.tsx',
    out: 'dist/renderer/app.js',
    opts: { platform: 'browser', target: 'chrome120', format: 'esm', bundle: true, minify: true, sourcemap: 'linked', jsx: 'automatic', logLevel: 'warning', define: { 'process.env.NODE_ENV': '"production"' } },
  },
];

await Promise.all(
  targets
    .filter((t) => existsSync(join(root, t.entry)))
    .map((t) => build({ ...t.opts, entryPoints: [join(root, t.entry)], ...(t.outdir ? { outdir: join(dist, t.outdir.replace(/^dist\//, '')) } : { outfile: join(dist, t.out.replace(/^dist\//, '')) }) })),
);

for (const [from, to] of [['src/renderer/static', 'renderer'], ['assets', 'assets']]) {
  if (existsSync(join(root, from))) cpSync(join(root, from), join(dist, to), { recursive: true });
}

// The SDK is its own workspace package (packages/hgx, @hypergolix/hgx); the app ships it as a
// dependency, built into packages/hgx/dist by the package's own build.
execFileSync(process.execPath, [join(root, 'packages/hgx/scripts/build.mjs')], { cwd: join(root, 'packages/hgx'), stdio: 'inherit' });

const old = join(root, `.dist-old-${process.pid}`);
if (existsSync(final)) renameSync(final, old);
renameSync(dist, final);
rmSync(old, { recursive: true, force: true });
console.log('build: dist/ ready');
