/**
 * How long the daemon waits for the record of another computer of the account, and what an
 * update refused for the lack of it does next.
 */
import { IllegalDynamicFrame, UnknownSecret } from '../golix/index.js';

/**
 * The waits of an update of an object another computer of the account wrote more than a legroom
 * past what this one has read (both writing it many times at once), for the record that reads
 * those frames: it comes through the account's secrets map, which that computer writes within a
 * second. And of one that lost every catch-up to the other computer's next frame (it writes
 * faster than this one signs), for a pause in its burst. ~3.4 s in all. A conflict's resolution,
 * and an open after a start, wait the same for that record.
 */
export const RECORD_WAITS_MS = [100, 250, 500, 1_000, 1_500];

/** What an update does after its `attempt`th try (from 0) failed with `err`. */
export type UpdateStep =
  /** The error reaches the app. */
  | 'fail'
  /** Written over the frame not readable here (ObjectManager.update's overUnreadable). */
  | 'over'
  /** Tried again after `waitMs`, the account's secrets map asked again first if `refresh`. */
  | { waitMs: number; refresh: boolean };

/**
 * Only an object read here before is waited for (one never readable fails at once). Its newest
 * frame here unreadable, the record that reads it cannot come while offline, or did not within
 * the waits: the write is then not refused for it, but goes over that frame, and each remote
 * settles it as a conflict before it is sent (Outbox.add's settleFirst). A race lost to every
 * catch-up waits for a pause, and fails after the last wait.
 */
export function nextUpdateStep(err: unknown, attempt: number, o: { live: boolean; online: boolean; stopping: boolean }): UpdateStep {
  const raced = err instanceof IllegalDynamicFrame;
  const unreadable = err instanceof UnknownSecret;
  if (!(unreadable || raced) || !o.live || o.stopping) return 'fail';
  const waitMs = RECORD_WAITS_MS[attempt];
  if (unreadable && (waitMs === undefined || !o.online)) return 'over';
  return waitMs === undefined ? 'fail' : { waitMs, refresh: unreadable };
}
