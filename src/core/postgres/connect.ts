/**
 * Connections to the database. node-postgres is imported here, dynamically and only when a
 * server runs on PostgreSQL, so the desktop app and the daemon never load it. A URL of null
 * leaves everything to the PG* environment variables (PGHOST, PGPORT, PGDATABASE, PGUSER,
 * PGPASSWORD, …), which node-postgres reads as libpq does; a URL's missing parts come from them too.
 */
import type { SqlListener, SqlPool } from './sql.js';

export interface ConnectOptions {
  /** A postgres:// URL, or null for the PG* variables alone. */
  url: string | null;
  /** Pooled connections of this node. @default 8 */
  poolSize?: number;
  /** How long to wait for a connection before the database counts as unreachable. @default 3000 */
  connectTimeoutMs?: number;
  /** Shown in pg_stat_activity. @default 'hypergolix-server' */
  applicationName?: string;
}

interface PgModule {
  Pool: new (config: Record<string, unknown>) => unknown;
  Client: new (config: Record<string, unknown>) => unknown;
}

let loaded: Promise<PgModule> | null = null;

async function pg(): Promise<PgModule> {
  // pg is CommonJS: its exports are the ES module's default.
  loaded ??= import('pg').then((m) => ((m as unknown as { default?: PgModule }).default ?? (m as unknown as PgModule)));
  return loaded;
}

function settings(o: ConnectOptions): Record<string, unknown> {
  return {
    ...(o.url !== null ? { connectionString: o.url } : {}),
    connectionTimeoutMillis: o.connectTimeoutMs ?? 3000,
    application_name: o.applicationName ?? 'hypergolix-server',
    // TCP keepalive: a node notices a database host that vanished without closing its sockets.
    keepAlive: true,
    // No JIT: the planner's estimate for the recursive neighbourhood query (view.ts) is far above
    // jit_above_cost, so PostgreSQL compiled it on every batch — 14 of its 15 ms — for a query
    // that reads a few dozen rows through indexes. Our statements are all small OLTP ones.
    options: '-c jit=off',
  };
}

export async function openPool(o: ConnectOptions): Promise<SqlPool> {
  const { Pool } = await pg();
  return new Pool({ ...settings(o), max: o.poolSize ?? 8, idleTimeoutMillis: 30_000 }) as unknown as SqlPool;
}

/** A connection of its own (not pooled): for LISTEN, and for a check of the store's turn (check-turn.ts). Not yet connected. */
export async function newClient(o: ConnectOptions): Promise<SqlListener> {
  const { Client } = await pg();
  return new Client(settings(o)) as unknown as SqlListener;
}

/** Where a URL points, without its password: for logs and storage-state messages. */
export function describeTarget(url: string | null): string {
  if (url === null) {
    const env = process.env;
    return `postgres (PG* variables: ${env.PGHOST ?? 'default host'}/${env.PGDATABASE ?? env.PGUSER ?? 'default database'})`;
  }
  return url.replace(/^(\w+:\/\/[^:@/]*):[^@/]*@/, '$1:***@');
}
