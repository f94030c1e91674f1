// Discovery order (hypergolix-reference §6.2), the both-names rule (defect 15) and creation (defect 13).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigNotFound, defaultConfigPath, findConfig, loadConfig } from '../../../src/core/config/index.js';
import { sandbox, tempDir } from './helpers.js';

function put(dir: string, name = 'hypergolix.yml', text = 'process:\n  ipc_port: 7772\n'): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

test('each location is found, and an earlier one always wins', () => {
  const root = tempDir();
  const hgxHome = join(root, 'hgx-home');
  const base = sandbox(root, { HYPERGOLIX_HOME: hgxHome, LOCALAPPDATA: join(root, 'appdata') });
  const opts = { ...base, platform: 'win32' as NodeJS.Platform };
  const order: [string, string][] = [
    ['HYPERGOLIX_HOME', hgxHome],
    ['cwd', opts.cwd],
    ['home', join(opts.homedir, '.hypergolix')],
    ['system', opts.systemDir],
    ['localappdata', join(root, 'appdata', 'Hypergolix')],
  ];
  for (const [, dir] of order) put(dir);
  for (const [source, dir] of order) {
    const found = findConfig(opts);
    assert.ok(found, `expected ${source}`);
    assert.equal(found.source, source);
    assert.equal(found.path, join(dir, 'hypergolix.yml'));
    rmSync(join(dir, 'hypergolix.yml'));
  }
  assert.equal(findConfig(opts), null);
});

test('%LOCALAPPDATA% is searched only on Windows', () => {
  const root = tempDir();
  const opts = sandbox(root, { LOCALAPPDATA: join(root, 'appdata') });
  put(join(root, 'appdata', 'Hypergolix'));
  assert.equal(findConfig(opts), null);
  assert.equal(findConfig({ ...opts, platform: 'win32' })?.source, 'localappdata');
});

test('hypergolix.yml is preferred when both names are in one directory; hgx-cfg.json alone is legacy', () => {
  const root = tempDir();
  const opts = sandbox(root);
  const dir = join(opts.homedir, '.hypergolix');
  put(dir, 'hgx-cfg.json', '{}');
  assert.deepEqual(findConfig(opts), { path: join(dir, 'hgx-cfg.json'), dir, legacy: true, source: 'home' });
  put(dir);
  assert.deepEqual(findConfig(opts), { path: join(dir, 'hypergolix.yml'), dir, legacy: false, source: 'home' });
});

test('a legacy file in an earlier directory beats a new one in a later directory', () => {
  const root = tempDir();
  const opts = sandbox(root);
  put(opts.cwd, 'hgx-cfg.json', '{}');
  put(join(opts.homedir, '.hypergolix'));
  assert.equal(findConfig(opts)?.legacy, true);
  assert.equal(findConfig(opts)?.source, 'cwd');
});

test('an empty $HYPERGOLIX_HOME is ignored; a relative one is taken from the cwd', () => {
  const root = tempDir();
  const opts = sandbox(root, { HYPERGOLIX_HOME: '' });
  put(join(opts.homedir, '.hypergolix'));
  assert.equal(findConfig(opts)?.source, 'home');
  put(join(opts.cwd, 'rel'));
  const rel = findConfig({ ...opts, env: { HYPERGOLIX_HOME: 'rel' } });
  assert.equal(rel?.source, 'HYPERGOLIX_HOME');
  assert.equal(rel?.dir, join(opts.cwd, 'rel'));
});

test('an explicit root, file or directory, replaces the search', () => {
  const root = tempDir();
  const opts = sandbox(root);
  put(opts.cwd);
  const other = put(join(root, 'elsewhere'), 'custom.yml');
  assert.equal(findConfig({ ...opts, root: other })?.path, other);
  assert.equal(findConfig({ ...opts, root: other })?.source, 'root');
  put(join(root, 'd'));
  assert.equal(findConfig({ ...opts, root: join(root, 'd') })?.path, join(root, 'd', 'hypergolix.yml'));
  assert.equal(findConfig({ ...opts, root: join(root, 'missing') }), null, 'no fallback to the search');
  const legacy = put(join(root, 'old'), 'hgx-cfg.json', '{}');
  assert.equal(findConfig({ ...opts, root: legacy })?.legacy, true);
});

test('where a new config goes: $HYPERGOLIX_HOME, else ~/.hypergolix, else %LOCALAPPDATA% on Windows', () => {
  const root = tempDir();
  const opts = sandbox(root);
  assert.equal(defaultConfigPath({ ...opts, env: { HYPERGOLIX_HOME: join(root, 'h') } }).path, join(root, 'h', 'hypergolix.yml'));
  assert.equal(defaultConfigPath(opts).path, join(opts.homedir, '.hypergolix', 'hypergolix.yml'));
  assert.equal(
    defaultConfigPath({ ...opts, platform: 'win32', env: { LOCALAPPDATA: join(root, 'appdata') } }).path,
    join(root, 'appdata', 'Hypergolix', 'hypergolix.yml'),
  );
});

test('with create, a missing config is written, directory first (0700), file 0600; then it is found', async () => {
  const root = tempDir();
  const opts = sandbox(root);
  const made = await loadConfig({ ...opts, create: true });
  const dir = join(opts.homedir, '.hypergolix');
  assert.equal(made.created, true);
  assert.equal(made.path, join(dir, 'hypergolix.yml'));
  assert.equal(made.source, 'home');
  if (process.platform !== 'win32') {
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(made.path).mode & 0o777, 0o600);
  }
  assert.equal(readFileSync(made.path, 'utf8'), made.text);
  const again = await loadConfig({ ...opts, create: true });
  assert.equal(again.created, false);
  assert.equal(again.text, made.text);
});

test('with create and an explicit root directory that does not exist, the config goes there', async () => {
  const root = tempDir();
  const made = await loadConfig({ ...sandbox(root), root: join(root, 'new', 'place'), create: true });
  assert.equal(made.path, join(root, 'new', 'place', 'hypergolix.yml'));
  assert.equal(made.source, 'root');
});

test('without create, a missing config is ConfigNotFound naming every place searched', async () => {
  const root = tempDir();
  const opts = sandbox(root, { HYPERGOLIX_HOME: join(root, 'h') });
  await assert.rejects(loadConfig(opts), (err: unknown) => {
    assert.ok(err instanceof ConfigNotFound);
    assert.deepEqual(err.searched, [join(root, 'h'), opts.cwd, join(opts.homedir, '.hypergolix'), opts.systemDir]);
    assert.match(err.message, /hypergolix config/);
    return true;
  });
});

test('a folder where the config file belongs is refused by name, not passed over for a config further down', () => {
  const root = tempDir();
  const hgxHome = join(root, 'hgx-home');
  const opts = sandbox(root, { HYPERGOLIX_HOME: hgxHome });
  put(join(opts.homedir, '.hypergolix'));
  mkdirSync(join(hgxHome, 'hypergolix.yml'), { recursive: true });
  assert.throws(() => findConfig(opts), (e: Error) => e.message.includes(join(hgxHome, 'hypergolix.yml')) && /is a folder, not a config file: move it aside/.test(e.message));
  rmSync(join(hgxHome, 'hypergolix.yml'), { recursive: true });
  assert.equal(findConfig(opts)?.source, 'home');
});
