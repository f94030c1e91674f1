/**
 * The app's watch of the daemon's status (`HGXLink.watchStatus()`): whether it is on, and the
 * change the daemon may send right behind its answer to the watch, which is told after that
 * answer so the app never sees an older status last.
 */
import type { DaemonStatusJson as DaemonStatus } from '../../../src/wire/index.js';

export class StatusWatch {
  #watching = false;
  /** unwatch() calls so far: one made while a watch() waits for its answer wins over it. */
  #unwatches = 0;
  /** A watch() waits for its answer: a change heard meanwhile is kept for after it. */
  #behind: { status: DaemonStatus | null } | null = null;

  /** `tell` emits a status to the app. */
  constructor(private readonly tell: (status: DaemonStatus) => void) {}

  /** Whether the app watches (asked again after a reconnect). */
  get watching(): boolean {
    return this.#watching;
  }

  /** A change the daemon sent. */
  heard(status: DaemonStatus): void {
    if (this.#behind) this.#behind.status = status;
    else if (this.#watching) this.tell(status);
  }

  /** Starts watching with `ask` (the daemon's answer is the status now), unless unwatched meanwhile. */
  async watch(ask: () => Promise<DaemonStatus>): Promise<DaemonStatus> {
    const behind = (this.#behind = { status: null as DaemonStatus | null });
    const unwatches = this.#unwatches;
    try {
      const now = await ask();
      if (unwatches === this.#unwatches) this.#watching = true;
      // A task, not a microtask: the app's code after `await watchStatus()` runs first (it resumes
      // a few microtasks after this return), so the older status it was given is not shown last.
      if (behind.status) setTimeout(() => this.#watching && this.tell(behind.status!), 0);
      return now;
    } finally {
      if (this.#behind === behind) this.#behind = null;
    }
  }

  /** Stops telling changes at once (the daemon is told by the caller). */
  unwatch(): void {
    this.#watching = false;
    this.#unwatches++;
  }
}
