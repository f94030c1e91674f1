/**
 * The persistence server's limits on publishing (defect 8): an allow-list of signers, a rate per
 * signing identity and a rate per connection for objects that name no signer.
 *
 * Every refusal is `NK 000A` (RemoteNak), counted in the metrics under the limit's name; the
 * message says which limit it was, for people, and the NK details say it for programs
 * (`reason`, the same name) and, for a rate, when to retry (`retryAfterMs`).
 */
import { Ghid, HypergolixError, RemoteNak, parseObject, signerOf, type GolixObject } from '../golix/index.js';
import type { PersistenceEngine } from '../rules/persistence-engine.js';
import type { RefusalReason, ServerMetrics } from './metrics.js';
import { RateLimiter, defaultBurst } from './rate-limit.js';
import type { PersistenceServerOptions } from './server-options.js';

export interface PublishLimitOptions {
  /** Fingerprints allowed to publish signed objects (and to receive GARQs); null = anyone. */
  allowlist: Iterable<Ghid> | null;
  /** Publishes per second per signing identity; null = unlimited. */
  ratePerIdentity: number | null;
  /** How many at once before the identity rate applies. @default ten seconds' worth */
  burstPerIdentity: number | null;
  /** Publishes per second of unsigned objects per connection; null = unlimited. */
  unsignedRatePerConnection: number | null;
  /** @default ten seconds' worth */
  unsignedBurstPerConnection: number | null;
  /** Largest object, for reading one against the allow-list. */
  maxObjectBytes: number;
  metrics: ServerMetrics;
  /** Clock of the rates, in milliseconds. @default Date.now */
  now?: () => number;
}

/** A server's limits as its options configure them (unset: unlimited, anyone may publish). */
export function publishLimitOptions(options: PersistenceServerOptions, maxObjectBytes: number, metrics: ServerMetrics): PublishLimitOptions {
  return {
    allowlist: options.publishAllowlist ?? null,
    ratePerIdentity: options.publishRatePerIdentity ?? null,
    burstPerIdentity: options.publishBurst ?? null,
    unsignedRatePerConnection: options.unsignedPublishRatePerConnection ?? null,
    unsignedBurstPerConnection: options.unsignedPublishBurst ?? null,
    maxObjectBytes,
    metrics,
    ...(options.now ? { now: options.now } : {}),
  };
}

/**
 * Refuses a GARQ whose recipient already has `limit` requests stored (`maxRequestsPerRecipient`).
 * Counted before the ingest, so publishes in flight together may pass it by their number: a
 * bound on a flood, not an exact count. Anything but a GARQ passes untouched and unread.
 */
export async function checkRequestRoom(engine: Pick<PersistenceEngine, 'requestCount'>, body: Buffer, limit: number, metrics: ServerMetrics): Promise<void> {
  if (body.length < 4 || body.toString('latin1', 0, 4) !== 'GARQ') return;
  let recipient: Ghid;
  try {
    const obj = parseObject(body, { skipHash: true });
    if (obj.type !== 'GARQ') return;
    recipient = obj.recipient;
  } catch {
    return; // malformed: the engine refuses it with its own error
  }
  const stored = await engine.requestCount(recipient);
  if (stored >= limit) {
    refuse(metrics, 'requests_waiting', `Identity ${recipient.short} has ${stored} requests waiting on this server (at most ${limit}); retry once its daemon has taken some`, REQUESTS_RETRY_MS);
  }
}

/** When a sender refused for a full request box may try again: a recipient's daemon takes its requests within seconds of connecting. */
const REQUESTS_RETRY_MS = 60_000;

/** Counts a refusal under one of the server's limits and throws it as `NK 000A` with its details. */
export function refuse(metrics: ServerMetrics, reason: RefusalReason, message: string, retryAfterMs?: number): never {
  metrics.refusal(reason);
  throw new RemoteNak(message, { reason, retryAfterMs });
}

/** What `admit` let through, for `settle` to charge. */
export interface Admitted {
  /** The identity to charge once its signature checked out; null when identities are not limited. */
  signer: string | null;
  /** The object claims a signer (GEOC, GOBS, GOBD, GDXX), which the engine has yet to verify. */
  claimsSigner: boolean;
}

/** The limits of one server. `C` names a connection. */
export class PublishLimits<C> {
  private readonly allowlist: ReadonlySet<string> | null;
  /** Keyed by the signer GHID's 65 bytes as a latin1 string (cheap, and never shown). */
  private readonly identityRate: RateLimiter<string> | null;
  private readonly connectionRate: RateLimiter<C> | null;
  /**
   * Publishes that claimed a signer and did not verify (malformed, a bad signature, an unknown
   * signer): nobody's identity pays for them, so the connection does, at its unsigned rate.
   */
  private readonly unverifiedRate: RateLimiter<C> | null;
  private readonly metrics: ServerMetrics;
  private readonly maxObjectBytes: number;

  constructor(o: PublishLimitOptions) {
    this.allowlist = o.allowlist ? new Set([...o.allowlist].map((g) => g.text)) : null;
    const limiter = <K>(rate: number | null, burst: number | null): RateLimiter<K> | null =>
      rate ? new RateLimiter<K>({ ratePerSecond: rate, burst: burst ?? defaultBurst(rate), ...(o.now ? { now: o.now } : {}) }) : null;
    this.identityRate = limiter<string>(o.ratePerIdentity, o.burstPerIdentity);
    this.connectionRate = limiter<C>(o.unsignedRatePerConnection, o.unsignedBurstPerConnection);
    this.unverifiedRate = limiter<C>(o.unsignedRatePerConnection, o.unsignedBurstPerConnection);
    this.metrics = o.metrics;
    this.maxObjectBytes = o.maxObjectBytes;
  }

  /** Identities holding a rate bucket now; null when identities are not rate-limited. */
  get rateLimitedIdentities(): number | null {
    return this.identityRate?.size ?? null;
  }

  /**
   * Lets a publish through to the engine or throws its refusal. Returns what to charge once the
   * engine has its verdict (`settle`).
   */
  admit(connection: C, body: Buffer): Admitted {
    if (this.allowlist) this.checkAllowed(body);
    const signer = claimedSigner(body);
    if (signer === null) {
      if (this.connectionRate) this.checkConnectionRate(this.connectionRate, connection, 'identity or request object(s)');
      return { signer: null, claimsSigner: false };
    }
    if (this.unverifiedRate && this.unverifiedRate.wait(connection) > 0) this.checkConnectionRate(this.unverifiedRate, connection, 'object(s) that do not verify');
    if (this.identityRate) this.checkIdentityRate(signer);
    return { signer: this.identityRate ? signer : null, claimsSigner: true };
  }

  /**
   * The engine's verdict on an admitted publish (`err` undefined: stored). The signer is charged
   * when it really sent the object: stored, or refused only after its signature checked out. One
   * that claimed a signer and did not verify is charged to the connection.
   */
  settle(connection: C, admitted: Admitted, err?: unknown): void {
    if (err === undefined || refusedAfterVerifying(err)) {
      if (admitted.signer !== null) this.identityRate!.take(admitted.signer);
    } else if (admitted.claimsSigner && notVerified(err)) {
      this.unverifiedRate?.take(connection);
    }
  }

  /** A connection closed. */
  forget(connection: C): void {
    this.connectionRate?.delete(connection);
    this.unverifiedRate?.delete(connection);
  }

  /**
   * The allow-list needs only the signer's claimed GHID, so the object is read without hashing;
   * the engine then verifies the signature against that very signer, so a forged claim fails.
   */
  private checkAllowed(body: Buffer): void {
    const obj: GolixObject = parseObject(body, { maxBytes: this.maxObjectBytes, skipHash: true });
    if (obj.type === 'GIDC') return;
    if (obj.type === 'GARQ') {
      if (this.allowlist!.has(obj.recipient.text)) return;
      refuse(this.metrics, 'allowlist', `Requests are accepted only for identities allowed on this server; ${obj.recipient.short} is not one`);
    }
    const signer = signerOf(obj)!;
    if (!this.allowlist!.has(signer.text)) refuse(this.metrics, 'allowlist', `Identity ${signer.short} may not publish on this server`);
  }

  private checkIdentityRate(signer: string): void {
    const limiter = this.identityRate!;
    const wait = limiter.wait(signer);
    if (wait === 0) return;
    refuse(
      this.metrics,
      'rate_identity',
      `Publishing too fast: identity ${shortOf(signer)} may publish ${limiter.ratePerSecond} object(s) a second on this server ` +
        `(${limiter.burst} at once); retry in ${formatWait(wait)}`,
      wait,
    );
  }

  private checkConnectionRate(limiter: RateLimiter<C>, connection: C, what: string): void {
    if (limiter === this.connectionRate && limiter.tryTake(connection)) return;
    const wait = limiter.wait(connection);
    refuse(
      this.metrics,
      'rate_connection',
      `Publishing too fast: a connection may publish ${limiter.ratePerSecond} ${what} a second on this server ` +
        `(${limiter.burst} at once); retry in ${formatWait(wait)}`,
      wait,
    );
  }
}

const SIGNER_AT = 9;
const SIGNER_END = SIGNER_AT + 65;

/**
 * The signer a publish claims, read without parsing: every signed Golix object (GEOC, GOBS, GOBD,
 * GDXX) names its author, binder or debinder in the 65 bytes right after the 9-byte header (magic,
 * version u32, cipher). Returned as a latin1 string of those bytes; null for GIDC, GARQ and
 * anything too short to tell. The claim is only trusted once the engine has verified the signature.
 */
function claimedSigner(raw: Buffer): string | null {
  if (raw.length < SIGNER_END) return null;
  const magic = raw.toString('latin1', 0, 4);
  if (magic !== 'GEOC' && magic !== 'GOBS' && magic !== 'GOBD' && magic !== 'GDXX') return null;
  return raw.toString('latin1', SIGNER_AT, SIGNER_END);
}

/**
 * Whether the engine refused a publish only after verifying its signature (golix §11 order: parse,
 * identity, signature, then the rules; the quota last): then the signer really sent it, and it
 * counts against the signer's rate like an accepted one. Not for malformed objects (0001), bad
 * signatures (0002) or unknown signers (0003), nor for faults of the server.
 */
function refusedAfterVerifying(err: unknown): boolean {
  return err instanceof HypergolixError && err.code >= 0x0004 && err.code <= 0x000a;
}

/** Refused before its signature checked out: malformed (0001), a bad signature (0002), an unknown signer (0003). */
function notVerified(err: unknown): boolean {
  return err instanceof HypergolixError && err.code >= 0x0001 && err.code <= 0x0003;
}

function shortOf(signerBytes: string): string {
  try {
    return Ghid.fromBytes(Buffer.from(signerBytes, 'latin1')).short;
  } catch {
    return '(unreadable GHID)';
  }
}

function formatWait(ms: number): string {
  return ms < 1000 ? `${Math.max(ms, 1)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}
