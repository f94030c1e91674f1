/**
 * The free tier as a quota policy for the rules engine: a registered account gets the server's
 * quota keys (`quota_bytes_per_identity`, `quota_objects_per_identity`), anyone else may store
 * `unregistered_upload_bytes` and is refused beyond it with RegistrationRequired (NK 0011).
 * Only uploads are charged: reads never pass through here.
 */
import type { QuotaPolicy, SignerLimits } from '../rules/usage.js';
import type { AccountRegistry } from './registry.js';

export interface FreeTierOptions {
  /** What an unregistered identity may store, in bytes. */
  freeBytes: number;
  /** The quota of a registered account (null: none). */
  registeredBytes: number | null;
  registeredObjects: number | null;
}

export class FreeTierPolicy implements QuotaPolicy {
  constructor(
    private readonly registry: AccountRegistry,
    private readonly o: FreeTierOptions,
  ) {}

  limitsFor(signer: string): SignerLimits {
    const status = this.registry.get(signer)?.status;
    if (status === 'registered') return { bytes: this.o.registeredBytes, objects: this.o.registeredObjects, freeTier: false };
    // Revoked: the free tier again, and said so (registering anew is refused; the operator approves it again).
    return { bytes: this.o.freeBytes, objects: this.o.registeredObjects, freeTier: true, ...(status === 'revoked' ? { revoked: true } : {}) };
  }
}
