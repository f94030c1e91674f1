// What a RulesEngine is opened and asked to ingest with.
import type { IngestHooks } from './persistence-engine.js';
import type { QuotaOptions, UsageLedger } from './usage.js';

/**
 * `signedHere`: the caller has just made this object with its own private key (the daemon's own
 * publishes), so re-verifying the signature it computed would only burn CPU. Everything else —
 * parsing, hashes, every rule — still applies. Never set it for received bytes.
 */
export interface IngestOptions extends IngestHooks {
  signedHere?: boolean;
}

export interface RulesEngineOptions {
  /** Accept GOBD v15 uploads (2016 era). The reference refuses them; so do we by default. */
  acceptV15?: boolean;
  maxObjectBytes?: number;
  /** How far a chain of bindings may reach before it counts as circular (golix §11). */
  maxChainDepth?: number;
  /** Frames waiting for their container; the oldest are forgotten past this. */
  maxHeldNotifications?: number;
  /**
   * Per-identity storage quotas (defect 8; see usage.ts for who is charged what). A publish that
   * would take its signer over a limit is refused with QuotaExceeded (NK 000A). Off by default,
   * and then nothing is counted at all.
   */
  quota?: QuotaOptions | null;
  /**
   * A ledger kept outside the engine that already holds the usage of every signer the entries
   * name (the postgres engine seeds one from its database for each transaction): it is used as
   * it is, with or without limits, and the entries are not counted into it again.
   */
  ledger?: UsageLedger;
  warn?: (message: string) => void;
}
