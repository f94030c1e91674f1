/**
 * Short-lived registration challenges: random, issued by the server over HTTP, each good for
 * one registration within its lifetime. A challenge the server never issued (forged), one used
 * before (replayed) or one past its time is refused. Kept in memory only: a restart forgets
 * them, which costs a client one new challenge.
 */
import { randomBytes } from 'node:crypto';

export const CHALLENGE_TTL_MS = 10 * 60_000;
/** Outstanding challenges; beyond this the oldest are dropped (a flood cannot grow memory). */
export const MAX_CHALLENGES = 10_000;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export class ChallengeBook {
  /** challenge → when it expires. Insertion order is issue order, so the oldest come first. */
  private readonly live = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = CHALLENGE_TTL_MS,
    private readonly max = MAX_CHALLENGES,
  ) {}

  issue(): { challenge: string; expiresInMs: number } {
    this.sweep();
    while (this.live.size >= this.max) this.live.delete(this.live.keys().next().value!);
    const challenge = randomBytes(32).toString('base64url');
    this.live.set(challenge, this.now() + this.ttlMs);
    return { challenge, expiresInMs: this.ttlMs };
  }

  /** Whether `challenge` was issued here, is unused and is still in time. */
  isLive(challenge: string): boolean {
    if (!CHALLENGE.test(challenge)) return false;
    const expires = this.live.get(challenge);
    if (expires === undefined) return false;
    if (expires <= this.now()) {
      this.live.delete(challenge);
      return false;
    }
    return true;
  }

  /** Uses a live challenge up; false when it was not live. */
  take(challenge: string): boolean {
    if (!this.isLive(challenge)) return false;
    this.live.delete(challenge);
    return true;
  }

  get size(): number {
    return this.live.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [c, expires] of this.live) {
      if (expires > now) break;
      this.live.delete(c);
    }
  }
}
