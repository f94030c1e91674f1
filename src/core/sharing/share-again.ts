/**
 * Asking for a share again. Another user's object is read along its frames alone, each naming
 * the last 7 versions: a daemon that did not follow it through more writes than that (its
 * computer was off) cannot read it again, and only a new share, with the secret of a current
 * version, opens it. Rather than have every author re-send secrets to everyone every few
 * versions (requests piling up on the server for recipients who stay away), the recipient asks,
 * once it finds itself behind: an `NK` request (golix §6.1) whose target is the object, not a
 * request of ours, with the status below. The Python reference writes status 0 and only ever
 * answers requests with NK, so it logs such a request as a NAK for an unknown origin and does
 * nothing else; this project's sharer answers with a new handshake, as a user would.
 */
import type { OutgoingState } from './share-records.js';

/** The NK status (a u32 the reference always writes as 0) meaning "share this object with me again". */
export const SHARE_AGAIN_STATUS = 1;

/**
 * The NK status with which a recipient answers a share again whose secret opened nothing here:
 * the sharer's computer shared the version it shows, which the server never took (its write lost
 * a race with another computer of the account, and the conflict is not settled yet). Answered
 * with the reference's 0, the sharer would count the share declined and never share it again;
 * with this one it keeps the share as taken and answers the recipient's next ask at once
 * (ASK_AGAIN_AFTER_NOTHING_MS). The reference reads any NK as a refusal, and never asks again.
 */
export const OPENED_NOTHING_STATUS = 2;

/**
 * When a recipient asks again after each share again that opened nothing: soon, as the sharer's
 * conflict is usually settled within seconds, then less often; after the last, once a day
 * (ASK_AGAIN_EVERY_MS). A sharer that stays on its fork is asked a bounded number of times.
 */
export const ASK_AGAIN_AFTER_NOTHING_MS: readonly number[] = [2_000, 10_000, 60_000, 10 * 60_000, 60 * 60_000];

/**
 * How often a recipient asks again for one object it still cannot read. A request waits on the
 * server until the sharer's daemon answers it, so asking again helps only when an answer went
 * astray; and a Python sharer never removes it, so each ask stays there.
 */
export const ASK_AGAIN_EVERY_MS = 24 * 60 * 60 * 1000;

/**
 * How often a sharer shares one object again with one recipient, however often they ask, unless
 * they took the last one since (each take costs them a signed answer): then at once.
 */
export const SHARE_AGAIN_EVERY_MS = 10 * 60 * 1000;

/**
 * Whether a request to share an object again is honoured: only for someone we shared it with
 * and who took it, or has it on its way (the request cannot widen who reads the object: they
 * were sent its secret already), and never for someone blocked since. One on its way is shared
 * again only once a period is over (Sharing): its answer may have been lost, taken in by another
 * computer of the account before this one's record of the share reached it.
 */
export function decideShareAgain(sent: OutgoingState | null, blocked: boolean): 'share' | 'ignore' {
  return (sent === 'accepted' || sent === 'waiting') && !blocked ? 'share' : 'ignore';
}

/** At most one go per key within a period (memory only: a restart allows one more). */
export class Throttle {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly periodMs: number,
    private readonly max = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True, and remembered, when `key` had no go within the period. */
  take(key: string): boolean {
    const t = this.now();
    const before = this.last.get(key);
    if (before !== undefined && t - before < this.periodMs) return false;
    this.last.delete(key);
    this.last.set(key, t);
    if (this.last.size > this.max) this.last.delete(this.last.keys().next().value!);
    return true;
  }

  /** When `key` last had its go, if within memory. */
  lastGo(key: string): number | null {
    return this.last.get(key) ?? null;
  }

  /** Gives `key` its go back (what it was taken for did not happen, or was answered). */
  forget(key: string): void {
    this.last.delete(key);
  }
}
