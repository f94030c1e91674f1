/**
 * Pins libuv's pool threads one per CPU, where the kernel would otherwise stack them on one.
 *
 * An update is signed twice (container and frame), and both signatures start together on two
 * pool threads. Some kernels place a woken thread on the CPU of the thread that woke it: this
 * project's Firecracker VMs do (`kernel.sched_vcpu_pack`), and there the two signatures shared one
 * CPU about half the time while the other CPU idled, taking 7.5 ms instead of 3.8. With one pool
 * thread per CPU (bin/pool-size.cjs sizes the pool before it exists) and each thread pinned to its
 * own CPU, two jobs started together run on two CPUs.
 *
 * The pinned threads also run under SCHED_BATCH: a woken SCHED_BATCH thread never preempts the
 * thread that woke it. Without it, the first signature's thread, woken on the main thread's CPU, took that CPU
 * at once, and the main thread waited ~0.7 ms before it could hand over the second signature.
 *
 * Linux only: the pool's threads are told apart from the others as the ones that read the bytes
 * of a burst of large reads from /dev/urandom (/proc/self/task/<tid>/io counts what each thread
 * reads), pinned with util-linux's `taskset`, and set to SCHED_BATCH with its `chrt`.
 * Anything missing (not Linux, no taskset, one CPU) leaves the threads as they are, said why.
 */
import { execFile } from 'node:child_process';
import { openSync, read, readdirSync, readFileSync } from 'node:fs';
import { platform } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where the setting comes from: `auto` (the default), `on` or `off` (bin/pool-size.cjs reads it too). */
export const SPREAD_ENV = 'HYPERGOLIX_SPREAD_THREADS';
/** The sysctl of the kernels that pack woken threads onto the waker's CPU; > 0 while they do. */
export const PACKING_SYSCTL = '/proc/sys/kernel/sched_vcpu_pack';

export type SpreadSetting = 'auto' | 'on' | 'off';

/** Jobs per CPU in each burst that tells the pool's threads apart (each ~0.5 ms of kernel CPU). */
const PROBE_JOBS_PER_CPU = 8;
/** Rounds of two bursts at most, while some of the pool's threads have not shown themselves. */
const PROBE_ROUNDS = 5;
/**
 * When a probe missed some of the pool's threads (busy with other work, or the machine busy
 * through all its rounds: a daemon starting while other programs load the CPUs), the waits
 * before probing again for the rest; what was found is pinned meanwhile.
 */
const LATER_PROBES_MS = [1_000, 2_000, 4_000, 8_000];
export const PROBE_READ_BYTES = 192 * 1024;
/** libuv's pool size when UV_THREADPOOL_SIZE is not set. */
const DEFAULT_POOL_SIZE = 4;

export type SpreadOutcome =
  /**
   * `batch`: null once the threads run under SCHED_BATCH, else why they do not. `poolSize`: the
   * threads the pool has; more than `threads` when some could not be told apart in time.
   */
  | { kind: 'pinned'; threads: { tid: number; cpu: number }[]; poolSize: number; why: string; batch: string | null }
  | { kind: 'left'; why: string };

/** What the pinning reads and runs; tests replace parts of it. */
export interface ThreadHost {
  platform: string;
  pid: number;
  readText(path: string): string;
  listThreads(): number[];
  /** Runs `taskset -p -c <cpu> <tid>`; rejects with the reason it failed. */
  pin(tid: number, cpu: number): Promise<void>;
  /** Runs `chrt -b -p 0 <tid>` (SCHED_BATCH); rejects with the reason it failed. */
  batch(tid: number): Promise<void>;
  /** One job on the pool that reads PROBE_READ_BYTES, taking the thread for a while. */
  poolJob(): Promise<void>;
  /** Waits, without keeping the process alive for it. */
  sleep(ms: number): Promise<void>;
}

/** Runs one of util-linux's tools; rejects with what went wrong. */
function utilLinux(tool: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(tool, args, { timeout: 5_000 }, (err, _out, stderr) =>
      err ? reject(new Error((err as NodeJS.ErrnoException).code === 'ENOENT' ? `${tool} (util-linux) is not installed` : stderr.trim() || err.message)) : resolve(),
    ),
  );
}

export const nodeThreadHost: ThreadHost = {
  platform: platform(),
  pid: process.pid,
  readText: (path) => readFileSync(path, 'utf8'),
  listThreads: () => readdirSync('/proc/self/task').map(Number),
  pin: (tid, cpu) => utilLinux('taskset', ['-p', '-c', String(cpu), String(tid)]),
  batch: (tid) => utilLinux('chrt', ['-b', '-p', '0', String(tid)]),
  poolJob: () => new Promise((resolve, reject) => read(urandom(), Buffer.allocUnsafe(PROBE_READ_BYTES), 0, PROBE_READ_BYTES, null, (err) => (err ? reject(err) : resolve()))),
  sleep: (ms) => sleep(ms, undefined, { ref: false }),
};

let urandomFd: number | null = null;
/** Kept open for the process's life: the probe runs once. */
function urandom(): number {
  urandomFd ??= openSync('/dev/urandom', 'r');
  return urandomFd;
}

/** The setting in `env`; anything but `on` or `off` counts as `auto` (see spreadSettingWarning). */
export function spreadSetting(env: NodeJS.ProcessEnv): SpreadSetting {
  const v = env[SPREAD_ENV];
  return v === 'on' || v === 'off' ? v : 'auto';
}

/** What to tell the user when the setting is neither unset nor one of its values; null if fine. */
export function spreadSettingWarning(env: NodeJS.ProcessEnv): string | null {
  const v = env[SPREAD_ENV];
  if (v === undefined || v === '' || v === 'auto' || v === 'on' || v === 'off') return null;
  return `${SPREAD_ENV}=${JSON.stringify(v).slice(0, 40)} is not auto, on or off; auto is used`;
}

/** The packing sysctl's value, or null where the kernel has none. */
export function packingValue(readText: (path: string) => string): number | null {
  try {
    const value = Number(readText(PACKING_SYSCTL).trim());
    return Number.isInteger(value) ? value : null;
  } catch {
    return null;
  }
}

/** A kernel CPU list ("0-3,8,10-11") as CPU numbers; [] if it is not one. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return [];
    const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (to < from || to - from > 4096) return [];
    for (let c = from; c <= to; c++) out.push(c);
  }
  return out;
}

/** The CPUs this process may run on (Cpus_allowed_list of /proc/self/status). */
export function allowedCpus(readText: (path: string) => string): number[] {
  const m = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readText('/proc/self/status'));
  return m ? parseCpuList(m[1]!) : [];
}

/** How many bytes a thread has read (its I/O accounting's rchar), or null if it ended. */
function bytesRead(host: ThreadHost, tid: number): number | null {
  try {
    const m = /^rchar:\s*(\d+)$/m.exec(host.readText(`/proc/self/task/${tid}/io`));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * The threads, other than the main one, that read at least one probe job's bytes during a burst
 * of `jobs` pool reads. Others read too now and then (a loader's pipe, a log), but little.
 */
async function readersInBurst(host: ThreadHost, jobs: number): Promise<Set<number>> {
  const threads = host.listThreads().filter((tid) => tid !== host.pid);
  const before = new Map(threads.map((tid) => [tid, bytesRead(host, tid)]));
  await Promise.all(Array.from({ length: jobs }, () => host.poolJob()));
  return new Set(
    threads.filter((tid) => {
      const [a, b] = [before.get(tid), bytesRead(host, tid)];
      return a != null && b != null && b - a >= PROBE_READ_BYTES;
    }),
  );
}

/**
 * The pool's threads: those that read a probe job's bytes during both of two bursts of pool
 * reads. `jobs` should be several per thread, so that every thread takes some however they are
 * woken. V8's helper threads never read; a thread that read much for reasons of its own during
 * one burst is unlikely to during both. On a busy machine one thread may get no CPU through a
 * whole burst while the others take every job, so rounds of two bursts go on, up to
 * PROBE_ROUNDS, until all `expected` threads have shown themselves.
 */
async function findPoolThreads(host: ThreadHost, jobs: number, expected: number, found: Set<number>): Promise<void> {
  for (let round = 0; round < PROBE_ROUNDS && found.size < expected; round++) {
    const first = await readersInBurst(host, jobs);
    const second = await readersInBurst(host, jobs);
    for (const tid of first) if (second.has(tid)) found.add(tid);
  }
}

/** Why the threads are spread here, or null if they are left alone. */
function reasonToSpread(host: ThreadHost, setting: SpreadSetting): string | null {
  if (setting === 'off') return null;
  if (setting === 'on') return `${SPREAD_ENV}=on`;
  const packing = packingValue(host.readText);
  return packing !== null && packing > 0 ? `this kernel places woken threads on their waker's CPU (kernel.sched_vcpu_pack = ${packing})` : null;
}

/**
 * Pins the pool's threads round-robin over the CPUs this process may use, when the setting or the
 * kernel calls for it. Never throws: an outcome says what was done, or why nothing was.
 */
export async function spreadThreadPool(options: { env?: NodeJS.ProcessEnv; host?: ThreadHost } = {}): Promise<SpreadOutcome> {
  const host = options.host ?? nodeThreadHost;
  const env = options.env ?? process.env;
  const setting = spreadSetting(env);
  const why = reasonToSpread(host, setting);
  if (why === null) return { kind: 'left', why: setting === 'off' ? `${SPREAD_ENV}=off` : 'this kernel spreads woken threads itself' };
  if (host.platform !== 'linux') return { kind: 'left', why: `pinning threads is done on Linux only, not ${host.platform}` };
  try {
    const cpus = allowedCpus(host.readText);
    if (cpus.length < 2) return { kind: 'left', why: 'this process may use only one CPU' };
    // A pool sized as usual (more threads than CPUs: not a `hypergolix start app` process, or
    // its size was forced) would share CPUs in pairs again; no need to look for its threads.
    const size = Number(env.UV_THREADPOOL_SIZE) || DEFAULT_POOL_SIZE;
    if (size > cpus.length) return { kind: 'left', why: `the thread pool has ${size} threads for ${cpus.length} CPUs` };
    const jobs = PROBE_JOBS_PER_CPU * cpus.length;
    const found = new Set<number>();
    await findPoolThreads(host, jobs, size, found);
    if (found.size === 0) return { kind: 'left', why: 'the thread pool could not be told apart from the other threads' };
    // The environment may have been changed after the pool was made: count what was found too.
    // The pool is sized as the process starts (bin/pool-size.cjs), too late to change here.
    if (found.size > cpus.length) return { kind: 'left', why: `the thread pool has ${found.size} threads for ${cpus.length} CPUs` };
    const threads: { tid: number; cpu: number }[] = [];
    let batch = await pinNew(host, found, cpus, threads);
    for (const ms of LATER_PROBES_MS) {
      if (found.size >= size) break;
      await host.sleep(ms);
      await findPoolThreads(host, jobs, size, found);
      if (found.size > cpus.length) break;
      batch = (await pinNew(host, found, cpus, threads)) ?? batch;
    }
    return { kind: 'pinned', threads, poolSize: Math.max(size, threads.length), why, batch };
  } catch (err) {
    return { kind: 'left', why: `pinning failed: ${(err as Error).message}` };
  }
}

let once: Promise<SpreadOutcome> | null = null;

/**
 * Pins the threads of `found` not in `threads` yet, each to the next CPU round-robin, adds them
 * to `threads`, and sets them to SCHED_BATCH. Resolves with null, or why SCHED_BATCH failed.
 */
async function pinNew(host: ThreadHost, found: Set<number>, cpus: number[], threads: { tid: number; cpu: number }[]): Promise<string | null> {
  const fresh = [...found].filter((tid) => !threads.some((t) => t.tid === tid)).map((tid, i) => ({ tid, cpu: cpus[(threads.length + i) % cpus.length]! }));
  await Promise.all(fresh.map(({ tid, cpu }) => host.pin(tid, cpu)));
  threads.push(...fresh);
  // Pinned, the threads already help; without SCHED_BATCH they help a little less.
  return Promise.all(fresh.map(({ tid }) => host.batch(tid))).then(
    () => null,
    (err: unknown) => (err as Error).message,
  );
}

/** spreadThreadPool for this process, done at most once (a desktop app restarts its daemon in place). */
export function spreadThreadPoolOnce(): Promise<SpreadOutcome> {
  once ??= spreadThreadPool();
  return once;
}

/** The outcome as one line for the log. */
export function describeSpread(outcome: SpreadOutcome): string {
  if (outcome.kind === 'left') return `Thread pool left to the kernel: ${outcome.why}.`;
  const cpus = [...new Set(outcome.threads.map((t) => t.cpu))];
  const batch = outcome.batch === null ? ' under SCHED_BATCH' : ` (not under SCHED_BATCH: ${outcome.batch})`;
  const missed = outcome.poolSize - outcome.threads.length;
  const count = missed > 0 ? `${outcome.threads.length} of ${outcome.poolSize} threads pinned (${missed} could not be told apart from the others)` : `${outcome.threads.length} threads pinned`;
  return `Thread pool: ${count} over CPUs ${cpus.join(', ')}${batch}, because ${outcome.why}.`;
}
