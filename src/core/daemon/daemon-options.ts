/**
 * What starts an app daemon (daemon.ts): where its files are, its remotes, the account to open
 * or create, and the knobs hosts and tests may turn.
 */
import type { AccountProgress } from '../account/account.js';
import type { KdfParams } from '../account/kdf.js';
import type { Ghid, PrivateIdentity, Secret } from '../golix/index.js';
import type { RemoteLogger } from '../remote/logger.js';
import type { BackoffOptions } from '../remote/client.js';
import type { ObjectStore } from '../store/object-store.js';
import type { CacheCheckOptions } from './cache-check.js';
import type { NetworkChangesOptions } from './network-changes.js';
import type { RemoteSpec } from './remote-status.js';

export type AccountRequest =
  | { create: { password: string; kdf?: KdfParams; identity?: PrivateIdentity } }
  | { login: { userId: Ghid; fingerprint?: Ghid | null; password?: string; rootSecret?: Secret; kdf?: KdfParams; recoveryKey?: Uint8Array } };

export interface DaemonOptions {
  ghidcache: string;
  /** The local cache's backend. @default a FileStore at `ghidcache` (tests pass their own) */
  store?: ObjectStore;
  /** Where each remote's outbox lives. @default `${ghidcache}.outbox` */
  outboxDir?: string;
  /** Where the account maps' journals live. @default `${ghidcache}.account` */
  journalDir?: string;
  remotes: RemoteSpec[];
  account: AccountRequest;
  logger: RemoteLogger;
  /** Names this device in merged account maps. @default hostname + random suffix */
  device?: string;
  /** How long to wait for remotes when the account is not in the local cache (a new machine). */
  remoteWaitMs?: number;
  onProgress?: (p: AccountProgress | { stage: 'store' } | { stage: 'remotes' }) => void;
  maxLiveObjects?: number;
  /** When the local copy is checked in the background (cache-check.ts). */
  cacheCheck?: CacheCheckOptions;
  /** How a lost remote is tried again. @default from 100 ms, doubling to 30 s, full jitter (remote/client.ts) */
  reconnect?: BackoffOptions;
  /** How a changed network is heard (network-changes.ts); false: not watched. @default addresses read every 3 s */
  networkChanges?: NetworkChangesOptions | false;
  /** How often a remote that holds our uploads until we register there is asked whether we have (free-tier-watch.ts). @default 30 s */
  registrationCheckMs?: number;
}
