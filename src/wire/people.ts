/**
 * The project's IPC verbs for people and shares (an extension of hypergolix-reference §4):
 * the contacts, the safety code, and the shares waiting, received and sent. Used by the
 * `hypergolix contacts` and `hypergolix shares` commands and by the SDK (contacts). Bodies are
 * UTF-8 JSON both ways; only authenticated connections (the IPC key) may use them.
 */
export const PeopleVerb = {
  /** Empty → `ContactJson[]`. */
  listContacts: 'C?',
  /** `ContactChange` → the `ContactJson` as it is now. */
  setContact: 'C!',
  /** `{fingerprint}` → `01`. */
  removeContact: 'C-',
  /** `{fingerprint}` → `{words: string[]}`: the safety code of us and them. */
  safetyCode: 'C#',
  /** Empty → `ShareJson[]`. */
  listShares: 'S?',
  /** `{id, trust?}` → `01`. */
  acceptShare: 'S+',
  /** `{id, block?}` → `01`. */
  declineShare: 'S-',
} as const;
export type PeopleVerb = (typeof PeopleVerb)[keyof typeof PeopleVerb];

export type TrustText = 'trusted' | 'ask' | 'blocked';

export interface ContactJson {
  fingerprint: string;
  name: string | null;
  trust: TrustText;
  verified: boolean;
}

/**
 * A change to a contact. `add` creates one that does not exist yet (else the fingerprint must
 * be a contact already); a null name clears it.
 */
export interface ContactChange {
  fingerprint: string;
  add?: boolean;
  name?: string | null;
  trust?: TrustText;
  verified?: boolean;
}

export interface ShareJson {
  /** For a waiting share the request's GHID (what accept and decline take); else the object's GHID. */
  id: string;
  direction: 'incoming' | 'outgoing';
  state: 'waiting' | 'accepted' | 'declined';
  /** The other person's fingerprint: the sender of an incoming share, the recipient of an outgoing one. */
  from?: string;
  to?: string;
  /** Their contact name, or null. */
  name: string | null;
  /** They are in the contacts (named or not; someone you share with becomes one): absent or false for someone who is not. */
  contact?: boolean;
  object: string;
  /** The object's api_id (GHID text), or null when it is not known. */
  apiId: string | null;
  /** The object's type in words ("JSON", "raw bytes", "an app's own type (…)"). */
  type: string;
  /** Bytes of its state, or null when not known. */
  size: number | null;
  /** Epoch milliseconds: received, or sent/answered. */
  time: number;
  /**
   * An accepted incoming share this computer can no longer read (it missed more versions than
   * one carries keys for): when it asked the sender to share it again (epoch milliseconds).
   */
  askedAgain?: number;
  /**
   * The object was deleted by its author since it was shared — the sender of an incoming share,
   * this account for an outgoing one: when this account learned of it (epoch milliseconds).
   */
  deletedAt?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeJsonBody(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Parses a JSON body; null when it is not UTF-8 JSON (the caller refuses it). */
export function decodeJsonBody(body: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(body)) as unknown;
  } catch {
    return null;
  }
}
