// The one way a daemon is run (CLI and desktop): a real daemon on a throwaway home, its pid file
// and log, a second start refused naming the holder, and everything given back at stop or failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, updateConfig } from '../../src/core/config/index.js';
import { createMemoryLogger, type Logger } from '../../src/core/log/index.js';
import { AlreadyRunning, readPidFile } from '../../src/core/process/index.js';
import { DaemonRunner, type DaemonProgress } from '../../src/host/daemon-runner.js';
import { freePort } from '../fixtures/free-port.js';
import { accepts, KDF, PASSWORD, tempHome } from './helpers.js';

async function home(ipcPort?: number) {
  const dir = tempHome();
  const loaded = await loadConfig({ env: { HYPERGOLIX_HOME: dir }, cwd: dir, homedir: dir, create: true });
  return ipcPort === undefined ? loaded : updateConfig(loaded, { process: { ipc_port: ipcPort } });
}

test('a start that fails gives back the pid file, after the failure went into its log', async () => {
  const loaded = await home();
  const runner = new DaemonRunner({ kdf: KDF, ipc: false });
  await assert.rejects(
    runner.start(loaded, { credentials: {}, onFailure: (err, log) => log.error(`did not start: ${(err as Error).message}`) }),
    /A password is needed to create an account/,
  );
  assert.equal(runner.app, null);
  assert.equal(existsSync(loaded.config.process.pid_file), false, 'the pid file is released');
  const logdir = loaded.config.process.logdir;
  const logs = readdirSync(logdir).filter((f) => f.startsWith('hgxapp_'));
  assert.equal(logs.length, 1, 'one log opened from the config');
  assert.match(readFileSync(join(logdir, logs[0]!), 'utf8'), /did not start: A password is needed/);
});

test('a daemon run: the pid file names it; a second start is refused naming the holder; stop closes the apps\' port, then releases', async () => {
  const ipcPort = await freePort();
  const loaded = await home(ipcPort);
  const runner = new DaemonRunner({ kdf: KDF, lockInfo: { host: 'desktop' } });
  const stages: DaemonProgress['stage'][] = [];
  let asked = 0;
  let opened: Logger | undefined;
  const { app, log } = await runner.start(loaded, {
    beforeStart: (l) => void (opened = l),
    credentials: () => (asked++, { password: PASSWORD }),
    onProgress: (p, progressLog) => {
      assert.equal(progressLog, opened, 'progress comes with the run\'s log');
      stages.push(p.stage);
    },
  });
  assert.equal(asked, 1, 'credentials are asked once, after beforeStart');
  assert.equal(log, opened);
  assert.equal(runner.app, app);
  assert.ok(app.created, 'a first run creates the account');
  assert.ok(stages.includes('keys'));
  assert.ok(log.file?.startsWith(loaded.config.process.logdir), 'the log was opened from the config');

  const held = readPidFile(loaded.config.process.pid_file);
  assert.equal(held?.pid, process.pid);
  assert.deepEqual({ role: held?.info?.role, host: held?.info?.host, ipc_port: held?.info?.ipc_port }, { role: 'app', host: 'desktop', ipc_port: ipcPort });
  assert.equal(await accepts(ipcPort), true, 'apps can connect');

  const second = new DaemonRunner({ kdf: KDF, ipc: false, logger: createMemoryLogger() });
  const refused = await second.start(app.loaded, { credentials: { password: PASSWORD } }).catch((e: unknown) => e);
  assert.ok(refused instanceof AlreadyRunning, String(refused));
  assert.equal(refused.pid, process.pid);
  assert.equal(refused.path, resolve(loaded.config.process.pid_file));
  assert.equal(readPidFile(loaded.config.process.pid_file)?.pid, process.pid, 'the holder keeps its pid file');

  await runner.stop();
  assert.equal(runner.app, null);
  assert.equal(await accepts(ipcPort), false, 'the apps\' port is closed');
  assert.equal(existsSync(loaded.config.process.pid_file), false);
  await runner.stop();

  // Given back: the next run on this config logs in to the account made above.
  const again = await new DaemonRunner({ kdf: KDF, ipc: false, logger: createMemoryLogger() }).start(app.loaded, { credentials: { password: PASSWORD } });
  assert.equal(again.app.created, false);
  assert.ok(again.app.daemon.userId.equals(app.daemon.userId));
  await again.app.daemon.stop();
});
