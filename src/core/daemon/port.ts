import type { FreeTierUsage, RemoteStatus } from './remote-status.js';
import type { CacheCheckReport } from './cache-check.js';
import type { StorageState } from '../store/storage-state.js';
import type { StatePrefix } from '../account/state-keys.js';
import type { StateNamespace } from '../account/state-namespace.js';
import type { Ghid, GolixObject, PrivateIdentity, Secret } from '../golix/index.js';
import type { ApiId } from '../objects/hgxd.js';
import type { AppObject } from '../objects/manager.js';

export interface DaemonPortEvents {
  /** A newer version of a live object arrived from elsewhere and was decrypted. */
  update: [AppObject];
  /** An object was deleted (debound) upstream. */
  delete: [Ghid];
  /** One of our objects was deleted here, at an app's asking (not emitted as 'delete': that app was answered already). */
  'deleted-here': [Ghid];
  /** A GARQ addressed to us arrived (the sharing layer handles it). */
  request: [GolixObject];
  /**
   * A version of an object was found that no secret known here reads (a frame pushed or
   * fetched, or an app's open): for another user's object, only a new share opens it again.
   */
  unreadable: [Ghid];
  /** An object reported unreadable was read again (a new share, or a frame a known secret reads). */
  readable: [Ghid];
  remote: [label: string, connected: boolean];
  /** A remote away is tried next at its status's nextAttemptAt (a try failed, or the connection was lost). */
  'remote-retry': [label: string];
  /** A remote refused an upload until we register there (NK 0011); the message says so in words. */
  'free-tier': [label: string, usage: FreeTierUsage];
  /** What the check of the local copy tells changed (cache-check.ts). */
  'cache-check': [];
  /** The account's password was found changed on another computer (at, epoch ms; root-watch.ts): told once. */
  'password-changed-elsewhere': [at: number];
}

/** The daemon as it stands: each remote (in the configured order), its cache and the cache's storage. */
export interface DaemonStatus {
  remotes: RemoteStatus[];
  objectsCached: number;
  storage: StorageState;
  /** The checks of the local copy (cache-check.ts). */
  cacheCheck: CacheCheckReport;
  /** When the account's password was found changed on another computer since this one was unlocked (root-watch.ts); null if it was not. */
  passwordChangedElsewhereAt: number | null;
}

/**
 * What the rooms above the daemon (sharing, IPC) may ask of it: the daemon as they see it,
 * implemented by `Daemon`. They depend on this and never reach through the daemon into its
 * engine, remotes, account or object manager, so each of those can change behind it.
 */
export interface DaemonPort {
  /** Our identity's GHID. */
  readonly fingerprint: Ghid;
  /** Our private identity: signs share requests, answers and debindings. */
  readonly identity: PrivateIdentity;
  /** Aborted when the daemon stops: the rooms above start nothing after it. */
  readonly stopped: AbortSignal;

  /**
   * The account state's keys under one prefix (account/state-keys.ts), for the room that owns
   * them. Each prefix can be claimed once per daemon; a second claim throws.
   */
  state(prefix: StatePrefix): StateNamespace;

  /** Creates an app object; a dynamic one stays subscribed on the remotes. */
  create(apiId: ApiId, state: Buffer, opts?: { dynamic?: boolean; legroom?: number }): Promise<AppObject>;
  /** Opens an object (local cache first, else the remotes); a dynamic one stays subscribed. */
  open(ghid: Ghid): Promise<AppObject>;
  update(ghid: Ghid, state: Buffer, opts?: { legroom?: number }): Promise<AppObject>;
  /** Binds a dynamic object's current container statically: a new static object. */
  freeze(ghid: Ghid): Promise<AppObject>;
  /** Keeps an object alive with a static binding of its GHID. */
  hold(ghid: Ghid): Promise<void>;
  /** Deletes an object we created or bound (a dynamic one is unsubscribed). */
  delete(ghid: Ghid): Promise<void>;
  /**
   * Keeps an object subscribed on the remotes whether an app has it open or not, from now until
   * the daemon stops, and takes in its current version at once: an object shared with us is
   * read along its frames only, so a daemon that let more versions than a frame carries back
   * (its legroom) pass unseen could not read it again.
   */
  follow(ghid: Ghid): void;
  /** Applies a frame fetched for a subscribed object (a newer one emits 'update'). */
  receive(obj: GolixObject, subscribed: Ghid): Promise<void>;
  /** Whether the object is decrypted in memory now. */
  isLive(ghid: Ghid): boolean;
  /** Keeps an object live (beyond the cache size) until unpinned. */
  pin(ghid: Ghid): void;
  unpin(ghid: Ghid): void;

  /**
   * Resolves once no frame of ours of the object waits for a connected remote's answer (true),
   * or after `timeoutMs` (false): before its secret is shared (daemon/settle-wait.ts).
   */
  settled(ghid: Ghid, timeoutMs?: number): Promise<boolean>;
  /** Opens the object and returns the secret that reads it (null if none is known). */
  secretOf(ghid: Ghid): Promise<Secret | null>;
  /** Keeps a secret received in a share until the object it reads is opened. */
  quarantine(target: Ghid, secret: Secret, from: Ghid): void;
  /** Drops a quarantined secret (the share was not taken). */
  release(target: Ghid): void;

  /** Stores locally and sends to every remote. */
  publish(obj: GolixObject): Promise<void>;
  /**
   * The local copy first, else the remotes; `fresh` asks the remotes for the newest frame;
   * `keep: false` leaves what the remotes give unstored (a look at a share not accepted yet).
   */
  fetch(ghid: Ghid, opts?: { fresh?: boolean; keep?: boolean }): Promise<GolixObject | null>;

  /** What the daemon can tell of itself now (`hypergolix status`, through IPC). */
  status(): DaemonStatus;

  /** Checks the whole local copy now, putting damaged objects right from the remotes (cache-check.ts). */
  checkCache(): Promise<CacheCheckReport>;

  /** Tries every remote that is not connected now instead of at the end of its back-off, and pings each connected one (its link made again if nothing answers within 5 s); resolves once each has ended. */
  tryRemotes(): Promise<void>;

  /** A signed link to a remote's registration page for this account (see daemon/remote-accounts.ts). */
  registrationLink(remote?: string): Promise<string>;
  on<K extends keyof DaemonPortEvents>(event: K, listener: (...args: DaemonPortEvents[K]) => void): unknown;
  off<K extends keyof DaemonPortEvents>(event: K, listener: (...args: DaemonPortEvents[K]) => void): unknown;
}
