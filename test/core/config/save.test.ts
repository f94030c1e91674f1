// Saving: one validated, atomic, comment-preserving write that is read back (defect 14).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ghid } from '../../../src/core/golix/ghid.js';
import { ConfigError, loadConfig, updateConfig } from '../../../src/core/config/index.js';
import { ghidText, sandbox, tempDir } from './helpers.js';

async function withFile(text: string) {
  const root = tempDir();
  const opts = sandbox(root);
  const dir = join(opts.homedir, '.hypergolix');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'hypergolix.yml');
  writeFileSync(path, text);
  return { opts, dir, path, loaded: await loadConfig(opts) };
}

const HAND_WRITTEN = `# My Hypergolix settings -- do not lose this line
server:
  # the server goes first in my file
  port: 7770 # trailing comment
  host: 127.0.0.1
instrumentation:
  verbosity: info # was debug last week
  debug: false
process:
  ipc_port: 7772

  # blank line above is intentional
  pid_file: run/hgx.pid
remotes:
  - host: a.example.org # office
    port: 7770
    tls: false
`;

test('a save changes only the edited value: comments, blank lines and key order survive', async () => {
  const { path, loaded } = await withFile(HAND_WRITTEN);
  await updateConfig(loaded, { process: { ipc_port: 7780 }, instrumentation: { verbosity: 'louder' } });
  const after = readFileSync(path, 'utf8');
  const diff = HAND_WRITTEN.split('\n')
    .map((line, i) => [line, after.split('\n')[i]])
    .filter(([a, b]) => a !== b);
  assert.deepEqual(diff, [
    ['  verbosity: info # was debug last week', '  verbosity: debug # was debug last week'],
    ['  ipc_port: 7772', '  ipc_port: 7780'],
  ]);
  assert.equal(after.split('\n').length, HAND_WRITTEN.split('\n').length);
});

test('a file in PyYAML style keeps its comments and values through a save', async () => {
  const text = '# written by the reference\nprocess:\n  ipc_port: 7772\nremotes:\n- host: a.org  # first\n  port: 1\n  tls: false\n';
  const { path, loaded } = await withFile(text);
  const saved = await updateConfig(loaded, { instrumentation: { debug: true } });
  const after = readFileSync(path, 'utf8');
  assert.match(after, /^# written by the reference\n/);
  assert.match(after, /host: a\.org {1,2}# first/);
  assert.match(after, /\nremotes:\n- host: a\.org/, "the reference's lists stay at their key's indentation");
  assert.deepEqual(saved.config.remotes, [{ host: 'a.org', port: 1, tls: false, registration: null }]);
  assert.equal(saved.config.instrumentation.debug, true);
  await updateConfig(saved, { remotes: { add: [{ host: 'b.org', port: 2 }] } });
  assert.match(readFileSync(path, 'utf8'), /\nremotes:\n- host: a\.org {1,2}# first\n {2}port: 1\n {2}tls: false\n- host: b\.org\n/, 'a remote added in the same layout');
});

test('unknown keys are kept through a save, wherever they are', async () => {
  const text = 'process:\n  ipc_port: 7772\n  my_note: keep\nremotes:\n- {host: a.org, port: 1, tls: false, colour: blue}\nmyapp:\n  theme: dark\n';
  const { path, loaded } = await withFile(text);
  await updateConfig(loaded, { process: { ipc_port: 7773 }, remotes: { add: [{ host: 'b.org', port: 2 }] } });
  const after = readFileSync(path, 'utf8');
  assert.match(after, /my_note: keep/);
  assert.match(after, /colour: blue/);
  assert.match(after, /myapp:\n {2}theme: dark/);
});

test('new keys and sections go where the reference writes them', async () => {
  const text = 'instrumentation:\n  verbosity: info\nremotes: []\nserver:\n  port: 7770\n';
  const { path, loaded } = await withFile(text);
  const fp = Ghid.fromText(ghidText());
  await updateConfig(loaded, { user: { fingerprint: fp }, process: { ipc_port: 7790 }, server: { host: 'AUTO', max_subscriptions: 5 } });
  const keys = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => /^\s*\w+:/.test(l))
    .map((l) => l.trim().split(':')[0]);
  assert.deepEqual(keys, ['process', 'ipc_port', 'instrumentation', 'verbosity', 'user', 'fingerprint', 'remotes', 'server', 'host', 'port', 'max_subscriptions']);
});

test('server limits are saved as typed values; a bad one is refused with its field and line', async () => {
  const { path, loaded } = await withFile('server:\n  port: 7770\n');
  const saved = await updateConfig(loaded, {
    server: { quota_bytes_per_identity: '500 MiB', quota_objects_per_identity: '100', publish_rate_per_identity: '2.5', publish_burst: '20' },
  });
  assert.equal(saved.config.server.quota_bytes_per_identity, 500 * 1024 * 1024);
  assert.equal(saved.config.server.quota_objects_per_identity, 100);
  assert.equal(saved.config.server.publish_rate_per_identity, 2.5);
  assert.equal(saved.config.server.publish_burst, 20);
  const text = readFileSync(path, 'utf8');
  assert.match(text, /^ {2}quota_bytes_per_identity: 500 MiB$/m);
  assert.match(text, /^ {2}quota_objects_per_identity: 100$/m, 'digit strings are written as numbers');
  assert.match(text, /^ {2}publish_rate_per_identity: 2\.5$/m);
  await assert.rejects(updateConfig(saved, { server: { unsigned_publish_rate_per_connection: '-1' } }), (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.field, 'server.unsigned_publish_rate_per_connection');
    assert.equal(err.line, 7, 'where it would have gone: after publish_burst');
    return true;
  });
  assert.equal(readFileSync(path, 'utf8'), text, 'nothing written');
});

test('writing new account IDs into nulls reads back as the same GHIDs (defect 14)', async () => {
  const { path, loaded } = await withFile('user:\n  fingerprint: null\n  user_id: null\n  root_secret: null\n');
  const fp = Ghid.fromText(ghidText());
  const uid = ghidText();
  const saved = await updateConfig(loaded, { user: { fingerprint: fp, user_id: uid } });
  assert.ok(saved.config.user.fingerprint?.equals(fp));
  assert.equal(saved.config.user.user_id?.text, uid);
  const reread = await loadConfig({ root: path, homedir: loaded.homedir });
  assert.ok(reread.config.user.fingerprint?.equals(fp));
});

test('a bad edit is a ConfigError with the line and field it would have had; the file stays byte-identical', async () => {
  const { path, dir, loaded } = await withFile(HAND_WRITTEN);
  const before = readFileSync(path);
  const mtime = statSync(path).mtimeMs;
  // Lines of the file as it would have been: a new remote takes lines 18-21, a new sharing section
  // follows remotes (18-19), a new user section goes between process and remotes (14-15).
  const bad: [Parameters<typeof updateConfig>[1], string, number][] = [
    [{ process: { ipc_port: 0 } }, 'process.ipc_port', 10],
    [{ server: { port: 70000 } }, 'server.port', 4],
    [{ instrumentation: { verbosity: 'chatty' } }, 'instrumentation.verbosity', 7],
    [{ user: { fingerprint: 'not-a-ghid' } }, 'user.fingerprint', 15],
    [{ user: { root_secret: 'SHxx' } }, 'user.root_secret', 15],
    [{ remotes: { add: [{ host: 'b.org', port: 99999 }] } }, 'remotes[1].port', 19],
    [{ remotes: { add: [{ host: 'bad host!', port: 1 }] } }, 'remotes[1].host', 18],
    [{ remotes: { add: [{ host: 'b.org', port: 1, registration: 'file:///etc/passwd' }] } }, 'remotes[1].registration', 21],
    [{ sharing: { accept: 'everyone' } }, 'sharing.accept', 19],
    [{ set: { 'remotes[0].tls': 'maybe' } }, 'remotes[0].tls', 17],
    [{ set: { 'instrumentation.verbosity.level': 1 } }, 'instrumentation.verbosity', 7],
  ];
  for (const [edits, field, line] of bad) {
    await assert.rejects(updateConfig(loaded, edits), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.field, field, err.message);
      assert.equal(err.line, line, err.message);
      assert.equal(err.file, path);
      return true;
    });
  }
  assert.deepEqual(readFileSync(path), before);
  assert.equal(statSync(path).mtimeMs, mtime);
  assert.deepEqual(readdirSync(dir), ['hypergolix.yml']);
});

test('an edit that changes nothing writes nothing', async () => {
  const { path, loaded } = await withFile(HAND_WRITTEN);
  const ino = statSync(path).ino;
  const same = await updateConfig(loaded, { process: { ipc_port: 7772 }, remotes: { remove: [{ host: 'nowhere.org', port: 1 }] } });
  assert.equal(statSync(path).ino, ino, 'not replaced');
  assert.equal(same.text, HAND_WRITTEN);
  // Nor on a file that holds nothing yet (it would have become "{}").
  for (const text of ['', '# notes only\n']) {
    const empty = await withFile(text);
    const inode = statSync(empty.path).ino;
    await updateConfig(empty.loaded, { remotes: { remove: [{ host: 'nowhere.org', port: 1 }] }, sharing: { accept: null } });
    assert.equal(statSync(empty.path).ino, inode, `${JSON.stringify(text)} not replaced`);
    assert.equal(readFileSync(empty.path, 'utf8'), text);
  }
});

test('the file keeps its mode through a save; a new one is 0600', { skip: process.platform === 'win32' && 'POSIX modes' }, async () => {
  const { path, loaded } = await withFile(HAND_WRITTEN);
  chmodSync(path, 0o640);
  await updateConfig(loaded, { instrumentation: { debug: true } });
  assert.equal(statSync(path).mode & 0o777, 0o640);
});

test('a hand edit made after loading is kept when the app saves', async () => {
  const { path, loaded } = await withFile(HAND_WRITTEN);
  writeFileSync(path, HAND_WRITTEN.replace('verbosity: info # was debug last week', 'verbosity: debug # changed by hand'));
  const saved = await updateConfig(loaded, { process: { ipc_port: 7790 } });
  const after = readFileSync(path, 'utf8');
  assert.match(after, /verbosity: debug # changed by hand/);
  assert.match(after, /ipc_port: 7790/);
  assert.equal(saved.config.instrumentation.verbosity, 'debug');
});

test('two saves at once both land', async () => {
  const { loaded } = await withFile(HAND_WRITTEN);
  const [a, b] = await Promise.all([updateConfig(loaded, { process: { ipc_port: 7001 } }), updateConfig(loaded, { server: { port: 7002 } })]);
  assert.equal(a.config.process.ipc_port, 7001);
  assert.equal(b.config.process.ipc_port, 7001);
  assert.equal(b.config.server.port, 7002);
});

test('remotes: add, update by adding again, remove, replace; added lists are block style', async () => {
  const { path, loaded } = await withFile('remotes: []\n');
  let c = await updateConfig(loaded, { remotes: { add: [{ host: 'a.org', port: '1', tls: 'y' }, { host: '[::1]', port: 7770 }] } });
  assert.deepEqual(c.config.remotes.map((r) => [r.host, r.port, r.tls]), [['a.org', 1, true], ['::1', 7770, false]]);
  assert.match(readFileSync(path, 'utf8'), /^remotes:\n {2}- host: a\.org\n {4}port: 1\n {4}tls: true\n/m);
  c = await updateConfig(c, { remotes: { add: [{ host: 'A.ORG', port: 1, tls: false, registration: 'https://a.org/r' }] } });
  assert.deepEqual(c.config.remotes[0], { host: 'a.org', port: 1, tls: false, registration: 'https://a.org/r' });
  assert.equal(c.config.remotes.length, 2);
  c = await updateConfig(c, { remotes: { remove: [{ host: '::1', port: 7770 }] } });
  assert.deepEqual(c.config.remotes.map((r) => r.host), ['a.org']);
  c = await updateConfig(c, { remotes: { replace: [] } });
  assert.deepEqual(c.config.remotes, []);
});

test('null resets: written as null for reference keys, removed for project keys', async () => {
  const { path, loaded } = await withFile('instrumentation:\n  verbosity: debug\nsharing:\n  accept: all\n');
  const c = await updateConfig(loaded, { instrumentation: { verbosity: null }, sharing: { accept: null } });
  const text = readFileSync(path, 'utf8');
  assert.match(text, /verbosity: null/);
  assert.doesNotMatch(text, /accept/);
  assert.equal(c.config.instrumentation.verbosity, 'info');
  assert.equal(c.config.sharing.accept, 'ask');
});

test('any dotted path can be set or removed', async () => {
  const { path, loaded } = await withFile('remotes:\n  - host: a.org\n    port: 1\n');
  const c = await updateConfig(loaded, { set: { 'remotes[0].tls': true, 'desktop.notifications.daemon_error': false, 'myapp.x': 1 } });
  assert.equal(c.config.remotes[0]?.tls, true);
  assert.equal(c.config.desktop.notifications.daemon_error, false);
  const d = await updateConfig(c, { set: { 'myapp.x': undefined } });
  assert.doesNotMatch(readFileSync(path, 'utf8'), /x: 1/);
  assert.equal(d.config.remotes[0]?.tls, true);
});
