/**
 * Registration challenges in the database the nodes share: behind a load balancer the node that
 * issued a challenge is rarely the one the signed link comes back to. Same rules as the
 * in-memory book (src/core/registration/challenges.ts): issued here, used once (DELETE …
 * RETURNING, so two nodes cannot both take it), within its lifetime; expired rows are swept as
 * new ones are issued, and the oldest beyond the cap are dropped, so a flood cannot grow the table.
 */
import { CHALLENGE, CHALLENGE_TTL_MS, MAX_CHALLENGES, newChallenge, type Challenges } from '../registration/challenges.js';
import type { SqlClient } from './sql.js';

export class PgChallengeBook implements Challenges {
  private counted = 0;

  constructor(
    private readonly db: SqlClient,
    private readonly ttlMs = CHALLENGE_TTL_MS,
    private readonly max = MAX_CHALLENGES,
  ) {}

  async issue(): Promise<{ challenge: string; expiresInMs: number }> {
    const challenge = newChallenge();
    await this.db.query('DELETE FROM registration_challenges WHERE expires <= now()');
    await this.db.query("INSERT INTO registration_challenges (challenge, expires) VALUES ($1, now() + $2 * interval '1 millisecond')", [challenge, this.ttlMs]);
    const { rows } = await this.db.query<{ n: string }>('SELECT count(*) AS n FROM registration_challenges');
    this.counted = Number(rows[0]?.n ?? 0);
    if (this.counted > this.max) {
      await this.db.query('DELETE FROM registration_challenges WHERE challenge IN (SELECT challenge FROM registration_challenges ORDER BY expires LIMIT $1)', [this.counted - this.max]);
      this.counted = this.max;
    }
    return { challenge, expiresInMs: this.ttlMs };
  }

  async isLive(challenge: string): Promise<boolean> {
    if (!CHALLENGE.test(challenge)) return false;
    const { rows } = await this.db.query('SELECT 1 FROM registration_challenges WHERE challenge = $1 AND expires > now()', [challenge]);
    return rows.length > 0;
  }

  async take(challenge: string): Promise<boolean> {
    if (!CHALLENGE.test(challenge)) return false;
    const { rows } = await this.db.query('DELETE FROM registration_challenges WHERE challenge = $1 RETURNING expires > now() AS live', [challenge]);
    const taken = (rows[0] as { live?: boolean } | undefined)?.live === true;
    if (rows.length > 0) this.counted = Math.max(0, this.counted - 1);
    return taken;
  }

  get size(): number {
    return this.counted;
  }
}
