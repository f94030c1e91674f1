/**
 * How a link tries again: connecting at first (until a deadline, the delay doubling from 100 ms
 * to 1 s), and reconnecting after the daemon went away (a jittered back-off, for as long as the
 * link is not closed). The link supplies the attempt; errors that will not change by retrying
 * (a wrong key, a daemon of another protocol) end both at once.
 */
import { AuthFailed, IncompatibleDaemon } from './errors.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Whether retrying cannot help: the key is wrong or the daemon speaks another protocol. */
export const isFinal = (err: unknown): boolean => err instanceof AuthFailed || err instanceof IncompatibleDaemon;

/**
 * Runs `attempt(timeLeftMs)` until it succeeds (true) or `timeoutMs` has passed (false, and
 * `lastError` holds why the last attempt failed). A final error is thrown at once.
 */
export async function attemptWithin(timeoutMs: number, attempt: (timeLeftMs: number) => Promise<void>): Promise<{ ok: boolean; lastError: string }> {
  const deadline = Date.now() + timeoutMs;
  let delay = 100;
  let lastError = '';
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return { ok: false, lastError };
    try {
      await attempt(Math.max(left, 50));
      return { ok: true, lastError };
    } catch (err) {
      if (isFinal(err)) throw err;
      lastError = (err as Error).message;
    }
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    delay = Math.min(delay * 2, 1000);
  }
}

/**
 * The waits of one link, which its close() ends at once (`wake`): a waiting timer would keep a
 * closed link's process alive for up to the longest back-off.
 */
export class Pause {
  readonly #waits = new Set<{ timer: ReturnType<typeof setTimeout>; done: () => void }>();

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wait = { timer: setTimeout(() => wait.done(), ms), done: () => (this.#waits.delete(wait), resolve()) };
      this.#waits.add(wait);
    });
  }

  /** Ends every wait now. */
  wake(): void {
    for (const wait of [...this.#waits]) {
      clearTimeout(wait.timer);
      wait.done();
    }
  }
}

export interface Reconnection {
  /** Waits between tries (close() ends the wait). */
  sleep(ms: number): Promise<void>;
  minDelayMs: number;
  maxDelayMs: number;
  /** Whether the link was closed meanwhile: no more tries. */
  closed(): boolean;
  /** One try; rejects when it failed. */
  attempt(): Promise<void>;
  /** A try failed with a final error, or the 21st failed: told to the app (the tries go on). */
  report(err: Error): void;
}

/** Tries to reconnect, waiting between half and all of a delay that doubles up to the longest, until a try succeeds (true) or the link is closed (false). */
export async function reconnectLoop(r: Reconnection): Promise<boolean> {
  for (let attempt = 0; !r.closed(); attempt++) {
    const base = Math.min(r.maxDelayMs, r.minDelayMs * 2 ** Math.min(attempt, 20));
    await r.sleep(base / 2 + Math.random() * (base / 2));
    if (r.closed()) return false;
    try {
      await r.attempt();
      return true;
    } catch (err) {
      if (isFinal(err) || attempt === 20) r.report(err as Error);
    }
  }
  return false;
}
