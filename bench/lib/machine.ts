// The machine a benchmark ran on, for the record in BENCHMARKS.md.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { packingValue } from '../../src/core/process/thread-pool.js';

export interface MachineInfo {
  cpu: string;
  /** Logical CPUs available to this process. */
  cores: number;
  ramGiB: number;
  node: string;
  openssl: string;
  platform: string;
  /** The libuv pool size in effect, as set in the environment (4 when unset). */
  uvThreadpool: string;
  /**
   * kernel.sched_vcpu_pack where the kernel has it: above 0, woken threads are put on their
   * waker's CPU, and `hypergolix start app` pins its pool's threads one per CPU.
   */
  vcpuPack: number | null;
  date: string;
  /** 1-minute load average when the benchmark started (other processes compete for the cores). */
  loadAtStart: number;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const pool = process.env.UV_THREADPOOL_SIZE;
  return {
    cpu: (cpus[0]?.model ?? 'unknown').trim().replace(/\s+/g, ' '),
    cores: os.availableParallelism(),
    ramGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    openssl: process.versions.openssl ?? 'unknown',
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    uvThreadpool: pool ? pool : '4 (default)',
    vcpuPack: packingValue((path) => readFileSync(path, 'utf8')),
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    loadAtStart: os.loadavg()[0]!,
  };
}

/** One Markdown paragraph describing the machine (with the load average now, at the end). */
export function machineMarkdown(m: MachineInfo): string {
  return (
    `Machine: ${m.cpu}, ${m.cores} logical cores, ${m.ramGiB} GiB RAM; ${m.platform}; ` +
    `Node ${m.node} (OpenSSL ${m.openssl}); UV_THREADPOOL_SIZE=${m.uvThreadpool}` +
    (m.vcpuPack === null ? '' : `; kernel.sched_vcpu_pack=${m.vcpuPack}${m.vcpuPack > 0 ? ' (app daemons pin one pool thread per CPU)' : ''}`) +
    `. Measured ${m.date}; ` +
    `1-minute load average ${m.loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end.`
  );
}

/** Fraction of all CPUs busy over `ms` milliseconds (from os.cpus() tick counters). */
export async function busyFraction(ms = 1000): Promise<number> {
  const ticks = () => os.cpus().reduce((acc, c) => {
    const t = c.times;
    acc.busy += t.user + t.nice + t.sys + t.irq;
    acc.total += t.user + t.nice + t.sys + t.irq + t.idle;
    return acc;
  }, { busy: 0, total: 0 });
  const a = ticks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = ticks();
  return b.total === a.total ? 0 : (b.busy - a.busy) / (b.total - a.total);
}

/**
 * Waits (up to `maxSeconds`) until other processes leave the CPUs mostly idle, since every
 * figure is a throughput on a machine that may be shared. Resolves to the last busy fraction
 * seen and the seconds waited.
 */
export async function waitForQuiet(maxSeconds = 120, threshold = 0.15): Promise<{ busy: number; waited: number }> {
  const start = performance.now();
  let busy = await busyFraction();
  while (busy > threshold && performance.now() - start < maxSeconds * 1000) busy = await busyFraction();
  return { busy, waited: (performance.now() - start) / 1000 };
}
