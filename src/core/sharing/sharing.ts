import { EventEmitter } from 'node:events';
import {
  Ghid,
  HypergolixError,
  InvalidIdentity,
  PublicIdentity,
  UnknownSecret,
  ValueError,
  buildRequest,
  makeDebinding,
  openRequest,
  type Garq,
  type GolixObject,
  type OpenedRequest,
  Secret,
} from '../golix/index.js';
import type { StateNamespace } from '../account/state-namespace.js';
import type { DaemonPort } from '../daemon/port.js';
import type { SharingPolicy } from '../../common/config-fields.js';

/** accept/decline named a share that is not (or no longer) waiting. */
export class NoSuchShare extends ValueError {}

export type { SharingPolicy };

/** A share another user sent us, accepted and readable. */
export interface IncomingShare {
  ghid: Ghid;
  from: Ghid;
  apiId: Buffer;
}

/** A share from a stranger, waiting for the user (policy `ask`). */
export interface PendingShare {
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
}

type Outgoing = { t: string; r: string; k: string | null };
type Asking = { t: string; f: string; s: string; at: number };

/**
 * Sharing between users (hypergolix-reference §10): a handshake GARQ carries the object's
 * secret to the recipient; the recipient answers AK or NK and debinds the request. Unlike the
 * reference, incoming shares pass a consent policy (defect 3): `all` accepts everyone not
 * blocked; `known` accepts contacts and refuses strangers; `ask` (the default) accepts contacts
 * and holds strangers' shares until the user accepts or declines them.
 */
export class Sharing extends EventEmitter<SharingEvents> {
  private readonly inFlight = new Set<string>();
  /** Account state (account/state-keys.ts): our handshakes awaiting an answer, by request GHID. */
  private readonly outgoing: StateNamespace;
  /** Strangers' shares awaiting the user, by request GHID. */
  private readonly asking: StateNamespace;
  /** People we shared with or accepted from, by fingerprint. */
  private readonly contacts: StateNamespace;

  constructor(
    private readonly daemon: DaemonPort,
    private readonly o: SharingOptions,
  ) {
    super();
    this.outgoing = daemon.state('out:');
    this.asking = daemon.state('ask:');
    this.contacts = daemon.state('contact:');
    daemon.on('request', (garq) => void this.onRequest(garq));
  }

  private async identity(ghid: Ghid): Promise<PublicIdentity> {
    const obj = await this.daemon.fetch(ghid);
    if (!obj || obj.type !== 'GIDC') throw new InvalidIdentity(`No identity ${ghid.short} is known to this daemon or its remotes`);
    return PublicIdentity.fromGidc(obj);
  }

  isContact(ghid: Ghid): boolean {
    return this.contacts.get(ghid.text) === true;
  }

  private addContact(ghid: Ghid): void {
    if (!this.isContact(ghid)) this.contacts.set(ghid.text, true);
  }

  /** Shares an object we can read with `recipient`. The answer arrives later as a 'result'. */
  async share(ghid: Ghid, recipient: Ghid, token: string | null = null): Promise<Ghid> {
    if (recipient.equals(this.daemon.fingerprint)) throw new ValueError('Sharing with yourself needs no handshake');
    const secret = await this.daemon.secretOf(ghid);
    if (!secret) throw new UnknownSecret(`No secret is known for ${ghid.short}`);
    const to = await this.identity(recipient);
    const garq = buildRequest(this.daemon.identity, to, { kind: 'HS', target: ghid, secret });
    this.outgoing.set(garq.ghid.text, { t: ghid.text, r: recipient.text, k: token } satisfies Outgoing);
    this.addContact(recipient);
    await this.daemon.publish(garq);
    await this.outgoing.flush();
    return garq.ghid;
  }

  /** Shares from strangers that wait for the user. */
  pending(): PendingShare[] {
    const out: PendingShare[] = [];
    for (const [id, v] of this.asking.entries()) {
      const p = v as Asking;
      out.push({ id, ghid: Ghid.fromText(p.t), from: Ghid.fromText(p.f), receivedAt: p.at });
    }
    return out.sort((a, b) => a.receivedAt - b.receivedAt);
  }

  async accept(id: string): Promise<IncomingShare> {
    const p = this.asking.get(id) as Asking | undefined;
    if (!p) throw new NoSuchShare(`No pending share ${id.slice(0, 12)}…`);
    const share = await this.take(Ghid.fromText(id), Ghid.fromText(p.t), Ghid.fromText(p.f), Secret.fromText(p.s));
    this.asking.delete(id);
    return share;
  }

  async decline(id: string): Promise<void> {
    const p = this.asking.get(id) as Asking | undefined;
    if (!p) throw new NoSuchShare(`No pending share ${id.slice(0, 12)}…`);
    this.asking.delete(id);
    await this.answer(Ghid.fromText(id), Ghid.fromText(p.f), 'NK');
  }

  private async onRequest(garq: GolixObject): Promise<void> {
    if (garq.type !== 'GARQ' || this.inFlight.has(garq.ghid.text)) return;
    this.inFlight.add(garq.ghid.text);
    try {
      let req: OpenedRequest;
      try {
        req = await openRequest(garq as Garq, this.daemon.identity, (g) => this.identity(g));
      } catch (err) {
        // Unreadable or forged: nobody to answer; just let the server collect it.
        this.o.warn(`ignored an invalid request ${garq.ghid.short}: ${(err as Error).message}`);
        await this.debind(garq.ghid);
        return;
      }
      if (req.kind === 'HS') await this.onHandshake(req);
      else await this.onAnswer(req);
    } catch (err) {
      this.o.warn(`request ${garq.ghid.short} not handled: ${(err as Error).message}`);
    } finally {
      this.inFlight.delete(garq.ghid.text);
    }
  }

  private async onHandshake(req: OpenedRequest & { kind: 'HS' }): Promise<void> {
    const from = req.author;
    if (this.asking.get(req.garq.text)) return; // already waiting for the user
    const blocked = this.o.blocked().some((b) => b.equals(from));
    const policy = this.o.policy();
    if (blocked || (policy === 'known' && !this.isContact(from))) {
      await this.answer(req.garq, from, 'NK');
      return;
    }
    if (policy === 'ask' && !this.isContact(from)) {
      const pending: PendingShare = { id: req.garq.text, ghid: req.target, from, receivedAt: Date.now() };
      this.asking.set(req.garq.text, { t: req.target.text, f: from.text, s: req.secret.text, at: pending.receivedAt } satisfies Asking);
      await this.asking.flush();
      this.emit('pending', pending);
      return;
    }
    await this.take(req.garq, req.target, from, req.secret);
  }

  /** Accepts a share: keep the secret aside, open the object, answer AK, debind the request. */
  private async take(garq: Ghid, target: Ghid, from: Ghid, secret: Secret): Promise<IncomingShare> {
    this.daemon.quarantine(target, secret, from);
    let share: IncomingShare;
    try {
      const obj = await this.daemon.open(target);
      share = { ghid: target, from, apiId: obj.apiId };
    } catch (err) {
      this.daemon.release(target);
      await this.answer(garq, from, 'NK');
      throw err instanceof HypergolixError ? err : new UnknownSecret(`Shared object ${target.short} could not be opened`);
    }
    this.addContact(from);
    await this.answer(garq, from, 'AK');
    this.emit('incoming', share);
    return share;
  }

  /** Answers a handshake and debinds it, so the server forgets it. */
  private async answer(garq: Ghid, to: Ghid, kind: 'AK' | 'NK'): Promise<void> {
    try {
      const reply = buildRequest(this.daemon.identity, await this.identity(to), { kind, target: garq, status: 0 });
      await this.daemon.publish(reply);
    } finally {
      await this.debind(garq);
      await this.asking.flush();
    }
  }

  private async onAnswer(req: OpenedRequest & { kind: 'AK' | 'NK' }): Promise<void> {
    const out = this.outgoing.get(req.target.text) as Outgoing | undefined;
    await this.debind(req.garq);
    if (!out) return;
    const recipient = Ghid.fromText(out.r);
    if (!req.author.equals(recipient)) {
      this.o.warn(`answer ${req.garq.short} to our request came from ${req.author.short}, not the recipient ${recipient.short}`);
      return;
    }
    this.outgoing.delete(req.target.text);
    await this.outgoing.flush();
    this.emit('result', { ghid: Ghid.fromText(out.t), recipient, ok: req.kind === 'AK', token: out.k });
  }

  private async debind(garq: Ghid): Promise<void> {
    try {
      await this.daemon.publish(await makeDebinding(this.daemon.identity, garq));
    } catch (err) {
      this.o.warn(`could not debind request ${garq.short}: ${(err as Error).message}`);
    }
  }
}
