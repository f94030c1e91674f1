// Issue 3 proof (c): the server as a real process. `hypergolix start server` runs from the
// TypeScript sources through tsx (test/fixtures/server/cli.ts), not bin/hypergolix.js: the bundle
// in dist/ may be stale, and a concurrent `npm run build` empties dist/ while tests run. The
// detached child re-runs the same entry with the same Node flags, so both paths are real.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseObject } from '../../src/core/golix/index.js';
import { SERVER_NODE_FLAGS, SERVICE_ENV } from '../../src/core/assembly/heap.js';
import { isProcessAlive } from '../../src/core/process/index.js';
import { RemoteClient } from '../../src/core/remote/client.js';
import { httpGet, isListening, metric, runCli, serverHome, sleep, startForeground, until } from '../fixtures/server/helpers.js';
import { requests, signedPairs } from '../fixtures/server/objects.js';
import { v16Identity, v16Objects } from '../fixtures/vectors.js';

const alice = v16Identity(0);
const bob = v16Identity(1);
const gidcs = [0, 1, 2].map((i) => v16Objects()[i]!.raw);

function client(port: number): RemoteClient {
  return new RemoteClient({ host: '127.0.0.1', port, requestTimeoutMs: 10_000, backoff: { initialMs: 10, maxMs: 100 } });
}

/** Running (a zombie the container's init has not reaped yet counts as gone). */
const alive = (pid: number): boolean => isProcessAlive(pid);

test('SIGKILL mid-ingest: after a restart every acknowledged object is intact and the store opens cleanly', { timeout: 180_000 }, async (t) => {
  // Distinct valid objects, made before the server starts so signing does not compete with it:
  // static bindings + containers (two RSA signatures per pair) and GARQs (hash-checked only).
  const pairs = await signedPairs(alice, 120);
  const garqs = requests(alice, bob.publicIdentity, 1200);
  type Unit = { raws: Buffer[] };
  const units: Unit[] = [];
  for (let i = 0; i < Math.max(pairs.length, garqs.length); i++) {
    if (i < pairs.length) units.push({ raws: [pairs[i]!.binding, pairs[i]!.container] });
    if (i < garqs.length) units.push({ raws: [garqs[i]!] });
  }

  const home = await serverHome();
  const first = startForeground(home, t);
  await first.ready();
  const c = client(home.port);
  c.start();
  await c.whenConnected(10_000);
  for (const g of gidcs) await c.publish(g);

  // Publish continuously, 32 units in flight; each object counts once its AK has arrived.
  const acked: Buffer[] = [];
  let inFlight = 0;
  let next = 0;
  let killedWithInFlight = -1;
  const streams = Array.from({ length: 32 }, async () => {
    while (next < units.length) {
      const unit = units[next++]!;
      inFlight++;
      try {
        for (const raw of unit.raws) {
          await c.publish(raw);
          acked.push(raw);
        }
      } catch {
        return; // the server is gone
      } finally {
        inFlight--;
      }
    }
  });
  await until(() => acked.length >= 600 || next >= units.length, '600 acknowledged objects', 60_000, 1);
  killedWithInFlight = inFlight;
  first.child.kill('SIGKILL');
  assert.equal((await first.exited).signal, 'SIGKILL');
  await Promise.all(streams);
  await c.close();
  assert.ok(killedWithInFlight > 0, 'publishes were in flight when the server died');
  assert.ok(acked.length < units.length * 2, 'killed before everything was published');

  // The stale pid file of the killed server is taken over by the next start.
  assert.ok(existsSync(home.config.server.pid_file));
  const second = startForeground(home, t);
  await second.ready();
  const boot = second.output();
  assert.match(boot, /journal \d+: replayed \d+ records after an unclean stop/, 'the journal recovered the unclean stop');
  assert.doesNotMatch(boot, /quarantine|moved .* to /i, 'no file was quarantined');
  assert.ok(!existsSync(`${home.config.server.ghidcache}.quarantine`));
  assert.ok(!readdirSync(home.config.server.ghidcache).some((n) => n.startsWith('.tmp-')), 'no temp files left');

  const r = client(home.port);
  r.start();
  await r.whenConnected(10_000);
  t.after(() => r.close());
  for (const raw of acked) {
    const ghid = parseObject(raw).ghid;
    assert.deepEqual(await r.get(ghid), raw, `acknowledged ${ghid.short} is intact`);
  }
  const page = (await httpGet(home.port, '/metrics')).body;
  assert.ok(metric(page, 'hypergolix_objects_stored')! >= acked.length + gidcs.length);
  // A GARQ replay still works off the recovered store.
  const replayed: Buffer[] = [];
  r.on('notification', (_s, raw) => void replayed.push(raw));
  await r.subscribe(bob.ghid);
  const ackedGarqs = acked.filter((raw) => raw.subarray(0, 4).toString('latin1') === 'GARQ').length;
  await until(() => replayed.length >= ackedGarqs, 'the GARQ replay', 20_000);

  // Graceful stop of the foreground server: SIGTERM → exit 0, store flushed.
  second.child.kill('SIGTERM');
  assert.equal((await second.exited).code, 0);
  assert.match(second.output(), /Store flushed; persistence server stopped/);
  assert.ok(!existsSync(home.config.server.pid_file), 'the pid file is released');
});

test('detached start → second start says already running → stop → stopped and port free; health and metrics over HTTP', { timeout: 120_000 }, async (t) => {
  const home = await serverHome();
  const opts = { env: home.env, cwd: home.dir };
  const started = await runCli(['start', 'server'], opts);
  assert.equal(started.code, 0, started.stdout + started.stderr);
  const m = /Hypergolix server started \(pid (\d+)\), listening on 127\.0\.0\.1:(\d+); logs in (.+)$/m.exec(started.stdout);
  assert.ok(m, started.stdout);
  const pid = Number(m[1]);
  t.after(() => {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  assert.equal(Number(m[2]), home.port);
  assert.equal(m[3], home.config.server.logdir);
  assert.match(started.stdout, /Persistence server listening on 127\.0\.0\.1/, 'the boot log is relayed');
  assert.ok(started.stdout.includes(`Node ${process.versions.node}, OpenSSL ${process.versions.openssl}`), 'its first line names the runtime (signing speed depends on it)');
  assert.ok(alive(pid));
  assert.equal(readFileSync(home.config.server.pid_file, 'utf8').split('\n')[0], String(pid));
  if (process.platform === 'linux') {
    // The detached server runs with the heap settings of src/core/assembly/heap.ts.
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    for (const flag of SERVER_NODE_FLAGS) assert.ok(argv.includes(flag), `${flag} in ${argv.join(' ')}`);
    // …and the allocator settings, in its environment.
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    for (const [k, v] of Object.entries(SERVICE_ENV)) assert.ok(environ.includes(`${k}=${v}`), `${k}=${v} in its environment`);
  }

  const health = await httpGet(home.port, '/healthz');
  assert.deepEqual([health.status, JSON.parse(health.body)], [200, { status: 'ok' }]);
  const c = client(home.port);
  c.start();
  await c.whenConnected(10_000);
  for (const g of gidcs) assert.equal(await c.publish(g), true);
  await c.close();
  const metrics = await httpGet(home.port, '/metrics');
  assert.equal(metrics.status, 200);
  assert.match(metrics.type, /^text\/plain/);
  assert.equal(metric(metrics.body, 'hypergolix_ready'), 1);
  assert.equal(metric(metrics.body, 'hypergolix_objects_stored'), 3);
  assert.equal(metric(metrics.body, 'hypergolix_publishes_new_total'), 3);

  const again = await runCli(['start', 'server'], opts);
  assert.equal(again.code, 1);
  assert.match(again.stderr, new RegExp(`already running \\(pid ${pid}\\)`));
  assert.ok(alive(pid), 'the running server is untouched');

  const stopped = await runCli(['stop', 'server'], opts);
  assert.equal(stopped.code, 0, stopped.stdout + stopped.stderr);
  assert.match(stopped.stdout, new RegExp(`Hypergolix server stopped \\(pid ${pid}\\)`));
  assert.ok(!alive(pid));
  assert.equal(await isListening(home.port), false, 'the port is free');
  assert.ok(!existsSync(home.config.server.pid_file));
  const logs = readdirSync(home.config.server.logdir).filter((f) => f.startsWith('hgxserver_'));
  assert.equal(logs.length, 1);
  const logText = readFileSync(join(home.config.server.logdir, logs[0]!), 'utf8');
  assert.match(logText, /shutting down \(SIGTERM\)/);
  assert.match(logText, /Store flushed; persistence server stopped/);

  const notRunning = await runCli(['stop', 'server'], opts);
  assert.equal(notRunning.code, 0);
  assert.match(notRunning.stdout, /not running \(no pid file/);

  // A pid file naming a dead process: stop removes it; start takes it over.
  const dead = spawnSync(process.execPath, ['-e', 'process.pid'], { stdio: 'ignore' }).pid!;
  writeFileSync(home.config.server.pid_file, `${dead}\n`);
  const stale = await runCli(['stop', 'server'], opts);
  assert.equal(stale.code, 0);
  assert.match(stale.stdout, /removed stale pid file/);
  writeFileSync(home.config.server.pid_file, `${dead}\n`);

  // A new log file per start (the name carries the second it started).
  await sleep(1100);
  const restarted = await runCli(['start', 'server'], opts);
  assert.equal(restarted.code, 0, restarted.stdout + restarted.stderr);
  const pid2 = Number(/\(pid (\d+)\)/.exec(restarted.stdout)![1]);
  t.after(() => {
    if (alive(pid2)) process.kill(pid2, 'SIGKILL');
  });
  assert.equal(readdirSync(home.config.server.logdir).filter((f) => f.startsWith('hgxserver_')).length, 2);
  const r = client(home.port);
  r.start();
  await r.whenConnected(10_000);
  assert.deepEqual(await r.get(parseObject(gidcs[0]!).ghid), gidcs[0], 'objects survive a graceful restart');
  await r.close();
  const stopped2 = await runCli(['stop', 'server'], opts);
  assert.equal(stopped2.code, 0);
  assert.equal(await isListening(home.port), false);
});

test('a detached start that cannot bind its port fails with the reason, exit 1, and leaves no pid file', { timeout: 60_000 }, async (t) => {
  const home = await serverHome();
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(home.port, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const r = await runCli(['start', 'server'], { env: home.env, cwd: home.dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /did not start: .*already in use/);
  assert.ok(!existsSync(home.config.server.pid_file));
});
