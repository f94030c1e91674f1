/**
 * A server's accounts in the database the nodes of a cluster share (`server.store: postgres`):
 * the ops of the registrations journal (src/core/registration/records.ts) as rows of
 * `registration_ops`, in order. Every node and the operator's CLI append to it and apply what
 * they have not seen, so an approval, a revocation or an invite made on one node holds on all:
 *
 * - Each node keeps the state in memory (the free tier is decided per publish, synchronously)
 *   and catches up before every batch of publishes (`catchUp` on the batch's own connection,
 *   one small query), before every registration request, and on a timer for /metrics.
 * - Rows are inserted under one transaction-scoped advisory lock, so their `seq` order is their
 *   commit order and "everything after the last seq read" never skips a row.
 * - Spending an invite reads the invite's state inside that lock, so two nodes racing for its
 *   last use cannot both have it.
 */
import { OpLogRegistry, inviteId } from '../registration/registry.js';
import { parseOp, type RegistrationOp } from '../registration/records.js';
import { HypergolixError } from '../golix/index.js';
import { describeTarget, openPool, type ConnectOptions } from './connect.js';
import { unavailableCode } from './errors.js';
import { PgChallengeBook } from './challenges.js';
import { migrate } from './schema.js';
import type { SqlClient, SqlPool, SqlSession } from './sql.js';

/** Any number: the key of the advisory lock that serializes appends to `registration_ops`. */
const APPEND_LOCK = 0x48475832;

export interface PgRegistryOptions extends ConnectOptions {
  now?: () => number;
  /** How often the state is read again for /metrics, between decisions. @default 5000 */
  refreshMs?: number;
}

export class PgRegistry extends OpLogRegistry {
  /** The last `seq` applied. */
  private seq = 0;
  private refreshing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly pool: SqlPool,
    now: () => number,
  ) {
    super(now);
  }

  /** Connects (a pool of two of its own), applies missing migrations, reads every op so far. */
  static async open(o: PgRegistryOptions): Promise<PgRegistry> {
    const pool = await openPool({ ...o, poolSize: 2, applicationName: o.applicationName ?? 'hypergolix-registrations' });
    pool.on('error', () => {
      // An idle connection that failed is dropped by the pool; the next query opens another.
    });
    const registry = new PgRegistry(pool, o.now ?? Date.now);
    try {
      const session = await pool.connect();
      try {
        // On one connection: migrate takes and gives back a session-level lock.
        await migrate(session);
      } finally {
        session.release();
      }
      await registry.refresh();
    } catch (err) {
      await pool.end().catch(() => {});
      const code = unavailableCode(err);
      const why = err instanceof Error ? err.message : String(err);
      throw new HypergolixError(`Cannot read the accounts in the database ${describeTarget(o.url)}: ${why}${code ? ` (${code})` : ''}`, { cause: err });
    }
    const every = o.refreshMs ?? 5000;
    if (every > 0) {
      registry.timer = setInterval(() => registry.refresh().catch(() => {}), every);
      registry.timer.unref();
    }
    return registry;
  }

  /** The registration challenges of the cluster, in the same database. */
  challengeBook(): PgChallengeBook {
    return new PgChallengeBook(this.pool);
  }

  /** Applies the ops appended since the last look, read over `client` (a batch's own connection). */
  async catchUp(client: SqlClient): Promise<void> {
    const { rows } = await client.query<{ seq: string; op: string }>('SELECT seq, op FROM registration_ops WHERE seq > $1 ORDER BY seq', [this.seq]);
    for (const r of rows) {
      const seq = Number(r.seq);
      // Two catch-ups may overlap; each row is applied once, in order.
      if (seq <= this.seq) continue;
      const op = parseOp(r.op);
      if (op) this.state.apply(op);
      this.seq = seq;
    }
  }

  /** Catches up over the pool; calls made meanwhile share the one in flight. */
  refresh(): Promise<void> {
    this.refreshing ??= this.catchUp(this.pool).finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  async useInvite(code: string, fp: string): Promise<boolean> {
    const id = inviteId(code);
    const spent = await this.locked(async (session) => {
      await this.catchUp(session);
      if (!this.inviteUsable(id)) return false;
      await insert(session, { op: 'invite-used', id, fp, at: this.now() });
      return true;
    });
    // Not `refresh`: one already in flight may have read before our commit.
    await this.catchUp(this.pool);
    return spent;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.refreshing?.catch(() => {});
    await this.pool.end().catch(() => {});
  }

  protected async append(op: RegistrationOp): Promise<void> {
    await this.locked((session) => insert(session, op));
    // A catch-up of its own, not `refresh`: one already in flight may have read before our
    // commit, and the change must show here once the call that made it returns.
    await this.catchUp(this.pool);
  }

  /** Reads answer from memory: the catch-ups above keep it current. */
  protected catchUpNow(): void {}

  /** Runs `work` in a transaction holding the append lock. */
  private async locked<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    const session = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await session.query('BEGIN');
      await session.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK]);
      const out = await work(session);
      await session.query('COMMIT');
      return out;
    } catch (err) {
      await session.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      session.release(broken);
    }
  }
}

async function insert(session: SqlClient, op: RegistrationOp): Promise<void> {
  await session.query('INSERT INTO registration_ops (op) VALUES ($1)', [JSON.stringify(op)]);
}
