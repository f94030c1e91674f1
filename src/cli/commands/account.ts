/**
 * `hypergolix account …`: the account on every computer (issue #13). This module dispatches;
 * each verb lives in a module of its own.
 */
import { CliError, type CliIO, type Command } from '../command.js';
import { LOGIN_USAGE, runAccountLogin } from './account-login.js';

type Runner = (argv: string[], io: CliIO) => Promise<number>;

const VERBS: Record<string, { run: Runner; usage: string }> = {
  login: { run: runAccountLogin, usage: LOGIN_USAGE },
};

const USAGE = `Usage: hypergolix account <verb> [options]

  hypergolix account login   sign in on this computer to an account you already have

${Object.values(VERBS)
  .map((v) => v.usage)
  .join('\n\n')}`;

export const accountCommand: Command = {
  name: 'account',
  summary: 'your account on this computer: sign in (account login)',
  usage: USAGE,
  run: async (argv, io) => {
    const [verb, ...rest] = argv;
    const found = verb === undefined ? undefined : VERBS[verb];
    if (!found) throw new CliError(`account what? Expected one of ${Object.keys(VERBS).join(', ')}, got ${verb === undefined ? 'nothing' : `"${verb}"`}.\n\n${USAGE}`);
    return found.run(rest, io);
  },
};
