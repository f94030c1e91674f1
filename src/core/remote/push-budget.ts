/**
 * One server-wide budget for the pushes (`!!`, and the GARQs replayed on `+S`) waiting for
 * subscribers: queued, or sent and not yet acknowledged. Memory is bounded by configuration
 * (`server.push_budget_bytes`), not by the number of peers: when a push would take the total over
 * the budget, the subscriber holding the most is disconnected — close code 1013 (try again
 * later) with the reason `push_budget` — and everything it held is released at once. Its client
 * reconnects, subscribes again and catches up (a `+S` replays the GARQs, a daemon fetches the
 * current frame of each dynamic GHID), so nothing is lost; only a peer that cannot keep up pays.
 */

/** The reason a subscriber that fell behind is disconnected with: a token, as data. */
export const PUSH_BUDGET_REASON = 'push_budget';

/** What the budget asks of a peer it holds pushes for. */
export interface BudgetHolder {
  readonly name: string;
  /** Disconnect now, dropping everything queued for it (which releases its share). */
  evict(): void;
}

export interface PushBudgetOptions {
  bytes: number;
  /** Told of every subscriber disconnected for falling behind. */
  onEvict?: (holder: BudgetHolder, heldBytes: number) => void;
}

export class PushBudget {
  readonly limit: number;
  private used = 0;
  private readonly held = new Map<BudgetHolder, number>();
  /** Subscribers disconnected for falling behind, since start. */
  evictions = 0;

  constructor(private readonly o: PushBudgetOptions) {
    this.limit = o.bytes;
  }

  /** Bytes of pushes queued or in flight, over all subscribers. */
  get bytes(): number {
    return this.used;
  }

  heldBy(holder: BudgetHolder): number {
    return this.held.get(holder) ?? 0;
  }

  /**
   * Makes room for `bytes` more for `holder`, disconnecting the subscribers that hold the most
   * (possibly `holder` itself) until they fit. False when `holder` was disconnected: drop the push.
   */
  reserve(holder: BudgetHolder, bytes: number): boolean {
    while (this.used + bytes > this.limit) {
      const heaviest = this.heaviest();
      // Nobody holds anything, and still it does not fit: this one push is larger than the budget.
      if (!heaviest) {
        this.evict(holder);
        return false;
      }
      this.evict(heaviest);
      if (heaviest === holder) return false;
    }
    this.used += bytes;
    this.held.set(holder, (this.held.get(holder) ?? 0) + bytes);
    return true;
  }

  /** Gives back what a push held (acknowledged, failed, or dropped). */
  release(holder: BudgetHolder, bytes: number): void {
    const had = this.held.get(holder);
    if (had === undefined) return;
    const give = Math.min(had, bytes);
    this.used -= give;
    if (had - give <= 0) this.held.delete(holder);
    else this.held.set(holder, had - give);
  }

  /** Forgets a holder that has gone, releasing whatever it still held. */
  forget(holder: BudgetHolder): void {
    const had = this.held.get(holder);
    if (had === undefined) return;
    this.used -= had;
    this.held.delete(holder);
  }

  private heaviest(): BudgetHolder | null {
    let best: BudgetHolder | null = null;
    let most = 0;
    for (const [h, n] of this.held) {
      if (n > most) {
        best = h;
        most = n;
      }
    }
    return best;
  }

  /**
   * Disconnects a subscriber for falling behind, counted and told (`onEvict`) as every such
   * disconnection is: here when the budget is spent, or by its own queue's bounds (PushQueue).
   */
  evict(holder: BudgetHolder): void {
    const had = this.heldBy(holder);
    this.forget(holder);
    this.evictions++;
    this.o.onEvict?.(holder, had);
    holder.evict();
  }
}
