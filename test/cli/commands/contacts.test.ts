// `hypergolix contacts` (src/cli/commands/contacts.ts) with what test/cli/shares.test.ts does not
// try: no daemon (no key, nothing on the port, the port moved in the config), a key refused or
// missing, bad and unknown fingerprints, your own, names empty, long, with control, bidi and
// separator characters, composed or not, duplicated, and options that go with another action.
// One real app daemon for the file: a reference identity (no key generation) started with
// `hypergolix start app --foreground` from the sources; the commands run through main(argv, io).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, updateConfig } from '../../../src/core/config/index.js';
import { Ghid } from '../../../src/core/golix/index.js';
import type { ContactJson } from '../../../src/wire/people.js';
import { accountHome } from '../../fixtures/account/home.js';
import { freePort } from '../../fixtures/free-port.js';
import { startApp, type AppProc } from '../../fixtures/ipc/processes.js';
import { v16Identity } from '../../fixtures/vectors.js';
import { STACK, runMain, envOf } from '../../fixtures/cli/in-process.js';

const PASSWORD = 'amber-lantern-orchard-41';
/** The protocol's field names (`C!.name`, `C#.fingerprint`): words for programs, not for a person. */
const WIRE_JARGON = /\bC[!?#-]\.\w+/;

const homes: string[] = [];
after(() => {
  for (const d of homes) rmSync(d, { recursive: true, force: true });
});

function tempHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-contacts-cmd-'));
  homes.push(dir);
  return dir;
}

const run = runMain;

/** A fingerprint nobody has: a valid GHID text. */
const someone = (): string => Ghid.fromDigest(randomBytes(64)).text;

/** A home with only a hypergolix.yml, its IPC port free. */
async function configHome(): Promise<string> {
  const home = tempHome();
  await updateConfig(await loadConfig({ root: join(home, 'hypergolix.yml'), create: true, env: envOf(home), cwd: home }), { process: { ipc_port: await freePort() } });
  return home;
}

const EVERY_ACTION = (fp: string): string[][] => [
  ['contacts'],
  ['contacts', 'list', '--json'],
  ['contacts', 'add', fp, 'Alice'],
  ['contacts', 'rename', fp, 'Alice'],
  ['contacts', 'trust', fp],
  ['contacts', 'ask', fp],
  ['contacts', 'block', fp],
  ['contacts', 'verify', fp, '--yes'],
  ['contacts', 'remove', fp],
];

describe('contacts without a daemon', () => {
  test('no IPC key in the home: every action exits 1 saying the daemon is not running and how to start it', async () => {
    const home = await configHome();
    for (const argv of EVERY_ACTION(someone())) {
      const r = await run(home, ...argv);
      assert.equal(r.code, 1, argv.join(' '));
      assert.equal(r.err, `hypergolix contacts: The app daemon is not running (no IPC key in ${home}). Start it with: hypergolix start app`);
      assert.equal(r.out, '');
    }
  });

  test('a key from an earlier run but nothing on the port: exit 1 naming the port', async () => {
    const home = await configHome();
    writeFileSync(join(home, 'ipc-token'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const port = (await loadConfig({ root: home, env: envOf(home), cwd: home })).config.process.ipc_port;
    const r = await run(home, 'contacts', 'list');
    assert.equal(r.code, 1);
    assert.equal(r.err, `hypergolix contacts: The app daemon is not running (nothing answers on 127.0.0.1:${port}). Start it with: hypergolix start app`);
  });

  test('usage errors are told before looking for a daemon: exit 2 with the usage', async () => {
    const home = await configHome();
    const fp = someone();
    for (const [argv, words] of [
      [['contacts', 'frob'], /unknown action "frob"/],
      [['contacts', 'add', fp], /contacts add takes FINGERPRINT NAME/],
      [['contacts', 'add'], /contacts add takes FINGERPRINT NAME/],
      [['contacts', 'rename', fp], /contacts rename takes FINGERPRINT NAME/],
      [['contacts', 'trust'], /contacts trust takes FINGERPRINT/],
      [['contacts', 'block', fp, fp], /contacts block takes FINGERPRINT/],
      [['contacts', 'verify', fp, 'now'], /contacts verify takes FINGERPRINT/],
      [['contacts', 'list', fp], /contacts list takes no operands/],
      [['contacts', 'remove', fp, '--json'], /--json goes with list/],
      [['contacts', '--bogus'], /Unknown option '--bogus'/],
      [['contacts', 'add', fp, '-Bob'], /Unknown option '-B'.*'--'/],
      [['contacts', '--root'], /Option '--root <value>' argument missing/],
    ] as const) {
      const r = await run(home, ...argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, words, argv.join(' '));
      assert.doesNotMatch(r.err, /daemon is not running/, argv.join(' '));
      assert.doesNotMatch(r.err, STACK);
    }
  });
});

describe('contacts with a real app daemon', () => {
  let home = '';
  let app: AppProc | undefined;
  let self = '';
  let tokenFile = '';
  const alice = v16Identity(0).ghid.text;
  const bob = v16Identity(1).ghid.text;

  before(async () => {
    home = tempHome();
    const account = await accountHome(home, PASSWORD);
    self = account.fingerprint;
    tokenFile = join(home, 'ipc-token');
    app = await startApp({ dir: home, env: { ...process.env, ...envOf(home) }, ipcPort: account.loaded.config.process.ipc_port, tokenFile }, PASSWORD);
  });
  after(async () => {
    await app?.stop();
  });

  const ok = async (...argv: string[]): Promise<string> => {
    const r = await run(home, 'contacts', ...argv);
    assert.equal(r.code, 0, `contacts ${argv.join(' ')}: ${r.err}`);
    return r.out;
  };
  const list = async (): Promise<ContactJson[]> =>
    (await ok('list', '--json'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ContactJson);
  const contact = async (fp: string) => (await list()).find((c) => c.fingerprint === fp);
  /** Forgets `fp` if it is a contact, so that each test starts from what it makes. */
  const forget = async (fp: string) => {
    if (await contact(fp)) await ok('remove', fp);
  };

  test('an empty list says how contacts come about; --json prints nothing', async () => {
    assert.equal(await ok('list', '--json'), '');
    assert.match(await ok(), /^No contacts yet\. They are added when you share or accept a share, or with: hypergolix contacts add FINGERPRINT NAME$/);
  });

  test('text that is no fingerprint: exit 1 "is not a fingerprint" for every action, nothing added', async () => {
    const wrongAlphabet = alice.replace(/-/g, '+').replace(/_/g, '/');
    assert.notEqual(wrongAlphabet, alice);
    for (const bad of ['notafp', 'A'.repeat(88), alice.slice(0, 87), `${alice}A`, wrongAlphabet, '🙂', 'A\u0000B']) {
      for (const argv of EVERY_ACTION(bad).slice(2)) {
        const r = await run(home, ...argv);
        assert.equal(r.code, 1, `${argv.join(' ')}: ${r.err}`);
        assert.match(r.err, /is not a fingerprint \(a GHID in its 88-character text form\)$/, `${JSON.stringify(argv)}: ${r.err}`);
        assert.doesNotMatch(r.err, STACK);
      }
    }
    assert.deepEqual(await list(), []);
  });

  // Fixed: the fingerprint and the name go
  // to the daemon unchecked, and what its wire check refuses comes back in protocol words: an
  // empty fingerprint or one pasted with something long after it is told "C!.fingerprint:
  // expected a string of 1–256 characters", a 300-character name "C!.name: expected a string of
  // 0–256 characters" — while a 65-character name gets "A contact name is at most 64 characters".
  // A person cannot know what C! is, and the 256 in the words is not the real limit (64).
  test('an empty or overlong fingerprint and an overlong name are told in words, not protocol field names', async () => {
    const cases: [string[], RegExp][] = [
      [['add', '', 'Alice'], /not a fingerprint/],
      [['remove', ''], /not a fingerprint/],
      [['verify', ''], /not a fingerprint/],
      [['add', `${alice} ${'x'.repeat(300)}`, 'Alice'], /not a fingerprint/],
      [['add', alice, 'x'.repeat(300)], /at most 64 characters/],
      [['rename', alice, 'x'.repeat(257)], /at most 64 characters/],
    ];
    const told: string[] = [];
    for (const [argv, words] of cases) {
      const r = await run(home, 'contacts', ...argv);
      assert.notEqual(r.code, 0, argv.join(' ').slice(0, 80));
      if (WIRE_JARGON.test(r.err) || !words.test(r.err)) told.push(`contacts ${argv.map((a) => (a.length > 20 ? `<${a.length} chars>` : JSON.stringify(a))).join(' ')} → ${r.err}`);
    }
    assert.deepEqual(told, [], told.join('\n'));
    assert.equal(await contact(alice), undefined);
  });

  test('your own fingerprint: add, trust and verify refuse it as yours; rename and remove say it is no contact', async () => {
    for (const argv of [['add', self, 'Me'], ['trust', self], ['block', self], ['verify', self, '--yes']]) {
      const r = await run(home, 'contacts', ...argv);
      assert.equal(r.code, 1, argv.join(' '));
      assert.match(r.err, /That is your own fingerprint/, r.err);
    }
    for (const argv of [['rename', self, 'Me'], ['remove', self]]) {
      const r = await run(home, 'contacts', ...argv);
      assert.equal(r.code, 1);
      assert.match(r.err, /is not in your contacts$/);
    }
    assert.equal(await contact(self), undefined);
  });

  test('a fingerprint nobody named: rename and remove exit 1; trust, ask and block add them without a name', async () => {
    const fp = someone();
    for (const argv of [['rename', fp, 'Zed'], ['remove', fp]]) {
      const r = await run(home, 'contacts', ...argv);
      assert.equal(r.code, 1);
      assert.equal(r.err, `hypergolix contacts: ${fp.slice(0, 12)}… is not in your contacts`);
    }
    assert.equal(await ok('block', fp), `${fp}: Blocked — their shares are declined without asking you.`);
    assert.deepEqual(await contact(fp), { fingerprint: fp, name: null, trust: 'blocked', verified: false });
    assert.match(await ok(), new RegExp(`^\\(no name\\) +Blocked +${fp.replace(/[-+=]/g, '\\$&')}$`, 'm'));
    assert.match(await ok('remove', ` ${fp} `), new RegExp(`^Removed\\s+${fp.replace(/[-+=]/g, '\\$&')}\\s*\\.$`), 'a fingerprint with spaces around it is trimmed');
    assert.equal(await contact(fp), undefined);
  });

  // Fixed: `contacts verify FP` for someone not in the
  // contacts prints the safety code and "if it matches, run this again with --yes to mark them
  // verified"; doing exactly that prints the code again and fails with "FP… is not in your
  // contacts" (exit 1). The command's own instruction leads to an error; --yes should add them
  // (as trust/ask/block do) or the first run should say they must be added first.
  test('verify of someone not yet a contact: the instruction it prints ("run this again with --yes") works', async () => {
    const fp = someone();
    const first = await ok('verify', fp);
    assert.match(first, /^Safety code: (?:[a-z]+ ){5}[a-z]+\nCompare it with them; if it matches, run this again with --yes to mark them verified\.$/);
    const again = await run(home, 'contacts', 'verify', fp, '--yes');
    try {
      assert.equal(again.code, 0, `followed the instruction and got: ${again.err}`);
      // Added, unnamed, and told so (with how to name them).
      assert.deepEqual(await contact(fp), { fingerprint: fp, name: null, trust: 'ask', verified: true });
      assert.ok(again.out.endsWith(`Marked ${fp} as verified.\nAdded them to your contacts, without a name (to give one: hypergolix contacts add ${fp} NAME).`), again.out);
      // Verifying a contact again adds nothing and says nothing of adding.
      assert.doesNotMatch(await ok('verify', fp, '--yes'), /Added/);
    } finally {
      await forget(fp);
    }
  });

  test('names: trimmed and NFC-composed, several words joined, up to 64 characters (emoji and joined emoji count as typed)', async () => {
    try {
      assert.match(await ok('add', alice, 'Alice', 'Liddell'), /^Added: Alice Liddell +Ask me +/);
      assert.equal((await contact(alice))?.name, 'Alice Liddell');
      await ok('rename', alice, '  Alice  ');
      assert.equal((await contact(alice))?.name, 'Alice', 'trimmed');
      await ok('rename', alice, 'Rene\u0301e');
      assert.equal((await contact(alice))?.name, 'Ren\u00e9e', 'stored composed (NFC)');
      const family = '👩‍👩‍👧';
      await ok('rename', alice, `${family} Family`);
      assert.equal((await contact(alice))?.name, `${family} Family`, 'the zero-width joiner inside an emoji is kept');
      await ok('rename', alice, '🙂'.repeat(64));
      assert.equal((await contact(alice))?.name, '🙂'.repeat(64));
      const long = await run(home, 'contacts', 'rename', alice, '🙂'.repeat(65));
      assert.equal(long.code, 1);
      assert.equal(long.err, 'hypergolix contacts: A contact name is at most 64 characters');
      assert.match(await ok('rename', alice, '--', '-dash'), /^Renamed: -dash /);
    } finally {
      await forget(alice);
    }
  });

  test('names: empty, blank and with control characters are refused (exit 1) and change nothing', async () => {
    try {
      await ok('add', alice, 'Alice');
      for (const [name, words] of [
        ['', /cannot be empty/],
        ['   ', /cannot be empty/],
        ['\t', /cannot be empty/],
        ['Al\u001bice', /cannot contain control characters/],
        ['Al\u0007ice', /cannot contain control characters/],
        ['Al\nice', /cannot contain control characters/],
        ['Al\u007fice', /cannot contain control characters/],
        ['Al\u0085ice', /cannot contain control characters/],
        ['Al\u0000ice', /cannot contain control characters/],
      ] as const) {
        const r = await run(home, 'contacts', 'rename', alice, name);
        assert.equal(r.code, 1, JSON.stringify(name));
        assert.match(r.err, words, JSON.stringify(name));
      }
      assert.equal((await contact(alice))?.name, 'Alice');
    } finally {
      await forget(alice);
    }
  });

  // Fixed: checkContactName refused only \p{Cc}, so a name may carry a bidi override (U+202E), a
  // line or paragraph separator (U+2028/U+2029) or an isolate (U+2066). The name is printed right
  // before the fingerprint ("NAME  Ask me  FP" in the list, "from NAME (FP)" under shares); an
  // unclosed U+202E makes the terminal show the rest of the line — the fingerprint a person
  // compares — reversed, and U+2028 breaks the line where some terminals show it. Such characters
  // come in with a pasted name and no person types them.
  test('names with bidi overrides or line separators are refused, like control characters', async () => {
    try {
      await ok('add', alice, 'Alice');
      const accepted: string[] = [];
      for (const name of ['Al\u202eecila', 'Al\u2028ice', 'Al\u2029ice', '\u2066Alice']) {
        const r = await run(home, 'contacts', 'rename', alice, name);
        if (r.code === 0) accepted.push(JSON.stringify(name));
      }
      assert.deepEqual(accepted, [], `accepted as names: ${accepted.join(', ')}`);
    } finally {
      await forget(alice);
    }
  });

  test('two contacts may share a name: both kept, each shown with its own fingerprint', async () => {
    try {
      await ok('add', alice, 'Sam');
      await ok('add', bob, 'Sam');
      const sams = (await list()).filter((c) => c.name === 'Sam').map((c) => c.fingerprint);
      assert.deepEqual(new Set(sams), new Set([alice, bob]));
      const text = await ok('list');
      for (const fp of [alice, bob]) assert.ok(text.split('\n').some((l) => l.startsWith('Sam ') && l.endsWith(fp)), text);
    } finally {
      await forget(alice);
      await forget(bob);
    }
  });

  // Fixed: `contacts add FP NAME` for someone already in the
  // contacts replaces their name and prints "Added: NAME …" as if someone new had been added; the
  // name they had is gone without a word. A person who pastes the wrong (an existing) fingerprint
  // loses a contact's name and is told the opposite of what happened; `rename` exists for this.
  // Chosen: add refuses to replace a name (exit 1, naming the rename command), since the likely
  // cause is a pasted wrong fingerprint; it names a contact who has none and is a no-op for the
  // same name.
  test('add of an existing contact does not silently replace their name while saying "Added"', async () => {
    const unnamed = someone();
    try {
      await ok('add', alice, 'Alice');
      await ok('trust', alice);
      const r = await run(home, 'contacts', 'add', alice, 'Mallory');
      const name = (await contact(alice))?.name;
      assert.equal((await contact(alice))?.trust, 'trusted', 'their trust is kept either way');
      assert.ok(r.code !== 0 || !/^Added:/.test(r.out), `said "${r.out}" and the name went from Alice to ${name}`);
      assert.equal(r.code, 1);
      assert.equal(r.err, `hypergolix contacts: ${alice.slice(0, 12)}… is already in your contacts as "Alice". To rename them: hypergolix contacts rename ${alice} Mallory`);
      assert.equal(name, 'Alice', 'the name they had is kept');
      assert.match(await ok('add', alice, ' Alice '), /^Already a contact: Alice +Trusted +/);
      await ok('block', unnamed);
      assert.match(await ok('add', unnamed, 'Nemo'), /^Named: Nemo +Blocked +/);
      assert.deepEqual(await contact(unnamed), { fingerprint: unnamed, name: 'Nemo', trust: 'blocked', verified: false });
    } finally {
      await forget(alice);
      await forget(unnamed);
    }
  });

  // Fixed: --json is refused outside `list` ("--json goes with
  // list", exit 2), as shares refuses --trust outside accept, but --yes is silently ignored
  // outside `verify`: `contacts remove FP --yes` or `contacts block FP --yes` run as if it were
  // not there, and `contacts list --yes` too. A person who adds --yes to confirm something else is
  // not told it means nothing there.
  test('--yes outside verify is refused like --json outside list (exit 2)', async () => {
    const fp = someone();
    try {
      for (const argv of [['list', '--yes'], ['block', fp, '--yes'], ['add', fp, 'Yes', '--yes']]) {
        const r = await run(home, 'contacts', ...argv);
        assert.equal(r.code, 2, `contacts ${argv.join(' ')} exited ${r.code}: ${r.out}${r.err}`);
      }
    } finally {
      await forget(fp);
    }
  });

  test('another key in ipc-token: exit 1 saying the daemon does not hold it (the key is never sent)', async () => {
    const original = readFileSync(tokenFile);
    try {
      writeFileSync(tokenFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
      const r = await run(home, 'contacts', 'list');
      assert.equal(r.code, 1);
      assert.match(r.err, /^hypergolix contacts: The app daemon \(pid \d+\) is running, but what answers on 127\.0\.0\.1:\d+ does not hold the IPC key in .*ipc-token \(its proof was not made with this key, or for this port; the key was not sent\): the key file was replaced since the daemon started/);
    } finally {
      writeFileSync(tokenFile, original, { mode: 0o600 });
    }
    await ok('list');
  });

  // Fixed: the daemon runs (`status` says so), but ipc-token was
  // removed or damaged: `contacts` says "The app daemon is not running (no IPC key in DIR). Start
  // it with: hypergolix start app", and that advice is refused with "already running". The
  // problem is the key file, and the message should say so.
  test('ipc-token missing or damaged while the daemon runs: not told "not running, start it"', async () => {
    const original = readFileSync(tokenFile);
    try {
      for (const damage of [() => unlinkSync(tokenFile), () => writeFileSync(tokenFile, 'garbage\n', { mode: 0o600 })]) {
        damage();
        const r = await run(home, 'contacts', 'list');
        assert.equal(r.code, 1);
        assert.doesNotMatch(r.err, /The app daemon is not running|Start it with: hypergolix start app/, r.err);
      }
    } finally {
      writeFileSync(tokenFile, original, { mode: 0o600 });
    }
    await ok('list');
  });

  // Fixed: after
  // `hypergolix config --ipc-port N` while the daemon runs (config itself says "Restart Hypergolix
  // to apply the changes: the app daemon (pid P) still runs with the settings it started with"),
  // `contacts` looks on the new port and says "The app daemon is not running (nothing answers on
  // 127.0.0.1:N). Start it with: hypergolix start app"; `status` finds the daemon through the
  // port its pid file records, contacts and shares do not.
  test('the IPC port edited in the config while the daemon runs: contacts still reaches it', async () => {
    const loaded = await loadConfig({ root: home, env: envOf(home), cwd: home });
    const port = loaded.config.process.ipc_port;
    const config = await run(home, 'config', '--ipc-port', String(await freePort()));
    assert.equal(config.code, 0, config.err);
    try {
      assert.equal((await run(home, 'status')).code, 0, 'status still finds the daemon');
      const r = await run(home, 'contacts', 'list');
      assert.equal(r.code, 0, r.err);
    } finally {
      await updateConfig(await loadConfig({ root: home, env: envOf(home), cwd: home }), { process: { ipc_port: port } });
    }
  });
});
