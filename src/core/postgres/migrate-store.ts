/**
 * `hypergolix server migrate`: a server's objects copied between its file store (the ghidcache)
 * and a PostgreSQL database, either way, with the server stopped. Objects are copied as they are
 * stored — entries and bytes, no re-validation: the rules held when they were accepted. The
 * destination must be empty, so a copy never merges two stores' rule states. The server's
 * accounts (its registrations journal, `<ghidcache>.accounts`, and the `registration_ops` rows)
 * go along, op for op, in the same order.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ValueError } from '../golix/index.js';
import { supersedes } from '../rules/acceptance.js';
import { decodeEntry, type Entry } from '../store/entry.js';
import { FileStore } from '../store/file-store.js';
import { openPool } from './connect.js';
import { parseOp } from '../registration/records.js';
import { registrationsPath } from '../registration/registry.js';
import { AppendLog } from '../util/append-log.js';
import { migrate } from './schema.js';
import type { SqlClient } from './sql.js';
import { packEntry } from './writes.js';

export interface MigrateOptions {
  ghidcache: string;
  /** A postgres:// URL, or null for the PG* variables. */
  url: string | null;
  /** Called now and then with the objects copied so far. */
  progress?: (copied: number, total: number) => void;
  warn?: (message: string) => void;
}

/** What a copy moved. */
export interface Copied {
  objects: number;
  /** Registration ops (the accounts' history). */
  registrations: number;
}

/** The registrations journal's ops beside a ghidcache, as their JSON texts (unknown or torn lines left out). */
function journalOps(ghidcache: string): string[] {
  const path = registrationsPath(ghidcache);
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  // A last line without its newline is a torn write: the server would not read it either.
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((line) => line !== '' && parseOp(line) !== null);
}

/** Objects per INSERT (and per read from the database). */
const CHUNK = 500;

const INSERT = `
  INSERT INTO objects (ghid, type, target, dynamic, party, counter, size, entry, raw)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::integer[], $8::bytea[], $9::bytea[])`;

async function objectCount(client: SqlClient): Promise<number> {
  const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM objects');
  return Number(rows[0]!.n);
}

/** A crash between a new frame's put and the old one's delete can leave two frames of one dynamic binding: the newer is kept. */
function currentEntries(entries: Iterable<Entry>): Entry[] {
  const frames = new Map<string, Entry>();
  const out: Entry[] = [];
  for (const e of entries) {
    if (e.type !== 'GOBD') out.push(e);
    else if (!frames.has(e.dynamic!) || supersedes(e, frames.get(e.dynamic!)!)) frames.set(e.dynamic!, e);
  }
  return [...out, ...frames.values()];
}

/** Copies the ghidcache (and its registrations) into an empty database, its schema made first. */
export async function copyFilesToPostgres(o: MigrateOptions): Promise<Copied> {
  const store = new FileStore(o.ghidcache, { warn: o.warn ?? (() => {}) });
  const pool = await openPool({ url: o.url, applicationName: 'hypergolix-migrate' });
  try {
    const { entries, warnings } = await store.load();
    warnings.forEach((w) => o.warn?.(w));
    const session = await pool.connect();
    try {
      await migrate(session);
      const existing = await objectCount(session);
      if (existing > 0) throw new ValueError(`The database already holds ${existing} objects; migrate into an empty one`);
      const { rows: held } = await session.query<{ n: string }>('SELECT count(*) AS n FROM registration_ops');
      if (Number(held[0]!.n) > 0) throw new ValueError(`The database already holds ${held[0]!.n} registration records; migrate into an empty one`);
      const ops = journalOps(o.ghidcache);
      const toCopy = currentEntries(entries.values());
      await session.query('BEGIN');
      for (let i = 0; i < toCopy.length; i += CHUNK) {
        const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
        for (const e of toCopy.slice(i, i + CHUNK)) {
          const raw = await store.read(e.ghid);
          if (!raw) throw new ValueError(`${e.ghid} is in the ghidcache's index but its file cannot be read`);
          const row = [e.ghid, e.type, e.target ?? null, e.dynamic ?? null, e.signer ?? e.recipient ?? null, e.counter == null ? null : e.counter.toString(), e.size, packEntry(e), raw];
          row.forEach((v, c) => cols[c]!.push(v));
        }
        await session.query(INSERT, cols);
        o.progress?.(Math.min(i + CHUNK, toCopy.length), toCopy.length);
      }
      // Quota usage, as the rules count it (rules/usage.ts): by signer, GIDCs and GARQs free.
      await session.query(
        `INSERT INTO usage (identity, bytes, objects)
         SELECT party, sum(size), count(*) FROM objects WHERE type NOT IN ('GIDC', 'GARQ') GROUP BY party`,
      );
      if (ops.length > 0) await session.query('INSERT INTO registration_ops (op) SELECT op FROM unnest($1::text[]) WITH ORDINALITY AS t(op, n) ORDER BY n', [ops]);
      await session.query('COMMIT');
      return { objects: toCopy.length, registrations: ops.length };
    } catch (err) {
      await session.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      session.release();
    }
  } finally {
    await pool.end().catch(() => {});
    await store.close();
  }
}

/** Copies the database (and its registrations) into an empty ghidcache. */
export async function copyPostgresToFiles(o: MigrateOptions): Promise<Copied> {
  const store = new FileStore(o.ghidcache, { warn: o.warn ?? (() => {}) });
  const pool = await openPool({ url: o.url, applicationName: 'hypergolix-migrate' });
  try {
    const { entries } = await store.load();
    if (entries.size > 0) throw new ValueError(`The ghidcache ${o.ghidcache} already holds ${entries.size} objects; migrate into an empty one`);
    const journal = journalOps(o.ghidcache);
    if (journal.length > 0) throw new ValueError(`${registrationsPath(o.ghidcache)} already holds ${journal.length} registration records; migrate into an empty ghidcache`);
    const session = await pool.connect();
    try {
      await migrate(session);
    } finally {
      session.release();
    }
    const total = await objectCount(pool);
    let copied = 0;
    let after = '';
    for (;;) {
      const { rows } = await pool.query<{ ghid: string; entry: Buffer; raw: Buffer }>('SELECT ghid, entry, raw FROM objects WHERE ghid > $1 ORDER BY ghid LIMIT $2', [after, CHUNK]);
      if (rows.length === 0) break;
      await Promise.all(rows.map((r) => store.put(decodeEntry(r.entry), r.raw)));
      copied += rows.length;
      after = rows.at(-1)!.ghid;
      o.progress?.(copied, total);
    }
    const { rows: ops } = await pool.query<{ op: string }>('SELECT op FROM registration_ops ORDER BY seq');
    if (ops.length > 0) {
      const { log } = await AppendLog.open(registrationsPath(o.ghidcache), undefined, { shared: true });
      try {
        await log.append(ops.map((r) => Buffer.from(r.op + '\n', 'utf8')));
      } finally {
        await log.close();
      }
    }
    return { objects: copied, registrations: ops.length };
  } finally {
    await pool.end().catch(() => {});
    await store.close();
  }
}
