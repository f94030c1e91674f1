// `hypergolix config` arguments in process: src/cli/commands/config-args.ts (parseConfigArgs,
// configEdits, describeRemote) alone, then applied to real hypergolix.yml files in temp homes
// through createConfigCommand. What test/cli/config.test.ts already covers end to end (each flag
// once, the byte-identical file after a bad value, --register, --whoami, legacy files) is not
// repeated here; this file is about the edges: the forms of a flag, missing and repeated values,
// ports, odd hosts, IPv6 literals, unicode, and what each accepted word becomes in the file.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../../../src/cli/command.js';
import { createConfigCommand } from '../../../src/cli/commands/config.js';
import { configEdits, describeRemote, parseConfigArgs, type ConfigArgs } from '../../../src/cli/commands/config-args.js';
import { HOSTED_REMOTE } from '../../../src/common/config-fields.js';
import { CONFIG_KEYS } from '../../../src/common/config-keys.js';
import { parserOf } from '../../../src/common/config-parsers.js';
import { validateConfig } from '../../../src/core/config/index.js';
import { tempDir } from '../../core/config/helpers.js';
import { runCommand } from '../../fixtures/cli/in-process.js';

// ───────────────────────────── helpers ─────────────────────────────

/** The usage error parseConfigArgs throws for `argv` (exit 2, pointing at --help); fails the test when it accepts. */
function refused(argv: string[], says?: RegExp): string {
  let caught: unknown = null;
  let accepted: ConfigArgs | null = null;
  try {
    accepted = parseConfigArgs(argv);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== null, `${JSON.stringify(argv)} must be refused, but was accepted as ${JSON.stringify(accepted)}`);
  assert.ok(caught instanceof CliError, `${JSON.stringify(argv)}: a usage error, not ${String(caught)}`);
  assert.equal(caught.exitCode, 2, JSON.stringify(argv));
  assert.match(caught.message, /\. See "hypergolix config --help"\.$/, JSON.stringify(argv));
  if (says) assert.match(caught.message, says, JSON.stringify(argv));
  return caught.message;
}

/** parseConfigArgs, with the argv named when it throws. */
function parsed(argv: string[]): ConfigArgs {
  try {
    return parseConfigArgs(argv);
  } catch (e) {
    assert.fail(`${JSON.stringify(argv)} must be accepted, but: ${(e as Error).message}`);
  }
}

interface Run {
  code: number;
  out: string;
  err: string;
}

/** A temp home with its own $HYPERGOLIX_HOME, HOME and cwd, and the config command run in process as src/cli/index.ts runs it. */
function setup() {
  const root = tempDir('hgx-cli-config-args-');
  const hgxHome = join(root, 'hgx');
  const home = join(root, 'home');
  const cwd = join(root, 'cwd');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(home, { recursive: true });
  const command = createConfigCommand({
    platform: 'linux',
    systemDir: join(root, 'etc-hypergolix'),
    stdoutIsTTY: () => false,
    openUrl: () => {},
    registrationLink: async () => {
      throw new CliError('no daemon in these tests', 1);
    },
  });
  const env: NodeJS.ProcessEnv = { HOME: home, HYPERGOLIX_HOME: hgxHome };
  const run = (...argv: string[]): Promise<Run> => runCommand(command, argv, env, cwd);
  const file = join(hgxHome, 'hypergolix.yml');
  const read = () => readFileSync(file, 'utf8');
  /** The file as Hypergolix reads it. */
  const config = () => validateConfig(read(), { file, homedir: home }).config;
  const remotes = () => config().remotes.map((r) => ({ host: r.host, port: r.port, tls: r.tls }));
  return { run, file, read, config, remotes, root, home, cwd, hgxHome };
}

/** A lone UTF-16 surrogate: half a character, printed as U+FFFD or garbage. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// ───────────────────────────── the forms of a flag ─────────────────────────────

describe('parseConfigArgs: the forms of a flag', () => {
  test('no words: nothing to edit, nothing to print but the summary', () => {
    const p = parsed([]);
    assert.deepEqual(p, { whoami: false, register: false, add: [], remove: [], notes: [] });
    assert.equal(configEdits(p), null);
    assert.equal(configEdits(parsed(['--whoami', '--register', '--root', 'x'])), null, 'these ask for no edit');
  });

  test('--flag=value and --flag value mean the same for every flag that takes one value', () => {
    const one: [string, string][] = [
      ['--root', 'some/dir'],
      ['--add-remote', 'a.org:1:tls'],
      ['--remove-remote', 'a.org:1'],
      ['--only', 'local'],
      ['--add', 'hgx'],
      ['--remove', 'hgx'],
      ['--verbosity', 'loud'],
      ['--ipc-port', '7001'],
      ['--sharing', 'known'],
    ];
    for (const [flag, value] of one) {
      assert.deepEqual(parsed([`${flag}=${value}`]), parsed([flag, value]), flag);
    }
    // Only the first "=" splits: the value may hold more.
    assert.equal(parsed(['--root=a=b']).root, 'a=b');
    // The =value form is how a value that starts with "-" is given.
    assert.equal(parsed(['--root=-dir']).root, '-dir');
    refused(['--root', '-dir'], /^--root needs a value/);
  });

  test("the reference's short spellings are their long flags, and a message names the spelling typed", () => {
    const pairs: [string[], string[]][] = [
      [['-ah', 'a.org', '7770', 'y'], ['--addhost', 'a.org', '7770', 'y']],
      [['-rh', 'a.org', '7770'], ['--removehost', 'a.org', '7770']],
      [['-o', 'local'], ['--only', 'local']],
      [['-a', 'hgx'], ['--add', 'hgx']],
      [['-r', 'hgx'], ['--remove', 'hgx']],
      [['-v', 'louder'], ['--verbosity', 'louder']],
      [['-ipc', '7001'], ['--ipc-port', '7001']],
    ];
    for (const [short, long] of pairs) assert.deepEqual(parsed(short), parsed(long), short[0]);
    refused(['-ipc', '0'], /^-ipc "0": /);
    refused(['--ipc-port', '0'], /^--ipc-port "0": /);
    refused(['-rh', 'a.org', 'x'], /^-rh PORT "x": /);
    refused(['--removehost', 'a.org', 'x'], /^--removehost PORT "x": /);
  });

  test('a flag of several values refuses the =value form and says to give them separately', () => {
    refused(['--addhost=a.org'], /^--addhost takes 3 values, given separately\./);
    refused(['--removehost=a.org'], /^--removehost takes 2 values, given separately\./);
  });

  test('a flag without a value refuses =value, even an empty one', () => {
    for (const word of ['--whoami=', '--whoami=yes', '--register=1', '--debug=false', '--no-debug=true', '--debug=']) {
      refused([word], new RegExp(`^${word.split('=')[0]} takes no value\\.`));
    }
  });

  test('a missing value, or another flag where the value should be, is "needs a value"', () => {
    for (const flag of ['--root', '--add-remote', '--remove-remote', '--only', '-o', '--add', '-a', '--remove', '-r', '--verbosity', '-v', '--ipc-port', '-ipc', '--sharing']) {
      refused([flag], new RegExp(`^${flag} needs a value\\.`));
      refused([flag, '--whoami'], new RegExp(`^${flag} needs a value\\.`));
    }
    refused(['-ah'], /^-ah needs 3 values\./);
    refused(['-ah', 'a.org', '7770'], /^-ah needs 3 values\./);
    refused(['-ah', 'a.org', '--debug', 'y'], /^-ah needs 3 values\./);
    refused(['-rh', 'a.org'], /^-rh needs 2 values\./);
    refused(['--verbosity', '-'], /^--verbosity needs a value\./);
  });

  test('a negative number is taken as the value and refused for its range, not called missing', () => {
    refused(['--ipc-port', '-1'], /^--ipc-port "-1": the value must be a whole number from 1 to 65535\./);
    refused(['--ipc-port=-7772'], /^--ipc-port "-7772": the value must be a whole number from 1 to 65535\./);
    refused(['-ah', 'a.org', '-7770', 'y'], /^-ah PORT "-7770": /);
    refused(['-ah', 'a.org', '7770', '-1'], /^-ah TLS "-1": /);
    refused(['-rh', 'a.org', '-1'], /^-rh PORT "-1": /);
    refused(['--verbosity', '-1'], /^--verbosity "-1": /);
  });

  test('unknown options, stray words, "--", "-" and a short flag with "=" are refused by name', () => {
    refused(['--frobnicate'], /^unknown option --frobnicate\./);
    refused(['--ROOT', 'x'], /^unknown option --ROOT\./);
    refused(['--constructor'], /^unknown option --constructor\./);
    refused(['--__proto__'], /^unknown option --__proto__\./);
    refused(['-toString'], /^unknown option -toString\./);
    refused(['config'], /^unexpected argument "config"\./);
    refused(['--'], /^unknown option --\./);
    refused(['--=x'], /^unknown option --\./);
    refused(['-'], /^unknown option -\./);
    refused(['-v=debug'], /^unknown option -v=debug\./);
    refused(['-ah', 'a.org', '1', 'y', 'n'], /^unexpected argument "n"\./);
    refused(['--ipc-port', '7001', '7002'], /^unexpected argument "7002"\./);
  });
});

// ───────────────────────────── values ─────────────────────────────

describe('parseConfigArgs: values', () => {
  test('ports: 1 and 65535 are the bounds; zero, too large, signs, fractions, hex and non-ASCII digits are refused', () => {
    for (const [word, port] of [['1', 1], ['65535', 65535], ['007772', 7772], [' 7772 ', 7772]] as const) {
      assert.equal(parsed(['--ipc-port', word]).ipcPort, port, JSON.stringify(word));
      assert.equal(parsed(['-ah', 'a.org', word, 'n']).add[0]!.port, port, JSON.stringify(word));
      assert.equal(parsed(['--add-remote', `a.org:${word}`]).add[0]!.port, port, JSON.stringify(word));
    }
    for (const word of ['0', '65536', '99999999999999999999', '1.5', '+1', '0x1f', '1e3', '７７７２', '٣', '', ' ', '7772 7773']) {
      refused(['--ipc-port', word], /: the value must be a whole number from 1 to 65535\./);
      refused(['-rh', 'a.org', word], /^-rh PORT .*: the value must be a whole number from 1 to 65535\./);
      refused(['--add-remote', `a.org:${word}`], /: the value has a bad port: must be a whole number from 1 to 65535\./);
    }
  });

  test('TLS: every boolean spelling for -ah; tls and notls too for --add-remote; absent is off', () => {
    const yes = ['y', 'Y', 'yes', 'true', 'TRUE', 't', '1', 'on'];
    const no = ['n', 'no', 'false', 'f', '0', 'off', 'OFF'];
    for (const w of yes) {
      assert.equal(parsed(['-ah', 'a.org', '1', w]).add[0]!.tls, true, w);
      assert.equal(parsed(['--add-remote', `a.org:1:${w}`]).add[0]!.tls, true, w);
    }
    for (const w of no) {
      assert.equal(parsed(['-ah', 'a.org', '1', w]).add[0]!.tls, false, w);
      assert.equal(parsed(['--add-remote', `a.org:1:${w}`]).add[0]!.tls, false, w);
    }
    assert.equal(parsed(['--add-remote', 'a.org:1:tls']).add[0]!.tls, true);
    assert.equal(parsed(['--add-remote', 'a.org:1:TLS']).add[0]!.tls, true);
    assert.equal(parsed(['--add-remote', 'a.org:1:notls']).add[0]!.tls, false);
    assert.equal(parsed(['--add-remote', 'a.org:1']).add[0]!.tls, false);
    refused(['--add-remote', 'a.org:1:maybe'], /has a bad TLS flag: use tls, notls, or true or false/);
    refused(['--add-remote', 'a.org:1:'], /has a bad TLS flag/);
    refused(['--add-remote', 'a.org:1:tls:x'], /must look like HOST:PORT or HOST:PORT:tls/);
    refused(['-ah', 'a.org', '1', 'maybe'], /^-ah TLS "maybe": the value must be true or false/);
  });

  test('IPv6 literals: bracketed in HOST:PORT, bare or bracketed for -ah and -rh, printed back bracketed', () => {
    const add = (spec: string) => parsed(['--add-remote', spec]).add[0]!;
    assert.deepEqual(add('[::1]:7770'), { host: '::1', port: 7770, tls: false });
    assert.deepEqual(add('[2001:db8::1]:443:tls'), { host: '2001:db8::1', port: 443, tls: true });
    assert.deepEqual(add('[fe80::1%eth0]:7770'), { host: 'fe80::1%eth0', port: 7770, tls: false });
    assert.deepEqual(add('[::ffff:192.0.2.1]:1'), { host: '::ffff:192.0.2.1', port: 1, tls: false });
    assert.deepEqual(add(' [::1]:7770 '), { host: '::1', port: 7770, tls: false });
    assert.deepEqual(parsed(['-ah', '::1', '7770', 'y']).add, [{ host: '::1', port: 7770, tls: true }]);
    assert.deepEqual(parsed(['-ah', '[::1]', '7770', 'y']).add, [{ host: '::1', port: 7770, tls: true }]);
    assert.deepEqual(parsed(['-rh', '[::1]', '7770']).remove, [{ host: '::1', port: 7770 }]);
    assert.deepEqual(parsed(['--remove-remote', '[::1]:7770']).remove, [{ host: '::1', port: 7770 }]);
    assert.deepEqual(parsed(['--add-remote', '[::1]:7770:tls']).notes, [{ kind: 'add', remote: { host: '::1', port: 7770, tls: true }, extra: [] }]);

    for (const bad of ['[::1]7770', '[::1', '[1:2:3:4:5:6:7:8:9]:1', '[::g]:1', '[1::2::3]:1', '[]:1', '[a.org]x:1']) {
      refused(['--add-remote', bad], /^--add-remote /);
    }
    refused(['-ah', '[::1', '1', 'y'], /^-ah HOST "\[::1": the value must be a host name or IP address\./);

    assert.equal(describeRemote({ host: '::1', port: 7770, tls: true }), '[::1]:7770 (TLS)');
    assert.equal(describeRemote({ host: 'fe80::1%eth0', port: 1, tls: false }), '[fe80::1%eth0]:1 (no TLS)');
    assert.equal(describeRemote({ host: 'a.org', port: 1 }), 'a.org:1');
  });

  test('odd hosts are refused with the flag and the value named; ordinary ones are kept as typed', () => {
    const bad = ['a..org', '.a.org', 'a.org..', '1.2.3', '256.1.1.1', '010.0.0.1', 'a b.org', 'a/b', 'a.org:1', `${'x'.repeat(64)}.org`, `${'abcdefgh.'.repeat(28)}org`, 'a-.org', '*.org'];
    for (const host of bad) {
      refused(['-ah', host, '1', 'y'], /^-ah HOST ".+: the value must be a host name or IP address\./);
      if (!host.includes(':')) refused(['--add-remote', `${host}:1`], /^--add-remote ".+: the value has a bad host: must be a host name or IP address\./);
    }
    refused(['-ah', '', '1', 'y'], /^-ah HOST "": the value must be a host name or IP address\./);
    refused(['-ah', '   ', '1', 'y'], /^-ah HOST "   ": the value must be a host name or IP address\./);
    refused(['--add-remote', ':1'], /^--add-remote ":1": the value has a bad host: must be a host name or IP address\./);
    refused(['--add-remote=-a.org:1'], /^--add-remote "-a\.org:1": the value has a bad host/);

    for (const host of ['localhost', 'LOCALHOST', 'a-b.example', '_srv.example.org', 'xn--bcher-kva.de', '1.2.3.4', '255.255.255.255', 'host1']) {
      assert.equal(parsed(['-ah', host, '1', 'y']).add[0]!.host, host);
      assert.equal(parsed(['--add-remote', `${host}:1`]).add[0]!.host, host);
    }
    assert.equal(parsed(['-ah', ' a.org\u00a0', '1', 'y']).add[0]!.host, 'a.org', 'surrounding (unicode) spaces are trimmed');
  });

  test('verbosity and sharing: the aliases and any case, normalized; the edits they make', () => {
    const v = (w: string) => parsed(['-v', w]).verbosity;
    assert.equal(v('LOUD'), 'info');
    assert.equal(v('Normal'), 'warning');
    assert.equal(v(' quiet '), 'error');
    assert.equal(v('warn'), 'warning');
    assert.equal(v('louder'), 'debug');
    assert.equal(v('extreme'), 'extreme');
    assert.equal(v('Shouty'), 'shouty');
    refused(['-v', 'chatty'], /^-v "chatty": the value must be one of error, warning, info, debug, shouty, extreme \(or quiet, normal, loud, louder\)\./);
    assert.equal(parsed(['--sharing', 'ALL']).sharing, 'all');
    assert.equal(parsed(['--sharing', ' Known ']).sharing, 'known');
    refused(['--sharing', 'nobody'], /^--sharing "nobody": the value must be all, known or ask\./);
    assert.deepEqual(configEdits(parsed(['-v', 'LOUD', '--no-debug', '--sharing', 'ALL', '-ipc', '07001'])), {
      instrumentation: { verbosity: 'info', debug: false },
      process: { ipc_port: 7001 },
      sharing: { accept: 'all' },
    });
  });

  test('--only: the same value twice is fine, two different ones or any add or remove beside it are refused', () => {
    assert.equal(parsed(['--only', 'local', '-o', 'local']).only, 'local');
    refused(['-o', 'local', '--only', 'hgx'], /^--only is given twice with different values\./);
    for (const other of [['-rh', 'a.org', '1'], ['-ah', 'a.org', '1', 'y'], ['--add', 'hgx'], ['--remove', 'hgx'], ['--remove-remote', 'a.org:1']]) {
      refused(['-o', 'hgx', ...other], /cannot be combined with adding or removing remotes/);
      refused([...other, '-o', 'local'], /cannot be combined with adding or removing remotes/);
    }
    refused(['--only', 'LOCAL'], /^--only "LOCAL": use "local" \(no remotes\) or "hgx"\./);
    assert.deepEqual(configEdits(parsed(['-o', 'local', '-v', 'debug'])), { remotes: { replace: [] }, instrumentation: { verbosity: 'debug' } });
    assert.deepEqual(configEdits(parsed(['-o', 'hgx'])), { remotes: { replace: [{ ...HOSTED_REMOTE }] } });
  });

  test('configEdits lists removals and additions as given, with hgx as the hosted remote', () => {
    const p = parsed(['--remove-remote', 'd.org:4', '-ah', 'b.org', '2', 'n', '--remove-remote', 'c.org:3', '--add', 'hgx']);
    assert.deepEqual(configEdits(p), {
      remotes: {
        remove: [{ host: 'd.org', port: 4 }, { host: 'c.org', port: 3 }],
        add: [{ host: 'b.org', port: 2, tls: false }, { ...HOSTED_REMOTE }],
      },
    });
    assert.equal(p.notes.flatMap((n) => (n.kind === 'add' ? n.extra : [])).filter((n) => /no longer exists/.test(n)).length, 1, '--add hgx says the hosted service is gone');
    assert.deepEqual(configEdits(parsed(['--remove', 'hgx'])), { remotes: { remove: [{ host: HOSTED_REMOTE.host, port: HOSTED_REMOTE.port }], add: [] } });
    refused(['--remove', 'hgx', '--add', 'hgx'], /both added and removed/);
  });

  test("a bad value's message names flag and value once, without the validator's closing \"not …\"", () => {
    const full = (argv: string[]) => refused(argv);
    assert.equal(full(['--ipc-port', '70000']), '--ipc-port "70000": the value must be a whole number from 1 to 65535. See "hypergolix config --help".');
    assert.equal(full(['-ah', 'a.org', '1', 'maybe']), '-ah TLS "maybe": the value must be true or false (also yes/no, y/n, t/f, 1/0). See "hypergolix config --help".');
    assert.equal(full(['--add-remote', 'a.org:0']), '--add-remote "a.org:0": the value has a bad port: must be a whole number from 1 to 65535. See "hypergolix config --help".');
    assert.equal(full(['--add-remote', 'nocolon']), '--add-remote "nocolon": the value must look like HOST:PORT or HOST:PORT:tls. See "hypergolix config --help".');
    // A long value is shortened, so a pasted blob cannot flood the terminal.
    const long = full(['--sharing', 'x'.repeat(5000)]);
    assert.ok(long.length < 200, long);
  });

  test('control characters in a bad value are escaped in the message, never sent to the terminal', () => {
    for (const word of ['\u001b[2J\u001b[31mred', 'a\nb', 'a\rb', '\u0007bell', 'tab\there']) {
      const msg = refused(['--sharing', word]);
      assert.doesNotMatch(msg, /[\u0000-\u001f\u007f]/, JSON.stringify(word));
    }
    const host = refused(['-ah', 'a\u001b[2J.org', '1', 'y']);
    assert.doesNotMatch(host, /[\u0000-\u001f]/);
  });

  test('every value accepted here is one the file accepts (config-parsers), with the same result; a refused one is refused there too', () => {
    const ipc = parserOf(CONFIG_KEYS.process.ipc_port);
    const verbosity = parserOf(CONFIG_KEYS.instrumentation.verbosity);
    const sharing = parserOf(CONFIG_KEYS.sharing.accept);
    const item = CONFIG_KEYS.remotes.items;
    const same = (cli: () => unknown, file: ReturnType<typeof ipc>, what: string) => {
      let value: unknown;
      let ok = true;
      try {
        value = cli();
      } catch (e) {
        assert.ok(e instanceof CliError, what);
        ok = false;
      }
      assert.equal(ok, file.ok, `${what}: the CLI ${ok ? 'accepts' : 'refuses'} it, the file ${file.ok ? 'accepts' : 'refuses'} it`);
      if (ok && file.ok) assert.deepEqual(value, file.value, what);
    };
    for (const w of ['1', '65535', '007772', ' 80 ', '0', '65536', '-1', '1.0', 'abc', '']) {
      same(() => parseConfigArgs(['--ipc-port', w]).ipcPort, ipc(w), `ipc ${JSON.stringify(w)}`);
    }
    for (const w of ['debug', 'LOUD', 'warn', 'nope', '']) same(() => parseConfigArgs(['-v', w]).verbosity, verbosity(w), `verbosity ${JSON.stringify(w)}`);
    for (const w of ['ask', 'ALL', ' known ', 'nobody']) same(() => parseConfigArgs(['--sharing', w]).sharing, sharing(w), `sharing ${JSON.stringify(w)}`);
    for (const spec of ['[::1]:7770:tls', 'A.Org.:1:no', '10.0.0.5:65535:1', '_srv.example:80']) {
      const r = parsed(['--add-remote', spec]).add[0]!;
      for (const [key, v] of Object.entries(r)) {
        const f = parserOf(item[key as 'host' | 'port' | 'tls']!)(v);
        assert.ok(f.ok, `${spec}: ${key} ${JSON.stringify(v)} must be valid in the file`);
        assert.deepEqual(f.value, v, `${spec}: ${key} is written in its final form`);
      }
    }
  });
});

// ───────────────────────────── parsing defects ─────────────────────────────

describe('parseConfigArgs: contradictions and messages', () => {
  test('--root given twice with different paths is refused, not the first silently dropped', () => {
    refused(['--root', 'work/a', '--root', 'work/b'], /--root/);
  });

  test('a value flag given twice with different values is refused, as --only and --debug/--no-debug are', () => {
    // --only local --only hgx and --debug --no-debug are refused as contradictions; the same
    // contradiction for these flags must not silently keep the last value.
    refused(['--verbosity', 'debug', '--verbosity', 'error'], /--verbosity/);
    refused(['--ipc-port', '7001', '-ipc', '7002'], /(--ipc-port|-ipc)/);
    refused(['--sharing', 'all', '--sharing', 'ask'], /--sharing/);
  });

  test('--remove-remote takes HOST:PORT: a TLS part is refused, not ignored', () => {
    // The help says "--remove-remote HOST:PORT", and parseRemoteSpec has { allowTls: false } for this.
    // Today "a.org:1:notls" removes a.org:1 whatever its TLS, and "a.org:1:maybe" is refused for its TLS word.
    refused(['--remove-remote', 'a.org:1:notls'], /^--remove-remote "a\.org:1:notls": the value must look like HOST:PORT\./);
  });

  test('the same remote added twice with different TLS in one command is refused', () => {
    // Today both are accepted and both notes print: "Added remote a.org:1 (TLS)." "Added remote a.org:1 (no TLS)."
    refused(['--add-remote', 'a.org:1:tls', '--add-remote', 'A.ORG:1'], /a\.org:1/i);
  });

  test('an IPv6 address without brackets is refused with a message that says to bracket it', () => {
    const msg = refused(['--add-remote', '::1:7770']);
    assert.match(msg, /bracket|\[[0-9a-f:]+\]:\d/i, msg);
  });

  test('a bad value containing ", not " is quoted whole in the message', () => {
    const msg = refused(['--sharing', 'all, not ask']);
    assert.equal(msg, '--sharing "all, not ask": the value must be all, known or ask. See "hypergolix config --help".');
  });

  test('a long unicode value is shortened without cutting a character in half', () => {
    for (const word of [`a${'🙂'.repeat(30)}`, `${'🙂'.repeat(30)}`]) {
      const msg = refused(['--sharing', word]);
      assert.doesNotMatch(msg, LONE_SURROGATE, `half a character in ${JSON.stringify(msg)}`);
    }
  });

  test('an invisible character that makes a host bad is visible in the message', () => {
    // "a\u200b.org" (a zero-width space pasted from a web page) prints as "a.org" today, so the
    // message says a plain-looking a.org is not a host name.
    const msg = refused(['-ah', 'a\u200b.org', '1', 'y']);
    assert.doesNotMatch(msg, /\u200b/, 'the zero-width space is shown escaped (\\u200b), not printed raw');
  });
});

// ───────────────────────────── applied to hypergolix.yml ─────────────────────────────

describe('applied to hypergolix.yml', () => {
  test('an IPv6 remote: written bare, read back, summarized bracketed, removed by either spelling', async () => {
    const { run, remotes, read } = setup();
    let r = await run('--add-remote', '[::1]:7770:tls', '-ah', '[2001:db8::5]', '443', 'n');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Added remote \[::1\]:7770 \(TLS\)\.\nAdded remote \[2001:db8::5\]:443 \(no TLS\)\.$/m);
    assert.doesNotMatch(read(), /\[/, 'the file holds the address without brackets');
    assert.deepEqual(remotes(), [
      { host: '::1', port: 7770, tls: true },
      { host: '2001:db8::5', port: 443, tls: false },
    ]);
    r = await run();
    assert.match(r.out, /Remotes: +\[::1\]:7770 \(TLS\)\n +\[2001:db8::5\]:443 \(no TLS\)/);
    r = await run('-rh', '::1', '7770');
    assert.match(r.out, /^Removed remote \[::1\]:7770\.$/m);
    r = await run('--remove-remote', '[2001:DB8::5]:443');
    assert.match(r.out, /^Removed remote \[2001:DB8::5\]:443\.$/m);
    assert.deepEqual(remotes(), []);
  });

  test('hosts that look like YAML numbers, booleans or null are written so they read back as the same host', async () => {
    const { run, remotes } = setup();
    const hosts = ['true', 'null', '1e3', '0b101', '0o17', 'nan', 'on', 'yes', '1_000', '12-34'];
    const r = await run(...hosts.flatMap((h) => ['--add-remote', `${h}:7770`]));
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(
      remotes().map((x) => x.host),
      hosts,
    );
  });

  test("an edit keeps the comment on the edited line and the file's other lines", async () => {
    const { run, read, file, hgxHome } = setup();
    mkdirSync(hgxHome, { recursive: true });
    const text = '# mine\nprocess:\n  ipc_port: 7772 # apps connect here\ninstrumentation:\n  verbosity: info # for now\nremotes: [] # none yet\n';
    writeFileSync(file, text);
    const r = await run('-ipc', '7001', '-v', 'louder', '-ah', 'a.org', '1', 'y');
    assert.equal(r.code, 0, r.err);
    const after = read();
    assert.match(after, /^# mine$/m);
    assert.match(after, /^ {2}ipc_port: 7001 # apps connect here$/m);
    assert.match(after, /^ {2}verbosity: debug # for now$/m);
    assert.match(after, /# none yet/);
    assert.match(after, /- host: a\.org\n {4}port: 1\n {4}tls: true/);
  });

  test('--root "" and --root= are refused, not taken as the current directory', async () => {
    for (const argv of [['--root', '', '--ipc-port', '7001'], ['--root=', '--ipc-port', '7001']]) {
      const { run, cwd } = setup();
      const r = await run(...argv);
      assert.deepEqual(readdirSync(cwd), [], `${JSON.stringify(argv)} wrote ${readdirSync(cwd).join(', ')} into the current directory`);
      assert.notEqual(r.code, 0, JSON.stringify(argv));
      assert.match(r.err, /--root/);
    }
  });

  test('--root=~/dir (a "~" the shell did not expand) means the home directory, not a directory named "~"', async () => {
    const { run, cwd, home } = setup();
    const r = await run('--root=~/cfg', '--ipc-port', '7001');
    assert.deepEqual(readdirSync(cwd), [], `created ${join(cwd, '~')}: ${r.out}`);
    if (r.code === 0) assert.ok(existsSync(join(home, 'cfg', 'hypergolix.yml')), r.out);
  });

  test('adding and removing the same remote in one command is refused, or the last flag wins', async () => {
    const { run, remotes, file } = setup();
    await run();
    const before = readFileSync(file);
    // Today: "Added remote b.org:1 (no TLS)." then "Remote b.org:1 is not configured; nothing to
    // remove.", and the file gains b.org:1 although the last flag removed it.
    const r = await run('--add-remote', 'b.org:1', '--remove-remote', 'b.org:1');
    if (r.code === 0) {
      assert.deepEqual(remotes(), [], `the last flag removed b.org:1, yet it is in the file; said:\n${r.out}`);
    } else {
      assert.equal(r.code, 2, r.err);
      assert.deepEqual(readFileSync(file), before);
    }
  });

  test('re-adding a configured remote does not claim it was added', async () => {
    const { run, remotes } = setup();
    await run('--add-remote', 'a.org:1:tls');
    // Same remote again: today "Added remote a.org:1 (TLS)." followed by "Nothing changed in …".
    let r = await run('--add-remote', 'a.org:1:tls');
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /^Added remote a\.org:1/m, `nothing was added:\n${r.out}`);
    // Same host and port without ":tls": the remote is updated to plain ws://, not added.
    r = await run('--add-remote', 'A.ORG:1');
    assert.deepEqual(remotes(), [{ host: 'a.org', port: 1, tls: false }]);
    assert.doesNotMatch(r.out, /^Added remote/m, `the existing remote lost TLS, which "Added" does not say:\n${r.out}`);
  });

  test('a host written with a trailing dot is the same remote as without it', async () => {
    const { run, remotes } = setup();
    await run('--add-remote', 'a.org:1');
    // Today this adds a second entry for the same server (the daemon would connect to it twice).
    await run('--add-remote', 'a.org.:1');
    assert.equal(remotes().filter((x) => /^a\.org\.?$/.test(x.host) && x.port === 1).length, 1, JSON.stringify(remotes()));
    const r = await run('--remove-remote', 'a.org.:1');
    assert.deepEqual(remotes(), [], r.out);
  });

  test('spellings of one IPv6 address name the same remote', async () => {
    const { run, remotes } = setup();
    await run('--add-remote', '[::1]:7770');
    // Today: "Remote [0:0:0:0:0:0:0:1]:7770 is not configured; nothing to remove."
    let r = await run('--remove-remote', '[0:0:0:0:0:0:0:1]:7770');
    assert.deepEqual(remotes(), [], r.out);
    await run('--add-remote', '[2001:db8::1]:443');
    r = await run('--add-remote', '[2001:db8:0:0::1]:443');
    assert.equal(remotes().length, 1, `one server, two entries: ${JSON.stringify(remotes())}`);
  });

  test('what a save did is printed in flag order', async () => {
    // config-args.ts ConfigArgs.notes and config.ts changeNotes both promise "in flag order";
    // today additions come first, then removals, then --only, verbosity, debug, IPC port, sharing.
    const { run } = setup();
    await run('--add-remote', 'd.org:2');
    const r = await run('--verbosity', 'debug', '--remove-remote', 'd.org:2', '--add-remote', 'c.org:1');
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const order = [at(/^Verbosity set to debug\./), at(/^Removed remote d\.org:2\./), at(/^Added remote c\.org:1/)];
    assert.ok(order.every((i) => i >= 0), r.out);
    assert.deepEqual(order, [...order].sort((a, b) => a - b), `not in flag order:\n${r.out}`);
  });

  test('--ipc-port set to the port of this config\'s server (both on 127.0.0.1) is refused or warned about', async () => {
    const { run } = setup();
    await run();
    // server.port is 7770 and server.host 127.0.0.1 by default; the daemon's IPC also listens on
    // 127.0.0.1, so whichever starts second fails with EADDRINUSE.
    const r = await run('--ipc-port', '7770');
    assert.ok(r.code !== 0 || /server\.port|7770.*server|server.*7770/i.test(r.err), `accepted silently:\n${r.out}\n${r.err}`);
  });
});
