/**
 * A network that comes back without the computer sleeping (Wi-Fi rejoined, a cable plugged in,
 * another network joined) is heard by this computer's addresses: Node has no event for it, nor
 * has Electron's main process (only a renderer's `online`, and the window is usually closed).
 * The addresses are read every few seconds (getifaddrs: a cheap call, no traffic); when they
 * change, the remotes are checked at once (NetworkIO.tryNow with `checkLinks`): those away are
 * tried, their back-off starting over, instead of up to 30 s later, and those connected are
 * pinged, since a link out of a network just left may be dead without either end having said so.
 *
 * On Linux each interface's count of link changes is read too (`carrier_changes` in sysfs): a
 * cable plugged in again, or a Wi-Fi link that dropped and came back, may leave the addresses as
 * they were (the same lease), and is heard by its count.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { RemoteLogger } from '../remote/logger.js';

export interface NetworkChangesOptions {
  /** How often the addresses are read. @default 3000 */
  intervalMs?: number;
  /** This computer's addresses, loopback left out. @default from os.networkInterfaces() */
  addresses?: () => string[];
  /** Per interface, how many times its link went down or up. @default linkChanges() */
  links?: () => Map<string, number>;
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

const SYS_NET = '/sys/class/net';

/** Per interface other than loopback, how many times its link went down or up (Linux); empty elsewhere. */
export function linkChanges(dir = SYS_NET): Map<string, number> {
  const counts = new Map<string, number>();
  if (process.platform !== 'linux') return counts;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return counts;
  }
  for (const name of names) {
    if (name === 'lo') continue;
    try {
      const count = Number(readFileSync(`${dir}/${name}/carrier_changes`, 'utf8').trim());
      if (Number.isSafeInteger(count)) counts.set(name, count);
    } catch {
      // Gone meanwhile, or an interface without the count (down for good): nothing to compare.
    }
  }
  return counts;
}

export class NetworkChanges {
  private timer: NodeJS.Timeout | null = null;
  private known: Set<string> | null = null;
  private knownLinks = new Map<string, number>();
  private checking: Promise<void> | null = null;
  /** A change seen while a check ran: one more check after it. */
  private again = false;
  private readonly intervalMs: number;
  private readonly addresses: () => string[];
  private readonly links: () => Map<string, number>;

  constructor(
    private readonly host: NetworkChangesHost,
    o: NetworkChangesOptions = {},
  ) {
    this.intervalMs = o.intervalMs ?? 3_000;
    this.addresses = o.addresses ?? externalAddresses;
    this.links = o.links ?? (() => linkChanges());
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
    const links = this.readLinks();
    const [before, linksBefore] = [this.known, this.knownLinks];
    this.known = now;
    this.knownLinks = links;
    if (!before) return true;
    const gained = [...now].filter((a) => !before.has(a));
    const lost = [...before].filter((a) => !now.has(a));
    // An interface new since the last reading is told by its addresses, if it has any.
    const flapped = [...links].filter(([name, count]) => linksBefore.has(name) && linksBefore.get(name) !== count).map(([name]) => name);
    if (gained.length + lost.length + flapped.length === 0) return true;
    const said = [gained.length ? `new: ${gained.join(', ')}` : '', lost.length ? `gone: ${lost.join(', ')}` : '', flapped.length ? `link down or up: ${flapped.join(', ')}` : ''];
    this.host.logger.info(`network changed (${said.filter(Boolean).join('; ')}): checking the remotes at once`);
    this.check();
    return true;
  }

  /** The links' counts; none when they cannot be read (the addresses are still watched). */
  private readLinks(): Map<string, number> {
    try {
      return this.links();
    } catch {
      return new Map();
    }
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
