#!/usr/bin/env node
// Runs the test suite on another Node release line, e.g. the current LTS, next to the machine's
// own Node: `npm run test:node24` (or `node scripts/test-on-node.mjs 24 [filter…]` after a
// build). The runtime is the binary the npm registry's node-<platform>-<arch> package ships (what
// the `node` package installs), fetched once into .cache/node/<version>/. The tests start their
// daemons and servers with process.execPath, and find `node` first on PATH, so every process
// runs on that release.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { newestOfLine, runtimePackage } from './node-runtime.mjs';

const root = new URL('..', import.meta.url).pathname;
const [line, ...filters] = process.argv.slice(2);
if (!line || !/^\d+$/.test(line)) {
  console.error('Usage: node scripts/test-on-node.mjs MAJOR [filter…]   (e.g. 24)');
  process.exit(2);
}
const pkg = runtimePackage(process.platform, process.arch);
if (!pkg) {
  console.error(`test-on-node: the npm registry has no Node binary package for ${process.platform}-${process.arch}`);
  process.exit(2);
}

const npm = (args) => spawnSync('npm', args, { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
const listed = npm(['view', pkg.name, 'versions', '--json']);
if (listed.status !== 0) {
  console.error(`test-on-node: could not list ${pkg.name} on the npm registry:\n${listed.stderr.trim()}`);
  process.exit(1);
}
const version = newestOfLine(JSON.parse(listed.stdout), Number(line));
if (!version) {
  console.error(`test-on-node: ${pkg.name} has no ${line}.x release`);
  process.exit(1);
}

const home = join(root, '.cache', 'node', version);
const binary = join(home, 'package', ...pkg.binary);
if (!existsSync(binary)) {
  const staging = `${home}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const packed = npm(['pack', `${pkg.name}@${version}`, '--pack-destination', staging, '--silent']);
  const tarball = readdirSync(staging).find((f) => f.endsWith('.tgz'));
  if (packed.status !== 0 || !tarball) {
    console.error(`test-on-node: could not fetch ${pkg.name}@${version}:\n${packed.stderr.trim()}`);
    process.exit(1);
  }
  const unpacked = spawnSync('tar', ['-xzf', join(staging, tarball), '-C', staging], { encoding: 'utf8' });
  if (unpacked.status !== 0 || !existsSync(join(staging, 'package', ...pkg.binary))) {
    console.error(`test-on-node: could not unpack ${tarball}: ${unpacked.stderr.trim()}`);
    process.exit(1);
  }
  // Renamed whole once unpacked, so an interrupted fetch is never taken for a runtime.
  rmSync(home, { recursive: true, force: true });
  renameSync(staging, home);
}

console.log(`test-on-node: Node ${version} (${binary})`);
const bin = join(home, 'package', ...pkg.binary.slice(0, -1));
const child = spawn(binary, [join(root, 'scripts', 'run-tests.mjs'), ...filters], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${bin}${process.platform === 'win32' ? ';' : ':'}${process.env.PATH ?? ''}` },
});
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
