'use strict';
/**
 * How many threads libuv's pool gets in a `hypergolix` process. CommonJS so that the command's
 * entry (hypergolix.js beside this file) can apply it before the pool exists: an ES module entry
 * creates the pool while it is being loaded, with whatever size the environment said then.
 *
 * Some kernels place a thread that is woken on the CPU of the thread that woke it, leaving the
 * other CPUs idle (this project's Firecracker VMs do so, with the `kernel.sched_vcpu_pack`
 * sysctl). An update's two RSA signatures start together on two pool threads, so there they
 * often share one CPU and take twice as long. On such a kernel an app daemon's pool gets one
 * thread per CPU, and the daemon pins each to its own CPU (src/core/process/thread-pool.ts), so
 * two jobs started together run on two CPUs. Everything else (a server, whose fsyncs and
 * checkpoints want spare threads; the other commands) keeps the usual size.
 *
 * HYPERGOLIX_SPREAD_THREADS: `auto` (the default) does this where the kernel packs threads, `on`
 * everywhere, `off` nowhere.
 */
const PACKING_SYSCTL = '/proc/sys/kernel/sched_vcpu_pack';

/** The value of the packing sysctl, or null where the kernel has none (or it cannot be read). */
function packingValue(readText) {
  try {
    const value = Number(readText(PACKING_SYSCTL).trim());
    return Number.isInteger(value) ? value : null;
  } catch {
    return null;
  }
}

/** Whether an app daemon's pool should be one thread per CPU, pinned: the setting, else the kernel's habit. */
function spreadsThreads(env, readText) {
  const setting = env.HYPERGOLIX_SPREAD_THREADS;
  if (setting === 'on') return true;
  if (setting === 'off') return false;
  return (packingValue(readText) ?? 0) > 0;
}

/** Whether the command line runs an app daemon (`start app`, in the foreground, detached or with --ui). */
function runsAppDaemon(args) {
  return args[0] === 'start' && args[1] === 'app';
}

/**
 * The pool size for a process running `hypergolix <args>`. An app daemon whose threads are
 * spread gets one per CPU (on one CPU there is nothing to spread); otherwise what the environment
 * says, else the CPUs plus four (file I/O shares the pool with the crypto).
 */
function poolSize(args, env, cpus, readText) {
  if (cpus >= 2 && runsAppDaemon(args) && spreadsThreads(env, readText)) return String(cpus);
  return env.UV_THREADPOOL_SIZE ?? String(cpus + 4);
}

module.exports = { PACKING_SYSCTL, packingValue, spreadsThreads, runsAppDaemon, poolSize };
