/**
 * One remote as the daemon sends to it: its client, its durable outbox sent in order (one send
 * loop at a time), the frames held back there while a conflict is open (conflict-holds.ts), and
 * what each refusal means — slow down, full, register first, another computer wrote first, or a
 * verdict on the object. NetworkIO (network-io.ts) keeps one per configured remote and does the
 * rest (subscriptions, catch-ups, fetches) across all of them.
 */
import { CommsError, Ghid, IllegalDynamicFrame, RegistrationRequired, StorageFull, UnboundContainer } from '../golix/index.js';
import type { RemoteClient } from '../remote/client.js';
import type { RemoteLogger } from '../remote/logger.js';
import type { RulesEngine } from '../rules/rules-engine.js';
import { registrationHint } from '../registration/hint.js';
import { ConflictHolds, type ConflictOutcome } from './conflict-holds.js';
import { logFinalRefusal } from './final-refusal.js';
import { frameFacts } from './frame-facts.js';
import type { Outbox } from './outbox.js';
import type { FreeTierUsage, RemoteStatus, RemoteStorage } from './remote-status.js';
import { resendDelayMs } from './resend-delay.js';
import { sendInOrder } from './send-in-order.js';

export interface LaneHost {
  engine: RulesEngine;
  logger: RemoteLogger;
  /** Whether the daemon's network is closing: nothing more is sent. */
  closed(): boolean;
  /** After each send loop (NetworkIO's catch-up of the races left out while ours waited). */
  afterSend(): void;
  storageChanged(label: string, storage: RemoteStorage): void;
  freeTierUsedUp(label: string, usage: FreeTierUsage): void;
  /** A frame of ours refused as not newer: the conflict raised; false when nobody listened yet. */
  conflict(dynamic: Ghid, settle: (outcome: ConflictOutcome) => void): boolean;
}

/** What a refused publish means for the outbox (RemoteLane.verdictOn). */
type Verdict = 'later' | 'done' | 'parked' | 'kept';

export class RemoteLane {
  /** Frames of ours held back from it while a conflict on their object is open. */
  readonly holds: ConflictHolds;
  /** The remote's storage as its last publish answer said: `full` after NK 0010, until one is stored again. */
  private storage: RemoteStorage = 'ok';
  /** Set while the remote refuses our uploads until we register; cleared by a new connection or `retryUploads`. */
  private freeTier: FreeTierUsage | undefined;
  private flushing: Promise<void> | undefined;
  /** A send loop put off because the remote asked us to slow down. */
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly label: string,
    readonly client: RemoteClient,
    readonly outbox: Outbox,
    private readonly host: LaneHost,
  ) {
    this.holds = new ConflictHolds(outbox, () => void this.flush(), () => this.flushing !== undefined);
  }

  status(): RemoteStatus {
    const c = this.client;
    return { label: this.label, connected: c.connected, pending: this.outbox.size, storage: this.storage, freeTier: this.freeTier ?? null, lastFailure: c.lastFailure, lastConnectedAt: c.lastConnectedAt, nextAttemptAt: c.nextAttemptAt };
  }

  /** Sends again what the remote refused until registration (after registering there). */
  retryUploads(): Promise<void> {
    this.forgetFreeTier();
    return this.flush();
  }

  /** The free tier is asked about again: after registering, or on a new connection. */
  forgetFreeTier(): void {
    this.freeTier = undefined;
  }

  /** Sends the outbox in order. One loop at a time; safe to call often. */
  flush(): Promise<void> {
    if (!this.mayFlush()) return this.flushing ?? Promise.resolve();
    this.flushing = this.drain().finally(() => {
      this.flushing = undefined;
      this.holds.betweenSends();
      this.host.afterSend();
      if (this.outbox.ready > 0 && this.mayFlush()) void this.flush();
    });
    return this.flushing;
  }

  /** Stops sending; what a send loop under way does ends with it (close() then waits for it). */
  async close(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.holds.close();
    await this.flushing?.catch(() => {});
  }

  private mayFlush(): boolean {
    return !this.flushing && !this.retryTimer && !this.freeTier && this.client.connected && !this.host.closed();
  }

  private async drain(): Promise<void> {
    await sendInOrder(this.outbox.items(), {
      publish: (raw, ghid) => (this.outbox.refuseFirst(ghid) ? Promise.reject(new IllegalDynamicFrame('Written over a frame not readable here: settled first')) : this.client.publish(raw)),
      connected: () => this.client.connected,
      accepted: (ghid) => {
        this.setStorage('ok');
        this.outbox.done(ghid);
      },
      refused: (ghid, raw, err) => {
        const verdict = this.verdictOn(ghid, raw, err);
        if (verdict === 'done') this.outbox.done(ghid);
        return verdict === 'later';
      },
      holdBack: (ghid, frame) => this.holds.holdBack(ghid, frame),
    });
  }

  /**
   * What a refused publish means for the outbox: `later` if the object stays queued, and sending
   * stops (the remote asked to wait, is full, wants us registered, or the connection dropped);
   * `done` if the refusal is a verdict on the object; `parked` for a frame of ours that another
   * computer's beat (and its container), kept until the conflict it raises is settled; `kept`
   * for a container refused as unbound whose frame is queued again, offered again after it.
   */
  private verdictOn(ghid: string, raw: Buffer, err: unknown): Verdict {
    if (err instanceof CommsError) return 'later';
    if (err instanceof RegistrationRequired) {
      // Kept, in order, until we register there (or reconnect): nothing after it can go either.
      const revoked = err.reason === 'revoked';
      const usage: FreeTierUsage = { used: err.used ?? null, limit: err.limit ?? null, message: registrationHint(this.label, err.used, err.limit, revoked), ...(revoked ? { revoked } : {}) };
      this.freeTier = usage;
      this.host.logger.warn(`remote ${this.label} refused ${Ghid.fromText(ghid).short}: ${usage.message}`);
      this.host.freeTierUsedUp(this.label, usage);
      return 'later';
    }
    if (err instanceof StorageFull) this.setStorage(err.reason === 'storage_failed' ? 'storage_failed' : 'storage_full');
    // A full remote keeps everything queued even if it gave no retry delay.
    const wait = resendDelayMs(err);
    if (wait !== null) {
      // Not a verdict on the object: keep it (and everything after it, in order) for later.
      this.host.logger.info(`remote ${this.label} asked to slow down: ${(err as Error).message}; resending in ${Math.round(wait)} ms`);
      clearTimeout(this.retryTimer);
      const resend = () => void ((this.retryTimer = undefined), this.flush());
      this.retryTimer = setTimeout(resend, wait).unref();
      return 'later';
    }
    // Ours, refused as not newer: another computer of the account wrote first. Held with our
    // later frames of the object until the conflict is settled (conflict-holds.ts), whether or
    // not a later frame of ours has replaced it here (written offline, or resent after a crash).
    const frame = err instanceof IllegalDynamicFrame ? frameFacts(raw) : null;
    if (frame) {
      const settle = this.holds.refused(ghid, frame);
      // Raised before anyone listens (a start): raised again once the daemon does (resendParked).
      if (settle && !this.host.conflict(Ghid.fromText(frame.dynamic), settle)) this.holds.unheard(frame.dynamic);
      return 'parked';
    }
    if (err instanceof UnboundContainer) {
      if (this.holds.refusedContainer(ghid)) return 'parked';
      // Its frame is still to be sent (offered again since it was refused): the container goes
      // again after it. Taken as refused for good, the remote would get the frame alone.
      if (this.outbox.bindsQueued(ghid)) return 'kept';
    }
    logFinalRefusal(this.host.logger, { remote: this.label, ghid, raw, err, storedHere: this.host.engine.exists(Ghid.fromText(ghid)) });
    return 'done';
  }

  private setStorage(storage: RemoteStorage): void {
    if (this.storage === storage) return;
    this.storage = storage;
    if (storage === 'ok') this.host.logger.info(`remote ${this.label}: its storage takes writes again; sending the ${this.outbox.size} queued`);
    // Full (its disk) or failed (its database down, a write error): the remote said which.
    else if (storage === 'storage_full') this.host.logger.warn(`remote ${this.label}: its storage is full; ${this.outbox.size} object(s) stay queued and are resent when it has room`);
    else this.host.logger.warn(`remote ${this.label}: its storage cannot take writes now (it failed: a database down, a write error); ${this.outbox.size} object(s) stay queued and are resent when it takes writes again`);
    this.host.storageChanged(this.label, storage);
  }
}
