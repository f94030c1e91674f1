// `hypergolix start/stop app` and `config --whoami` as a user runs them: real processes, real
// keys, real files, a real persistence server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REFERENCE_KDF } from '../../src/core/account/kdf.js';
import { DAEMON_NODE_FLAGS, SERVICE_ENV } from '../../src/core/assembly/heap.js';
import { Daemon } from '../../src/core/daemon/daemon.js';
import { Ghid } from '../../src/core/golix/index.js';
import { silentLogger } from '../../src/core/remote/logger.js';
import { PersistenceServer } from '../../src/core/remote/server.js';
import { RulesEngine } from '../../src/core/rules/rules-engine.js';
import { MemoryStore } from '../../src/core/store/memory-store.js';
import { allowedCpus } from '../../src/core/process/thread-pool.js';
import { freePort } from '../fixtures/free-port.js';
import { SCHED_BATCH, schedulingPolicy } from '../fixtures/process/threads.js';
import { until } from '../fixtures/wait.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/hypergolix.js');
const temps: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
test.after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempdir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'hgx-cli-'));
  temps.push(d);
  return d;
}

function hgx(home: string, args: string[], input?: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolveRun) => {
    // Threads spread on any kernel, so that the daemon's pinned pool can be checked everywhere.
    const env = { ...process.env, HYPERGOLIX_HOME: home, HYPERGOLIX_SPREAD_THREADS: 'on' };
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.stdin.end(input ?? '');
    child.on('exit', (code) => resolveRun({ code: code ?? 1, out, err }));
  });
}

async function server() {
  const { engine } = await RulesEngine.open(new MemoryStore());
  const s = new PersistenceServer({ engine, port: 0, host: '127.0.0.1' });
  const { port } = await s.listen();
  cleanups.push(() => s.close());
  return { port, engine };
}

async function snapshot(home: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const dir of [home, join(home, 'ghidcache')]) {
    for (const name of await readdir(dir)) {
      const p = join(dir, name);
      if ((await stat(p)).isDirectory()) continue;
      out[p] = (await readFile(p)).toString('base64');
    }
  }
  return out;
}

test('first run creates an account and a valid config; restart, wrong password, login, stop', { skip: existsSync(join(ROOT, 'dist/cli/index.js')) ? false : 'dist/ is not built (npm test builds it first)' }, async () => {
  const home = await tempdir();
  const { port } = await server();
  assert.equal((await hgx(home, ['config', '--add-remote', `127.0.0.1:${port}`, '--ipc-port', String(await freePort())])).code, 0);

  const first = await hgx(home, ['start', 'app', '--password-stdin'], 'correct horse battery\n');
  assert.equal(first.code, 0, first.err);
  const fingerprint = /Fingerprint: (\S+)/.exec(first.out)?.[1];
  const userId = /User ID:\s+(\S+)/.exec(first.out)?.[1];
  assert.ok(fingerprint && userId, first.out);
  assert.match(first.out, /Record your user ID and fingerprint somewhere safe/);
  assert.match(first.out, /make a recovery kit now with "hypergolix account recovery-kit"/);
  const whoami = await hgx(home, ['config', '--whoami']);
  assert.match(whoami.out, new RegExp(fingerprint!.replace(/[-=]/g, '\\$&')));
  assert.match(whoami.out, new RegExp(userId!.replace(/[-=]/g, '\\$&')));
  const yml = await readFile(join(home, 'hypergolix.yml'), 'utf8');
  assert.match(yml, /kdf:/);

  const again = await hgx(home, ['start', 'app', '--password-stdin'], 'correct horse battery\n');
  assert.equal(again.code, 1);
  assert.match(again.err, /already running \(pid \d+\)/);
  if (process.platform === 'linux') {
    // The detached daemon runs with the heap settings of src/core/assembly/heap.ts.
    const pid = Number(/already running \(pid (\d+)\)/.exec(again.err)![1]);
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    for (const flag of DAEMON_NODE_FLAGS) assert.ok(argv.includes(flag), `${flag} in ${argv.join(' ')}`);
    // …and the allocator settings, in its environment.
    const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
    for (const [k, v] of Object.entries(SERVICE_ENV)) assert.ok(environ.includes(`${k}=${v}`), `${k}=${v} in its environment`);
    // …and a thread pool of one thread per CPU, each pinned to its own (bin/pool-size.cjs,
    // src/core/process/thread-pool.ts), done just after the daemon started.
    if (availableParallelism() > 1 && !spawnSync('taskset', ['--version']).error) {
      const cpus = allowedCpus(() => readFileSync(`/proc/${pid}/status`, 'utf8'));
      const pinned = () =>
        readdirSync(`/proc/${pid}/task`)
          .map((tid) => allowedCpus(() => readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8')))
          .filter((allowed) => allowed.length === 1)
          .map(([cpu]) => cpu!)
          .sort((a, b) => a - b);
      // On a busy machine a thread can be missed by the first probe and found by a later one (~15 s on).
      await until(() => pinned().length === cpus.length || null, 'the daemon to pin its thread pool', 30_000);
      assert.deepEqual(pinned(), cpus, 'one pool thread on each CPU');
      // …each under SCHED_BATCH, so that waking one does not preempt the thread that woke it.
      const batch = () => readdirSync(`/proc/${pid}/task`).filter((tid) => schedulingPolicy(pid, tid) === SCHED_BATCH).length;
      await until(() => batch() === cpus.length || null, 'the pool threads to run under SCHED_BATCH');
    }
  }
  const stop = await hgx(home, ['stop', 'app']);
  assert.equal(stop.code, 0);
  assert.match(stop.out, /stopped/);

  const before = await snapshot(home);
  const wrong = await hgx(home, ['start', 'app', '--password-stdin'], 'not my password\n');
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /Incorrect password/);
  assert.deepEqual(await snapshot(home), before, 'a wrong password changes nothing on disk');

  const right = await hgx(home, ['start', 'app', '--password-stdin'], 'correct horse battery\n');
  assert.equal(right.code, 0, right.err);
  assert.equal((await hgx(home, ['stop', 'app'])).code, 0);

  // Everything the daemon wrote passes `hypergolix inspect`.
  const inspect = await hgx(home, ['inspect', '--quiet', join(home, 'ghidcache')]);
  assert.equal(inspect.code, 0, inspect.out + inspect.err);

  // A second machine: an empty home with only the IDs and the remote logs in through the server.
  const other = await tempdir();
  assert.equal((await hgx(other, ['config', '--add-remote', `127.0.0.1:${port}`, '--ipc-port', String(await freePort())])).code, 0);
  const { loadConfig, updateConfig } = await import('../../src/core/config/index.js');
  const loaded = await loadConfig({ root: join(other, 'hypergolix.yml') });
  await updateConfig(loaded, { user: { user_id: userId!, fingerprint: fingerprint! } });
  const remote = await hgx(other, ['start', 'app', '--password-stdin'], 'correct horse battery\n');
  assert.equal(remote.code, 0, remote.err);
  assert.match(remote.out, new RegExp(`Account login successful \\(fingerprint ${fingerprint!.replace(/[-=]/g, '\\$&')}\\)`));
  assert.equal((await hgx(other, ['stop', 'app'])).code, 0);
});

test('SIGKILL of the daemon loses no acknowledged update or creation, far past the legroom', async () => {
  const home = await tempdir();
  const { port } = await server();
  const cache = join(home, 'ghidcache');
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures/daemon/update-forever.ts'), cache, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let userId = '';
  let ghid = '';
  let acked = 0;
  const statics = new Map<string, number>();
  await new Promise<void>((done) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = /^ready (\S+) (\S+)$/.exec(line);
        if (m) [userId, ghid] = [m[1]!, m[2]!];
        else if (line.startsWith('acked ')) acked = Number(line.slice(6));
        else if (line.startsWith('static ')) statics.set(line.split(' ')[2]!, Number(line.split(' ')[1]));
        // Three times the legroom; the static object made at 20 is only in the account journal yet.
        if (acked >= 21) {
          child.kill('SIGKILL');
          done();
        }
      }
    });
  });
  await new Promise((r) => child.once('exit', r));
  const d = await Daemon.start({
    ghidcache: cache,
    remotes: [{ host: '127.0.0.1', port, tls: false }],
    account: { login: { userId: Ghid.fromText(userId), password: 'pw', kdf: { ...REFERENCE_KDF, n: 1024 } } },
    logger: silentLogger,
  });
  cleanups.push(() => d.stop());
  const state = JSON.parse((await d.open(Ghid.fromText(ghid))).state.toString()) as { n: number };
  assert.ok(state.n >= acked, `acknowledged ${acked}, found ${state.n}`);
  assert.ok(statics.size >= 4);
  for (const [g, n] of statics) assert.deepEqual(JSON.parse((await d.open(Ghid.fromText(g))).state.toString()), { static: n });
});
