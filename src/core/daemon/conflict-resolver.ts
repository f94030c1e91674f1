/**
 * What the daemon does when a remote refuses one of our frames as not newer: another computer of
 * the account wrote the object (or one of the account's maps) first. The object's newest state
 * here goes on top of the other computer's frame; a map merges with it. The outcome tells the
 * remote's held frames what becomes of them (ConflictOutcome, conflict-holds.ts).
 *
 * It also keeps the resolutions under way, so that a stop lets them finish before the account
 * closes: a resolution that wrote our state on top records its secret last, and closed before,
 * the account would lose that record and a restart could not read the frame it sent.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Account } from '../account/account.js';
import type { AccountMap } from '../account/account-map.js';
import { IllegalDynamicFrame, type Ghid } from '../golix/index.js';
import { retryWhileContainerMissing } from '../objects/container-wait.js';
import { noSecretReads } from '../objects/errors.js';
import type { ConflictResolution, ObjectManager } from '../objects/manager.js';
import type { RemoteLogger } from '../remote/logger.js';
import type { ConflictOutcome } from './conflict-holds.js';
import type { NetworkIO } from './network-io.js';
import { RECORD_WAITS_MS } from './record-waits.js';

/** How long a merge after a lost counter race waits for the winning frame's container (~3 s in all). */
const CONFLICT_CONTAINER_WAIT = { tries: 8, firstWaitMs: 25 };
/** How often a resolution tries again when the other computer's next frame reaches the local store first. */
const RESOLUTION_RACES = 8;

export interface ConflictResolverParts {
  account: Account;
  objects: ObjectManager;
  network: NetworkIO;
  logger: RemoteLogger;
  /** The account map an object is, if it is one (the daemon's routing knows them). */
  accountMap(ghid: Ghid): AccountMap | null;
  /** Aborted when the daemon stops: ends the resolutions' waits, and no new one starts. */
  stopping: AbortSignal;
}

export class ConflictResolver {
  /** Resolutions under way. */
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly p: ConflictResolverParts) {}

  /**
   * A conflict the network raised (NetworkIO's `conflict` event): resolved, then `settle`d with
   * its outcome. Raised once the daemon is stopping (the outbox drains while the network
   * closes), it is not resolved: a resolution could write after the account has closed, and
   * the record of its frame's secret would be lost. Our frames stay queued instead, and the
   * next start's refusal raises the conflict again.
   */
  raised(dynamic: Ghid, settle: (outcome: ConflictOutcome) => void): void {
    if (this.p.stopping.aborted) return settle('failed');
    const resolved = this.resolve(dynamic).then(settle);
    this.running.add(resolved);
    void resolved.finally(() => this.running.delete(resolved));
  }

  /** Once the resolutions under way have finished, or `timeoutMs` has passed (a stop: their waits end at once, a signature may be under way). */
  async finished(timeoutMs: number): Promise<void> {
    const wait = new Promise((r) => setTimeout(r, timeoutMs).unref());
    await Promise.race([Promise.allSettled([...this.running]), wait]);
  }

  /**
   * Another device won a counter race on a remote: merge with its frame and write on top. Says
   * what becomes of our frames of the object held back meanwhile (ConflictOutcome).
   */
  private async resolve(dynamic: Ghid): Promise<ConflictOutcome> {
    const { network, logger, stopping } = this.p;
    const map = this.p.accountMap(dynamic);
    const view = network.remoteView();
    if (!map) return this.resolveObject(dynamic, view);
    try {
      // The winning frame's container may still be on its way to the remote: the frame is
      // fetched again each time, since the other device may have written again meanwhile.
      await retryWhileContainerMissing(async () => {
        const theirs = await view.fetch(dynamic);
        if (theirs?.type === 'GOBD') await map.refresh(theirs, view);
      }, { ...CONFLICT_CONTAINER_WAIT, signal: stopping });
    } catch (err) {
      if (!stopping.aborted) logger.warn(`could not merge a concurrent change to ${dynamic.short}: ${(err as Error).message}`);
    }
    try {
      await map.flush();
      // A map's every frame holds all of it and opens with the account's master secret: its
      // newest frame here stands for the older ones held back, whichever chain it is on.
      return { top: map.head.text, counter: map.counter };
    } catch (err) {
      if (!stopping.aborted) logger.warn(`could not write ${dynamic.short} after a concurrent change: ${(err as Error).message}`);
      return 'failed';
    }
  }

  /** The same race on an app object: its newest state goes on top of the other device's frame. */
  private async resolveObject(dynamic: Ghid, view: ReturnType<NetworkIO['remoteView']>): Promise<ConflictOutcome> {
    const { account, objects, logger, stopping } = this.p;
    try {
      const resolve = async (): Promise<ConflictResolution> => {
        let refreshes = 0;
        let raced = 0;
        let onBase = false;
        for (;;) {
          try {
            return await objects.resolveConflict(dynamic, view, { onBase });
          } catch (err) {
            // (A container not here yet is no unknown secret: retryWhileContainerMissing waits for it.)
            if (noSecretReads(err) && refreshes <= RECORD_WAITS_MS.length) {
              // The other computer wrote more than a legroom past our frame (while we were off): the
              // record that reads its frame is in the account's secrets map, not merged here yet,
              // or not even there (that computer writes its map a second after a change, and
              // then, merging ours, carries its record's secret in ours: SecretStore.carry).
              // Asked again, waiting longer each time, before our frames go as they are.
              if (refreshes > 0) await sleep(RECORD_WAITS_MS[refreshes - 1]!, undefined, { signal: stopping });
              refreshes++;
              await account.secrets.refresh(undefined, view);
            } else if (noSecretReads(err) && !onBase) {
              // The waits are over: ours goes on the version our frames were written on, if
              // that reads better than our frames as they are (ObjectManager.resolveConflict).
              onBase = true;
            } else if (!(err instanceof IllegalDynamicFrame) || raced++ >= RESOLUTION_RACES) {
              throw err;
            }
            // (Or a newer frame reached the local store meanwhile, the other computer writing
            // again: the next try resolves against it.)
          }
        }
      };
      const resolution = await retryWhileContainerMissing(resolve, { ...CONFLICT_CONTAINER_WAIT, signal: stopping });
      if (typeof resolution === 'object' && resolution.oursUnread) logger.warn(`what this computer wrote of ${dynamic.short} could not be read here; the other computer's version, written on top, stands`);
      return resolution === 'not-ours' ? 'dismiss' : resolution === 'no-remote-frame' ? 'failed' : { top: resolution.top.text, counter: resolution.counter };
    } catch (err) {
      if (!stopping.aborted) logger.warn(`could not write after another computer's change to ${dynamic.short}: ${(err as Error).message}`);
      // Unreadable here (a fork deeper than the legroom, and no record that reads the remote's
      // frame): our frames go as they are, the refused ones again later.
      return noSecretReads(err) ? 'send-rest' : 'failed';
    }
  }
}
