/**
 * The writes of one transaction, as a few set-based statements: the deletions, the insertions
 * (with the counter rule checked again in the statement itself), and the usage of every identity
 * whose usage changed. Statements that find the database other than the transaction read it
 * throw WriteConflict, and the transaction runs again.
 */
import { writeEntry, entryLength, type Entry } from '../store/entry.js';
import type { Usage } from '../rules/usage.js';
import { WriteConflict } from './errors.js';
import type { SqlClient } from './sql.js';

export interface Writes {
  inserts: { entry: Entry; raw: Buffer }[];
  deletes: string[];
  /** identity → its usage after the transaction */
  usage: Map<string, Usage>;
}

/** An object's row as INSERT writes it, but its bytes: what the database derives from its entry (ghid, type, target, dynamic, party, counter, size, entry). */
export function derivedColumns(e: Entry): unknown[] {
  return [e.ghid, e.type, e.target ?? null, e.dynamic ?? null, e.signer ?? e.recipient ?? null, e.counter == null ? null : e.counter.toString(), e.size, packEntry(e)];
}

/** The entry's binary form (src/core/store/entry.ts), as the `entry` column holds it. */
export function packEntry(e: Entry): Buffer {
  const out = Buffer.alloc(entryLength(e));
  writeEntry(e, out, 0);
  return out;
}

const INSERT = `
  INSERT INTO objects (ghid, type, target, dynamic, party, counter, size, entry, raw)
  SELECT u.ghid, u.type, u.target, u.dynamic, u.party, u.counter, u.size, u.entry, u.raw
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::integer[], $8::bytea[], $9::bytea[])
    AS u(ghid, type, target, dynamic, party, counter, size, entry, raw)
  -- A frame goes in only over no frame, or over a frame with a lower counter: the rule of
  -- golix §9 held again by the statement, whatever another node did meanwhile.
  WHERE u.type <> 'GOBD' OR u.counter IS NULL OR NOT EXISTS (
    SELECT 1 FROM objects f WHERE f.type = 'GOBD' AND f.dynamic = u.dynamic AND f.counter >= u.counter
  )`;

export async function applyWrites(client: SqlClient, w: Writes): Promise<void> {
  if (w.deletes.length > 0) {
    const r = await client.query('DELETE FROM objects WHERE ghid = ANY($1::text[])', [w.deletes]);
    if (r.rowCount !== w.deletes.length) throw new WriteConflict(`${w.deletes.length - (r.rowCount ?? 0)} object(s) were deleted by another writer`);
  }
  if (w.inserts.length > 0) {
    const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
    for (const { entry: e, raw } of w.inserts) {
      const row = [...derivedColumns(e), raw];
      row.forEach((v, i) => cols[i]!.push(v));
    }
    const r = await client.query(INSERT, cols);
    if (r.rowCount !== w.inserts.length) throw new WriteConflict('A newer frame was stored by another writer');
  }
  const gone = [...w.usage].filter(([, u]) => u.objects <= 0).map(([id]) => id);
  const kept = [...w.usage].filter(([, u]) => u.objects > 0);
  if (gone.length > 0) await client.query('DELETE FROM usage WHERE identity = ANY($1::text[])', [gone]);
  if (kept.length > 0) {
    await client.query(
      `INSERT INTO usage (identity, bytes, objects) SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])
       ON CONFLICT (identity) DO UPDATE SET bytes = EXCLUDED.bytes, objects = EXCLUDED.objects`,
      [kept.map(([id]) => id), kept.map(([, u]) => u.bytes), kept.map(([, u]) => u.objects)],
    );
  }
}

/** Usage of `identities` as the database holds it now. */
export async function readUsage(client: SqlClient, identities: readonly string[]): Promise<Map<string, Usage>> {
  const out = new Map<string, Usage>();
  if (identities.length === 0) return out;
  const { rows } = await client.query<{ identity: string; bytes: string; objects: string }>(
    'SELECT identity, bytes, objects FROM usage WHERE identity = ANY($1::text[])',
    [identities],
  );
  for (const r of rows) out.set(r.identity, { bytes: Number(r.bytes), objects: Number(r.objects) });
  return out;
}
