// The IPC key (src/core/ipc/token.ts) as the daemon makes and reads it, and as the SDK finds and
// reads it (packages/hgx/src/key.ts): modes on creation and rewrite, ownership, what content is a
// key (newlines, CRLF, BOM, truncation, huge files), paths that are not regular files (a
// directory, symlinks), concurrent starts, the constant-time comparison, the daemon's AU check
// (the IPC server over the DaemonPort of daemon/port.ts) and a key rewritten between restarts.
// server.test.ts covers the basic create/keep/tighten/replace cycle; connect.test.ts the SDK's
// basic failures: neither is repeated here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValueError } from '../../../src/core/golix/index.js';
import { findConfig } from '../../../src/core/config/locate.js';
import { IpcServer } from '../../../src/core/ipc/server.js';
import { ipcTokenPath, loadOrCreateIpcToken, loadOrCreateIpcTokenSync, readIpcToken, sameKey } from '../../../src/core/ipc/token.js';
import { AuthFailed, HGXLink, JsonObj } from '../../../packages/hgx/src/index.js';
import { findKey, readKeyFile } from '../../../packages/hgx/src/key.js';
import { RawClient, until, world, type User } from '../../fixtures/ipc/world.js';

const posix = process.platform !== 'win32';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const mode = (p: string) => statSync(p).mode & 0o777;

const KEY_HEX = '0123456789abcdef'.repeat(4);
const KEY = Buffer.from(KEY_HEX, 'hex');

const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
function tempDir(label = 'hgx-token-'): string {
  const d = mkdtempSync(join(tmpdir(), label));
  temps.push(d);
  return d;
}

type Load = (file: string, o?: { warn?: (m: string) => void }) => Promise<Buffer>;
/** The daemon's two loaders: the host uses the sync one (assembly/app-ipc.ts), the library exports both. */
const loaders: [string, Load][] = [
  ['async', (f, o) => loadOrCreateIpcToken(f, o)],
  ['sync', async (f, o) => loadOrCreateIpcTokenSync(f, o)],
];

/** Calls `fn` and returns what it threw (a failure if it did not). */
async function thrown(fn: () => Promise<unknown>, what: string): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  assert.fail(`${what} should have failed`);
}

describe('creating and rewriting the key file: never readable by others', () => {
  test('a new key is 0600 and a new home 0700 even under umask 000; no temp file is left', { skip: !posix && 'POSIX modes' }, async () => {
    const saved = process.umask(0);
    try {
      for (const [name, load] of loaders) {
        const root = tempDir();
        const file = join(root, 'a', 'b', 'ipc-token');
        const key = await load(file);
        assert.equal(key.length, 32, name);
        assert.equal(mode(file), 0o600, `${name}: key file mode`);
        assert.equal(mode(join(root, 'a', 'b')), 0o700, `${name}: new home mode`);
        assert.equal(mode(join(root, 'a')), 0o700, `${name}: new parent mode`);
        assert.equal(readFileSync(file, 'utf8'), `${key.toString('hex')}\n`, `${name}: one line of hex`);
        assert.deepEqual(readdirSync(join(root, 'a', 'b')), ['ipc-token'], `${name}: no temp files`);
      }
    } finally {
      process.umask(saved);
    }
  });

  test('a bad key file of mode 0666 is replaced by one of mode 0600; a good one of 0640 is tightened and kept', { skip: !posix && 'POSIX modes' }, async () => {
    const saved = process.umask(0);
    try {
      for (const [name, load] of loaders) {
        const home = tempDir();
        const file = ipcTokenPath(home);
        writeFileSync(file, 'not a key\n');
        chmodSync(file, 0o666);
        const warnings: string[] = [];
        const key = await load(file, { warn: (m) => warnings.push(m) });
        assert.equal(mode(file), 0o600, `${name}: the rewritten key is not readable by others`);
        assert.deepEqual(await readIpcToken(file), key, name);
        assert.match(warnings.join('\n'), /does not hold a valid IPC key/, name);
        assert.deepEqual(readdirSync(home), ['ipc-token'], `${name}: no temp files`);

        writeFileSync(file, `${KEY_HEX}\n`);
        chmodSync(file, 0o640);
        warnings.length = 0;
        assert.deepEqual(await load(file, { warn: (m) => warnings.push(m) }), KEY, name);
        assert.equal(mode(file), 0o600, name);
        assert.match(warnings.join('\n'), /readable by other users \(mode 640\); tightened to 600/, name);
      }
    } finally {
      process.umask(saved);
    }
  });

  for (const [name, load] of loaders) {
    test(`${name}: a key file owned by another user is not trusted (that user can read it whenever they like)`, { skip: !(posix && isRoot) && 'needs root to chown' }, async () => {
      const home = tempDir();
      const file = ipcTokenPath(home);
      writeFileSync(file, `${KEY_HEX}\n`, { mode: 0o600 });
      chownSync(file, 65534, 65534);
      let key: Buffer | null = null;
      try {
        key = await load(file);
      } catch {
        // Refusing to start with a clear error is fine too.
      }
      if (key) {
        assert.notDeepEqual(key, KEY, `${name}: the daemon must not use a key another user owns`);
        assert.equal(statSync(file).uid, process.getuid!(), `${name}: the key file is the daemon user's`);
        assert.deepEqual(await readIpcToken(file), key, name);
      }
    });
  }
});

describe('what is a key: the daemon and the SDK agree', () => {
  const accepted: [string, string | Buffer][] = [
    ['as written (LF)', `${KEY_HEX}\n`],
    ['no newline', KEY_HEX],
    ['CRLF', `${KEY_HEX}\r\n`],
    ['UTF-8 BOM and CRLF (a Windows editor)', `\ufeff${KEY_HEX}\r\n`],
    ['upper case', `${KEY_HEX.toUpperCase()}\n`],
    ['surrounding blanks', `  ${KEY_HEX} \t\n\n`],
  ];
  for (const [what, content] of accepted) {
    test(`accepted, and left as it is: ${what}`, async () => {
      for (const [name, load] of loaders) {
        const file = ipcTokenPath(tempDir());
        writeFileSync(file, content, { mode: 0o600 });
        const warnings: string[] = [];
        assert.deepEqual(await load(file, { warn: (m) => warnings.push(m) }), KEY, name);
        assert.deepEqual(warnings, [], name);
        assert.deepEqual(readFileSync(file), Buffer.from(content), `${name}: not rewritten`);
        assert.deepEqual(await readIpcToken(file), KEY);
        assert.deepEqual(Buffer.from(await readKeyFile(file)), KEY, 'the SDK reads the same key');
        const found = await findKey({ tokenFile: file });
        assert.deepEqual([Buffer.from(found.key), found.file], [KEY, file]);
      }
    });
  }

  const refused: [string, string | Buffer][] = [
    ['empty', ''],
    ['a lone newline', '\n'],
    ['truncated to 63 digits', KEY_HEX.slice(0, 63)],
    ['truncated to 62 digits (31 bytes)', `${KEY_HEX.slice(0, 62)}\n`],
    ['65 digits', `${KEY_HEX}a`],
    ['33 bytes', `${KEY_HEX}ab\n`],
    ['a non-hex digit', `${KEY_HEX.slice(0, 63)}g\n`],
    ['a 0x prefix', `0x${KEY_HEX}\n`],
    ['a blank inside', `${KEY_HEX.slice(0, 32)} ${KEY_HEX.slice(32)}\n`],
    ['two keys on two lines', `${KEY_HEX}\n${KEY_HEX}\n`],
    ['NUL padding (a crash after the file grew)', Buffer.concat([Buffer.from(KEY_HEX), Buffer.alloc(16)])],
    ['only NULs', Buffer.alloc(64)],
    ['UTF-16LE with a BOM', Buffer.from(`\ufeff${KEY_HEX}`, 'utf16le')],
    ['Arabic-Indic digits', '٠'.repeat(64)],
  ];
  test('refused alike: readIpcToken says ValueError, the SDK AuthFailed, the daemon writes a new 0600 key', async () => {
    for (const [what, content] of refused) {
      for (const [name, load] of loaders) {
        const file = ipcTokenPath(tempDir());
        writeFileSync(file, content, { mode: 0o600 });
        await assert.rejects(readIpcToken(file), ValueError, `readIpcToken: ${what}`);
        await assert.rejects(readKeyFile(file), (e: Error) => e instanceof AuthFailed && e.message.includes(file), `SDK: ${what}`);
        const warnings: string[] = [];
        const key = await load(file, { warn: (m) => warnings.push(m) });
        assert.equal(key.length, 32, `${name}: ${what}`);
        assert.match(warnings.join('\n'), /does not hold a valid IPC key/, `${name}: ${what}`);
        assert.equal(readFileSync(file, 'utf8'), `${key.toString('hex')}\n`, `${name}: ${what}`);
        if (posix) assert.equal(mode(file), 0o600, `${name}: ${what}`);
        assert.deepEqual(Buffer.from(await readKeyFile(file)), key, `${name}: ${what}: the SDK reads the new key`);
      }
    }
  });

  test('a huge key file (3 GiB, sparse) is replaced like any other bad one, not a crash', async () => {
    const file = ipcTokenPath(tempDir());
    writeFileSync(file, `${KEY_HEX}\n`, { mode: 0o600 });
    truncateSync(file, 3 * 2 ** 30);
    try {
      const warnings: string[] = [];
      const key = await loadOrCreateIpcToken(file, { warn: (m) => warnings.push(m) });
      assert.equal(key.length, 32);
      assert.match(warnings.join('\n'), /does not hold a valid IPC key/);
      assert.equal(statSync(file).size, 65);
      assert.deepEqual(await readIpcToken(file), key);
    } finally {
      rmSync(file, { force: true });
    }
  });

  test('a huge key file (3 GiB, sparse): readIpcToken says it holds no key (ValueError), the SDK AuthFailed', async () => {
    const file = ipcTokenPath(tempDir());
    writeFileSync(file, `${KEY_HEX}\n`, { mode: 0o600 });
    truncateSync(file, 3 * 2 ** 30);
    try {
      await assert.rejects(readKeyFile(file), AuthFailed);
      const err = await thrown(() => readIpcToken(file), 'readIpcToken of a 3 GiB file');
      assert.ok(err instanceof ValueError, `expected ValueError "does not hold a valid IPC key", got ${err.constructor.name}: ${err.message}`);
    } finally {
      rmSync(file, { force: true });
    }
  });
});

describe('a key path that is not a regular file', () => {
  for (const [name, load] of loaders) {
    test(`${name}: a directory: the start fails with an error naming the path, and the directory is left as it was`, { skip: !posix && 'POSIX modes' }, async () => {
      const file = ipcTokenPath(tempDir());
      mkdirSync(file);
      chmodSync(file, 0o755);
      writeFileSync(join(file, 'inside'), 'x');
      const err = await thrown(() => load(file), `${name} with a directory at the key path`);
      assert.equal(mode(file), 0o755, `${name}: the directory's mode was changed (${err.message})`);
      assert.ok(err.message.includes(file), `${name}: the error names the key path: ${err.message}`);
      assert.equal(readFileSync(join(file, 'inside'), 'utf8'), 'x');
    });
  }

  for (const [name, load] of loaders) {
    test(`${name}: a symlink to an unrelated file elsewhere: that file is neither overwritten nor chmod-ed`, { skip: !posix && 'symlinks' }, async () => {
      const home = tempDir();
      const elsewhere = join(tempDir('hgx-elsewhere-'), 'notes.txt');
      writeFileSync(elsewhere, 'precious notes\n');
      chmodSync(elsewhere, 0o644);
      const file = ipcTokenPath(home);
      symlinkSync(elsewhere, file);
      const key = await load(file, { warn: () => {} });
      assert.equal(readFileSync(elsewhere, 'utf8'), 'precious notes\n', `${name}: the link's target was overwritten with the key`);
      assert.equal(mode(elsewhere), 0o644, `${name}: the link's target was chmod-ed`);
      assert.deepEqual(await readIpcToken(file), key, `${name}: apps read the key the daemon uses`);
    });
  }

  for (const [name, load] of loaders) {
    test(`${name}: a dangling symlink: the daemon still gets a key in its home, and nothing is created where the link points`, { skip: !posix && 'symlinks' }, async () => {
      const home = tempDir();
      const target = join(tempDir('hgx-elsewhere-'), 'nothing-here');
      const file = ipcTokenPath(home);
      symlinkSync(target, file);
      const err = await load(file, { warn: () => {} }).then(
        async (key) => {
          assert.deepEqual(await readIpcToken(file), key, `${name}: apps read the key the daemon uses`);
          return null;
        },
        (e: Error) => e,
      );
      assert.equal(err, null, `${name}: the start failed: ${err?.message}`);
      assert.equal(existsSync(target), false, `${name}: a key was written where the link points`);
    });
  }
});

describe('starts racing for the key', () => {
  test('eight first starts at once (in one process) get the same key, the one in the file; no temp files left', async () => {
    const home = tempDir();
    const file = ipcTokenPath(home);
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateIpcToken(file)));
    const want = await readIpcToken(file);
    for (const k of keys) assert.deepEqual(k, want);
    assert.deepEqual(readdirSync(home), ['ipc-token']);
  });

  test('three daemons starting at once in separate processes (the sync loader) get the same key', async () => {
    const home = tempDir();
    const file = ipcTokenPath(home);
    const go = join(home, 'go');
    const script = join(tempDir('hgx-race-script-'), 'race.mts');
    writeFileSync(
      script,
      [
        "import { existsSync, writeFileSync } from 'node:fs';",
        'const [tokenUrl, file, ready, go] = process.argv.slice(2);',
        'const { loadOrCreateIpcTokenSync } = await import(tokenUrl);',
        "writeFileSync(ready, '');",
        'const cell = new Int32Array(new SharedArrayBuffer(4));',
        'while (!existsSync(go)) Atomics.wait(cell, 0, 0, 1);',
        "process.stdout.write(loadOrCreateIpcTokenSync(file).toString('hex'));",
      ].join('\n'),
    );
    const tokenUrl = new URL('../../../src/core/ipc/token.ts', import.meta.url).href;
    const children: { child: ChildProcess; out: string[]; exit: Promise<number | null> }[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const child = spawn(process.execPath, ['--import', 'tsx', script, tokenUrl, file, join(home, `ready-${i}`), go], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        const out: string[] = [];
        child.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
        children.push({ child, out, exit: new Promise((r) => child.on('exit', (code) => r(code))) });
      }
      await until(() => [0, 1, 2].every((i) => existsSync(join(home, `ready-${i}`))), 'the three starters to be ready', 60_000);
      writeFileSync(go, '');
      const codes = await Promise.all(children.map((c) => c.exit));
      assert.deepEqual(codes, [0, 0, 0]);
      const want = (await readIpcToken(file)).toString('hex');
      assert.deepEqual(
        children.map((c) => c.out.join('')),
        [want, want, want],
      );
      assert.deepEqual(readdirSync(home).filter((n) => n.startsWith('ipc-token')), ['ipc-token'], 'no temp files left');
    } finally {
      for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill();
    }
  });

  test('two starts that both find a bad key file agree on the replacement (neither daemon holds a key apps cannot read)', async () => {
    const file = ipcTokenPath(tempDir());
    writeFileSync(file, '', { mode: 0o600 });
    const [a, b] = await Promise.all([loadOrCreateIpcToken(file, { warn: () => {} }), loadOrCreateIpcToken(file, { warn: () => {} })]);
    const inFile = await readIpcToken(file);
    assert.deepEqual(a, inFile, 'the first start uses a key that is no longer in the file');
    assert.deepEqual(b, inFile, 'the second start uses a key that is not in the file');
  });
});

describe('comparing keys', () => {
  test('sameKey: exact bytes only, any length mismatch false (no throw), views at an offset work', () => {
    assert.equal(sameKey(KEY, Buffer.from(KEY)), true);
    const flipped = Buffer.from(KEY);
    flipped[31]! ^= 1;
    assert.equal(sameKey(flipped, KEY), false);
    const first = Buffer.from(KEY);
    first[0]! ^= 0x80;
    assert.equal(sameKey(first, KEY), false);
    assert.equal(sameKey(KEY.subarray(0, 31), KEY), false);
    assert.equal(sameKey(Buffer.concat([KEY, Buffer.of(0)]), KEY), false);
    assert.equal(sameKey(new Uint8Array(0), KEY), false);
    assert.equal(sameKey(Buffer.from(KEY_HEX), KEY), false, 'the hex text is not the key');
    const big = new Uint8Array(100);
    big.set(KEY, 7);
    assert.equal(sameKey(big.subarray(7, 39), KEY), true);
    assert.equal(sameKey(big.subarray(6, 38), KEY), false);
  });

  test('sameKey compares every same-length key with crypto.timingSafeEqual (constant time), never byte by byte', () => {
    const require = createRequire(import.meta.url);
    const crypto = require('node:crypto') as typeof import('node:crypto');
    const original = crypto.timingSafeEqual;
    const calls: [Buffer, Buffer][] = [];
    crypto.timingSafeEqual = ((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      calls.push([Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)]);
      return original(a, b);
    }) as typeof original;
    syncBuiltinESMExports();
    try {
      const early = Buffer.from(KEY);
      early[0]! ^= 1;
      const late = Buffer.from(KEY);
      late[31]! ^= 1;
      for (const k of [early, late, Buffer.from(KEY)]) sameKey(k, KEY);
      assert.equal(calls.length, 3);
      assert.deepEqual(calls.map(([a]) => a), [early, late, KEY]);
    } finally {
      crypto.timingSafeEqual = original;
      syncBuiltinESMExports();
    }
  });
});

describe('the SDK finding and taking the key', () => {
  test('the token option: exactly 64 hex digits (blanks around allowed) or 32 bytes', async () => {
    for (const good of [KEY_HEX, KEY_HEX.toUpperCase(), `${KEY_HEX}\n`, `${KEY_HEX}\r\n`]) {
      const found = await findKey({ token: good });
      assert.deepEqual([Buffer.from(found.key), found.file], [KEY, null], JSON.stringify(good));
    }
    assert.deepEqual(Buffer.from((await findKey({ token: new Uint8Array(KEY) })).key), KEY);
    const badText = ['', KEY_HEX.slice(0, 62), KEY_HEX.slice(0, 63), `${KEY_HEX}0`, `${KEY_HEX}00`, `0x${KEY_HEX}`, `${KEY_HEX.slice(0, 63)}z`, `${KEY_HEX.slice(0, 32)} ${KEY_HEX.slice(32)}`, KEY.toString('base64')];
    for (const token of badText) {
      await assert.rejects(findKey({ token }), (e: Error) => e instanceof AuthFailed && /64 hexadecimal digits/.test(e.message), JSON.stringify(token));
    }
    const badBytes: unknown[] = [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0), Array.from(KEY), new Uint16Array(32), KEY.buffer.slice(KEY.byteOffset, KEY.byteOffset + 32)];
    for (const token of badBytes) {
      await assert.rejects(findKey({ token } as never), (e: Error) => e instanceof AuthFailed && /32 bytes/.test(e.message), Object.prototype.toString.call(token));
    }
  });

  test("the SDK looks for the key in the same home as the daemon's config search (hypergolix-reference §6.2)", async () => {
    const savedHome = process.env.HYPERGOLIX_HOME;
    const savedCwd = process.cwd();
    const a = tempDir('hgx-home-a-');
    const b = tempDir('hgx-home-b-');
    writeFileSync(join(b, 'hypergolix.yml'), '# the config\n');
    try {
      process.env.HYPERGOLIX_HOME = a;
      process.chdir(b);
      // A config in $HYPERGOLIX_HOME: both take it.
      writeFileSync(join(a, 'hypergolix.yml'), '# the config\n');
      assert.equal(findConfig()?.dir, a);
      assert.equal((await thrown(() => findKey({}), 'findKey without a key file')).message.includes(join(a, 'ipc-token')), true);
      // A directory called hypergolix.yml where the search looks stops the daemon's search (it is
      // refused by name, config/locate.ts); the SDK says so too, rather than find another home.
      rmSync(join(a, 'hypergolix.yml'));
      mkdirSync(join(a, 'hypergolix.yml'));
      writeFileSync(ipcTokenPath(b), `${KEY_HEX}\n`, { mode: 0o600 });
      assert.throws(() => findConfig(), /is a folder, not a config file/);
      const err = await thrown(() => findKey({}), 'findKey past a folder named hypergolix.yml');
      assert.ok(err instanceof AuthFailed && err.message.includes(join(a, 'hypergolix.yml')) && /is a folder, not a config file/.test(err.message), err.message);
      // Moved aside: both go on to the current directory.
      rmSync(join(a, 'hypergolix.yml'), { recursive: true });
      assert.equal(findConfig()?.dir, b);
      assert.equal((await findKey({})).file, ipcTokenPath(b));
    } finally {
      process.chdir(savedCwd);
      if (savedHome === undefined) delete process.env.HYPERGOLIX_HOME;
      else process.env.HYPERGOLIX_HOME = savedHome;
    }
  });
});

describe('the daemon checking the key (IPC server over the DaemonPort)', () => {
  let w: Awaited<ReturnType<typeof world>>;
  let a: User;
  before(async () => {
    w = await world();
    a = await w.user(0);
  });

  test('an IPC server is never made with a key that is not 32 bytes', () => {
    for (const authToken of [new Uint8Array(0), new Uint8Array(31), new Uint8Array(33), new Uint8Array(64)]) {
      assert.throws(() => new IpcServer({ daemon: a.daemon, sharing: a.sharing, authToken, port: 0 }), ValueError, `${authToken.length} bytes`);
    }
  });

  test('AU takes exactly the 32-byte key: a prefix, an extension, the hex text, a flipped bit are refused and closed; checked with timingSafeEqual', async () => {
    const key = a.key;
    const flipped = Buffer.from(key);
    flipped[17]! ^= 4;
    const wrong: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['31-byte prefix', key.subarray(0, 31)],
      ['key + 1 byte', Buffer.concat([key, Buffer.of(0)])],
      ['key twice', Buffer.concat([key, key])],
      ['the hex text of the key', Buffer.from(key.toString('hex'))],
      ['the hex text with a newline', Buffer.from(`${key.toString('hex')}\n`)],
      ['a flipped bit', flipped],
    ];
    const require = createRequire(import.meta.url);
    const crypto = require('node:crypto') as typeof import('node:crypto');
    const original = crypto.timingSafeEqual;
    let comparedFlipped = false;
    crypto.timingSafeEqual = ((x: NodeJS.ArrayBufferView, y: NodeJS.ArrayBufferView) => {
      const bx = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
      const by = Buffer.from(y.buffer, y.byteOffset, y.byteLength);
      if (bx.equals(flipped) && by.equals(key)) comparedFlipped = true;
      return original(x, y);
    }) as typeof original;
    syncBuiltinESMExports();
    try {
      for (const [what, body] of wrong) {
        const c = await RawClient.open(a.port);
        const closed = c.closed();
        await assert.rejects(c.ok('AU', body), (e: Error & { nak?: { code: number; message: string } }) => e.nak?.code === 0xffff && /Authentication failed/.test(e.nak.message), what);
        assert.equal(await closed, 1008, what);
      }
      assert.equal(comparedFlipped, true, 'the same-length wrong key went through timingSafeEqual');
    } finally {
      crypto.timingSafeEqual = original;
      syncBuiltinESMExports();
    }
    const good = await RawClient.open(a.port);
    assert.deepEqual(await good.ok('AU', key), Buffer.of(1));
    assert.deepEqual(await good.ok('?I'), a.daemon.fingerprint.bytes);
    good.close();
  });

  test('a key file spoilt and rewritten across a restart: a connected SDK link re-reads it and comes back; the old key is refused', async () => {
    const link = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile, reconnect: { minDelayMs: 20, maxDelayMs: 200 } });
    try {
      const events: string[] = [];
      link.on('disconnected', () => events.push('disconnected'));
      link.on('reconnected', () => events.push('reconnected'));
      link.on('error', () => {});
      const oldKey = a.key;
      await a.stop();
      await until(() => events.includes('disconnected'), 'the link to notice the stop');
      writeFileSync(a.tokenFile, `${oldKey.toString('hex').slice(0, 40)}\n`); // truncated: the restart writes a new key
      a = await a.restart();
      assert.notDeepEqual(a.key, oldKey);
      assert.deepEqual(await readIpcToken(a.tokenFile), a.key);
      if (posix) assert.equal(mode(a.tokenFile), 0o600);
      await until(() => events.includes('reconnected'), 'the link to reconnect with the new key', 15_000);
      const obj = await link.new(JsonObj, { after: 'rotation' });
      assert.deepEqual((await link.get(JsonObj, obj.ghid)).state, { after: 'rotation' });

      const stale = await RawClient.open(a.port);
      const closed = stale.closed();
      await assert.rejects(stale.ok('AU', oldKey), (e: Error & { nak?: { code: number } }) => e.nak?.code === 0xffff);
      assert.equal(await closed, 1008);
    } finally {
      await link.close();
    }
  });
});
