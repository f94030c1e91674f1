/**
 * `hypergolix account …`: the account on every computer (issue #13). This module dispatches;
 * each verb lives in a module of its own.
 */
import { CliError, type CliIO, type Command } from '../command.js';
import { LOGIN_USAGE, runAccountLogin } from './account-login.js';
import { PASSWORD_USAGE, runAccountPassword } from './account-password.js';
import { RECOVER_USAGE, runAccountRecover } from './account-recover.js';
import { RECOVERY_KIT_USAGE, runAccountRecoveryKit } from './account-recovery-kit.js';

type Runner = (argv: string[], io: CliIO) => Promise<number>;

const VERBS: Record<string, { run: Runner; usage: string }> = {
  login: { run: runAccountLogin, usage: LOGIN_USAGE },
  password: { run: runAccountPassword, usage: PASSWORD_USAGE },
  'recovery-kit': { run: runAccountRecoveryKit, usage: RECOVERY_KIT_USAGE },
  recover: { run: runAccountRecover, usage: RECOVER_USAGE },
};

const USAGE = `Usage: hypergolix account <verb> [options]

  hypergolix account login     sign in on this computer to an account you already have
  hypergolix account password  change the account's password
  hypergolix account recovery-kit  make a recovery kit (a key that sets a new password)
  hypergolix account recover   set a new password with the recovery kit's key

${Object.values(VERBS)
  .map((v) => v.usage)
  .join('\n\n')}`;

export const accountCommand: Command = {
  name: 'account',
  usage: USAGE,
  usageOf: ([verb]) => (verb !== undefined && Object.hasOwn(VERBS, verb) ? VERBS[verb]!.usage : null),
  run: async (argv, io) => {
    const [verb, ...rest] = argv;
    const found = verb === undefined ? undefined : VERBS[verb];
    if (!found) throw new CliError(`account what? Expected one of ${Object.keys(VERBS).join(', ')}, got ${verb === undefined ? 'nothing' : `"${verb}"`}.\n\n${USAGE}`);
    return found.run(rest, io);
  },
};
