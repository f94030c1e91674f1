/**
 * The database schema, as versioned migrations: `schema_version` holds the versions applied, and
 * every node applies the missing ones at start, one node at a time (an advisory lock), each in
 * its own transaction. A node refuses a database whose schema is newer than it knows, so an old
 * node never writes under rules it does not have (docs/operators.md, "Upgrades").
 */
import { ValueError } from '../golix/index.js';
import type { SqlClient } from './sql.js';

export interface Migration {
  readonly version: number;
  readonly what: string;
  readonly sql: string;
}

/** Append only: a released migration never changes. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    what: 'objects, usage',
    sql: `
      CREATE TABLE objects (
        ghid      text PRIMARY KEY,
        type      text NOT NULL CHECK (type IN ('GIDC', 'GEOC', 'GOBS', 'GOBD', 'GDXX', 'GARQ')),
        -- GOBS, GDXX: what they bind or debind; GOBD: its current target.
        target    text,
        -- GOBD: the dynamic GHID.
        dynamic   text,
        -- Author, binder or debinder; for a GARQ its recipient (who may debind it).
        party     text,
        -- GOBD v16 counter (u64).
        counter   numeric(20),
        size      integer NOT NULL,
        -- The store's binary entry (src/core/store/entry.ts): what the rules read without parsing.
        entry     bytea NOT NULL,
        raw       bytea NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX objects_target ON objects (target) WHERE target IS NOT NULL;
      -- One current frame per dynamic binding, whoever writes it.
      CREATE UNIQUE INDEX objects_frame ON objects (dynamic) WHERE type = 'GOBD';
      CREATE INDEX objects_request ON objects (party) WHERE type = 'GARQ';
      -- Per-identity quota accounting (src/core/rules/usage.ts), kept in the same transactions.
      CREATE TABLE usage (
        identity text PRIMARY KEY,
        bytes    bigint NOT NULL,
        objects  bigint NOT NULL
      );
    `,
  },
  {
    version: 2,
    what: 'registration_ops, registration_challenges',
    sql: `
      -- The server's accounts (src/core/registration), as the ops of the registrations journal in
      -- order: one JSON op per row, the same lines a single server appends to <ghidcache>.accounts.
      -- Rows are inserted under one advisory lock, so seq order is commit order and a node that has
      -- read up to seq N never misses an earlier row committed later.
      CREATE TABLE registration_ops (
        seq bigserial PRIMARY KEY,
        op  text NOT NULL,
        at  timestamptz NOT NULL DEFAULT now()
      );
      -- Registration challenges issued by any node, each taken once (src/core/postgres/challenges.ts).
      CREATE TABLE registration_challenges (
        challenge text PRIMARY KEY,
        expires   timestamptz NOT NULL
      );
      CREATE INDEX registration_challenges_expires ON registration_challenges (expires);
    `,
  },
  {
    version: 3,
    what: 'registration_key, registration_spent',
    sql: `
      -- Registration challenges are sealed, not stored (src/core/postgres/challenges.ts): one key
      -- for every node, made by the first that issues one. Replacing it voids the challenges out
      -- there, and nodes that read the old one keep it until they restart: leave it be.
      CREATE TABLE registration_key (
        id  smallint PRIMARY KEY CHECK (id = 1),
        key bytea NOT NULL CHECK (octet_length(key) = 32)
      );
      -- Challenges spent (by their nonce), until they expire: a link works once.
      CREATE TABLE registration_spent (
        nonce   text PRIMARY KEY,
        expires timestamptz NOT NULL
      );
      CREATE INDEX registration_spent_expires ON registration_spent (expires);
      -- registration_challenges (version 2) is no longer written. It stays for the nodes of the
      -- previous release still running during a rolling upgrade; its rows expire unused.
    `,
  },
  {
    version: 4,
    what: 'objects.damaged, store_check',
    sql: `
      -- Why an object's stored bytes are damaged (src/core/postgres/damage.ts), as a node's check of
      -- the store or a read found: every node answers it as not here until a publish of it puts it
      -- right. Nodes of the previous release ignore it (and serve such an object, as they did).
      ALTER TABLE objects ADD COLUMN damaged text;
      CREATE INDEX objects_damaged ON objects (ghid) WHERE damaged IS NOT NULL;
      -- The last whole check of the store, by whichever node (src/core/postgres/check-turn.ts): a
      -- node's scheduled check is not needed when another checked lately.
      CREATE TABLE store_check (
        id          smallint PRIMARY KEY CHECK (id = 1),
        started_at  timestamptz NOT NULL,
        finished_at timestamptz NOT NULL,
        checked     bigint NOT NULL
      );
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/** Any number: the key of the advisory lock that serializes migrations between nodes. */
const MIGRATION_LOCK = 0x48475831;

/** Applies the missing migrations; returns the versions it applied. */
export async function migrate(client: SqlClient): Promise<number[]> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_version');
    const have = new Set(rows.map((r) => r.version));
    const newest = Math.max(0, ...have);
    if (newest > SCHEMA_VERSION) {
      throw new ValueError(`The database schema is version ${newest}, newer than this Hypergolix knows (${SCHEMA_VERSION}); upgrade this node`);
    }
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (have.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_version (version) VALUES ($1)', [m.version]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}
