/**
 * The options and events of `HGXLink` (see `link.ts`): what an app passes to `connect()` and
 * `new()`, and what the link tells it.
 */
import type { DaemonStatusJson } from '../../../src/wire/index.js';
import type { ApiIdText, GhidText } from './ids.js';
import type { KeySource } from './key.js';

/**
 * How `HGXLink.connect()` finds and talks to the daemon. Every field is optional: by default it
 * connects to `127.0.0.1:7772` with the key from the Hypergolix home (Node only; in a browser pass
 * `token`).
 */
export interface ConnectOptions extends KeySource {
  /** @default 7772 */
  port?: number;
  /**
   * The port the daemon itself listens on, when `port` is a relay's (a host that relays its
   * page's socket to the daemon): the key proof names the daemon's port, so that a program
   * holding another port cannot pass the proof on. @default port
   */
  daemonPort?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** How long `connect()` keeps trying before it fails with NotConnected. @default 5000 */
  timeoutMs?: number;
  /** How long one request waits for the daemon's answer. @default 30000 */
  requestTimeoutMs?: number;
  /** Reconnect after the daemon goes away. @default true (100 ms → 5 s back-off) */
  reconnect?:
    | boolean
    | {
        /** The first delay before trying again, at least 10 ms. @default 100 */
        minDelayMs?: number;
        /** The longest delay between tries, at least 10 ms (the delay doubles, with jitter, up to it). @default 5000 */
        maxDelayMs?: number;
      };
  /**
   * Skip authentication, for a daemon that admits legacy clients (`process.ipc_legacy_clients`).
   * Such a link may use public objects only: no token, no private objects.
   * @default false
   */
  legacy?: boolean;
  /** Where listener errors and reconnect troubles are reported. @default console */
  logger?: {
    /** Called with a message and the error or details. */
    warn(message: string, ...details: unknown[]): void;
  };
}

/** How `link.new()` makes an object. */
export interface NewOptions {
  /** @default the class's defaultApiId */
  apiId?: ApiIdText | Uint8Array;
  /** A dynamic object can be updated; a static one never changes. @default true */
  dynamic?: boolean;
  /** Readable and writable only by this app's token (register one first); never shareable. @default false */
  private?: boolean;
  /** Old frames each update keeps, 1–255; 0 = the daemon's default (7). @default 0 */
  legroom?: number;
}

/** `handler(ghid, origin, apiId)`: an object was shared with this user (origin = the sharer's fingerprint), or another app of this user made one (origin = `whoami`). */
export type ShareHandler = (ghid: GhidText, origin: GhidText, apiId: ApiIdText) => void | Promise<void>;

/** The events of an `HGXLink` (`link.on(name, listener)`), with their listeners' arguments. */
export interface LinkEvents {
  /** The connection dropped; the link is reconnecting (unless closed). */
  disconnected: [reason: string];
  /** Reconnected, and token, handlers and open objects restored. */
  reconnected: [];
  /** A share's outcome for an object not open here (open objects get `'shared'`/`'share-failed'`). */
  'share-result': [
    result: {
      /** The object shared. */
      ghid: GhidText;
      /** Whom it was shared with (their fingerprint). */
      recipient: GhidText;
      /** Whether their daemon accepted it. */
      ok: boolean;
    },
  ];
  /**
   * How Hypergolix stands changed (after `watchStatus()`): a remote connected or went away, what
   * waits to be sent changed, and so on; the status as `status()` returns it. One follows each
   * `'reconnected'` too.
   */
  status: [status: DaemonStatusJson];
  /** Something went wrong in the background (a failed restore, a listener error). */
  error: [error: Error];
}
