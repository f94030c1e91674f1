/**
 * The little of node-postgres this folder uses, as types: `pg` itself is loaded only by
 * `connect.ts`, and only when a server runs on PostgreSQL (it never enters the desktop or daemon
 * bundles).
 */
export interface SqlResult<R> {
  rows: R[];
  rowCount: number | null;
}

export interface SqlClient {
  query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<SqlResult<R>>;
}

/** A pooled connection, given back with release(); release(err) discards a broken one. */
export interface SqlSession extends SqlClient {
  release(err?: Error | boolean): void;
}

export interface SqlPool extends SqlClient {
  connect(): Promise<SqlSession>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** A dedicated connection that LISTENs. */
export interface SqlListener extends SqlClient {
  connect(): Promise<void>;
  end(): Promise<void>;
  on(event: 'notification', listener: (msg: { channel: string; payload?: string | undefined }) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
}
