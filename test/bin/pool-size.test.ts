// bin/pool-size.cjs: the thread pool's size, decided before the pool exists (bin/hypergolix.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const { poolSize, packingValue, spreadsThreads, runsAppDaemon } = createRequire(import.meta.url)('../../bin/pool-size.cjs') as {
  poolSize(args: string[], env: NodeJS.ProcessEnv, cpus: number, readText: (path: string) => string): string;
  packingValue(readText: (path: string) => string): number | null;
  spreadsThreads(env: NodeJS.ProcessEnv, readText: (path: string) => string): boolean;
  runsAppDaemon(args: string[]): boolean;
};

const packing = (value: string) => (path: string) => {
  assert.equal(path, '/proc/sys/kernel/sched_vcpu_pack');
  return value;
};
const noSysctl = () => {
  throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
};

test('the packing sysctl: its number, or null where the kernel has none or it is not a number', () => {
  assert.equal(packingValue(packing('15\n')), 15);
  assert.equal(packingValue(packing('0')), 0);
  assert.equal(packingValue(noSysctl), null);
  assert.equal(packingValue(packing('fast')), null);
});

test('threads are spread where the kernel packs them, or when told to; off wins over the kernel', () => {
  assert.equal(spreadsThreads({}, packing('15')), true);
  assert.equal(spreadsThreads({}, packing('0')), false);
  assert.equal(spreadsThreads({}, noSysctl), false);
  assert.equal(spreadsThreads({ HYPERGOLIX_SPREAD_THREADS: 'on' }, noSysctl), true);
  assert.equal(spreadsThreads({ HYPERGOLIX_SPREAD_THREADS: 'off' }, packing('15')), false);
  assert.equal(spreadsThreads({ HYPERGOLIX_SPREAD_THREADS: 'maybe' }, packing('15')), true, 'anything else is auto');
});

test('an app daemon on a packing kernel gets one pool thread per CPU, whatever the environment said', () => {
  for (const args of [['start', 'app'], ['start', 'app', '--foreground'], ['start', 'app', '--detached-child'], ['start', 'app', '--ui']]) {
    assert.equal(runsAppDaemon(args), true, args.join(' '));
    assert.equal(poolSize(args, { UV_THREADPOOL_SIZE: '6' }, 2, packing('15')), '2', args.join(' '));
  }
  assert.equal(poolSize(['start', 'app'], {}, 8, packing('15')), '8');
  assert.equal(poolSize(['start', 'app'], {}, 1, packing('15')), '5', 'one CPU: nothing to spread, the usual pool');
});

test('everything else keeps the usual pool: the environment, else the CPUs plus four', () => {
  assert.equal(runsAppDaemon(['start', 'server']), false);
  assert.equal(runsAppDaemon(['inspect', 'start', 'app']), false);
  assert.equal(poolSize(['start', 'server'], {}, 2, packing('15')), '6', 'a server keeps spare threads for its fsyncs');
  assert.equal(poolSize(['inspect'], { UV_THREADPOOL_SIZE: '12' }, 2, packing('15')), '12');
  assert.equal(poolSize(['start', 'app'], {}, 2, packing('0')), '6', 'a kernel that spreads threads itself');
  assert.equal(poolSize(['start', 'app'], { UV_THREADPOOL_SIZE: '3' }, 2, noSysctl), '3');
  assert.equal(poolSize(['start', 'app'], { HYPERGOLIX_SPREAD_THREADS: 'off' }, 2, packing('15')), '6');
});
