/**
 * The keys of the account's `state` map: the one registry of who owns which prefix.
 *
 * The state map is a single last-writer-wins map merged across the account's devices, shared by
 * several rooms of the daemon. Each room claims its prefixes once (`StateNamespaces.claim`) and
 * sees its keys without them, so no room can read or overwrite another's by accident. The
 * strings are part of the account format (docs/formats.md, "Keys of the account state"):
 * renaming one orphans what existing accounts stored under it. No prefix here may be the start
 * of another (a claim of one would reach into the other's keys).
 */

/** One prefix: who owns it, what follows it in a key, and what the value holds. */
export interface StatePrefixEntry {
  /** The module that claims the prefix. */
  owner: string;
  /** What follows the prefix in a key. */
  key: string;
  /** The stored value (JSON). */
  value: string;
  what: string;
}

export const STATE_PREFIXES = {
  'ipc:token:': { owner: 'ipc/app-registry', key: 'token hex', value: '{at}', what: 'an app token issued (16 bytes)' },
  'ipc:apis:': { owner: 'ipc/app-registry', key: 'token hex', value: '[api_id text…]', what: 'the api_ids that token registered' },
  'ipc:startup:': { owner: 'ipc/app-registry', key: 'token hex', value: 'GHID text', what: "the token's startup object" },
  'ipc:private:': { owner: 'ipc/object-records', key: 'GHID', value: 'token hex', what: 'the app token that owns a private object' },
  'ipc:legroom:': { owner: 'ipc/object-records', key: 'GHID', value: '1..255', what: 'the legroom an app asked for (absent: the default)' },
  'inbox:': { owner: 'ipc/inbox', key: 'GHID', value: '{f: from, a: api_id, at}', what: 'a share no app has taken yet' },
  'out:': { owner: 'sharing', key: 'request GHID', value: '{t: target, r: recipient, k: token or null}', what: 'our handshake awaiting an answer' },
  'ask:': { owner: 'sharing', key: 'request GHID', value: '{t: target, f: from, s: secret, at, a: api_id or null, z: size or null, d: dynamic or null}', what: 'a share awaiting the user (at most WAITING_LIMITS, sharing/consent)' },
  'contact:': {
    owner: 'sharing/contacts',
    key: 'fingerprint',
    value: '{n: name or null, t: trusted|ask|blocked, v: verified, at} (true in older accounts: trusted)',
    what: 'a person: name, trust, verified mark',
  },
  'shared-in:': { owner: 'sharing/share-records', key: 'object GHID', value: '{f: from, a: api_id or null, z: size or null, at, x?: deleted at}', what: 'a share we accepted' },
  'shared-out:': { owner: 'sharing/share-records', key: 'object GHID + " " + recipient', value: '{s: waiting|accepted|declined, at, a: api_id or null, z: size or null, x?: deleted at}', what: 'a share we sent and its answer' },
} as const satisfies Record<string, StatePrefixEntry>;

export type StatePrefix = keyof typeof STATE_PREFIXES;

export function isStatePrefix(prefix: string): prefix is StatePrefix {
  return Object.hasOwn(STATE_PREFIXES, prefix);
}
