/**
 * Registration challenges for the nodes of a cluster: stateless as on one server
 * (src/core/registration/challenges.ts), sealed under one key the nodes share in the database
 * (`registration_key`, made by the first node that needs it), because behind a load balancer
 * the node that issued a challenge is rarely the one the signed link comes back to. Issuing
 * writes nothing, so a flood neither grows a table nor takes anyone's challenge away. Spent
 * challenges are rows of `registration_spent` until their expiry: the insert is the spending
 * (ON CONFLICT DO NOTHING, so two nodes cannot both spend one), and each spend sweeps the
 * expired rows. Every expiry is decided on the database's clock, so nodes whose clocks differ
 * agree, and a row is never swept while some node would still take its challenge as live.
 */
import { HypergolixError } from '../golix/index.js';
import { CHALLENGE_TTL_MS, mintChallenge, newChallengeKey, openChallenge, readChallenge, requireServerName, type ChallengeFields, type Challenges, type IssuedChallenge } from '../registration/challenges.js';
import type { SqlClient } from './sql.js';

/** The database's clock, in ms since the epoch. */
const NOW_MS = '(extract(epoch FROM now()) * 1000)::float8';

export class PgChallengeBook implements Challenges {
  /** The cluster's key once read: it never changes while the table has it. */
  private key: Buffer | null = null;
  private issuedCount = 0;
  private counted = 0;

  constructor(
    private readonly db: SqlClient,
    private readonly ttlMs = CHALLENGE_TTL_MS,
  ) {}

  async issue(server: string): Promise<IssuedChallenge> {
    const name = requireServerName(server);
    // One small read per challenge for the clock (the key comes along): an issue while the
    // database is away fails like every other registration call, instead of handing out a
    // challenge nobody could use until it is back.
    const got = await this.clockAndKey(true);
    if (!got) throw new HypergolixError('The key of registration challenges could not be made in the database (table registration_key)');
    const challenge = mintChallenge(got.key, name, got.now + this.ttlMs);
    this.issuedCount++;
    return { challenge, expiresInMs: this.ttlMs };
  }

  async isLive(challenge: string): Promise<boolean> {
    const f = await this.opened(challenge);
    if (!f) return false;
    const { rows } = await this.db.query<{ live: boolean; spent: boolean }>(
      `SELECT $1::float8 > ${NOW_MS} AS live, EXISTS (SELECT 1 FROM registration_spent WHERE nonce = $2) AS spent`,
      [f.expires, f.nonce],
    );
    return rows[0]?.live === true && rows[0].spent === false;
  }

  async take(challenge: string): Promise<boolean> {
    const f = await this.opened(challenge);
    if (!f) return false;
    await this.db.query('DELETE FROM registration_spent WHERE expires <= now()');
    const { rows } = await this.db.query(
      `INSERT INTO registration_spent (nonce, expires) SELECT $1, to_timestamp($2::float8 / 1000) WHERE $2::float8 > ${NOW_MS} ON CONFLICT (nonce) DO NOTHING RETURNING 1`,
      [f.nonce, f.expires],
    );
    const counted = await this.db.query<{ n: string }>('SELECT count(*) AS n FROM registration_spent');
    this.counted = Number(counted.rows[0]?.n ?? 0);
    return rows.length === 1;
  }

  async release(challenge: string): Promise<void> {
    const f = await this.opened(challenge);
    if (f) await this.db.query('DELETE FROM registration_spent WHERE nonce = $1', [f.nonce]);
  }

  get issued(): number {
    return this.issuedCount;
  }

  /** Spent challenges not yet expired, as counted at this node's last spend. */
  get spent(): number {
    return this.counted;
  }

  /** The fields of a challenge sealed by the cluster's key, or null (also while no node has made a key). */
  private async opened(challenge: string): Promise<ChallengeFields | null> {
    // Nothing malformed reaches the database.
    if (!readChallenge(challenge)) return null;
    if (!this.key) await this.clockAndKey(false);
    return this.key ? openChallenge(this.key, challenge) : null;
  }

  /**
   * The database's clock and the cluster's key, which is made here when `make` and no node has
   * made it yet; null while there is none.
   */
  private async clockAndKey(make: boolean): Promise<{ key: Buffer; now: number } | null> {
    const read = () => this.db.query<{ key: Buffer | null; now: number }>(`SELECT (SELECT key FROM registration_key WHERE id = 1) AS key, ${NOW_MS} AS now`);
    let { rows } = await read();
    if (!rows[0]?.key && make) {
      // Two nodes making one at once: the first insert wins and both read it back.
      await this.db.query('INSERT INTO registration_key (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [newChallengeKey()]);
      ({ rows } = await read());
    }
    const row = rows[0];
    if (!row?.key) return null;
    this.key ??= Buffer.from(row.key);
    return { key: this.key, now: row.now };
  }
}
