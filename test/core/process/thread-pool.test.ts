import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { availableParallelism, platform } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  allowedCpus,
  describeSpread,
  parseCpuList,
  PROBE_READ_BYTES,
  spreadSetting,
  spreadSettingWarning,
  spreadThreadPool,
  type ThreadHost,
} from '../../../src/core/process/thread-pool.js';
import { SCHED_BATCH, SCHED_OTHER, schedulingPolicy } from '../../fixtures/process/threads.js';

test('CPU lists as the kernel writes them', () => {
  assert.deepEqual(parseCpuList('0-1'), [0, 1]);
  assert.deepEqual(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11]);
  assert.deepEqual(parseCpuList('5'), [5]);
  for (const bad of ['', 'x', '3-1', '0-', '1,,2', '0-99999']) assert.deepEqual(parseCpuList(bad), [], JSON.stringify(bad));
  assert.deepEqual(allowedCpus(() => 'Name:\tnode\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n'), [0, 1]);
  assert.deepEqual(allowedCpus(() => 'Name:\tnode\n'), []);
});

test('the setting: on, off, and anything else is auto', () => {
  assert.equal(spreadSetting({ HYPERGOLIX_SPREAD_THREADS: 'on' }), 'on');
  assert.equal(spreadSetting({ HYPERGOLIX_SPREAD_THREADS: 'off' }), 'off');
  assert.equal(spreadSetting({ HYPERGOLIX_SPREAD_THREADS: 'yes' }), 'auto');
  assert.equal(spreadSetting({}), 'auto');
  for (const fine of [undefined, '', 'auto', 'on', 'off']) assert.equal(spreadSettingWarning({ HYPERGOLIX_SPREAD_THREADS: fine }), null, String(fine));
  assert.equal(spreadSettingWarning({ HYPERGOLIX_SPREAD_THREADS: 'yes' }), 'HYPERGOLIX_SPREAD_THREADS="yes" is not auto, on or off; auto is used');
});

/**
 * A process with a main thread (1), two pool threads (2, 3) and a thread (4) that reads a little
 * all along; `pool` lists the threads that take the probe's reads in turn, and `readsOnce` a
 * thread that reads much for reasons of its own during the first burst only.
 */
function fakeHost(
  o: { sysctl?: string | null; cpus?: string; platform?: string; pool?: number[]; pinFails?: string; batchFails?: string; readsOnce?: number; starved?: { tid: number; jobs: number } } = {},
) {
  const reads = new Map<number, number>([[1, 0], [2, 0], [3, 0], [4, 0], [5, 0]]);
  const pool = o.pool ?? [2, 3];
  const pinned: [number, number][] = [];
  const batched: number[] = [];
  const slept: number[] = [];
  let turn = 0;
  const host: ThreadHost = {
    platform: o.platform ?? 'linux',
    pid: 1,
    readText(path) {
      if (path === '/proc/sys/kernel/sched_vcpu_pack') {
        if (o.sysctl === null) throw new Error('ENOENT');
        return `${o.sysctl ?? '15'}\n`;
      }
      if (path === '/proc/self/status') return `Name:\tnode\nCpus_allowed_list:\t${o.cpus ?? '0-1'}\n`;
      const m = /^\/proc\/self\/task\/(\d+)\/io$/.exec(path);
      if (m) return `rchar: ${reads.get(Number(m[1]))}\nwchar: 0\nsyscr: 0\nsyscw: 0\n`;
      throw new Error(`unexpected read of ${path}`);
    },
    listThreads: () => [...reads.keys()],
    async pin(tid, cpu) {
      if (o.pinFails) throw new Error(o.pinFails);
      pinned.push([tid, cpu]);
    },
    async batch(tid) {
      if (o.batchFails) throw new Error(o.batchFails);
      batched.push(tid);
    },
    async poolJob() {
      let tid = pool[turn++ % pool.length]!;
      // A thread that gets no CPU on a busy machine: another one takes its jobs.
      if (o.starved && tid === o.starved.tid && turn <= o.starved.jobs) tid = pool.find((t) => t !== tid)!;
      reads.set(tid, reads.get(tid)! + PROBE_READ_BYTES);
      // A little reading all along, as a loader's pipe or a log would do.
      reads.set(4, reads.get(4)! + 4096);
      // The first burst is 8 reads per CPU.
      if (o.readsOnce !== undefined && turn <= 16) reads.set(o.readsOnce, reads.get(o.readsOnce)! + PROBE_READ_BYTES);
    },
    async sleep(ms) {
      slept.push(ms);
    },
  };
  return { host, pinned, batched, slept };
}

test('on a packing kernel the pool threads, and only they, are pinned one per CPU', async () => {
  const { host, pinned, batched } = fakeHost();
  const outcome = await spreadThreadPool({ env: { UV_THREADPOOL_SIZE: '2' }, host });
  assert.deepEqual(outcome, {
    kind: 'pinned',
    threads: [{ tid: 2, cpu: 0 }, { tid: 3, cpu: 1 }],
    poolSize: 2,
    why: "this kernel places woken threads on their waker's CPU (kernel.sched_vcpu_pack = 15)",
    batch: null,
  });
  assert.deepEqual(pinned, [[2, 0], [3, 1]]);
  assert.deepEqual(batched, [2, 3], 'and set to SCHED_BATCH');
  assert.match(describeSpread(outcome), /^Thread pool: 2 threads pinned over CPUs 0, 1 under SCHED_BATCH, because this kernel places/);
});

test('threads that cannot be set to SCHED_BATCH stay pinned, and the log says why', async () => {
  const { host, pinned, batched } = fakeHost({ batchFails: 'chrt (util-linux) is not installed' });
  const outcome = await spreadThreadPool({ env: { UV_THREADPOOL_SIZE: '2' }, host });
  assert.equal(outcome.kind, 'pinned');
  assert.equal(outcome.kind === 'pinned' && outcome.batch, 'chrt (util-linux) is not installed');
  assert.deepEqual(pinned, [[2, 0], [3, 1]]);
  assert.deepEqual(batched, []);
  assert.match(describeSpread(outcome), /pinned over CPUs 0, 1 \(not under SCHED_BATCH: chrt \(util-linux\) is not installed\), because/);
});

test('a thread that reads during one burst of the probe only is not taken for a pool thread', async () => {
  const { host, pinned } = fakeHost({ readsOnce: 5 });
  const outcome = await spreadThreadPool({ env: { UV_THREADPOOL_SIZE: '2' }, host });
  assert.equal(outcome.kind, 'pinned', JSON.stringify(outcome));
  assert.deepEqual(pinned, [[2, 0], [3, 1]]);
});

test('a pool thread starved through the first bursts (a busy machine) is found in a later round', async () => {
  // A round is two bursts of 8 jobs per CPU: 32 jobs here.
  const { host, pinned } = fakeHost({ starved: { tid: 3, jobs: 40 } });
  const outcome = await spreadThreadPool({ env: { UV_THREADPOOL_SIZE: '2' }, host });
  assert.equal(outcome.kind === 'pinned' && outcome.poolSize, 2);
  assert.deepEqual(pinned, [[2, 0], [3, 1]]);
  assert.match(describeSpread(outcome), /^Thread pool: 2 threads pinned over CPUs 0, 1 /);
});

test('a pool thread starved through every round of the first probe is looked for again later, the others pinned meanwhile', async () => {
  // The first probe is five rounds of 32 jobs: 160.
  const { host, pinned, batched, slept } = fakeHost({ starved: { tid: 3, jobs: 200 } });
  const outcome = await spreadThreadPool({ env: { UV_THREADPOOL_SIZE: '2' }, host });
  assert.deepEqual(pinned, [[2, 0], [3, 1]], 'the first one pinned at once, the other one once found, on the other CPU');
  assert.deepEqual(batched, [2, 3]);
  assert.deepEqual(slept, [1_000], 'one wait was enough');
  assert.match(describeSpread(outcome), /^Thread pool: 2 threads pinned over CPUs 0, 1 under SCHED_BATCH/);
});

test('a pool thread that never shows itself: the others are pinned, and the log says one was missed', async () => {
  const { host, pinned, slept } = fakeHost({ starved: { tid: 3, jobs: Number.POSITIVE_INFINITY } });
  const outcome = await spreadThreadPool({ env: { UV_THREADPOOL_SIZE: '2' }, host });
  assert.deepEqual(pinned, [[2, 0]]);
  assert.deepEqual(slept, [1_000, 2_000, 4_000, 8_000], 'looked for four times more, waiting longer each time');
  assert.match(describeSpread(outcome), /^Thread pool: 1 of 2 threads pinned \(1 could not be told apart from the others\) over CPUs 0 under SCHED_BATCH/);
});

test('the CPUs are the ones the process may use, whatever their numbers', async () => {
  const { host, pinned } = fakeHost({ cpus: '4,6', sysctl: '0' });
  const outcome = await spreadThreadPool({ env: { HYPERGOLIX_SPREAD_THREADS: 'on', UV_THREADPOOL_SIZE: '2' }, host });
  assert.equal(outcome.kind, 'pinned');
  assert.equal(outcome.kind === 'pinned' && outcome.why, 'HYPERGOLIX_SPREAD_THREADS=on');
  assert.deepEqual(pinned, [[2, 4], [3, 6]]);
});

test('left alone, with the reason, wherever spreading does not apply or cannot be done', async () => {
  const two = { UV_THREADPOOL_SIZE: '2' };
  const cases: [Parameters<typeof fakeHost>[0], NodeJS.ProcessEnv, RegExp][] = [
    [{}, { ...two, HYPERGOLIX_SPREAD_THREADS: 'off' }, /HYPERGOLIX_SPREAD_THREADS=off/],
    [{ sysctl: null }, two, /spreads woken threads itself/],
    [{ sysctl: '0' }, two, /spreads woken threads itself/],
    [{ platform: 'darwin' }, two, /Linux only, not darwin/],
    [{ cpus: '0' }, two, /only one CPU/],
    [{ cpus: 'garbled' }, two, /only one CPU/],
    [{}, { UV_THREADPOOL_SIZE: '6' }, /6 threads for 2 CPUs/],
    [{}, {}, /4 threads for 2 CPUs/],
    [{ pool: [2, 3, 5] }, two, /3 threads for 2 CPUs/],
    [{ pinFails: 'taskset (util-linux) is not installed' }, two, /pinning failed: taskset \(util-linux\) is not installed/],
  ];
  for (const [o, env, why] of cases) {
    const { host, pinned, batched } = fakeHost(o);
    const outcome = await spreadThreadPool({ env, host });
    assert.equal(outcome.kind, 'left', JSON.stringify(o));
    assert.match(outcome.kind === 'left' ? outcome.why : '', why);
    assert.match(describeSpread(outcome), /^Thread pool left to the kernel: /);
    if (!o?.pinFails) assert.deepEqual(pinned, []);
    assert.deepEqual(batched, []);
  }
});

const tasksetMissing = spawnSync('taskset', ['--version']).error !== undefined;
const skipReal =
  platform() !== 'linux'
    ? 'pins threads on Linux only'
    : availableParallelism() < 2
      ? 'needs two CPUs'
      : tasksetMissing
        ? 'taskset (util-linux) is not installed'
        : false;

test('a real process: each pool thread ends up allowed on exactly its own CPU', { skip: skipReal }, async () => {
  const cpus = Math.min(availableParallelism(), 4);
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../fixtures/process/spread-child.ts')], {
    env: { ...process.env, HYPERGOLIX_SPREAD_THREADS: 'on', UV_THREADPOOL_SIZE: String(cpus) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.once('exit', (code) => reject(new Error(`child exited (${code}) before answering`)));
    });
    const { pid, outcome } = JSON.parse(line) as { pid: number; outcome: Awaited<ReturnType<typeof spreadThreadPool>> };
    assert.equal(outcome.kind, 'pinned', JSON.stringify(outcome));
    if (outcome.kind !== 'pinned') return;
    assert.equal(outcome.threads.length, cpus, 'one pool thread per CPU');
    assert.equal(new Set(outcome.threads.map((t) => t.cpu)).size, cpus, 'each on a CPU of its own');
    for (const { tid, cpu } of outcome.threads) {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      assert.deepEqual(allowedCpus(() => status), [cpu], `thread ${tid}`);
      assert.equal(schedulingPolicy(pid, tid), SCHED_BATCH, `thread ${tid} under SCHED_BATCH`);
    }
    assert.equal(schedulingPolicy(pid, pid), SCHED_OTHER, 'the main thread keeps the normal policy');
    // The main thread is left free.
    assert.ok(allowedCpus(() => readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8')).length >= 2);
  } finally {
    child.stdin.end();
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
  }
});
