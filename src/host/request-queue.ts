/**
 * State-changing requests (unlock, save, a hand edit's restart…) run one at a time, in order,
 * so two of them never stop and start the daemon at once. Once closed, the request running
 * finishes and those whose turn comes later are refused.
 */
import { ERROR_CODES, HostFailure } from '../common/contract.js';

export class RequestQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** Runs `fn` after everything queued before it; rejects as `fn` does (the queue goes on). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(() => {
      if (this.closed) throw new HostFailure(ERROR_CODES.unavailable, 'Hypergolix is shutting down');
      return fn();
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves once everything queued, including what was queued meanwhile, has finished. */
  async settled(): Promise<void> {
    for (;;) {
      const tail = this.tail;
      await tail;
      if (tail === this.tail) return;
    }
  }

  /** Refuses every request whose turn comes from now on; resolves once the running one has finished. */
  close(): Promise<void> {
    this.closed = true;
    return this.settled();
  }
}
