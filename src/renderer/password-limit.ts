/**
 * The words for a password to open the account that is too long to send. (A new password is
 * checked by the rule itself, src/common/password-rule.ts, which holds the same limit.)
 */
import { MAX_LENGTH as MAX_PASSWORD } from '../common/password-rule.js';

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
