// Timing loops for benchmarks: fixed-duration throughput with N operations in flight,
// warm-up first, repeated runs summarised by their median.
import { median, spreadPercent } from './stats.js';

export interface RateOptions {
  /** Operations kept in flight at once (1 = strictly sequential). */
  inFlight: number;
  /** Length of one measured run, in seconds. */
  seconds: number;
  /** Measured runs; the result is their median. */
  repeats: number;
  /** Unmeasured run before the first measured one, in seconds. */
  warmupSeconds: number;
}

export interface RateResult {
  /** Median operations per second over the repeats. */
  perSecond: number;
  samples: number[];
  /** ± percent: half the range of the samples over the median. */
  spread: number;
  /** Operations completed in all measured runs. */
  operations: number;
  /**
   * Median CPU time per operation in microseconds, all threads of the process (main thread and
   * libuv pool; process.cpuUsage). Unlike throughput it hardly moves when other processes load
   * the machine, so it tells the cost of an operation apart from contention.
   */
  cpuPerOp: number;
}

/** One timed run: operations completed, seconds taken, CPU microseconds per operation. */
export interface Run {
  ops: number;
  elapsed: number;
  cpuPerOp: number;
}

/**
 * One run: `inFlight` loops each start `op` again as soon as their previous one finishes,
 * until `seconds` have passed; the rate counts every completion up to the last one.
 */
export async function runFor(
  seconds: number,
  inFlight: number,
  op: (worker: number) => Promise<unknown>,
): Promise<Run> {
  let ops = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, worker) => {
      while (performance.now() < deadline) {
        await op(worker);
        ops++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { ops, elapsed: (performance.now() - start) / 1000, cpuPerOp: (used.user + used.system) / Math.max(1, ops) };
}

/** Summarises measured runs. */
export function summarise(runs: readonly Run[]): RateResult {
  const samples = runs.map((r) => r.ops / r.elapsed);
  return {
    perSecond: median(samples),
    samples,
    spread: spreadPercent(samples),
    operations: runs.reduce((a, r) => a + r.ops, 0),
    cpuPerOp: median(runs.map((r) => r.cpuPerOp)),
  };
}

/** Throughput of `op` in operations per second: warm-up, then the median of `repeats` runs. */
export async function rate(options: RateOptions, op: (worker: number) => Promise<unknown>): Promise<RateResult> {
  if (options.warmupSeconds > 0) await runFor(options.warmupSeconds, options.inFlight, op);
  const runs = [];
  for (let i = 0; i < options.repeats; i++) runs.push(await runFor(options.seconds, options.inFlight, op));
  return summarise(runs);
}

/** Throughput of a synchronous `op` on the calling thread (no concurrency), same protocol. */
export async function rateSync(options: Omit<RateOptions, 'inFlight'>, op: () => unknown): Promise<RateResult> {
  const runSync = (seconds: number): Run => {
    let ops = 0;
    const cpu = process.cpuUsage();
    const start = performance.now();
    const deadline = start + seconds * 1000;
    let now = start;
    while (now < deadline) {
      // Check the clock every 16 operations: cheap ops would otherwise measure the clock.
      for (let k = 0; k < 16; k++) op();
      ops += 16;
      now = performance.now();
    }
    const used = process.cpuUsage(cpu);
    return { ops, elapsed: (now - start) / 1000, cpuPerOp: (used.user + used.system) / ops };
  };
  if (options.warmupSeconds > 0) runSync(options.warmupSeconds);
  const runs = [];
  for (let i = 0; i < options.repeats; i++) {
    runs.push(runSync(options.seconds));
    // Let timers and pending I/O run between repeats.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return summarise(runs);
}

/** Wall time of `fn` in seconds, repeated: the median and every sample. */
export async function timeRepeated(repeats: number, fn: () => Promise<unknown>): Promise<{ seconds: number; samples: number[]; spread: number }> {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await fn();
    samples.push((performance.now() - start) / 1000);
  }
  return { seconds: median(samples), samples, spread: spreadPercent(samples) };
}

/**
 * Two throughputs measured in alternating runs (after warming both up), so that drift and
 * other load on the machine affect both alike: the basis of every "x % of the bound" figure.
 */
export async function ratePaired(options: Omit<RateOptions, 'inFlight'>, a: Measured, b: Measured): Promise<[RateResult, RateResult]> {
  if (options.warmupSeconds > 0) {
    await go(a, options.warmupSeconds);
    await go(b, options.warmupSeconds);
  }
  const ra = [];
  const rb = [];
  for (let i = 0; i < options.repeats; i++) {
    ra.push(await go(a, options.seconds));
    rb.push(await go(b, options.seconds));
  }
  return [summarise(ra), summarise(rb)];
}

/** What ratePaired measures: operations run here, or runs made elsewhere (another process). */
export type Measured =
  | { inFlight: number; op: (worker: number) => Promise<unknown> }
  | { run: (seconds: number) => Promise<Run> };

function go(m: Measured, seconds: number): Promise<Run> {
  return 'run' in m ? m.run(seconds) : runFor(seconds, m.inFlight, m.op);
}

