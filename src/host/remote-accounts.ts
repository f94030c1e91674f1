/**
 * The account's standing on each remote, for the Status view: registered, pending, revoked or on
 * the free tier with its usage, as each server's `/register/status` says (null for a server that
 * keeps no accounts). Asked over HTTP, so it is cached here and refreshed in the background at
 * most every `everyMs`, and at once after the user pressed Register; the status reads the cache.
 */
import type { RemoteAccountStatus } from '../common/contract.js';
import type { StartedApp } from './daemon-runner.js';

export class RemoteAccounts {
  private readonly byRemote = new Map<string, RemoteAccountStatus>();
  private lastRefresh = -Infinity;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly onChange: () => void,
    private readonly now: () => number = Date.now,
    private readonly everyMs = 30_000,
  ) {}

  /** What the remote `host:port` said last, if it keeps accounts. */
  of(label: string): RemoteAccountStatus | undefined {
    return this.byRemote.get(label);
  }

  /** Refreshes in the background when the last answer is older than `everyMs` (or `force`). */
  refresh(app: StartedApp | null, force = false): Promise<void> {
    if (!app || this.refreshing || (!force && this.now() - this.lastRefresh < this.everyMs)) return this.refreshing ?? Promise.resolve();
    this.lastRefresh = this.now();
    this.refreshing = (async () => {
      try {
        let changed = false;
        for (const { remote, account } of await app.daemon.remoteAccounts()) {
          const next = account ? { status: account.status, usedBytes: account.usedBytes, freeBytes: account.freeBytes } : undefined;
          if (JSON.stringify(next) === JSON.stringify(this.byRemote.get(remote))) continue;
          if (next) this.byRemote.set(remote, next);
          else this.byRemote.delete(remote);
          changed = true;
        }
        if (changed) this.onChange();
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  clear(): void {
    this.byRemote.clear();
    this.lastRefresh = -Infinity;
  }
}
