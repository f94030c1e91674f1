/**
 * Keeps a store's StorageState truthful: a failed write marks it `full` (ENOSPC, EDQUOT) or
 * `failed` (EIO, EROFS, …) with the path and errno; while it is not ok, a probe runs on a timer
 * (and may be run at once on demand) and the state goes back to ok by itself once the probe's
 * writes succeed. No restart needed.
 */
import { statfs } from 'node:fs/promises';
import { HypergolixError, StorageFull } from '../golix/index.js';
import { errnoOf, FULL_ERRNOS } from '../util/fs-ops.js';
import { STORAGE_OK, STORAGE_REASONS, STORAGE_RETRY_MS, type StorageState } from './storage-state.js';

export interface StorageMonitorOptions {
  /** Does the writes that prove the storage works again; resolves true when they all succeeded. */
  probe: () => Promise<boolean>;
  /** How often to probe while writes fail. @default 2000 */
  probeIntervalMs?: number;
  /** Told when the state changes, with a sentence for the log. */
  changed?: (state: StorageState, message: string) => void;
}

export class StorageMonitor {
  private current: StorageState = STORAGE_OK;
  private timer?: NodeJS.Timeout;
  private probing?: Promise<boolean>;
  private stopped = false;
  /** Probing waits for start(): a store being opened must not be written to by a probe. */
  private started = false;

  constructor(private readonly options: StorageMonitorOptions) {}

  state(): StorageState {
    return this.current;
  }

  get ok(): boolean {
    return this.current.kind === 'ok';
  }

  /** Records a failed write of `path` and starts probing for recovery. */
  fail(path: string, err: unknown): void {
    const errno = errnoOf(err) ?? 'EIO';
    const kind = FULL_ERRNOS.has(errno) ? 'full' : 'failed';
    const since = this.current.kind === 'ok' ? Date.now() : this.current.since;
    const before = this.current.kind;
    this.current = { kind, path, errno, freeBytes: null, since, message: describe(kind, path, errno, null) };
    // Told once per change of kind: ok → full, full → failed; not again for each write refused.
    if (before !== kind) this.options.changed?.(this.current, this.current.message);
    void this.measureFreeSpace(path);
    this.schedule();
  }

  /** The error a write refused for the current state gets: StorageFull, with the path and errno. */
  refusal(): HypergolixError {
    const s = this.current;
    if (s.kind === 'ok') return new HypergolixError('storage is available');
    return new StorageFull(s.message, { reason: STORAGE_REASONS[s.kind], retryAfterMs: STORAGE_RETRY_MS });
  }

  /** Probes now (at most one at a time); resolves whether writes work. */
  probeNow(): Promise<boolean> {
    if (this.current.kind === 'ok') return Promise.resolve(true);
    if (!this.started || this.stopped) return Promise.resolve(false);
    this.probing ??= this.options
      .probe()
      .catch(() => false)
      .then((worked) => {
        this.probing = undefined;
        if (worked && this.current.kind !== 'ok') this.recover();
        return worked;
      });
    return this.probing;
  }

  /** Lets probes run (after the store is open); starts one if writes already failed. */
  start(): void {
    this.started = true;
    if (this.current.kind !== 'ok') this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private recover(): void {
    const was = this.current;
    this.current = STORAGE_OK;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (was.kind !== 'ok') this.options.changed?.(STORAGE_OK, `storage: writes to ${was.path} work again`);
  }

  private schedule(): void {
    if (this.timer || this.stopped || !this.started) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.probeNow().then((worked) => {
        if (!worked) this.schedule();
      });
    }, this.options.probeIntervalMs ?? 2000);
    // The probe must not keep a process alive that has nothing else to do.
    this.timer.unref();
  }

  private async measureFreeSpace(path: string): Promise<void> {
    const free = await freeBytesAt(path);
    const s = this.current;
    if (s.kind === 'ok' || s.path !== path) return;
    this.current = { ...s, freeBytes: free, message: describe(s.kind, s.path, s.errno, free) };
  }
}

/** Free bytes for an unprivileged user on the file system holding `path`, or null if unknown. */
export async function freeBytesAt(path: string): Promise<number | null> {
  for (let p = path; ; ) {
    try {
      const s = await statfs(p);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      const parent = p.replace(/[\\/][^\\/]*$/, '');
      if (parent === p || parent === '') return null;
      p = parent;
    }
  }
}

function describe(kind: 'full' | 'failed', path: string, errno: string, free: number | null): string {
  const room = free === null ? '' : `, ${formatBytes(free)} free`;
  return kind === 'full'
    ? `storage is full: writing ${path} failed (${errno}${room}); writes resume by themselves once there is room`
    : `storage is failing: writing ${path} failed (${errno}${room}); writes resume by themselves once it works again`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GiB`;
}
