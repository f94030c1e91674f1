/**
 * The IPC verb for the daemon's status (src/wire/status.ts): what `hypergolix status` shows.
 * Only a connection authenticated with the IPC key may use it (it names the remotes and what
 * waits for them); the asking connection is not counted among the apps connected.
 */
import type { RequestHandler } from '../remote/connection.js';
import type { DaemonPort } from '../daemon/port.js';
import type { StorageState } from '../store/storage-state.js';
import type { Sharing } from '../sharing/sharing.js';
import { StatusVerb, encodeJsonBody, type CacheStorageJson, type DaemonStatusJson } from '../../wire/index.js';
import { IpcRefusal } from './refusal.js';
import type { Session } from './session.js';

/** The daemon's status as the verb answers it. `otherApps`: apps connected besides the one asking. */
export function daemonStatusJson(daemon: DaemonPort, sharing: Sharing, otherApps: number): DaemonStatusJson {
  const now = daemon.status();
  return {
    fingerprint: daemon.fingerprint.text,
    objectsCached: now.objectsCached,
    storage: cacheStorageOf(now.storage),
    remotes: now.remotes.map((r) => ({
      remote: r.label,
      connected: r.connected,
      waiting: r.pending,
      storage: r.storage,
      registerHint: r.freeTier?.message ?? null,
      lastFailure: r.connected || !r.lastFailure ? null : { code: r.lastFailure.code, message: r.lastFailure.message },
      lastConnectedAt: r.lastConnectedAt,
    })),
    appsConnected: otherApps,
    sharesWaiting: sharing.pending().length,
  };
}

/** A store's state as a status shows it (here, and on the desktop's Status page): ok, or full/failed with where and how much room. */
export function cacheStorageOf(s: StorageState): CacheStorageJson {
  return s.kind === 'ok' ? { kind: 'ok', path: null, freeBytes: null, message: null } : { kind: s.kind, path: s.path, freeBytes: s.freeBytes, message: s.message };
}

/** The handler of the status verb for one session. */
export function statusHandlers(s: Session, daemon: DaemonPort, sharing: Sharing, otherApps: (asking: Session) => number): [string, RequestHandler][] {
  return [
    [
      StatusVerb.daemonStatus,
      () => {
        if (!s.authenticated) throw new IpcRefusal("The daemon's status needs a connection authenticated with the IPC key");
        return encodeJsonBody(daemonStatusJson(daemon, sharing, otherApps(s)));
      },
    ],
  ];
}
