import { setTimeout as sleep } from 'node:timers/promises';
import { ContainerMissing } from './errors.js';

/** How long to go on asking for a container that a frame names and that is not here yet. */
export interface ContainerWait {
  /** Attempts in all, the first one included. */
  tries: number;
  /** The wait after the first miss; each later wait doubles, up to `maxWaitMs`. */
  firstWaitMs: number;
  maxWaitMs?: number;
  /** Ends a wait at once (the waiter is closing): the wait rejects with the signal's AbortError. */
  signal?: AbortSignal;
}

/**
 * Runs `attempt` again while it fails with ContainerMissing, waiting longer each time: a frame is
 * published before its container, so the container is usually a moment behind it. Any other
 * error, and the last miss, reach the caller.
 */
export async function retryWhileContainerMissing<T>(attempt: () => Promise<T>, wait: ContainerWait): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ContainerMissing) || tried >= wait.tries) throw err;
      const ms = Math.min(wait.firstWaitMs * 2 ** (tried - 1), wait.maxWaitMs ?? Number.POSITIVE_INFINITY);
      await sleep(ms, undefined, { signal: wait.signal });
    }
  }
}
