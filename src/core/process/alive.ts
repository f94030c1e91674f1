import { readFileSync } from 'node:fs';

/** Largest value Linux and macOS hand out as a pid; anything above is garbage, not a process. */
const MAX_PID = 2 ** 22;

/**
 * The kernel's start time of a process, in clock ticks since boot (Linux `/proc/<pid>/stat`
 * field 22), and whether it is a zombie. Null where /proc is unavailable.
 */
export function procStat(pid: number): { startTicks: number; zombie: boolean } | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may itself contain spaces and parentheses; fields resume after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(rest[19]);
    return { startTicks: Number.isFinite(startTicks) ? startTicks : -1, zombie: rest[0] === 'Z' || rest[0] === 'X' };
  } catch {
    return null;
  }
}

export function isValidPid(pid: unknown): pid is number {
  // 0 and negative numbers address process groups in kill(2): never treat them as a pid.
  return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 && pid <= MAX_PID;
}

/**
 * Whether `pid` names a running process. A process of another user counts as alive (EPERM).
 * With `startTicks` (recorded when the pid file was written) a recycled pid is recognised as dead
 * on Linux; zombies are dead too, since they will never release anything.
 */
export function isProcessAlive(pid: number, startTicks?: number): boolean {
  if (!isValidPid(pid)) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  if (stat === null) return true;
  if (stat.zombie) return false;
  if (startTicks !== undefined && startTicks >= 0 && stat.startTicks >= 0 && stat.startTicks !== startTicks) return false;
  return true;
}
