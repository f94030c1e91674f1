/** `hypergolix account password`: change the account's password, the daemon running or not. */
import { parseArgs } from '../args.js';
import { passwordRefusal } from '../../common/password-rule.js';
import { loadConfig } from '../../core/config/index.js';
import { changeAccountPassword, PasswordRefused } from '../../host/password-change.js';
import { CliError, type CliIO } from '../command.js';
import { promptHidden, promptNewPassword, readStdinLines } from '../prompt.js';
import { whileDaemonStopped } from './account-offline.js';

export const PASSWORD_USAGE = `Usage: hypergolix account password [--password-stdin [--allow-weak-password]] [--root PATH]

Changes the password of the account hypergolix.yml names: asks for the current password, then
the new one twice. A running app daemon is stopped for the change and started again with the new
password. The account's other computers learn the new password through the remotes; the old
one opens nothing afterwards.

  --password-stdin        read the current password from the first line of standard input
                          and the new one from the second
  --allow-weak-password   with --password-stdin: the new password needs only the length
  --root PATH             use this hypergolix.yml (or directory) instead of searching`;

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

  await whileDaemonStopped({
    loaded,
    io,
    credentials: { password: current },
    wrongPassword: 'The current password is not right.',
    change: async (account) => {
      try {
        await changeAccountPassword(account, loaded, current, next, { allowWeak });
      } catch (err) {
        throw err instanceof PasswordRefused ? new CliError(err.message, 2) : err;
      }
    },
    restartWith: () => next,
    byRoot: values.root !== undefined,
  });
  io.out('Password changed. Use the new password on every computer of this account from now on.');
  return 0;
}
