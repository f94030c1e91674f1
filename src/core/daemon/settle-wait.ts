/**
 * Waiting for our frames of an object to be answered by the remotes before its secret leaves
 * this computer in a share: a frame the server then refuses (another computer of the account
 * wrote first) is a version the recipient can never open, until the conflict writes ours on top.
 * Normally a frame is answered within a round trip; a refused one within a conflict's settling.
 */

/** How long a share waits for that at most; after it, it goes with what is shown. */
export const SETTLE_WAIT_MS = 5_000;

/** How often the outbox is looked at meanwhile (it tells nobody when a frame is answered). */
const POLL_MS = 25;

/** Resolves true once `waiting()` is false; false after `timeoutMs`, or once `signal` aborts. */
export async function untilSettled(waiting: () => boolean, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (waiting()) {
    if (signal.aborted || Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(1, end - Date.now()))));
  }
  return true;
}
