import { DoesNotExist, type Ghid, type GolixObject } from '../golix/index.js';
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

/** A stored object whose copy is damaged: answered as none (the wire's DoesNotExist) until a publish puts it right. */
export class DamagedCopy extends DoesNotExist {
  constructor(ghid: Ghid) {
    super(`${ghid.short} is damaged in this server's store`);
  }
}

/** How a check of the store asks for its turn. */
export interface CheckTurnOptions {
  /** A check on a schedule of this period: none is needed if another server sharing the store checked it within most of it. */
  scheduledEveryMs?: number;
}

/** One check's turn at a store (PersistenceEngine.checkTurn). */
export interface StoreCheckTurn {
  /** About how many objects it will read (to tell progress). */
  readonly total: number;
  /** Every stored object's GHID (a dynamic GHID for its frame), identities first, a page at a time. */
  pages(): AsyncIterable<readonly string[]>;
  /** Ends the turn (with the whole check it made, to be told to others; null: cut short), so that another may take one. */
  end(whole: WholeCheck | null): Promise<void>;
}

/** A check of the store that read it whole: when (ISO 8601), and how many objects. */
export interface WholeCheck {
  startedAt: string;
  finishedAt: string;
  checked: number;
}

/** No turn now: another server sharing the store is checking it, or (a scheduled check) checked it lately. */
export interface CheckTurnRefused {
  refused: string;
  /** The last whole check of the store, by whichever server, when one is known. */
  lastWhole?: WholeCheck;
}

/**
 * Damage found in stored bytes, kept where every server sharing the store sees it (a database
 * column): the store answers a marked object as not here (`exists`; `get` throws DamagedCopy) until `repair`.
 */
export interface DamageMarks {
  /** Marks a stored object (by its GHID, or a dynamic GHID for its current frame) damaged, with why. */
  mark(ghid: Ghid, why: string): Promise<void>;
  /** The objects marked now: at most `limit` named, and how many in all. */
  marked(limit: number): Promise<{ count: number; listed: { ghid: string; why: string }[] }>;
  /** How many are marked, as last counted (for /metrics, read without a query). */
  count(): number;
  /** The stored bytes of a marked object, read past its mark (the check reads them again); null when it is gone. */
  copy(ghid: Ghid): Promise<Buffer | null>;
  /** Clears the mark of an object whose copy is sound again (put right outside Hypergolix). */
  clear(ghid: Ghid): Promise<void>;
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
  /** Every stored object's GHID (a dynamic GHID for its frame), identities first: what a check of the store reads, for a store listed at once (files). */
  storedGhids?(): string[];
  /**
   * A turn to check the store, for one shared by several servers or too large to list at once (a
   * database): its objects a page at a time, and a turn taken by one server at a time. Absent with
   * `storedGhids`: the store is not checked.
   */
  checkTurn?(o: CheckTurnOptions): Promise<StoreCheckTurn | CheckTurnRefused>;
  /** Damage found kept in the store itself, where every server sharing it sees it; absent: each server keeps what it found. */
  damage?: DamageMarks;
  /** What the store derives from a stored object (its index: a database's columns) checked against it, verified, and rebuilt where it differs; whether it was. */
  rebuildDerived?(obj: GolixObject): Promise<boolean>;
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
