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
}

/** The local cache's storage: ok, or full/failed with where and how much room. */
export interface CacheStorageJson {
  kind: 'ok' | 'full' | 'failed';
  path: string | null;
  freeBytes: number | null;
  message: string | null;
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
  return value as unknown as DaemonStatusJson;
}
