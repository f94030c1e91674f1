/**
 * What the database derives from each stored object — its row's columns (type, target, dynamic,
 * party, counter, size) and the rules' entry — checked against the object itself by the check of
 * the store, and rebuilt from it where it differs. The rules and the reads go by those, not by the
 * object's bytes: a damaged target makes a container look unbound (and collected), a damaged
 * counter lets an older frame in. Derived data needs no good copy from elsewhere: the object, once
 * verified, is its source.
 */
import type { GolixObject } from '../golix/index.js';
import { entryOf } from '../store/entry.js';
import type { SqlClient } from './sql.js';
import { derivedColumns } from './writes.js';

interface DerivedRow {
  type: string;
  target: string | null;
  dynamic: string | null;
  party: string | null;
  counter: string | null;
  size: number;
  entry: Buffer;
}

/** Rebuilds the derived columns of `obj`'s row where they differ from `obj` (verified by the caller); whether they did. */
export async function rebuildDerived(db: SqlClient, obj: GolixObject): Promise<boolean> {
  const want = derivedColumns(entryOf(obj));
  const { rows } = await db.query<DerivedRow>('SELECT type, target, dynamic, party, counter::text AS counter, size, entry FROM objects WHERE ghid = $1', [obj.ghid.text]);
  const r = rows[0];
  if (!r) return false;
  const have: unknown[] = [obj.ghid.text, r.type, r.target, r.dynamic, r.party, r.counter, r.size, r.entry];
  if (have.every((v, i) => (Buffer.isBuffer(v) ? v.equals(want[i] as Buffer) : v === want[i]))) return false;
  const u = await db.query('UPDATE objects SET type = $2, target = $3, dynamic = $4, party = $5, counter = $6, size = $7, entry = $8 WHERE ghid = $1', want);
  return (u.rowCount ?? 0) > 0;
}
