/**
 * What happens to an incoming share, as a pure function of the account's policy and what it
 * knows of the sender. The words the UI, the CLI and the README use for each outcome are in
 * src/common/people.ts and the policy's choices in src/common/config-keys.ts; this is the one
 * place the daemon decides, so the words and the behaviour cannot drift apart.
 *
 * - Blocked (in the contacts, or listed in `sharing.block`): declined, whatever the policy.
 * - Trusted: accepted at once, whatever the policy.
 * - A new share of an object we took from the same sender before (they share it again when we
 *   could no longer catch up with it): accepted at once, whatever the policy.
 * - Anyone else (a contact marked "ask me", or someone not in the contacts): accepted under
 *   `all`, declined under `known`, held for the user under `ask`.
 */
import type { SharingPolicy } from '../../common/config-fields.js';
import type { TrustLevel } from '../../common/people.js';

export type ConsentDecision = 'take' | 'ask' | 'refuse';

export function decideShare(policy: SharingPolicy, trust: TrustLevel | null, blockedInConfig: boolean, takenFromThemBefore = false): ConsentDecision {
  if (blockedInConfig || trust === 'blocked') return 'refuse';
  if (trust === 'trusted' || policy === 'all' || takenFromThemBefore) return 'take';
  return policy === 'known' ? 'refuse' : 'ask';
}

/**
 * How many shares may wait for the user at once, from one sender and from everyone. Each waits
 * in the account's records, which every computer of the account syncs, and in the Shares view:
 * without a bound, anyone who knows the fingerprint could fill both by sending shares. Past it,
 * a share that would wait is declined (the sender is told) until the user answers some.
 */
export interface WaitingLimits {
  perSender: number;
  total: number;
}
export const WAITING_LIMITS: WaitingLimits = { perSender: 20, total: 200 };

/** Why a share from `from` cannot wait for the user beside those waiting (their senders), or null if it can. */
export function noRoomToWait(waitingFrom: readonly string[], from: string, limits: WaitingLimits = WAITING_LIMITS): string | null {
  if (waitingFrom.length >= limits.total) return `${waitingFrom.length} shares already wait for an answer (at most ${limits.total})`;
  const theirs = waitingFrom.filter((f) => f === from).length;
  return theirs >= limits.perSender ? `${theirs} of their shares already wait for an answer (at most ${limits.perSender} from one person)` : null;
}
