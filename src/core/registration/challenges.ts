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
export const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** A fresh challenge's text: 32 random bytes, base64url. */
export function newChallenge(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Where challenges are kept: this process (`ChallengeBook`) for one server, the shared database
 * for a cluster (src/core/postgres/challenges.ts), where the node that issued a challenge is
 * rarely the one its link comes back to.
 */
export interface Challenges {
  issue(): { challenge: string; expiresInMs: number } | Promise<{ challenge: string; expiresInMs: number }>;
  isLive(challenge: string): boolean | Promise<boolean>;
  take(challenge: string): boolean | Promise<boolean>;
  /** Outstanding challenges, as last counted (for /metrics). */
  readonly size: number;
}

export class ChallengeBook implements Challenges {
  /** challenge → when it expires. Insertion order is issue order, so the oldest come first. */
  private readonly live = new Map<string, number>();

  constructor(
    // Monotonic: a wall clock stepped back would keep challenges past their time, stepped forward end them at once.
    private readonly now: () => number = () => performance.now(),
    private readonly ttlMs = CHALLENGE_TTL_MS,
    private readonly max = MAX_CHALLENGES,
  ) {}

  issue(): { challenge: string; expiresInMs: number } {
    this.sweep();
    while (this.live.size >= this.max) this.live.delete(this.live.keys().next().value!);
    const challenge = newChallenge();
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
    // Every one: with a clock given that may step (a test's, a wall clock), issue order need not be expiry order.
    for (const [c, expires] of this.live) if (expires <= now) this.live.delete(c);
  }
}
