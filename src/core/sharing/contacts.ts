/**
 * The people this account knows: a name for each fingerprint, how far they are trusted, and
 * whether their fingerprint was checked with them (the safety code). Kept in the account state
 * (`contact:<fingerprint>`, account/state-keys.ts), so every computer of the account sees the
 * same list. The consent policy reads the trust (consent.ts).
 *
 * Accounts made before contacts had names stored `true` for "someone we shared with or
 * accepted from"; their shares were accepted without asking, so `true` reads as trusted.
 */
import { Ghid, ValueError } from '../golix/index.js';
import type { StateNamespace } from '../account/state-namespace.js';
import { CONTACT_NAME_MAX, TRUST_LEVELS, type TrustLevel } from '../../common/people.js';

export { TRUST_LEVELS, type TrustLevel };

/** A contact change that cannot be made: a bad name, an unknown fingerprint, an unknown trust. */
export class InvalidContact extends ValueError {}

export interface Contact {
  fingerprint: Ghid;
  /** Null until someone names them. */
  name: string | null;
  trust: TrustLevel;
  verified: boolean;
  /** Epoch milliseconds when the contact was first added. */
  addedAt: number;
}

/** As stored: short keys, since every device of the account carries the whole map. */
type Stored = { n: string | null; t: TrustLevel; v: boolean; at: number };

/** A name as a person would type it: trimmed, 1..64 characters, no control characters. */
export function checkContactName(name: string): string {
  const trimmed = name.normalize('NFC').trim();
  if (!trimmed) throw new InvalidContact('A contact name cannot be empty');
  if ([...trimmed].length > CONTACT_NAME_MAX) throw new InvalidContact(`A contact name is at most ${CONTACT_NAME_MAX} characters`);
  if (/\p{Cc}/u.test(trimmed)) throw new InvalidContact('A contact name cannot contain control characters');
  // Direction overrides and isolates turn the text after the name (a fingerprint in a list)
  // around on screen; line and paragraph separators break a list line in two.
  if (/[\u202a-\u202e\u2066-\u2069\u2028\u2029]/u.test(trimmed)) throw new InvalidContact('A contact name cannot contain text-direction or line-separator characters');
  return trimmed;
}

export function parseTrust(value: string): TrustLevel {
  const t = value.trim().toLowerCase();
  if (!(TRUST_LEVELS as readonly string[]).includes(t)) throw new InvalidContact(`Trust is one of ${TRUST_LEVELS.join(', ')}, not ${JSON.stringify(value)}`);
  return t as TrustLevel;
}

export function parseFingerprint(text: string): Ghid {
  try {
    return Ghid.fromText(text.trim());
  } catch {
    throw new InvalidContact(`${JSON.stringify(text.slice(0, 100))} is not a fingerprint (a GHID in its 88-character text form)`);
  }
}

function fromStored(key: string, v: unknown): Contact | null {
  let fingerprint: Ghid;
  try {
    fingerprint = Ghid.fromText(key);
  } catch {
    return null; // not ours to show; a newer version may write keys we cannot read
  }
  if (v === true) return { fingerprint, name: null, trust: 'trusted', verified: false, addedAt: 0 };
  if (typeof v !== 'object' || v === null) return null;
  const s = v as Partial<Stored>;
  const trust = (TRUST_LEVELS as readonly unknown[]).includes(s.t) ? (s.t as TrustLevel) : 'ask';
  const name = typeof s.n === 'string' ? s.n : null;
  return { fingerprint, name, trust, verified: s.v === true, addedAt: typeof s.at === 'number' ? s.at : 0 };
}

export class Contacts {
  constructor(
    private readonly state: StateNamespace,
    private readonly self: Ghid,
    private readonly now: () => number = Date.now,
  ) {}

  list(): Contact[] {
    const out: Contact[] = [];
    for (const [key, v] of this.state.entries()) {
      const c = fromStored(key, v);
      if (c) out.push(c);
    }
    return out.sort((a, b) => (a.name ?? '\uffff').localeCompare(b.name ?? '\uffff') || a.fingerprint.text.localeCompare(b.fingerprint.text));
  }

  get(fingerprint: Ghid): Contact | null {
    return fromStored(fingerprint.text, this.state.get(fingerprint.text));
  }

  /** Someone as shares and notices show them: their name, and whether they are a contact at all (named or not). */
  personOf(fingerprint: Ghid): { name: string | null; contact?: true } {
    const c = this.get(fingerprint);
    return { name: c?.name ?? null, ...(c ? { contact: true as const } : {}) };
  }

  /** The trust the consent policy reads; null for someone not in the contacts. */
  trustOf(fingerprint: Ghid): TrustLevel | null {
    return this.get(fingerprint)?.trust ?? null;
  }

  /**
   * Adds someone, or changes what is given of an existing contact (a name, a trust, the
   * verified mark). Returns the contact as it is now.
   */
  set(fingerprint: Ghid, change: { name?: string | null; trust?: TrustLevel; verified?: boolean }): Contact {
    if (fingerprint.equals(this.self)) throw new InvalidContact('That is your own fingerprint');
    const current = this.get(fingerprint);
    const next: Stored = {
      n: change.name === undefined ? (current?.name ?? null) : change.name === null ? null : checkContactName(change.name),
      t: change.trust ?? current?.trust ?? 'ask',
      v: change.verified ?? current?.verified ?? false,
      at: current?.addedAt || this.now(),
    };
    this.state.set(fingerprint.text, next);
    return fromStored(fingerprint.text, next)!;
  }

  /** Adds someone not yet known with the given trust; an existing contact keeps what it has. */
  ensure(fingerprint: Ghid, trust: TrustLevel): Contact {
    return this.get(fingerprint) ?? this.set(fingerprint, { trust });
  }

  /** Changes an existing contact; an unknown fingerprint is an InvalidContact. */
  update(fingerprint: Ghid, change: { name?: string | null; trust?: TrustLevel; verified?: boolean }): Contact {
    if (!this.get(fingerprint)) throw new InvalidContact(`${fingerprint.short} is not in your contacts`);
    return this.set(fingerprint, change);
  }

  remove(fingerprint: Ghid): void {
    if (!this.get(fingerprint)) throw new InvalidContact(`${fingerprint.short} is not in your contacts`);
    this.state.delete(fingerprint.text);
  }

  flush(): Promise<void> {
    return this.state.flush();
  }
}
