/**
 * `hypergolix server migrate`: a server's objects copied between its file store (the ghidcache)
 * and a PostgreSQL database, either way, with the server stopped (the ghidcache's lock is taken,
 * so a running file server refuses it). Objects are copied as they are stored — entries and
 * bytes, no re-validation of signatures: the rules held when they were accepted. A file whose
 * bytes no longer hash to its name is left out, with a warning, as is what a crash left for
 * deletion (a debound binding, a collected container): the file server would finish those
 * deletions at its start, a database node never looks for them. The source is not changed. The
 * destination must be empty, checked under a lock, so a copy never merges two stores' rule
 * states. The server's accounts (its registrations journal, `<ghidcache>.accounts`, and the
 * `registration_ops` rows) go along, op for op, in the same order.
 */
import { existsSync, readFileSync } from 'node:fs';
import { HypergolixError, ValueError, parseObject } from '../golix/index.js';
import { supersedes } from '../rules/frame-order.js';
import { RulesEngine } from '../rules/rules-engine.js';
import { decodeEntry, type Entry } from '../store/entry.js';
import { FileStore } from '../store/file-store.js';
import type { LoadResult, ObjectStore } from '../store/object-store.js';
import { StoreLocked } from '../store/store-lock.js';
import { describeTarget, openPool } from './connect.js';
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

/** The migration's hold on a ghidcache: its lock, so that a running file server (or another copy) refuses it and it refuses them. */
function lockedStore(o: MigrateOptions): FileStore {
  return new FileStore(o.ghidcache, { lock: { role: 'migration', configKey: 'server.ghidcache' }, warn: o.warn ?? (() => {}) });
}

/** A store error as a HypergolixError (a running server's lock, told as such). */
function storeError(err: unknown): unknown {
  return err instanceof StoreLocked ? new ValueError(err.message, { cause: err }) : err;
}

/** The database, connected and its schema made, or a HypergolixError naming it. */
async function openDatabase(o: MigrateOptions): Promise<Awaited<ReturnType<typeof openPool>>> {
  let pool: Awaited<ReturnType<typeof openPool>> | undefined;
  try {
    pool = await openPool({ url: o.url, applicationName: 'hypergolix-migrate' });
    const session = await pool.connect();
    try {
      await migrate(session);
    } finally {
      session.release();
    }
    return pool;
  } catch (err) {
    await pool?.end().catch(() => {});
    throw new HypergolixError(`Cannot use the database ${describeTarget(o.url)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * The ghidcache as the file server would serve it after its start, without changing it: the
 * rules finish interrupted deletions on a view whose deletes are only recorded.
 */
async function servedEntries(store: FileStore, warn: (m: string) => void): Promise<Entry[]> {
  const deleted = new Set<string>();
  let loaded: LoadResult | undefined;
  const view: ObjectStore = {
    load: async () => (loaded = await store.load()),
    put: () => Promise.reject(new Error('a migration writes nothing into its source')),
    delete: async (ghid) => void deleted.add(ghid),
    read: (ghid) => (deleted.has(ghid) ? Promise.resolve(null) : store.read(ghid)),
    close: async () => {},
  };
  await RulesEngine.open(view);
  loaded!.warnings.forEach(warn);
  if (deleted.size > 0) warn(`${deleted.size} objects whose deletion a crash interrupted are left out (the file server would delete them at its start)`);
  return currentEntries([...loaded!.entries.values()].filter((e) => !deleted.has(e.ghid)));
}

/** An object file's bytes, or null (with a warning) when they no longer make the object its name says. */
function soundBytes(e: Entry, raw: Buffer, warn: (m: string) => void): Buffer | null {
  try {
    if (parseObject(raw, { maxBytes: Number.MAX_SAFE_INTEGER }).ghid.text === e.ghid) return raw;
  } catch {
    // falls through to the warning
  }
  warn(`${e.ghid}: its file is damaged (its bytes are not the object it names); left out`);
  return null;
}

/** Copies the ghidcache (and its registrations) into an empty database, its schema made first. */
export async function copyFilesToPostgres(o: MigrateOptions): Promise<Copied> {
  const warn = o.warn ?? (() => {});
  // A mistyped path would otherwise be created, and copied as an empty store.
  if (!existsSync(o.ghidcache)) throw new ValueError(`There is no ghidcache at ${o.ghidcache}`);
  const store = lockedStore(o);
  try {
    const toCopy = await servedEntries(store, warn).catch((err: unknown) => {
      throw storeError(err);
    });
    const ops = journalOps(o.ghidcache);
    const pool = await openDatabase(o);
    const session = await pool.connect();
    try {
      await session.query('BEGIN');
      // Checked and filled under one lock: two copies at once would each see an empty database.
      await session.query('LOCK TABLE objects, registration_ops, usage IN EXCLUSIVE MODE');
      const held = { objects: 'objects', registration_ops: 'registration records', usage: 'quota usage rows' };
      for (const [table, what] of Object.entries(held)) {
        const { rows } = await session.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
        if (Number(rows[0]!.n) > 0) throw new ValueError(`The database already holds ${rows[0]!.n} ${what}; migrate into an empty one`);
      }
      let copied = 0;
      for (let i = 0; i < toCopy.length; i += CHUNK) {
        const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
        for (const e of toCopy.slice(i, i + CHUNK)) {
          const stored = await store.read(e.ghid);
          if (!stored) throw new ValueError(`${e.ghid} is in the ghidcache's index but its file cannot be read`);
          const raw = soundBytes(e, stored, warn);
          if (!raw) continue;
          const row = [e.ghid, e.type, e.target ?? null, e.dynamic ?? null, e.signer ?? e.recipient ?? null, e.counter == null ? null : e.counter.toString(), e.size, packEntry(e), raw];
          row.forEach((v, c) => cols[c]!.push(v));
          copied++;
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
      return { objects: copied, registrations: ops.length };
    } catch (err) {
      await session.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      session.release();
      await pool.end().catch(() => {});
    }
  } finally {
    await store.close();
  }
}

/** Copies the database (and its registrations) into an empty ghidcache. */
export async function copyPostgresToFiles(o: MigrateOptions): Promise<Copied> {
  const store = lockedStore(o);
  try {
    const { entries } = await store.load().catch((err: unknown) => {
      throw storeError(err);
    });
    if (entries.size > 0) throw new ValueError(`The ghidcache ${o.ghidcache} already holds ${entries.size} objects; migrate into an empty one`);
    const journal = journalOps(o.ghidcache);
    if (journal.length > 0) throw new ValueError(`${registrationsPath(o.ghidcache)} already holds ${journal.length} registration records; migrate into an empty ghidcache`);
    const pool = await openDatabase(o);
    try {
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
        const { log, data } = await AppendLog.open(registrationsPath(o.ghidcache), undefined, { shared: true });
        try {
          // After a line a crash tore, the first record starts a line of its own (glued on, it would be lost with it).
          const torn = data.length > 0 && data[data.length - 1] !== 0x0a;
          await log.append(ops.map((r, i) => Buffer.from((torn && i === 0 ? '\n' : '') + r.op + '\n', 'utf8')));
        } finally {
          await log.close();
        }
      }
      return { objects: copied, registrations: ops.length };
    } finally {
      await pool.end().catch(() => {});
    }
  } finally {
    await store.close();
  }
}
