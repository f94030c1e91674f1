/**
 * What `account password` and `account recovery-kit` share: the account opened by this process
 * for one change, with a running app daemon stopped for it (one store, one process) and started
 * again afterwards, and the change given time to reach the remotes before the account closes.
 */
import type { Account } from '../../core/account/account.js';
import type { LoadedConfig } from '../../core/config/index.js';
import { createMemoryLogger } from '../../core/log/index.js';
import { readPidFile, stopProcess } from '../../core/process/index.js';
import type { AppCredentials } from '../../core/assembly/app.js';
import { accountFailure } from '../../host/account-errors.js';
import { DaemonRunner } from '../../host/daemon-runner.js';
import { CliError, type CliIO } from '../command.js';
import { startAppInBackground } from './app.js';

/** How long a change may take to reach the remotes before the account is closed. */
const PUSH_WAIT_MS = 15_000;

export interface OfflineChange<T> {
  loaded: LoadedConfig;
  io: CliIO;
  /** How this process opens the account. */
  credentials: AppCredentials;
  /** The words for a wrong password here ("The current password is not right."). */
  wrongPassword: string;
  /** The change, with the account open. */
  change: (account: Account) => Promise<T>;
  /** The password the daemon is started with again afterwards, if it was running. */
  restartWith: (result: T) => string;
  /** `--root` was given: the restarted daemon is told the same file. */
  byRoot: boolean;
}

export async function whileDaemonStopped<T>(o: OfflineChange<T>): Promise<T> {
  const running = readPidFile(o.loaded.config.process.pid_file)?.alive ?? false;
  if (running) {
    o.io.err('Stopping the app daemon for the change…');
    const stopped = await stopProcess(o.loaded.config.process.pid_file);
    if (stopped.status === 'timeout' || stopped.status === 'denied') throw new CliError(`The app daemon did not stop: ${stopped.message}`, 1);
  }
  let result: T;
  try {
    result = await withAccount(o);
  } catch (err) {
    if (running) o.io.err('The app daemon was stopped for the change; start it again with "hypergolix start app".');
    throw err;
  }
  if (running) await startAppInBackground(o.loaded, o.restartWith(result), o.io, o.byRoot);
  return result;
}

async function withAccount<T>(o: OfflineChange<T>): Promise<T> {
  const runner = new DaemonRunner({ ipc: false, logger: createMemoryLogger() });
  let app;
  try {
    ({ app } = await runner.start(o.loaded, { credentials: o.credentials }));
  } catch (err) {
    const failure = accountFailure(err);
    throw failure ? new CliError(failure.code === 'wrong-password' ? o.wrongPassword : failure.message, 1) : err;
  }
  try {
    const result = await o.change(app.daemon.account);
    if (!(await untilPushed(() => app.daemon.network.status(), PUSH_WAIT_MS))) {
      o.io.err('Not every remote has the change yet; it is sent when the app daemon runs next.');
    }
    return result;
  } finally {
    await runner.stop();
  }
}

async function untilPushed(status: () => { pending: number }[], ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (status().some((r) => r.pending > 0)) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
