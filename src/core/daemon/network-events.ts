import type { Ghid, GolixObject } from '../golix/index.js';
import type { ConflictOutcome } from './conflict-holds.js';
import type { FreeTierUsage, RemoteStorage } from './remote-status.js';

/** What NetworkIO (network-io.ts) tells the daemon. */
export interface NetworkIOEvents {
  /** An object that arrived through a subscription, stored locally (with its container, for frames). */
  notification: [object: GolixObject, subscribed: Ghid];
  /**
   * A remote refused one of our frames as not newer: another device wrote first (defect 19); or
   * the outbox did, for a frame to settle first (Outbox.add). `settle(outcome)` once resolved:
   * until then that frame, and our later frames of the object, stay in the outbox
   * (conflict-holds.ts); a stop in between raises the conflict again at the next start.
   */
  conflict: [dynamic: Ghid, settle: (outcome: ConflictOutcome) => void];
  /** Connection state of a remote changed. */
  remote: [label: string, connected: boolean];
  /** A remote away is tried next at its status's nextAttemptAt (a try failed, or the connection was lost). */
  'remote-retry': [label: string];
  /** A remote's storage became full (its publishes are kept and resent) or took writes again. */
  remoteStorage: [label: string, storage: RemoteStorage];
  /** A remote refused an upload: our free tier there is used up until we register (NK 0011). */
  'free-tier': [label: string, usage: FreeTierUsage];
}
