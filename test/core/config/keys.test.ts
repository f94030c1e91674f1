// The config module follows the table of src/common/config-keys.ts: every key declared there is
// read with its default, written out when the reference knows it, and editable — with nothing
// else to add for a new plain setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type KeySpec } from '../../../src/common/config-keys.js';
import { keysOf, putIn, valueIn } from '../../../src/common/config-paths.js';
import { loadConfig, plainConfig, updateConfig, type ConfigEdits } from '../../../src/core/config/index.js';
import { sandbox, tempDir } from './helpers.js';

async function withFile(text: string) {
  const opts = sandbox(tempDir());
  const dir = join(opts.homedir, '.hypergolix');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'hypergolix.yml');
  writeFileSync(path, text);
  return { dir, path, loaded: await loadConfig(opts) };
}

/** The keys of sections (not a remote's items), as the resolved config holds them. */
const sectionKeys = () => keysOf().filter((k) => k.path[0] !== 'remotes[]');

test('every key of the table is in the resolved config, with its default', async () => {
  const { dir, loaded } = await withFile('');
  const plain = plainConfig(loaded.config);
  for (const { path, spec } of sectionKeys()) {
    const want = spec.kind === 'path' ? join(dir, spec.default) : spec.default;
    assert.deepEqual(valueIn(plain, path), want, path.join('.'));
  }
});

test('a new file writes out every reference key, and no project key', async () => {
  const root = tempDir();
  const created = await loadConfig({ ...sandbox(root), create: true });
  const tree = created.document.toJS() as Record<string, unknown>;
  for (const { path, spec } of sectionKeys()) {
    assert.equal(valueIn(tree, path) !== undefined, spec.reference, `${path.join('.')} written: ${spec.reference}`);
  }
  assert.deepEqual(tree['remotes'], []);
});

/** A valid value other than the default, for each plain kind. */
function another(spec: KeySpec): unknown {
  switch (spec.kind) {
    case 'boolean':
      return !spec.default;
    case 'port':
      return 7001;
    case 'integer':
    case 'size':
      return spec.min + 1;
    case 'rate':
      return 2.5;
    case 'verbosity':
      return 'debug';
    case 'policy':
      return 'known';
    case 'registration':
      return 'invite';
    case 'server-host':
      return 'ANY';
    default:
      return undefined;
  }
}

test('every plain key can be edited by name and reads back as written', async () => {
  const { path, loaded } = await withFile('');
  const edits: Record<string, unknown> = {};
  const expected: [string[], unknown][] = [];
  for (const { path: key, spec } of sectionKeys()) {
    const value = another(spec);
    if (value === undefined) continue;
    putIn(edits, key, value);
    expected.push([key, value]);
  }
  assert.ok(expected.length >= 25, `${expected.length} plain keys`);
  const saved = await updateConfig(loaded, edits as ConfigEdits);
  const plain = plainConfig(saved.config);
  for (const [key, value] of expected) assert.deepEqual(valueIn(plain, key), value, key.join('.'));
  // Text spellings are normalized as they are written.
  const again = await updateConfig(saved, { desktop: { start_at_login: 'no' as unknown as boolean }, server: { port: '7002', max_message_bytes: '16 MiB' } });
  assert.equal(again.config.desktop.start_at_login, false);
  assert.equal(again.config.server.port, 7002);
  assert.equal(again.config.server.max_message_bytes, 16 * 1024 * 1024);
  const text = readFileSync(path, 'utf8');
  assert.match(text, /^ {2}start_at_login: false$/m);
  assert.match(text, /^ {2}port: 7002$/m);
  assert.match(text, /^ {2}max_message_bytes: 16 MiB$/m, 'a size keeps the unit it was given in');
});
