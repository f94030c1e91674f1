// server.public_names in hypergolix.yml (src/core/config: resolve.ts, edits.ts, by the table of
// src/common/config-keys.ts): its default, good values as the server reads them, bad values as a
// ConfigError naming the line and the key (or the list item), and edits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, updateConfig, validateConfig } from '../../../src/core/config/index.js';
import { sandbox, tempDir } from './helpers.js';

const FILE = { file: '/x/hypergolix.yml', homedir: '/home/u' };
const names = (text: string) => validateConfig(text, FILE).config.server.public_names;

function withFile(text: string) {
  const root = tempDir();
  const opts = sandbox(root);
  const dir = join(opts.homedir, '.hypergolix');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'hypergolix.yml'), text);
  return { opts, path: join(dir, 'hypergolix.yml') };
}

test('absent, null, ~ or [] is none: the server answers under any name, as before', () => {
  assert.deepEqual(names(''), []);
  assert.deepEqual(names('server:\n  port: 7770\n'), []);
  for (const v of ['null', '~', '', '[]']) assert.deepEqual(names(`server:\n  public_names: ${v}\n`), [], v);
  // Each config has its own list: the default is never shared.
  const a = names(''), b = names('');
  a.push('x.example');
  assert.deepEqual(b, []);
});

test('a list of names, normalized as challenges name servers; one name or a comma-separated text is a list too', () => {
  assert.deepEqual(
    names('server:\n  public_names:\n    - HGX.example.org\n    - "hgx.example.org:7770"\n    - "[0:0:0:0:0:0:0:1]:7770"\n    - 10.0.0.2\n    - hgx.example.org.\n'),
    ['hgx.example.org', 'hgx.example.org:7770', '[::1]:7770', '10.0.0.2'],
  );
  assert.deepEqual(names('server:\n  public_names: [a.example, b.example:443]\n'), ['a.example', 'b.example:443']);
  assert.deepEqual(names('server:\n  public_names: hgx.example.org\n'), ['hgx.example.org']);
  assert.deepEqual(names('server:\n  public_names: "a.example, b.example"\n'), ['a.example', 'b.example']);
});

const bad: { name: string; text: string; line: number; field: string; says: RegExp }[] = [
  { name: 'a number as the last label', text: 'server:\n  public_names:\n    - a.example\n    - example.1\n', line: 4, field: 'server.public_names[1]', says: /must be a host name or IP address, optionally with :PORT, not "example\.1"$/ },
  { name: 'IPv6 without brackets', text: 'server:\n  registration: open\n  public_names: ["::1"]\n', line: 3, field: 'server.public_names[0]', says: /in brackets: \[2001:db8::1\]:7770/ },
  { name: 'a bad port', text: 'server:\n  public_names:\n    - "a.example:99999"\n', line: 3, field: 'server.public_names[0]', says: /has a bad port: must be a whole number from 1 to 65535/ },
  { name: 'a URL', text: 'server:\n  public_names:\n    - https://a.example/\n', line: 3, field: 'server.public_names[0]', says: /not "https:\/\/a\.example\/"/ },
  { name: 'a mapping', text: 'server:\n  public_names: {a: 1}\n', line: 2, field: 'server.public_names', says: /must be a list of host names \(host or host:port\), not a mapping$/ },
  { name: 'a number', text: 'server:\n  public_names: 7770\n', line: 2, field: 'server.public_names', says: /must be a list of host names \(host or host:port\), not 7770$/ },
  { name: 'a bad name in a text', text: 'server:\n  public_names: "a.example, b..example"\n', line: 2, field: 'server.public_names', says: /name 2 must be a host name/ },
  { name: 'a list inside the list', text: 'server:\n  public_names:\n    - [a.example]\n', line: 3, field: 'server.public_names[0]', says: /not a list$/ },
];

for (const c of bad) {
  test(`bad server.public_names → ConfigError with file, line and field: ${c.name}`, async () => {
    const { opts, path } = withFile(c.text);
    await assert.rejects(loadConfig(opts), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.file, path);
      assert.equal(err.line, c.line);
      assert.equal(err.field, c.field);
      assert.match(err.message, c.says);
      assert.ok(err.message.startsWith(`${path}, line ${c.line}: ${c.field}`), err.message);
      return true;
    });
    assert.equal(readFileSync(path, 'utf8'), c.text, 'loading never rewrites a bad file');
  });
}

test('every bad item of the list is a problem of its own', () => {
  assert.throws(
    () => validateConfig('server:\n  public_names:\n    - example.1\n    - ok.example\n    - "[a.example]"\n', FILE),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.all.map((e) => [e.line, e.field]), [[3, 'server.public_names[0]'], [5, 'server.public_names[2]']]);
      return true;
    },
  );
});

test('edits: a list or a text of names is written as the normalized list; null removes the key; a bad name is refused and nothing written', async () => {
  const { opts, path } = withFile('# my server\nserver:\n  port: 7770  # keep\n');
  let loaded = await loadConfig(opts);
  loaded = await updateConfig(loaded, { server: { public_names: 'HGX.example.org, [::1]:7770' } });
  assert.deepEqual(loaded.config.server.public_names, ['hgx.example.org', '[::1]:7770']);
  const text = readFileSync(path, 'utf8');
  assert.match(text, /^# my server\nserver:\n {2}port: 7770 +# keep\n/);
  assert.match(text, /public_names:\n\s+- hgx\.example\.org\n\s+- "?\[::1\]:7770"?\n/);
  assert.deepEqual((await loadConfig(opts)).config.server.public_names, ['hgx.example.org', '[::1]:7770']);

  loaded = await updateConfig(loaded, { server: { public_names: ['a.example'] } });
  assert.deepEqual(loaded.config.server.public_names, ['a.example']);

  await assert.rejects(updateConfig(loaded, { server: { public_names: ['a.example', 'example.1'] } }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.field, 'server.public_names[1]');
    return true;
  });
  assert.deepEqual((await loadConfig(opts)).config.server.public_names, ['a.example'], 'a refused edit writes nothing');

  loaded = await updateConfig(loaded, { server: { public_names: null } });
  assert.deepEqual(loaded.config.server.public_names, []);
  assert.doesNotMatch(readFileSync(path, 'utf8'), /public_names/);
});
