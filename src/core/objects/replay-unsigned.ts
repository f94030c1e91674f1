import { HypergolixError, IllegalDynamicFrame, StorageFull, signUpdate, type PrivateIdentity } from '../golix/index.js';
import type { ObjectIO } from './object-io.js';
import { decodeUnsignedUpdate } from './unsigned-update.js';
import type { UnsignedLog } from './write-behind.js';

export interface ReplayCounts {
  /** Signed, stored and queued now. */
  published: number;
  /** Superseded by a newer frame (the entry's done record was lost in the crash), or not an update. */
  dropped: number;
  /** Not storable now (a full disk): left in the log for the next start. */
  kept: number;
}

/**
 * Publishes the updates a crash left acknowledged but unsigned (write-behind.ts), oldest first,
 * before anything else of the account's objects runs. The GHIDs are the unsigned prefixes'
 * hashes, so an update signed anew is the one the app was told of.
 */
export async function replayUnsigned(log: UnsignedLog, identity: PrivateIdentity, io: ObjectIO, warn: (message: string) => void): Promise<ReplayCounts> {
  const counts: ReplayCounts = { published: 0, dropped: 0, kept: 0 };
  for (const [key, raw] of log.items()) {
    try {
      const u = decodeUnsignedUpdate(key, raw);
      const signed = await signUpdate(identity, u.unsignedContainer, u.unsignedFrame);
      await io.publish(signed.frame, signed.container);
      counts.published++;
    } catch (err) {
      if (!(err instanceof HypergolixError) || err instanceof StorageFull) {
        warn(`an acknowledged update could not be stored yet, kept for the next start: ${(err as Error).message}`);
        counts.kept++;
        continue;
      }
      if (!(err instanceof IllegalDynamicFrame)) warn(`an unsigned update in the log is dropped: ${err.message}`);
      counts.dropped++;
    }
    log.done(key);
  }
  return counts;
}
