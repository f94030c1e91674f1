/**
 * A connection's heartbeat: a ping every period, and a peer that sent nothing at all — no
 * message, no pong — for a whole period counts as gone. Needs a socket that can ping
 * (`SocketExtras`); WHATWG sockets cannot.
 */
import type { SocketExtras } from './socket.js';

export interface HeartbeatOptions {
  periodMs: number;
  extras: SocketExtras;
  /** Whether a ping can be sent now. */
  isOpen: () => boolean;
  /** The peer was silent for a whole period. */
  onSilent: () => void;
  onPingError: (err: Error) => void;
}

export class Heartbeat {
  private heard = true;
  private silent = false;
  private readonly timer: ReturnType<typeof setInterval>;
  /** Probes waiting to hear from the peer (probe()). */
  private readonly probes = new Set<(alive: boolean) => void>();

  constructor(private readonly o: HeartbeatOptions) {
    o.extras.onPong(() => this.heardFrom());
    this.timer = setInterval(() => this.beat(), o.periodMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Something arrived from the peer: it is alive. */
  heardFrom(): void {
    this.heard = true;
    for (const settle of [...this.probes]) settle(true);
  }

  /**
   * Pings now and resolves true at the first thing heard from the peer, false when nothing comes
   * within `timeoutMs` or the heartbeat stops first. Between beats: a link that may have died
   * under a changed network is found out in seconds, not in up to two periods.
   */
  probe(timeoutMs: number): Promise<boolean> {
    if (this.silent) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const settle = (alive: boolean) => {
        this.probes.delete(settle);
        clearTimeout(timer);
        resolve(alive);
      };
      // Held (not unref'd): someone awaits it, and it is bounded by `timeoutMs`.
      const timer = setTimeout(() => settle(false), timeoutMs);
      this.probes.add(settle);
      try {
        this.o.extras.ping();
      } catch (err) {
        this.o.onPingError(err as Error);
      }
    });
  }

  stop(): void {
    clearInterval(this.timer);
    for (const settle of [...this.probes]) settle(false);
  }

  private beat(): void {
    // A period without a ping (the socket not open yet) proves nothing about the peer.
    if (this.silent || !this.o.isOpen()) return;
    if (!this.heard) {
      // Told once: what follows (terminating the socket) is the caller's.
      this.silent = true;
      this.stop();
      this.o.onSilent();
      return;
    }
    this.heard = false;
    try {
      this.o.extras.ping();
    } catch (err) {
      this.o.onPingError(err as Error);
    }
  }
}
