/** `hypergolix account login`: sign in on another computer (issue #13, "Sign in on another computer"). */
import { readFile } from 'node:fs/promises';
import { parseArgs } from '../args.js';
import { parseRemoteSpec } from '../../common/config-fields.js';
import { loadConfig, updateConfig } from '../../core/config/index.js';
import { Ghid } from '../../core/golix/index.js';
import { readPidFile } from '../../core/process/index.js';
import { writeFileAtomic } from '../../core/util/atomic-write.js';
import { accountFailure } from '../../host/account-errors.js';
import { probeAccount } from '../../host/account-probe.js';
import { CliError, type CliIO } from '../command.js';
import { promptHidden, readPasswordStdin } from '../prompt.js';
import { startAppInBackground } from './app.js';

export const LOGIN_USAGE = `Usage: hypergolix account login --user-id ID --remote HOST:PORT[:tls] [--password-stdin] [--root PATH]

Signs in on this computer to an account you already have: checks that the remote holds the
user ID, asks for the password, writes user.user_id, user.fingerprint and the remote into
hypergolix.yml, and starts the app daemon, which fetches the account from the remote.

  --user-id ID        the account's user ID (Identity page, recovery kit, config --whoami)
  --remote HOST:PORT  a persistence server that holds the account (add :tls for TLS)
  --password-stdin    read the password from the first line of standard input
  --root PATH         use this hypergolix.yml (or directory) instead of searching`;

interface LoginArgs {
  userId: Ghid;
  remote: { host: string; port: number; tls: boolean };
  passwordStdin: boolean;
  root?: string;
}

function parseLogin(argv: string[]): LoginArgs {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { 'user-id': { type: 'string' }, remote: { type: 'string' }, 'password-stdin': { type: 'boolean', default: false }, root: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    });
    if (!values['user-id']) throw new Error('--user-id is required');
    if (!values.remote) throw new Error('--remote is required');
    let userId: Ghid;
    try {
      userId = Ghid.fromText(values['user-id'].trim());
    } catch {
      throw new Error(`--user-id ${JSON.stringify(values['user-id'])} is not a user ID (88 characters of base64url, as the Identity page shows it)`);
    }
    const remote = parseRemoteSpec(values.remote);
    if (!remote.ok) throw new Error(`--remote ${remote.error}`);
    return { userId, remote: remote.value, passwordStdin: values['password-stdin']!, root: values.root };
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${LOGIN_USAGE}`);
  }
}

export async function runAccountLogin(argv: string[], io: CliIO): Promise<number> {
  const args = parseLogin(argv);
  const loaded = await loadConfig({ root: args.root, create: true, env: io.env, cwd: io.cwd });
  const named = loaded.config.user.user_id;
  if (named) {
    const same = named.equals(args.userId);
    throw new CliError(
      same
        ? `${loaded.path} already names this account; start it with "hypergolix start app"`
        : `${loaded.path} already names another account (${named.short}); sign in with another --root`,
      1,
    );
  }
  const running = readPidFile(loaded.config.process.pid_file);
  if (running?.alive) throw new CliError(`An app daemon is already running here (pid ${running.pid}); stop it first`, 1);

  const where = `${args.remote.host}:${args.remote.port}${args.remote.tls ? ':tls' : ''}`;
  io.err(`Looking for user ID ${args.userId.short} on ${where}…`);
  const { fingerprint } = await probeAccount(args.remote, args.userId).catch((err: unknown) => {
    throw new CliError(accountFailure(err)?.message ?? (err as Error).message, 1);
  });
  io.err(`Found the account (fingerprint ${fingerprint.text}).`);
  const password = args.passwordStdin ? await readPasswordStdin(io) : await promptHidden('Password of this account: ', io);

  // Written before the daemon starts (it reads the file); put back as it was if the sign-in fails.
  const before = await readFile(loaded.path);
  const updated = await updateConfig(loaded, { user: { user_id: args.userId, fingerprint }, remotes: { add: [args.remote] } });
  try {
    await startAppInBackground(updated, password, io, args.root !== undefined);
  } catch (err) {
    await writeFileAtomic(loaded.path, before);
    throw err;
  }
  io.out(`Signed in to the account ${args.userId.text} on this computer.`);
  return 0;
}
