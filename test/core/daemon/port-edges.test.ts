// How the app daemon records, and the CLI discovers, its pid and IPC port. src/core/daemon/port.ts
// is the types-only DaemonPort interface (its contract is exercised in port.test.ts); the daemon's
// pid and port are recorded by src/core/process/pidfile.ts (line 1 the pid, line 2 JSON info with
// `ipc_port`, written by host/daemon-runner.ts) and discovered by src/cli/daemon-link.ts
// (runningDaemon). This file covers what test/core/process/pidfile.test.ts does not: stale files,
// another program's pid, a recycled pid, our own pid from an earlier life, symlinks (aliases and
// dangling links), torn and hostile info lines, a takeover guard left by a killed starter,
// unusable paths, and a lock rewritten after someone else took the file over. Real files in a
// temp dir; real child processes stand in for "another program".
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedConfig } from '../../../src/core/config/index.js';
import { procStat } from '../../../src/core/process/alive.js';
import { AlreadyRunning, PidFileError } from '../../../src/core/process/errors.js';
import { acquirePidFile, readPidFile } from '../../../src/core/process/pidfile.js';
import { UNPRIVILEGED_SKIP, moduleUrl, unprivileged, unprivilegedDir } from '../../fixtures/process/unprivileged.js';
import { runningDaemon } from '../../../src/cli/daemon-link.js';

const temps: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hgx-port-edges-'));
  temps.push(d);
  return d;
}
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** Another program: a plain node process that stays alive until killed. */
async function otherProgram(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000); process.stdout.write("ready\\n")'], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the other program did not start within 10 s')), 10_000);
    child.stdout!.once('data', () => (clearTimeout(timer), resolve()));
  });
  return child as ChildProcess & { pid: number };
}

/** The part of a loaded config runningDaemon reads. */
function configWith(pidFile: string): LoadedConfig {
  return { config: { process: { pid_file: pidFile, ipc_port: 5560 } } } as unknown as LoadedConfig;
}

const linux = process.platform === 'linux';

describe('recording and discovering the port', () => {
  test('the port the daemon wrote at its start is what the CLI finds; after release nothing is found', () => {
    const path = join(tempDir(), 'hypergolix.pid');
    const lock = acquirePidFile(path, { info: { role: 'app', ipc_port: 7123 } });
    try {
      assert.deepEqual(runningDaemon(configWith(path)), { pid: process.pid, ipcPort: 7123 });
    } finally {
      lock.release();
    }
    assert.equal(runningDaemon(configWith(path)), null);
  });

  test('an info line torn mid-JSON, or not an object, gives no port (the config port is used) but keeps the pid', async () => {
    const other = await otherProgram();
    const path = join(tempDir(), 'hypergolix.pid');
    for (const info of ['{"role":"app","ipc_port":71', '[7123]', '"7123"', 'null', '{"ipc_port":"7123"}', '{"ipc_port":0}', '{"ipc_port":-5}']) {
      writeFileSync(path, `${other.pid}\n${info}\n`);
      assert.deepEqual(runningDaemon(configWith(path)), { pid: other.pid, ipcPort: null }, `info line ${info}`);
    }
  });

  // Fixed: any positive number is taken as the port:
  // 70000, 1.5 or 1e21 from a damaged or hand-edited pid file. The CLI then dials
  // ws://127.0.0.1:70000/ (an invalid URL, refused at once) and tells the user the daemon's pid
  // file is stale and pid N "is another program", instead of falling back to the config's
  // process.ipc_port where the running daemon actually listens.
  test('a port outside 1..65535 or not an integer is not taken as the daemon port', async () => {
    const other = await otherProgram();
    const path = join(tempDir(), 'hypergolix.pid');
    for (const port of [70000, 65536, 1.5, 1e21]) {
      writeFileSync(path, `${other.pid}\n${JSON.stringify({ ipc_port: port })}\n`);
      assert.deepEqual(runningDaemon(configWith(path)), { pid: other.pid, ipcPort: null }, `ipc_port ${port}`);
    }
  });

  test('a pid line with CRLF endings, surrounding spaces or leading zeros still reads; signs, hex and exponents do not', async () => {
    const other = await otherProgram();
    const path = join(tempDir(), 'hypergolix.pid');
    writeFileSync(path, ` ${other.pid} \r\n{"ipc_port":7001}\r\n`);
    assert.deepEqual(runningDaemon(configWith(path)), { pid: other.pid, ipcPort: 7001 });
    writeFileSync(path, `000${other.pid}\n`);
    assert.equal(readPidFile(path)?.pid, other.pid);
    for (const line of [`+${other.pid}`, `0x${other.pid.toString(16)}`, '1e3', `${other.pid}.0`, '-1', '0', '4294967297', '']) {
      writeFileSync(path, `${line}\n{"ipc_port":7001}\n`);
      const found = readPidFile(path);
      assert.equal(found?.pid, null, `pid line ${JSON.stringify(line)}`);
      assert.equal(found?.alive, false);
      assert.equal(runningDaemon(configWith(path)), null);
    }
  });
});

describe('stale files and other programs', () => {
  test('a file naming another live program whose start time does not match (a recycled pid) is stale: not found as the daemon, and taken over', { skip: !linux && 'needs /proc' }, async () => {
    const other = await otherProgram();
    const start = procStat(other.pid)!.startTicks;
    const path = join(tempDir(), 'hypergolix.pid');
    writeFileSync(path, `${other.pid}\n${JSON.stringify({ procStart: start + 1, ipc_port: 7002 })}\n`);
    assert.equal(runningDaemon(configWith(path)), null);
    const lock = acquirePidFile(path, { info: { ipc_port: 7003 } });
    try {
      assert.deepEqual(runningDaemon(configWith(path)), { pid: process.pid, ipcPort: 7003 });
    } finally {
      lock.release();
    }
    assert.equal(other.exitCode, null, 'the other program was left alone');
  });

  test('a file naming another live program with its true start time counts as running: AlreadyRunning, the file untouched', { skip: !linux && 'needs /proc' }, async () => {
    const other = await otherProgram();
    const path = join(tempDir(), 'hypergolix.pid');
    const content = `${other.pid}\n${JSON.stringify({ procStart: procStat(other.pid)!.startTicks, ipc_port: 7004 })}\n`;
    writeFileSync(path, content);
    assert.throws(() => acquirePidFile(path), (e: unknown) => e instanceof AlreadyRunning && e.pid === other.pid);
    assert.equal(readFileSync(path, 'utf8'), content);
  });

  test('our own pid in a file this process does not hold (an earlier life in a container) is stale and taken over', () => {
    const path = join(tempDir(), 'hypergolix.pid');
    writeFileSync(path, `${process.pid}\n{"ipc_port":7005}\n`);
    assert.equal(readPidFile(path)?.alive, false);
    assert.equal(runningDaemon(configWith(path)), null);
    const lock = acquirePidFile(path, { info: { ipc_port: 7006 } });
    try {
      assert.equal(readPidFile(path)?.alive, true);
      assert.equal(readPidFile(path)?.info?.ipc_port, 7006);
    } finally {
      lock.release();
    }
  });

  // Fixed: whether our own pid in a
  // pid file is live is decided by whether this process holds that *path string*
  // (path.resolve, not the file): the same file reached through a symlinked directory (a home
  // or config dir that is a symlink) reads as stale. readPidFile then says the running daemon is
  // not running, and a second acquire through the alias deletes the live lock and takes it, so
  // two services of one process both think they hold it.
  test('the lock this process holds, reached through a symlinked directory, still reads as running and cannot be taken again', { skip: process.platform === 'win32' && 'symlinks' }, () => {
    const dir = tempDir();
    const real = join(dir, 'real');
    mkdirSync(real);
    const alias = join(dir, 'alias');
    symlinkSync(real, alias);
    const lock = acquirePidFile(join(real, 'hypergolix.pid'), { info: { ipc_port: 7007 } });
    try {
      assert.equal(readPidFile(join(alias, 'hypergolix.pid'))?.alive, true, 'the live lock reads as stale through the alias');
      assert.throws(() => acquirePidFile(join(alias, 'hypergolix.pid')).release(), AlreadyRunning);
    } finally {
      lock.release();
    }
  });

  // Fixed: a pid file path that is a
  // dangling symlink (e.g. linked into /run or a tmpfs that a reboot emptied): the exclusive create
  // fails with EEXIST (link(2) does not follow the symlink), the read then finds no file (it does),
  // and the loop takes that for "released between our create and our read" and spins 50 times
  // without a pause, then throws "could not take over pid file: it keeps changing". The daemon can
  // never start again until the user finds and removes the link, and the message points nowhere.
  test('a pid file path that is a dangling symlink: the lock is taken, or refused with words that name the link', { skip: process.platform === 'win32' && 'symlinks' }, () => {
    const dir = tempDir();
    const path = join(dir, 'hypergolix.pid');
    symlinkSync(join(dir, 'gone', 'hypergolix.pid'), path);
    assert.equal(readPidFile(path), null, 'nothing runs');
    let lock: ReturnType<typeof acquirePidFile> | undefined;
    try {
      lock = acquirePidFile(path, { info: { ipc_port: 7008 } });
    } catch (err) {
      assert.ok(err instanceof PidFileError, `typed: ${String(err)}`);
      assert.match((err as Error).message, /link/i, 'the refusal says the path is a dangling link');
      return;
    } finally {
      lock?.release();
    }
  });

  test('a symlink to another live program\'s pid file (its start time recorded) counts as running: nothing is deleted through the link', { skip: !linux && 'needs /proc' }, async () => {
    const other = await otherProgram();
    const dir = tempDir();
    const theirs = join(dir, 'their.pid');
    const content = `${other.pid}\n${JSON.stringify({ procStart: procStat(other.pid)!.startTicks })}\n`;
    writeFileSync(theirs, content);
    const path = join(dir, 'hypergolix.pid');
    symlinkSync(theirs, path);
    assert.throws(() => acquirePidFile(path), AlreadyRunning);
    assert.equal(readFileSync(theirs, 'utf8'), content);
  });
});

describe('takeovers, guards and unusable paths', () => {
  // Fixed: a takeover guard (`<pid file>.lock`)
  // is only treated as abandoned once it is 10 s old, but a starter gives up after 50 attempts of
  // 5–25 ms (~0.75 s). A starter killed between creating and removing the guard (SIGKILL, OOM)
  // therefore makes every restart within the next 10 s fail with "could not take over pid file
  // ... it keeps changing" — exactly when a supervisor (systemd Restart=, the tray app) restarts it.
  test('a stale pid file plus a takeover guard left by a killed starter a moment ago: the next start still gets the lock', () => {
    const dir = tempDir();
    const path = join(dir, 'hypergolix.pid');
    writeFileSync(path, '4194303\n{"ipc_port":7009}\n'); // the largest pid: not running here
    writeFileSync(`${path}.lock`, '');
    let lock: ReturnType<typeof acquirePidFile> | undefined;
    try {
      lock = acquirePidFile(path, { info: { ipc_port: 7010 } });
      assert.equal(readPidFile(path)?.info?.ipc_port, 7010);
    } finally {
      lock?.release();
      rmSync(`${path}.lock`, { force: true });
    }
  });

  test('a pid file whose directory is a file, or which is itself a directory, fails with a typed PidFileError', () => {
    const dir = tempDir();
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    assert.throws(() => acquirePidFile(join(file, 'hypergolix.pid')), PidFileError);
    const asDir = join(dir, 'hypergolix.pid');
    mkdirSync(asDir);
    assert.throws(() => acquirePidFile(asDir), (e: unknown) => e instanceof PidFileError);
    assert.throws(() => readPidFile(asDir), PidFileError);
  });

  // Root reads any file: as root, the check runs in a child as nobody (fixtures/process/unprivileged.ts).
  test('an unreadable pid file is a typed PidFileError, not taken for "not running"', { skip: UNPRIVILEGED_SKIP }, async () => {
    const path = join(unprivilegedDir(), 'hypergolix.pid');
    const seen = await unprivileged<string>(`
      const { writeFileSync } = await import('node:fs');
      const { readPidFile } = await import(${JSON.stringify(moduleUrl('src/core/process/pidfile.ts'))});
      const { PidFileError } = await import(${JSON.stringify(moduleUrl('src/core/process/errors.ts'))});
      writeFileSync(${JSON.stringify(path)}, process.pid + '\\n', { mode: 0 });
      try {
        return 'read: ' + JSON.stringify(readPidFile(${JSON.stringify(path)}));
      } catch (err) {
        return err instanceof PidFileError ? 'PidFileError' : 'another error: ' + err.message;
      }`);
    assert.equal(seen, 'PidFileError');
  });

  // Fixed: `{ started, procStart, ...info }`: a key in
  // the caller's info (host/daemon-runner.ts passes `...o.lockInfo` through; lease.updateLock
  // passes whatever it is given) replaces procStart, after which every reader takes the live
  // daemon for a recycled pid: the CLI says it is not running and a second daemon takes its lock
  // over while it runs. Latent: no caller today passes these keys (controller.ts: {host}).
  test('the info the caller passes cannot overwrite the liveness fields (started, procStart) the lock relies on', { skip: !linux && 'needs /proc' }, () => {
    const path = join(tempDir(), 'hypergolix.pid');
    const lock = acquirePidFile(path, { info: { procStart: 1, started: 'never', ipc_port: 7011 } });
    try {
      const found = readPidFile(path);
      assert.equal(found?.info?.procStart, procStat(process.pid)!.startTicks);
      assert.notEqual(found?.info?.started, 'never');
    } finally {
      lock.release();
    }
  });

  // Fixed: update() checks only this
  // process's own memory (`held`), not the file: when the file was removed (by hand, or a tmp
  // cleaner) and another daemon has since taken the lock, update() renames our content over the
  // other live daemon's pid file. The CLI then finds our pid and port, the other daemon's lock is
  // gone while it runs, and its release later leaves our file alone — two daemons on one cache.
  test('update() after the file was taken over by another live process refuses (typed) and leaves their file alone', { skip: !linux && 'needs /proc' }, async () => {
    const other = await otherProgram();
    const path = join(tempDir(), 'hypergolix.pid');
    const lock = acquirePidFile(path, { info: { ipc_port: 7012 } });
    try {
      unlinkSync(path);
      const theirs = `${other.pid}\n${JSON.stringify({ procStart: procStat(other.pid)!.startTicks, ipc_port: 7013 })}\n`;
      writeFileSync(path, theirs, { mode: 0o600 });
      assert.throws(() => lock.update({ ipc_port: 7014 }), PidFileError);
      assert.equal(readFileSync(path, 'utf8'), theirs, 'their lock was overwritten');
      assert.deepEqual(runningDaemon(configWith(path)), { pid: other.pid, ipcPort: 7013 });
    } finally {
      lock.release();
    }
    assert.ok(existsSync(path), 'release left their file alone');
  });

  test('update() replaces the info line atomically: concurrent readers never see a missing, empty or half-written file', async () => {
    const path = join(tempDir(), 'hypergolix.pid');
    const lock = acquirePidFile(path, { info: { ipc_port: 1 } });
    try {
      // A reader in another process polls as fast as it can while this one rewrites 300 times.
      const reader = spawn(
        process.execPath,
        [
          '-e',
          `const fs = require('fs'); let bad = 0, reads = 0; const end = Date.now() + 1500;
           while (Date.now() < end) { reads++; try { const s = fs.readFileSync(${JSON.stringify(path)}, 'utf8'); const [a, b] = s.split('\\n'); if (a !== ${JSON.stringify(String(process.pid))} || typeof JSON.parse(b).ipc_port !== 'number') bad++; } catch { bad++; } }
           process.stdout.write(JSON.stringify({ bad, reads }));`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      children.push(reader);
      let out = '';
      reader.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const done = new Promise<void>((r) => reader.on('exit', () => r()));
      for (let i = 0; i < 300; i++) {
        lock.update({ ipc_port: 1 + i });
        await new Promise((r) => setImmediate(r));
      }
      await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error('the reader did not finish within 10 s')), 10_000))]);
      const { bad, reads } = JSON.parse(out) as { bad: number; reads: number };
      assert.ok(reads > 0);
      assert.equal(bad, 0, `${bad} of ${reads} reads saw no file or a partial one`);
    } finally {
      lock.release();
    }
    const leftovers = (await import('node:fs')).readdirSync(join(path, '..')).filter((n) => n.endsWith('.tmp'));
    assert.deepEqual(leftovers, [], 'no temp files left behind');
  });
});

describe('discovery: who the CLI trusts with the IPC key', () => {
  test('a stranger that answers the key proof with a proof of its own: not the daemon, said so, and the key is not sent', async () => {
    const { WebSocketServer } = await import('ws');
    const { Peer, IpcVerb } = await import('../../../src/wire/index.js');
    const { ipcTokenPath, loadOrCreateIpcTokenSync } = await import('../../../src/core/ipc/index.js');
    const { connectDaemonOf, DaemonUnreachable } = await import('../../../src/cli/daemon-link.js');
    const { randomBytes } = await import('node:crypto');
    const home = tempDir();
    const key = loadOrCreateIpcTokenSync(ipcTokenPath(home));
    const received: Buffer[] = [];
    const stranger = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => stranger.once('listening', () => r()));
    stranger.on('connection', (ws) => {
      ws.on('message', (d) => received.push(Buffer.from(d as Buffer)));
      new Peer(ws as never, { name: 'stranger', handlers: new Map([[IpcVerb.authChallenge, () => randomBytes(64)]]) });
    });
    const port = (stranger.address() as { port: number }).port;
    const loaded = { dir: home, config: { process: { pid_file: join(home, 'hypergolix.pid'), ipc_port: port } } } as unknown as LoadedConfig;
    try {
      await assert.rejects(connectDaemonOf(loaded), (err: unknown) => {
        assert.ok(err instanceof DaemonUnreachable, String(err));
        assert.equal(err.pid, null);
        assert.match(err.message, new RegExp(`^The app daemon is not running, and another program answers on 127\\.0\\.0\\.1:${port} \\(its proof was not made with this key, or for this port; the key was not sent\\)\\. The daemon needs that port: stop that program, or give the daemon another port with: hypergolix config --ipc-port PORT$`));
        return true;
      });
      assert.equal(received.length, 1, 'only AC went out');
      assert.equal(received[0]!.includes(key), false);
    } finally {
      for (const c of stranger.clients) c.terminate();
      await new Promise<void>((r) => stranger.close(() => r()));
    }
  });

  // Fixed: the port is discovered from the pid file or the config, and the CLI sent the raw IPC
  // key (AU) to whatever accepted a WebSocket there, with nothing proving the listener is the
  // daemon — even when the pid file said no daemon runs. Any local program that bound
  // 127.0.0.1:<port> while the daemon was down received the key from the next `hypergolix
  // status` / `contacts` / `shares`. Now the listener must prove it holds the key (AC) before
  // anything but a nonce is sent.
  for (const pidFile of ['absent', 'naming a dead pid'] as const) {
    test(`with the pid file ${pidFile}, a stranger listening on the IPC port is not handed the key`, async () => {
      const { WebSocketServer } = await import('ws');
      const { ipcTokenPath, loadOrCreateIpcTokenSync } = await import('../../../src/core/ipc/index.js');
      const { connectDaemonOf, DaemonUnreachable } = await import('../../../src/cli/daemon-link.js');
      const home = tempDir();
      const key = loadOrCreateIpcTokenSync(ipcTokenPath(home));
      const received: Buffer[] = [];
      const stranger = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      await new Promise<void>((r) => stranger.once('listening', () => r()));
      stranger.on('connection', (ws) => ws.on('message', (d) => received.push(Buffer.from(d as Buffer))));
      const port = (stranger.address() as { port: number }).port;
      const pidPath = join(home, 'hypergolix.pid');
      if (pidFile === 'naming a dead pid') writeFileSync(pidPath, '4194303\n{"ipc_port":' + port + '}\n');
      const loaded = { dir: home, config: { process: { pid_file: pidPath, ipc_port: port } } } as unknown as LoadedConfig;
      try {
        const outcome = await Promise.race([
          connectDaemonOf(loaded).then(
            (link) => (link.close(), 'connected'),
            (err: unknown) => err,
          ),
          new Promise((r) => setTimeout(() => r('no answer within 15 s'), 15_000)),
        ]);
        assert.ok(outcome instanceof DaemonUnreachable, `refused as unreachable, not ${String(outcome)}`);
        const leaked = received.some((m) => m.includes(key));
        assert.equal(leaked, false, 'the IPC key was sent to a listener nobody showed to be the daemon');
      } finally {
        for (const c of stranger.clients) c.terminate();
        await new Promise<void>((r) => stranger.close(() => r()));
      }
    });
  }
});
