/**
 * The status part of the UI ↔ host contract: what the Status page and the tray show (the state,
 * each remote, the local cache, its disk and the checks of its files, apps, shares waiting) and
 * its runtime checks. contract.ts puts them in its snapshot, its `status` answer and its events.
 */
import type { CacheCheckJson } from '../wire/status.js';
import type { RemoteSpec } from './config-fields.js';
import { LIMITS, ghidText } from './contract-limits.js';
import { arr, bool, nullable, num, obj, oneOf, optional, str, uint, type Check } from './wire-check.js';


export const APP_STATES = ['no-account', 'creating', 'locked', 'unlocking', 'running', 'restarting', 'error'] as const;
export type AppState = (typeof APP_STATES)[number];

type Remote = RemoteSpec;

/** The account's standing on a remote that keeps accounts (`server.registration` on). */
export interface RemoteAccountStatus {
  status: (typeof ACCOUNT_STANDINGS)[number];
  /** Bytes this account stores there, and what an unregistered account may store. */
  usedBytes: number;
  freeBytes: number;
}

export const ACCOUNT_STANDINGS = ['registered', 'pending', 'revoked', 'unregistered'] as const;

export interface RemoteStatus extends Remote {
  connected: boolean;
  /** Registered or free tier, with usage; absent for a remote that keeps no accounts (or before it answered). */
  account?: RemoteAccountStatus;
  /** The remote refused an upload until this account registers there: what to tell the user. */
  registerHint?: string;
  /** The remote said its storage is full (NK 0010): what this computer publishes waits in its outbox. */
  storageFull?: boolean;
  /** The remote said its storage cannot take writes now (NK 0010, failed: its database down, a write error): what this computer publishes waits. */
  storageFailed?: boolean;
  /** Why it is not connected, in plain words (remote-words.ts), or null. */
  problem?: string | null;
  /** Epoch ms of the last connection, or null if never. */
  lastConnectedAt?: number | null;
  /** Epoch ms of the next try to connect while it waits out its back-off (up to 30 s apart), or null. */
  nextAttemptAt?: number | null;
  /** Objects waiting to be uploaded to it. */
  backlog?: number;
}

export const STORAGE_KINDS = ['ok', 'full', 'failed'] as const;

/** Whether this computer's Hypergolix storage (the local cache) takes writes. */
export interface StorageStatus {
  /** `full`: no room (ENOSPC, EDQUOT); `failed`: the disk refuses writes (EIO, EROFS). */
  kind: (typeof STORAGE_KINDS)[number];
  /** The file or directory whose write failed; null when ok. */
  path: string | null;
  /** Free bytes on that disk when last checked; null when ok or unknown. */
  freeBytes: number | null;
  /** One sentence for a person; null when ok. */
  message: string | null;
}

export interface IncomingShare {
  id: string;
  /** Fingerprint of the sender. */
  from: string;
  apiId: string;
  /** Epoch milliseconds. */
  receivedAt: number;
  /** The sender's contact name, if they have one. */
  name?: string | null;
  /** The object's type in words (people.ts apiTypeWords). */
  type?: string;
  /** Bytes of the object's state, when known. */
  size?: number | null;
}

/** The daemon's checks of the local cache's files (src/core/daemon/cache-check.ts), as its IPC status carries them. */
export type CacheCheckStatus = CacheCheckJson;

/**
 * The check of this computer's embedded server's store (core/remote/store-check.ts; a file store
 * only), as the Status page shows it: one going on, the last whole one, and what is damaged now.
 */
export interface ServerStoreStatus {
  /** A check going on: objects read of how many. */
  running: { checked: number; total: number } | null;
  /** The last whole check: when it ended (epoch ms), objects read, damaged found. */
  last: { finishedAt: number; checked: number; damaged: number } | null;
  /** Objects known damaged now (by a check or a read), until a computer sends them again. */
  damagedNow: number;
}

export interface Status {
  state: AppState;
  /** What went wrong when `state` is 'error'; otherwise an optional human detail or null. */
  message: string | null;
  remotes: RemoteStatus[];
  objectsCached: number;
  /** The local cache's storage; absent before a daemon runs. */
  storage?: StorageStatus;
  /** The daemon's checks of the local cache's files; absent before a daemon runs. */
  cacheCheck?: CacheCheckStatus;
  /** The embedded server's check of its store; absent while none runs here (or its store is a database). */
  serverStore?: ServerStoreStatus;
  connectedApps: number;
  incomingShares: IncomingShare[];
  /** Standing conditions the user should see, e.g. legacy IPC clients on or a root_secret in the YAML. */
  warnings: { code: string; message: string }[];
}

/**
 * The codes of the warnings the host itself raises (the configuration's own come from its checks).
 * The UI tells some apart: a broken hypergolix.yml is said on every page, not again on Status.
 */
export const HOST_WARNINGS = {
  configInvalid: 'config-invalid',
  configRemoved: 'config-removed',
  unlockAutomatically: 'unlock-automatically',
  embeddedServer: 'embedded-server',
  embeddedServerDamaged: 'embedded-server-damaged',
  passwordChangedElsewhere: 'password-changed-elsewhere',
} as const;

export const checkCacheCheck: Check<CacheCheckStatus> = obj<CacheCheckStatus>({
  lastCheckedAt: nullable(uint),
  running: bool,
  checked: uint,
  putRight: uint,
  givenToRemotes: uint,
  damaged: arr(ghidText, LIMITS.listed),
  damagedCount: uint,
});

export const checkServerStore: Check<ServerStoreStatus> = obj<ServerStoreStatus>({
  running: nullable(obj({ checked: uint, total: uint })),
  last: nullable(obj({ finishedAt: uint, checked: uint, damaged: uint })),
  damagedNow: uint,
});

export const checkStatus: Check<Status> = obj<Status>({
  state: oneOf(APP_STATES),
  message: nullable(str({ max: LIMITS.text })),
  remotes: arr(
    obj<RemoteStatus>({
      host: str({ max: LIMITS.host }),
      port: num,
      tls: bool,
      connected: bool,
      storageFull: optional(bool),
      storageFailed: optional(bool),
      account: optional(obj<RemoteAccountStatus>({ status: oneOf(ACCOUNT_STANDINGS), usedBytes: uint, freeBytes: uint })),
      registerHint: optional(str({ max: LIMITS.text })),
      problem: optional(nullable(str({ max: LIMITS.text }))),
      lastConnectedAt: optional(nullable(num)),
      nextAttemptAt: optional(nullable(num)),
      backlog: optional(uint),
    }),
    LIMITS.remotes,
  ),
  objectsCached: uint,
  storage: optional(
    obj<StorageStatus>({ kind: oneOf(STORAGE_KINDS), path: nullable(str({ max: LIMITS.text })), freeBytes: nullable(uint), message: nullable(str({ max: LIMITS.text })) }),
  ),
  cacheCheck: optional(checkCacheCheck),
  serverStore: optional(checkServerStore),
  connectedApps: uint,
  incomingShares: arr(
    obj<IncomingShare>({
      id: str({ min: 1, max: LIMITS.id }),
      from: ghidText,
      apiId: str({ min: 1, max: LIMITS.ghid }),
      receivedAt: num,
      name: optional(nullable(str({ max: LIMITS.text }))),
      type: optional(str({ max: LIMITS.text })),
      size: optional(nullable(uint)),
    }),
    LIMITS.shares,
  ),
  warnings: arr(obj({ code: str({ max: LIMITS.id }), message: str({ max: LIMITS.text }) }), 32),
});
