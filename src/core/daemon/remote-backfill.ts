/**
 * A remote that lacks what this computer holds is given it again. A daemon sends each object
 * once, to the remotes configured when it was made: a remote added later (a second server, or
 * a new one replacing the old), one restored from an older backup, or one whose copy was found
 * damaged (remote/damaged-objects.ts) would otherwise never have this account's objects, and a
 * computer signing in through it would not find the account.
 *
 * Found at each connect's catch-up (NetworkIO.catchUp): a subscribed object the remote does not
 * have (and did not see deleted), or holds an older frame of, is sent again — its frame, the
 * container the frame names and its signer's identity. When one of our own objects is missing
 * or older there, everything of ours this computer holds is sent too (each of our bindings with
 * what it binds), once per connection: the remote is new, or lost data. All of it is best effort, on the
 * connection as it is: what does not get there is found missing again at the next connect.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CommsError, DoesNotExist, Ghid, IllegalDynamicFrame, RegistrationRequired, parseObject, type GolixObject } from '../golix/index.js';
import type { RemoteClient } from '../remote/client.js';
import type { RemoteLogger } from '../remote/logger.js';
import type { RulesEngine } from '../rules/rules-engine.js';
import { resendDelayMs } from './resend-delay.js';
import { sendInOrder } from './send-in-order.js';

/** Objects read and sent at a time by a sweep. */
const SWEEP_CHUNK = 512;
/** How many times one send waits for a remote that asked to slow down. */
const MAX_WAITS = 20;

export interface BackfillHost {
  engine: RulesEngine;
  logger: RemoteLogger;
  /** Our own GIDC, once the account is open. */
  identity: () => GolixObject | null;
}

export interface BackfillReport {
  sent: number;
  /** Taken by the remote as new (the rest it had already, or refused). */
  stored: number;
  refused: number;
}

export class RemoteBackfill {
  /** Remotes whose whole sweep ran on their current connection. */
  private readonly swept = new WeakSet<RemoteClient>();

  constructor(private readonly host: BackfillHost) {}

  /** A remote connected again: it may have lost data since it was swept. */
  reconnected(client: RemoteClient): void {
    this.swept.delete(client);
  }

  /**
   * What the catch-up found on `client` for a subscribed `ghid` held here: `theirs`, its copy (a
   * dynamic GHID's frame), or null when it has none and saw no deletion. `queued`: whether frames
   * of ours of a dynamic GHID wait in that remote's outbox — they go (and settle a fork) that
   * way, never around it. Never rejects; the caller need not wait for it (a sweep, or a remote
   * that asks to slow down, may take a while).
   */
  async caughtUp(client: RemoteClient, label: string, ghid: Ghid, theirs: Buffer | null, queued: (dynamic: Ghid) => boolean): Promise<void> {
    try {
      const ours = this.host.engine.currentFrame(ghid);
      if (queued(ghid) || (theirs !== null && !(ours?.counter != null && ancestorOf(theirs, ours.counter, ours.targets ?? [])))) return;
      const raws = await this.currentOf(ghid);
      if (raws.length === 0) return;
      const me = this.host.identity()?.ghid.text;
      this.host.logger.info(`remote ${label}: ${theirs === null ? 'lacks' : 'holds an older version of'} ${ghid.short}, held here: sending it again`);
      await this.send(client, raws);
      // One of ours missing or older there: the remote is new, or lost data (a restored backup).
      if (me !== undefined && (ours?.signer ?? this.host.engine.entry(ghid)?.signer) === me) await this.sweep(client, label, me, queued);
    } catch (err) {
      this.host.logger.warn(`remote ${label}: could not send ${ghid.short} again: ${(err as Error).message}`);
    }
  }

  /**
   * Everything of ours held here, sent to a remote found without one of our objects (or with one
   * older): once per connection, read and sent a chunk at a time (a large cache is never held in
   * memory whole).
   */
  async sweep(client: RemoteClient, label: string, me: string, queued: (dynamic: Ghid) => boolean): Promise<BackfillReport> {
    const report: BackfillReport = { sent: 0, stored: 0, refused: 0 };
    if (this.swept.has(client)) return report;
    this.swept.add(client);
    this.host.logger.info(`remote ${label} lacks objects of this account: sending every object of ours held here`);
    let chunk = this.host.identity() ? [itemOf(this.host.identity()!.raw)] : [];
    const ghids = this.host.engine.storedGhids();
    for (const [i, text] of ghids.entries()) {
      const g = Ghid.fromText(text);
      const e = this.host.engine.currentFrame(g) ?? this.host.engine.entry(g);
      if (e?.signer === me && (e.type === 'GOBS' || (e.type === 'GOBD' && !queued(g)))) chunk.push(...(await this.currentOf(g, false)));
      if (chunk.length < SWEEP_CHUNK && i < ghids.length - 1) continue;
      if (!(await this.send(client, chunk, report))) break;
      chunk = [];
    }
    this.host.logger.info(`remote ${label}: ${report.stored} of the ${report.sent} objects sent were new there${report.refused ? `, ${report.refused} refused` : ''}`);
    if (!client.connected) this.swept.delete(client);
    return report;
  }

  /** An object (a dynamic GHID's current frame) as stored here, its signer's identity first (`withSigner`), and what it binds after. */
  private async currentOf(ghid: Ghid, withSigner = true): Promise<[string, Buffer][]> {
    const e = this.host.engine.currentFrame(ghid) ?? this.host.engine.entry(ghid);
    if (!e) return [];
    const read = async (g: string | undefined): Promise<[string, Buffer] | null> => {
      const raw = g ? await this.host.engine.get(Ghid.fromText(g)).catch(() => null) : null;
      return raw ? [g!, raw] : null;
    };
    const binds = e.type === 'GOBS' || e.type === 'GOBD';
    const found = await Promise.all([withSigner ? read(e.signer) : null, read(e.ghid), binds ? read(e.target) : null]);
    return found.filter((item) => item !== null);
  }

  /**
   * Sends in order (a binding before what it binds), a window at a time. A remote that asks to
   * slow down is waited for (up to MAX_WAITS times) and sent the rest; a dropped link or a remote
   * that wants us registered ends it (false).
   */
  private async send(client: RemoteClient, items: [string, Buffer][], report: BackfillReport = { sent: 0, stored: 0, refused: 0 }): Promise<boolean> {
    let left = items;
    for (let waits = 0; left.length > 0; waits++) {
      const done = new Set<string>();
      let [wait, stop] = [0, false];
      await sendInOrder(left, {
        publish: (raw) => {
          report.sent++;
          return client.publish(raw).then((stored) => stored && report.stored++);
        },
        connected: () => client.connected,
        accepted: (ghid) => done.add(ghid),
        refused: (ghid, _raw, err) => {
          if (err instanceof CommsError || err instanceof RegistrationRequired) return (stop = true);
          const delay = resendDelayMs(err);
          if (delay !== null) {
            wait = Math.max(wait, delay);
            return true;
          }
          done.add(ghid);
          // Not newer there (another computer wrote meanwhile) is no loss: its frame comes as any change.
          if (!(err instanceof IllegalDynamicFrame) && !(err instanceof DoesNotExist)) report.refused++;
          return false;
        },
      });
      left = left.filter(([ghid]) => !done.has(ghid));
      if (stop || !client.connected || left.length === 0) return !stop && client.connected;
      if (waits === MAX_WAITS) return false;
      await sleep(Math.max(wait, 50));
    }
    return true;
  }
}

const itemOf = (raw: Buffer): [string, Buffer] => [parseObject(raw).ghid.text, raw];

/**
 * Whether a remote's frame (bytes) is older than our current one and on its line (its version is
 * in our frame's vector): a remote behind us, as a restored backup is. A frame of another line
 * (ours written on a fork, theirs by another computer) is the conflicts' business, never sent
 * around them: a fork's frame sent so once took a server's chain off every reader's line.
 */
function ancestorOf(raw: Buffer, counter: bigint, targets: readonly string[]): boolean {
  try {
    const obj = parseObject(raw);
    return obj.type === 'GOBD' && obj.counter !== null && obj.counter < counter && targets.includes(obj.targets[0]!.text);
  } catch {
    return false;
  }
}
