// resolve.ts's own contract: a parsed, validated document → the resolved config (defaults, paths
// from the config's directory, the server's files apart from the app's, reference spellings,
// ranges, problems and warnings with their field and line). Loading and saving are load.test.ts's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { keysOf, putIn } from '../../../src/common/config-paths.js';
import { lineOfPath, parseText } from '../../../src/core/config/document.js';
import { resolveConfig, type ResolveContext, type Resolved } from '../../../src/core/config/resolve.js';
import { isReferenceKey, plainConfig } from '../../../src/core/config/schema.js';
import { expectedDefaults, ghidText, secretText } from './helpers.js';

const posixOnly = { skip: process.platform === 'win32' && 'POSIX paths' };

// Neither is the working directory: a relative path must not land there.
const DIR = '/srv/hgx-resolve-test/config dir';
const HOME = '/home/resolve-user';

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;

/** Parses YAML as the config module does and resolves it, lines taken from the text. */
function run(text: string, ctx: Partial<ResolveContext> = {}): Resolved {
  const { doc, lines } = parseText(text);
  assert.deepEqual(doc.errors, [], 'test YAML parses');
  return resolveConfig(doc.toJS(), { dir: DIR, homedir: HOME, lineOf: (p) => lineOfPath(doc, lines, p), ...ctx });
}

/** As run, and there must be no problem. */
function clean(text: string, ctx: Partial<ResolveContext> = {}): Resolved {
  const r = run(text, ctx);
  assert.deepEqual(r.problems, [], text);
  return r;
}

const problemsOf = (r: Resolved) => r.problems.map((p) => [p.path.join('.'), p.line]);
const warningsOf = (r: Resolved) => r.warnings.map((w) => [w.code, w.field, w.line]);

const defaults = expectedDefaults;

const ctx0: ResolveContext = { dir: DIR, homedir: HOME, lineOf: () => null };

// ───────────────────────────── defaults ─────────────────────────────

test('no document at all (undefined, null, {}) resolves to every default of README and §6.1, with no warning', () => {
  for (const value of [undefined, null, {}]) {
    const r = resolveConfig(value, ctx0);
    assert.deepEqual(r.problems, [], String(value));
    assert.deepEqual(r.warnings, [], String(value));
    assert.deepEqual(plainConfig(r.config), defaults(DIR), String(value));
  }
  // The same from an empty YAML file and from a file of comments only.
  assert.deepEqual(plainConfig(clean('').config), defaults(DIR));
  assert.deepEqual(plainConfig(clean('# nothing here\n').config), defaults(DIR));
});

test('every key of the table written as null (the reference writes "default" as null) takes its default', () => {
  const tree: Record<string, unknown> = { remotes: null };
  for (const { path } of keysOf().filter((k) => k.path[0] !== 'remotes[]')) putIn(tree, path, null);
  const r = resolveConfig(tree, ctx0);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(plainConfig(r.config), defaults(DIR));
});

test("YAML's spellings of null (~, null, Null, NULL, nothing) and null or empty sections all mean the default", () => {
  const r = clean(
    [
      'process:',
      '  ghidcache: ~',
      '  logdir:',
      '  pid_file: Null',
      '  ipc_port: NULL',
      'instrumentation:',
      'user: ~',
      'remotes: ~',
      'server: {}',
      'sharing: null',
      'account:',
      'desktop:',
      '  notifications: ~',
      '',
    ].join('\n'),
  );
  assert.deepEqual(plainConfig(r.config), defaults(DIR));
  assert.deepEqual(r.warnings, []);
});

test('defaults are based on the config directory given, spaces and unicode and all', () => {
  const dir = '/tmp/Hyper Gölix/配置 ☃';
  const r = resolveConfig({}, { ...ctx0, dir });
  assert.deepEqual(plainConfig(r.config), defaults(dir));
  assert.equal(r.config.server.ghidcache, `${dir}/server/ghidcache`);
});

test('each resolve gets its own default lists: changing one result does not change the next', () => {
  const a = resolveConfig({}, ctx0);
  a.config.sharing.block.push(null as never);
  a.config.remotes.push(null as never);
  const b = resolveConfig({}, ctx0);
  assert.deepEqual(b.config.sharing.block, []);
  assert.deepEqual(b.config.remotes, []);
});

// ───────────────────────────── paths ─────────────────────────────

const PATH_KEYS = [
  ['process', 'ghidcache'],
  ['process', 'logdir'],
  ['process', 'pid_file'],
  ['server', 'ghidcache'],
  ['server', 'logdir'],
  ['server', 'pid_file'],
] as const;

function pathValue(r: Resolved, [section, key]: (typeof PATH_KEYS)[number]): string {
  return r.config[section][key];
}

test('every path key: relative from the config directory (not the cwd), absolute as given, ~ from home', posixOnly, () => {
  const cases: [written: string, expected: string][] = [
    ['cache', `${DIR}/cache`],
    ['./a/../b', `${DIR}/b`],
    ['../beside', `${dirname(DIR)}/beside`],
    ['/var/lib/hgx/./x/../cache', '/var/lib/hgx/cache'],
    ['~', HOME],
    ['~/x/y', `${HOME}/x/y`],
    ['~/../other', `${dirname(HOME)}/other`],
    // Only `~` and `~/…` mean home: `~user/…` and a `~` inside are plain relative names.
    ['~someone/x', `${DIR}/~someone/x`],
    ['a/~/b', `${DIR}/a/~/b`],
  ];
  assert.notEqual(process.cwd(), DIR);
  for (const [written, expected] of cases) {
    for (const key of PATH_KEYS) {
      const r = clean(`${key[0]}:\n  ${key[1]}: ${JSON.stringify(written)}\n`);
      assert.equal(pathValue(r, key), expected, `${key.join('.')}: ${written}`);
    }
  }
});

test('paths with spaces and unicode are kept exactly (no trimming inside, no unicode normalization)', posixOnly, () => {
  const decomposed = 'Cafe\u0301'; // e + combining acute, not NFC's é
  const r = clean(
    [
      'process:',
      '  ghidcache: my cache/Ünïcødé 🗂',
      `  logdir: "${decomposed} logs"`,
      '  pid_file: ~/Mes Documents/hgx.pid',
      'server:',
      '  ghidcache: /mnt/Disque externe/服务器',
      '',
    ].join('\n'),
    { dir: '/tmp/ドキュメント/hgx config', homedir: '/home/zoë' },
  );
  assert.equal(r.config.process.ghidcache, '/tmp/ドキュメント/hgx config/my cache/Ünïcødé 🗂');
  assert.equal(r.config.process.logdir, `/tmp/ドキュメント/hgx config/${decomposed} logs`);
  assert.notEqual(r.config.process.logdir.normalize('NFC'), r.config.process.logdir);
  assert.equal(r.config.process.pid_file, '/home/zoë/Mes Documents/hgx.pid');
  assert.equal(r.config.server.ghidcache, '/mnt/Disque externe/服务器');
});

test('a trailing separator is dropped from relative and absolute paths', posixOnly, () => {
  const r = clean('process:\n  ghidcache: cache/\nserver:\n  ghidcache: /data/srv-cache//\n');
  assert.equal(r.config.process.ghidcache, `${DIR}/cache`);
  assert.equal(r.config.server.ghidcache, '/data/srv-cache');
});

// The file store keeps `<ghidcache>.lock`, `.index`, `.journal.N`, `.outbox` and `.account` BESIDE
// the directory, built as `${dir}.lock` (store-lock.ts, file-store.ts, daemon.ts): one directory
// must resolve to one string, or the lock that keeps two stores off one directory is split in two.
// With `~/cache/` they land INSIDE the directory (`cache/.lock`, `cache/.index`), where the store's
// own open quarantines them as "not an object file" (checked by hand against FileStore).
test('a ~/ path is normalized like the others: ~/cache/ and ~/cache name one directory, one string', posixOnly, () => {
  const r = clean('process:\n  ghidcache: ~/cache/\nserver:\n  ghidcache: ~/cache\n');
  assert.equal(r.config.server.ghidcache, `${HOME}/cache`);
  assert.equal(r.config.process.ghidcache, `${HOME}/cache`, '~/cache/ keeps its trailing slash: its lock would be ~/cache/.lock, inside it');
  assert.equal(`${r.config.process.ghidcache}.lock`, `${r.config.server.ghidcache}.lock`);
});

test('a path that is not a usable name is a problem on its line, and the key keeps its default', () => {
  const bad: [string, string][] = [
    ['""', 'empty'],
    ['"   "', 'blank'],
    ['"a\\0b"', 'a NUL byte'],
    ['42', 'a number'],
    ['true', 'a boolean'],
    ['[a, b]', 'a list'],
    ['{a: 1}', 'a mapping'],
  ];
  for (const [yaml, what] of bad) {
    for (const key of PATH_KEYS) {
      const r = run(`${key[0]}:\n  ${key[1]}: ${yaml}\n`);
      assert.deepEqual(problemsOf(r), [[key.join('.'), 2]], `${key.join('.')}: ${what}`);
      assert.match(r.problems[0]!.problem, /must be a file system path/);
      assert.equal(pathValue(r, key), pathValue(resolveConfig({}, ctx0), key), `${key.join('.')} falls back to its default`);
    }
  }
});

// ───────────────────────────── the server's files apart from the app's ─────────────────────────────

test("the server's ghidcache, logs and pid file default apart from the app's, neither inside the other (defect 31)", () => {
  const c = resolveConfig({}, ctx0).config;
  const app = [c.process.ghidcache, c.process.logdir, c.process.pid_file];
  const srv = [c.server.ghidcache, c.server.logdir, c.server.pid_file];
  assert.deepEqual(srv, [join(DIR, 'server', 'ghidcache'), join(DIR, 'server', 'logs'), join(DIR, 'hgx-server.pid')]);
  for (const a of app) {
    for (const s of srv) {
      assert.notEqual(a, s);
      assert.ok(!s.startsWith(a + '/') && !a.startsWith(s + '/'), `${a} / ${s}`);
    }
  }
  // The stores' sibling files (<ghidcache>.lock, .index, …) differ too.
  assert.notEqual(`${c.process.ghidcache}.lock`, `${c.server.ghidcache}.lock`);
  assert.notEqual(c.process.pid_file, c.server.pid_file);
});

test("setting the app's paths leaves the server's at their defaults, and the other way round", () => {
  const d = resolveConfig({}, ctx0).config;
  const app = clean('process:\n  ghidcache: /data/app\n  logdir: app-logs\n  pid_file: app.pid\n').config;
  assert.deepEqual([app.server.ghidcache, app.server.logdir, app.server.pid_file], [d.server.ghidcache, d.server.logdir, d.server.pid_file]);
  assert.equal(app.process.logdir, join(DIR, 'app-logs'));
  const srv = clean('server:\n  ghidcache: /data/srv\n  logdir: srv-logs\n  pid_file: srv.pid\n').config;
  assert.deepEqual([srv.process.ghidcache, srv.process.logdir, srv.process.pid_file], [d.process.ghidcache, d.process.logdir, d.process.pid_file]);
  assert.equal(srv.server.pid_file, join(DIR, 'srv.pid'));
});

test('a file written by the reference (§6.1): absolute paths kept, the shared ghidcache and logdir accepted as written', posixOnly, () => {
  const fp = ghidText();
  const uid = ghidText();
  const text = [
    'process:',
    '  ghidcache: /home/u/.hypergolix/ghidcache',
    '  logdir: /home/u/.hypergolix/logs',
    '  pid_file: /home/u/.hypergolix/hypergolix.pid',
    '  ipc_port: 7772',
    'instrumentation:',
    '  verbosity: info',
    '  debug: false',
    '  traceur: false',
    'user:',
    `  fingerprint: ${fp}`,
    `  user_id: ${uid}`,
    '  root_secret: null',
    'remotes:',
    '- host: 127.0.0.1',
    '  port: 7770',
    '  tls: false',
    'server:',
    '  ghidcache: /home/u/.hypergolix/ghidcache',
    '  logdir: /home/u/.hypergolix/logs',
    '  pid_file: /home/u/.hypergolix/hgx-server.pid',
    '  host: 127.0.0.1',
    '  port: 7770',
    '  verbosity: info',
    '  debug: false',
    '',
  ].join('\n');
  const r = clean(text);
  assert.deepEqual(r.warnings, []);
  const c = r.config;
  assert.equal(c.user.fingerprint?.text, fp);
  assert.equal(c.user.user_id?.text, uid);
  assert.deepEqual(c.remotes, [{ host: '127.0.0.1', port: 7770, tls: false, registration: null }]);
  // The reference's defect 31 as its file spells it: both roles on one ghidcache. resolve.ts takes
  // the file as written (the project accepts every reference file); the stores' lock refuses the
  // second opener at run time (store-lock.ts).
  assert.equal(c.process.ghidcache, '/home/u/.hypergolix/ghidcache');
  assert.equal(c.server.ghidcache, c.process.ghidcache);
  assert.equal(c.server.logdir, c.process.logdir);
  assert.equal(c.server.pid_file, '/home/u/.hypergolix/hgx-server.pid');
});

test('app and server on one directory, in different spellings: one string, accepted (the store lock refuses the second opener)', posixOnly, () => {
  const r = clean(['process:', '  ghidcache: shared', 'server:', `  ghidcache: ${DIR}/x/../shared/`, ''].join('\n'));
  // Reference-written files share it (hypergolix-reference 6.1); the spellings meet in one string, so the lock sees one file.
  assert.equal(r.config.process.ghidcache, `${DIR}/shared`);
  assert.equal(r.config.server.ghidcache, r.config.process.ghidcache);
  assert.deepEqual(r.warnings, []);
});

test('app and server on one pid file, in any spelling, is a problem naming server.pid_file (stopping one would stop the other)', posixOnly, () => {
  const r = run(['process:', '  pid_file: ./one.pid', 'server:', '  pid_file: one.pid', ''].join('\n'));
  assert.deepEqual(
    r.problems.map((p) => [p.path.join('.'), p.problem]),
    [['server.pid_file', `is the same file as process.pid_file (${DIR}/one.pid); the app daemon and the server each need their own`]],
  );
});

// ───────────────────────────── reference spellings → the project's values ─────────────────────────────

test("verbosity: the reference CLI's words, Python's numeric levels and any case, for the app and the server", () => {
  const cases: [string, string][] = [
    ['quiet', 'error'],
    ['normal', 'warning'],
    ['warn', 'warning'],
    ['loud', 'info'],
    ['LOUDER', 'debug'],
    [' Shouty ', 'shouty'],
    ['extreme', 'extreme'],
    ['50', 'error'],
    ['40', 'error'],
    ['39', 'warning'],
    ['20', 'info'],
    ['10', 'debug'],
    ['5', 'shouty'],
    ['1', 'extreme'],
    ['0', 'extreme'],
  ];
  for (const [written, want] of cases) {
    const yaml = /^\d+$/.test(written) ? written : JSON.stringify(written);
    const c = clean(`instrumentation:\n  verbosity: ${yaml}\nserver:\n  verbosity: ${yaml}\n`).config;
    assert.equal(c.instrumentation.verbosity, want, written);
    assert.equal(c.server.verbosity, want, written);
  }
  assert.deepEqual(problemsOf(run('instrumentation:\n  verbosity: -1\n')), [['instrumentation.verbosity', 2]]);
});

test('server.host: null is 127.0.0.1, AUTO and ANY in any case, an IPv6 address without its brackets', () => {
  const host = (yaml: string) => clean(`server:\n  host: ${yaml}\n`).config.server.host;
  assert.equal(host('null'), '127.0.0.1');
  assert.equal(host('auto'), 'AUTO');
  assert.equal(host('" Any "'), 'ANY');
  assert.equal(host('"[::1]"'), '::1');
  assert.equal(host('hgx.example.org'), 'hgx.example.org');
});

test('switches take the reference spellings (y/n, t/f, yes/no, 1/0, on/off) and YAML booleans', () => {
  for (const [yaml, want] of [
    ['true', true],
    ['y', true],
    ['Yes', true],
    ['T', true],
    ['1', true],
    ['on', true],
    ['false', false],
    ['N', false],
    ['no', false],
    ['f', false],
    ['0', false],
    ['off', false],
  ] as const) {
    const c = clean(`instrumentation:\n  debug: ${yaml}\nremotes:\n- {host: a.org, port: 1, tls: ${yaml}}\n`).config;
    assert.equal(c.instrumentation.debug, want, yaml);
    assert.equal(c.remotes[0]?.tls, want, yaml);
  }
});

test('server.registration: false means off; instrumentation.traceur (unused) null means false', () => {
  const c = clean('server:\n  registration: false\ninstrumentation:\n  traceur: null\n').config;
  assert.equal(c.server.registration, 'off');
  assert.equal(c.instrumentation.traceur, false);
});

test("the 2016 file's marker keys and user.password are ignored without a warning; anything else unknown is warned about with its line", () => {
  const r = clean(
    [
      'process: {__ProcessDef__: true, ipc_port: 7773}',
      'instrumentation: {__InstrumentationDef__: true}',
      'user: {__UserDef__: true, password: null}',
      'remotes:',
      '- {host: a.org, port: 1, __RemoteDef__: true, colour: red}',
      'server: {password: hunter2}',
      'mystery: 1',
      '',
    ].join('\n'),
  );
  assert.equal(r.config.process.ipc_port, 7773);
  assert.deepEqual(r.config.remotes, [{ host: 'a.org', port: 1, tls: false, registration: null }]);
  assert.deepEqual(warningsOf(r), [
    ['unknown-key', 'mystery', 7],
    ['unknown-key', 'remotes[0].colour', 5],
    ['unknown-key', 'server.password', 6],
  ]);
});

test("isReferenceKey: the reference's sections and keys (§6.1), remotes with all their items; not the project's", () => {
  for (const p of [['process'], ['process', 'ghidcache'], ['server', 'pid_file'], ['instrumentation', 'traceur'], ['user', 'root_secret'], ['remotes'], ['remotes', 0], ['remotes', 2, 'tls'], ['server']]) {
    assert.equal(isReferenceKey(p), true, p.join('.'));
  }
  for (const p of [['sharing'], ['account'], ['desktop'], ['desktop', 'notifications', 'daemon_error'], ['server', 'max_message_bytes'], ['process', 'ipc_legacy_clients'], ['nope'], ['process', 'nope'], []]) {
    assert.equal(isReferenceKey(p), false, p.join('.'));
  }
});

// ───────────────────────────── ranges ─────────────────────────────

/** [key, lowest accepted, highest accepted, just below, just above, what the lowest and highest resolve to]. */
const RANGES: [string, string, string, string, string, number, number][] = [
  ['process.ipc_port', '1', '65535', '0', '65536', 1, 65535],
  ['server.port', '1', '"65535"', '0', '65536', 1, 65535],
  ['server.max_message_bytes', '64 KiB', '1 GiB', '65535', String(GIB + 1), 64 * KIB, GIB],
  ['server.push_budget_bytes', '1 MiB', '64 GiB', String(MIB - 1), String(64 * GIB + 1), MIB, 64 * GIB],
  ['server.max_subscriptions', '1', '10000000', '0', '10000001', 1, 10_000_000],
  ['server.check_store_hours', '0', '576', '-1', '577', 0, 576],
  ['server.max_requests_per_recipient', '1', '10000000', '0', '10000001', 1, 10_000_000],
  ['server.quota_bytes_per_identity', '1 KiB', '1024 GiB', '1023', String(1024 * GIB + 1), KIB, 1024 * GIB],
  ['server.quota_objects_per_identity', '1', '1000000000', '0', '1000000001', 1, 1_000_000_000],
  ['server.publish_rate_per_identity', '0.001', '1000000', '0.0009', '1000000.5', 0.001, 1_000_000],
  ['server.unsigned_publish_rate_per_connection', '"0.001"', '1000000', '0', '1000001', 0.001, 1_000_000],
  ['server.publish_burst', '1', '10000000', '0', '10000001', 1, 10_000_000],
  ['server.unregistered_upload_bytes', '0', '1024 GiB', '-1', '1025 GiB', 0, 1024 * GIB],
];

function at(c: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], c);
}

test('values at the edges of their range: both ends accepted, one step past either end a problem and the default', () => {
  const d = resolveConfig({}, ctx0).config;
  for (const [key, lo, hi, below, above, loValue, hiValue] of RANGES) {
    const [section, name] = key.split('.');
    const yaml = (v: string) => `${section}:\n  ${name}: ${v}\n`;
    assert.equal(at(clean(yaml(lo)).config, key), loValue, `${key} = ${lo}`);
    assert.equal(at(clean(yaml(hi)).config, key), hiValue, `${key} = ${hi}`);
    for (const out of [below, above]) {
      const r = run(yaml(out));
      assert.deepEqual(problemsOf(r), [[key, 2]], `${key} = ${out}`);
      assert.equal(at(r.config, key), at(d, key), `${key} = ${out} falls back to the default`);
    }
  }
});

test('ports and counts: digit strings are read, fractions and words are not', () => {
  assert.equal(clean('process:\n  ipc_port: " 443 "\n').config.process.ipc_port, 443);
  assert.equal(clean('process:\n  ipc_port: 7770.0\n').config.process.ipc_port, 7770);
  for (const bad of ['7770.5', 'seventy', '"77a"', '[1]']) {
    assert.deepEqual(problemsOf(run(`process:\n  ipc_port: ${bad}\n`)), [['process.ipc_port', 2]], bad);
  }
});

test('account.kdf: scrypt with n a power of two in [1024, 2^22], r in [1, 32], p in [1, 16]; the first wrong part is named', () => {
  const kdf = (n: unknown, r: unknown, p: unknown, algorithm: unknown = 'scrypt') => run(`account:\n  kdf: ${JSON.stringify({ algorithm, n, r, p })}\n`);
  for (const [n, r, p] of [
    [1024, 1, 1],
    [2 ** 22, 32, 16],
    [2 ** 17, 8, 1],
  ] as const) {
    const res = kdf(n, r, p);
    assert.deepEqual(res.problems, []);
    assert.deepEqual(res.config.account.kdf, { algorithm: 'scrypt', n, r, p });
  }
  const wrong: [ReturnType<typeof kdf>, string][] = [
    [kdf(512, 8, 1), 'n'],
    [kdf(2 ** 23, 8, 1), 'n'],
    [kdf(3072, 8, 1), 'n'],
    [kdf('1024', 8, 1), 'n'],
    [kdf(1024, 0, 1), 'r'],
    [kdf(1024, 33, 1), 'r'],
    [kdf(1024, 8, 0), 'p'],
    [kdf(1024, 8, 17), 'p'],
    [kdf(1024, 8.5, 1), 'r'],
    [kdf(2 ** 23, 0, 0, 'argon2'), 'algorithm'],
  ];
  for (const [res, part] of wrong) {
    assert.deepEqual(problemsOf(res), [[`account.kdf.${part}`, 2]], part);
    assert.equal(res.config.account.kdf, null);
  }
  const notMap = run('account:\n  kdf: scrypt\n');
  assert.deepEqual(problemsOf(notMap), [['account.kdf', 2]]);
  // Extra keys are not carried into the setting.
  const extra = clean('account:\n  kdf: {algorithm: scrypt, n: 1024, r: 8, p: 1, salt: abc}\n');
  assert.deepEqual(extra.config.account.kdf, { algorithm: 'scrypt', n: 1024, r: 8, p: 1 });
});

// ───────────────────────────── GHID lists ─────────────────────────────

test('publish_allowlist: absent or null is anyone (null), [] is nobody; sharing.block: absent or null is []', () => {
  const g = ghidText();
  assert.equal(clean('server:\n  publish_allowlist: null\n').config.server.publish_allowlist, null);
  assert.deepEqual(clean('server:\n  publish_allowlist: []\n').config.server.publish_allowlist, []);
  assert.deepEqual(clean(`server:\n  publish_allowlist: [" ${g} "]\n`).config.server.publish_allowlist?.map((x) => x.text), [g]);
  assert.deepEqual(clean('sharing:\n  block: null\n').config.sharing.block, []);
  const r = run(`sharing:\n  block:\n  - ${g}\n  - nope\n  - ${ghidText().slice(0, 87)}\n`);
  assert.deepEqual(problemsOf(r), [
    ['sharing.block.1', 4],
    ['sharing.block.2', 5],
  ]);
});

// resolve.ts, Resolver.key: "absent or null → the default; a bad value → a problem, and the default."
test('a bad value of each kind is a problem on its line, and the key keeps its default', () => {
  const d = plainConfig(resolveConfig({}, ctx0).config);
  const cases: [string, string][] = [
    ['process.ipc_port', 'x'],
    ['instrumentation.verbosity', 'chatty'],
    ['instrumentation.debug', 'perhaps'],
    ['user.fingerprint', 'AQ'],
    ['user.root_secret', 'not-a-secret'],
    ['server.host', '"a b"'],
    ['server.max_message_bytes', '1'],
    ['server.publish_allowlist', 'everyone'],
    ['server.store', 'mysql'],
    ['server.postgres', 'mysql://x'],
    ['server.registration_webhook_secret', 'short'],
    ['server.registration', 'maybe'],
    ['sharing.accept', 'everyone'],
    ['account.kdf', '[1]'],
    ['desktop.start_at_login', 'later'],
  ];
  for (const [key, yaml] of cases) {
    const [section, name] = key.split('.');
    const r = run(`${section}:\n  ${name}: ${yaml}\n`);
    assert.deepEqual(problemsOf(r), [[key, 2]], key);
    assert.deepEqual(at(plainConfig(r.config), key), at(d, key), `${key} keeps its default`);
  }
});

test('sharing.block that is not a list is a problem, and the key keeps its default []', () => {
  const r = run('sharing:\n  block: everyone\n');
  assert.deepEqual(problemsOf(r), [['sharing.block', 2]]);
  assert.deepEqual(r.config.sharing.block, [], 'Resolver.ghidList returns null here, not the default [] its type promises');
});

// ───────────────────────────── remotes ─────────────────────────────

test('remotes: tls defaults to false and registration to null; a bad remote is dropped, each of its problems named', () => {
  const r = run(
    [
      'remotes:',
      '- host: "[::1]"',
      '  port: "7770"',
      '- {host: b.org}',
      '- {port: 0}',
      '- just-a-string',
      '- {host: e.org, port: 443, tls: yes, registration: "https://e.org/join"}',
      '',
    ].join('\n'),
  );
  assert.deepEqual(problemsOf(r), [
    ['remotes.1.port', 4],
    ['remotes.2.host', 5],
    ['remotes.2.port', 5],
    ['remotes.3', 6],
  ]);
  assert.match(r.problems[0]!.problem, /missing/);
  assert.deepEqual(r.config.remotes, [
    { host: '::1', port: 7770, tls: false, registration: null },
    { host: 'e.org', port: 443, tls: true, registration: 'https://e.org/join' },
  ]);
  assert.deepEqual(problemsOf(run('remotes: {host: a.org, port: 1}\n')), [['remotes', 1]]);
});

// ───────────────────────────── shapes, lines, warnings ─────────────────────────────

test('a section or group that is not a mapping is a problem on its line, and its keys keep their defaults', () => {
  const r = run('process: 5\ndesktop:\n  notifications: on\n  start_at_login: true\n');
  assert.deepEqual(problemsOf(r), [
    ['process', 1],
    ['desktop.notifications', 3],
  ]);
  const d = defaults(DIR);
  assert.deepEqual(plainConfig(r.config), { ...d, desktop: { ...d.desktop, start_at_login: true } });
});

test('a document that is not a mapping is one problem without a field; no line when lineOf knows none', () => {
  for (const value of [5, 'process', [1, 2], true]) {
    const r = resolveConfig(value, ctx0);
    assert.deepEqual(r.problems.map((p) => [p.path, p.line]), [[[], null]], String(value));
    assert.match(r.problems[0]!.problem, /must hold sections/);
    assert.deepEqual(plainConfig(r.config), defaults(DIR));
  }
});

test('lineOf is asked for the exact field path of each problem and warning', () => {
  const asked: string[] = [];
  const r = resolveConfig(
    { remotes: [{ host: 'a.org', port: 'x' }], server: { publish_burst: 5 }, zzz: 1 },
    { ...ctx0, lineOf: (p) => (asked.push(p.join('.')), 40 + p.length) },
  );
  assert.deepEqual(r.problems, [{ path: ['remotes', 0, 'port'], line: 43, problem: r.problems[0]!.problem }]);
  assert.deepEqual(warningsOf(r), [
    ['unknown-key', 'zzz', 41],
    ['ignored-value', 'server.publish_burst', 42],
  ]);
  assert.deepEqual(asked.sort(), ['remotes.0.port', 'server.publish_burst', 'zzz']);
});

test('warnings about combinations: root_secret in the file, a burst without a rate, legacy IPC clients', () => {
  const secret = secretText();
  const r = clean(`user:\n  root_secret: ${secret}\nserver:\n  publish_burst: 20\nprocess:\n  ipc_legacy_clients: yes\n`);
  assert.equal(r.config.user.root_secret?.text, secret);
  assert.deepEqual(warningsOf(r), [
    ['root-secret', 'user.root_secret', 2],
    ['ignored-value', 'server.publish_burst', 4],
    ['ipc-legacy-clients', 'process.ipc_legacy_clients', 6],
  ]);
  for (const w of r.warnings) assert.ok(!w.message.includes(secret), 'the secret is never repeated');
  assert.deepEqual(warningsOf(clean('server:\n  publish_burst: 20\n  publish_rate_per_identity: 2\n')), [], 'a burst with a rate is fine');
  assert.deepEqual(warningsOf(clean('process:\n  ipc_legacy_clients: false\n')), []);
});

test('a bad secret is a problem that never repeats the text; a bad unused key (traceur) only a warning', () => {
  const near = 'A' + secretText().slice(1);
  const r = run(`user:\n  root_secret: ${near}\n`);
  assert.deepEqual(problemsOf(r), [['user.root_secret', 2]]);
  assert.ok(!r.problems[0]!.problem.includes(near.slice(0, 12)));
  assert.equal(r.config.user.root_secret, null);
  assert.deepEqual(warningsOf(r), []);
  const t = run('instrumentation:\n  traceur: sometimes\n');
  assert.deepEqual(t.problems, []);
  assert.deepEqual(warningsOf(t), [['ignored-value', 'instrumentation.traceur', 2]]);
  assert.equal(t.config.instrumentation.traceur, false);
});
