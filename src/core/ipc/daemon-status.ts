/**
 * The IPC verbs for the daemon's status (src/wire/status.ts): what `hypergolix status` shows,
 * asked once (`D?`) or watched (`D+`/`D-`, status-watch.ts), the check of the local copy run
 * now (`DC`, daemon/cache-check.ts), and the remotes away tried now (`DR`). Only a connection authenticated
 * with the IPC key may use them (they name the remotes and what waits for them); the asking
 * connection is not counted among the apps connected.
 */
import type { RequestHandler } from '../remote/connection.js';
import type { DaemonPort } from '../daemon/port.js';
import type { StorageState } from '../store/storage-state.js';
import type { Sharing } from '../sharing/sharing.js';
import { ONE, StatusVerb, encodeJsonBody, type CacheStorageJson, type DaemonStatusJson } from '../../wire/index.js';
import { IpcRefusal } from './refusal.js';
import type { Session } from './session.js';
import type { StatusWatch } from './status-watch.js';

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
      nextAttemptAt: r.connected ? null : r.nextAttemptAt,
    })),
    appsConnected: otherApps,
    sharesWaiting: sharing.pending().length,
    cacheCheck: now.cacheCheck,
    passwordChangedElsewhereAt: now.passwordChangedElsewhereAt,
  };
}

/** A store's state as a status shows it (here, and on the desktop's Status page): ok, or full/failed with where and how much room. */
export function cacheStorageOf(s: StorageState): CacheStorageJson {
  return s.kind === 'ok' ? { kind: 'ok', path: null, freeBytes: null, message: null } : { kind: s.kind, path: s.path, freeBytes: s.freeBytes, message: s.message };
}

/** The handlers of the status verbs for one session; `statusFor` answers it as `D?` does. */
export function statusHandlers(s: Session, statusFor: (asking: Session) => DaemonStatusJson, watch: StatusWatch, daemon: DaemonPort): [string, RequestHandler][] {
  const authenticated = <T>(answer: () => T) => (): T => {
    if (!s.authenticated) throw new IpcRefusal("The daemon's status needs a connection authenticated with the IPC key");
    return answer();
  };
  return [
    [StatusVerb.daemonStatus, authenticated(() => encodeJsonBody(statusFor(s)))],
    [StatusVerb.watch, authenticated(() => encodeJsonBody(watch.watch(s)))],
    [StatusVerb.checkCache, authenticated(async () => encodeJsonBody(await daemon.checkCache()))],
    [
      StatusVerb.tryRemotes,
      authenticated(async () => {
        await daemon.tryRemotes();
        return encodeJsonBody(statusFor(s));
      }),
    ],
    [
      StatusVerb.unwatch,
      authenticated(() => {
        watch.unwatch(s);
        return ONE;
      }),
    ],
  ];
}
