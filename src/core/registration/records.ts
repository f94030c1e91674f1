/**
 * What a server knows of its accounts, as records: the registration policy, an account's
 * status, invites, and the journal lines that change them. Pure data and the one function that
 * applies a line; where the lines are kept is the registry's concern (`registry.ts`).
 */

import { Ghid } from '../golix/index.js';

/** `server.registration`: who may upload beyond the free allowance. */
export const REGISTRATION_POLICIES = ['off', 'open', 'invite', 'approval'] as const;
export type RegistrationPolicy = (typeof REGISTRATION_POLICIES)[number];

/** `registered`: the account's uploads get the server's quota; otherwise it has the free tier. */
export type AccountStatus = 'registered' | 'pending' | 'revoked';
export const ACCOUNT_STATUSES: readonly AccountStatus[] = ['registered', 'pending', 'revoked'];

/** How an account came to be registered (or asked to be). */
export type RegistrationVia = 'open' | 'invite' | 'approval' | 'operator' | 'webhook';

export interface AccountRecord {
  /** The identity's GHID, as text. */
  fingerprint: string;
  status: AccountStatus;
  via: RegistrationVia | null;
  /** When the status last changed, ms since the epoch. */
  since: number;
}

export interface InviteRecord {
  /** SHA-256 of the code, hex: the code itself is shown once, to the operator, and never stored. */
  id: string;
  usesLeft: number;
  /** ms since the epoch, or null for no expiry. */
  expires: number | null;
}

/** One line of the registrations journal. */
export type RegistrationOp =
  | { op: 'register'; fp: string; via: RegistrationVia; at: number }
  | { op: 'request'; fp: string; at: number }
  | { op: 'revoke'; fp: string; at: number }
  | { op: 'invite'; id: string; uses: number; expires: number | null; at: number }
  | { op: 'invite-used'; id: string; fp: string; at: number };

/** Accounts and invites, as the journal's lines so far make them. */
export class RegistrationState {
  readonly accounts = new Map<string, AccountRecord>();
  readonly invites = new Map<string, InviteRecord>();
  /** Per invite id, how many of its uses each fingerprint got (a use past the last is none). */
  private readonly uses = new Map<string, Map<string, number>>();

  /** How many uses of invite `id` went to `fp` so far: a writer learns from it whether its line won the last use. */
  usesBy(id: string, fp: string): number {
    return this.uses.get(id)?.get(fp) ?? 0;
  }

  apply(op: RegistrationOp): void {
    switch (op.op) {
      case 'register':
        this.accounts.set(op.fp, { fingerprint: op.fp, status: 'registered', via: op.via, since: op.at });
        return;
      case 'request': {
        // Asking again does not undo an operator's decision either way.
        if (!this.accounts.has(op.fp)) this.accounts.set(op.fp, { fingerprint: op.fp, status: 'pending', via: 'approval', since: op.at });
        return;
      }
      case 'revoke': {
        const was = this.accounts.get(op.fp);
        this.accounts.set(op.fp, { fingerprint: op.fp, status: 'revoked', via: was?.via ?? null, since: op.at });
        return;
      }
      case 'invite':
        this.invites.set(op.id, { id: op.id, usesLeft: op.uses, expires: op.expires });
        return;
      case 'invite-used': {
        const invite = this.invites.get(op.id);
        // A use of an invite nobody wrote is no registration (our writers check the invite
        // first), nor is one past its last use: two writers (the server and the operator's CLI,
        // each checking before it appends) may race for the last one, and the journal's order
        // decides which of them got it (FileRegistry.useInvite reads it back).
        if (!invite || invite.usesLeft < 1) return;
        invite.usesLeft -= 1;
        const byFp = this.uses.get(op.id) ?? new Map<string, number>();
        byFp.set(op.fp, (byFp.get(op.fp) ?? 0) + 1);
        this.uses.set(op.id, byFp);
        // The use registers the account in the same line: a separate `register` line that failed
        // to be written would have spent the use for nothing. (Journals written before also have
        // one after it; applied again, it changes nothing.)
        this.accounts.set(op.fp, { fingerprint: op.fp, status: 'registered', via: 'invite', since: op.at });
        return;
      }
    }
  }

  counts(): Record<AccountStatus, number> {
    const out: Record<AccountStatus, number> = { registered: 0, pending: 0, revoked: 0 };
    for (const a of this.accounts.values()) out[a.status]++;
    return out;
  }
}

const VIAS: readonly string[] = ['open', 'invite', 'approval', 'operator', 'webhook'];
const HEX64 = /^[0-9a-f]{64}$/;

/** A journal line as an op, or null when it is not one this version knows (it is skipped). */
export function parseOp(line: string): RegistrationOp | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.at !== 'number' || !Number.isFinite(o.at)) return null;
  const at = o.at;
  const fp = Ghid.tryText(o.fp)?.text ?? null;
  const id = typeof o.id === 'string' && HEX64.test(o.id) ? o.id : null;
  switch (o.op) {
    case 'register':
      return fp && typeof o.via === 'string' && VIAS.includes(o.via) ? { op: 'register', fp, via: o.via as RegistrationVia, at } : null;
    case 'request':
      return fp ? { op: 'request', fp, at } : null;
    case 'revoke':
      return fp ? { op: 'revoke', fp, at } : null;
    case 'invite': {
      const uses = o.uses;
      const expires = o.expires;
      if (!id || typeof uses !== 'number' || !Number.isSafeInteger(uses) || uses < 1) return null;
      if (expires !== null && (typeof expires !== 'number' || !Number.isFinite(expires))) return null;
      return { op: 'invite', id, uses, expires, at };
    }
    case 'invite-used':
      return id && fp ? { op: 'invite-used', id, fp, at } : null;
    default:
      return null;
  }
}
