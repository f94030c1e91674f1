// DocumentEditor (src/core/config/edits.ts) on its own: validated edits applied in place to the
// user's YAML Document, so comments, blank lines, key order and unknown keys survive. The saving
// around it (validation, atomic write, re-reading the file) is save.test.ts's; the CLI words are
// test/cli/config.test.ts's. Here each operation is pinned directly, by rendering the Document the
// way file.ts does (`renderDocument`) and by parsing that text back with `yaml`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml, type Document } from 'yaml';
import { CONFIG_KEYS } from '../../../src/common/config-keys.js';
import { parseText, renderDocument } from '../../../src/core/config/document.js';
import { DocumentEditor, EditConflict, type ConfigEdits } from '../../../src/core/config/edits.js';
import { formatField } from '../../../src/core/config/errors.js';
import { Ghid } from '../../../src/core/golix/ghid.js';
import { ValueError } from '../../../src/core/golix/errors.js';
import { ghidText } from './helpers.js';

// ───────────────────────────── helpers ─────────────────────────────

/** Parsed exactly as the config module parses a file. */
const docOf = (text: string): Document => parseText(text).doc;
/** Rendered exactly as file.ts renders a Document for saving. */
const render = (doc: Document): string => renderDocument(doc);

interface Edited {
  doc: Document;
  text: string;
  /** The output text parsed back with `yaml`. */
  value: Record<string, unknown>;
}

function edit(text: string, fn: (e: DocumentEditor) => void): Edited {
  const doc = docOf(text);
  fn(new DocumentEditor(doc));
  const out = render(doc);
  return { doc, text: out, value: (parseYaml(out) ?? {}) as Record<string, unknown> };
}

const apply = (text: string, edits: ConfigEdits): Edited => edit(text, (e) => e.apply(edits));

/** The value at a path of plain parsed data. */
function at(value: unknown, path: readonly (string | number)[]): unknown {
  let v = value;
  for (const seg of path) v = v === null || typeof v !== 'object' ? undefined : (v as Record<string | number, unknown>)[seg];
  return v;
}

/** Top-level keys of a YAML text, in order. */
const topKeys = (text: string): string[] => text.split('\n').flatMap((l) => (/^[\w-]+:/.exec(l) ? [l.slice(0, l.indexOf(':'))] : []));

/**
 * The edit must throw an EditConflict at `path` whose message reads after the field's name
 * (updateConfig builds "file, line N: <field> <message>" from exactly these two), and must leave
 * the Document rendering as it did.
 */
function assertConflict(text: string, fn: (e: DocumentEditor) => void, path: readonly (string | number)[], message: RegExp): EditConflict {
  const doc = docOf(text);
  const before = render(doc);
  let caught: unknown;
  try {
    fn(new DocumentEditor(doc));
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof EditConflict, `expected an EditConflict, got ${String(caught)}`);
  assert.ok(caught instanceof Error);
  assert.deepEqual(caught.path, path);
  assert.match(caught.message, message);
  assert.equal(render(doc), before, 'the document is not half-edited');
  return caught;
}

/** A hand-written file: a header, comments above keys and trailing on lines, blank lines, unknown keys. */
const HAND = `# Hypergolix settings for my laptop
# (keep this header)

process:
  ghidcache: /home/u/.hypergolix/ghidcache
  ipc_port: 7772 # apps connect here

  # blank line above is intentional
  pid_file: /home/u/.hypergolix/hypergolix.pid
  my_note: keep me
instrumentation:
  verbosity: info # was debug last week
  debug: false
# the servers I use
remotes:
  - host: a.example.org # office
    port: 7770
    tls: false
    colour: blue
server:
  port: 7770 # default
myapp:
  theme: dark # not Hypergolix's
`;

/** `text` with each [from, to] replaced once; each `from` must be there. */
function replaced(text: string, ...pairs: [string, string][]): string {
  let out = text;
  for (const [from, to] of pairs) {
    assert.ok(out.includes(from), `fixture holds ${JSON.stringify(from)}`);
    out = out.replace(from, to);
  }
  return out;
}

test('fixture: the hand-written file renders unedited byte for byte (so every diff below is the edit)', () => {
  assert.equal(render(docOf(HAND)), HAND);
});

// ───────────────────────────── layout ─────────────────────────────

test('an in-place edit changes only its value: trailing comment, neighbours, blank lines and unknown keys stay byte-identical', () => {
  const cases: [string, ConfigEdits, string][] = [
    ['verbosity', { instrumentation: { verbosity: 'louder' } }, replaced(HAND, ['verbosity: info # was', 'verbosity: debug # was'])],
    ['debug', { instrumentation: { debug: 'yes' as unknown as boolean } }, replaced(HAND, ['  debug: false', '  debug: true'])],
    ['ipc port', { process: { ipc_port: '7780' } }, replaced(HAND, ['ipc_port: 7772 #', 'ipc_port: 7780 #'])],
    ['server port', { server: { port: 7001 } }, replaced(HAND, ['port: 7770 # default', 'port: 7001 # default'])],
    ['path', { process: { pid_file: 'run/hgx.pid' } }, replaced(HAND, ['pid_file: /home/u/.hypergolix/hypergolix.pid', 'pid_file: run/hgx.pid'])],
    ['set, unknown key', { set: { 'myapp.theme': 'light' } }, replaced(HAND, ['theme: dark #', 'theme: light #'])],
    ['set, remote item', { set: { 'remotes[0].port': 7000 } }, replaced(HAND, ['    port: 7770\n', '    port: 7000\n'])],
  ];
  for (const [name, edits, want] of cases) assert.equal(apply(HAND, edits).text, want, name);
});

test('a new key or section goes where the reference order puts it; comments stay with the keys they were above', () => {
  const fp = ghidText();
  const cases: [string, ConfigEdits, string][] = [
    // process: ghidcache, logdir, pid_file, ipc_port, ipc_legacy_clients; my_note is unknown.
    ['key after its predecessor', { process: { logdir: 'logs' } }, replaced(HAND, ['ghidcache\n', 'ghidcache\n  logdir: logs\n'])],
    [
      'key after the last known sibling before it, ahead of an unknown key',
      { process: { ipc_legacy_clients: true } },
      replaced(HAND, ['  my_note: keep me\n', '  ipc_legacy_clients: true\n  my_note: keep me\n']),
    ],
    ['key appended to its section', { instrumentation: { traceur: false } }, replaced(HAND, ['  debug: false\n', '  debug: false\n  traceur: false\n'])],
    [
      'section between its neighbours; the comment above remotes stays above remotes',
      { user: { fingerprint: fp } },
      replaced(HAND, ['  debug: false\n# the servers', `  debug: false\nuser:\n  fingerprint: ${fp}\n# the servers`]),
    ],
    [
      'section after the last known one, ahead of an unknown section',
      { sharing: { accept: 'known' } },
      replaced(HAND, ['myapp:', 'sharing:\n  accept: known\nmyapp:']),
    ],
    [
      'a group inside a new section',
      { desktop: { notifications: { daemon_error: false } } },
      replaced(HAND, ['myapp:', 'desktop:\n  notifications:\n    daemon_error: false\nmyapp:']),
    ],
  ];
  for (const [name, edits, want] of cases) assert.equal(apply(HAND, edits).text, want, name);
});

test('a header separated by a blank line stays on top when a section is inserted first; so does a comment-only file', () => {
  assert.equal(
    apply('# my settings\n\nserver:\n  port: 7770\n', { process: { ipc_port: 7780 } }).text,
    '# my settings\n\nprocess:\n  ipc_port: 7780\nserver:\n  port: 7770\n',
  );
  // Without the blank line yaml makes the comment the first key's; it stays above that key.
  assert.equal(
    apply('# about the server\nserver:\n  port: 7770\n', { process: { ipc_port: 7780 } }).text,
    'process:\n  ipc_port: 7780\n# about the server\nserver:\n  port: 7770\n',
  );
  assert.equal(apply('# just notes\n', { instrumentation: { verbosity: 'debug' } }).text, '# just notes\n\ninstrumentation:\n  verbosity: debug\n');
});

test('unknown keys and sections survive every kind of edit, verbatim and in their places', () => {
  const all: ConfigEdits[] = [
    { instrumentation: { verbosity: 'debug', debug: true } },
    { process: { ipc_port: 7780, ipc_legacy_clients: true, logdir: 'logs' } },
    { sharing: { accept: 'all' }, user: { user_id: null } },
    { remotes: { add: [{ host: 'b.example.org', port: 7771, tls: true }] } },
    { remotes: { remove: [{ host: 'b.example.org', port: 7771 }] } },
    { server: { port: null }, set: { 'server.host': 'ANY', 'myapp.size': 3 } },
  ];
  const kept = [
    '# Hypergolix settings for my laptop\n# (keep this header)\n\nprocess:\n',
    '  # blank line above is intentional\n  pid_file: /home/u/.hypergolix/hypergolix.pid\n',
    '  my_note: keep me\n',
    '# the servers I use\nremotes:\n  - host: a.example.org # office\n    port: 7770\n    tls: false\n    colour: blue\n',
    "myapp:\n  theme: dark # not Hypergolix's\n",
  ];
  const doc = docOf(HAND);
  const editor = new DocumentEditor(doc);
  for (const edits of all) {
    editor.apply(edits);
    const text = render(doc);
    for (const part of kept) assert.ok(text.includes(part), `after ${JSON.stringify(edits)}: keeps ${JSON.stringify(part)}`);
    assert.match(text, /ipc_port: \d+ # apps connect here\n\n {2}# blank line above is intentional\n/, 'the blank line inside process');
    assert.deepEqual(
      topKeys(text).filter((k) => k !== 'sharing' && k !== 'user'),
      ['process', 'instrumentation', 'remotes', 'server', 'myapp'],
    );
  }
  const value = parseYaml(render(doc)) as Record<string, unknown>;
  assert.deepEqual(value['myapp'], { theme: 'dark', size: 3 });
  assert.deepEqual(at(value, ['process', 'my_note']), 'keep me');
  assert.deepEqual(value['remotes'], [{ host: 'a.example.org', port: 7770, tls: false, colour: 'blue' }]);
});

// ───────────────────────────── each edit kind ─────────────────────────────

interface KindCase {
  name: string;
  edits: ConfigEdits;
  path: (string | number)[];
  want: unknown;
  /** A file that has the key, and what it becomes. */
  has: [string, string];
  /** A file without the section. */
  lacks: string;
}

const fpText = ghidText();
const fp2 = ghidText();
const KDF = { algorithm: 'scrypt' as const, n: 32768, r: 8, p: 1 };
const NO_SERVER = 'process:\n  ipc_port: 7772 # mine\n';
const NO_OTHER = 'server:\n  port: 7770 # mine\n';

const KINDS: KindCase[] = [
  {
    name: 'verbosity (alias normalized)',
    edits: { instrumentation: { verbosity: 'loud' } },
    path: ['instrumentation', 'verbosity'],
    want: 'info',
    has: ['instrumentation:\n  verbosity: debug # mine\n  debug: false\n', 'instrumentation:\n  verbosity: info # mine\n  debug: false\n'],
    lacks: NO_OTHER,
  },
  {
    name: 'debug (a word becomes a boolean)',
    edits: { instrumentation: { debug: 'on' as unknown as boolean } },
    path: ['instrumentation', 'debug'],
    want: true,
    has: ['instrumentation:\n  verbosity: info\n  debug: false # mine\n', 'instrumentation:\n  verbosity: info\n  debug: true # mine\n'],
    lacks: NO_OTHER,
  },
  {
    name: 'ipc port (text becomes a number)',
    edits: { process: { ipc_port: ' 7780 ' } },
    path: ['process', 'ipc_port'],
    want: 7780,
    has: ['process:\n  ipc_port: 7772 # mine\n', 'process:\n  ipc_port: 7780 # mine\n'],
    lacks: NO_OTHER,
  },
  {
    name: 'sharing policy',
    edits: { sharing: { accept: ' Known ' } },
    path: ['sharing', 'accept'],
    want: 'known',
    has: ['sharing:\n  accept: ask # mine\n  block: []\n', 'sharing:\n  accept: known # mine\n  block: []\n'],
    lacks: NO_OTHER,
  },
  {
    name: 'sharing block list (GHIDs as text, a block list)',
    edits: { sharing: { block: [Ghid.fromText(fpText), ` ${fp2} `] } },
    path: ['sharing', 'block'],
    want: [fpText, fp2],
    has: ['sharing:\n  accept: ask\n  block: []\n', `sharing:\n  accept: ask\n  block:\n    - ${fpText}\n    - ${fp2}\n`],
    lacks: NO_OTHER,
  },
  {
    name: 'server port',
    edits: { server: { port: '7001' } },
    path: ['server', 'port'],
    want: 7001,
    has: ['server:\n  port: 7770 # mine\n  debug: false\n', 'server:\n  port: 7001 # mine\n  debug: false\n'],
    lacks: NO_SERVER,
  },
  {
    name: 'server host (AUTO in capitals)',
    edits: { server: { host: ' auto ' } },
    path: ['server', 'host'],
    want: 'AUTO',
    has: ['server:\n  host: 127.0.0.1\n  port: 7770\n', 'server:\n  host: AUTO\n  port: 7770\n'],
    lacks: NO_SERVER,
  },
  {
    name: 'size keeps its unit',
    edits: { server: { max_message_bytes: '16 MiB' } },
    path: ['server', 'max_message_bytes'],
    want: '16 MiB',
    has: ['server:\n  max_message_bytes: 10485760\n', 'server:\n  max_message_bytes: 16 MiB\n'],
    lacks: NO_SERVER,
  },
  {
    name: 'integer and rate from text',
    edits: { server: { quota_objects_per_identity: '100', publish_rate_per_identity: '2.5' } },
    path: ['server', 'publish_rate_per_identity'],
    want: 2.5,
    has: [
      'server:\n  quota_objects_per_identity: 5\n  publish_rate_per_identity: 1\n',
      'server:\n  quota_objects_per_identity: 100\n  publish_rate_per_identity: 2.5\n',
    ],
    lacks: NO_SERVER,
  },
  {
    name: 'a key of a group',
    edits: { desktop: { notifications: { daemon_error: 'off' as unknown as boolean } } },
    path: ['desktop', 'notifications', 'daemon_error'],
    want: false,
    has: [
      'desktop:\n  notifications:\n    incoming_share: true\n    daemon_error: true # mine\n',
      'desktop:\n  notifications:\n    incoming_share: true\n    daemon_error: false # mine\n',
    ],
    lacks: NO_OTHER,
  },
  {
    name: 'a GHID object written as its text',
    edits: { user: { fingerprint: Ghid.fromText(fpText) } },
    path: ['user', 'fingerprint'],
    want: fpText,
    has: ['user:\n  fingerprint: null # mine\n  user_id: null\n', `user:\n  fingerprint: ${fpText} # mine\n  user_id: null\n`],
    lacks: NO_OTHER,
  },
  {
    name: 'kdf as a block mapping',
    edits: { account: { kdf: KDF } },
    path: ['account', 'kdf'],
    want: KDF,
    has: ['account:\n  kdf: null\n', 'account:\n  kdf:\n    algorithm: scrypt\n    n: 32768\n    r: 8\n    p: 1\n'],
    lacks: NO_OTHER,
  },
];

const sectionOrder = Object.keys(CONFIG_KEYS);
const inReferenceOrder = (keys: string[]) => keys.every((k, i) => i === 0 || sectionOrder.indexOf(keys[i - 1]!) < sectionOrder.indexOf(k));

test('each kind of edit: on a file that has the key the value changes in place, with its type', () => {
  for (const k of KINDS) {
    const r = apply(k.has[0], k.edits);
    assert.equal(r.text, k.has[1], k.name);
    assert.deepEqual(at(r.value, k.path), k.want, k.name);
    assert.equal(typeof at(r.value, k.path), typeof k.want, `${k.name}: type`);
  }
});

test('each kind of edit: on a file without the section, the section is created in reference order and the rest kept', () => {
  for (const k of KINDS) {
    const r = apply(k.lacks, k.edits);
    assert.deepEqual(at(r.value, k.path), k.want, k.name);
    assert.equal(typeof at(r.value, k.path), typeof k.want, `${k.name}: type`);
    assert.ok(r.text.includes(k.lacks.split('\n')[1]! + '\n'), `${k.name}: the other section's line, comment and all`);
    assert.deepEqual(parseYaml(k.lacks), Object.fromEntries(Object.entries(r.value).filter(([s]) => s !== k.path[0])), `${k.name}: rest unchanged`);
    assert.ok(inReferenceOrder(topKeys(r.text)), `${k.name}: ${topKeys(r.text).join(', ')}`);
  }
});

test('each kind of edit: on an empty document, or one that is just null, it becomes the only section', () => {
  for (const k of KINDS) {
    for (const empty of ['', '~\n', 'null\n']) {
      const r = apply(empty, k.edits);
      assert.deepEqual(at(r.value, k.path), k.want, `${k.name} on ${JSON.stringify(empty)}`);
      assert.deepEqual(Object.keys(r.value), [k.path[0]]);
      assert.match(r.text, new RegExp(`^${k.path[0]}:\\n`), 'a block mapping at the top');
    }
  }
});

test('a value that does not parse is written as given, for validation to name the field', () => {
  const r = apply('process:\n  ipc_port: 7772\ninstrumentation:\n  verbosity: info\n  debug: false\n', {
    process: { ipc_port: 'seven' },
    instrumentation: { verbosity: 'chatty', debug: 'maybe' as unknown as boolean },
    server: { port: 70000 },
    sharing: { block: ['not-a-ghid'] },
  });
  assert.equal(at(r.value, ['process', 'ipc_port']), 'seven');
  assert.equal(at(r.value, ['instrumentation', 'verbosity']), 'chatty');
  assert.equal(at(r.value, ['instrumentation', 'debug']), 'maybe');
  assert.equal(at(r.value, ['server', 'port']), 70000);
  assert.deepEqual(at(r.value, ['sharing', 'block']), ['not-a-ghid']);
});

test('null resets: a reference key is written as null (comment kept), a project key is removed; undefined leaves a key alone', () => {
  const text = 'instrumentation:\n  verbosity: debug # mine\n  debug: true\nsharing:\n  accept: all # mine\n  block: []\n';
  assert.equal(
    apply(text, { instrumentation: { verbosity: null }, sharing: { accept: null } }).text,
    'instrumentation:\n  verbosity: null # mine\n  debug: true\nsharing:\n  block: []\n',
  );
  // A missing reference key is written out as null, in its place; a missing project key stays missing.
  assert.equal(
    apply(text, { instrumentation: { traceur: null }, sharing: { accept: 'all' }, server: { registration: null } }).text,
    'instrumentation:\n  verbosity: debug # mine\n  debug: true\n  traceur: null\nsharing:\n  accept: all # mine\n  block: []\n',
  );
  assert.equal(apply(text, { instrumentation: { verbosity: undefined, debug: undefined } }).text, text);
});

test('set: any dotted path, written as given (not normalized), after the section edits; undefined removes', () => {
  const r = apply(HAND, {
    instrumentation: { verbosity: 'debug' },
    set: { 'instrumentation.verbosity': 'error', 'remotes[0].tls': 'yes', 'myapp.theme': undefined, 'myapp.colours.main': 'blue', 'process.ipc_port': '7780' },
  });
  assert.equal(at(r.value, ['instrumentation', 'verbosity']), 'error', 'set wins over the section edit');
  assert.equal(at(r.value, ['remotes', 0, 'tls']), 'yes', 'not turned into a boolean');
  assert.equal(at(r.value, ['process', 'ipc_port']), '7780', 'not turned into a number');
  assert.deepEqual(r.value['myapp'], { colours: { main: 'blue' } });
  assert.match(r.text, /\nmyapp:\n {2}colours:\n {4}main: blue\n$/);
  // Removing what is not there, or under a single value, does nothing.
  assert.equal(apply(HAND, { set: { 'myapp.nothing': undefined, 'server.port.deep': undefined, 'nowhere.x.y': undefined } }).text, HAND);
  // An index equal to the length appends an item to the list.
  assert.deepEqual(apply(HAND, { set: { 'remotes[1].tls': true } }).value['remotes'], [
    { host: 'a.example.org', port: 7770, tls: false, colour: 'blue' },
    { tls: true },
  ]);
});

// ───────────────────────────── remotes ─────────────────────────────

const REMOTE_B = '  - host: b.example.org\n    port: 7771\n    tls: true\n';

test('adding a remote appends a block item after the last, typed and normalized', () => {
  const r = apply(HAND, { remotes: { add: [{ host: ' b.example.org ', port: '7771', tls: 'y' }] } });
  assert.equal(r.text, replaced(HAND, ['    colour: blue\n', `    colour: blue\n${REMOTE_B}`]));
  const added = at(r.value, ['remotes', 1]) as Record<string, unknown>;
  assert.deepEqual(added, { host: 'b.example.org', port: 7771, tls: true });
  assert.equal(typeof added['port'], 'number');
  assert.equal(typeof added['tls'], 'boolean');
  // tls defaults to false; a registration URL is normalized; brackets come off an IPv6 address.
  const r2 = apply(HAND, { remotes: { add: [{ host: '[::1]', port: 7770, registration: 'HTTPS://Reg.Example.org' }] } });
  assert.deepEqual(at(r2.value, ['remotes', 1]), { host: '::1', port: 7770, tls: false, registration: 'https://reg.example.org/' });
});

test('adding a remote where there is no list: created between user and server, from null, from [], on an empty document', () => {
  const add: ConfigEdits = { remotes: { add: [{ host: 'b.example.org', port: 7771, tls: true }] } };
  const cases: [string, string, string][] = [
    ['missing', 'user:\n  user_id: null\nserver:\n  port: 7770\n', `user:\n  user_id: null\nremotes:\n${REMOTE_B}server:\n  port: 7770\n`],
    ['null', 'remotes:\nserver:\n  port: 7770\n', `remotes:\n${REMOTE_B}server:\n  port: 7770\n`],
    ['empty flow list', 'remotes: []\nserver:\n  port: 7770\n', `remotes:\n${REMOTE_B}server:\n  port: 7770\n`],
    ['empty document', '', `remotes:\n${REMOTE_B}`],
  ];
  for (const [name, text, want] of cases) assert.equal(apply(text, add).text, want, name);
});

test('a flow-style list of remotes is a list: a new remote joins it, flow style kept', () => {
  const r = apply('remotes: [{host: a.example.org, port: 7770, tls: false}]\n', { remotes: { add: [{ host: 'b.example.org', port: 7771 }] } });
  assert.match(r.text, /^remotes: \[ .* \]\n$/);
  assert.deepEqual(r.value['remotes'], [
    { host: 'a.example.org', port: 7770, tls: false },
    { host: 'b.example.org', port: 7771, tls: false },
  ]);
  const rm = apply(r.text, { remotes: { remove: [{ host: 'a.example.org', port: 7770 }] } });
  assert.deepEqual(rm.value['remotes'], [{ host: 'b.example.org', port: 7771, tls: false }]);
});

test('adding a remote that is already there (host any case, port as text) updates it in place, never duplicates it', () => {
  const text = 'remotes:\n  - host: A.Example.org # office\n    port: "7770"\n    tls: true\n    colour: blue\n';
  // tls is set to what is given, false when not given; registration only when given.
  assert.equal(
    apply(text, { remotes: { add: [{ host: 'a.example.ORG', port: 7770, registration: 'https://a.example.org/r' }] } }).text,
    'remotes:\n  - host: A.Example.org # office\n    port: "7770"\n    tls: false\n    registration: https://a.example.org/r\n    colour: blue\n',
  );
  assert.equal(apply(text, { remotes: { add: [{ host: 'a.example.org', port: '7770', tls: 'yes' }] } }).text, text, 'same values: same text');
  // Missing tls is inserted after port.
  assert.equal(
    apply('remotes:\n  - host: a.example.org\n    port: 7770\n', { remotes: { add: [{ host: 'a.example.org', port: 7770, tls: true }] } }).text,
    'remotes:\n  - host: a.example.org\n    port: 7770\n    tls: true\n',
  );
  // A different port is a different remote.
  assert.equal((apply(text, { remotes: { add: [{ host: 'a.example.org', port: 7771 }] } }).value['remotes'] as unknown[]).length, 2);
});

test('removing a remote takes out every matching item (host any case, trimmed; port as text) and says whether there was one', () => {
  const text = 'remotes:\n  - {host: a.example.org, port: 7770}\n  - host: b.example.org # keep\n    port: 7770\n  - host: A.EXAMPLE.ORG\n    port: 7770\n    tls: true\n';
  let removed: boolean | undefined;
  const r = edit(text, (e) => (removed = e.removeRemote(' a.example.org ', '7770')));
  assert.equal(removed, true);
  assert.equal(r.text, 'remotes:\n  - host: b.example.org # keep\n    port: 7770\n');
});

test('removing a remote that is not there is a no-op returning false, whatever remotes holds', () => {
  const texts = [
    HAND,
    'server:\n  port: 7770\n',
    'remotes: []\n',
    'remotes:\n',
    'remotes: {host: a.example.org, port: 7770} # a mapping\n',
    'remotes: local\n',
  ];
  for (const text of texts) {
    const doc = docOf(text);
    const before = render(doc);
    const removed = new DocumentEditor(doc).removeRemote('a.example.org', 7771);
    assert.equal(removed, false, text);
    assert.equal(render(doc), before, text);
  }
  assert.equal(apply(HAND, { remotes: { remove: [{ host: 'a.example.org', port: 1 }, { host: 'nowhere.org', port: 7770 }] } }).text, HAND);
});

test('replacing the remotes writes a normalized block list in place of the old one; an empty one is []', () => {
  const want = replaced(HAND, ['  - host: a.example.org # office\n    port: 7770\n    tls: false\n    colour: blue\n', '  - host: c.example.org\n    port: 1\n    tls: true\n']);
  assert.equal(apply(HAND, { remotes: { replace: [{ host: 'c.example.org', port: '1', tls: 'true' }] } }).text, want);
  assert.equal(
    apply(HAND, { remotes: { replace: [] } }).text,
    replaced(HAND, ['remotes:\n  - host: a.example.org # office\n    port: 7770\n    tls: false\n    colour: blue\n', 'remotes: []\n']),
  );
  assert.equal(apply('server:\n  port: 1\n', { remotes: { replace: [] } }).text, 'remotes: []\nserver:\n  port: 1\n');
});

test('remote edits apply in the order replace, remove, add', () => {
  const r = apply(HAND, {
    remotes: {
      add: [{ host: 'c.example.org', port: 3 }],
      remove: [{ host: 'b.example.org', port: 2 }],
      replace: [
        { host: 'a.example.org', port: 1 },
        { host: 'b.example.org', port: 2 },
      ],
    },
  });
  assert.deepEqual(
    (r.value['remotes'] as { host: string }[]).map((x) => x.host),
    ['a.example.org', 'c.example.org'],
  );
});

// ───────────────────────────── EditConflict ─────────────────────────────

test('EditConflict: a document that is not a mapping cannot be edited, by any operation', () => {
  for (const text of ['hello\n', '- a\n- b\n', '42\n', '[1, 2]\n']) {
    const why = /^the file does not hold sections of settings, so it cannot be edited$/;
    assertConflict(text, (e) => e.apply({ instrumentation: { debug: true } }), [], why);
    assertConflict(text, (e) => e.addRemote({ host: 'a.example.org', port: 1 }), [], why);
    assertConflict(text, (e) => e.removeRemote('a.example.org', 1), [], why);
    assertConflict(text, (e) => e.replaceRemotes([]), [], why);
    assertConflict(text, (e) => e.delete(['x']), [], why);
  }
});

test('EditConflict: a section (or key) that holds a single value cannot take keys; the path names it', () => {
  const why = /^holds a single value, so it cannot take keys$/;
  const e1 = assertConflict('instrumentation: loud # old style\nserver:\n  port: 7770\n', (e) => e.apply({ instrumentation: { debug: true } }), ['instrumentation'], why);
  assert.equal(`${formatField(e1.path)} ${e1.message}`, 'instrumentation holds a single value, so it cannot take keys');
  assertConflict('instrumentation:\n  verbosity: info\n', (e) => e.apply({ set: { 'instrumentation.verbosity.level': 1 } }), ['instrumentation', 'verbosity'], why);
  assertConflict('desktop:\n  notifications: false\n', (e) => e.apply({ desktop: { notifications: { daemon_error: false } } }), ['desktop', 'notifications'], why);
  assertConflict(
    'remotes:\n  - local\n',
    (e) => e.set(['remotes', 0, 'tls'], true),
    ['remotes', 0],
    why,
  );
  // Deleting under a single value is no conflict: there is nothing to delete.
  assert.equal(edit('instrumentation: loud\n', (e) => e.delete(['instrumentation', 'debug'])).text, 'instrumentation: loud\n');
});

test('EditConflict: remotes that are not a list (a mapping, a string, a number, a boolean) take no new remote', () => {
  const why = /^is not a list, so remotes cannot be added to it$/;
  for (const value of ['{host: a.example.org, port: 7770}', 'a.example.org:7770', '7770', 'true', '\n  host: a.example.org\n  port: 7770']) {
    const text = `# mine\nremotes: ${value}\nserver:\n  port: 7770\n`.replace(': \n', ':\n');
    const err = assertConflict(text, (e) => e.apply({ process: {}, remotes: { add: [{ host: 'b.example.org', port: 1 }] } }), ['remotes'], why);
    assert.equal(`${formatField(err.path)} ${err.message}`, 'remotes is not a list, so remotes cannot be added to it');
  }
});

test('EditConflict: a list takes only item indexes up to its length', () => {
  const text = 'remotes:\n  - host: a.example.org\n    port: 7770\n';
  const why = /^is not an item of the list$/;
  assertConflict(text, (e) => e.set(['remotes', 'primary'], 1), ['remotes', 'primary'], why);
  assertConflict(text, (e) => e.apply({ set: { 'remotes.primary.tls': true } }), ['remotes', 'primary'], why);
  assertConflict(text, (e) => e.apply({ set: { 'remotes[3].tls': true } }), ['remotes', 3], why);
  assertConflict(text, (e) => e.set(['remotes', 2], { host: 'b.example.org', port: 1 }), ['remotes', 2], why);
});

test('EditConflict: a path naming no key', () => {
  assertConflict('a: 1\n', (e) => e.set([], 1), [], /^names no key$/);
  assertConflict('a: 1\n', (e) => e.set([], undefined), [], /^names no key$/);
});

test('apply() is not transactional: edits before a conflict stay on the Document (updateConfig edits a clone)', () => {
  const doc = docOf('process:\n  ipc_port: 7772\nremotes: {}\n');
  const clone = doc.clone();
  assert.throws(() => new DocumentEditor(clone).apply({ process: { ipc_port: 7780 }, remotes: { add: [{ host: 'a.example.org', port: 1 }] } }), EditConflict);
  assert.equal(render(clone), 'process:\n  ipc_port: 7780\nremotes: {}\n');
  assert.equal(render(doc), 'process:\n  ipc_port: 7772\nremotes: {}\n', 'the original is untouched');
  // A malformed dotted path is not an EditConflict but a ValueError, raised after the sections were applied.
  const d2 = docOf('process:\n  ipc_port: 7772\n');
  assert.throws(() => new DocumentEditor(d2).apply({ process: { ipc_port: 7780 }, set: { 'a..b': 1 } }), (err: unknown) => err instanceof ValueError && !(err instanceof EditConflict));
  assert.equal(render(d2), 'process:\n  ipc_port: 7780\n');
});

// ───────────────────────────── round trips ─────────────────────────────

test('edits followed by their inverses give back the original text, byte for byte', () => {
  const doc = docOf(HAND);
  const e = new DocumentEditor(doc);
  e.apply({
    process: { ipc_port: 7780, ipc_legacy_clients: true },
    instrumentation: { verbosity: 'debug', debug: true },
    server: { port: 7001 },
    remotes: { add: [{ host: 'b.example.org', port: 7771, tls: true }, { host: 'c.example.org', port: 7772 }] },
    set: { 'myapp.theme': 'light', 'myapp.size': 3 },
  });
  e.apply({ instrumentation: { verbosity: 'shouty' }, sharing: { accept: 'known' }, remotes: { add: [{ host: 'a.example.org', port: 7770, tls: true }] } });
  assert.notEqual(render(doc), HAND);
  e.apply({
    process: { ipc_port: 7772, ipc_legacy_clients: null },
    instrumentation: { verbosity: 'info', debug: false },
    server: { port: 7770 },
    sharing: { accept: null },
    remotes: {
      remove: [
        { host: 'c.example.org', port: 7772 },
        { host: 'b.example.org', port: 7771 },
      ],
      add: [{ host: 'a.example.org', port: 7770, tls: false }],
    },
    set: { 'myapp.theme': 'dark', 'myapp.size': undefined },
  });
  // The sharing section created on the way stays, empty: only its key was reset.
  assert.equal(render(doc), replaced(HAND, ['myapp:', 'sharing: {}\nmyapp:']));
  e.delete(['sharing']);
  assert.equal(render(doc), HAND);
});

test('applying the same edits twice gives the same text as applying them once', () => {
  const edits: ConfigEdits = {
    process: { ipc_port: '7780' },
    instrumentation: { verbosity: 'loud', debug: true },
    sharing: { accept: 'known', block: [fpText] },
    remotes: { add: [{ host: 'b.example.org', port: 7771, tls: 'y' }], remove: [{ host: 'a.example.org', port: 7770 }] },
    set: { 'myapp.theme': 'light' },
  };
  const doc = docOf(HAND);
  const e = new DocumentEditor(doc);
  e.apply(edits);
  const once = render(doc);
  e.apply(edits);
  assert.equal(render(doc), once);
});

// ───────────────────────────── edges (each was a bug once) ─────────────────────────────

test('an edit that changes nothing leaves an empty or comment-only document as it was (not `{}`)', () => {
  // Nothing to remove: the document's null contents must not become an empty mapping, or
  // updateConfig would see a change and rewrite an empty hypergolix.yml as "{}".
  for (const text of ['', '# just notes\n']) {
    const doc = docOf(text);
    const before = render(doc);
    assert.equal(new DocumentEditor(doc).removeRemote('a.example.org', 7770), false);
    assert.equal(render(doc), before, `removeRemote on ${JSON.stringify(text)}`);
    const d2 = docOf(text);
    new DocumentEditor(d2).apply({ sharing: { accept: null } });
    assert.equal(render(d2), before, `resetting an absent key on ${JSON.stringify(text)}`);
  }
});

test('a comment trailing an empty section or remotes line survives its first key or remote', () => {
  // The comment rides on the null (or empty []) value that the new collection replaces: it moves to the key's line.
  assert.match(apply('instrumentation: # nothing yet\nserver:\n  port: 7770\n', { instrumentation: { debug: true } }).text, /# nothing yet/);
  assert.match(apply('remotes: [] # none yet\n', { remotes: { add: [{ host: 'a.example.org', port: 1 }] } }).text, /# none yet/);
  assert.match(apply('remotes: # none yet\n', { remotes: { add: [{ host: 'a.example.org', port: 1 }] } }).text, /# none yet/);
});

test('a comment above the first key of a section stays above that key when a key is inserted before it', () => {
  // yaml keeps this comment on the section's mapping: it must move to the key it was written above.
  const r = apply('process:\n  # apps connect here\n  ipc_port: 7772\n', { process: { pid_file: 'run/hgx.pid' } });
  assert.equal(r.text, 'process:\n  pid_file: run/hgx.pid\n  # apps connect here\n  ipc_port: 7772\n');
});

test('a remote whose host the file writes in brackets ([::1]) is found by removeRemote and addRemote', () => {
  // The file's `[::1]` is valid (parseHost drops the brackets): found only by the edit's spelling,
  // it could be neither removed nor updated, and adding it again made a duplicate.
  const text = "remotes:\n  - host: '[::1]'\n    port: 7770\n    tls: false\n";
  const doc = docOf(text);
  assert.equal(new DocumentEditor(doc).removeRemote('[::1]', 7770), true, 'removed as spelled in the file');
  assert.equal((apply(text, { remotes: { add: [{ host: '::1', port: 7770, tls: true }] } }).value['remotes'] as unknown[]).length, 1, 'updated, not duplicated');
});

test('re-adding a remote with registration: null removes its registration, as RemoteInput documents', () => {
  // RemoteInput.registration: "http(s) URL; null removes it." Resetting it as a reference key
  // wrote `registration: null` instead, even where there was none.
  const text = 'remotes:\n  - host: a.example.org\n    port: 7770\n    tls: true\n    registration: https://a.example.org/r\n';
  const r = apply(text, { remotes: { add: [{ host: 'a.example.org', port: 7770, tls: true, registration: null }] } });
  assert.equal(r.text, 'remotes:\n  - host: a.example.org\n    port: 7770\n    tls: true\n');
  const none = 'remotes:\n  - host: a.example.org\n    port: 7770\n    tls: true\n';
  assert.equal(apply(none, { remotes: { add: [{ host: 'a.example.org', port: 7770, tls: true, registration: null }] } }).text, none);
});

test('delete([]) names no key, like set([]); it must not delete a key called "undefined"', () => {
  const doc = docOf('undefined: 1\nx: 2\n');
  assert.throws(() => new DocumentEditor(doc).delete([]), EditConflict);
  assert.equal(render(doc), 'undefined: 1\nx: 2\n');
});

test('the reference layout (list items at the key\'s indentation, §6.1) survives an unrelated edit', () => {
  // edits.ts promises the formatting of everything not edited survives a save; rendered with
  // yaml's default indentSeq, every save re-indented the reference's remotes list.
  const text = 'instrumentation:\n  verbosity: info\n  debug: false\nremotes:\n- host: 127.0.0.1\n  port: 7770\n  tls: false\n';
  assert.equal(apply(text, { instrumentation: { verbosity: 'debug' } }).text, text.replace('verbosity: info', 'verbosity: debug'));
});
