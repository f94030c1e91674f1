import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  createLogger,
  createMemoryLogger,
  nullLogger,
  parseVerbosity,
  LogSetupError,
  DEFAULT_MAX_FILES,
  DEFAULT_MAX_SIZE,
  type Logger,
} from '../../../src/core/log/index.js';
import { ValueError } from '../../../src/core/golix/errors.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function linesOf(logger: Logger): string[] {
  return readFileSync(logger.file!, 'utf8').split('\n').filter(Boolean);
}

const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (ERROR|WARN|INFO|DEBUG|SHOUTY|EXTREME) +(\S+): (.*)$/;

test('writes <name>_YYYY.MM.DD_HH.MM.SS.log with ISO time, level, scope and message', async (t) => {
  const dir = tempDir(t);
  const log = createLogger({ name: 'hgxapp', logdir: dir, verbosity: 'info', now: () => new Date(2024, 4, 1, 9, 8, 7) });
  log.info('daemon started', { port: 7772 });
  log.child('remote').warn('server unreachable');
  log.child('remote').child('ws').error('closed');
  await log.close();
  assert.equal(basename(log.file!), 'hgxapp_2024.05.01_09.08.07.log');
  assert.equal((statSync(log.file!).mode & 0o777).toString(8), '600');
  assert.equal((statSync(dir).mode & 0o777).toString(8), '700');
  const parsed = linesOf(log).map((l) => LINE.exec(l)?.slice(1));
  assert.deepEqual(parsed, [
    ['INFO', 'hgxapp', 'daemon started { port: 7772 }'],
    ['WARN', 'hgxapp.remote', 'server unreachable'],
    ['ERROR', 'hgxapp.remote.ws', 'closed'],
  ]);
});

test('the file name matches the pattern with the real clock, and each start gets its own file', async (t) => {
  const dir = tempDir(t);
  const a = createLogger({ name: 'hgxserver', logdir: dir });
  const b = createLogger({ name: 'hgxserver', logdir: dir });
  a.error('a');
  b.error('b');
  await Promise.all([a.close(), b.close()]);
  assert.match(basename(a.file!), /^hgxserver_\d{4}\.\d\d\.\d\d_\d\d\.\d\d\.\d\d\.log$/);
  assert.notEqual(a.file, b.file);
  assert.equal(linesOf(a).length, 1);
  assert.equal(linesOf(b).length, 1);
});

test('a missing logdir is created recursively', async (t) => {
  const dir = join(tempDir(t), 'deep', 'er', 'logs');
  const log = createLogger({ name: 'hgxapp', logdir: dir });
  log.error('x');
  await log.close();
  assert.equal(readdirSync(dir).length, 1);
  assert.equal((statSync(dir).mode & 0o777).toString(8), '700');
});

test('an impossible logdir fails at creation with LogSetupError', (t) => {
  const file = join(tempDir(t), 'not-a-dir');
  writeFileSync(file, 'x');
  // A path below a regular file can never become a directory.
  assert.throws(() => createLogger({ name: 'x', logdir: join(file, 'logs') }), LogSetupError);
});

test('verbosity filters levels', async () => {
  const cases: Array<[string, string[]]> = [
    ['error', ['ERROR']],
    ['warning', ['ERROR', 'WARN']],
    ['info', ['ERROR', 'WARN', 'INFO']],
    ['debug', ['ERROR', 'WARN', 'INFO', 'DEBUG']],
    ['shouty', ['ERROR', 'WARN', 'INFO', 'DEBUG', 'SHOUTY']],
    ['extreme', ['ERROR', 'WARN', 'INFO', 'DEBUG', 'SHOUTY']],
  ];
  for (const [verbosity, expected] of cases) {
    const log = createMemoryLogger({ verbosity });
    log.error('e');
    log.warn('w');
    log.info('i');
    log.debug('d');
    log.frame('>', 'PB 10 bytes');
    await log.close();
    assert.deepEqual(
      log.lines.map((l) => LINE.exec(l)?.[1]),
      expected,
      `verbosity ${verbosity}`,
    );
  }
});

test('frames are written, and flagged, only at shouty or above', async (t) => {
  const dir = tempDir(t);
  for (const [verbosity, frames] of [['debug', false], ['shouty', true], ['extreme', true]] as const) {
    const log = createLogger({ name: 'hgxapp', logdir: dir, verbosity });
    assert.equal(log.frames, frames);
    assert.equal(log.shouty, frames);
    assert.equal(log.extreme, verbosity === 'extreme');
    log.child('ipc').frame('<', '!O 200 bytes');
    await log.close();
    const got = linesOf(log).filter((l) => l.includes('SHOUTY'));
    assert.equal(got.length, frames ? 1 : 0, verbosity);
    if (frames) assert.match(got[0]!, /SHOUTY +hgxapp\.ipc: < !O 200 bytes$/);
  }
});

test('extreme verbosity reports event-loop delay until closed', async (t) => {
  const dir = tempDir(t);
  const log = createLogger({ name: 'hgxapp', logdir: dir, verbosity: 'extreme', loopReportMs: 30 });
  const deadline = Date.now() + 3000;
  while (!linesOf(log).some((l) => l.includes('EXTREME')) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await log.close();
  const loop = linesOf(log).filter((l) => l.includes('EXTREME'));
  assert.ok(loop.length >= 1, 'no loop report');
  assert.match(loop[0]!, /hgxapp\.loop: event loop delay p50=\d+\.\dms p99=\d+\.\dms max=\d+\.\dms$/);
  const count = linesOf(log).length;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(linesOf(log).length, count, 'monitor kept logging after close');
});

test('errors: one line "Name: message" normally, the full stack with debug', async () => {
  const err = new TypeError('bad frame', { cause: new RangeError('length 3') });
  const plain = createMemoryLogger();
  plain.error('rejected:', err);
  assert.equal(plain.lines.length, 1);
  assert.match(plain.lines[0]!, /: rejected: TypeError: bad frame; caused by RangeError: length 3$/);
  assert.doesNotMatch(plain.lines[0]!, /\n/);

  const debug = createMemoryLogger({ debug: true });
  debug.error('rejected:', err);
  assert.match(debug.lines[0]!, /rejected: TypeError: bad frame\n +at /);
  assert.match(debug.lines[0]!, /\[cause\]: RangeError: length 3/);
  assert.ok(debug.debugStacks);
});

test('untrusted text cannot forge a record or inject terminal escapes', () => {
  const log = createMemoryLogger();
  log.warn('peer said', '\n2024-01-01T00:00:00.000Z ERROR hgxapp: forged\u001b[31m');
  const [line] = log.lines;
  for (const physical of line!.split('\n').slice(1)) assert.match(physical, /^ {4}/);
  assert.ok(!line!.includes('\u001b'));
  assert.ok(line!.includes('\\x1b[31m'));
});

test('rotation: at maxSize the file moves to .1, older ones shift, at most maxFiles kept', async (t) => {
  const dir = tempDir(t);
  const log = createLogger({ name: 'hgxapp', logdir: dir, verbosity: 'info', maxSize: 2000, maxFiles: 3 });
  const total = 200;
  for (let i = 0; i < total; i++) log.info(`line ${String(i).padStart(4, '0')} ${'x'.repeat(60)}`);
  await log.close();
  const base = basename(log.file!, '.log');
  assert.deepEqual(readdirSync(dir).sort(), [`${base}.1.log`, `${base}.2.log`, `${base}.3.log`, `${base}.log`].sort());
  const read = (name: string) => readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean);
  const ordered = [`${base}.3.log`, `${base}.2.log`, `${base}.1.log`, `${base}.log`].flatMap(read);
  for (const name of readdirSync(dir)) assert.ok(statSync(join(dir, name)).size <= 2000, `${name} exceeds maxSize`);
  // The kept files hold the newest lines, contiguous and in order, ending with the last one.
  const numbers = ordered.map((l) => Number(/line (\d+)/.exec(l)![1]));
  assert.equal(numbers.at(-1), total - 1);
  numbers.forEach((n, i) => i > 0 && assert.equal(n, numbers[i - 1]! + 1));
});

test('rotation defaults are 5 MiB and 10 backups', () => {
  assert.equal(DEFAULT_MAX_SIZE, 5 * 1024 * 1024);
  assert.equal(DEFAULT_MAX_FILES, 10);
});

test('logging never throws: deleted logdir is recreated, closed loggers and hostile details are ignored', async (t) => {
  const dir = join(tempDir(t), 'logs');
  const log = createLogger({ name: 'hgxapp', logdir: dir, verbosity: 'debug' });
  log.info('before');
  rmSync(dir, { recursive: true, force: true });
  assert.doesNotThrow(() => {
    for (let i = 0; i < 100; i++) log.info('after delete', i);
  });
  // The sink notices the deletion within its check interval and reopens.
  const deadline = Date.now() + 3000;
  let recovered = false;
  while (!recovered && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    log.info('probe');
    try {
      recovered = readFileSync(log.file!, 'utf8').includes('probe');
    } catch {
      // not yet recreated
    }
  }
  assert.ok(recovered, 'log file was not recreated after its directory was deleted');
  const hostile = new Proxy({}, { get: () => { throw new Error('trap'); }, ownKeys: () => { throw new Error('trap'); } });
  assert.doesNotThrow(() => log.debug('hostile', hostile));
  await log.close();
  await log.close();
  assert.doesNotThrow(() => log.error('after close'));
  assert.doesNotThrow(() => nullLogger.error('nothing', new Error('x')));
  assert.equal(nullLogger.frames, false);
});

test('loggers in one process keep separate files and verbosities', async (t) => {
  const dir = tempDir(t);
  const app = createLogger({ name: 'hgxapp', logdir: dir, verbosity: 'debug' });
  const server = createLogger({ name: 'hgxserver', logdir: dir, verbosity: 'warning' });
  app.debug('app debug');
  server.debug('server debug');
  server.warn('server warn');
  await app.close();
  server.warn('server still open');
  await server.close();
  assert.deepEqual(linesOf(app).map((l) => LINE.exec(l)?.[3]), ['app debug']);
  assert.deepEqual(linesOf(server).map((l) => LINE.exec(l)?.[3]), ['server warn', 'server still open']);
});

test('onLine listeners see each line until they unsubscribe', async () => {
  const log = createMemoryLogger({ name: 'hgxapp', verbosity: 'info' });
  const seen: string[] = [];
  const off = log.child('boot').onLine((line, level) => seen.push(`${level} ${line.slice(25)}`));
  log.info('one');
  log.debug('filtered');
  log.child('x').warn('two');
  off();
  log.info('three');
  assert.deepEqual(seen, ['info INFO    hgxapp: one', 'warn WARN    hgxapp.x: two']);
});

test('parseVerbosity accepts names, CLI aliases and Python numbers, and rejects the rest', () => {
  assert.equal(parseVerbosity('LOUDER'), 'debug');
  assert.equal(parseVerbosity('quiet'), 'error');
  assert.equal(parseVerbosity('normal'), 'warning');
  assert.equal(parseVerbosity('loud'), 'info');
  assert.equal(parseVerbosity('shouty'), 'shouty');
  assert.equal(parseVerbosity(' extreme '), 'extreme');
  assert.equal(parseVerbosity(20), 'info');
  assert.throws(() => parseVerbosity('verbose'), ValueError);
  assert.throws(() => parseVerbosity(undefined), ValueError);
});
