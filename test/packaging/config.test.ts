// The invariants of electron-builder.yml and the files it names: app id, targets, what goes into
// the app, icons, the launcher on the PATH, the deb scripts, the systemd unit, the npm scripts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { appIdOfMain, configProblems, excludedPackages, serverOnlyPackages, downloadsNeeded, cannotPackageMessage, platformTargets, renderBuilderTemplate } from '../../scripts/package-lib.mjs';
import { SERVER_NODE_FLAGS, SERVICE_ENV } from '../../src/core/assembly/heap.js';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const config = () => parseYaml(read('electron-builder.yml'));
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

test('electron-builder.yml keeps every invariant', () => {
  const appId = appIdOfMain(read('src/main/main.ts'));
  assert.equal(appId, 'org.hypergolix.Hypergolix');
  assert.deepEqual(configProblems(config(), { appId, root: ROOT }), []);
});

test('the checks catch what they are for', () => {
  const appId = 'org.hypergolix.Hypergolix';
  const broken = (edit: (c: any) => void) => {
    const c = config();
    edit(c);
    return configProblems(c, { appId, root: ROOT }).join('\n');
  };
  assert.match(broken((c) => (c.appId = 'com.example.other')), /appId is com\.example\.other/);
  assert.match(broken((c) => (c.linux.target = ['AppImage'])), /lacks deb[\s\S]*lacks tar\.gz[\s\S]*must not include AppImage/);
  assert.match(broken((c) => (c.mac.target = 'zip')), /mac\.target lacks dmg/);
  assert.match(broken((c) => (c.win.target = 'portable')), /win\.target lacks nsis/);
  assert.match(broken((c) => c.files.push('src/**/*')), /files includes src\/\*\*\/\*/);
  assert.match(broken((c) => c.files.push('test/**')), /files includes test\/\*\*/);
  assert.match(broken((c) => (c.files = c.files.filter((f: string) => !f.startsWith('!dist/types')))), /must exclude dist\/types/);
  assert.match(broken((c) => (c.fileAssociations = [{ ext: 'hgx' }])), /file associations must be none/);
  assert.match(broken((c) => (c.mac.fileAssociations = { ext: 'hgx' })), /file associations must be none/);
  assert.match(broken((c) => (c.protocols = [{ schemes: ['hgx'] }])), /protocols/);
  assert.match(broken((c) => (c.linux.icon = 'assets/nowhere')), /linux\.icon/);
  assert.match(broken((c) => (c.linux.extraResources = [])), /copy packaging\/bin\/hypergolix/);
  assert.match(broken((c) => (c.nsis.perMachine = true)), /per user/);
  assert.match(broken((c) => (c.linux.executableName = 'Hypergolix')), /executableName must be hypergolix/);
  assert.match(broken((c) => (c.extraFiles = ['docs/**'])), /extraFiles/);
  assert.match(broken((c) => delete c.extraMetadata.productName), /extraMetadata\.productName must be Hypergolix/);
  assert.match(broken((c) => (c.deb.afterInstall = 'packaging/linux/after-remove.sh')), /postinst must link \/usr\/bin\/hypergolix to the launcher/);
});

test('what goes in: the build output and production dependencies only, no sources', () => {
  const c = config();
  const files: string[] = c.files;
  assert.deepEqual(files.filter((f) => !f.startsWith('!')), ['package.json', 'bin/hypergolix.js', 'bin/pool-size.cjs', 'bin/package.json', 'dist/**/*']);
  for (const ex of ['!dist/**/*.map', '!dist/types{,/**/*}', '!dist/assets/source{,/**/*}']) assert.ok(files.includes(ex), ex);
  const pkg = JSON.parse(read('package.json'));
  assert.deepEqual(Object.keys(pkg.dependencies).sort(), ['@hypergolix/hgx', 'electron-log', 'pg', 'qrcode-generator', 'ws', 'yaml'], 'the production dependencies');
  // The SDK is the workspace package (packages/hgx), at the version the workspace holds.
  assert.deepEqual(pkg.workspaces, ['packages/hgx']);
  assert.equal(pkg.dependencies['@hypergolix/hgx'], JSON.parse(read('packages/hgx/package.json')).version);
  for (const ex of ['!node_modules/@hypergolix/hgx/{src,scripts,examples,docs,test}{,/**/*}', '!node_modules/@hypergolix/hgx/dist/**/*.map']) assert.ok(files.includes(ex), ex);
  // pg is the multi-node server's PostgreSQL client: installed with the CLI, never in the desktop app.
  const lock = JSON.parse(read('package-lock.json'));
  const serverOnly = serverOnlyPackages(lock, pkg);
  assert.deepEqual([...excludedPackages(files)].sort(), [...serverOnly].sort(), 'files excludes exactly the server-only packages');
  assert.match(configProblems({ ...c, files: files.filter((f) => !f.startsWith('!node_modules/')) }, { appId: 'org.hypergolix.Hypergolix', root: ROOT, serverOnly }).join(), /must exclude the server-only packages pg, /);
  for (const [name, range] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) assert.match(String(range), /^\d+\.\d+\.\d+$/, `${name} is pinned`);
  assert.equal(c.asar, false, 'a plain resources/app (the CLI runs from it in Node mode)');
  assert.equal(c.npmRebuild, false, 'no native modules');
  assert.equal(pkg.scripts.package, 'node scripts/package.mjs');
  assert.equal(pkg.scripts['package:check'], 'node scripts/package-check.mjs');
  assert.equal(pkg.scripts.icons, 'node scripts/icons.mjs');
});

test('targets per platform, the desktop entry, the per-user Windows installer', () => {
  const c = config();
  assert.deepEqual(platformTargets(c, 'linux'), ['deb', 'tar.gz']);
  assert.deepEqual(platformTargets(c, 'darwin'), ['dmg']);
  assert.deepEqual(platformTargets(c, 'win32'), ['nsis']);
  assert.deepEqual(platformTargets(c, 'aix'), []);
  assert.equal(c.linux.category, 'Network;Utility');
  assert.equal(c.mac.category, 'public.app-category.productivity');
  assert.equal(c.extraMetadata.desktopName, 'hypergolix.desktop');
  assert.equal(c.nsis.oneClick, true);
  assert.equal(c.nsis.perMachine, false);
  assert.equal(c.nsis.createDesktopShortcut, true);
  assert.equal(c.nsis.createStartMenuShortcut, true);
});

test('the deb scripts render as electron-builder renders them and are valid bash', { skip: has('bash') ? false : 'no bash' }, () => {
  const macros = { executable: 'hypergolix', sanitizedProductName: 'Hypergolix', productFilename: 'Hypergolix' };
  const dir = mkdtempSync(join(tmpdir(), 'hgx-deb-'));
  try {
    for (const f of ['packaging/linux/after-install.sh', 'packaging/linux/after-remove.sh']) {
      const text = renderBuilderTemplate(read(f), macros);
      assert.doesNotMatch(text, /\$\{/, `${f}: no macro left`);
      writeFileSync(join(dir, 'script'), text);
      const r = spawnSync('bash', ['-n', join(dir, 'script')], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${f}: ${r.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const post = renderBuilderTemplate(read('packaging/linux/after-install.sh'), macros);
  assert.match(post, /launcher='\/opt\/Hypergolix\/resources\/bin\/hypergolix'/);
  assert.match(post, /update-alternatives --install '\/usr\/bin\/hypergolix' 'hypergolix' "\$launcher" 100/);
  assert.match(post, /chrome-sandbox/, 'keeps the sandbox handling of the default script');
  const postrm = renderBuilderTemplate(read('packaging/linux/after-remove.sh'), macros);
  assert.match(postrm, /update-alternatives --remove 'hypergolix' "\$launcher"/);
  assert.throws(() => renderBuilderTemplate('echo ${HOME}', macros), /Macro HOME is not defined/, 'a shell ${VAR} would fail the build');
});

test('the launchers: executable, find the bundled Electron, run the bundled CLI in Node mode', () => {
  const sh = read('packaging/bin/hypergolix');
  assert.ok((statSync(join(ROOT, 'packaging/bin/hypergolix')).mode & 0o111) !== 0, 'executable in git');
  assert.match(sh, /^#!\/bin\/sh\n/);
  assert.match(sh, /ELECTRON_RUN_AS_NODE=1 exec "\$exe" "\$resources\/app\/bin\/hypergolix\.js" "\$@"/);
  assert.match(sh, /"\$top\/hypergolix" "\$top\/MacOS\/Hypergolix"/, 'Linux and macOS layouts');
  if (has('sh')) assert.equal(spawnSync('sh', ['-n', join(ROOT, 'packaging/bin/hypergolix')]).status, 0);
  const cmd = read('packaging/bin/hypergolix.cmd');
  assert.match(cmd, /\r\n/, 'CRLF for cmd.exe');
  assert.match(cmd, /set "ELECTRON_RUN_AS_NODE=1"/);
  assert.match(cmd, /"%~dp0\.\.\\\.\.\\Hypergolix\.exe" "%~dp0\.\.\\app\\bin\\hypergolix\.js" %\*/);
  const nsh = read('packaging/windows/installer.nsh');
  assert.match(nsh, /!macro customInstall[\s\S]*WriteRegExpandStr HKCU "Environment" "Path"[\s\S]*!macroend/);
  assert.match(nsh, /!macro customUnInstall[\s\S]*!macroend/);
  assert.match(nsh, /NSIS_MAX_STRLEN/, 'never writes back a PATH that may have been cut');
});

test('the NSIS include compiles (makensis)', { skip: has('makensis') ? false : 'no makensis (Debian: nsis)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-nsis-'));
  try {
    // The two macros where electron-builder's installer and uninstaller insert them.
    const nsi = [
      'Unicode true',
      'Name "Hypergolix"',
      `OutFile "${join(dir, 'hypergolix-installer-test.exe')}"`,
      'RequestExecutionLevel user',
      'InstallDir "$LOCALAPPDATA\\Programs\\hypergolix"',
      `!include "${join(ROOT, 'packaging/windows/installer.nsh')}"`,
      'Section "install"',
      '  !insertmacro customInstall',
      '  WriteUninstaller "$INSTDIR\\uninstall.exe"',
      'SectionEnd',
      'Section "Uninstall"',
      '  !insertmacro customUnInstall',
      'SectionEnd',
    ].join('\n');
    writeFileSync(join(dir, 'test.nsi'), nsi);
    const r = spawnSync('makensis', ['-V2', '-WX', join(dir, 'test.nsi')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the systemd unit runs the server in the foreground as its own user, hardened', () => {
  const unit = read('packaging/systemd/hypergolix-server.service');
  const kv = (k: string) => [...unit.matchAll(new RegExp(`^${k}=(.*)$`, 'gm'))].map((m) => m[1]);
  assert.deepEqual(kv('ExecStart'), ['/usr/bin/hypergolix start server --foreground']);
  assert.deepEqual(kv('User'), ['hypergolix']);
  assert.deepEqual(kv('Environment'), [
    'HYPERGOLIX_HOME=/var/lib/hypergolix',
    `NODE_OPTIONS=${SERVER_NODE_FLAGS.join(' ')}`,
    ...Object.entries(SERVICE_ENV).map(([k, v]) => `${k}=${v}`),
  ]);
  assert.deepEqual(kv('Restart'), ['on-failure']);
  assert.deepEqual(kv('StateDirectory'), ['hypergolix']);
  for (const k of ['NoNewPrivileges', 'ProtectSystem', 'ProtectHome', 'PrivateTmp', 'PrivateDevices', 'RestrictNamespaces', 'SystemCallFilter', 'CapabilityBoundingSet']) assert.equal(kv(k).length, 1, k);
  assert.equal(kv('MemoryDenyWriteExecute').length, 0, "V8's JIT needs writable+executable memory");
  assert.match(kv('RestrictAddressFamilies')[0]!, /AF_NETLINK/, 'server.host AUTO lists the interfaces');
});

test('systemd-analyze accepts the unit', { skip: has('systemd-analyze') ? false : 'no systemd-analyze' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-unit-'));
  try {
    // The unit as installed, with a command that exists here.
    const unit = read('packaging/systemd/hypergolix-server.service').replaceAll('/usr/bin/hypergolix', '/bin/true');
    writeFileSync(join(dir, 'hypergolix-server.service'), unit);
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'hypergolix-server.service')], { encoding: 'utf8', timeout: 30_000 });
    const complaints = (r.stderr + r.stdout)
      .split('\n')
      .filter((l) => l.includes('hypergolix-server.service') && !/Failed to (connect|create|open)|System has not been booted|Cannot add dependency job/.test(l));
    assert.deepEqual(complaints, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm run package: what must be downloaded, and the one message when it cannot be', () => {
  const base = { platform: 'linux' as const, arch: 'x64', version: '45.4.1', env: {}, has7za: true, hasFpm: false };
  const all = downloadsNeeded({ ...base, targets: ['deb', 'AppImage', 'tar.gz'], electronDist: null });
  assert.deepEqual(
    all.map((n) => n.what.split(' ')[0]),
    ['Electron', 'fpm,', 'the'],
  );
  assert.match(all[0]!.what, /electron-v45\.4\.1-linux-x64\.zip/);
  assert.deepEqual(downloadsNeeded({ ...base, targets: ['tar.gz'], electronDist: '/opt/electron' }), [], 'tar.gz with a local Electron and 7za: nothing');
  assert.deepEqual(downloadsNeeded({ ...base, targets: ['deb'], electronDist: '/e', hasFpm: true, env: { USE_SYSTEM_FPM: 'true' } }), []);
  assert.equal(downloadsNeeded({ ...base, targets: ['tar.gz'], electronDist: '/e', has7za: false }).length, 1);
  assert.equal(downloadsNeeded({ ...base, targets: ['AppImage'], electronDist: '/e', env: { APPIMAGE_TOOLS_PATH: '/t' } }).length, 0);
  assert.match(downloadsNeeded({ ...base, platform: 'win32', targets: ['nsis'], electronDist: '/e' })[0]!.what, /NSIS/);
  const msg = cannotPackageMessage({ platform: 'linux', targets: ['deb', 'AppImage', 'tar.gz'], needs: all, probe: 'github.com cannot be reached from here' });
  assert.match(msg, /^npm run package: cannot build the linux packages \(deb, AppImage, tar\.gz\) on this machine\./);
  assert.match(msg, /github\.com cannot be reached/);
  assert.match(msg, /ELECTRON_DIST/);
  assert.match(msg, /USE_SYSTEM_FPM=true/);
  assert.match(msg, /npm run package:check/);
});
