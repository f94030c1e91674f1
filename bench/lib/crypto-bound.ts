// The crypto bounds that benchmarks divide by, measured where the machine does its best: a child
// process whose thread pool has one thread per CPU, each pinned to its own CPU under SCHED_BATCH
// (src/core/process/thread-pool.ts), as `hypergolix start app` runs on kernels that pack woken
// threads. Measured in the benchmark's own process (a pool of cores + 4 free threads), two
// signatures in flight on such a kernel often shared one CPU: 450 signatures/s against 535 for
// the pinned pool, in one session. A bound measured that way would flatter every ratio to it.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Run } from './timing.js';

export type BoundRequest =
  | { kind: 'sign'; seconds: number; inFlight: number }
  /** Latencies of `count` pairs of signatures started together (after 20 unmeasured). */
  | { kind: 'pairs'; count: number }
  /** Latencies of an update's unavoidable crypto: two signatures, two × two verifications, one decryption. */
  | { kind: 'path'; count: number };

export type BoundReply = { kind: 'ready'; spread: string } | { kind: 'run'; run: Run } | { kind: 'latencies'; ms: number[] } | { kind: 'error'; message: string };

export interface CryptoBound {
  /** What the child's pool is (pinned or why not), for the report. */
  readonly spread: string;
  signRun(seconds: number, inFlight: number): Promise<Run>;
  pairs(count: number): Promise<number[]>;
  path(count: number): Promise<number[]>;
  close(): Promise<void>;
}

/** Starts the child that measures the bounds; close() it when done. */
export async function startCryptoBound(): Promise<CryptoBound> {
  const cpus = availableParallelism();
  const child: ChildProcess = fork(join(import.meta.dirname, 'crypto-bound-child.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, UV_THREADPOOL_SIZE: String(cpus), HYPERGOLIX_SPREAD_THREADS: 'on' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = () =>
    new Promise<BoundReply>((resolve, reject) => {
      const gone = () => reject(new Error('the crypto-bound child exited'));
      child.once('exit', gone);
      child.once('message', (m) => {
        child.off('exit', gone);
        resolve(m as BoundReply);
      });
    });
  const ask = async (request: BoundRequest): Promise<BoundReply> => {
    const reply = next();
    child.send(request);
    const r = await reply;
    if (r.kind === 'error') throw new Error(`crypto-bound child: ${r.message}`);
    return r;
  };
  const ready = await next();
  if (ready.kind !== 'ready') throw new Error(`crypto-bound child: ${ready.kind === 'error' ? ready.message : 'no ready message'}`);
  const latencies = async (request: BoundRequest) => {
    const r = await ask(request);
    if (r.kind !== 'latencies') throw new Error('crypto-bound child: unexpected reply');
    return r.ms;
  };
  return {
    spread: ready.spread,
    async signRun(seconds, inFlight) {
      const r = await ask({ kind: 'sign', seconds, inFlight });
      if (r.kind !== 'run') throw new Error('crypto-bound child: unexpected reply');
      return r.run;
    },
    pairs: (count) => latencies({ kind: 'pairs', count }),
    path: (count) => latencies({ kind: 'path', count }),
    async close() {
      child.disconnect();
      await exited;
    },
  };
}
