/**
 * The account's password rule as the forms that set a new password apply it
 * (src/common/password-rule.ts, which holds the longest password a request may carry), and the
 * words for a password to open the account that is too long to send.
 */
import { MAX_LENGTH as MAX_PASSWORD, passwordRefusal } from '../common/password-rule.js';

/** Why this new password cannot be used, in one sentence, or null when it can (the rule holds the limit too). */
export function newPasswordProblem(pw: string): string | null {
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
