// `hypergolix start server` and `hypergolix stop server` (src/cli/commands/server.ts): what a
// person is told for arguments the existing test/cli/server.test.ts does not try — unknown and
// misspelt options (with and without a value), the other subcommand's flags, missing values,
// values on switches, the reference's flags on `stop`, --help anywhere — and for bad ports in the
// server: section, including a port another process holds (a real `start server`, detached and
// in the foreground, as a child process). Argument errors run through main(argv, io) in this
// process: each fails before anything is started.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { CliIO } from '../../../src/cli/command.js';
import { main } from '../../../src/cli/index.js';
import { runCli, serverHome, type CliRun, type ServerHome } from '../../fixtures/server/helpers.js';

const STACK = /\n\s+at [^\n]*:\d+:\d+|unexpected error|Unhandled/;
const START_USAGE = 'Usage: hypergolix start server [--foreground] [--root PATH]';
const STOP_USAGE = 'Usage: hypergolix stop server [--force] [--root PATH]';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(home: ServerHome, ...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), stdin: Readable.from([]), isTTY: false, env: home.env, cwd: home.dir };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The home's server: section with `key: value` written as the YAML text given. */
function setServerKey(home: ServerHome, key: string, yaml: string): void {
  const text = readFileSync(home.file, 'utf8');
  const re = new RegExp(`^(server:\\n(?:  .*\\n)*?)  ${key}: .*$`, 'm');
  assert.ok(re.test(text), `no server.${key} in ${home.file}`);
  writeFileSync(home.file, text.replace(re, `$1  ${key}: ${yaml}`));
}

const describeArgv = (argv: string[]) => JSON.stringify(argv);

describe('start|stop server: options a person gets wrong', () => {
  // Fixed: the check for the reference's flags parses the
  // command line leniently, so an unknown option's value is taken for the reference's positional
  // pid file: `start server --rot /srv/hgx` (a typo of --root) or `--portx 7000` answers "a pid
  // file argument (/srv/hgx): Server configuration through CLI is no longer supported; edit the
  // server: section of …" — it never names the option that was wrong, and talks of a pid file
  // nobody gave.
  test('an unknown option followed by a value is named as the unknown option, not as a "pid file argument"', async () => {
    const home = await serverHome();
    for (const argv of [
      ['start', 'server', '--rot', home.dir],
      ['start', 'server', '--portx', '7000'],
      ['start', 'server', '--foregroun', '--root', home.dir],
      ['stop', 'server', '--rot', home.dir],
    ]) {
      const r = await run(home, ...argv);
      assert.equal(r.code, 2, describeArgv(argv));
      assert.doesNotMatch(r.err, /pid file argument/, `${describeArgv(argv)}: ${r.err}`);
      assert.match(r.err, new RegExp(`Unknown option '${argv[2]}'`), `${describeArgv(argv)}: ${r.err}`);
    }
  });

  test('an unknown option alone, or the other subcommand\'s option: exit 2, named, with the usage of the subcommand used', async () => {
    const home = await serverHome();
    for (const [argv, usage] of [
      [['start', 'server', '--verbose'], START_USAGE],
      [['start', 'server', '-F'], START_USAGE],
      [['start', 'server', '--force'], START_USAGE],
      [['stop', 'server', '--foreground'], STOP_USAGE],
      [['stop', 'server', '--yes'], STOP_USAGE],
      [['stop', 'server', '-f'], STOP_USAGE],
    ] as const) {
      const r = await run(home, ...argv);
      assert.equal(r.code, 2, describeArgv([...argv]));
      assert.match(r.err, new RegExp(`^hypergolix (start|stop): Unknown option '${argv[2]}'`), r.err);
      assert.ok(r.err.includes(usage), `${describeArgv([...argv])}: ${r.err}`);
      assert.doesNotMatch(r.err, STACK);
      assert.equal(r.out, '');
    }
    assert.equal(existsSync(home.config.server.pid_file), false, 'nothing was started');
  });

  test('--root without its value, and switches given values: exit 2 with the parser\'s words and the usage', async () => {
    const home = await serverHome();
    const cases: [string[], RegExp, string][] = [
      [['start', 'server', '--root'], /Option '--root <value>' argument missing/, START_USAGE],
      [['stop', 'server', '--root'], /Option '--root <value>' argument missing/, STOP_USAGE],
      [['start', 'server', '--foreground=yes'], /Option '--foreground' does not take an argument/, START_USAGE],
      [['stop', 'server', '--force=1'], /Option '--force' does not take an argument/, STOP_USAGE],
    ];
    for (const [argv, words, usage] of cases) {
      const r = await run(home, ...argv);
      assert.equal(r.code, 2, describeArgv(argv));
      assert.match(r.err, words, describeArgv(argv));
      assert.ok(r.err.includes(usage), describeArgv(argv));
      assert.doesNotMatch(r.err, STACK);
    }
  });

  test('the reference\'s configuration flags on stop server also point at the server: section', async () => {
    const home = await serverHome();
    for (const argv of [['--port', '7770'], ['-p', '7770'], ['--host=0.0.0.0'], ['--cachedir', '/tmp/x'], ['-V', 'debug']]) {
      const r = await run(home, 'stop', 'server', ...argv);
      assert.equal(r.code, 2, describeArgv(argv));
      assert.ok(r.err.includes(`Server configuration through CLI is no longer supported; edit the server: section of ${home.file}`), r.err);
    }
  });

  test('an empty --root is refused with words, not a stack, and starts nothing', async () => {
    const home = await serverHome();
    for (const verb of ['start', 'stop']) {
      const r = await run(home, verb, 'server', '--root=');
      assert.notEqual(r.code, 0, verb);
      assert.match(r.err, /The config root is empty: give the path of a folder or of a hypergolix\.yml/);
      assert.doesNotMatch(r.err, STACK);
    }
    assert.equal(existsSync(home.config.server.pid_file), false);
  });

  test('--help anywhere prints the usage, exits 0, and starts or stops nothing', async () => {
    const home = await serverHome();
    for (const argv of [
      ['start', 'server', '--help'],
      ['start', 'server', '--foreground', '-h'],
      ['start', 'server', '--root', join(home.dir, 'nowhere'), '--help'],
      ['start', 'server', '--port', '1', '--help'],
    ]) {
      const r = await run(home, ...argv);
      assert.equal(r.code, 0, describeArgv(argv));
      assert.ok(r.out.includes(START_USAGE), describeArgv(argv));
      assert.match(r.out, /Health and metrics: GET \/healthz and \/metrics/);
    }
    const stop = await run(home, 'stop', 'server', '--force', '--help');
    assert.equal(stop.code, 0);
    assert.ok(stop.out.includes(STOP_USAGE));
    assert.match(stop.out, /--force kills it if it has not stopped within 30 seconds/);
    assert.equal(existsSync(home.config.server.pid_file), false, 'nothing was started');
  });

  test('start/stop with a target other than app or server: exit 2, saying what was expected', async () => {
    const home = await serverHome();
    for (const [verb, what] of [['start', 'Server'], ['stop', 'servers'], ['start', '--foreground']]) {
      const r = await run(home, verb!, what!);
      assert.equal(r.code, 2);
      assert.ok(r.err.includes(`${verb} what? Expected "app" or "server", got "${what}".`), r.err);
    }
  });
});

describe('start|stop server: bad ports in the server: section', () => {
  test('a port out of range or not a whole number: exit 1 naming the file, the line and the rule; stop says the same', async () => {
    for (const bad of ['0', '70000', '-1', 'abc', '1.5', '65536', '"  "']) {
      const home = await serverHome();
      setServerKey(home, 'port', bad);
      for (const verb of ['start', 'stop']) {
        const r = await run(home, verb, 'server');
        assert.equal(r.code, 1, `${verb} with port ${bad}: ${r.err}`);
        assert.match(r.err, new RegExp(`^hypergolix ${verb}: ${home.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, line \\d+: server\\.port must be a whole number from 1 to 65535`), r.err);
        assert.doesNotMatch(r.err, STACK);
      }
      assert.equal(existsSync(home.config.server.pid_file), false);
    }
  });

  test('a host that is no host: exit 1 with the rule', async () => {
    const home = await serverHome();
    setServerKey(home, 'host', "'not a host!'");
    const r = await run(home, 'start', 'server');
    assert.equal(r.code, 1);
    assert.match(r.err, /server\.host must be a host name, an IP address, AUTO or ANY, not "not a host!"/);
  });
});

describe('start server on a port another process holds (real processes)', () => {
  let home: ServerHome;
  let holder: Server;
  let detached: CliRun;
  let foreground: CliRun;

  before(async () => {
    holder = createServer(() => {});
    const port = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
    home = await serverHome({ port });
    try {
      detached = await runCli(['start', 'server'], { env: home.env, cwd: home.dir, timeoutMs: 120_000 });
      foreground = await runCli(['start', 'server', '--foreground'], { env: home.env, cwd: home.dir, timeoutMs: 120_000 });
    } finally {
      // Should either have started after all, it is stopped here.
      if (existsSync(home.config.server.pid_file)) await runCli(['stop', 'server', '--force'], { env: home.env, cwd: home.dir, timeoutMs: 60_000 });
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  test('detached: exit 1, one line saying the address is in use, no stack, no pid file left', () => {
    assert.equal(detached.code, 1, detached.stdout + detached.stderr);
    assert.match(detached.stderr, new RegExp(`^hypergolix start: The Hypergolix server did not start: Cannot listen on 127\\.0\\.0\\.1:${home.port}: the address is already in use$`, 'm'));
    assert.doesNotMatch(detached.stderr, STACK);
    assert.doesNotMatch(detached.stdout, /Hypergolix server started/);
    assert.equal(existsSync(home.config.server.pid_file), false);
  });

  test('foreground: exit 1, the error logged once on the terminal, no stack', () => {
    assert.equal(foreground.code, 1, foreground.stdout + foreground.stderr);
    const all = foreground.stdout + foreground.stderr;
    assert.equal(all.match(/Cannot listen on 127\.0\.0\.1:\d+: the address is already in use/g)?.length, 1, all);
    assert.doesNotMatch(all, STACK);
  });

  // Fixed: when
  // the port is taken, the listen fails and the server is closed ("Persistence server stopped"),
  // but the store it was opening finishes afterwards and logs "Store ready; accepting
  // connections": the boot log `start server` prints says, just before "did not start", that the
  // server accepts connections.
  test('the boot log printed for a failed start does not say the server is accepting connections', () => {
    for (const [how, r] of [['detached', detached], ['foreground', foreground]] as const) {
      const all = r.stdout + r.stderr;
      assert.doesNotMatch(all, /accepting connections/, `${how}:\n${all}`);
    }
  });
});
