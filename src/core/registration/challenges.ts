/**
 * Registration challenges, stateless: a challenge carries its own expiry, a random nonce and the
 * name of the server it was issued for (as the daemon addresses it, `host[:port]`), sealed with
 * an HMAC under a key only the server holds (one per process here; one per cluster in the
 * database, src/core/postgres/challenges.ts). So issuing keeps nothing: a client fetching
 * challenges by the thousand takes nobody else's away, and memory does not grow with it. Only
 * challenges spent are remembered, until their expiry, so that a link works once; spending
 * follows a valid account signature (http.ts), so that set grows only with registrations.
 *
 * A restart draws a new key here, which costs a client with a challenge in hand one new one.
 *
 * Wire form (base64url): version 2 | expiry u64 ms (the book's clock) | nonce 16 | name length
 * u8 | name (ASCII) | HMAC-SHA256 of everything before it. The older servers' challenge (proof
 * v1) is 32 random bytes naming no server: `LEGACY_CHALLENGE`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ValueError } from '../golix/index.js';

export const CHALLENGE_TTL_MS = 10 * 60_000;
/**
 * The request header in which a daemon names the server as it addresses it, when it asks for a
 * challenge. Host says the same, but reverse proxies often rewrite Host (nginx's default sends
 * the upstream's name) and pass other headers on.
 */
export const SERVER_NAME_HEADER = 'hypergolix-server';
/** A challenge of a server from before challenges named their server (signed as proof v1). */
export const LEGACY_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

const VERSION = 2;
const NONCE_BYTES = 16;
const MAC_BYTES = 32;
/** Version, expiry, nonce, name length. */
const HEAD_BYTES = 1 + 8 + NONCE_BYTES + 1;
const MAX_NAME = 255;
const MAX_TEXT = Math.ceil(((HEAD_BYTES + MAX_NAME + MAC_BYTES) * 4) / 3);
const KEY_BYTES = 32;

/** A host name, IPv4 address or bracketed IPv6 address, and an optional port: what a URL's `host` is. */
const NAME = /^(?:[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::([0-9]{1,5}))?$/;

/**
 * A server's name as the daemon addresses it and as challenges carry it: `host[:port]`,
 * lower case, the port left out where the scheme's default (as a URL's `host` has it).
 * Null for anything else, so nothing with a line break or a space ever reaches signed bytes.
 */
export function serverName(text: unknown): string | null {
  if (typeof text !== 'string' || text.length > MAX_NAME) return null;
  const name = text.trim().toLowerCase();
  const m = NAME.exec(name);
  if (!m || (m[1] !== undefined && Number(m[1]) > 65535)) return null;
  return name;
}

/** The host part of a name from `serverName` (brackets kept for IPv6). */
function hostOf(name: string): string {
  const end = name.startsWith('[') ? name.indexOf(']') + 1 : name.lastIndexOf(':');
  return end > 0 && end < name.length ? name.slice(0, end) : name;
}

/**
 * Whether `name` is one of `accepted`: an entry with a port must match exactly, one without
 * names the host under any port (an operator lists `hgx.example.org`, daemons may add `:7770`).
 */
export function nameMatches(name: string, accepted: readonly string[]): boolean {
  return accepted.some((a) => (a === hostOf(a) ? hostOf(name) === a : name === a));
}

/** What a challenge says: the server it is for, when it expires, and its nonce (base64url). */
export interface ChallengeFields {
  server: string;
  expires: number;
  nonce: string;
}

interface Parsed extends ChallengeFields {
  body: Buffer;
  mac: Buffer;
}

/**
 * A challenge's fields, without checking its seal (a daemon cannot): null for anything that is
 * not exactly one challenge of this form in canonical base64url. Never throws.
 */
export function readChallenge(text: unknown): ChallengeFields | null {
  const p = parse(text);
  return p && { server: p.server, expires: p.expires, nonce: p.nonce };
}

function parse(text: unknown): Parsed | null {
  if (typeof text !== 'string' || text.length > MAX_TEXT || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const raw = Buffer.from(text, 'base64url');
  // One text per challenge: the unused low bits of the last character must be zero.
  if (raw.toString('base64url') !== text || raw.length < HEAD_BYTES + 1 + MAC_BYTES || raw[0] !== VERSION) return null;
  const nameLength = raw[HEAD_BYTES - 1]!;
  if (raw.length !== HEAD_BYTES + nameLength + MAC_BYTES) return null;
  const expires = raw.readBigUInt64BE(1);
  if (expires > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  const nameBytes = raw.subarray(HEAD_BYTES, HEAD_BYTES + nameLength);
  const server = serverName(nameBytes.toString('latin1'));
  if (server === null || server !== nameBytes.toString('latin1')) return null;
  return {
    server,
    expires: Number(expires),
    nonce: raw.subarray(9, 9 + NONCE_BYTES).toString('base64url'),
    body: raw.subarray(0, HEAD_BYTES + nameLength),
    mac: raw.subarray(HEAD_BYTES + nameLength),
  };
}

function seal(key: Buffer, body: Buffer): Buffer {
  return createHmac('sha256', key).update(body).digest();
}

/** A new challenge for `server` (a name from `serverName`), sealed under `key`. */
export function mintChallenge(key: Buffer, server: string, expires: number): string {
  const name = Buffer.from(server, 'latin1');
  const body = Buffer.alloc(HEAD_BYTES + name.length);
  body[0] = VERSION;
  // A clock that starts at zero (a process's monotonic one) with a negative lifetime: born expired.
  body.writeBigUInt64BE(BigInt(Math.max(0, Math.ceil(expires))), 1);
  randomBytes(NONCE_BYTES).copy(body, 9);
  body[HEAD_BYTES - 1] = name.length;
  name.copy(body, HEAD_BYTES);
  return Buffer.concat([body, seal(key, body)]).toString('base64url');
}

/** The fields of a challenge sealed under `key`; null when forged, another server's or malformed. */
export function openChallenge(key: Buffer, text: unknown): ChallengeFields | null {
  const p = parse(text);
  if (!p || !timingSafeEqual(seal(key, p.body), p.mac)) return null;
  return { server: p.server, expires: p.expires, nonce: p.nonce };
}

/** A random key for sealing challenges. */
export function newChallengeKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** A name that cannot be put in a challenge (see `serverName`). */
export class NotAServerName extends ValueError {}

export function requireServerName(text: string): string {
  const name = serverName(text);
  if (name === null) throw new NotAServerName(`"${text.slice(0, 80)}" is not a server name (host or host:port)`);
  return name;
}

export interface IssuedChallenge {
  challenge: string;
  expiresInMs: number;
}

/**
 * Where challenges are sealed and their spending remembered: this process (`ChallengeBook`) for
 * one server, the shared database for a cluster (src/core/postgres/challenges.ts), where the
 * node that issued a challenge is rarely the one its link comes back to.
 */
export interface Challenges {
  /** A challenge for `server`, a name from `serverName` that the caller checked is this server's. */
  issue(server: string): IssuedChallenge | Promise<IssuedChallenge>;
  /** Whether `challenge` was sealed here, is in time and not spent. Spends nothing. */
  isLive(challenge: string): boolean | Promise<boolean>;
  /** Spends a live challenge; false when it was not live (or another request spent it first). */
  take(challenge: string): boolean | Promise<boolean>;
  /**
   * Undoes the caller's own `take` when what the challenge was spent for did not happen (a
   * wrong invite code), so that the same link can be tried again.
   */
  release(challenge: string): void | Promise<void>;
  /** Challenges issued by this process since it started (for /metrics). */
  readonly issued: number;
  /** Spent challenges remembered until their expiry, as last counted (for /metrics). */
  readonly spent: number;
}

export class ChallengeBook implements Challenges {
  /** Spent challenges' nonces → their expiry: past it the seal alone refuses them. */
  private readonly spentUntil = new Map<string, number>();
  private issuedCount = 0;

  constructor(
    // Monotonic: a wall clock stepped back would keep challenges past their time, stepped
    // forward end them at once. The key is this process's, so the clock need mean nothing elsewhere.
    private readonly now: () => number = () => performance.now(),
    private readonly ttlMs = CHALLENGE_TTL_MS,
    private readonly key: Buffer = newChallengeKey(),
  ) {}

  issue(server: string): IssuedChallenge {
    const challenge = mintChallenge(this.key, requireServerName(server), this.now() + this.ttlMs);
    this.issuedCount++;
    return { challenge, expiresInMs: this.ttlMs };
  }

  isLive(challenge: string): boolean {
    return this.live(challenge) !== null;
  }

  take(challenge: string): boolean {
    this.sweep();
    const f = this.live(challenge);
    if (!f) return false;
    this.spentUntil.set(f.nonce, f.expires);
    return true;
  }

  release(challenge: string): void {
    const f = openChallenge(this.key, challenge);
    if (f) this.spentUntil.delete(f.nonce);
  }

  get issued(): number {
    return this.issuedCount;
  }

  get spent(): number {
    this.sweep();
    return this.spentUntil.size;
  }

  private live(challenge: string): ChallengeFields | null {
    const f = openChallenge(this.key, challenge);
    return f && f.expires > this.now() && !this.spentUntil.has(f.nonce) ? f : null;
  }

  private sweep(): void {
    const now = this.now();
    // Every one: spending order is not expiry order.
    for (const [nonce, expires] of this.spentUntil) if (expires <= now) this.spentUntil.delete(nonce);
  }
}
