import { codeName } from '../golix/index.js';
import type { PersistenceEngine, StorageUsage } from '../rules/persistence-engine.js';
import { Histogram, type HistogramSnapshot } from '../util/histogram.js';
import { hex4 } from '../../wire/index.js';
import type { RemoteLogger } from './logger.js';

/**
 * Events per second over a sliding window (default one minute), in one-second buckets, so a
 * burst shows up at once and fades out over the window. No timer: buckets are aged on read.
 */
export class MovingRate {
  private readonly counts: number[];
  private readonly seconds: number[];

  constructor(
    private readonly windowSeconds = 60,
    private readonly now: () => number = Date.now,
  ) {
    this.counts = new Array<number>(windowSeconds).fill(0);
    this.seconds = new Array<number>(windowSeconds).fill(-Infinity);
  }

  mark(n = 1): void {
    const second = Math.floor(this.now() / 1000);
    const i = second % this.windowSeconds;
    if (this.seconds[i] !== second) {
      this.seconds[i] = second;
      this.counts[i] = 0;
    }
    this.counts[i]! += n;
  }

  perSecond(): number {
    const second = Math.floor(this.now() / 1000);
    let sum = 0;
    for (let i = 0; i < this.windowSeconds; i++) {
      if (this.seconds[i]! > second - this.windowSeconds) sum += this.counts[i]!;
    }
    return sum / this.windowSeconds;
  }
}

export interface MetricsSnapshot {
  ready: boolean;
  /** From engine.stats(); null before the engine is ready. */
  store: { objects: number; byType: Record<string, number> } | null;
  /** From engine.usage(); null when the engine enforces no quota (or is not ready). */
  usage?: StorageUsage | null;
  connections: number;
  subscriptions: number;
  /** Identities with a rate-limit bucket now; null when identities are not rate-limited. */
  rateLimitedIdentities?: number | null;
  /** Whether the store takes writes now (false: full or failing; publishes get NK 0010). */
  storageWritable?: boolean;
  /** Bytes of pushes queued for subscribers over all connections, and the server-wide budget. */
  pushQueue?: { bytes: number; budget: number; overflows: number };
  /** How long the engine's durable commits took (engine.commitDurations()); absent or null: not measured. */
  commitDurations?: HistogramSnapshot | null;
  /** Stored objects known damaged (damaged-objects.ts), until a publish puts them right. */
  damagedObjects?: number;
  /** The check of a file store (store-check.ts); absent for a store that is not checked. */
  storeCheck?: { running: boolean; lastFinishedAt: number | null; lastChecked: number | null };
}

/** What `/metrics` reads of the engine (none before it is ready); a read that fails is logged and left out. */
export function engineFigures(engine: PersistenceEngine | null, logger: RemoteLogger): Pick<MetricsSnapshot, 'store' | 'usage' | 'commitDurations'> {
  if (!engine) return { store: null };
  try {
    return { store: engine.stats(), usage: engine.usage?.() ?? null, commitDurations: engine.commitDurations?.() ?? null };
  } catch (err) {
    logger.warn("reading the engine's figures for /metrics failed", err);
    return { store: null };
  }
}

/** Why the server refused a request under its own limits (defect 8); each is an `NK 000A`. */
export type RefusalReason = 'allowlist' | 'quota' | 'rate_identity' | 'rate_connection' | 'subscriptions' | 'storage_full' | 'push_budget' | 'requests_waiting';

/** Counters of a persistence server, rendered in the Prometheus text format (version 0.0.4). */
export class ServerMetrics {
  publishesTotal = 0;
  publishesNew = 0;
  notificationsSent = 0;
  notificationsFailed = 0;
  connectionsTotal = 0;
  readonly publishRate: MovingRate;
  /** Seconds from handling an accepted publish to its answer. */
  readonly publishDurations = new Histogram();
  /** NKs sent, by code; key -1 counts code-less NKs. */
  private readonly rejections = new Map<number, number>();
  private readonly refusals = new Map<RefusalReason, number>();

  constructor(now: () => number = Date.now) {
    this.publishRate = new MovingRate(60, now);
  }

  /** An accepted publish, handled from `startedMs` (performance.now()) until now. */
  publish(stored: boolean, startedMs?: number): void {
    if (startedMs !== undefined) this.publishDurations.observeSince(startedMs);
    this.publishesTotal++;
    if (stored) this.publishesNew++;
    this.publishRate.mark();
  }

  rejection(code: number | null): void {
    const key = code ?? -1;
    this.rejections.set(key, (this.rejections.get(key) ?? 0) + 1);
  }

  rejectionsOf(code: number | null): number {
    return this.rejections.get(code ?? -1) ?? 0;
  }

  refusal(reason: RefusalReason): void {
    this.refusals.set(reason, (this.refusals.get(reason) ?? 0) + 1);
  }

  refusalsOf(reason: RefusalReason): number {
    return this.refusals.get(reason) ?? 0;
  }

  render(s: MetricsSnapshot): string {
    const out: string[] = [];
    const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: [labels: string, value: number][]): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) out.push(`${name}${labels} ${formatNumber(value)}`);
    };
    const histogram = (name: string, help: string, h: HistogramSnapshot): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
      h.bounds.forEach((bound, i) => out.push(`${name}_bucket{le="${bound}"} ${h.cumulative[i]}`));
      out.push(`${name}_bucket{le="+Inf"} ${h.count}`, `${name}_sum ${h.sum}`, `${name}_count ${h.count}`);
    };
    metric('hypergolix_ready', 'gauge', 'Whether the store has loaded and the server accepts connections.', [['', s.ready ? 1 : 0]]);
    if (s.store) {
      metric('hypergolix_objects_stored', 'gauge', 'Golix objects in the store.', [['', s.store.objects]]);
      metric(
        'hypergolix_objects_stored_by_type',
        'gauge',
        'Golix objects in the store, by primitive type.',
        Object.entries(s.store.byType)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([type, n]) => [`{type="${escapeLabel(type)}"}`, n]),
      );
    }
    if (s.storageWritable !== undefined) {
      metric('hypergolix_storage_writable', 'gauge', 'Whether the store takes writes (0: full or failing; publishes get NK 0010).', [['', s.storageWritable ? 1 : 0]]);
    }
    if (s.damagedObjects !== undefined) {
      metric('hypergolix_damaged_objects', 'gauge', "Stored objects found damaged (by a read or the daily check of the store), answered as not here until a publish puts them right.", [['', s.damagedObjects]]);
    }
    if (s.storeCheck) {
      const c = s.storeCheck;
      metric('hypergolix_store_check_running', 'gauge', 'Whether a check of the store (every object read, its signature verified) is going on.', [['', c.running ? 1 : 0]]);
      if (c.lastFinishedAt !== null) {
        metric('hypergolix_store_check_last_finished_timestamp_seconds', 'gauge', 'When the last whole check of the store ended (Unix time): alert when it grows old.', [['', c.lastFinishedAt / 1000]]);
        metric('hypergolix_store_check_last_objects', 'gauge', 'Objects the last whole check of the store read.', [['', c.lastChecked ?? 0]]);
      }
    }
    if (s.pushQueue) {
      metric('hypergolix_push_queue_bytes', 'gauge', 'Bytes of pushes (!!) queued for subscribers over all connections.', [['', s.pushQueue.bytes]]);
      metric('hypergolix_push_budget_bytes', 'gauge', 'The server-wide budget for queued pushes (server.push_budget_bytes).', [['', s.pushQueue.budget]]);
      metric('hypergolix_push_overflows_total', 'counter', 'Subscribers disconnected for falling behind the push budget.', [['', s.pushQueue.overflows]]);
    }
    metric('hypergolix_connections_open', 'gauge', 'Open WebSocket connections.', [['', s.connections]]);
    metric('hypergolix_connections_total', 'counter', 'WebSocket connections accepted since start.', [['', this.connectionsTotal]]);
    metric('hypergolix_subscriptions', 'gauge', 'Subscriptions over all connections.', [['', s.subscriptions]]);
    metric('hypergolix_publishes_total', 'counter', 'Publishes (PB) accepted, new or already stored.', [['', this.publishesTotal]]);
    metric('hypergolix_publishes_new_total', 'counter', 'Publishes (PB) that stored a new object.', [['', this.publishesNew]]);
    metric('hypergolix_publishes_per_second', 'gauge', 'Accepted publishes per second, averaged over the last minute.', [
      ['', this.publishRate.perSecond()],
    ]);
    histogram(
      'hypergolix_publish_duration_seconds',
      'Time from handling an accepted publish (PB) to its answer: checks, its durable commit, and earlier publishes of its connection.',
      this.publishDurations.snapshot(),
    );
    if (s.commitDurations) {
      histogram(
        'hypergolix_store_commit_duration_seconds',
        'Time to make one batch of publishes durable: a journal write (file store), or a transaction from BEGIN to COMMIT with its retries (PostgreSQL).',
        s.commitDurations,
      );
    }
    metric(
      'hypergolix_rejections_total',
      'counter',
      'NK responses sent, by error code.',
      [...this.rejections.entries()]
        .sort(([a], [b]) => a - b)
        .map(([code, n]) => [code < 0 ? '{code="none",name="none"}' : `{code="${hex4(code)}",name="${escapeLabel(codeName(code))}"}`, n]),
    );
    metric(
      'hypergolix_refusals_total',
      'counter',
      'Requests refused under this server\'s limits (NK 000A; storage_full is NK 0010), by limit.',
      [...this.refusals.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([reason, n]) => [`{reason="${reason}"}`, n]),
    );
    if (s.usage) {
      const u = s.usage;
      metric('hypergolix_quota_identities', 'gauge', 'Identities with stored objects charged to their quota.', [['', u.identities]]);
      metric('hypergolix_quota_bytes_charged', 'gauge', 'Bytes of stored objects charged to identities (GIDCs and GARQs are not charged).', [['', u.bytes]]);
      metric('hypergolix_quota_objects_charged', 'gauge', 'Stored objects charged to identities.', [['', u.objects]]);
      metric('hypergolix_quota_largest_identity_bytes', 'gauge', 'Bytes charged to the identity that stores the most.', [['', u.largestBytes]]);
      if (u.bytesLimit !== null) metric('hypergolix_quota_bytes_per_identity', 'gauge', 'The storage quota per identity, in bytes.', [['', u.bytesLimit]]);
      if (u.objectsLimit !== null) metric('hypergolix_quota_objects_per_identity', 'gauge', 'The storage quota per identity, in objects.', [['', u.objectsLimit]]);
    }
    if (s.rateLimitedIdentities !== undefined && s.rateLimitedIdentities !== null) {
      metric('hypergolix_rate_limit_identities', 'gauge', 'Publish rate buckets held: identities that published recently.', [['', s.rateLimitedIdentities]]);
    }
    metric('hypergolix_notifications_sent_total', 'counter', 'Subscription updates (!!) sent.', [['', this.notificationsSent]]);
    metric('hypergolix_notifications_failed_total', 'counter', 'Subscription updates (!!) not acknowledged.', [['', this.notificationsFailed]]);
    return out.join('\n') + '\n';
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(4);
}
