/**
 * The words and the UI error code for each way opening an account fails (issue #13): the CLI
 * prints the message, the UI gets the code and the message. One place, so both say the same.
 */
import { ERROR_CODES } from '../common/contract.js';
import { remoteProblemWords } from './remote-words.js';
import {
  AccountFromOtherVersion,
  AccountNotFound,
  AccountUnreachable,
  DamagedAccount,
  IncorrectPassword,
  OutdatedPassword,
  PasswordChangedElsewhere,
  NoRecoveryKit,
  RecoveryKeyTypo,
  WrongRecoveryKey,
} from '../core/account/errors.js';

export interface AccountFailure {
  code: string;
  message: string;
}

/** What to tell the person when `err` ended an unlock, a sign-in or a password change; null for any other failure. */
export function accountFailure(err: unknown): AccountFailure | null {
  // Before IncorrectPassword, which it is to hosts that know no better.
  if (err instanceof PasswordChangedElsewhere) {
    return { code: ERROR_CODES.wrongPassword, message: 'The password was changed on another computer of this account since this one was unlocked: lock Hypergolix and unlock it with the new password, then try again.' };
  }
  // Before IncorrectPassword too: why the password no longer opens the account (root-watch.ts).
  if (err instanceof OutdatedPassword) return { code: ERROR_CODES.passwordChanged, message: `${err.message}.` };
  if (err instanceof IncorrectPassword) {
    return { code: ERROR_CODES.wrongPassword, message: 'Incorrect password: it does not open this account.' };
  }
  if (err instanceof AccountFromOtherVersion) {
    return { code: ERROR_CODES.accountOtherVersion, message: `This account was made by another version of Hypergolix, which this one cannot open. ${err.message}.` };
  }
  if (err instanceof DamagedAccount) {
    // The copy of the root node here is read before the password is tried on it: nothing is known of the password.
    const lead = err.part === 'root copy' ? "The account's files on this computer are damaged" : 'The password is right, but the account is damaged';
    return { code: ERROR_CODES.accountDamaged, message: `${lead}. ${err.message}.` };
  }
  if (err instanceof AccountNotFound) {
    return { code: ERROR_CODES.accountNotFound, message: `${err.message}. Check the user ID, and that the remote is the one that holds this account.` };
  }
  if (err instanceof RecoveryKeyTypo) return { code: ERROR_CODES.recoveryKeyTypo, message: `${err.message}.` };
  if (err instanceof WrongRecoveryKey) return { code: ERROR_CODES.wrongRecoveryKey, message: `${err.message}.` };
  if (err instanceof NoRecoveryKit) return { code: ERROR_CODES.noRecoveryKit, message: `${err.message}.` };
  if (err instanceof AccountUnreachable) {
    const why = err.failure ? remoteProblemWords(err.failure) : null;
    return { code: ERROR_CODES.remoteUnreachable, message: `${err.message}. ${why ?? 'Check the address and your connection.'}` };
  }
  return null;
}
