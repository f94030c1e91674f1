/**
 * Token buckets per key (an identity's fingerprint, or a connection), for the server's publish
 * rate limits (defect 8). A bucket holds up to `burst` tokens and refills at `ratePerSecond`;
 * refilling is computed on use, so there is no timer per bucket.
 *
 * Checking and charging are separate steps so a caller can check before the work and charge only
 * once it knows whom to charge: `wait()` never creates a bucket, and a bucket may go into debt
 * (below zero) when several requests passed the check at once — later requests then wait until
 * the debt is paid off, so the long-run rate still holds.
 *
 * Memory stays bounded: a bucket that has refilled completely is no different from no bucket, so
 * such buckets are dropped in a sweep at most every `sweepMs`, and beyond `maxKeys` the oldest
 * buckets are dropped (which only ever lets their owners publish sooner).
 */
export interface RateLimitOptions {
  /** Tokens added per second (fractions allowed, e.g. 0.5 for one every two seconds). */
  ratePerSecond: number;
  /** Most tokens a bucket holds: how many requests may come at once after a quiet spell. */
  burst: number;
  /** Milliseconds since any epoch; injectable for tests. @default Date.now */
  now?: () => number;
  /** At most this many buckets are kept. @default 100000 */
  maxKeys?: number;
  /** Full buckets are swept at most this often. @default 10000 */
  sweepMs?: number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
}

export class RateLimiter<K> {
  readonly ratePerSecond: number;
  readonly burst: number;
  private readonly now: () => number;
  private readonly maxKeys: number;
  private readonly sweepMs: number;
  private readonly buckets = new Map<K, Bucket>();
  private lastSweep: number;

  constructor(options: RateLimitOptions) {
    if (!(options.ratePerSecond > 0) || !Number.isFinite(options.ratePerSecond)) throw new RangeError('ratePerSecond must be a positive number');
    if (!(options.burst >= 1)) throw new RangeError('burst must be at least 1');
    this.ratePerSecond = options.ratePerSecond;
    this.burst = options.burst;
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? 100_000;
    this.sweepMs = options.sweepMs ?? 10_000;
    this.lastSweep = this.now();
  }

  /** Milliseconds until `key` has a whole token; 0 when it may go ahead now. Changes nothing. */
  wait(key: K): number {
    const b = this.buckets.get(key);
    if (!b) return 0;
    const tokens = this.level(b, this.now());
    // The small allowance keeps floating-point dust from rounding a wait up by a millisecond.
    return tokens >= 1 - 1e-9 ? 0 : Math.max(1, Math.ceil(((1 - tokens) * 1000) / this.ratePerSecond - 1e-6));
  }

  /** Takes `n` tokens from `key`'s bucket, into debt if need be. */
  take(key: K, n = 1): void {
    const now = this.now();
    let b = this.buckets.get(key);
    if (b) {
      b.tokens = this.level(b, now) - n;
      b.at = now;
    } else {
      b = { tokens: this.burst - n, at: now };
      this.buckets.set(key, b);
      if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as K);
    }
    if (now - this.lastSweep >= this.sweepMs) this.sweep(now);
  }

  /** Takes a token when there is one: true if it did, false when `key` must wait. */
  tryTake(key: K): boolean {
    if (this.wait(key) > 0) return false;
    this.take(key);
    return true;
  }

  /** Forgets a key (a closed connection). */
  delete(key: K): void {
    this.buckets.delete(key);
  }

  /** Buckets held now (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  /** Drops every bucket that has refilled completely. */
  sweep(now = this.now()): void {
    this.lastSweep = now;
    for (const [key, b] of this.buckets) if (this.level(b, now) >= this.burst) this.buckets.delete(key);
  }

  private level(b: Bucket, now: number): number {
    return Math.min(this.burst, b.tokens + (Math.max(0, now - b.at) * this.ratePerSecond) / 1000);
  }
}

/** The default burst for a rate: ten seconds' worth, at least one. */
export function defaultBurst(ratePerSecond: number): number {
  return Math.max(1, Math.ceil(ratePerSecond * 10));
}
