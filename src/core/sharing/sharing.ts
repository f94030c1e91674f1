import { EventEmitter } from 'node:events';
import {
  Ghid,
  HypergolixError,
  InvalidIdentity,
  PublicIdentity,
  UnknownSecret,
  ValueError,
  VerificationFailure,
  buildRequest,
  makeDebinding,
  openRequest,
  type Garq,
  type GolixObject,
  type OpenedRequest,
  Secret,
} from '../golix/index.js';
import type { StateNamespace } from '../account/state-namespace.js';
import { ObjectNotFound, noSecretReads } from '../objects/errors.js';
import type { DaemonPort } from '../daemon/port.js';
import type { SharingPolicy } from '../../common/config-fields.js';
import { decideShare, noRoomToWait, type WaitingLimits } from './consent.js';
import { Contacts } from './contacts.js';
import { apiIdText, peekShare, type ShareContents } from './peek.js';
import { ShareRecords } from './share-records.js';
import { CatchingUp } from './catching-up.js';
import { OPENED_NOTHING_STATUS, SHARE_AGAIN_EVERY_MS, SHARE_AGAIN_STATUS, Throttle, decideShareAgain } from './share-again.js';

/** accept/decline named a share that is not (or no longer) waiting. */
export class NoSuchShare extends ValueError {}

/**
 * A waiting share that can never be taken: its object is on no server any more (its sender
 * deleted it after sharing it), or the key it carries does not open it. Accepting it declines it
 * (the sender is told) and it leaves the list; the message says which.
 */
export class ShareRemoved extends NoSuchShare {}

export type { SharingPolicy };

/** A share another user sent us, accepted and readable. */
export interface IncomingShare {
  ghid: Ghid;
  from: Ghid;
  apiId: Buffer;
  /** A new share of an object we had taken from them before (it had moved on past our reach). */
  again?: boolean;
}

/** A share from someone not trusted, waiting for the user (policy `ask`). */
export interface PendingShare extends ShareContents {
  /** The request's GHID: the handle for accept/decline. */
  id: string;
  ghid: Ghid;
  from: Ghid;
  receivedAt: number;
}

export interface ShareResult {
  ghid: Ghid;
  recipient: Ghid;
  ok: boolean;
  /** App token that asked for the share, if any (for IPC `^S`/`^F`). */
  token: string | null;
  /** Shared again because the recipient asked (they could no longer read it: share-again.ts). */
  again?: boolean;
  /** Not refused: the recipient could not open it (OPENED_NOTHING_STATUS), shared from a version the server had not taken yet. */
  unopened?: boolean;
}

export interface SharingEvents {
  incoming: [IncomingShare];
  pending: [PendingShare];
  result: [ShareResult];
}

export interface SharingOptions {
  policy: () => SharingPolicy;
  blocked: () => readonly Ghid[];
  warn: (message: string) => void;
  /** SHARE_AGAIN_EVERY_MS unless told (tests). */
  shareAgainEveryMs?: number;
  /** ASK_AGAIN_AFTER_NOTHING_MS unless told (tests). */
  askAgainAfterNothingMs?: readonly number[];
  /** WAITING_LIMITS unless told (tests). */
  waitingLimits?: WaitingLimits;
}

type Outgoing = { t: string; r: string; k: string | null; g?: boolean };
type Asking = { t: string; f: string; s: string; at: number; a?: string | null; z?: number | null; d?: boolean | null };

/**
 * How many of the objects shared with us (the newest shares first) the daemon follows. A remote
 * takes 10,000 subscriptions per connection by default; this leaves room for the live objects
 * (1,000) and the account's own.
 */
export const MAX_FOLLOWED_SHARES = 5000;

/** How long an answer to a request not known here waits for the account state to bring it (~3.5 s in all). */
const ANSWER_WAITS_MS = [500, 1_000, 2_000];

/**
 * Sharing between users (hypergolix-reference §10): a handshake GARQ carries the object's
 * secret to the recipient; the recipient answers AK or NK and debinds the request. Unlike the
 * reference, incoming shares pass a consent policy (defect 3), decided in consent.ts from the
 * policy and the sender's trust in the contacts: trusted senders are accepted, blocked ones
 * refused, and anyone else accepted (`all`), refused (`known`) or held for the user (`ask`).
 * Accepting once leaves the sender's trust as it was; accepting and trusting marks them trusted.
 */
export class Sharing extends EventEmitter<SharingEvents> {
  private readonly inFlight = new Set<string>();
  /** Account state (account/state-keys.ts): our handshakes awaiting an answer, by request GHID. */
  private readonly outgoing: StateNamespace;
  /** Strangers' shares awaiting the user, by request GHID. */
  private readonly asking: StateNamespace;
  /** People: names, trust, verified marks. */
  readonly contacts: Contacts;
  /** What was shared with us and by us. */
  readonly records: ShareRecords;
  /** Objects we shared again (share-again.ts), by object and recipient. */
  private readonly sharedAgain: Throttle;
  /** Objects shared with us that we cannot read now, whose sharers we ask to share them again. */
  private readonly catchingUp: CatchingUp;

  constructor(
    private readonly daemon: DaemonPort,
    private readonly o: SharingOptions,
  ) {
    super();
    this.sharedAgain = new Throttle(o.shareAgainEveryMs ?? SHARE_AGAIN_EVERY_MS);
    this.outgoing = daemon.state('out:');
    this.asking = daemon.state('ask:');
    this.contacts = new Contacts(daemon.state('contact:'), daemon.fingerprint);
    this.records = new ShareRecords(daemon.state('shared-in:'), daemon.state('shared-out:'));
    this.catchingUp = new CatchingUp({
      daemon,
      records: this.records,
      identity: (ghid) => this.identity(ghid),
      warn: o.warn,
      askAgainAfterNothingMs: o.askAgainAfterNothingMs,
    });
    daemon.on('request', (garq) => void this.onRequest(garq));
    daemon.on('unreadable', (ghid) => void this.catchingUp.unreadable(ghid));
    daemon.on('readable', (ghid) => this.catchingUp.readable(ghid));
    daemon.on('delete', (ghid) => void this.onDeleted(ghid));
    daemon.on('deleted-here', (ghid) => void this.onDeleted(ghid));
    // Read along their frames only: followed from the start, whether an app opens them or not.
    const live = this.records.receivedList().filter((r) => r.deletedAt === null);
    for (const r of live.slice(0, MAX_FOLLOWED_SHARES)) daemon.follow(r.object);
  }

  /** An object deleted by its author: the shares of it say so, and nobody is asked to share it again. */
  private async onDeleted(ghid: Ghid): Promise<void> {
    this.catchingUp.readable(ghid);
    if (!this.records.objectDeleted(ghid)) return;
    await this.asking.flush().catch((err: unknown) => this.o.warn(`could not note that ${ghid.short} was deleted: ${(err as Error).message}`));
  }

  private async identity(ghid: Ghid): Promise<PublicIdentity> {
    const obj = await this.daemon.fetch(ghid);
    if (!obj || obj.type !== 'GIDC') throw new InvalidIdentity(`No identity ${ghid.short} is known to this daemon or its remotes`);
    return PublicIdentity.fromGidc(obj);
  }

  /**
   * Shares an object we can read with `recipient`. The answer arrives later as a 'result'.
   * Someone we share with and did not know becomes a trusted contact: we chose them.
   */
  async share(ghid: Ghid, recipient: Ghid, token: string | null = null, again = false): Promise<Ghid> {
    if (recipient.equals(this.daemon.fingerprint)) throw new ValueError('Sharing with yourself needs no handshake');
    // The version shared is the one shown here: once the server took it, not one it may refuse.
    await this.daemon.settled(ghid);
    const secret = await this.daemon.secretOf(ghid);
    if (!secret) throw new UnknownSecret(`No secret is known for ${ghid.short}`);
    const to = await this.identity(recipient);
    const garq = buildRequest(this.daemon.identity, to, { kind: 'HS', target: ghid, secret });
    this.outgoing.set(garq.ghid.text, { t: ghid.text, r: recipient.text, k: token, ...(again ? { g: true } : {}) } satisfies Outgoing);
    this.contacts.ensure(recipient, 'trusted');
    const obj = await this.daemon.open(ghid);
    this.records.sentOne(ghid, recipient, 'waiting', { apiId: apiIdText(obj.apiId), size: obj.state.length });
    await this.daemon.publish(garq);
    await this.outgoing.flush();
    return garq.ghid;
  }

  /** Shares that wait for the user, oldest first. */
  pending(): PendingShare[] {
    const out: PendingShare[] = [];
    for (const [id, v] of this.asking.entries()) {
      const p = v as Asking;
      out.push({
        id,
        ghid: Ghid.fromText(p.t),
        from: Ghid.fromText(p.f),
        receivedAt: p.at,
        apiId: p.a ?? null,
        size: p.z ?? null,
        dynamic: p.d ?? null,
      });
    }
    return out.sort((a, b) => a.receivedAt - b.receivedAt);
  }

  private waiting(id: string): Asking {
    const p = this.asking.get(id) as Asking | undefined;
    if (!p) throw new NoSuchShare(`No share ${id.slice(0, 12)}… is waiting`);
    return p;
  }

  /** Accepts a waiting share; with `trust`, the sender's later shares arrive without asking. */
  async accept(id: string, opts: { trust?: boolean } = {}): Promise<IncomingShare> {
    // As fingerprints are: an ID pasted with the spaces around it still names its share.
    id = id.trim();
    const p = this.waiting(id);
    const from = Ghid.fromText(p.f);
    const share = await this.take(Ghid.fromText(id), Ghid.fromText(p.t), from, Secret.fromText(p.s), false).catch((err: unknown) => this.notTaken(id, p, err));
    this.asking.delete(id);
    if (opts.trust) this.contacts.set(from, { trust: 'trusted' });
    await this.asking.flush();
    return share;
  }

  /**
   * A waiting share the user accepted that could not be taken. Found on no server, with every
   * remote connected (none away that might hold it): its sender deleted it. Not opened by the key
   * it carries: it never will be. Either is declined and leaves the list, said so. Anything else
   * (a server away, a full disk) may pass: the share waits on, unanswered, to be accepted again.
   */
  private async notTaken(id: string, p: Asking, err: unknown): Promise<never> {
    const remotes = this.daemon.status().remotes;
    const gone = err instanceof ObjectNotFound && remotes.length > 0 && remotes.every((r) => r.connected);
    if (!gone && !noSecretReads(err)) throw err;
    this.asking.delete(id);
    await this.answer(Ghid.fromText(id), Ghid.fromText(p.f), 'NK');
    const why = gone
      ? 'its object is on no server any more: its sender deleted it after sharing it'
      : 'the key it carries no longer opens its object (it was changed many times while the share waited, or the share is damaged); ask its sender to share it again';
    if (!gone) this.o.warn(`declined share ${id.slice(0, 12)}… as it was accepted: ${(err as Error).message}`);
    throw new ShareRemoved(`Share ${id.slice(0, 12)}… cannot be accepted: ${why}. It was declined and removed.`);
  }

  /** Declines a waiting share (the sender is told); with `block`, their later shares are declined too. */
  async decline(id: string, opts: { block?: boolean } = {}): Promise<void> {
    id = id.trim();
    const p = this.waiting(id);
    const from = Ghid.fromText(p.f);
    this.asking.delete(id);
    if (opts.block) this.contacts.set(from, { trust: 'blocked' });
    await this.answer(Ghid.fromText(id), from, 'NK');
  }

  /** Declines every waiting share from someone (after they were blocked). */
  async declineFrom(from: Ghid): Promise<number> {
    const theirs = this.pending().filter((p) => p.from.equals(from));
    for (const p of theirs) await this.decline(p.id).catch((err: unknown) => this.o.warn(`could not decline ${p.id.slice(0, 12)}: ${(err as Error).message}`));
    return theirs.length;
  }

  private async onRequest(garq: GolixObject): Promise<void> {
    // Keyed by the full bytes: copies of one GARQ GHID may differ in their MAC (a forged copy
    // beside the genuine one; see docs/formats.md, "GARQ variants"), and each is tried.
    const key = garq.type === 'GARQ' ? `${garq.ghid.text}:${garq.mac.toString('base64')}` : '';
    if (garq.type !== 'GARQ' || this.inFlight.has(key)) return;
    this.inFlight.add(key);
    try {
      let req: OpenedRequest;
      try {
        req = await openRequest(garq as Garq, this.daemon.identity, (g) => this.identity(g));
      } catch (err) {
        // Unreadable or forged: nobody to answer. A MAC that does not verify is not debound: the
        // debinding would name the GHID, and so remove the genuine copy the server also keeps.
        this.o.warn(`ignored an invalid request ${garq.ghid.short}: ${(err as Error).message}`);
        if (!(err instanceof VerificationFailure)) await this.debind(garq.ghid);
        return;
      }
      if (req.kind === 'HS') await this.onHandshake(req);
      else if (req.kind === 'NK' && req.status === SHARE_AGAIN_STATUS && !this.outgoing.get(req.target.text)) await this.onAskedAgain(req);
      else await this.onAnswer(req);
    } catch (err) {
      this.o.warn(`request ${garq.ghid.short} not handled: ${(err as Error).message}`);
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async onHandshake(req: OpenedRequest & { kind: 'HS' }): Promise<void> {
    const from = req.author;
    if (this.asking.get(req.garq.text)) return; // already waiting for the user
    const blocked = this.o.blocked().some((b) => b.equals(from));
    const again = this.records.receivedFrom(req.target)?.equals(from) ?? false;
    const decision = decideShare(this.o.policy(), this.contacts.trustOf(from), blocked, again);
    if (decision === 'refuse' || (decision === 'ask' && this.noRoomFor(from))) {
      await this.answer(req.garq, from, 'NK');
      return;
    }
    if (decision === 'ask') {
      // Not kept here: what someone we may decline sends must not fill this computer's disk.
      const contents = await peekShare((g) => this.daemon.fetch(g, { keep: false }), req.target, req.secret);
      // Checked again: other shares may have come to wait while this one was read.
      if (this.noRoomFor(from)) return await this.answer(req.garq, from, 'NK');
      const pending: PendingShare = { id: req.garq.text, ghid: req.target, from, receivedAt: Date.now(), ...contents };
      this.asking.set(req.garq.text, {
        t: req.target.text,
        f: from.text,
        s: req.secret.text,
        at: pending.receivedAt,
        a: contents.apiId,
        z: contents.size,
        d: contents.dynamic,
      } satisfies Asking);
      await this.asking.flush();
      this.emit('pending', pending);
      return;
    }
    await this.take(req.garq, req.target, from, req.secret);
  }

  /** Whether a share from `from` finds the waiting list full (consent.ts), said in the log. */
  private noRoomFor(from: Ghid): boolean {
    const why = noRoomToWait(this.pending().map((p) => p.from.text), from.text, this.o.waitingLimits);
    if (why) this.o.warn(`declined a share from ${from.short} without asking: ${why}`);
    return why !== null;
  }

  /**
   * Accepts a share: keep the secret aside, open the object, answer AK, debind the request. A
   * share that cannot be opened is refused (NK) unless `answerFailure` is false: the user's
   * accept of a waiting share, which decides itself (notTaken).
   */
  private async take(garq: Ghid, target: Ghid, from: Ghid, secret: Secret, answerFailure = true): Promise<IncomingShare> {
    const again = this.records.receivedFrom(target)?.equals(from) ?? false;
    this.daemon.quarantine(target, secret, from);
    let share: IncomingShare;
    let size: number;
    try {
      const obj = await this.daemon.open(target);
      share = { ghid: target, from, apiId: obj.apiId, again };
      size = obj.state.length;
    } catch (err) {
      this.daemon.release(target);
      // From whoever shared it before: their computer shared a version the server never took
      // (share-again.ts). Said so, and asked again soon, rather than declined for good.
      const nothing = again && err instanceof UnknownSecret;
      if (answerFailure) await this.answer(garq, from, 'NK', nothing ? OPENED_NOTHING_STATUS : 0);
      if (nothing && answerFailure) this.catchingUp.openedNothing(target);
      throw err instanceof HypergolixError ? err : new UnknownSecret(`Shared object ${target.short} could not be opened`);
    }
    this.contacts.ensure(from, 'ask');
    this.records.receivedOne({ object: target, from, apiId: apiIdText(share.apiId), size });
    this.daemon.follow(target);
    await this.answer(garq, from, 'AK');
    this.emit('incoming', share);
    return share;
  }

  /** Answers a handshake and debinds it, so the server forgets it. */
  private async answer(garq: Ghid, to: Ghid, kind: 'AK' | 'NK', status = 0): Promise<void> {
    try {
      const reply = buildRequest(this.daemon.identity, await this.identity(to), { kind, target: garq, status });
      await this.daemon.publish(reply);
    } finally {
      await this.debind(garq);
      await this.asking.flush();
    }
  }

  private async onAnswer(req: OpenedRequest & { kind: 'AK' | 'NK' }): Promise<void> {
    const out = await this.outgoingFor(req.target);
    await this.debind(req.garq);
    if (!out) return;
    const recipient = Ghid.fromText(out.r);
    if (!req.author.equals(recipient)) {
      this.o.warn(`answer ${req.garq.short} to our request came from ${req.author.short}, not the recipient ${recipient.short}`);
      return;
    }
    this.outgoing.delete(req.target.text);
    const object = Ghid.fromText(out.t);
    if (req.kind === 'NK' && req.status === OPENED_NOTHING_STATUS) {
      // They took it before (only they answer so), and still want it: kept as taken, so that
      // their next ask is answered at once, with the secret of the version shown then.
      this.records.sentOne(object, recipient, 'accepted');
      await this.outgoing.flush();
      this.o.warn(`${recipient.short} could not open ${object.short} with the secret we shared (a version the server did not take); their next ask is answered at once`);
      if (out.g !== true) this.emit('result', { ghid: object, recipient, ok: false, token: out.k, unopened: true });
      return;
    }
    this.records.sentOne(object, recipient, req.kind === 'AK' ? 'accepted' : 'declined');
    await this.outgoing.flush();
    this.emit('result', { ghid: object, recipient, ok: req.kind === 'AK', token: out.k, again: out.g === true });
  }

  /**
   * Our request an answer names. Another computer of the account may have made it a moment ago,
   * its record not here yet (the account state follows within a second or so): asked again a
   * few times before the answer counts as one to nothing and is debound, or it would be lost to
   * the computer that made the request, whose record of the share would wait for good.
   */
  private async outgoingFor(request: Ghid): Promise<Outgoing | undefined> {
    for (const waitMs of [...ANSWER_WAITS_MS, null]) {
      const out = this.outgoing.get(request.text) as Outgoing | undefined;
      if (out || waitMs === null) return out;
      await new Promise((r) => setTimeout(r, waitMs).unref());
    }
  }

  /** When this daemon asked for a share of `ghid` again, if it still cannot read it. */
  askedAgain(ghid: Ghid): number | null {
    return this.catchingUp.askedSince(ghid);
  }

  /** Someone asks us to share an object with them again: done if we shared it with them before. */
  private async onAskedAgain(req: OpenedRequest & { kind: 'AK' | 'NK' }): Promise<void> {
    await this.debind(req.garq);
    const { target, author } = req;
    if (this.records.isDeleted(target)) {
      this.o.warn(`ignored ${author.short}'s request to share ${target.short} again: it was deleted`);
      return;
    }
    const blocked = this.o.blocked().some((b) => b.equals(author)) || this.contacts.trustOf(author) === 'blocked';
    const sent = this.records.sentRecord(target, author);
    if (decideShareAgain(sent?.state ?? null, blocked) === 'ignore') {
      const why = blocked ? 'they are blocked' : 'not shared with them, or not taken';
      this.o.warn(`ignored ${author.short}'s request to share ${target.short} again: ${why}`);
      return;
    }
    // Our last share again was taken since (here, or by another computer of the account, whose
    // record is the same): they fell behind again, and are answered at once.
    const key = `${target.text} ${author.text}`;
    if (sent!.state === 'accepted' && sent!.at > (this.sharedAgain.lastGo(key) ?? Number.POSITIVE_INFINITY)) this.sharedAgain.forget(key);
    if (!this.sharedAgain.take(key)) {
      this.o.warn(`ignored ${author.short}'s request to share ${target.short} again: our last share again is not taken yet, and was sent less than ${Math.round((this.o.shareAgainEveryMs ?? SHARE_AGAIN_EVERY_MS) / 60_000)} min ago`);
      return;
    }
    await this.share(target, author, null, true);
  }

  private async debind(garq: Ghid): Promise<void> {
    try {
      await this.daemon.publish(await makeDebinding(this.daemon.identity, garq));
    } catch (err) {
      this.o.warn(`could not debind request ${garq.short}: ${(err as Error).message}`);
    }
  }
}
