// settings.ts on its own: hypergolix.yml ↔ the settings form, with real files in temp homes.
// What the form shows (defaults, hand-written spellings, a broken value), the smallest edits a
// save makes (and what they keep), the errors a refused save names, and which part of what runs
// a change touches (daemon, embedded server, nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, HostFailure, type Settings } from '../../src/common/contract.js';
import { ConfigError, loadConfig, updateConfig, type LoadedConfig } from '../../src/core/config/index.js';
import { createMemoryLogger } from '../../src/core/log/index.js';
import { ConfigFollower } from '../../src/host/config-follower.js';
import { crossFieldProblems, daemonChanged, editsFromSettings, fieldsOf, isEmptyEdit, serverChanged, settingsFromConfig } from '../../src/host/settings.js';
import { StatusFeed } from '../../src/host/status.js';
import { tempHome } from './helpers.js';

const DEFAULTS: Settings = {
  remotes: [],
  process: { ipc_port: 7772, ipc_legacy_clients: false, ipc_accept_sent_key: true },
  instrumentation: { verbosity: 'info', debug: false },
  server: { port: 7770, enabled: false, host: 'localhost' },
  sharing: { accept: 'ask' },
  desktop: { start_at_login: false, notifications: { incoming_share: true, share_result: true, remote_unreachable: true, daemon_error: true, account_change: true } },
};

/** A new home with the default hypergolix.yml, or one whose file says `text`. */
async function home(text?: string): Promise<LoadedConfig> {
  const dir = tempHome('hgx-settings-');
  const created = await loadConfig({ env: { HYPERGOLIX_HOME: dir }, cwd: dir, homedir: dir, create: true });
  if (text === undefined) return created;
  writeFileSync(created.path, text);
  return loadConfig({ root: created.path, homedir: dir });
}

/** Saves a form the way ConfigFollower does: the edits from the file as it is, then the one save. */
async function saveForm(loaded: LoadedConfig, form: Settings): Promise<LoadedConfig> {
  const edits = editsFromSettings(loaded.config, form);
  return isEmptyEdit(edits) ? loaded : updateConfig(loaded, edits);
}

const changed = (loaded: LoadedConfig, change: (s: Settings) => void): Settings => {
  const s = structuredClone(settingsFromConfig(loaded.config));
  change(s);
  return s;
};

const HAND_WRITTEN = `# my own note, keep me
process:
  ipc_port: '7790'
  ipc_legacy_clients: yes
instrumentation:
  verbosity: loud
remotes:
  - host: Example.ORG
    port: 7770
    tls: y
  # the one at home
  - host: '[::1]'
    port: 7771
server:
  host: 192.168.1.5
  port: 7780
sharing:
  accept: KNOWN
desktop:
  embedded_server: on
  notifications:
    daemon_error: off
myapp:
  colour: blue
`;

// ───────────────────────────── file → form ─────────────────────────────

test('a new hypergolix.yml shows the defaults, and a save of them changes nothing', async () => {
  const loaded = await home();
  const form = settingsFromConfig(loaded.config);
  assert.deepEqual(form, DEFAULTS);
  assert.ok(isEmptyEdit(editsFromSettings(loaded.config, form)));
});

test('hand-written values show as the form\'s values (spellings normalized); the form saved unchanged writes nothing', async () => {
  const loaded = await home(HAND_WRITTEN);
  const form = settingsFromConfig(loaded.config);
  assert.deepEqual(form, {
    remotes: [
      { host: 'Example.ORG', port: 7770, tls: true },
      { host: '::1', port: 7771, tls: false },
    ],
    process: { ipc_port: 7790, ipc_legacy_clients: true, ipc_accept_sent_key: true },
    instrumentation: { verbosity: 'info', debug: false },
    // A specific address has no mode of its own: it shows as "Local network".
    server: { port: 7780, enabled: true, host: 'AUTO' },
    sharing: { accept: 'known' },
    desktop: { start_at_login: false, notifications: { incoming_share: true, share_result: true, remote_unreachable: true, daemon_error: false, account_change: true } },
  } satisfies Settings);
  assert.deepEqual(editsFromSettings(loaded.config, form), {});
  const after = await saveForm(loaded, form);
  assert.equal(readFileSync(loaded.path, 'utf8'), HAND_WRITTEN, 'byte-identical');
  assert.equal(after, loaded);
});

test('server.host: loopback names show as localhost, all-interface names as ANY, AUTO as AUTO', async () => {
  const cases: [string, Settings['server']['host']][] = [
    ['127.0.0.1', 'localhost'],
    ['localhost', 'localhost'],
    ['LOCALHOST', 'localhost'],
    ["'::1'", 'localhost'],
    ['0.0.0.0', 'ANY'],
    ["'::'", 'ANY'],
    ['any', 'ANY'],
    ['auto', 'AUTO'],
    ['hgx.example.org', 'AUTO'],
  ];
  for (const [written, mode] of cases) {
    const loaded = await home(`server:\n  host: ${written}\n`);
    assert.equal(settingsFromConfig(loaded.config).server.host, mode, written);
  }
});

test('a hand-edited invalid value: the file is refused, and each problem is keyed by the form field, as a sentence', async () => {
  const bad = `process:
  ipc_port: 70000
remotes:
  - host: a.example
    port: 7770
  - host: b.example
    port: seventy
server:
  host: 'not a host!'
desktop:
  embedded_server: maybe
`;
  const dir = tempHome('hgx-settings-');
  writeFileSync(join(dir, 'hypergolix.yml'), bad);
  const err = await loadConfig({ root: join(dir, 'hypergolix.yml'), homedir: dir }).then(
    () => assert.fail('an invalid file is not read'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConfigError);
  assert.deepEqual(fieldsOf(err), {
    'process.ipc_port': 'Must be a whole number from 1 to 65535.',
    'remotes.1.port': 'Must be a whole number from 1 to 65535.',
    'server.host': 'Must be a host name, an IP address, AUTO or ANY.',
    // desktop.embedded_server is the form's server.enabled.
    'server.enabled': 'Must be true or false (also yes/no, y/n, t/f, 1/0).',
  });
  assert.equal(readFileSync(join(dir, 'hypergolix.yml'), 'utf8'), bad, 'reading never rewrites it');
});

// ───────────────────────────── form → file ─────────────────────────────

test('a save writes only what the form changed: comments, a hand-written server address, unknown keys survive', async () => {
  const loaded = await home(HAND_WRITTEN);
  const form = changed(loaded, (s) => {
    s.instrumentation.verbosity = 'debug';
    s.server.port = 7781;
    s.desktop.start_at_login = true;
  });
  const edits = editsFromSettings(loaded.config, form);
  assert.deepEqual(edits, { instrumentation: { verbosity: 'debug' }, server: { port: 7781 }, desktop: { start_at_login: true } });
  const saved = await saveForm(loaded, form);
  assert.deepEqual(settingsFromConfig(saved.config), form, 'the file now says what the form says');
  const text = readFileSync(loaded.path, 'utf8');
  assert.match(text, /^# my own note, keep me$/m);
  assert.match(text, /^  # the one at home$/m);
  assert.match(text, /host: 192\.168\.1\.5/);
  assert.match(text, /ipc_port: '7790'/, 'an untouched key keeps its spelling');
  assert.match(text, /colour: blue/);
});

test('the server\'s switch and reach are written as desktop.embedded_server and server.host', async () => {
  const loaded = await home();
  const cases: [Settings['server']['host'], string][] = [
    ['ANY', 'ANY'],
    ['AUTO', 'AUTO'],
    ['localhost', '127.0.0.1'],
  ];
  let current = loaded;
  for (const [mode, written] of cases) {
    const form = changed(current, (s) => {
      s.server.host = mode;
      s.server.enabled = !s.server.enabled;
    });
    current = await saveForm(current, form);
    assert.equal(current.config.server.host, written, mode);
    assert.equal(current.config.desktop.embedded_server, form.server.enabled);
    assert.deepEqual(settingsFromConfig(current.config), form);
  }
});

test('remotes: appending, removing and switching TLS keep the other items, their comments and registration pages', async () => {
  const loaded = await home(`remotes:
  # first
  - host: a.example
    port: 7770
    registration: https://a.example/register
  # second
  - host: b.example
    port: 7770
    registration: https://b.example/register
  - host: c.example
    port: 7770
`);
  // a removed, b's TLS switched (b is now the first item), d appended.
  const form = changed(loaded, (s) => {
    s.remotes = [{ ...s.remotes[1]!, tls: true }, s.remotes[2]!, { host: 'd.example', port: 7771, tls: false }];
  });
  const saved = await saveForm(loaded, form);
  assert.deepEqual(
    saved.config.remotes.map((r) => [r.host, r.tls, r.registration]),
    [
      ['b.example', true, 'https://b.example/register'],
      ['c.example', false, null],
      ['d.example', false, null],
    ],
  );
  const text = readFileSync(loaded.path, 'utf8');
  assert.doesNotMatch(text, /a\.example/);
  assert.match(text, /# second\n  - host: b\.example/);
});

test('remotes: a host edited in place drops that remote\'s registration page (it belonged to the old server)', async () => {
  const loaded = await home(`remotes:
  - host: a.example
    port: 7770
    registration: https://a.example/register
  - host: b.example
    port: 7770
    registration: https://b.example/register
`);
  const saved = await saveForm(loaded, changed(loaded, (s) => void (s.remotes[0]!.host = 'a2.example')));
  assert.deepEqual(
    saved.config.remotes.map((r) => [r.host, r.registration]),
    [
      ['a2.example', null],
      ['b.example', 'https://b.example/register'],
    ],
  );
});

// BUG (settings.ts remoteEdits, the positional branch): one remote removed and another's host
// edited in the same save is not "append only", so every position is rewritten: the untouched
// remote c is overwritten into b's old item and its own item deleted, losing its comment and its
// registration page.
test('remotes: removing one and editing another in one save keeps a third, untouched remote as it was', async () => {
  const loaded = await home(`remotes:
  - host: a.example
    port: 7770
  - host: b.example
    port: 7770
  # c is my own server
  - host: c.example
    port: 7770
    tls: true
    registration: https://c.example/register
`);
  const form = changed(loaded, (s) => {
    s.remotes = [{ ...s.remotes[1]!, host: 'b2.example' }, s.remotes[2]!];
  });
  const saved = await saveForm(loaded, form);
  assert.deepEqual(saved.config.remotes.map((r) => r.host), ['b2.example', 'c.example']);
  assert.equal(saved.config.remotes[1]!.registration, 'https://c.example/register', "c's registration page is kept");
  assert.match(readFileSync(loaded.path, 'utf8'), /# c is my own server\n  - host: c\.example/, "c's comment is kept");
});

// ───────────────────────────── refusals ─────────────────────────────

test('a bad value: the save is refused with the form\'s field named, in a sentence, and the file is byte-identical', async () => {
  const loaded = await home(HAND_WRITTEN);
  const before = readFileSync(loaded.path);
  const cases: [string, (s: Settings) => void, string][] = [
    ['process.ipc_port', (s) => void (s.process.ipc_port = 70000), 'Must be a whole number from 1 to 65535.'],
    ['server.port', (s) => void (s.server.port = 0), 'Must be a whole number from 1 to 65535.'],
    ['remotes.2.port', (s) => void s.remotes.push({ host: 'new.example', port: 1.5, tls: false }), 'Must be a whole number from 1 to 65535.'],
    ['remotes.2.host', (s) => void s.remotes.push({ host: 'not a host!', port: 7770, tls: false }), 'Must be a host name or IP address.'],
    ['remotes.0.host', (s) => void (s.remotes[0]!.host = ''), 'Must be a host name or IP address.'],
    ['instrumentation.verbosity', (s) => void ((s.instrumentation as { verbosity: string }).verbosity = 'chatty'), 'Must be one of error, warning, info, debug, shouty, extreme (or quiet, normal, loud, louder).'],
  ];
  for (const [field, change, message] of cases) {
    const err = await saveForm(loaded, changed(loaded, change)).then(
      () => assert.fail(`${field}: refused`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ConfigError, field);
    assert.deepEqual(fieldsOf(err), { [field]: message }, field);
    assert.deepEqual(readFileSync(loaded.path), before, `${field}: nothing written`);
  }
});

test('checks across fields: the same remote twice, and the server on the apps\' port while it is on', () => {
  const s = structuredClone(DEFAULTS);
  assert.deepEqual(crossFieldProblems(s), {});
  s.remotes = [
    { host: 'a.example', port: 7770, tls: false },
    { host: 'b.example', port: 7770, tls: false },
    { host: 'A.EXAMPLE', port: 7770, tls: true },
    { host: '[::1]', port: 1 },
    { host: '::1', port: 1 },
  ].map((r) => ({ tls: false, ...r }));
  s.server.port = s.process.ipc_port;
  assert.deepEqual(crossFieldProblems(s), { 'remotes.2': 'Remote 1 already has this host and port.', 'remotes.4': 'Remote 4 already has this host and port.' });
  s.server.enabled = true;
  assert.equal(crossFieldProblems(s)['server.port'], 'Must differ from the app connection port.');
});

test('the save path (ConfigFollower): a refusal is an invalid-settings HostFailure with fields, nothing written; an unchanged form writes nothing', async (t) => {
  const loaded = await home(HAND_WRITTEN);
  const dir = loaded.dir;
  const log = createMemoryLogger({ name: 'host' });
  const feed = new StatusFeed(log, () => ({ app: null, config: null, configWarnings: [], serverProblem: null }));
  const follower = new ConfigFollower({ location: { env: { HYPERGOLIX_HOME: dir }, cwd: dir, homedir: dir }, log, status: feed, debounceMs: 20, onEdited: () => {} });
  t.after(() => follower.close());
  await follower.open();
  const before = readFileSync(loaded.path);
  const mtime = statSync(loaded.path).mtimeMs;

  const refused = await follower.save(changed(loaded, (s) => void (s.server.port = 0))).then(
    () => assert.fail('refused'),
    (e: unknown) => e,
  );
  assert.ok(refused instanceof HostFailure);
  assert.equal(refused.code, ERROR_CODES.invalidSettings);
  assert.deepEqual(refused.fields, { 'server.port': 'Must be a whole number from 1 to 65535.' });
  assert.deepEqual(readFileSync(loaded.path), before);

  const same = await follower.save(settingsFromConfig(loaded.config));
  assert.deepEqual(readFileSync(loaded.path), before);
  assert.equal(statSync(loaded.path).mtimeMs, mtime, 'not even rewritten with the same bytes');
  assert.deepEqual(settingsFromConfig(same.config), settingsFromConfig(loaded.config));

  // Broken by hand meanwhile: the save says what to fix first, and writes nothing.
  const broken = HAND_WRITTEN.replace("ipc_port: '7790'", 'ipc_port: seventy');
  writeFileSync(loaded.path, broken);
  const fix = await follower.save(changed(loaded, (s) => void (s.desktop.start_at_login = true))).then(
    () => assert.fail('refused'),
    (e: unknown) => e,
  );
  assert.ok(fix instanceof HostFailure);
  assert.equal(fix.code, ERROR_CODES.invalidSettings);
  assert.match(fix.message, /fix by hand first/);
  assert.deepEqual(fix.fields, { 'process.ipc_port': 'Must be a whole number from 1 to 65535.' });
  assert.equal(readFileSync(loaded.path, 'utf8'), broken);
});

test('edited by hand meanwhile: the save applies to the file as it is now; hand-written keys the form lacks survive, form fields are the form\'s (no conflict check on the host)', async () => {
  const loaded = await home(HAND_WRITTEN);
  const form = changed(loaded, (s) => void (s.desktop.start_at_login = true));
  // After the form was read: a comment, a server key the form does not show, and a form field.
  const hand = readFileSync(loaded.path, 'utf8')
    .replace('  port: 7780\n', '  port: 7780\n  max_message_bytes: 16 MiB # bigger\n')
    .replace('verbosity: loud', 'verbosity: warning');
  writeFileSync(loaded.path, hand);
  const fresh = await loadConfig({ root: loaded.path, homedir: loaded.homedir });
  const saved = await saveForm(fresh, form);
  assert.equal(saved.config.desktop.start_at_login, true);
  assert.equal(saved.config.server.max_message_bytes, 16 * 1024 * 1024);
  assert.match(readFileSync(loaded.path, 'utf8'), /max_message_bytes: 16 MiB # bigger/);
  // The form still said "info" (loud): it wins over the hand edit it never saw.
  assert.equal(saved.config.instrumentation.verbosity, 'info');
});

test('two saves at once from the same form state: both changes land', async (t) => {
  const loaded = await home();
  const dir = loaded.dir;
  const log = createMemoryLogger({ name: 'host' });
  const feed = new StatusFeed(log, () => ({ app: null, config: null, configWarnings: [], serverProblem: null }));
  const follower = new ConfigFollower({ location: { env: { HYPERGOLIX_HOME: dir }, cwd: dir, homedir: dir }, log, status: feed, debounceMs: 20, onEdited: () => {} });
  t.after(() => follower.close());
  await follower.open();
  const a = changed(loaded, (s) => void (s.instrumentation.verbosity = 'debug'));
  const b = changed(loaded, (s) => void s.remotes.push({ host: 'r.example', port: 7770, tls: true }));
  await Promise.all([follower.save(a), follower.save(b)]);
  const onDisk = await loadConfig({ root: loaded.path, homedir: dir });
  assert.equal(onDisk.config.instrumentation.verbosity, 'debug');
  assert.deepEqual(onDisk.config.remotes.map((r) => r.host), ['r.example']);
});

// ───────────────────────────── what a change needs ─────────────────────────────

test('which part runs again for each form field: daemon, embedded server, or nothing', async () => {
  const loaded = await home(`remotes:\n  - host: a.example\n    port: 7770\n`);
  const rows: [string, (s: Settings) => void, { daemon: boolean; server: boolean }][] = [
    ['process.ipc_port', (s) => void (s.process.ipc_port = 7790), { daemon: true, server: false }],
    ['process.ipc_legacy_clients', (s) => void (s.process.ipc_legacy_clients = true), { daemon: true, server: false }],
    ['instrumentation.verbosity', (s) => void (s.instrumentation.verbosity = 'debug'), { daemon: true, server: false }],
    ['instrumentation.debug', (s) => void (s.instrumentation.debug = true), { daemon: true, server: false }],
    ['remotes (added)', (s) => void s.remotes.push({ host: 'b.example', port: 7770, tls: false }), { daemon: true, server: false }],
    ['remotes (tls)', (s) => void (s.remotes[0]!.tls = true), { daemon: true, server: false }],
    ['sharing.accept', (s) => void (s.sharing.accept = 'all'), { daemon: true, server: false }],
    ['server.port', (s) => void (s.server.port = 7790), { daemon: false, server: true }],
    ['server.host', (s) => void (s.server.host = 'ANY'), { daemon: false, server: true }],
    ['server.enabled', (s) => void (s.server.enabled = true), { daemon: false, server: true }],
    ['desktop.start_at_login', (s) => void (s.desktop.start_at_login = true), { daemon: false, server: false }],
    ['desktop.notifications', (s) => void (s.desktop.notifications.share_result = false), { daemon: false, server: false }],
  ];
  for (const [name, change, want] of rows) {
    const saved = await saveForm(loaded, changed(loaded, change));
    assert.deepEqual({ daemon: daemonChanged(loaded.config, saved.config), server: serverChanged(loaded.config, saved.config) }, want, name);
    // Back to the start for the next row.
    await saveForm(saved, settingsFromConfig(loaded.config));
  }
  // The account named in the file is not a restart (restart-plan decides about another account).
  const other = await updateConfig(loaded, { user: { fingerprint: null, user_id: null } });
  assert.equal(daemonChanged(loaded.config, other.config), false);
  assert.equal(serverChanged(loaded.config, other.config), false);
});
