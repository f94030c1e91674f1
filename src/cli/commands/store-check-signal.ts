/**
 * How `hypergolix server check` asks a running `hypergolix start server` to check its store now:
 * a signal, which only its own user (or root) can send, so no port answers to it. The server says
 * in its pid file that it takes the signal, and where it writes the check's state
 * (core/remote/store-check-file.ts): a server of an earlier version takes no such signal, and
 * SIGUSR2 unhandled ends a Node process, so it is sent only to a server that says so.
 */
import type { PidInfo } from '../../core/process/index.js';
import type { Logger } from '../../core/log/index.js';
import type { PersistenceServer } from '../../core/remote/server.js';

/** Not SIGUSR1: Node starts its inspector on that one. */
export const STORE_CHECK_SIGNAL = 'SIGUSR2';

/** Windows has no user signals: there the server is checked stopped, or on its schedule. */
export const storeCheckSignalsWork = process.platform !== 'win32';

/** What the server adds to its pid file's info line. */
export function storeCheckLockInfo(reportFile: string): Record<string, unknown> {
  return storeCheckSignalsWork ? { storeCheck: { signal: STORE_CHECK_SIGNAL, file: reportFile } } : {};
}

/** Where a running server writes its check's state, if its pid file says it takes the signal. */
export function storeCheckFileOfRunning(info: PidInfo | null | undefined): string | null {
  const said = info?.storeCheck as { signal?: unknown; file?: unknown } | undefined;
  return storeCheckSignalsWork && said?.signal === STORE_CHECK_SIGNAL && typeof said.file === 'string' && said.file.length > 0 ? said.file : null;
}

/**
 * In the server process, before its pid file says the signal is taken (the info line is written
 * once the server is up): the signal starts a check (one going on is joined), paced as the
 * scheduled ones are, so clients are served meanwhile.
 */
export function answerStoreCheckSignal(server: () => PersistenceServer | null, log: Logger): void {
  if (!storeCheckSignalsWork) return;
  process.on(STORE_CHECK_SIGNAL, () => {
    const s = server();
    if (s === null) return log.warn('A check of the store was asked for before the server was ready; ask again once it is');
    if (!s.storeCheck.applies) return log.warn('A check of the store was asked for, but this store cannot be checked');
    log.info('A check of the store was asked for (hypergolix server check)');
    s.storeCheck.run(true).catch((err: unknown) => log.warn(`Store check: stopped by ${(err as Error).message}`));
  });
}
