/** `hypergolix account password`: change the account's password, the daemon running or not. */
import { parseArgs } from 'node:util';
import { passwordRefusal } from '../../common/password-rule.js';
import { loadConfig, type LoadedConfig } from '../../core/config/index.js';
import { createMemoryLogger } from '../../core/log/index.js';
import { readPidFile, stopProcess } from '../../core/process/index.js';
import { accountFailure } from '../../host/account-errors.js';
import { DaemonRunner } from '../../host/daemon-runner.js';
import { changeAccountPassword, PasswordRefused } from '../../host/password-change.js';
import { CliError, type CliIO } from '../command.js';
import { promptHidden, promptNewPassword, readStdinLines } from '../prompt.js';
import { startAppInBackground } from './app.js';

export const PASSWORD_USAGE = `Usage: hypergolix account password [--password-stdin [--allow-weak-password]] [--root PATH]

Changes the password of the account hypergolix.yml names: asks for the current password, then
the new one twice. A running app daemon is stopped for the change and started again with the new
password. The account's other computers learn the new password through the remotes; the old
one opens nothing afterwards.

  --password-stdin        read the current password from the first line of standard input
                          and the new one from the second
  --allow-weak-password   with --password-stdin: the new password needs only the length
  --root PATH             use this hypergolix.yml (or directory) instead of searching`;

/** How long the new root frame may take to reach the remotes before the daemon is stopped. */
const PUSH_WAIT_MS = 15_000;

async function passwords(io: CliIO, stdin: boolean): Promise<{ current: string; next: string }> {
  if (stdin) {
    const [current, next] = await readStdinLines(io, 2);
    return { current: current!, next: next! };
  }
  const current = await promptHidden('Current password: ', io);
  return { current, next: await promptNewPassword(io, ['Choose the new password.']) };
}

export async function runAccountPassword(argv: string[], io: CliIO): Promise<number> {
  let values: { 'password-stdin'?: boolean; 'allow-weak-password'?: boolean; root?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { 'password-stdin': { type: 'boolean' }, 'allow-weak-password': { type: 'boolean' }, root: { type: 'string' } },
      strict: true,
    }));
    if (values['allow-weak-password'] && !values['password-stdin']) throw new Error('--allow-weak-password goes with --password-stdin');
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${PASSWORD_USAGE}`);
  }
  const loaded = await loadConfig({ root: values.root, env: io.env, cwd: io.cwd });
  if (!loaded.config.user.user_id) throw new CliError(`${loaded.path} names no account: create one with "hypergolix start app" or sign in with "hypergolix account login"`, 1);
  const { current, next } = await passwords(io, values['password-stdin'] ?? false);

  const allowWeak = values['allow-weak-password'] ?? false;
  // The rule needs no daemon: a refused password stops nothing.
  const refusal = passwordRefusal(next, { allowWeak });
  if (refusal) throw new CliError(refusal, 2);

  const running = readPidFile(loaded.config.process.pid_file)?.alive ?? false;
  if (running) {
    io.err('Stopping the app daemon for the change…');
    const stopped = await stopProcess(loaded.config.process.pid_file);
    if (stopped.status === 'timeout' || stopped.status === 'denied') throw new CliError(`The app daemon did not stop: ${stopped.message}`, 1);
  }
  try {
    await change(loaded, current, next, allowWeak, io);
  } catch (err) {
    if (running) io.err('The app daemon was stopped for the change; start it again with "hypergolix start app".');
    throw err;
  }
  io.out('Password changed. Use the new password on every computer of this account from now on.');
  if (running) await startAppInBackground(loaded, next, io, values.root !== undefined);
  return 0;
}

async function change(loaded: LoadedConfig, current: string, next: string, allowWeak: boolean, io: CliIO): Promise<void> {
  const runner = new DaemonRunner({ ipc: false, logger: createMemoryLogger() });
  let app;
  try {
    ({ app } = await runner.start(loaded, { credentials: { password: current } }));
  } catch (err) {
    const failure = accountFailure(err);
    throw failure ? new CliError(failure.code === 'wrong-password' ? 'The current password is not right.' : failure.message, 1) : err;
  }
  try {
    await changeAccountPassword(app.daemon.account, loaded, current, next, { allowWeak });
    const pushed = await untilPushed(() => app.daemon.network.status(), PUSH_WAIT_MS);
    if (!pushed) io.err('Not every remote has the change yet; it is sent when the app daemon runs next.');
  } catch (err) {
    if (err instanceof PasswordRefused) throw new CliError(err.message, 2);
    throw err;
  } finally {
    await runner.stop();
  }
}

async function untilPushed(status: () => { connected: boolean; pending: number }[], ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (status().some((r) => r.pending > 0)) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
