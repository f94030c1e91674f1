/**
 * The project's IPC verbs for the daemon's status (an extension of hypergolix-reference §4):
 * what `hypergolix status` shows, as the desktop's Status page shows it. Bodies are UTF-8 JSON;
 * only connections authenticated with the IPC key may use them (they name the remotes).
 */
import { ValueError } from './errors.js';

export const StatusVerb = {
  /** App → daemon. Empty → `DaemonStatusJson`. */
  daemonStatus: 'D?',
  /**
   * App → daemon. Empty → `DaemonStatusJson`, as `D?`; from then on, until `D-` or the
   * connection closes, the daemon sends `D!` whenever what it would answer changes.
   */
  watch: 'D+',
  /** App → daemon. Empty → `01`: no more `D!`. */
  unwatch: 'D-',
  /** Daemon → app. `DaemonStatusJson` → empty: the status changed (after `D+`). */
  changed: 'D!',
  /**
   * App → daemon. Empty → `CacheCheckJson`, once a whole check of the daemon's local copy has
   * ended: every object read and checked, the damaged ones put right from a remote where one
   * has a good copy. One going on in the background is sped up and answered when it ends.
   */
  checkCache: 'DC',
  /**
   * App → daemon. Empty → `DaemonStatusJson`, as `D?` answers it once every remote that is not
   * connected has been tried at once (each attempt connected or failed), instead of at the end of
   * its back-off, which starts over: a person's "Try now", a computer woken from sleep.
   */
  tryRemotes: 'DR',
} as const;
export type StatusVerb = (typeof StatusVerb)[keyof typeof StatusVerb];

/** One remote the daemon syncs with, as its status tells it. */
export interface RemoteStatusJson {
  /** `host:port`, as configured. */
  remote: string;
  connected: boolean;
  /** Objects in its outbox, waiting to be sent. */
  waiting: number;
  /** What its last publish said of its storage. */
  storage: 'ok' | 'storage_full' | 'storage_failed';
  /** Set while it refuses our uploads until we register there: what to do, in words. */
  registerHint: string | null;
  /** Why it is not connected: the socket error's code (data) and message; null when connected. */
  lastFailure: { code: string | null; message: string } | null;
  /** Epoch milliseconds of the last connection, or null if it never connected. */
  lastConnectedAt: number | null;
  /**
   * Epoch milliseconds of the next try to connect while it waits out its back-off (up to 30 s
   * after a long outage), else null; absent from daemons older than 0.5.
   */
  nextAttemptAt?: number | null;
}

/** The local cache's storage: ok, or full/failed with where and how much room. */
export interface CacheStorageJson {
  kind: 'ok' | 'full' | 'failed';
  path: string | null;
  freeBytes: number | null;
  message: string | null;
}

/** The daemon's checks of its local copy (the ghidcache). */
export interface CacheCheckJson {
  /** Epoch ms the last whole check ended; null before the first. */
  lastCheckedAt: number | null;
  /** A check is going on now. */
  running: boolean;
  /** Objects the last whole check read. */
  checked: number;
  /** Damaged copies put right from a remote since the daemon started. */
  putRight: number;
  /**
   * Objects held here (ours, and those shared with us that the daemon follows) that a remote
   * lacked or held damaged, found by the checks (each whole check asks every connected remote
   * about them after the local copy) and given again, since the daemon started.
   */
  givenToRemotes: number;
  /** GHIDs (text) of objects whose copy here is damaged and that no remote could give again: the first 100. */
  damaged: string[];
  /** How many such objects there are. */
  damagedCount: number;
}

export interface DaemonStatusJson {
  /** The account's identity (its fingerprint, GHID text). */
  fingerprint: string;
  objectsCached: number;
  storage: CacheStorageJson;
  remotes: RemoteStatusJson[];
  /** Apps connected now, the one asking not counted. */
  appsConnected: number;
  /** Shares waiting for an answer (`hypergolix shares`). */
  sharesWaiting: number;
  /** The checks of the local copy; absent from daemons older than the check (Hypergolix 0.3.0 and before). */
  cacheCheck?: CacheCheckJson;
  /**
   * Epoch ms this daemon found the account's password changed on another computer (or the account
   * recovered there) since it was unlocked: it stays unlocked, and the next unlock needs the new
   * password. Null when it has not; absent from daemons older than 0.5.
   */
  passwordChangedElsewhereAt?: number | null;
}

/**
 * A decoded status body checked for the fields an app reads (fingerprint, counts, storage, each
 * remote's name, connection and backlog); other fields pass through, for daemons newer than the
 * app. A ValueError names the first field that is not what it should be, so an app's status
 * listener never meets a `remotes` that is no list.
 */
export function checkDaemonStatus(value: unknown): DaemonStatusJson {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const count = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  const bad = (what: string) => new ValueError(`A daemon status has ${what}`);
  if (!isObject(value)) throw bad('to be a JSON object');
  if (typeof value['fingerprint'] !== 'string') throw bad('no fingerprint text');
  for (const key of ['objectsCached', 'appsConnected', 'sharesWaiting']) if (!count(value[key])) throw bad(`no count of ${key}`);
  const storage = value['storage'];
  if (!isObject(storage) || typeof storage['kind'] !== 'string') throw bad('no storage state');
  const remotes = value['remotes'];
  if (!Array.isArray(remotes)) throw bad('no list of remotes');
  for (const r of remotes) {
    if (!isObject(r) || typeof r['remote'] !== 'string' || typeof r['connected'] !== 'boolean' || !count(r['waiting'])) throw bad('a remote without its name, connection and backlog');
  }
  if (value['cacheCheck'] !== undefined) checkCacheCheck(value['cacheCheck']);
  const changed = value['passwordChangedElsewhereAt'];
  if (changed !== undefined && changed !== null && !count(changed)) throw bad('a time the password was changed elsewhere that is no time');
  return value as unknown as DaemonStatusJson;
}

/** A decoded `DC` answer (or a status's `cacheCheck`) checked field by field; a ValueError names the first that is wrong. */
export function checkCacheCheck(value: unknown): CacheCheckJson {
  const bad = (what: string) => new ValueError(`A check of the local copy has ${what}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('to be a JSON object');
  const v = value as Record<string, unknown>;
  const count = (k: string) => typeof v[k] === 'number' && Number.isInteger(v[k]) && (v[k] as number) >= 0;
  for (const k of ['checked', 'putRight', 'givenToRemotes', 'damagedCount']) if (!count(k)) throw bad(`no count of ${k}`);
  if (v['lastCheckedAt'] !== null && !count('lastCheckedAt')) throw bad('no time of its last check');
  if (typeof v['running'] !== 'boolean') throw bad('no running flag');
  if (!Array.isArray(v['damaged']) || !v['damaged'].every((g) => typeof g === 'string')) throw bad('no list of damaged objects');
  return value as CacheCheckJson;
}
