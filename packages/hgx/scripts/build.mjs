#!/usr/bin/env node
// Builds @hypergolix/hgx into dist/: the Node build (index.js: `ws` stays an import), the
// browser build (browser.js: the global WebSocket, refused if anything in it imports a Node
// built-in or `ws`), and the type declarations (types/, with the wire module's under types/wire).
// The wire module (the repository's src/wire, shared with the daemon) is bundled into both
// builds, so the package depends on nothing of this repository.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { builtinModules, createRequire } from 'node:module';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const pkg = new URL('..', import.meta.url).pathname;
const final = join(pkg, 'dist');
// Built beside dist/ and swapped in at the end: tests and apps reading dist/ never see it half-written.
const out = join(pkg, `.dist-build-${process.pid}`);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const common = { entryPoints: [join(pkg, 'src/index.ts')], bundle: true, format: 'esm', sourcemap: 'linked', logLevel: 'warning', metafile: true };

/** In the browser build, the Node runtime module is replaced by the browser one. */
const browserRuntime = {
  name: 'hgx-browser-runtime',
  setup(b) {
    b.onResolve({ filter: /\/runtime-node\.js$/ }, () => ({ path: join(pkg, 'src/runtime-browser.ts') }));
  },
};

/** Fails the browser build on any import of a Node built-in or of `ws`. */
export const noNodeImports = {
  name: 'hgx-no-node-imports',
  setup(b) {
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.path.startsWith('node:') || builtins.has(args.path) || args.path === 'ws' || args.path.startsWith('ws/')) {
        return { errors: [{ text: `the browser build imports ${args.path} (from ${args.importer})` }] };
      }
      return undefined;
    });
  },
};

await Promise.all([
  build({ ...common, platform: 'node', target: 'node20', external: ['ws'], outfile: join(out, 'index.js') }),
  build({ ...common, platform: 'browser', target: ['es2022', 'chrome120', 'firefox115', 'safari16'], plugins: [browserRuntime, noNodeImports], outfile: join(out, 'browser.js') }),
]);

// Declarations: emitted with the repository as root, then laid out as the package has them.
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const staging = join(out, '.types-build');
rmSync(staging, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.json'), '--declarationDir', staging], { cwd: pkg, stdio: 'inherit' });
const types = join(out, 'types');
mkdirSync(join(types, 'wire'), { recursive: true });
const moveDecls = (from, to, rewrite) => {
  for (const f of readdirSync(from).filter((n) => n.endsWith('.d.ts'))) {
    writeFileSync(join(to, f), rewrite(readFileSync(join(from, f), 'utf8')));
  }
};
moveDecls(join(staging, 'packages/hgx/src'), types, (t) => t.replaceAll('"../../../src/wire/', '"./wire/').replaceAll("'../../../src/wire/", "'./wire/"));
moveDecls(join(staging, 'src/wire'), join(types, 'wire'), (t) => t);
rmSync(staging, { recursive: true, force: true });
for (const f of readdirSync(types)) {
  if (f.endsWith('.d.ts') && /(from|import\()\s*['"][./]*src\/wire\//.test(readFileSync(join(types, f), 'utf8'))) throw new Error(`types/${f} still points into the repository`);
}

const old = join(pkg, `.dist-old-${process.pid}`);
if (existsSync(final)) renameSync(final, old);
renameSync(out, final);
rmSync(old, { recursive: true, force: true });
console.log('hgx build: packages/hgx/dist ready');
