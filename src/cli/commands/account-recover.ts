/** `hypergolix account recover`: a new password from the recovery kit's key (issue #13, "Recovery kit"). */
import { readFile } from 'node:fs/promises';
import { parseArgs } from '../args.js';
import { parseRemoteSpec, type RemoteSpec } from '../../common/config-fields.js';
import { passwordRefusal } from '../../common/password-rule.js';
import { RecoveryKeyTypo } from '../../core/account/errors.js';
import { decodeRecoveryKey } from '../../core/account/recovery.js';
import { loadConfig, updateConfig, type LoadedConfig } from '../../core/config/index.js';
import { Ghid } from '../../core/golix/index.js';
import { writeFileAtomic } from '../../core/util/atomic-write.js';
import { accountFailure } from '../../host/account-errors.js';
import { probeAccount } from '../../host/account-probe.js';
import { CliError, type CliIO } from '../command.js';
import { promptHidden, promptNewPassword, readStdinLines } from '../prompt.js';
import { whileDaemonStopped } from './account-offline.js';
import { startAppInBackground } from './app.js';

export const RECOVER_USAGE = `Usage: hypergolix account recover [--recovery-key-stdin [--allow-weak-password]] [--user-id ID --remote HOST:PORT[:tls]] [--root PATH]

Sets a new password for an account whose password is lost, with the recovery key of its
recovery kit. The account hypergolix.yml names is recovered (from this computer's cache or its
remotes); on a computer that names no account yet, give its user ID and a remote that holds it,
as for "account login". Afterwards the old password opens nothing, on any computer; the
recovery key keeps working until a new kit is made.

  --recovery-key-stdin    read the recovery key from the first line of standard input and the
                          new password from the second
  --allow-weak-password   with --recovery-key-stdin: the new password needs only the length
  --user-id ID            the account's user ID (on the kit)
  --remote HOST:PORT      a persistence server that holds the account (add :tls for TLS)
  --root PATH             use this hypergolix.yml (or directory) instead of searching`;

interface RecoverArgs {
  stdin: boolean;
  allowWeak: boolean;
  userId: Ghid | null;
  remote: RemoteSpec | null;
  root?: string;
}

function parseRecover(argv: string[]): RecoverArgs {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        'recovery-key-stdin': { type: 'boolean' },
        'allow-weak-password': { type: 'boolean' },
        'user-id': { type: 'string' },
        remote: { type: 'string' },
        root: { type: 'string' },
      },
      strict: true,
    });
    if (values['allow-weak-password'] && !values['recovery-key-stdin']) throw new Error('--allow-weak-password goes with --recovery-key-stdin');
    if ((values['user-id'] === undefined) !== (values.remote === undefined)) throw new Error('--user-id and --remote go together');
    const userId = values['user-id'] === undefined ? null : Ghid.tryText(values['user-id'].trim());
    if (values['user-id'] !== undefined && !userId) throw new Error(`--user-id ${JSON.stringify(values['user-id'])} is not a user ID (88 characters of base64url, as the kit shows it)`);
    const remote = values.remote === undefined ? null : parseRemoteSpec(values.remote);
    if (remote && !remote.ok) throw new Error(`--remote ${remote.error}`);
    return { stdin: values['recovery-key-stdin'] ?? false, allowWeak: values['allow-weak-password'] ?? false, userId, remote: remote?.value ?? null, root: values.root };
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${RECOVER_USAGE}`);
  }
}

async function keyAndPassword(io: CliIO, args: RecoverArgs): Promise<{ key: Buffer; next: string }> {
  const [typed, next] = args.stdin ? await readStdinLines(io, 2, '--recovery-key-stdin') : [await promptHidden('Recovery key (from the kit): ', io, '--recovery-key-stdin'), undefined];
  let key: Buffer;
  try {
    key = decodeRecoveryKey(typed ?? '');
  } catch (err) {
    if (err instanceof RecoveryKeyTypo) throw new CliError(`${err.message}.`, 2);
    throw err;
  }
  const password = next ?? (await promptNewPassword(io, ['Choose the new password.']));
  const refusal = passwordRefusal(password, { allowWeak: args.allowWeak });
  if (refusal) throw new CliError(refusal, 2);
  return { key, next: password };
}

/** On a computer that names no account: find it on the remote and write it into the config. */
async function signIn(loaded: LoadedConfig, userId: Ghid, remote: RemoteSpec, io: CliIO): Promise<LoadedConfig> {
  io.err(`Looking for user ID ${userId.short} on ${remote.host}:${remote.port}…`);
  const { fingerprint } = await probeAccount(remote, userId).catch((err: unknown) => {
    throw new CliError(accountFailure(err)?.message ?? (err as Error).message, 1);
  });
  return updateConfig(loaded, { user: { user_id: userId, fingerprint }, remotes: { add: [remote] } });
}

export async function runAccountRecover(argv: string[], io: CliIO): Promise<number> {
  const args = parseRecover(argv);
  const loaded = await loadConfig({ root: args.root, create: true, env: io.env, cwd: io.cwd });
  const named = loaded.config.user.user_id;
  if (!named && !args.userId) throw new CliError(`${loaded.path} names no account: give --user-id and --remote (both are on the recovery kit)`, 2);
  if (named && args.userId && !named.equals(args.userId)) throw new CliError(`${loaded.path} names another account (${named.short}); recover with another --root`, 1);
  const { key, next } = await keyAndPassword(io, args);

  const before = await readFile(loaded.path);
  const current = named ? loaded : await signIn(loaded, args.userId!, args.remote!, io);
  try {
    await whileDaemonStopped({
      loaded: current,
      io,
      credentials: { password: next, recoveryKey: key },
      wrongPassword: 'The recovery key does not open this account.',
      // A legacy user.root_secret would open the account before the new password is asked: it follows.
      change: async (account) => {
        if (current.config.user.root_secret) await updateConfig(current, { user: { root_secret: account.rootSecret } });
      },
      restartWith: () => next,
      byRoot: args.root !== undefined,
    });
  } catch (err) {
    if (!named) await writeFileAtomic(loaded.path, before);
    throw err;
  }
  io.out('New password set: use it on every computer of this account. The old password opens nothing once a computer has synced (one that was off opens its own copy until then).');
  io.out('The recovery key keeps working; make a new kit ("hypergolix account recovery-kit") if anyone else may have seen it.');
  if (!named) await startAppInBackground(current, next, io, args.root !== undefined);
  return 0;
}
