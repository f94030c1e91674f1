import { CommsError, DoesNotExist, MalformedGolixPrimitive, UnknownSecret, ValueError, type Ghid } from '../golix/index.js';

/*
 * The four ways opening an account fails that a person must be able to tell apart (issue #13):
 * the password is wrong; the account was made by a version that cannot open here; the account
 * is damaged; the account is not where it was looked for. Callers test for the class, never for
 * the message; hosts give each its own words (CLI) and its own error code (UI contract).
 */

/**
 * The password does not open this account: the root manifest's checksum does not match what the
 * password derives. On the wire it is UnknownSecret (000D), as the reference sends; callers that
 * must tell a wrong password from a damaged account test for this class, never for its message.
 */
export class IncorrectPassword extends UnknownSecret {
  constructor(message = 'Incorrect password', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The user ID names an account in a format this version cannot open: a newer manifest version
 * of ours, or a layout of the Python Hypergolix no reader here knows. `format` says what was
 * seen, as data.
 */
export class AccountFromOtherVersion extends ValueError {
  constructor(
    readonly format: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The password opened the account (its checksum or validator matched), but something inside it
 * is not what its format holds. `part` names the account object concerned.
 */
export class DamagedAccount extends MalformedGolixPrimitive {
  constructor(
    readonly part: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`Account object "${part}" is damaged: ${message}`, options);
  }
}

/** Where an account was looked for and not found. */
export type AccountPlace = 'local' | 'remotes' | 'local and remotes';

/** No root node with this user ID in the places searched (the local cache, the remotes). */
export class AccountNotFound extends DoesNotExist {
  constructor(
    readonly userId: Ghid,
    readonly searched: AccountPlace,
    message = `No account with user ID ${userId.text} was found ${searched === 'local' ? 'in the local cache' : searched === 'remotes' ? 'on the remotes' : 'in the local cache or on the remotes'}`,
  ) {
    super(message);
  }
}

/**
 * The account is not in the local cache and no remote could be reached to fetch it: not the
 * same as an account that is not there (AccountNotFound), which a reachable remote answers.
 */
export class AccountUnreachable extends CommsError {
  constructor(
    readonly userId: Ghid,
    /** `host:port` of each remote tried. */
    readonly remotes: readonly string[],
    /** Why the last attempt to connect failed (the socket error's code), when one was seen. */
    readonly failure: { code: string | null; message: string } | null = null,
    message = `Account ${userId.short} is not in the local cache, and no remote could be reached to fetch it (${remotes.join(', ')})`,
  ) {
    super(message);
  }
}

/** A recovery key that cannot be what a kit printed: wrong length, a character no key has, or its check group does not match (a typo). */
export class RecoveryKeyTypo extends ValueError {
  constructor(message: string) {
    super(message);
  }
}

/** The recovery key is well formed but does not open this account (another account's, or replaced by a newer kit). */
export class WrongRecoveryKey extends UnknownSecret {
  constructor(message = 'This recovery key does not open the account: it is another account\'s, or a newer recovery kit replaced it') {
    super(message);
  }
}

/** The account has no recovery kit: a recovery key cannot open it. */
export class NoRecoveryKit extends DoesNotExist {
  constructor(readonly userId: Ghid) {
    super(`The account ${userId.short} has no recovery kit: make one with "hypergolix account recovery-kit" while you still know the password`);
  }
}

/**
 * The password this computer opened the account with no longer opens its newest root frame:
 * another computer of the account changed it (or recovered the account) since. Changing the
 * password or making a kit from here would write the old password back over the new one, so it
 * is refused; signing in again with the new password opens the account here. An IncorrectPassword
 * for hosts that know no better: the password this computer holds is no longer the account's.
 */
export class PasswordChangedElsewhere extends IncorrectPassword {
  constructor(
    readonly userId: Ghid,
    what: string,
    /** Changed on another computer at the same moment as this computer's own root write (root-race.ts). */
    atOnce = false,
  ) {
    super(
      atOnce
        ? `Could not ${what}: another computer of account ${userId.short} changed its password at the same moment, and its change stands; sign in again with the password set there`
        : `Could not ${what}: the password of account ${userId.short} was changed on another computer since this one signed in; sign in again with the new password`,
    );
  }
}

/**
 * The password given does not open the account, and this computer learned, while it had the
 * account open, that its password was changed on another computer (or the account recovered
 * there) at `noticedAt` (epoch ms): most likely the old password, so the person is told to use
 * the new one, or their recovery kit, rather than only that it is wrong.
 */
export class OutdatedPassword extends IncorrectPassword {
  constructor(
    readonly noticedAt: number,
    options?: { cause?: unknown },
  ) {
    super(`Incorrect password: the password of this account was changed on another computer (this computer learned of it on ${new Date(noticedAt).toISOString().replace('T', ' ').slice(0, 16)} UTC); use the new password, or set one with the recovery kit`, options);
  }
}
