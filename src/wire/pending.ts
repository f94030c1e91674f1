/**
 * One end's own requests awaiting an answer, by token, and the tokens it may use next.
 *
 * Tokens are random u16 values, never 0 (kept for `NK`s to frames too short to name a token),
 * never one in use, and never one retired: the token of a request that timed out is held back
 * for one more timeout period, so a late answer cannot be taken for the answer to a newer
 * request that reused it.
 */
import { MAX_TOKEN } from './frame.js';

type Timer = ReturnType<typeof setTimeout>;

interface Entry<B> {
  readonly resolve: (body: B) => void;
  readonly reject: (err: Error) => void;
  readonly timer: Timer;
}

/** Lets a timer not keep a Node process alive; browsers have no such notion. */
function unref(timer: Timer): void {
  (timer as { unref?: () => void }).unref?.();
}

/** Random u16 values, drawn from the platform's CSPRNG a batch at a time. */
class RandomTokens {
  private readonly batch = new Uint16Array(64);
  private next = this.batch.length;

  take(): number {
    if (this.next === this.batch.length) {
      globalThis.crypto.getRandomValues(this.batch);
      this.next = 0;
    }
    return this.batch[this.next++]!;
  }
}

export class PendingRequests<B> {
  private readonly entries = new Map<number, Entry<B>>();
  private readonly retired = new Map<number, Timer>();
  private readonly random = new RandomTokens();

  /** `max` is at most half the token space, so that a free token is always found quickly. */
  constructor(readonly max: number) {}

  get size(): number {
    return this.entries.size;
  }

  has(token: number): boolean {
    return this.entries.has(token);
  }

  /** A token free for a new request. Random ones make a stale or forged answer unlikely to hit a live request. */
  allocate(): number {
    for (;;) {
      const token = this.random.take();
      if (token !== 0 && token <= MAX_TOKEN && !this.entries.has(token) && !this.retired.has(token)) return token;
    }
  }

  /**
   * Waits for the answer to `token`: `settle` resolves or rejects it; after `timeoutMs` it
   * rejects with `onTimeout()` and the token is retired.
   */
  add(token: number, timeoutMs: number, onTimeout: () => Error): Promise<B> {
    return new Promise<B>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.entries.delete(token);
        this.retire(token, timeoutMs);
        reject(onTimeout());
      }, timeoutMs);
      this.entries.set(token, { resolve, reject, timer });
    });
  }

  /** Ends the request waiting on `token`. False when none does. */
  settle(token: number, outcome: B | Error): boolean {
    const entry = this.entries.get(token);
    if (!entry) return false;
    this.entries.delete(token);
    clearTimeout(entry.timer);
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
    return true;
  }

  /** True (and forgets it) when `token` belonged to a request that timed out recently. */
  takeRetired(token: number): boolean {
    const timer = this.retired.get(token);
    if (timer === undefined) return false;
    clearTimeout(timer);
    this.retired.delete(token);
    return true;
  }

  /** Rejects every waiting request with `err` and forgets the retired tokens. */
  failAll(err: Error): void {
    for (const timer of this.retired.values()) clearTimeout(timer);
    this.retired.clear();
    for (const token of [...this.entries.keys()]) this.settle(token, err);
  }

  private retire(token: number, ms: number): void {
    if (this.retired.size >= this.max) return; // never let timeouts exhaust the token space
    const timer = setTimeout(() => this.retired.delete(token), ms);
    unref(timer);
    this.retired.set(token, timer);
  }
}
