/**
 * Per-identity storage quotas (hypergolix-reference §11 defect 8): what each identity has stored,
 * kept up to date by the rules engine as objects are stored, replaced and collected.
 *
 * Who is charged for an object: the identity that signed it — the author of a GEOC, the binder of
 * a GOBS or GOBD, the debinder of a GDXX. That is also who can free it again (a debinding, a newer
 * frame). Two kinds are charged to nobody:
 *
 * - GIDC: it is the identity itself, at most one per identity, and must always be accepted so that
 *   others can verify its objects and address requests to it.
 * - GARQ: its sender is hidden inside the encrypted payload, and charging the recipient would let
 *   anyone fill (and so lock) a stranger's quota just by sending it requests. GARQs have a fixed
 *   size; the server's per-connection rate limit for unsigned publishes bounds them instead.
 *
 * Everything the ledger needs is in the store's entries (size and signer), so it is rebuilt at
 * open from the index without reading or parsing any object.
 */
import { RegistrationRequired, RemoteNak } from '../golix/index.js';
import type { Entry } from '../store/entry.js';

export interface QuotaOptions {
  /** Bytes of stored objects one identity may have signed; null or undefined for no limit. */
  bytesPerIdentity?: number | null;
  /** Stored objects one identity may have signed; null or undefined for no limit. */
  objectsPerIdentity?: number | null;
  /**
   * Limits that depend on who signs (a server's registered accounts and its free tier): asked
   * per admission; absent, every identity has the two limits above.
   */
  policy?: QuotaPolicy | null;
}

/** The limits one signer has now, by a policy outside the engine (the server's registrations). */
export interface SignerLimits {
  bytes: number | null;
  objects: number | null;
  /**
   * The signer is not registered and `bytes` is its free allowance: going over it is refused
   * with RegistrationRequired (NK 0011, `used` and `limit` as details), not QuotaExceeded.
   */
  freeTier: boolean;
  /** On the free tier because the operator revoked its registration (reason "revoked", not "unregistered"). */
  revoked?: boolean;
}

export interface QuotaPolicy {
  limitsFor(signer: string): SignerLimits;
}

export interface Usage {
  bytes: number;
  objects: number;
}

/**
 * A publish refused because its signer's quota is full. The reference has no code for "over
 * quota" (§3.2), so this is 000A RemoteNak, the remote's generic refusal, which the server also
 * answers for its allow-list and its subscription cap. The specific codes 0001–0009 would each
 * claim the object itself is wrong (and 0009, say, makes a daemon merge and retry), and
 * 0000/FFFF read as a fault of the server; the message says what happened.
 */
export class QuotaExceeded extends RemoteNak {}

/** Bytes and objects per signer, over the objects actually stored. */
export class UsageLedger {
  private readonly bySigner = new Map<string, Usage>();
  private totalBytes = 0;
  private totalObjects = 0;
  readonly bytesLimit: number | null;
  readonly objectsLimit: number | null;
  private readonly policy: QuotaPolicy | null;

  constructor(quota: QuotaOptions) {
    this.bytesLimit = quota.bytesPerIdentity ?? null;
    this.objectsLimit = quota.objectsPerIdentity ?? null;
    this.policy = quota.policy ?? null;
  }

  /** Forgets every charge (before counting the entries again). */
  clear(): void {
    this.bySigner.clear();
    this.totalBytes = 0;
    this.totalObjects = 0;
  }

  /** Charges a stored entry to its signer; unsigned entries (GIDC, GARQ) are free. */
  add(e: Entry): void {
    const signer = e.signer;
    if (signer === undefined) return;
    const u = this.bySigner.get(signer);
    if (u) {
      u.bytes += e.size;
      u.objects++;
    } else {
      this.bySigner.set(signer, { bytes: e.size, objects: 1 });
    }
    this.totalBytes += e.size;
    this.totalObjects++;
  }

  /** Sets what `signer` has stored, as counted elsewhere (a database's usage table). */
  seed(signer: string, usage: Usage): void {
    const before = this.of(signer);
    this.totalBytes += usage.bytes - before.bytes;
    this.totalObjects += usage.objects - before.objects;
    if (usage.objects > 0) this.bySigner.set(signer, { ...usage });
    else this.bySigner.delete(signer);
  }

  /** Credits a removed entry back; an identity with nothing left is forgotten. */
  remove(e: Entry): void {
    const signer = e.signer;
    if (signer === undefined) return;
    const u = this.bySigner.get(signer);
    if (!u) return;
    u.bytes -= e.size;
    this.totalBytes -= e.size;
    this.totalObjects--;
    if (--u.objects <= 0) this.bySigner.delete(signer);
  }

  /**
   * Throws QuotaExceeded unless `signer` may store `bytes` (and `objects`) more. Negative amounts
   * (a frame that replaces a larger one) always pass.
   */
  admit(signer: string, type: string, bytes: number, objects: number): void {
    const u = this.bySigner.get(signer);
    const usedBytes = u?.bytes ?? 0;
    const usedObjects = u?.objects ?? 0;
    const limits = this.policy?.limitsFor(signer) ?? { bytes: this.bytesLimit, objects: this.objectsLimit, freeTier: false };
    if (limits.bytes !== null && bytes > 0 && usedBytes + bytes > limits.bytes) {
      if (limits.freeTier) {
        const over = `stores ${usedBytes} of the ${limits.bytes} bytes this server allows unregistered accounts, and this ${type} needs ${bytes} more`;
        throw new RegistrationRequired(
          limits.revoked
            ? `Registration revoked: this server's operator revoked the registration of identity ${short(signer)}, which ${over}; ask the operator to approve it again`
            : `Free tier used up: identity ${short(signer)} ${over}; register on this server to upload more`,
          { reason: limits.revoked ? 'revoked' : 'unregistered', used: usedBytes, limit: limits.bytes },
        );
      }
      throw new QuotaExceeded(
        `Storage quota exceeded: identity ${short(signer)} stores ${usedBytes} of its ${limits.bytes} bytes on this server, ` +
          `and this ${type} needs ${bytes} more; delete something (debind it) first`,
      );
    }
    if (limits.objects !== null && objects > 0 && usedObjects + objects > limits.objects) {
      throw new QuotaExceeded(
        `Storage quota exceeded: identity ${short(signer)} stores ${usedObjects} of its ${limits.objects} objects on this server; ` +
          `delete something (debind it) first`,
      );
    }
  }

  /** What `signer` has stored (zero when nothing). */
  of(signer: string): Usage {
    const u = this.bySigner.get(signer);
    return { bytes: u?.bytes ?? 0, objects: u?.objects ?? 0 };
  }

  /** Totals for metrics. `largestBytes` walks every identity: call it per scrape, not per object. */
  summary(): { identities: number; bytes: number; objects: number; largestBytes: number } {
    let largestBytes = 0;
    for (const u of this.bySigner.values()) if (u.bytes > largestBytes) largestBytes = u.bytes;
    return { identities: this.bySigner.size, bytes: this.totalBytes, objects: this.totalObjects, largestBytes };
  }
}

function short(ghid: string): string {
  return ghid.slice(0, 12) + '…';
}
