// Shared by the process tests: temp dirs, fixture children and bounded polling.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../../fixtures/wait.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/process/', import.meta.url));

export function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-proc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export { until };

export interface Fixture {
  child: ChildProcess;
  pid: number;
  /** stdout lines so far. */
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** Runs a fixture (`.ts` through tsx, `.mjs` plainly) and collects its stdout by line. */
export function runFixture(name: string, args: string[] = [], t?: { after: (fn: () => void) => void }): Fixture {
  const execArgv = name.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...execArgv, join(FIXTURES, name), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  t?.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    pid: child.pid!,
    lines,
    exited,
    // A fixture starts through tsx (compiling TypeScript): under the whole suite's parallel load
    // on two CPUs that once took over 5 s before its first line. A bound, not a measurement.
    waitFor: (pattern, timeoutMs = 15_000) => until(() => lines.find((l) => pattern.test(l)), `${name} to print ${pattern}`, timeoutMs),
  };
}

/** Kills a process we don't own a ChildProcess for (a detached grandchild), and waits for it to go. */
export async function killPid(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await until(() => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }, `pid ${pid} to die`, 5000);
}
