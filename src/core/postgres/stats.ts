/**
 * The counts /metrics shows (objects by type, and those marked damaged; quota usage when quotas are on), read from the
 * database now and then and followed between reads by this node's own commits. Other nodes'
 * commits show at the next read. Counting a large table costs a scan, hence not per scrape.
 */
import type { Logger } from '../log/index.js';
import type { StorageUsage } from '../rules/persistence-engine.js';
import type { QuotaOptions } from '../rules/usage.js';
import type { Entry } from '../store/entry.js';
import type { SqlClient } from './sql.js';

const TYPES = ['GIDC', 'GEOC', 'GOBS', 'GOBD', 'GDXX', 'GARQ'] as const;

export class StatsCache {
  private byType: Record<string, number> = Object.fromEntries(TYPES.map((t) => [t, 0]));
  private total = 0;
  /** Objects marked damaged (damage.ts). */
  private marked = 0;
  private usageSummary: StorageUsage | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly client: SqlClient,
    private readonly quota: QuotaOptions | null,
    intervalMs: number,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => this.refresh().catch((err: Error) => this.log.debug(`postgres: counts not refreshed: ${err.message}`)), intervalMs);
    this.timer.unref();
  }

  async refresh(): Promise<void> {
    const { rows } = await this.client.query<{ type: string; n: string; damaged: string }>('SELECT type, count(*) AS n, count(damaged) AS damaged FROM objects GROUP BY type');
    const byType: Record<string, number> = Object.fromEntries(TYPES.map((t) => [t, 0]));
    for (const r of rows) byType[r.type] = Number(r.n);
    this.byType = byType;
    this.marked = rows.reduce((a, r) => a + Number(r.damaged), 0);
    this.total = Object.values(byType).reduce((a, b) => a + b, 0);
    if (!this.quota) return;
    const u = await this.client.query<{ identities: string; bytes: string | null; objects: string | null; largest: string | null }>(
      'SELECT count(*) AS identities, sum(bytes) AS bytes, sum(objects) AS objects, max(bytes) AS largest FROM usage',
    );
    const row = u.rows[0]!;
    this.usageSummary = {
      identities: Number(row.identities),
      bytes: Number(row.bytes ?? 0),
      objects: Number(row.objects ?? 0),
      largestBytes: Number(row.largest ?? 0),
      bytesLimit: this.quota.bytesPerIdentity ?? null,
      objectsLimit: this.quota.objectsPerIdentity ?? null,
    };
  }

  /** This node's commit, until the next read. Deletions are counted at the next read. */
  applied(inserted: readonly Entry[], _deleted: number): void {
    for (const e of inserted) this.byType[e.type] = (this.byType[e.type] ?? 0) + 1;
    this.total += inserted.length;
  }

  counts(): { objects: number; byType: Record<string, number> } {
    return { objects: this.total, byType: { ...this.byType } };
  }

  /** Objects marked damaged, as last counted and followed since by this node's marks and repairs. */
  damaged(): number {
    return this.marked;
  }

  damagedChanged(delta: number): void {
    this.marked = Math.max(0, this.marked + delta);
  }

  damagedCounted(n: number): void {
    this.marked = n;
  }

  usage(): StorageUsage | null {
    return this.usageSummary;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
