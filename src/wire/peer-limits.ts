/**
 * The numbers a `Peer` runs on, read from its options and checked once at construction. A value
 * that is no usable number would not fail where it was given but later and far away: a timer of
 * NaN, 0, Infinity or past 2^31-1 ms fires after 1 ms (every request times out at once, a
 * heartbeat of "never" drops the peer after 2 ms), and a limit of NaN makes every comparison
 * false (no bound at all, or a queue that never runs). Such values are refused with a
 * ValueError naming the option.
 */
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS } from './defaults.js';
import { ValueError } from './errors.js';
import { FRAME_HEADER_BYTES } from './frame.js';
import type { PeerOptions } from './peer-options.js';

/** The longest delay a JavaScript timer keeps (about 24.8 days); a longer one fires at once. */
export const LONGEST_TIMER_MS = 2 ** 31 - 1;

export interface PeerLimits {
  readonly requestTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly maxOutstanding: number;
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  readonly maxQueuedBytes: number;
  readonly maxMessageBytes: number;
  readonly maxBufferedBytes: number;
}

/** The options peerLimits reads. */
export type LimitOptions = Pick<
  PeerOptions,
  'requestTimeoutMs' | 'heartbeatMs' | 'maxOutstandingRequests' | 'maxConcurrentHandlers' | 'maxQueuedRequests' | 'maxQueuedBytes' | 'maxMessageBytes' | 'maxBufferedBytes'
>;

/** `maxOutstanding`'s ceiling: half the token space, so retired tokens always leave room. */
export function peerLimits(o: LimitOptions, maxOutstandingCeiling: number): PeerLimits {
  return {
    requestTimeoutMs: timerDelay('requestTimeoutMs', o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
    heartbeatMs: o.heartbeatMs === 0 || o.heartbeatMs === undefined ? 0 : timerDelay('heartbeatMs (0 for none)', o.heartbeatMs),
    maxOutstanding: count('maxOutstandingRequests', o.maxOutstandingRequests ?? 1024, 1, maxOutstandingCeiling),
    maxConcurrent: count('maxConcurrentHandlers', o.maxConcurrentHandlers ?? 32, 1),
    maxQueued: count('maxQueuedRequests', o.maxQueuedRequests ?? 256, 0),
    maxQueuedBytes: count('maxQueuedBytes', o.maxQueuedBytes ?? 32 * 1024 * 1024, 0),
    maxMessageBytes: count('maxMessageBytes', o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, FRAME_HEADER_BYTES),
    maxBufferedBytes: count('maxBufferedBytes', o.maxBufferedBytes ?? 64 * 1024 * 1024, 0),
  };
}

/** A delay a timer keeps: a whole number of milliseconds from 1 to LONGEST_TIMER_MS. */
export function timerDelay(name: string, v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= LONGEST_TIMER_MS) return v;
  throw new ValueError(`${name} is a whole number of milliseconds from 1 to ${LONGEST_TIMER_MS}, not ${String(v)}`);
}

/** A whole number from `min` to `max`, or a ValueError naming `name`. */
export function count(name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
  throw new ValueError(`${name} is a whole number from ${min} to ${max}, not ${String(v)}`);
}
