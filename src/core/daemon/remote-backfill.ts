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
 * what it binds), once per connection: the remote is new, or lost data. A dynamic object goes only
 * where the remote lacks it or holds an older frame of our line (its version in our frame's
 * vector, or a frame once current here: past-frames.ts); a frame there of another line, or newer,
 * is left to the conflicts. All of it is best
 * effort, on the connection as it is: what does not get there is found missing again at the next
 * connect.
 *
 * And daily, after the check of the local copy (cache-check.ts), each connected remote is asked
 * about every object of ours held here, and every object shared with us that this computer
 * follows (`audit`): what it lacks or holds damaged (a server answers such as not there:
 * remote/damaged-objects.ts, remote/store-check.ts) is sent again — objects nobody follows too,
 * which no catch-up asks about, and a shared object's container, which a catch-up does not.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AlreadyDebound, CommsError, DoesNotExist, Ghid, IllegalDynamicFrame, RegistrationRequired, parseObject, type GolixObject } from '../golix/index.js';
import type { RemoteClient } from '../remote/client.js';
import type { RemoteLogger } from '../remote/logger.js';
import type { RulesEngine } from '../rules/rules-engine.js';
import type { Entry } from '../store/entry.js';
import type { PastFrames } from './past-frames.js';
import { resendDelayMs } from './resend-delay.js';
import { sendInOrder } from './send-in-order.js';

/** Objects of ours looked at (asked about, read and sent) at a time by a sweep or a check. */
const SWEEP_CHUNK = 512;
/** How many times one send waits for a remote that asked to slow down. */
const MAX_WAITS = 20;
/** Questions (which frame do you hold? do you hold this?) awaiting answers at once: as many as a send window. */
const ASKED_AT_ONCE = 16;

export interface BackfillHost {
  engine: RulesEngine;
  logger: RemoteLogger;
  /** Our own GIDC, once the account is open. */
  identity: () => GolixObject | null;
  /** The frames once current here (past-frames.ts): an older frame there that our vector does not name is of our line if it is one. Absent: left. */
  pastFrames?: Pick<PastFrames, 'held'>;
}

export interface BackfillReport {
  sent: number;
  /** Taken by the remote as new (the rest it had already, or refused). */
  stored: number;
  refused: number;
  /** Accepted by the remote (stored as new, or held already: a damaged copy there is put right by it). */
  taken: number;
  /** Dynamic objects a sweep left alone: the remote holds a newer frame, or one of another line. */
  leftThere: number;
}

const emptyReport = (): BackfillReport => ({ sent: 0, stored: 0, refused: 0, taken: 0, leftThere: 0 });

export class RemoteBackfill {
  /** Remotes whose whole sweep ran on their current connection. */
  private readonly swept = new WeakSet<RemoteClient>();
  /** What each remote took on its current connection: a sweep does not send it again. */
  private readonly taken = new WeakMap<RemoteClient, Set<string>>();

  constructor(private readonly host: BackfillHost) {}

  /** A remote connected again: it may have lost data since it was swept. */
  reconnected(client: RemoteClient): void {
    this.swept.delete(client);
    this.taken.delete(client);
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
      if (queued(ghid) || (theirs !== null && (ours === undefined || (await this.standing(theirs, ours)) !== 'behind'))) return;
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
   * memory whole). The remote is asked for its frame of each dynamic object first: a frame of
   * ours from a settled fork would otherwise replace another computer's older frame there. What
   * it took on this connection already (the object that set the sweep off) is not sent again.
   */
  async sweep(client: RemoteClient, label: string, me: string, queued: (dynamic: Ghid) => boolean): Promise<BackfillReport> {
    if (this.swept.has(client)) return emptyReport();
    this.swept.add(client);
    this.host.logger.info(`remote ${label} lacks objects of this account: sending every object of ours held here`);
    const { report, cut } = await this.pass(client, me, queued, this.takenBy(client), false);
    const left = report.leftThere ? `; ${report.leftThere} held there newer or of another line, left to the conflicts` : '';
    this.host.logger.info(`remote ${label}: ${report.stored} of the ${report.sent} objects sent were new there${report.refused ? `, ${report.refused} refused` : ''}${left}`);
    // Cut short by the link or by a question left unanswered: the next catch-up sweeps again.
    if (cut || !client.connected) this.reconnected(client);
    return report;
  }

  /**
   * The daily check of what a remote holds of ours (after the check of the local copy,
   * cache-check.ts): every object of ours held here that the remote lacks, holds damaged (it
   * answers such as not there: remote/damaged-objects.ts) or holds an older frame of our line of
   * is sent again; so is every object of others that this computer follows (`followed`: shared
   * with us), with its author's identity. Unlike a sweep, each object is asked about before it is sent, so a remote that
   * has everything is sent nothing. Catches what the catch-up cannot see: objects nobody follows,
   * and our deletions on a remote that holds what they deleted again (restored from a backup).
   */
  async audit(client: RemoteClient, label: string, me: string, queued: (dynamic: Ghid) => boolean, followed: Iterable<string> = []): Promise<BackfillReport> {
    const { report } = await this.pass(client, me, queued, new Set(), true, followed);
    if (report.sent > 0) this.host.logger.info(`remote ${label}: ${report.taken} objects held here that it lacked (or held damaged) given again${report.refused ? `, ${report.refused} refused` : ''}`);
    // Usual where another computer of the account wrote objects this one does not follow; a fork's frame, or a backup beyond our vector, too.
    if (report.leftThere > 0) this.host.logger.debug(`remote ${label}: ${report.leftThere} objects held there newer or of another line, left as they are`);
    return report;
  }

  /**
   * One pass over every object of ours held here, a chunk at a time, sending `client` what it
   * should have (dueOn) apart from `skip`. `cut`: ended by a question the remote left unanswered.
   */
  private async pass(client: RemoteClient, me: string, queued: (dynamic: Ghid) => boolean, skip: ReadonlySet<string>, ask: boolean, followed: Iterable<string> = []): Promise<{ report: BackfillReport; cut: boolean }> {
    const report = emptyReport();
    for (const picked of this.chunks(me, queued, skip, ask, followed)) {
      const due = await this.dueOn(client, picked, report, ask).catch(() => null);
      if (due === null) return { report, cut: true };
      const items = (await Promise.all(due.filter((t) => !skip.has(t)).map((t) => this.readHere(t)))).filter((item) => item !== null);
      // Identities first: a remote refuses a binding whose binder it does not know.
      items.sort(([a], [b]) => Number(this.isIdentity(b)) - Number(this.isIdentity(a)));
      if (!(await this.send(client, items, report))) break;
    }
    return { report, cut: false };
  }

  /**
   * What a pass looks at, SWEEP_CHUNK at a time: our identity and every object of ours held here;
   * then the objects of others this computer follows (`followed`: shared with us) and their
   * authors' identities — where an author's computers are gone, the copy here may be the last.
   */
  private *chunks(me: string, queued: (dynamic: Ghid) => boolean, skip: ReadonlySet<string>, ask: boolean, followed: Iterable<string>): Generator<Ghid[]> {
    const identity = this.host.identity();
    let picked = identity && !skip.has(identity.ghid.text) ? [identity.ghid] : [];
    for (const text of this.host.engine.storedGhids()) {
      const g = Ghid.fromText(text);
      const e = this.host.engine.currentFrame(g) ?? this.host.engine.entry(g);
      const ofOurs = e?.type === 'GOBS' || (e?.type === 'GOBD' && !queued(g)) || (e?.type === 'GDXX' && ask);
      if (ofOurs && e!.signer === me && !skip.has(e!.ghid)) picked.push(g);
      if (picked.length >= SWEEP_CHUNK) {
        yield picked;
        picked = [];
      }
    }
    const authors = new Set<string>();
    for (const text of followed) {
      const g = Ghid.fromText(text);
      // A dynamic object by its GHID; a static one by its author's binding, which names its container.
      const frame = this.host.engine.currentFrame(g);
      const binding = frame ?? this.staticBindingOf(g, me);
      if (!binding?.signer || binding.signer === me || skip.has(binding.ghid)) continue;
      if (!authors.has(binding.signer)) picked.push(Ghid.fromText(binding.signer));
      authors.add(binding.signer);
      picked.push(frame ? g : Ghid.fromText(binding.ghid));
      if (picked.length >= SWEEP_CHUNK) {
        yield picked;
        picked = [];
      }
    }
    if (picked.length > 0) yield picked;
  }

  /** Someone else's binding (GOBS) of a static object held here. */
  private staticBindingOf(ghid: Ghid, me: string): Entry | undefined {
    return this.host.engine
      .bindingsOf(ghid)
      .map((b) => this.host.engine.entry(b))
      .find((e) => e?.type === 'GOBS' && e.signer !== me);
  }

  private isIdentity(text: string): boolean {
    return this.host.engine.entry(Ghid.fromText(text))?.type === 'GIDC';
  }

  /**
   * What of `ghids` (and what each binds) goes to the remote, asked a few at a time: a dynamic
   * object's frame and container where the remote lacks it or holds an older frame of our line
   * (never over a newer one or another line's); the rest (an identity, a static binding and its
   * target, a current frame's container) sent as they are, or, with `ask`, only where the remote
   * says it does not have them; with `ask`, our debindings too, where the remote lacks one but
   * holds what it deleted. Rejects when the remote cannot answer.
   */
  private async dueOn(client: RemoteClient, ghids: readonly Ghid[], report: BackfillReport, ask: boolean): Promise<string[]> {
    const due: string[] = [];
    const unsure: string[] = [];
    const deletions: [debinding: string, target: string][] = [];
    for (let i = 0; i < ghids.length; i += ASKED_AT_ONCE) {
      const batch = ghids.slice(i, i + ASKED_AT_ONCE);
      const answers = await Promise.all(batch.map((g) => this.frameThere(client, g, ask)));
      for (const [k, g] of batch.entries()) {
        const ours = this.host.engine.currentFrame(g);
        const answer = answers[k];
        const there = answer === LEVEL ? 'level' : ours && answer ? await this.standing(answer, ours) : 'behind';
        if (there === 'apart') report.leftThere++;
        if (there === 'apart' || (there === 'level' && !ask)) continue;
        const e = ours ?? this.host.engine.entry(g);
        if (!e) continue;
        if (e.type === 'GDXX') {
          deletions.push([e.ghid, e.target!]);
          continue;
        }
        // Named from the index, read only once known to be due: most of a check's objects are held there already.
        const names = [e.ghid, ...(e.type === 'GOBS' || e.type === 'GOBD' ? [e.target!] : [])];
        if (ours && there === 'behind') due.push(...names);
        else (ask ? unsure : due).push(...(there === 'level' ? names.slice(1) : names));
      }
    }
    const holds = (text: string) => client.exists(Ghid.fromText(text));
    due.push(...(await whereTrue(unsure, async (text) => !(await holds(text)))));
    // A deletion of ours matters only where what it deleted is still held (a server restored from a backup): sent, it deletes it there too.
    due.push(...(await whereTrue(deletions, async ([d, target]) => !(await holds(d)) && holds(target))).map(([d]) => d));
    return due;
  }

  /**
   * What `client` holds of a dynamic object of ours: its frame, null (none), LEVEL (asked first
   * whether it holds our current frame, by that frame's GHID: a check then reads no frame where
   * the remote is level, the usual case), or undefined for a GHID that is no dynamic object here.
   */
  private async frameThere(client: RemoteClient, g: Ghid, askFirst: boolean): Promise<Buffer | null | typeof LEVEL | undefined> {
    const ours = this.host.engine.currentFrame(g);
    if (!ours) return undefined;
    if (askFirst && (await client.exists(Ghid.fromText(ours.ghid)))) return LEVEL;
    return frameOn(client, g);
  }

  /**
   * Where a remote's frame stands against our current one; an older frame our vector does not
   * name is of our line when it was once current here (past-frames.ts), else of a fork unknown here.
   */
  private async standing(raw: Buffer, ours: Entry): Promise<'level' | 'behind' | 'apart'> {
    const there = standing(raw, ours);
    if (typeof there === 'string') return there;
    return (await this.host.pastFrames?.held(there.older)) ? 'behind' : 'apart';
  }

  private takenBy(client: RemoteClient): Set<string> {
    let taken = this.taken.get(client);
    if (!taken) this.taken.set(client, (taken = new Set()));
    return taken;
  }

  /** One object as stored here (a frame by its own GHID), or null when it is gone or unreadable. */
  private async readHere(text: string): Promise<[string, Buffer] | null> {
    const raw = await this.host.engine.get(Ghid.fromText(text)).catch(() => null);
    return raw ? [text, raw] : null;
  }

  /** An object (a dynamic GHID's current frame) as stored here, its signer's identity first and what it binds after. */
  private async currentOf(ghid: Ghid): Promise<[string, Buffer][]> {
    const e = this.host.engine.currentFrame(ghid) ?? this.host.engine.entry(ghid);
    const binds = e?.type === 'GOBS' || e?.type === 'GOBD';
    const found = e ? await Promise.all([e.signer, e.ghid, binds ? e.target : undefined].map((g) => (g ? this.readHere(g) : null))) : [];
    return found.filter((item) => item !== null);
  }

  /**
   * Sends in order (a binding before what it binds), a window at a time. A remote that asks to
   * slow down is waited for (up to MAX_WAITS times) and sent the rest; a dropped link or a remote
   * that wants us registered ends it (false).
   */
  private async send(client: RemoteClient, items: [string, Buffer][], report = emptyReport()): Promise<boolean> {
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
        accepted: (ghid) => {
          report.taken++;
          done.add(ghid);
          this.takenBy(client).add(ghid);
        },
        refused: (ghid, _raw, err) => {
          if (err instanceof CommsError || err instanceof RegistrationRequired) return (stop = true);
          const delay = resendDelayMs(err);
          if (delay !== null) {
            wait = Math.max(wait, delay);
            return true;
          }
          done.add(ghid);
          // Not newer there (another computer wrote meanwhile), or deleted there, is no loss: its frame comes as any change.
          if (!(err instanceof IllegalDynamicFrame) && !(err instanceof DoesNotExist) && !(err instanceof AlreadyDebound)) report.refused++;
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

/** The items for which `question` answers true, asked ASKED_AT_ONCE at a time (a remote's questions in flight stay bounded). */
async function whereTrue<T>(items: readonly T[], question: (item: T) => Promise<boolean>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < items.length; i += ASKED_AT_ONCE) {
    const batch = items.slice(i, i + ASKED_AT_ONCE);
    const answers = await Promise.all(batch.map(question));
    out.push(...batch.filter((_, k) => answers[k]));
  }
  return out;
}

/** The remote holds our current frame of an object (RemoteBackfill.frameThere). */
const LEVEL = Symbol('level');

/** A remote's frame of a dynamic object (its bytes), or null when it has none. */
async function frameOn(client: RemoteClient, dynamic: Ghid): Promise<Buffer | null> {
  try {
    return await client.get(dynamic);
  } catch (err) {
    if (err instanceof DoesNotExist) return null;
    throw err;
  }
}

/**
 * Where a remote's frame (bytes) of a dynamic object stands against our current one: 'level'
 * (the same frame), 'behind' (older and on our line: its version is in our frame's vector, as a
 * restored backup's is), `older` (older, and not named by our vector: its own GHID), or 'apart'
 * (newer, of another line, or unreadable). A frame of another line (ours written on a fork,
 * theirs by another computer) is the conflicts' business, never sent around them: a fork's frame
 * sent so once took a server's chain off every reader's line.
 */
function standing(raw: Buffer, ours: Entry): 'level' | 'behind' | 'apart' | { older: string } {
  try {
    const obj = parseObject(raw);
    if (obj.ghid.text === ours.ghid) return 'level';
    if (obj.type !== 'GOBD' || obj.counter === null || ours.counter == null || obj.counter >= ours.counter) return 'apart';
    return (ours.targets ?? []).includes(obj.targets[0]!.text) ? 'behind' : { older: obj.ghid.text };
  } catch {
    return 'apart';
  }
}
