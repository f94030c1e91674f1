// The one way a persistence server is run (CLI and the desktop's embedded server): a real server,
// the pid file with its bound address, a second start refused naming the holder, the stop order,
// and a failed start giving everything back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, updateConfig, type HypergolixConfig } from '../../src/core/config/index.js';
import { createMemoryLogger } from '../../src/core/log/index.js';
import { AlreadyRunning, readPidFile } from '../../src/core/process/index.js';
import { persistenceServer, ServerRunner, type ServerFactory } from '../../src/host/server-runner.js';
import { freePort } from '../fixtures/free-port.js';
import { accepts, tempHome } from './helpers.js';

async function serverConfig(port: number): Promise<HypergolixConfig> {
  const dir = tempHome();
  const loaded = await loadConfig({ env: { HYPERGOLIX_HOME: dir }, cwd: dir, homedir: dir, create: true });
  return (await updateConfig(loaded, { server: { port } })).config;
}

test('a server run: the pid file gets the bound address and log; a second start is refused; stop closes, then releases', async () => {
  const port = await freePort();
  const config = await serverConfig(port);
  const pidFile = config.server.pid_file;
  const order: string[] = [];
  const recorded: ServerFactory = async (c, o) => {
    const server = await persistenceServer(c, o);
    return {
      url: server.url,
      address: server.address,
      close: async () => {
        order.push(`close (lock ${existsSync(pidFile) ? 'held' : 'released'})`);
        await server.close();
      },
    };
  };
  let infoWhileStarting: unknown;
  const runner = new ServerRunner({ start: async (c, o) => ((infoWhileStarting = readPidFile(pidFile)?.info), recorded(c, o)), lockInfo: { storeCheck: { signal: 'SIGUSR2', file: '/x' } } });
  const { server, log } = await runner.start(config);
  assert.equal(runner.server, server);
  assert.deepEqual(server.address, { host: '127.0.0.1', port });
  assert.ok(log.file?.startsWith(config.server.logdir), 'the log was opened from the server: section');
  const held = readPidFile(pidFile);
  assert.equal(held?.pid, process.pid);
  assert.deepEqual({ role: held?.info?.role, host: held?.info?.host, port: held?.info?.port, logFile: held?.info?.logFile }, { role: 'server', host: '127.0.0.1', port, logFile: log.file });
  assert.deepEqual(held?.info?.storeCheck, { signal: 'SIGUSR2', file: '/x' }, 'what the process answers to, once it is up');
  assert.equal((infoWhileStarting as Record<string, unknown>).storeCheck, undefined, 'not while it starts');
  assert.equal(await accepts(port), true);

  const refused = await new ServerRunner({ start: persistenceServer, logger: createMemoryLogger() }).start(config).catch((e: unknown) => e);
  assert.ok(refused instanceof AlreadyRunning, String(refused));
  assert.equal(refused.pid, process.pid, 'the holder is named');

  await runner.stop();
  assert.deepEqual(order, ['close (lock held)'], 'closed while the pid file still names it');
  assert.equal(existsSync(pidFile), false);
  assert.equal(await accepts(port), false);
  assert.equal(runner.server, null);
});

test('a server that cannot bind its port gives back the pid file, after the failure went into its log', async (t) => {
  const squatter = createServer();
  await new Promise<void>((ok) => squatter.listen(0, '127.0.0.1', ok));
  t.after(() => squatter.close());
  const config = await serverConfig((squatter.address() as { port: number }).port);
  const runner = new ServerRunner({ start: persistenceServer });
  await assert.rejects(runner.start(config, { onFailure: (err, log) => log.error(`did not start: ${(err as Error).message}`) }), /in use/);
  assert.equal(runner.server, null);
  assert.equal(existsSync(config.server.pid_file), false);
  const logs = readdirSync(config.server.logdir).filter((f) => f.startsWith('hgxserver_'));
  assert.equal(logs.length, 1);
  assert.match(readFileSync(join(config.server.logdir, logs[0]!), 'utf8'), /did not start: .*in use/);
});

test('the embedded server takes no pid file and logs where it is told', async () => {
  const config = await serverConfig(await freePort());
  const logger = createMemoryLogger({ name: 'desktop.server' });
  const runner = new ServerRunner({ start: persistenceServer, pidFile: false, logger });
  const { log } = await runner.start(config);
  assert.equal(log, logger);
  assert.equal(existsSync(config.server.pid_file), false);
  await runner.stop();
  assert.ok(logger.lines.some((l) => /persistence server stopped/.test(l)), logger.lines.join('\n'));
});
