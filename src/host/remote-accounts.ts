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
  /** The account (user ID) whose standing `byRemote` holds: another account's is never shown. */
  private account: string | null = null;
  /** Counts refreshes and clears. */
  private turns = 0;

  constructor(
    private readonly onChange: () => void,
    private readonly now: () => number = Date.now,
    private readonly everyMs = 30_000,
  ) {}

  /** What the remote `host:port` said last, if it keeps accounts. */
  of(label: string): RemoteAccountStatus | undefined {
    return this.byRemote.get(label);
  }

  /**
   * Refreshes in the background when the last answer is older than `everyMs` (or `force`). Another
   * account unlocked than the one the answers are for: they are dropped and asked again at once.
   */
  refresh(app: StartedApp | null, force = false): Promise<void> {
    if (!app) return this.refreshing ?? Promise.resolve();
    const account = app.daemon.userId?.text ?? null;
    if (account !== this.account) {
      this.clear();
      this.account = account;
    }
    if (this.refreshing || (!force && this.now() - this.lastRefresh < this.everyMs)) return this.refreshing ?? Promise.resolve();
    this.lastRefresh = this.now();
    // Which refresh this is: one dropped by clear() (another account) keeps none of its answers.
    const turn = ++this.turns;
    const refreshing = (async () => {
      try {
        const answers = await app.daemon.remoteAccounts();
        // Asked for an account that is no longer the one unlocked: its answers are not this one's.
        if (this.turns !== turn) return;
        let changed = false;
        for (const { remote, account: standing } of answers) {
          const next = standing ? { status: standing.status, usedBytes: standing.usedBytes, freeBytes: standing.freeBytes } : undefined;
          if (JSON.stringify(next) === JSON.stringify(this.byRemote.get(remote))) continue;
          if (next) this.byRemote.set(remote, next);
          else this.byRemote.delete(remote);
          changed = true;
        }
        if (changed) this.onChange();
      } finally {
        if (this.turns === turn) this.refreshing = null;
      }
    })();
    this.refreshing = refreshing;
    return refreshing;
  }

  /** Forgets every answer and when it was asked (an answer under way is then not kept). */
  clear(): void {
    this.byRemote.clear();
    this.lastRefresh = -Infinity;
    this.refreshing = null;
    this.turns++;
  }
}
