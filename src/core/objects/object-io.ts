import type { Ghid, GolixObject } from '../golix/index.js';

/**
 * How the account and object layers reach storage: the local validated cache plus every remote.
 * The daemon implements it over its RulesEngine and remote connections; tests over an engine alone.
 */
export interface ObjectIO {
  /** Stores locally (full rules) and queues for every remote, in the given order (bindings first). */
  publish(...objects: GolixObject[]): Promise<void>;
  /**
   * An object by GHID: the local cache first, else the remotes. For a dynamic GHID, the newest
   * frame known (highest counter across remotes, defect 23). Null when nobody has it. `fresh`:
   * a dynamic GHID's frame is asked of the remotes even when one is stored here.
   */
  fetch(ghid: Ghid, opts?: { fresh?: boolean }): Promise<GolixObject | null>;
  /**
   * For a frame of ours of `dynamic` about to be written on the version `writtenOn`: the version
   * the remotes' chain goes through while our frames wait for them (null: none waits), whose
   * secret the object's record keeps (SecretStore, DynamicRecord.base). Absent: nothing waits.
   */
  chainBase?(dynamic: Ghid, writtenOn: Ghid): Ghid | null;
  /**
   * A frame of ours about to be published over another computer's frame that no secret here
   * reads: each remote settles it as a conflict before it goes (Outbox.add's settleFirst).
   */
  settleFirst?(frame: Ghid): void;
  /**
   * Whether frames of ours of `dynamic` wait for a connected remote's answer (sent, or held back
   * for a conflict). Absent: none ever waits.
   */
  waiting?(dynamic: Ghid): boolean;
  /** `ghid` as each connected remote holds it, whatever is stored here (those that have it, in the configured order). Absent: no remotes. */
  eachRemote?(ghid: Ghid): Promise<GolixObject[]>;
}
