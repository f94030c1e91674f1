import type { ConnectFailure } from '../remote/client.js';

/**
 * What the daemon tells of each remote it syncs with: the facts NetworkIO keeps per remote, as the
 * daemon's port, the host's notices and the status views read them.
 */

export interface RemoteSpec {
  host: string;
  port: number;
  tls: boolean;
}

/** What a remote said of our free tier there when it refused an upload (bytes). */
export interface FreeTierUsage {
  used: number | null;
  limit: number | null;
  /** For people: "register on host:port to upload more (X of Y used)…", or that the registration was revoked. */
  message: string;
  /** The operator revoked this account's registration there (registering again is refused). */
  revoked?: boolean;
}

/** What a remote's last publish said of its storage: its NK 0010 `reason`, or ok. */
export type RemoteStorage = 'ok' | 'storage_full' | 'storage_failed';

export interface RemoteStatus {
  label: string;
  connected: boolean;
  /** Objects in its outbox, waiting to be sent (kept there while its storage is full). */
  pending: number;
  storage: RemoteStorage;
  /** Set while the remote refuses our uploads until we register (NK 0011). */
  freeTier: FreeTierUsage | null;
  /** Why it is not connected (the socket error's code and message), or null. */
  lastFailure: ConnectFailure | null;
  lastConnectedAt: number | null;
  /** Epoch ms of the next attempt to connect while it waits out its back-off, or null. */
  nextAttemptAt: number | null;
}
