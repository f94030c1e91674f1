/**
 * A remote that keeps accounts holds our uploads once the free tier is used up (NK 0011), until
 * this account registers there — in a browser, from `hypergolix config --register` or the app's
 * Register. The server does not tell the daemon when that happens, so while any remote holds
 * uploads, the daemon asks the remotes' registration status every `everyMs`; one that says
 * registered gets the held uploads at once (remote-accounts.ts). The desktop host also asks when
 * its Status page is shown; a daemon run from the CLI has nobody else to ask, and its uploads
 * waited for a reconnect.
 */
import type { RemoteLogger } from '../remote/logger.js';

/** How often a remote holding our uploads is asked whether we registered. */
export const REGISTRATION_CHECK_MS = 30_000;

export interface FreeTierWatchHost {
  /** Whether a remote holds our uploads until we register there. */
  held: () => boolean;
  /** Asks every remote for the account's standing (and sends what a registered one held). */
  ask: () => Promise<unknown>;
  logger: RemoteLogger;
}

export class FreeTierWatch {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly host: FreeTierWatchHost,
    private readonly everyMs = REGISTRATION_CHECK_MS,
  ) {}

  /** A remote began to hold our uploads: asked about from now on, until none does. */
  held(): void {
    if (!this.timer && !this.stopped) this.schedule();
  }

  /** A person asked to try the remotes now ("Try now", `status --reconnect`): asked at once too, if one holds uploads. */
  askIfHeld(): void {
    if (!this.stopped && this.host.held()) void this.host.ask().catch(() => {});
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.askNow(), this.everyMs);
    this.timer.unref();
  }

  private async askNow(): Promise<void> {
    try {
      await this.host.ask();
    } catch (err) {
      this.host.logger.debug(`asking the remotes whether this account registered failed: ${(err as Error).message}`);
    }
    this.timer = null;
    if (!this.stopped && this.host.held()) this.schedule();
  }
}
