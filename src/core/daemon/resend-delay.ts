import { HypergolixError, StorageFull } from '../golix/index.js';

/** How long to wait before resending to a remote whose storage was full, when it did not say. */
export const STORAGE_FULL_RESEND_MS = 5_000;

/**
 * How long to hold a publish that a remote refused for now rather than for what it is: the
 * remote said when to ask again (NK details' `retryAfterMs`: a rate limit, defect 8, or a server
 * going down), or its storage is full (a reference-era server never says when). Null for a real
 * refusal.
 */
export function resendDelayMs(err: unknown): number | null {
  if (err instanceof HypergolixError && err.retryAfterMs !== undefined) {
    // A little jitter so that many daemons refused together do not come back together.
    return Math.min(60_000, err.retryAfterMs) * (1 + Math.random() * 0.2);
  }
  return err instanceof StorageFull ? STORAGE_FULL_RESEND_MS : null;
}
