/**
 * A set of listeners told of each value in turn. One that throws is logged and the others are
 * still told: a broken window or notification must not stop the daemon's bookkeeping.
 */
import type { Logger } from '../core/log/index.js';

export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  /** `what` names the listeners in the warning a failing one leaves, e.g. "An event listener". */
  constructor(
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  get size(): number {
    return this.set.size;
  }

  /** Adds a listener; the returned function removes it. */
  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }

  emit(value: T): void {
    for (const listener of [...this.set]) {
      try {
        listener(value);
      } catch (err) {
        this.log.warn(`${this.what} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  clear(): void {
    this.set.clear();
  }
}
