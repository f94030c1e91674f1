/**
 * The account's password rule as the forms that set a new password apply it: the rule itself
 * (src/common/password-rule.ts), plus the longest password a request may carry. Without that
 * limit, a very long (pasted) password passes every check on the page and is then refused by
 * the host as "password: expected a string of 1–1024 characters" after the user pressed the button.
 */
import { passwordRefusal } from '../common/password-rule.js';

/** The contract's limit on a password (LIMITS.password in src/common/contract.ts), counted as it counts: in UTF-16 units. */
export const MAX_PASSWORD = 1024;

/** Why this new password cannot be used, in one sentence, or null when it can. */
export function newPasswordProblem(pw: string): string | null {
  if (pw.length > MAX_PASSWORD) return `Use at most ${MAX_PASSWORD} characters (this one has ${pw.length}).`;
  return passwordRefusal(pw);
}

/**
 * Why a password to open the account cannot be sent as it is (longer than a request may carry),
 * or null. Said here, in words, rather than as the host's "password: expected a string of
 * 1–1024 characters"; most often something else was pasted along with it.
 */
export function tooLongToSend(pw: string): string | null {
  return pw.length > MAX_PASSWORD
    ? `That is longer than any password Hypergolix takes (at most ${MAX_PASSWORD} characters; this one has ${pw.length}). Check what was pasted.`
    : null;
}
