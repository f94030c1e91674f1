// `hypergolix account recovery-kit`, `account recover` and what they share (account-offline.ts),
// in process: src/cli/commands/account-recover.ts, account-recovery-kit.ts, account-offline.ts and
// src/common/recovery-kit-page.ts, run through the CLI's own entry (src/cli/index.ts `main`) over
// real homes in temp directories. test/cli/account-recovery.test.ts already covers, end to end,
// the happy path on two computers with a daemon running, a 35-character key, a weak password, a
// replaced key and --out into a missing directory or onto a directory; this file is about the
// edges: the forms a typed key and a piped password take, keys that are not this account's,
// what a failure leaves behind (the config, the old password, the old key), where and how the
// kit is written, and secrets that must not stay anywhere.
//
// Accounts come from test/fixtures/account/home.ts (a reference identity, scrypt at N = 2^10,
// recorded in the config, so every open here is cheap); each test works on its own copy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { CliError, type CliIO } from '../../../src/cli/command.js';
import { whileDaemonStopped } from '../../../src/cli/commands/account-offline.js';
import { main } from '../../../src/cli/index.js';
import { recoveryKitPage } from '../../../src/common/recovery-kit-page.js';
import { deriveRootSecret } from '../../../src/core/account/kdf.js';
import { loadConfig, updateConfig, type LoadedConfig } from '../../../src/core/config/index.js';
import { Ghid } from '../../../src/core/golix/index.js';
import { createMemoryLogger } from '../../../src/core/log/index.js';
import { readPidFile, stopProcess } from '../../../src/core/process/index.js';
import { silentLogger } from '../../../src/core/remote/logger.js';
import { PersistenceServer } from '../../../src/core/remote/server.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { accountFailure } from '../../../src/host/account-errors.js';
import { DaemonRunner } from '../../../src/host/daemon-runner.js';
import { built } from '../../fixtures/account/cli.js';
import { accountHome, TEST_KDF, type AccountHome } from '../../fixtures/account/home.js';
import { copyHomeInto } from '../../fixtures/copy-home.js';
import { freePort } from '../../fixtures/free-port.js';

const PASSWORD = 'velvet-harbor-quince-58';
const NEW = 'copper-meadow-lantern-31';
const LATER = 'amber-thistle-gondola-74';
const KEY = /^([0-9A-Z]{4}-){8}[0-9A-Z]{4}$/;
const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/hypergolix.js');

// ───────────────────────────── helpers ─────────────────────────────

const dirs: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(label = 'hgx-recover-'): string {
  const d = mkdtempSync(join(tmpdir(), label));
  dirs.push(d);
  return d;
}

interface Run {
  code: number;
  out: string;
  err: string;
  /** Whether the command read standard input at all. */
  stdinRead: boolean;
}

/**
 * Runs `hypergolix ARGV` in process, as src/cli/index.ts does (the same catch: a CliError's
 * message, an expected failure in one line, anything else as "unexpected error" with its stack),
 * with $HYPERGOLIX_HOME = home and `input` on standard input: a string, or chunks each delivered
 * in a turn of its own (a pipe's reads). `onFirstRead` runs when the command starts reading.
 */
async function hgx(
  home: string,
  argv: string[],
  input: string | Buffer[] = '',
  o: { cwd?: string; isTTY?: boolean; onFirstRead?: () => void; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  const chunks = typeof input === 'string' ? (input === '' ? [] : [Buffer.from(input, 'utf8')]) : [...input];
  let read = false;
  const stdin = new Readable({
    read() {
      if (!read) {
        read = true;
        o.onFirstRead?.();
      }
      setImmediate(() => this.push(chunks.length > 0 ? chunks.shift()! : null));
    },
  });
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), stdin, isTTY: o.isTTY ?? false, env: { ...o.env, HYPERGOLIX_HOME: home, HOME: home }, cwd: o.cwd ?? home };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n'), stdinRead: read };
}

/** No stack trace, no "unexpected error", no internal class name in front of what the user reads. */
function plain(r: Run, what: string): void {
  const said = `${r.out}\n${r.err}`;
  assert.doesNotMatch(said, /unexpected error|\n\s+at .+:\d+:\d+/, `${what}: a message, not a stack trace:\n${said}`);
  assert.doesNotMatch(said, /\b(CommsError|UnknownSecret|ValueError|DoesNotExist|TypeError|RangeError)\b/, `${what}: no internal error class:\n${said}`);
}

const configPath = (home: string): string => join(home, 'hypergolix.yml');
const configText = (home: string): string => readFileSync(configPath(home), 'utf8');

/**
 * What happens when this computer's config is opened with `password`, as `hypergolix start app`
 * would (the config's KDF, its root_secret if it keeps one): 'ok', or the failure's code.
 */
async function openWith(home: string, password: string): Promise<string> {
  const loaded = await loadConfig({ root: configPath(home) });
  const runner = new DaemonRunner({ ipc: false, logger: createMemoryLogger() });
  try {
    await runner.start(loaded, { credentials: { password } });
    return 'ok';
  } catch (err) {
    const failure = accountFailure(err);
    if (failure) return failure.code;
    throw err;
  } finally {
    await runner.stop();
  }
}

/** Every file under `dir` (but `except`), as latin1 text, for looking for secrets left behind. */
function filesUnder(dir: string, except: string[] = []): { path: string; text: string }[] {
  const found: { path: string; text: string }[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (except.includes(p)) continue;
    if (entry.isDirectory()) found.push(...filesUnder(p, except));
    else if (entry.isFile()) found.push({ path: p, text: readFileSync(p, 'latin1') });
  }
  return found;
}

/** Makes a kit for the account in `home` (its password `password`) and returns its key. */
async function makeKit(home: string, password = PASSWORD): Promise<string> {
  const r = await hgx(home, ['account', 'recovery-kit', '--password-stdin', '--out', join(home, 'kit.html')], `${password}\n`);
  assert.equal(r.code, 0, r.err);
  const key = r.out.trim().split('\n').at(-1)!;
  assert.match(key, KEY);
  return key;
}

/** `account recover --recovery-key-stdin` with `key` and `next` on two lines. */
const recover = (home: string, key: string, next: string, extra: string[] = []): Promise<Run> =>
  hgx(home, ['account', 'recover', '--recovery-key-stdin', ...extra], `${key}\n${next}\n`);

/** A character of the key's alphabet other than `c`, for a one-character typo. */
const otherChar = (c: string): string => (c === 'A' ? 'B' : 'A');

// Two accounts made once, copied for each test: A (reference identity 2) with no kit, A with a
// kit (its key), B (identity 0) with a kit of its own.
let baseA: AccountHome;
let baseKitted: string;
let kittedKey: string;
let otherKey: string;

before(async () => {
  baseA = await accountHome(tempDir(), PASSWORD);
  baseKitted = copyHomeInto(baseA.home, join(tempDir(), 'home'));
  kittedKey = await makeKit(baseKitted);
  rmSync(join(baseKitted, 'kit.html'));
  const b = await accountHome(tempDir(), PASSWORD, { index: 0 });
  otherKey = await makeKit(b.home);
});

/** A fresh copy of account A without a kit. */
const plainHome = (): string => copyHomeInto(baseA.home, join(tempDir(), 'home'));
/** A fresh copy of account A with a kit whose key is `kittedKey`. */
const kittedHome = (): string => copyHomeInto(baseKitted, join(tempDir(), 'home'));

/** A persistence server in this process (a memory store), closed after the file. */
async function server(): Promise<number> {
  const { engine } = await RulesEngine.open(new MemoryStore());
  const s = new PersistenceServer({ engine, port: 0, host: '127.0.0.1', logger: silentLogger });
  const { port } = await s.listen();
  cleanups.push(() => s.close());
  return port;
}

/** A computer that names no account yet: a config with nothing but an IPC port of its own. */
async function emptyHome(): Promise<string> {
  const home = tempDir();
  const loaded = await loadConfig({ root: configPath(home), create: true });
  await updateConfig(loaded, { process: { ipc_port: await freePort() } });
  return home;
}

// ───────────────────────────── account recovery-kit ─────────────────────────────

describe('account recovery-kit', () => {
  test('the page (by default hypergolix-recovery-kit.html in the working directory) is 0600, holds the key printed alone on the last line, and nothing else keeps the key or the password', async () => {
    const home = plainHome();
    const cwd = tempDir('hgx-recover-cwd-');
    const before = configText(home);
    const r = await hgx(home, ['account', 'recovery-kit', '--password-stdin'], `${PASSWORD}\n`, { cwd });
    assert.equal(r.code, 0, r.err);
    plain(r, 'a kit made');
    const page = join(cwd, 'hypergolix-recovery-kit.html');
    assert.ok(existsSync(page), 'the page is written in the working directory by default');
    assert.equal(statSync(page).mode & 0o777, 0o600, 'the kit is readable by its owner only');
    const lines = r.out.trim().split('\n');
    const key = lines.at(-1)!;
    assert.match(key, KEY, 'the key alone on the last line');
    const html = readFileSync(page, 'utf8');
    assert.ok(html.includes(key) && html.includes(baseA.userId) && html.includes(baseA.fingerprint));
    assert.match(html, /none: the account lives on this computer only/, 'an account without remotes says so');
    assert.equal(readdirSync(cwd).length, 1, 'no temp file left next to the page');
    assert.equal(configText(home), before, 'making a kit does not touch the config');
    assert.ok(!`${r.out}\n${r.err}`.includes(PASSWORD), 'the password is not printed');
    const bare = key.replace(/-/g, '');
    for (const f of filesUnder(home)) {
      assert.ok(!f.text.includes(key) && !f.text.includes(bare), `the key is kept nowhere, but ${f.path} holds it`);
      assert.ok(!f.text.includes(PASSWORD), `the password is kept nowhere, but ${f.path} holds it`);
    }
  });

  test('a password piped with CRLF, or without a final newline, is the password', async () => {
    const home = plainHome();
    for (const input of [`${PASSWORD}\r\n`, PASSWORD]) {
      const r = await hgx(home, ['account', 'recovery-kit', '--password-stdin', '--out', join(home, 'kit.html')], input);
      assert.equal(r.code, 0, `${JSON.stringify(input)}: ${r.err}`);
      assert.match(r.out.trim().split('\n').at(-1)!, KEY);
    }
  });

  test('empty standard input, an empty first line: refused in words, nothing made, the config and the old key as they were', async () => {
    const home = kittedHome();
    const before = configText(home);
    const out = join(home, 'kit.html');
    for (const input of ['', '\n', '\nsomething\n']) {
      const r = await hgx(home, ['account', 'recovery-kit', '--password-stdin', '--out', out], input);
      assert.equal(r.code, 2, `${JSON.stringify(input)}: ${r.err}`);
      assert.match(r.err, /--password-stdin: standard input held no (line|password)/);
      plain(r, JSON.stringify(input));
      assert.ok(!existsSync(out), 'no page');
      assert.doesNotMatch(r.out, /recovery key/i);
    }
    assert.equal(configText(home), before);
    const still = await recover(home, kittedKey, NEW);
    assert.equal(still.code, 0, `the old key still opens the account: ${still.err}`);
  });

  test('a wrong password: exit 1 in words, no page, no key, and the previous kit\'s key still works', async () => {
    const home = kittedHome();
    const out = join(home, 'kit.html');
    const r = await hgx(home, ['account', 'recovery-kit', '--password-stdin', '--out', out], 'not-the-password-77\n');
    assert.equal(r.code, 1);
    assert.match(r.err, /Incorrect password/);
    plain(r, 'a wrong password');
    assert.ok(!existsSync(out));
    assert.doesNotMatch(r.out, /[0-9A-Z]{4}-[0-9A-Z]{4}-/, 'no key printed');
    const still = await recover(home, kittedKey, NEW);
    assert.equal(still.code, 0, `a refused kit revokes nothing: ${still.err}`);
  });

  test('a place the page cannot go is refused before standard input is read: nothing is asked, stopped or changed', async () => {
    const home = kittedHome();
    const file = join(home, 'a-file');
    writeFileSync(file, 'x');
    const before = configText(home);
    for (const [out, why] of [
      [join(file, 'kit.html'), /is not a directory\. Nothing was changed\./],
      [join(home, 'nope', 'deeper', 'kit.html'), /does not exist\. Nothing was changed\./],
    ] as const) {
      const r = await hgx(home, ['account', 'recovery-kit', '--password-stdin', '--out', out], `${PASSWORD}\n`);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, why);
      assert.equal(r.stdinRead, false, 'the password is not even read');
      plain(r, out);
    }
    const empty = await hgx(home, ['account', 'recovery-kit', '--password-stdin', '--out='], `${PASSWORD}\n`);
    assert.equal(empty.code, 2);
    assert.match(empty.err, /--out needs a file name/);
    assert.equal(configText(home), before);
    assert.equal((await recover(home, kittedKey, NEW)).code, 0, 'the old key still opens the account');
  });

  test('a computer that names no account: exit 1 in words, no page, stdin not read', async () => {
    const home = await emptyHome();
    const out = join(home, 'kit.html');
    const r = await hgx(home, ['account', 'recovery-kit', '--password-stdin', '--out', out], `${PASSWORD}\n`);
    assert.equal(r.code, 1);
    assert.match(r.err, /names no account/);
    assert.equal(r.stdinRead, false);
    assert.ok(!existsSync(out));
  });

  test('the page could not be written after the key was made (its directory went away meanwhile): exit 1, said, and the key printed is the one that works', async () => {
    const home = plainHome();
    const dir = join(home, 'kits');
    mkdirSync(dir);
    const out = join(dir, 'kit.html');
    // The place is checked before the password is read; it goes away while the password is typed.
    const r = await hgx(home, ['account', 'recovery-kit', '--password-stdin', '--out', out], `${PASSWORD}\n`, { onFirstRead: () => rmSync(dir, { recursive: true }) });
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /Could not write .*kit\.html.*write it down now/);
    plain(r, 'a page that could not be written');
    const key = r.out.trim().split('\n').at(-1)!;
    assert.match(key, KEY, 'the key is still printed, alone on the last line');
    const used = await recover(home, key, NEW);
    assert.equal(used.code, 0, `the printed key is the kit's: ${used.err}`);
  });

  test('an existing file at --out is not silently replaced by the kit', async () => {
    const home = plainHome();
    const out = join(home, 'notes.html');
    writeFileSync(out, 'my precious notes\n', { mode: 0o644 });
    const r = await hgx(home, ['account', 'recovery-kit', '--password-stdin', '--out', out], `${PASSWORD}\n`);
    const kept = readFileSync(out, 'utf8') === 'my precious notes\n';
    const told = /(replac|overwr)[^\n]*notes\.html|notes\.html[^\n]*(replac|overwr|already (exists|there))/i.test(`${r.out}\n${r.err}`);
    assert.ok(kept || told, `the file that was at --out was replaced without a word (exit ${r.code}):\n${r.out}\n${r.err}`);
    if (!kept) assert.equal(statSync(out).mode & 0o777, 0o600, 'a replaced file is the owner\'s only');
  });

  test('--out naming a symbolic link does not write the kit through it onto the file it points to', async () => {
    const home = plainHome();
    const elsewhere = tempDir('hgx-recover-elsewhere-');
    const target = join(elsewhere, 'document.txt');
    writeFileSync(target, 'someone else\'s document\n', { mode: 0o644 });
    const link = join(home, 'kit.html');
    symlinkSync(target, link);
    const r = await hgx(home, ['account', 'recovery-kit', '--password-stdin', '--out', link], `${PASSWORD}\n`);
    const kept = readFileSync(target, 'utf8') === 'someone else\'s document\n';
    const told = new RegExp(`${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}|symbolic link|symlink`, 'i').test(`${r.out}\n${r.err}`);
    assert.ok(kept || told, `the kit replaced ${target}, which --out only pointed to, without a word (exit ${r.code}):\n${r.out}\n${r.err}`);
  });

  test('with user.root_secret in the config, a wrong password still makes no kit (the password is asked, so it is checked)', async () => {
    const home = kittedHome();
    const loaded = await loadConfig({ root: configPath(home) });
    await updateConfig(loaded, { user: { root_secret: await deriveRootSecret(PASSWORD, Ghid.fromText(baseA.fingerprint), TEST_KDF) } });
    const out = join(home, 'kit.html');
    const r = await hgx(home, ['account', 'recovery-kit', '--password-stdin', '--out', out], 'not-the-password-77\n');
    assert.equal(r.code, 1, `a wrong password made a kit (and revoked the old one):\n${r.out}\n${r.err}`);
    assert.match(r.err, /Incorrect password/);
    assert.ok(!existsSync(out));
    assert.equal((await recover(home, kittedKey, NEW)).code, 0, 'the old key still opens the account');
  });
});

// ───────────────────────────── account recover ─────────────────────────────

describe('account recover', () => {
  test('success: the new password opens the account, the old one nothing, the key keeps working; the config unchanged; nothing secret printed or kept', async () => {
    const home = kittedHome();
    const before = configText(home);
    const r = await recover(home, kittedKey, NEW);
    assert.equal(r.code, 0, r.err);
    plain(r, 'a recovery');
    assert.match(r.out, /New password set/);
    const said = `${r.out}\n${r.err}`;
    assert.ok(!said.includes(NEW) && !said.includes(kittedKey) && !said.includes(kittedKey.replace(/-/g, '')), 'neither the new password nor the key is printed');
    assert.equal(configText(home), before, 'a recovery changes nothing in the config of a computer that names the account');
    for (const f of filesUnder(home)) {
      assert.ok(!f.text.includes(NEW) && !f.text.includes(kittedKey), `${f.path} keeps a secret`);
    }
    assert.equal(await openWith(home, PASSWORD), 'wrong-password', 'the old password opens nothing');
    assert.equal(await openWith(home, NEW), 'ok');
    const again = await recover(home, kittedKey, LATER);
    assert.equal(again.code, 0, `the key keeps working until a new kit is made: ${again.err}`);
    assert.equal(await openWith(home, LATER), 'ok');
  });

  test('the key as a person types it back: lower case, spaces or nothing between groups, O for 0, l for 1, stray whitespace, CRLF', async () => {
    const home = kittedHome();
    const k = kittedKey;
    const forms: [string, string][] = [
      ['lower case, spaces', k.toLowerCase().replace(/-/g, ' ')],
      ['no separators', k.replace(/-/g, '')],
      ['O for 0, l for 1, around whitespace', `\t ${k.replace(/0/g, 'O').replace(/1/g, 'l')}  `],
      ['groups of 2 with dashes', k.replace(/-/g, '').replace(/(..)/g, '$1-').slice(0, -1)],
    ];
    for (const [what, typed] of forms) {
      const r = await recover(home, typed, NEW);
      assert.equal(r.code, 0, `${what} (${JSON.stringify(typed)}): ${r.err}`);
    }
    const crlf = await hgx(home, ['account', 'recover', '--recovery-key-stdin'], `${k}\r\n${LATER}\r\n`);
    assert.equal(crlf.code, 0, crlf.err);
    assert.equal(await openWith(home, LATER), 'ok', 'a CRLF line ending is not part of the new password');
  });

  test('typos (a changed character, one missing, one extra, a letter no key has, nothing): exit 2 in words before anything opens; the old password still works', async () => {
    const home = kittedHome();
    const before = configText(home);
    const k = kittedKey;
    const typos: [string, string, RegExp][] = [
      ['a changed character', k.slice(0, 5) + otherChar(k[5]!) + k.slice(6), /does not check out: a character was mistyped/],
      ['one missing', k.slice(1), /has 36 characters .*this one has 35/],
      ['one extra', `${k}A`, /has 36 characters .*this one has 37/],
      ['a U', `U${k.slice(1)}`, /no "U" in it/],
      ['nothing', '', /has 36 characters .*this one has 0/],
    ];
    for (const [what, typed, says] of typos) {
      const r = await hgx(home, ['account', 'recover', '--recovery-key-stdin'], `${typed}\n${NEW}\n`);
      assert.equal(r.code, 2, `${what}: ${r.err}`);
      assert.match(r.err, says, what);
      plain(r, what);
      assert.doesNotMatch(r.err, /Stopping/);
    }
    assert.equal(configText(home), before);
    assert.equal(await openWith(home, PASSWORD), 'ok', 'nothing changed');
  });

  test('standard input that is empty, or holds the key only: refused in words, nothing changed', async () => {
    const home = kittedHome();
    for (const input of ['', `${kittedKey}\n`, kittedKey, `${kittedKey}\n\n`]) {
      const r = await hgx(home, ['account', 'recover', '--recovery-key-stdin'], input);
      assert.ok(r.code === 2, `${JSON.stringify(input)}: exit ${r.code}: ${r.err}`);
      assert.match(r.err, /--recovery-key-stdin: standard input held fewer than 2 lines|at least 10 characters \(this one has 0\)/, JSON.stringify(input));
      plain(r, JSON.stringify(input));
    }
    assert.equal(await openWith(home, PASSWORD), 'ok');
  });

  test('the new password: too short refused even with --allow-weak-password; weak refused without it, taken with it', async () => {
    const home = kittedHome();
    const short = await recover(home, kittedKey, 'short-1', ['--allow-weak-password']);
    assert.equal(short.code, 2);
    assert.match(short.err, /at least 10 characters \(this one has 7\)/);
    const weak = await recover(home, kittedKey, 'aaaaaaaaaaaa');
    assert.equal(weak.code, 2);
    assert.match(weak.err, /This password is/);
    assert.equal(await openWith(home, PASSWORD), 'ok', 'a refused password changes nothing');
    const taken = await recover(home, kittedKey, 'aaaaaaaaaaaa', ['--allow-weak-password']);
    assert.equal(taken.code, 0, taken.err);
    assert.equal(await openWith(home, 'aaaaaaaaaaaa'), 'ok');
  });

  test('a new password with letters beyond ASCII is set as typed, however the pipe splits it into reads', async () => {
    const pw = 'grüne-Wiese-Laterne-31';
    const bytes = Buffer.from(`${kittedKey}\n${pw}\n`, 'utf8');
    const at = bytes.indexOf(Buffer.from('ü', 'utf8')) + 1; // between the two bytes of "ü"
    // In one read: the control.
    const whole = kittedHome();
    assert.equal((await hgx(whole, ['account', 'recover', '--recovery-key-stdin'], [bytes])).code, 0);
    assert.equal(await openWith(whole, pw), 'ok');
    // In two reads, split inside "ü".
    const split = kittedHome();
    const r = await hgx(split, ['account', 'recover', '--recovery-key-stdin'], [bytes.subarray(0, at), bytes.subarray(at)]);
    assert.equal(r.code, 0, r.err);
    assert.equal(await openWith(split, pw), 'ok', `the password typed, "${pw}", must open the account; a character split across two reads was garbled`);
  });

  test('a new password piped in another encoding than UTF-8 is refused in words, not set as replacement characters', async () => {
    const home = kittedHome();
    const latin1 = Buffer.concat([Buffer.from(`${kittedKey}\n`, 'utf8'), Buffer.from('grüne-Wiese-Laterne-31\n', 'latin1')]);
    const r = await hgx(home, ['account', 'recover', '--recovery-key-stdin'], [latin1]);
    assert.equal(r.code, 2, `bytes that are not UTF-8 were taken as a password (exit ${r.code}); it cannot be typed again:\n${r.out}\n${r.err}`);
    assert.match(r.err, /UTF-8/);
    assert.equal(await openWith(home, PASSWORD), 'ok', 'nothing changed');
  });

  test('another account\'s key: exit 1 saying so, the config and the old password as they were', async () => {
    const home = kittedHome();
    const before = configText(home);
    const r = await recover(home, otherKey, NEW);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /does not open the account: it is another account's, or a newer recovery kit replaced it/);
    plain(r, 'another account\'s key');
    assert.equal(configText(home), before);
    assert.equal(await openWith(home, PASSWORD), 'ok');
    assert.equal(await openWith(home, NEW), 'wrong-password');
  });

  test('an account that has no kit: exit 1, says to make one, nothing changed', async () => {
    const home = plainHome();
    const before = configText(home);
    const r = await recover(home, kittedKey, NEW);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /has no recovery kit: make one with "hypergolix account recovery-kit"/);
    plain(r, 'no kit');
    assert.equal(configText(home), before);
    assert.equal(await openWith(home, PASSWORD), 'ok');
  });

  test('--user-id of another account than the config names: refused before the key is read', async () => {
    const home = kittedHome();
    const otherId = Ghid.fromDigest(Buffer.alloc(64, 7)).text;
    const r = await hgx(home, ['account', 'recover', '--recovery-key-stdin', '--user-id', otherId, '--remote', '127.0.0.1:1'], `${kittedKey}\n${NEW}\n`);
    assert.equal(r.code, 1);
    assert.match(r.err, /names another account/);
    assert.equal(r.stdinRead, false);
    const bad = await hgx(home, ['account', 'recover', '--recovery-key-stdin', '--user-id', 'not-an-id', '--remote', '127.0.0.1:1'], `${kittedKey}\n${NEW}\n`);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /is not a user ID/);
  });

  test('without --recovery-key-stdin and no terminal: the message names the flag recover takes', async () => {
    const home = kittedHome();
    const r = await hgx(home, ['account', 'recover'], `${kittedKey}\n${NEW}\n`);
    assert.equal(r.code, 2);
    assert.match(r.err, /--recovery-key-stdin/, `"account recover" has no --password-stdin; the message must point at the flag it has:\n${r.err}`);
    assert.doesNotMatch(r.err, /--password-stdin/);
  });

  test('with user.root_secret in the config, after a recovery the stale secret is not left to lock this computer out', async () => {
    const home = kittedHome();
    const loaded = await loadConfig({ root: configPath(home) });
    const old = await deriveRootSecret(PASSWORD, Ghid.fromText(baseA.fingerprint), TEST_KDF);
    await updateConfig(loaded, { user: { root_secret: old } });
    const r = await recover(home, kittedKey, NEW);
    assert.equal(r.code, 0, r.err);
    const kept = (await loadConfig({ root: configPath(home) })).config.user.root_secret;
    assert.ok(!kept?.equals(old), 'hypergolix.yml still holds the old root secret, which opens nothing any more');
    assert.equal(await openWith(home, NEW), 'ok', 'this computer opens with the new password (start app uses user.root_secret instead of asking)');
  });
});

// ───────────────────────────── recover on a computer that names no account ─────────────────────────────

describe('account recover on a computer that names no account (--user-id, --remote)', () => {
  let port: number;
  let served: AccountHome;
  let servedKey: string;

  before(async () => {
    port = await server();
    served = await accountHome(tempDir(), PASSWORD, { index: 1, remotes: [port] });
    servedKey = await makeKit(served.home);
  });

  test('a wrong key, a user ID the remote does not hold, a remote out of reach: exit 1 in words, the config byte for byte as it was', async () => {
    const home = await emptyHome();
    const before = configText(home);
    const stranger = Ghid.fromDigest(Buffer.alloc(64, 9)).text;
    const dead = await freePort();
    const cases: [string, string[], string, RegExp][] = [
      ['another account\'s key', ['--user-id', served.userId, '--remote', `127.0.0.1:${port}`], otherKey, /another account's, or a newer recovery kit replaced it/],
      ['a user ID the remote does not hold', ['--user-id', stranger, '--remote', `127.0.0.1:${port}`], servedKey, /holds no account with user ID/],
      ['a remote out of reach', ['--user-id', served.userId, '--remote', `127.0.0.1:${dead}`], servedKey, /could not be reached|Connection refused/],
    ];
    for (const [what, args, key, says] of cases) {
      const r = await hgx(home, ['account', 'recover', '--recovery-key-stdin', ...args], `${key}\n${NEW}\n`);
      assert.equal(r.code, 1, `${what}: ${r.err}`);
      assert.match(r.err, says, what);
      plain(r, what);
      assert.equal(configText(home), before, `${what}: the config as it was`);
    }
    assert.equal(await openWith(served.home, PASSWORD), 'ok', 'the account itself untouched');
  });

  // The command starts the app daemon afterwards, a process of the built CLI.
  describe('recovered here', { skip: built }, () => {
    let home: string;
    let r: Run;

    before(async () => {
      home = await emptyHome();
      // The command starts the app daemon in the background afterwards: from bin/hypergolix.js (not
      // this test file), with this process's node flags (tsx, resolved from the project directory).
      const argv1 = process.argv[1];
      process.argv[1] = BIN;
      try {
        r = await hgx(home, ['account', 'recover', '--recovery-key-stdin', '--user-id', served.userId, '--remote', `127.0.0.1:${port}`], `${servedKey}\n${NEW}\n`, {
          cwd: ROOT,
          env: process.env,
        });
      } finally {
        process.argv[1] = argv1!;
      }
      const pidFile = (await loadConfig({ root: configPath(home) })).config.process.pid_file;
      cleanups.push(() => stopProcess(pidFile));
      if (readPidFile(pidFile)?.alive) await stopProcess(pidFile);
    });

    test('exit 0; the config names the account and the remote, and keeps no secret', () => {
      assert.equal(r.code, 0, r.err);
      plain(r, 'a recovery on a new computer');
      assert.match(r.out, /New password set: use it on every computer/);
      assert.match(r.out, /app daemon started/);
      const yml = configText(home);
      assert.ok(yml.includes(served.userId) && yml.includes(served.fingerprint) && yml.includes(String(port)));
      assert.ok(!yml.includes(NEW) && !yml.includes(servedKey));
      assert.ok(!`${r.out}\n${r.err}`.includes(NEW), 'the new password is not printed');
    });

    test('the account\'s first computer (fetching from the remote) opens with the new password, whatever KDF its hypergolix.yml recorded', async () => {
      // The first computer's config (it records the account's KDF: N = 2^10, the cost of the 2016
      // accounts), on an empty cache, so the root frame comes from the remote.
      const other = tempDir();
      writeFileSync(configPath(other), configText(served.home).split(served.home).join(other).replace(/ipc_port: \d+/, `ipc_port: ${await freePort()}`));
      const recorded = (await loadConfig({ root: configPath(home) })).config.account.kdf;
      assert.equal(await openWith(other, PASSWORD), 'wrong-password', 'the old password opens nothing there');
      assert.equal(
        await openWith(other, NEW),
        'ok',
        `the new password must open the account on its other computers too; here it was derived with ${JSON.stringify(recorded)}, while that computer records ${JSON.stringify(TEST_KDF)}`,
      );
    });

    // Left as it is (local first): a computer that was off while the password changed elsewhere
    // opens from its own cache without waiting for the remotes, so the first login there still
    // takes the old password; the newer root frame reaches its cache once it is connected. A
    // recovery does wait for the remotes (the tests below); a login does not.
    test('the account\'s first computer, its cache holding the old root frame: a login is local first and still opens with the old password', async () => {
      const first = copyHomeInto(served.home, join(tempDir(), 'home'));
      assert.equal(await openWith(first, PASSWORD), 'ok');
    });
  });
});

describe('a kit replaced on another computer, while this one was off', () => {
  let one: AccountHome;
  let oldKey: string;
  let newKey: string;

  before(async () => {
    const port = await server();
    one = await accountHome(tempDir(), PASSWORD, { index: 1, remotes: [port] });
    oldKey = await makeKit(one.home);
    // The second computer: the same config (its own IPC port), an empty cache; its kit replaces the first.
    const other = tempDir();
    writeFileSync(configPath(other), configText(one.home).split(one.home).join(other).replace(/ipc_port: \d+/, `ipc_port: ${await freePort()}`));
    newKey = await makeKit(other);
  });

  test('the replaced key, typed on the first computer (the remote reachable), opens nothing', async () => {
    const home = copyHomeInto(one.home, join(tempDir(), 'home'));
    const r = await recover(home, oldKey, NEW);
    assert.equal(r.code, 1, `a key a newer kit replaced set a new password:\n${r.out}\n${r.err}`);
    assert.match(r.err, /newer recovery kit replaced it/);
  });

  test('the current key, typed on the first computer (the remote reachable), sets the new password', async () => {
    const home = copyHomeInto(one.home, join(tempDir(), 'home'));
    const r = await recover(home, newKey, NEW);
    assert.equal(r.code, 0, `the key of the newest kit was refused:\n${r.err}`);
  });
});

// ───────────────────────────── account-offline.ts ─────────────────────────────

describe('whileDaemonStopped', () => {
  const quietIO = (): CliIO & { said: string[] } => {
    const said: string[] = [];
    return { said, out: (t) => said.push(t), err: (t) => said.push(t), stdin: Readable.from([]), isTTY: false, env: {}, cwd: tmpdir() };
  };
  const loadedOf = (home: string): Promise<LoadedConfig> => loadConfig({ root: configPath(home) });

  test('a wrong password becomes the caller\'s words (exit 1); a change that fails is passed on as it is; either way the account is closed and its pid file released', async () => {
    const home = plainHome();
    const loaded = await loadedOf(home);
    const io = quietIO();
    const wrong = await whileDaemonStopped({ loaded, io, credentials: { password: 'not-the-password-1' }, wrongPassword: 'Words for this.', change: async () => 1, restartWith: () => '', byRoot: false }).then(
      () => assert.fail('a wrong password opened the account'),
      (err: unknown) => err,
    );
    assert.ok(wrong instanceof CliError);
    assert.equal(wrong.message, 'Words for this.');
    assert.equal(wrong.exitCode, 1);
    const boom = new Error('the change failed');
    const failed = await whileDaemonStopped({ loaded, io, credentials: { password: PASSWORD }, wrongPassword: 'x', change: async () => { throw boom; }, restartWith: () => '', byRoot: false }).then(
      () => assert.fail('resolved'),
      (err: unknown) => err,
    );
    assert.equal(failed, boom);
    assert.equal(readPidFile(loaded.config.process.pid_file), null, 'the pid file is released');
    assert.equal(await openWith(home, PASSWORD), 'ok', 'the account opens again at once (its store is not left locked)');
    assert.deepEqual(io.said, [], 'no daemon was running: nothing said about one');
  });

  test('the change\'s result is returned, with the account open while it runs', async () => {
    const home = plainHome();
    const got = await whileDaemonStopped({
      loaded: await loadedOf(home),
      io: quietIO(),
      credentials: { password: PASSWORD },
      wrongPassword: 'x',
      change: async (account) => account.fingerprint.text,
      restartWith: () => PASSWORD,
      byRoot: false,
    });
    assert.equal(got, baseA.fingerprint);
  });
});

// ───────────────────────────── recovery-kit-page.ts ─────────────────────────────

describe('recoveryKitPage', () => {
  test('self-contained and escaped: no script, no outside resource, markup in a field shown as text', () => {
    const page = recoveryKitPage({
      userId: 'uid"><script>alert(1)</script>',
      fingerprint: "fp'<img src=x onerror=alert(1)>",
      remotes: ['evil.example:1<script>', 'a&b:2:tls'],
      key: 'ABCD-<b>',
      made: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
    });
    assert.doesNotMatch(page, /<script|<img|<b>/i);
    assert.doesNotMatch(page, /\s(src|href)=["']?(https?:|\/\/)/i, 'no outside resource');
    assert.match(page, /Content-Security-Policy" content="default-src 'none'/);
    assert.match(page, /&#60;script&#62;/);
    assert.match(page, /a&#38;b:2:tls/);
    assert.match(page, /Made 2024-01-02 03:04 UTC/);
  });
});
