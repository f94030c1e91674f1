/**
 * A histogram with fixed bucket bounds, the shape of Prometheus's `histogram` type: constant
 * memory however many observations, no timer. Used for the latencies an operator watches on
 * `/metrics` (a publish's answer, a store's durable commit), where an average would hide the
 * slow tail that users feel.
 */

/** What a histogram holds at one moment, ready to render. */
export interface HistogramSnapshot {
  /** Upper bounds of the buckets, ascending; the last bucket (+Inf) is implicit. */
  readonly bounds: readonly number[];
  /** `cumulative[i]`: observations ≤ `bounds[i]`. Observations above the last bound count only in `count`. */
  readonly cumulative: readonly number[];
  readonly sum: number;
  readonly count: number;
}

/**
 * Bounds for durations in seconds, 100 µs to 10 s: a journal write on a quiet SSD takes
 * ~0.1 ms, the same write under load or a database transaction a few milliseconds, and a
 * disk in trouble seconds.
 */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export class Histogram {
  /** Observations per bucket (not cumulative); the last entry is the +Inf bucket. */
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(readonly bounds: readonly number[] = DURATION_BUCKETS_SECONDS) {
    if (bounds.length === 0) throw new RangeError('a histogram needs at least one bucket bound');
    for (let i = 0; i < bounds.length; i++) {
      if (!Number.isFinite(bounds[i]!) || (i > 0 && bounds[i]! <= bounds[i - 1]!)) {
        throw new RangeError(`histogram bounds must be finite and strictly ascending, got ${bounds.join(', ')}`);
      }
    }
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Counts one value; a negative or non-finite one (a clock that went back) is ignored. */
  observe(value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** Counts the seconds since `startedMs` (a `performance.now()` reading). */
  observeSince(startedMs: number): void {
    this.observe((performance.now() - startedMs) / 1000);
  }

  snapshot(): HistogramSnapshot {
    const cumulative: number[] = [];
    let running = 0;
    for (let i = 0; i < this.bounds.length; i++) cumulative.push((running += this.counts[i]!));
    return { bounds: this.bounds, cumulative, sum: this.sum, count: this.count };
  }
}
