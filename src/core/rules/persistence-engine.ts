import type { Ghid, GolixObject } from '../golix/index.js';
import type { StorageState } from '../store/storage-state.js';
import type { HistogramSnapshot } from '../util/histogram.js';

/** One `!!` to send: the subscribed GHID and the object that concerns it. */
export interface Notification {
  subscribed: Ghid;
  object: GolixObject;
  /**
   * Who uploaded `object`, as its ingest's `IngestHooks.origin` named it; absent when not known.
   * A frame held for its container is announced by whichever ingest stores the container, so
   * the uploader of what is announced is not always the one whose ingest announces it.
   */
  origin?: unknown;
}

export interface IngestResult {
  /** false when the object (or this exact frame) was already stored: a no-op success. */
  stored: boolean;
  object: GolixObject;
  /**
   * Notifications this ingest releases, in order. A frame's notification is held back until
   * its target container is stored, so ingesting a container may release a frame's.
   */
  notifications: Notification[];
}

/**
 * What a caller may do with an ingest before it is durable. An engine serves an object through
 * `get()` from the moment it is applied (a failed commit rolls it back, so readers see what they
 * saw before), so what it releases may be relayed then: subscribers need no durability, only the
 * publisher's answer does.
 */
export interface IngestHooks {
  /**
   * Who uploads the object (a server's connection), opaque to the engine: its notifications
   * carry it as their `origin`, also when another ingest releases them, so that a server does
   * not echo an object back to its uploader (hypergolix-reference §3.4).
   */
  origin?: unknown;
  /**
   * Called at most once, when the object is applied and readable but not yet durable, with the
   * notifications it releases. An engine that can only show an object once it is committed
   * (PostgreSQL: other nodes read the database) never calls it; the notifications then come
   * with the result as always. What it throws is ignored: the ingest goes on.
   */
  applied?(notifications: Notification[]): void;
}

/** Per-identity quota accounting (rules/usage.ts), for metrics. */
export interface StorageUsage {
  /** Identities with at least one stored object charged to them. */
  identities: number;
  /** Bytes and objects charged over all identities (GIDCs and GARQs are charged to nobody). */
  bytes: number;
  objects: number;
  /** The most bytes any one identity stores. */
  largestBytes: number;
  bytesLimit: number | null;
  objectsLimit: number | null;
}

/**
 * What an engine shared with other writers (server nodes on one database) learns from them,
 * for the server to act on.
 */
export interface EngineFollower {
  /** Notifications of objects another writer committed: push them to this server's subscribers. */
  notifications(notes: Notification[]): void;
  /**
   * Whether anyone here is subscribed to a GHID (text): announcements nobody here waits for are
   * not fetched. Absent: every announcement is fetched.
   */
  wants?(subscribed: string): boolean;
  /**
   * The engine lost (or has just regained) its link to the other writers, so pushes may have
   * been missed: close every client connection, so that clients reconnect, resubscribe and
   * catch up.
   */
  lost(reason: string): void;
}

/**
 * The validated object store that a persistence server (and a daemon's local cache) runs on:
 * the Golix acceptance rules (golix §11) over a storage backend. Every method that takes input
 * from the network throws only HypergolixError subclasses, whose `code` is the wire NK code.
 */
export interface PersistenceEngine {
  /**
   * Parse, validate, store, collect garbage. Throws the reference's error for a refusal.
   * Ingests are applied in the order they were called, however their parsing and signature
   * checks interleave, so callers may issue the next one before the previous has resolved.
   */
  ingest(raw: Buffer, hooks?: IngestHooks): Promise<IngestResult>;
  /** Packed bytes of a static object, or of the current frame for a dynamic GHID. DoesNotExist otherwise. */
  get(ghid: Ghid): Promise<Buffer>;
  /** Writes again the bytes of a stored object whose copy is damaged, from `raw` (that very object); whether it was stored. Absent: the store cannot. */
  repair?(raw: Buffer): Promise<boolean>;
  /** Every stored object's GHID (a dynamic GHID for its frame), identities first: what a check of the store reads. Absent: the store is not checked (a database keeps its own integrity). */
  storedGhids?(): string[];
  /** The current frame of a dynamic GHID (its own GHID in `ghid`); absent: not told (a damaged frame is then known by its dynamic GHID only). */
  currentFrame?(dynamic: Ghid): { readonly ghid: string } | undefined;
  /** Whether a signed object's signature verifies under its signer's identity here; null when that identity is not here. */
  signatureHolds?(obj: GolixObject): Promise<boolean | null>;
  exists(ghid: Ghid): boolean | Promise<boolean>;
  /** GHIDs of the GOBS/GOBD (dynamic GHIDs) binding a target. */
  bindingsOf(ghid: Ghid): Ghid[] | Promise<Ghid[]>;
  /** GHIDs of the GDXX debinding a target. */
  debindingsOf(ghid: Ghid): Ghid[] | Promise<Ghid[]>;
  /** Packed stored GARQs addressed to a recipient (replayed on `+S`). */
  requestsFor(recipient: Ghid): Promise<Buffer[]>;
  /** How many GARQs addressed to a recipient are stored (the server's `maxRequestsPerRecipient`). */
  requestCount(recipient: Ghid): number | Promise<number>;
  /** Counts for metrics. */
  stats(): { objects: number; byType: Record<string, number> };
  /** Quota accounting for metrics, when the engine enforces quotas; null or absent otherwise. */
  usage?(): StorageUsage | null;
  /** Whether the backend can store anything now; absent: always ok. */
  storage?(): StorageState;
  /** How long its durable commits have taken, in seconds; absent or null: not measured (an in-memory store). */
  commitDurations?(): HistogramSnapshot | null;
  /** Where to report what other writers of a shared backend do; absent: there are none. */
  follow?(follower: EngineFollower): void;
  /** Flush and release the backend. */
  close(): Promise<void>;
}
