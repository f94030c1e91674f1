/**
 * The UI contract's errors (contract.ts re-exports all of it): the stable codes, the error a
 * response carries, the throw that answers with one, and how any throw becomes one.
 */
import { WireError } from './wire-check.js';

/** The stable error codes. `code` stays a string on the wire so an older UI survives a newer host. */
export const ERROR_CODES = {
  badRequest: 'bad-request',
  unknownRequest: 'unknown-request',
  tooLarge: 'too-large',
  busy: 'busy',
  unavailable: 'unavailable',
  wrongPassword: 'wrong-password',
  /** The password does not open the account, and this computer learned it was changed on another one: the message says when. */
  passwordChanged: 'password-changed',
  /** The account was made by a version that cannot open here. */
  accountOtherVersion: 'account-other-version',
  /** The password opened the account, but something in it is damaged. */
  accountDamaged: 'account-damaged',
  /** No account with this user ID where it was looked for (the remote, the local cache). */
  accountNotFound: 'account-not-found',
  /** The account is not here and no remote could be reached to fetch it. */
  remoteUnreachable: 'remote-unreachable',
  /** A recovery key that cannot be right (length, a character, its check group): a typo. */
  recoveryKeyTypo: 'recovery-key-typo',
  /** A well-formed recovery key that does not open the account (another's, or replaced by a newer kit). */
  wrongRecoveryKey: 'wrong-recovery-key',
  /** The account has no recovery kit. */
  noRecoveryKit: 'no-recovery-kit',
  invalidSettings: 'invalid-settings',
  /** A setting the form changed was also changed elsewhere (another window, the tray, the file) since the form opened. */
  settingsChanged: 'settings-changed',
  invalidState: 'invalid-state',
  noAccount: 'no-account',
  notFound: 'not-found',
  restartFailed: 'restart-failed',
  /** The disk refused a write (full, or read-only): nothing was changed. */
  storageFull: 'storage-full',
  internal: 'internal',
} as const;

export interface HostError {
  code: string;
  message: string;
  /** Per-field problems, keyed by the Settings path ("server.port", "remotes.0.host"). */
  fields?: Record<string, string>;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: HostError };

/** Throw this from a host handler to answer with a typed error instead of 'internal'. */
export class HostFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly fields?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HostFailure';
  }
}

/** Any throw as the error a response carries: HostFailure and WireError keep their code, anything else is 'internal'. */
export function toHostError(e: unknown): HostError {
  if (e instanceof HostFailure) return e.fields ? { code: e.code, message: e.message, fields: e.fields } : { code: e.code, message: e.message };
  if (e instanceof WireError) return { code: e.code, message: e.message };
  return { code: ERROR_CODES.internal, message: e instanceof Error ? e.message : 'Unexpected failure' };
}

export const fail = (code: string, message: string, fields?: Record<string, string>): { ok: false; error: HostError } => ({
  ok: false,
  error: fields ? { code, message, fields } : { code, message },
});
