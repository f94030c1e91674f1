/**
 * What one transaction sees of the database: the objects a batch could touch, loaded inside the
 * transaction, as an ObjectStore the rules engine (src/core/rules) runs over unchanged; and what
 * the rules then stored and deleted, as the writes the transaction makes.
 *
 * The neighbourhood is closed under the relations the rules follow: from a GHID, the object
 * itself, the current frame of a dynamic GHID, and everything that targets it (bindings,
 * frames, debindings); then the same from each of those objects' own GHID, target and dynamic
 * GHID, until nothing new turns up. So every container comes with all its binders, every dynamic
 * binding with its frame, static holders and debindings, and a chain of bindings with all its
 * links — everything a check, a collection or a debinding consults. Rows read inside a
 * SERIALIZABLE transaction are what PostgreSQL watches for conflicting writes by other nodes.
 */
import { StorageFull, parseObject, type GolixObject } from '../golix/index.js';
import { decodeEntry, entryOf, type Entry } from '../store/entry.js';
import { EntryTable } from '../store/entry-table.js';
import type { LoadResult, ObjectStore } from '../store/object-store.js';
import type { SqlClient } from './sql.js';

/** A publish refused for a damaged object it depends on is worth trying again this much later (the object may be put right meanwhile). */
const DAMAGED_RETRY_MS = 60_000;

export interface ObjectRow {
  ghid: string;
  entry: Buffer;
  /** Only for identities and frames: what the rules read (a signer's key), and what a released notification sends. */
  raw: Buffer | null;
  /** `entry` decoded (by loadNeighbourhood, once). */
  decoded?: Entry;
  /** Its stored object is damaged, and the batch brings it again (healEntries): marked after the commit, put right by the publish. */
  copyDamaged?: boolean;
}

/** Rows reached from `seeds` (see above); raw bytes only of GIDCs and GOBDs. */
const NEIGHBOURHOOD = `
  WITH RECURSIVE reach(key) AS (
      SELECT unnest($1::text[])
    UNION
      SELECT x.key
      FROM reach r
      CROSS JOIN LATERAL (
          SELECT o.ghid, o.target, o.dynamic FROM objects o WHERE o.ghid = r.key
        UNION ALL
          SELECT o.ghid, o.target, o.dynamic FROM objects o WHERE o.dynamic = r.key AND o.type = 'GOBD'
        UNION ALL
          SELECT o.ghid, o.target, o.dynamic FROM objects o WHERE o.target = r.key
      ) o
      CROSS JOIN LATERAL (VALUES (o.ghid), (o.target), (o.dynamic)) x(key)
      WHERE x.key IS NOT NULL
  )
  SELECT o.ghid, o.entry, CASE WHEN o.type IN ('GIDC', 'GOBD') THEN o.raw END AS raw
  FROM objects o
  WHERE o.ghid IN (SELECT key FROM reach)`;

/** `offered`: the objects the batch publishes, good copies of any stored one found damaged (healEntries). */
export async function loadNeighbourhood(client: SqlClient, seeds: Iterable<string>, offered: readonly GolixObject[] = []): Promise<ObjectRow[]> {
  const { rows } = await client.query<ObjectRow>(NEIGHBOURHOOD, [[...new Set(seeds)]]);
  return healEntries(client, rows, offered);
}

/**
 * Rows whose entry does not decode (damaged in the database) with the entry derived again from
 * their object, which the rules can then go by (the check of the store writes it back:
 * derived.ts). Left as it was, a publish near it would be refused as malformed, which it is not.
 * A row whose object is damaged too cannot be reasoned about: the publish is refused as the
 * store's fault, naming it, until the object is put right — by a publish of it (a daemon's check
 * gives it again), whose copy stands in for it here (its GHID hashes what the entry derives from;
 * the rules verify its signature before anything is stored): the row is flagged `copyDamaged`, to
 * be marked after the commit and written again from the publish (damage.ts).
 */
async function healEntries(client: SqlClient, rows: ObjectRow[], offered: readonly GolixObject[]): Promise<ObjectRow[]> {
  const damaged = rows.filter((r) => (r.decoded = decoded(r.entry)) === undefined);
  if (damaged.length === 0) return rows;
  const { rows: objects } = await client.query<{ ghid: string; raw: Buffer }>('SELECT ghid, raw FROM objects WHERE ghid = ANY($1::text[])', [damaged.map((r) => r.ghid)]);
  const raws = new Map(objects.map((o) => [o.ghid, o.raw]));
  for (const row of damaged) {
    const stored = objectOf(raws.get(row.ghid));
    const given = stored?.ghid.text === row.ghid ? null : offered.find((o) => o.ghid.text === row.ghid);
    if (given) {
      row.copyDamaged = true;
      if (row.raw !== null) row.raw = given.raw;
    }
    const obj = given ?? stored;
    if (obj?.ghid.text !== row.ghid) {
      throw new StorageFull(`The database holds a damaged object (${row.ghid.slice(0, 12)}…) that this publish depends on; a check of the store (hypergolix server check) finds it, and a publish of it puts it right`, { reason: 'storage_failed', retryAfterMs: DAMAGED_RETRY_MS });
    }
    row.decoded = entryOf(obj);
  }
  return rows;
}

function decoded(entry: Buffer): Entry | undefined {
  try {
    return decodeEntry(entry);
  } catch {
    return undefined;
  }
}

function objectOf(raw: Buffer | undefined): GolixObject | null {
  try {
    return raw ? parseObject(raw, { maxBytes: Number.MAX_SAFE_INTEGER }) : null;
  } catch {
    return null;
  }
}

/** The GHIDs an entry names: where its neighbourhood starts. */
export function seedsOf(e: Entry): string[] {
  return [e.ghid, e.target, e.dynamic, e.signer, e.recipient].filter((g): g is string => g !== undefined);
}

/**
 * The loaded rows as an ObjectStore. Writes before `arm()` (the rules engine repairing what it
 * believes a crash left half done) would mean the neighbourhood was not closed: they are
 * counted, not applied. After it, puts and deletes are recorded as the transaction's writes.
 */
export class TransactionView implements ObjectStore {
  private readonly entries = new EntryTable();
  private readonly raws = new Map<string, Buffer>();
  /** GHIDs in the database when the transaction read it. */
  private readonly before = new Set<string>();
  private readonly added = new Map<string, { entry: Entry; raw: Buffer }>();
  private readonly removed = new Set<string>();
  private armed = false;
  /** Repairs the engine asked for before arm(): zero when the neighbourhood is closed. */
  unexpectedWrites = 0;

  constructor(rows: readonly ObjectRow[]) {
    for (const row of rows) {
      this.entries.set(row.decoded ?? decodeEntry(row.entry));
      this.before.add(row.ghid);
      if (row.raw) this.raws.set(row.ghid, row.raw);
    }
  }

  /** Every entry loaded (for the signers whose usage the transaction must know). */
  loaded(): Entry[] {
    return [...this.entries.values()];
  }

  /** The raw bytes of a loaded GIDC or GOBD. */
  rawOf(ghid: string): Buffer | undefined {
    return this.raws.get(ghid) ?? this.added.get(ghid)?.raw;
  }

  wasStored(ghid: string): boolean {
    return this.before.has(ghid);
  }

  arm(): void {
    this.armed = true;
  }

  async load(): Promise<LoadResult> {
    return { entries: this.entries, warnings: [] };
  }

  put(entry: Entry, raw: Buffer): Promise<void> {
    if (!this.armed) {
      this.unexpectedWrites++;
      return Promise.resolve();
    }
    this.entries.set(entry);
    this.removed.delete(entry.ghid);
    if (!this.before.has(entry.ghid)) this.added.set(entry.ghid, { entry, raw });
    return Promise.resolve();
  }

  delete(ghid: string): Promise<void> {
    if (!this.armed) {
      this.unexpectedWrites++;
      return Promise.resolve();
    }
    this.entries.delete(ghid);
    this.added.delete(ghid);
    if (this.before.has(ghid)) this.removed.add(ghid);
    return Promise.resolve();
  }

  async read(ghid: string): Promise<Buffer | null> {
    return this.rawOf(ghid) ?? null;
  }

  async close(): Promise<void> {}

  /** What the transaction writes: objects to insert, GHIDs to delete (those it read as stored). */
  writes(): { inserts: { entry: Entry; raw: Buffer }[]; deletes: string[] } {
    return { inserts: [...this.added.values()], deletes: [...this.removed] };
  }
}
