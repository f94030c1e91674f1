/**
 * The people part of the UI ↔ host contract: contacts, the safety code and shares, as the same
 * JSON the IPC verbs carry (src/wire/people.ts, imported for its types only), and their runtime
 * checks. contract.ts puts them in its request map; the daemon's IPC handlers (src/core/ipc/
 * people.ts) check the verbs' bodies with the same checks, so both edges refuse alike.
 */
import type { ContactChange, ContactJson, ShareJson } from '../wire/people.js';
import { TRUST_LEVELS } from './people.js';
import { arr, bool, nullable, num, obj, oneOf, optional, str, uint, type Check } from './wire-check.js';

export type { ContactChange, ContactJson, ShareJson };

const LIMITS = { ghid: 256, name: 256, text: 4096, contacts: 10_000, shares: 10_000, words: 16 } as const;

const ghidText = str({ min: 1, max: LIMITS.ghid });

export const checkContact: Check<ContactJson> = obj<ContactJson>({
  fingerprint: ghidText,
  name: nullable(str({ max: LIMITS.name })),
  trust: oneOf(TRUST_LEVELS),
  verified: bool,
});

export const checkContactChange: Check<ContactChange> = obj<ContactChange>({
  fingerprint: ghidText,
  add: optional(bool),
  name: optional(nullable(str({ max: LIMITS.name }))),
  trust: optional(oneOf(TRUST_LEVELS)),
  verified: optional(bool),
});

export const checkShare: Check<ShareJson> = obj<ShareJson>({
  id: ghidText,
  direction: oneOf(['incoming', 'outgoing'] as const),
  state: oneOf(['waiting', 'accepted', 'declined'] as const),
  from: optional(ghidText),
  to: optional(ghidText),
  name: nullable(str({ max: LIMITS.name })),
  contact: optional(bool),
  object: ghidText,
  apiId: nullable(ghidText),
  type: str({ max: LIMITS.text }),
  size: nullable(uint),
  time: num,
  askedAgain: optional(num),
  deletedAt: optional(num),
});

/** A share's id (a waiting share's request GHID, or an object's), as accept and decline take it. */
export const shareIdParam = str({ min: 1, max: 128 });

/** The bodies of the people verbs that take one (src/wire/people.ts). */
export const checkFingerprintBody = obj<{ fingerprint: string }>({ fingerprint: ghidText });
export const checkAcceptBody = obj<{ id: string; trust?: boolean }>({ id: shareIdParam, trust: optional(bool) });
export const checkDeclineBody = obj<{ id: string; block?: boolean }>({ id: shareIdParam, block: optional(bool) });

export const checkContacts = arr(checkContact, LIMITS.contacts);
export const checkShares = arr(checkShare, LIMITS.shares);
export const checkSafetyCode = obj<{ words: string[] }>({ words: arr(str({ min: 1, max: 32 }), LIMITS.words) });
export const fingerprintParam = ghidText;
