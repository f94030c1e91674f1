// The logic behind `npm run package` and `npm run package:check`, as plain functions so
// test/packaging can run it on fixtures: the invariants of electron-builder.yml, what the app
// archive must and must not hold, reading tar.gz and asar listings, the stub Electron
// distribution, and what a real package build would have to download.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';

// ───────────────────────────── electron-builder.yml ─────────────────────────────

/** APP_ID as main.ts declares it. */
export function appIdOfMain(mainTs) {
  const m = /export const APP_ID\s*=\s*'([^']+)'/.exec(mainTs);
  if (!m) throw new Error('src/main/main.ts does not declare APP_ID');
  return m[1];
}

const asList = (v) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const targetNames = (t) => asList(t).map((x) => (typeof x === 'string' ? x : x.target));

/** What electron-builder does to deb scripts: ${name} macros replaced, an unknown one an error. */
export function renderBuilderTemplate(text, macros) {
  return text.replace(/\$\{([a-zA-Z]+)\}/g, (_, name) => {
    if (!(name in macros)) throw new Error(`Macro ${name} is not defined`);
    return macros[name];
  });
}

/** Paths the app must never contain, at its top level. */
export const DEV_ONLY_TOP = ['src', 'test', 'bench', 'docs', 'scripts', 'packaging', 'assets', 'test-artifacts', 'coverage', 'release', '.git', '.ci', 'tsconfig.json'];

/**
 * The invariants of electron-builder.yml (also run by test/packaging): identity, targets per
 * platform, what goes into the app, icons, the launcher that puts `hypergolix` on the PATH.
 * Returns a list of problems (empty: fine). `root` is where relative paths are checked.
 */
export function configProblems(cfg, { appId, root, serverOnly = new Set() }) {
  const p = [];
  const need = (ok, msg) => {
    if (!ok) p.push(msg);
  };
  const file = (path) => typeof path === 'string' && existsSync(join(root, path));
  need(cfg.appId === appId, `appId is ${cfg.appId}, but APP_ID in src/main/main.ts is ${appId}`);
  need(cfg.productName === 'Hypergolix', `productName must be Hypergolix, not ${cfg.productName}`);

  const linux = cfg.linux ?? {};
  const lt = targetNames(linux.target);
  for (const t of ['deb', 'tar.gz']) need(lt.includes(t), `linux.target lacks ${t}`);
  need(!lt.includes('AppImage'), 'linux.target must not include AppImage: it aborts at launch where AppArmor restricts user namespaces (Ubuntu 24.04+) and cannot install the profile that allows them');
  need(targetNames(cfg.mac?.target).includes('dmg'), 'mac.target lacks dmg');
  need(targetNames(cfg.win?.target).includes('nsis'), 'win.target lacks nsis');
  need(linux.executableName === 'hypergolix', 'linux.executableName must be hypergolix (the desktop entry, the icon name, /usr/bin/hypergolix)');
  need(typeof linux.category === 'string' && /(^|;)Network(;|$)/.test(linux.category) && /(^|;)Utility(;|$)/.test(linux.category), 'linux.category must name Network and Utility');
  need(!!linux.synopsis && !!linux.description && !!linux.maintainer, 'linux needs synopsis, description and maintainer (the deb metadata)');
  need(cfg.mac?.category === 'public.app-category.productivity', 'mac.category must be public.app-category.productivity');
  need(cfg.extraMetadata?.productName === 'Hypergolix', 'extraMetadata.productName must be Hypergolix (app.name and the data folder come from the packaged package.json)');
  need(cfg.extraMetadata?.desktopName === `${linux.executableName}.desktop`, 'extraMetadata.desktopName must be <executableName>.desktop (window class = desktop entry)');
  need(!!cfg.extraMetadata?.homepage && !!cfg.extraMetadata?.author?.email, 'extraMetadata needs homepage and author.email (the deb requires both)');

  // No file associations, no URL schemes.
  for (const where of [cfg, linux, cfg.mac ?? {}, cfg.win ?? {}]) {
    need(asList(where.fileAssociations).length === 0, 'file associations must be none');
    need(asList(where.protocols).length === 0, 'protocols (URL schemes) must be none');
  }

  // What goes in: the build output, never the sources.
  const files = asList(cfg.files).map(String);
  const positive = files.filter((f) => !f.startsWith('!'));
  need(positive.includes('package.json'), 'files must include package.json');
  need(positive.some((f) => /^dist\/\*\*/.test(f)), 'files must include dist/**');
  for (const f of positive) {
    const top = f.split('/')[0];
    need(top === 'dist' || top === 'bin' || f === 'package.json', `files includes ${f}: only package.json, bin/ and dist/ belong in the app`);
  }
  for (const ex of ['!dist/types', '!dist/assets/source']) need(files.some((f) => f.startsWith(ex)), `files must exclude ${ex.slice(1)}`);
  const excluded = excludedPackages(files);
  const missing = [...serverOnly].filter((name) => !excluded.has(name)).sort();
  need(missing.length === 0, `files must exclude the server-only packages ${missing.join(', ')} (!node_modules/{…}{,/**/*})`);
  for (const where of [cfg, linux, cfg.mac ?? {}, cfg.win ?? {}]) {
    need(asList(where.extraFiles).length === 0, 'extraFiles would put files beside the app; use extraResources');
  }

  // Icons, generated by `npm run icons`.
  const pngDir = linux.icon;
  need(typeof pngDir === 'string' && [16, 32, 48, 64, 128, 256, 512].every((s) => file(`${pngDir}/${s}x${s}.png`)), `linux.icon must be a directory of NxN.png icons 16…512 (npm run icons): ${pngDir}`);
  need(file(cfg.mac?.icon) && String(cfg.mac.icon).endsWith('.icns'), 'mac.icon must be an existing .icns');
  need(file(cfg.win?.icon) && String(cfg.win.icon).endsWith('.ico'), 'win.icon must be an existing .ico');

  // The CLI on the PATH: a launcher in resources/bin per platform.
  const launcherOf = (conf, name) => asList(conf?.extraResources).some((r) => typeof r === 'object' && r.to === `bin/${name}` && file(r.from));
  need(launcherOf(linux, 'hypergolix'), 'linux.extraResources must copy packaging/bin/hypergolix to bin/hypergolix');
  need(launcherOf(cfg.mac, 'hypergolix'), 'mac.extraResources must copy packaging/bin/hypergolix to bin/hypergolix');
  need(launcherOf(cfg.win, 'hypergolix.cmd'), 'win.extraResources must copy packaging/bin/hypergolix.cmd to bin/hypergolix.cmd');
  const deb = cfg.deb ?? {};
  need(file(deb.afterInstall) && file(deb.afterRemove), 'deb.afterInstall and deb.afterRemove must be scripts in the repo');
  if (file(deb.afterInstall) && file(deb.afterRemove)) {
    const macros = { executable: 'hypergolix', sanitizedProductName: 'Hypergolix', productFilename: 'Hypergolix' };
    try {
      const post = renderBuilderTemplate(readFileSync(join(root, deb.afterInstall), 'utf8'), macros);
      need(/update-alternatives --install '\/usr\/bin\/hypergolix' 'hypergolix' "\$launcher"/.test(post) && post.includes("launcher='/opt/Hypergolix/resources/bin/hypergolix'"), 'the deb postinst must link /usr/bin/hypergolix to the launcher');
      renderBuilderTemplate(readFileSync(join(root, deb.afterRemove), 'utf8'), macros);
    } catch (err) {
      p.push(`deb scripts: ${err.message}`);
    }
  }
  const nsis = cfg.nsis ?? {};
  need(nsis.oneClick !== false && nsis.perMachine !== true, 'nsis must install per user (oneClick, not perMachine)');
  need(nsis.createDesktopShortcut !== false && nsis.createStartMenuShortcut !== false, 'nsis must create the shortcuts');
  need(file(nsis.include), 'nsis.include (the PATH entry for hypergolix.cmd) must exist');
  return p;
}

// ───────────────────────────── the app's contents ─────────────────────────────

/** Package names in package-lock.json (v2/v3) that ship to users, and those only for development. */
export function lockPackages(lock) {
  const prod = new Set();
  const dev = new Set();
  for (const [path, info] of Object.entries(lock.packages ?? {})) {
    if (!path) continue;
    // A workspace's own entry ("packages/hgx") is named by its package; its link is under node_modules/.
    const at = path.lastIndexOf('node_modules/');
    const name = at < 0 ? info.name : path.slice(at + 'node_modules/'.length);
    if (!name) continue;
    if (info.dev || info.devOptional) dev.add(name);
    else prod.add(name);
  }
  return { prod, dev };
}

/** This repository's own workspace packages (lock entries outside node_modules/), by name. */
export function workspacePackages(lock) {
  return new Set(
    Object.entries(lock.packages ?? {})
      .filter(([path, info]) => path && !path.includes('node_modules/') && info.name)
      .map(([, info]) => info.name),
  );
}

/**
 * Dependencies only the multi-node persistence server loads (by dynamic import, in postgres
 * mode): they never ship in the desktop app, which runs the file store.
 */
export const SERVER_ONLY_DEPENDENCIES = ['pg'];

/**
 * Every package installed for `roots` (dependencies and optional dependencies, transitively)
 * that nothing else among the production dependencies needs.
 */
export function serverOnlyPackages(lock, pkg, roots = SERVER_ONLY_DEPENDENCIES) {
  const closure = (names) => {
    const seen = new Set();
    const queue = [...names];
    while (queue.length > 0) {
      const name = queue.shift();
      if (seen.has(name)) continue;
      seen.add(name);
      const info = lock.packages?.[`node_modules/${name}`] ?? {};
      queue.push(...Object.keys({ ...info.dependencies, ...info.optionalDependencies }));
    }
    return seen;
  };
  const app = closure(Object.keys(pkg.dependencies ?? {}).filter((d) => !roots.includes(d)));
  return new Set([...closure(roots)].filter((name) => !app.has(name) && lock.packages?.[`node_modules/${name}`]));
}

// The packages a files list excludes whole: "!node_modules/{a,b}{,/**/*}" or "!node_modules/a{,/**/*}".
export function excludedPackages(files) {
  const names = new Set();
  for (const f of files) {
    const m = /^!node_modules\/(?:\{([^}]+)\}|([^{/]+))\{,\/\*\*\/\*\}$/.exec(f);
    if (m) for (const name of (m[1] ?? m[2]).split(',')) names.add(name.trim());
  }
  return names;
}

/** Files the app cannot run without, relative to its root. */
export function requiredAppFiles(pkg, trayStates) {
  return [
    'package.json',
    'bin/hypergolix.js',
    'bin/pool-size.cjs',
    'bin/package.json',
    'dist/main/main.js',
    'dist/preload/preload.cjs',
    'dist/renderer/index.html',
    'dist/renderer/app.js',
    'dist/renderer/style.css',
    'dist/cli/index.js',
    // The SDK, as the workspace package the app depends on (packages/hgx, @hypergolix/hgx).
    'node_modules/@hypergolix/hgx/dist/index.js',
    'dist/assets/icons/png/256x256.png',
    ...trayStates.flatMap((s) => ['light', 'dark'].flatMap((v) => [`dist/assets/tray/tray-${s}-${v}.png`, `dist/assets/tray/tray-${s}-${v}@2x.png`]).concat([`dist/assets/tray/tray-${s}Template.png`, `dist/assets/tray/tray-${s}Template@2x.png`])),
    ...Object.keys(pkg.dependencies ?? {})
      .filter((d) => !SERVER_ONLY_DEPENDENCIES.includes(d))
      .map((d) => `node_modules/${d}/package.json`),
  ];
}

/** The package a node_modules path belongs to ("node_modules/@a/b/x.js" → "@a/b"), innermost. */
export function packageOf(path) {
  const parts = path.split('/');
  let name = null;
  for (let i = 0; i < parts.length - 1; i++) {
    if (parts[i] !== 'node_modules') continue;
    name = parts[i + 1]?.startsWith('@') ? `${parts[i + 1]}/${parts[i + 2]}` : parts[i + 1];
  }
  return name;
}

const SOURCE_EXT = /\.(ts|tsx|mts|cts)$/;
const isWorkspaceBuild = (rel) => rel === 'package.json' || (rel.startsWith('dist/') && !rel.startsWith('dist/types/') && !rel.endsWith('.map') && !SOURCE_EXT.test(rel));

/**
 * Checks a listing of the app ([{ path, size }], '/'-separated, relative to resources/app or
 * the root of app.asar): the required files are there; nothing dev-only is (sources, tests,
 * benchmarks, docs, devDependencies); the size is within the budget.
 */
export function inspectApp(entries, o) {
  const problems = [];
  const paths = new Set(entries.map((e) => e.path));
  for (const f of o.required) if (!paths.has(f)) problems.push(`missing ${f}`);
  const bytes = entries.reduce((n, e) => n + e.size, 0);
  const areas = new Map();
  const packages = new Set();
  let maps = 0;
  for (const { path, size } of entries) {
    const top = path.split('/')[0];
    if (DEV_ONLY_TOP.includes(top)) problems.push(`dev-only path in the app: ${path}`);
    else if (!['package.json', 'dist', 'bin', 'node_modules'].includes(top)) problems.push(`unexpected path in the app: ${path}`);
    const pkg = top === 'node_modules' ? packageOf(path) : null;
    if (pkg) {
      packages.add(pkg);
      if (o.dev.has(pkg)) problems.push(`devDependency in the app: ${pkg} (${path})`);
      else if (o.serverOnly?.has(pkg)) problems.push(`server-only package in the app: ${pkg} (${path})`);
      else if (!o.prod.has(pkg)) problems.push(`package not among the production dependencies: ${pkg} (${path})`);
      // Our own workspace packages ship their build only: package.json and dist/ (no sources, maps or types).
      else if (o.workspaces?.has(pkg) && !isWorkspaceBuild(path.slice(`node_modules/${pkg}/`.length))) problems.push(`dev-only path in the app: ${path}`);
    } else {
      if (SOURCE_EXT.test(path) && !path.endsWith('.d.ts')) problems.push(`TypeScript source in the app: ${path}`);
      if (path.startsWith('dist/types/') || path.startsWith('dist/assets/source/')) problems.push(`dev-only path in the app: ${path}`);
      if (/(^|\/)(src|test|tests|bench|__tests__)\//.test(path)) problems.push(`dev-only path in the app: ${path}`);
    }
    if (path.endsWith('.map')) maps++;
    const area = pkg ? `node_modules/${pkg}` : top === 'dist' ? path.split('/').slice(0, 2).join('/') : top;
    areas.set(area, (areas.get(area) ?? 0) + size);
  }
  if (o.appPackageJson) {
    const pj = o.appPackageJson;
    if (pj.devDependencies && Object.keys(pj.devDependencies).length > 0) problems.push("the app's package.json lists devDependencies");
    if (pj.main && !paths.has(pj.main.replace(/^\.\//, ''))) problems.push(`the app's package.json main (${pj.main}) is not in the app`);
    // app.name, and so the data folder (~/.config/Hypergolix, %APPDATA%\Hypergolix), come from it.
    if (pj.productName !== 'Hypergolix') problems.push(`the app's package.json productName is ${pj.productName ?? 'missing'}, not Hypergolix`);
  }
  if (bytes > o.budget) problems.push(`the app is ${formatBytes(bytes)}, over its budget of ${formatBytes(o.budget)}`);
  return {
    problems: [...new Set(problems)],
    summary: { files: entries.length, bytes, maps, packages: [...packages].sort(), areas: [...areas.entries()].sort((a, b) => b[1] - a[1]) },
  };
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

// ───────────────────────────── listings ─────────────────────────────

/** Files under `dir` as [{ path, size, mode }], '/'-separated. */
export function listDir(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push({ path: relative(dir, p).split(sep).join('/'), size: st.size, mode: st.mode & 0o7777 });
    }
  };
  walk(dir);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

const cstr = (buf, start, len) => {
  const b = buf.subarray(start, start + len);
  const z = b.indexOf(0);
  return b.toString('utf8', 0, z === -1 ? b.length : z);
};
const octal = (buf, start, len) => parseInt(cstr(buf, start, len).trim() || '0', 8);

/** The entries of a tar archive: [{ path, size, mode, type }] (type '0' file, '5' dir, '2' symlink). */
export function listTar(buf) {
  const out = [];
  let off = 0;
  let longName = null;
  let paxPath = null;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156] || 48);
    const body = buf.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = cstr(body, 0, body.length);
      continue;
    }
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      paxPath = m ? m[1] : null;
      continue;
    }
    if (type === 'g') continue;
    const prefix = cstr(h, 345, 155);
    const name = paxPath ?? longName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
    longName = null;
    paxPath = null;
    out.push({ path: name.replace(/^\.\//, '').replace(/\/$/, ''), size, mode: octal(h, 100, 8) & 0o7777, type: type === '\0' ? '0' : type });
  }
  return out;
}

export const listTarGz = (buf) => listTar(gunzipSync(buf));

/** The files of an app.asar: [{ path, size, offset, unpacked }] (Chromium pickle header, then the JSON index). */
export function listAsar(buf) {
  const headerSize = buf.readUInt32LE(4);
  const pickle = buf.subarray(8, 8 + headerSize);
  const json = JSON.parse(pickle.toString('utf8', 8, 8 + pickle.readUInt32LE(4)));
  const base = 8 + headerSize;
  const out = [];
  const walk = (node, prefix) => {
    for (const [name, child] of Object.entries(node.files ?? {})) {
      const path = prefix ? `${prefix}/${name}` : name;
      if (child.files) walk(child, path);
      else if (!child.link) out.push({ path, size: Number(child.size ?? 0), offset: base + Number(child.offset ?? 0), unpacked: child.unpacked === true });
    }
  };
  walk(json, '');
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** One file's bytes from an app.asar (null when absent or unpacked beside it). */
export function readAsarFile(buf, path) {
  const e = listAsar(buf).find((x) => x.path === path);
  return e && !e.unpacked ? buf.subarray(e.offset, e.offset + e.size) : null;
}

// ───────────────────────────── the stub Electron ─────────────────────────────

/**
 * A stand-in for an unpacked Electron distribution (electronDist), enough for electron-builder's
 * dir and tar.gz targets: the executable it renames to linux.executableName and the files it
 * expects beside it. (No resources/default_app.asar: electron-builder removes it only from the
 * zips it downloads, not from a custom distribution.) The "electron" runs a
 * script with the real Node when ELECTRON_RUN_AS_NODE=1, as Electron does, so the packaged
 * `hypergolix` launcher and CLI can be run for real; anything else fails loudly.
 */
export function writeStubElectron(dir, { node = process.execPath, version }) {
  mkdirSync(join(dir, 'resources'), { recursive: true });
  mkdirSync(join(dir, 'locales'), { recursive: true });
  const exe = join(dir, 'electron');
  writeFileSync(
    exe,
    [
      '#!/bin/sh',
      '# A stub Electron made by npm run package:check: Node when ELECTRON_RUN_AS_NODE=1, nothing else.',
      `if [ "$ELECTRON_RUN_AS_NODE" = 1 ]; then exec ${JSON.stringify(node)} "$@"; fi`,
      'echo "stub Electron: there is no GUI in package:check" >&2',
      'exit 3',
      '',
    ].join('\n'),
  );
  chmodSync(exe, 0o755);
  for (const f of ['chrome-sandbox', 'chrome_crashpad_handler']) {
    writeFileSync(join(dir, f), '');
    chmodSync(join(dir, f), 0o755);
  }
  writeFileSync(join(dir, 'version'), version);
  writeFileSync(join(dir, 'LICENSE'), 'stub\n');
  writeFileSync(join(dir, 'LICENSES.chromium.html'), '<p>stub</p>\n');
  writeFileSync(join(dir, 'locales', 'en-US.pak'), '');
  return dir;
}

// ───────────────────────────── the deb, without fpm ─────────────────────────────

/**
 * A stand-in for fpm (electron-builder's CUSTOM_FPM_PATH): it records the arguments and copies
 * the files electron-builder made for the package (postinst, postrm, desktop entry) into
 * `capture`, then writes a placeholder .deb. So the deb's metadata, file mapping and scripts
 * are checked offline; only fpm's own work (the ar/tar of the .deb) is not.
 */
export function writeFakeFpm(dir, { node = process.execPath, capture }) {
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'capture.mjs');
  writeFileSync(
    script,
    [
      "import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';",
      'const args = process.argv.slice(2);',
      `const dir = ${JSON.stringify(capture)};`,
      'mkdirSync(dir, { recursive: true });',
      "writeFileSync(dir + '/args.json', JSON.stringify(args));",
      'args.forEach((a, i) => {',
      "  if (a === '--after-install') copyFileSync(args[i + 1], dir + '/after-install');",
      "  if (a === '--after-remove') copyFileSync(args[i + 1], dir + '/after-remove');",
      "  if (/=\\/usr\\/share\\/applications\\/[^/]+\\.desktop$/.test(a)) copyFileSync(a.slice(0, a.lastIndexOf('=')), dir + '/desktop');",
      '});',
      "writeFileSync(args[args.indexOf('--package') + 1], 'placeholder made by package:check');",
      '',
    ].join('\n'),
  );
  const fpm = join(dir, 'fpm');
  writeFileSync(fpm, `#!/bin/sh\nexec ${JSON.stringify(node)} ${JSON.stringify(script)} "$@"\n`);
  chmodSync(fpm, 0o755);
  return fpm;
}

/** A .desktop file's [Desktop Entry] keys. */
export function desktopKeys(text) {
  const out = {};
  let inEntry = false;
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('[')) inEntry = line.trim() === '[Desktop Entry]';
    else if (inEntry && line.includes('=')) out[line.slice(0, line.indexOf('=')).trim()] = line.slice(line.indexOf('=') + 1);
  }
  return out;
}

/**
 * What fpm was asked to make: the deb's name, metadata, dependencies, the app under
 * /opt/Hypergolix, icons in the hicolor theme, the desktop entry, and the postinst that links
 * /usr/bin/hypergolix to the launcher. `capture` holds args (fpm's argv), desktop, afterInstall,
 * afterRemove (texts).
 */
export function debProblems(capture, { version, executable = 'hypergolix', product = 'Hypergolix', iconSizes = [16, 32, 48, 64, 128, 256, 512] }) {
  const p = [];
  const a = capture.args;
  const value = (flag) => (a.indexOf(flag) === -1 ? undefined : a[a.indexOf(flag) + 1]);
  if (value('-t') !== 'deb') p.push('fpm was not asked for a deb');
  if (value('--name') !== executable) p.push(`package name ${value('--name')}, not ${executable}`);
  if (value('--version') !== version) p.push(`package version ${value('--version')}, not ${version}`);
  for (const f of ['--maintainer', '--url', '--description', '--after-install', '--after-remove']) if (!value(f)) p.push(`no ${f}`);
  const depends = a.flatMap((x, i) => (x === '-d' ? [a[i + 1]] : []));
  for (const d of ['libgtk-3-0', 'libnotify4', 'libnss3', 'libsecret-1-0']) if (!depends.includes(d)) p.push(`does not depend on ${d}`);
  if (!a.some((x) => x.endsWith(`-unpacked/=/opt/${product}`))) p.push(`the app is not installed as /opt/${product}`);
  for (const s of iconSizes) if (!a.some((x) => x.endsWith(`=/usr/share/icons/hicolor/${s}x${s}/apps/${executable}.png`))) p.push(`no ${s}x${s} icon in the hicolor theme`);
  if (!a.some((x) => x.endsWith(`=/usr/share/applications/${executable}.desktop`))) p.push(`no /usr/share/applications/${executable}.desktop`);
  const d = desktopKeys(capture.desktop ?? '');
  const want = { Name: product, Exec: `/opt/${product}/${executable} %U`, Icon: executable, Type: 'Application', Terminal: 'false', StartupWMClass: executable, Categories: 'Network;Utility;' };
  for (const [k, v] of Object.entries(want)) if (d[k] !== v) p.push(`desktop entry ${k}=${d[k] ?? '(none)'}, not ${v}`);
  if (d.MimeType) p.push(`desktop entry claims file types: ${d.MimeType}`);
  if (!d.Comment || d.Comment.length > 200) p.push('desktop entry Comment missing or longer than a sentence');
  const post = capture.afterInstall ?? '';
  if (!post.includes(`launcher='/opt/${product}/resources/bin/${executable}'`) || !post.includes(`update-alternatives --install '/usr/bin/${executable}'`)) p.push('the postinst does not link /usr/bin/hypergolix to the launcher');
  if (/\$\{[a-zA-Z]+\}/.test(post + (capture.afterRemove ?? ''))) p.push('a macro was left in the deb scripts');
  if (!(capture.afterRemove ?? '').includes(`update-alternatives --remove '${executable}'`)) p.push('the postrm does not remove the link');
  return p;
}

// ───────────────────────────── what a real build needs ─────────────────────────────

/** The Electron version in use (the installed package, else package.json's pin). */
export function electronVersion(root) {
  try {
    return JSON.parse(readFileSync(createRequire(join(root, 'package.json')).resolve('electron/package.json'), 'utf8')).version;
  } catch {
    return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies.electron.replace(/^[^\d]*/, '');
  }
}

/** The default targets per platform, as electron-builder.yml names them. */
export function platformTargets(cfg, platform) {
  const key = { linux: 'linux', darwin: 'mac', win32: 'win' }[platform];
  return key ? targetNames(cfg[key]?.target) : [];
}

/**
 * What `npm run package` would have to download for these targets, given what is on this
 * machine: [{ what, instead }]. Empty: everything is local.
 */
export function downloadsNeeded({ platform, arch, targets, version, electronDist, env, has7za, hasFpm }) {
  const out = [];
  if (!electronDist) {
    out.push({
      what: `Electron ${version} for ${platform}-${arch} (electron-v${version}-${platform === 'win32' ? 'win32' : platform}-${arch}.zip)`,
      instead: 'or set ELECTRON_DIST to an unpacked Electron of that version (node_modules/electron/dist after its install script ran is one)',
    });
  }
  if (!has7za && !env.ELECTRON_BUILDER_7ZIP_PATH) out.push({ what: '7-Zip (7za), for the archives', instead: 'or install it (Debian: p7zip-full) or set ELECTRON_BUILDER_7ZIP_PATH' });
  if (targets.includes('deb') && !(hasFpm && env.USE_SYSTEM_FPM === 'true') && !env.CUSTOM_FPM_PATH) {
    out.push({ what: 'fpm, which builds the deb', instead: 'or install fpm and set USE_SYSTEM_FPM=true' });
  }
  if (targets.includes('AppImage') && !env.APPIMAGE_TOOLS_PATH) out.push({ what: 'the AppImage runtime and tools', instead: 'or set APPIMAGE_TOOLS_PATH to an unpacked appimage toolset' });
  if (targets.includes('nsis')) out.push({ what: 'NSIS and its resources, for the Windows installer', instead: 'or set ELECTRON_BUILDER_NSIS_DIR and ELECTRON_BUILDER_NSIS_RESOURCES_DIR' });
  return out;
}

/** The one message `npm run package` prints when it cannot get what it needs. */
export function cannotPackageMessage({ platform, targets, needs, probe }) {
  return [
    `npm run package: cannot build the ${platform} packages (${targets.join(', ')}) on this machine.`,
    `These must be downloaded, and ${probe}:`,
    ...needs.map((n) => `  - ${n.what}; ${n.instead}`),
    'Build on a machine that can reach github.com (or set ELECTRON_MIRROR and ELECTRON_BUILDER_BINARIES_MIRROR to mirrors it can reach).',
    '`npm run package:check` checks the packaging offline, against a stub Electron.',
  ].join('\n');
}
