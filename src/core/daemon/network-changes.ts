/**
 * A network that comes back without the computer sleeping (Wi-Fi rejoined, a cable plugged in,
 * another network joined) is heard by this computer's addresses: Node has no event for it, nor
 * has Electron's main process (only a renderer's `online`, and the window is usually closed).
 * The addresses are read every few seconds (getifaddrs: a cheap call, no traffic); when they
 * change, the remotes are checked at once (NetworkIO.tryNow with `checkLinks`): those away are
 * tried, their back-off starting over, instead of up to 30 s later, and those connected are
 * pinged, since a link out of a network just left may be dead without either end having said so.
 */
import { networkInterfaces } from 'node:os';
import type { RemoteLogger } from '../remote/logger.js';

export interface NetworkChangesOptions {
  /** How often the addresses are read. @default 3000 */
  intervalMs?: number;
  /** This computer's addresses, loopback left out. @default from os.networkInterfaces() */
  addresses?: () => string[];
}

export interface NetworkChangesHost {
  /** The addresses changed: check the remotes. Never expected to reject; a rejection is logged. */
  changed(): Promise<unknown>;
  logger: RemoteLogger;
}

/** Every address of this computer's interfaces other than loopback, as text. */
export function externalAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => !a.internal).map((a) => a.address));
}

export class NetworkChanges {
  private timer: NodeJS.Timeout | null = null;
  private known: Set<string> | null = null;
  private checking: Promise<void> | null = null;
  /** A change seen while a check ran: one more check after it. */
  private again = false;
  private readonly intervalMs: number;
  private readonly addresses: () => string[];

  constructor(
    private readonly host: NetworkChangesHost,
    o: NetworkChangesOptions = {},
  ) {
    this.intervalMs = o.intervalMs ?? 3_000;
    this.addresses = o.addresses ?? externalAddresses;
  }

  /** Reads the addresses now (the ones to compare with) and every interval after. */
  start(): void {
    if (this.timer || !this.look()) return;
    this.timer = setInterval(() => this.look(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops reading; a check under way ends by itself (the remotes' own bounds). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.again = false;
  }

  /** One reading, compared with the last; false when the addresses cannot be read (watching stops). */
  private look(): boolean {
    let now: Set<string>;
    try {
      now = new Set(this.addresses());
    } catch (err) {
      this.host.logger.info(`network: this computer's addresses cannot be read (${(err as Error).message}); a network that comes back is found by the remotes' own tries`);
      this.stop();
      return false;
    }
    const before = this.known;
    this.known = now;
    if (!before) return true;
    const gained = [...now].filter((a) => !before.has(a));
    const lost = [...before].filter((a) => !now.has(a));
    if (gained.length + lost.length === 0) return true;
    this.host.logger.info(`network changed (${[gained.length ? `new: ${gained.join(', ')}` : '', lost.length ? `gone: ${lost.join(', ')}` : ''].filter(Boolean).join('; ')}): checking the remotes at once`);
    this.check();
    return true;
  }

  private check(): void {
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = this.host
      .changed()
      .then(
        () => undefined,
        (err: unknown) => this.host.logger.warn(`network: checking the remotes failed: ${(err as Error).message}`),
      )
      .finally(() => {
        this.checking = null;
        if (this.again && this.timer) {
          this.again = false;
          this.check();
        }
      });
  }

  /** Resolves when no check is under way (tests). */
  async settled(): Promise<void> {
    while (this.checking) await this.checking;
  }
}
