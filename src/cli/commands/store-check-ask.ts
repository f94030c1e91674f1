/**
 * How `hypergolix server check` asks a running `hypergolix start server` to check its store now,
 * the one contract between the two. The server says in its pid file how it may be asked and where
 * it writes the check's state (core/remote/store-check-file.ts):
 * - `request`: a file in its log directory that the asker writes and the server, looking every
 *   second, takes away as it starts the check. Any platform, Windows too; like a signal, only a
 *   user who may write the server's log directory can ask, and no port answers to it.
 * - `signal` (SIGUSR2, not on Windows): what servers of 0.4 took, and still answered for a
 *   `server check` of 0.4. SIGUSR2 unhandled ends a Node process, so it is sent only to a
 *   server that says it takes it.
 * A server that says neither is of an earlier version, which cannot be asked.
 */
import { rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PidInfo } from '../../core/process/index.js';
import type { Logger } from '../../core/log/index.js';
import type { PersistenceServer } from '../../core/remote/server.js';

/** Not SIGUSR1: Node starts its inspector on that one. */
export const STORE_CHECK_SIGNAL = 'SIGUSR2';

/** Windows has no user signals. */
export const storeCheckSignalsWork = process.platform !== 'win32';

/** How often a running server looks for a request. */
export const STORE_CHECK_REQUEST_POLL_MS = 1_000;

/** The request file beside the state file (both in the server's log directory). */
export function storeCheckRequestOf(stateFile: string): string {
  return join(dirname(stateFile), 'store-check.request');
}

/** What the server adds to its pid file's info line. */
export function storeCheckLockInfo(stateFile: string): Record<string, unknown> {
  return { storeCheck: { ...(storeCheckSignalsWork ? { signal: STORE_CHECK_SIGNAL } : {}), file: stateFile, request: storeCheckRequestOf(stateFile) } };
}

export type StoreCheckAsk = { file: string } & ({ by: 'request'; request: string } | { by: 'signal' });

/** How a running server whose pid file says `info` is asked to check, and where it writes its state; null: it cannot be asked. */
export function storeCheckAskOf(info: PidInfo | null | undefined): StoreCheckAsk | null {
  const said = info?.storeCheck as { signal?: unknown; file?: unknown; request?: unknown } | undefined;
  if (typeof said?.file !== 'string' || said.file.length === 0) return null;
  if (typeof said.request === 'string' && said.request.length > 0) return { file: said.file, by: 'request', request: said.request };
  return storeCheckSignalsWork && said.signal === STORE_CHECK_SIGNAL ? { file: said.file, by: 'signal' } : null;
}

/** Where a running server writes its check's state, if its pid file says. */
export function storeCheckFileOfRunning(info: PidInfo | null | undefined): string | null {
  return storeCheckAskOf(info)?.file ?? null;
}

/** Asks the running server with process id `pid`; rejects with an error the CLI can say as it is. */
export async function askStoreCheck(pid: number, ask: StoreCheckAsk): Promise<void> {
  if (ask.by === 'signal') {
    process.kill(pid, STORE_CHECK_SIGNAL);
    return;
  }
  await writeFile(ask.request, `${JSON.stringify({ askedAt: new Date().toISOString(), by: process.pid })}\n`);
}

type CheckedServer = () => PersistenceServer | null;

/** A check asked for, started (one going on is joined) and paced as the scheduled ones are, so clients are served meanwhile. */
function startAsked(server: CheckedServer, log: Logger): void {
  const s = server();
  if (s === null) return log.warn('A check of the store was asked for before the server was ready; ask again once it is');
  if (!s.storeCheck.applies) return log.warn('A check of the store was asked for, but this store cannot be checked');
  log.info('A check of the store was asked for (hypergolix server check)');
  s.storeCheck.run(true).catch((err: unknown) => log.warn(`Store check: stopped by ${(err as Error).message}`));
}

/** In the server process, before its pid file says the signal is taken (the info line is written once the server is up). */
export function answerStoreCheckSignal(server: CheckedServer, log: Logger): void {
  if (storeCheckSignalsWork) process.on(STORE_CHECK_SIGNAL, () => startAsked(server, log));
}

/**
 * In the server process, before its pid file names the request file: a request left from an
 * earlier run (asked as it stopped) goes at once, and from then on one found while the server is
 * up starts a check and is taken away. A request found before the server is ready waits for it.
 * Returns a disposer.
 */
export function answerStoreCheckRequests(request: string, server: CheckedServer, log: Logger, pollMs = STORE_CHECK_REQUEST_POLL_MS): () => void {
  try {
    rmSync(request, { force: true });
  } catch (err) {
    // A directory put there, say: said below at each look that fails alike (once); the server starts all the same.
    log.debug(`An earlier request to check the store (${request}) could not be taken away: ${(err as Error).message}`);
  }
  let looking = false;
  // The last refusal said, so that one that stays (a directory put there, say) is said once, not every second.
  let told: string | null = null;
  const timer = setInterval(() => {
    if (looking || server() === null) return;
    looking = true;
    // Taking it away is the look: it was there if that worked.
    void rm(request)
      .then(
        () => {
          told = null;
          startAsked(server, log);
        },
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return void (told = null);
          const why = `${err.code ?? ''} ${err.message}`;
          if (why !== told) log.warn(`A request to check the store (${request}) could not be taken: ${err.message}`);
          told = why;
        },
      )
      .finally(() => (looking = false));
  }, pollMs);
  timer.unref();
  return () => clearInterval(timer);
}
