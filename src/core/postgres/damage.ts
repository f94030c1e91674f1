/**
 * Damage found in stored bytes, for server nodes sharing one database (remote/damaged-objects.ts):
 * marked in the object's row (`objects.damaged`, why), so that every node answers it as not here
 * (engine `get` and `exists`) — a node learning of it only from its own reads would answer `CK`
 * yes for what another found, and the daemon that could put it right would not send it — and put
 * right by a publish of the object on any node.
 */
import { VerificationFailure, checkSignature, isSigned, signerOf, type Ghid, type GolixObject } from '../golix/index.js';
import type { DamageMarks } from '../rules/persistence-engine.js';
import { rebuildDerived } from './derived.js';
import type { IdentityCache } from './identities.js';
import type { SqlClient } from './sql.js';
import type { StatsCache } from './stats.js';

/** The row of a stored object, or of a dynamic GHID's current frame ($1). */
export const OBJECT_ROW = "(ghid = $1 OR (dynamic = $1 AND type = 'GOBD'))";

export class PgDamageMarks implements DamageMarks {
  constructor(
    private readonly db: SqlClient,
    private readonly stats: () => StatsCache,
  ) {}

  async mark(ghid: Ghid, why: string): Promise<void> {
    const r = await this.db.query(`UPDATE objects SET damaged = $2 WHERE ${OBJECT_ROW} AND damaged IS NULL`, [ghid.text, why]);
    this.stats().damagedChanged(r.rowCount ?? 0);
  }

  /** By their own GHIDs (a frame's, not its dynamic GHID's), as a file store's check names a frame whose signature fails. */
  async marked(limit: number): Promise<{ count: number; listed: { ghid: string; why: string }[] }> {
    const { rows } = await this.db.query<{ ghid: string; why: string; n: string }>(
      'SELECT ghid, damaged AS why, count(*) OVER () AS n FROM objects WHERE damaged IS NOT NULL ORDER BY ghid LIMIT $1',
      [limit],
    );
    // Every row carries the count of all marked (a window over the whole result, before the limit); none marked, no row.
    const count = rows.length === 0 ? 0 : Number(rows[0]!.n);
    this.stats().damagedCounted(count);
    return { count, listed: rows.map((r) => ({ ghid: r.ghid, why: r.why })) };
  }

  count(): number {
    return this.stats().damaged();
  }

  async copy(ghid: Ghid): Promise<Buffer | null> {
    const { rows } = await this.db.query<{ raw: Buffer }>(`SELECT raw FROM objects WHERE ${OBJECT_ROW} LIMIT 1`, [ghid.text]);
    return rows[0]?.raw ?? null;
  }

  async clear(ghid: Ghid): Promise<void> {
    const r = await this.db.query(`UPDATE objects SET damaged = NULL WHERE ${OBJECT_ROW} AND damaged IS NOT NULL`, [ghid.text]);
    this.stats().damagedChanged(-(r.rowCount ?? 0));
  }
}

/** Whether a signed object's signature verifies under its signer's identity in the database; null when that identity is not there; true when unsigned. */
export async function signatureHolds(db: SqlClient, identities: IdentityCache, obj: GolixObject): Promise<boolean | null> {
  if (!isSigned(obj)) return true;
  const signer = await identities.find(db, signerOf(obj)!);
  return signer && checkSignature(obj as Parameters<typeof checkSignature>[0], signer);
}

/**
 * Writes again the stored copy of `obj` from it, when that copy is marked damaged or, for an
 * identity, differs (every byte of one is hashed into its GHID, so a different copy is a damaged
 * one), and what its row derives from it; clears the mark. Whether it was written. A copy whose
 * signature does not verify is refused.
 */
export async function repairCopy(db: SqlClient, identities: IdentityCache, stats: StatsCache, obj: GolixObject): Promise<boolean> {
  const { rows } = await db.query<{ marked: boolean; same: boolean }>('SELECT damaged IS NOT NULL AS marked, raw = $2 AS same FROM objects WHERE ghid = $1', [obj.ghid.text, obj.raw]);
  const row = rows[0];
  if (!row || !(row.marked || (obj.type === 'GIDC' && !row.same))) return false;
  if ((await signatureHolds(db, identities, obj)) === false) throw new VerificationFailure(`${obj.type} ${obj.ghid.short}: the good copy's signature does not verify`);
  const r = await db.query('UPDATE objects SET raw = $2, damaged = NULL WHERE ghid = $1', [obj.ghid.text, obj.raw]);
  if (row.marked) stats.damagedChanged(-(r.rowCount ?? 0));
  // What the row derives from the object may have been damaged with it: rebuilt from the good copy, now verified.
  await rebuildDerived(db, obj);
  return (r.rowCount ?? 0) > 0;
}
