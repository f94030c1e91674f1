/**
 * Whether the database answers, as a state (the engine's `storage()`), never a crash: set by the
 * first failure that says the database is out of reach or full (errors.ts), then probed every
 * UNAVAILABLE_RETRY_MS until it answers again; each change logged once.
 */
import type { Logger } from '../log/index.js';
import { STORAGE_OK, type StorageState } from '../store/storage-state.js';
import { UNAVAILABLE_RETRY_MS } from './errors.js';

export class Reachability {
  private state: StorageState = STORAGE_OK;
  private probe: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly target: string,
    private readonly ping: () => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  get now(): StorageState {
    return this.state;
  }

  /** A failure said the database is out of reach (or full, SQLSTATE 53100): `code`, its SQLSTATE or errno. */
  lost(code: string, err: unknown): void {
    if (this.state.kind !== 'ok' || this.stopped) return;
    const why = err instanceof Error ? err.message : String(err);
    const message = `The database ${this.target} cannot be used (${code}: ${why}); publishes are refused until it is back`;
    this.state = { kind: code === '53100' ? 'full' : 'failed', path: this.target, errno: code, freeBytes: null, since: Date.now(), message };
    this.log.error(message);
    this.probe = setInterval(() => {
      this.ping().then(
        () => this.answered(),
        () => {},
      );
    }, UNAVAILABLE_RETRY_MS);
    this.probe.unref();
  }

  /** The database answered. */
  answered(): void {
    if (this.state.kind === 'ok') return;
    this.state = STORAGE_OK;
    if (this.probe) clearInterval(this.probe);
    this.probe = null;
    this.log.info(`The database ${this.target} answers again; publishes are accepted`);
  }

  /** The engine closes: no more probes, and no more changes. */
  stop(): void {
    this.stopped = true;
    if (this.probe) clearInterval(this.probe);
    this.probe = null;
  }
}
