import type { DaemonPort } from '../daemon/port.js';
import { DoesNotExist, Ghid, IllegalDynamicFrame, MalformedGolixPrimitive, ValueError } from '../golix/index.js';
import type { AppObject } from '../objects/manager.js';
import type { RequestContext } from '../remote/connection.js';
import type { RemoteLogger } from '../remote/logger.js';
import type { Sharing, ShareResult } from '../sharing/sharing.js';
import type { Inbox } from './inbox.js';
import { objDefOf } from './objdef.js';
import type { ObjectRecords } from './object-records.js';
import { IpcRefusal } from './refusal.js';
import type { Session, SessionTable } from './session.js';
import type { Tracking } from './tracking.js';
import { AppVerb, ONE, decodeObjDef, decodeShareRequest, encodeShareNotice, encodeShareResult, idText } from '../../wire/index.js';

export interface ObjectAccessDeps {
  daemon: DaemonPort;
  sharing: Pick<Sharing, 'share'>;
  sessions: SessionTable;
  records: ObjectRecords;
  tracking: Tracking;
  inbox: Inbox;
  logger: RemoteLogger;
}

/**
 * The object verbs of the IPC protocol (hypergolix-reference §4.3): new, get, update, sync,
 * share, freeze, hold, discard, delete. Private objects are for their owner's token only
 * (defect 2), `legroom` is honoured and reported (defect 17), `is_link = 1` is refused up front,
 * and objects are opened type-agnostically (defect 18).
 */
export class ObjectAccess {
  private readonly daemon: DaemonPort;
  private readonly records: ObjectRecords;
  private readonly tracking: Tracking;

  constructor(private readonly d: ObjectAccessDeps) {
    this.daemon = d.daemon;
    this.records = d.records;
    this.tracking = d.tracking;
  }

  /** An objdef as an answer: with this daemon's privacy and legroom records. */
  private objdef(obj: AppObject): Uint8Array {
    return objDefOf(obj, { private: this.records.ownerOf(obj.ghid) !== null, legroom: this.records.legroomOf(obj.ghid) });
  }

  async newObject(s: Session, body: Buffer, ctx: RequestContext): Promise<Uint8Array> {
    const def = decodeObjDef(body);
    if (def.isLink) throw new IpcRefusal('Linked objects (is_link = 1) are not supported');
    if (!def.apiId) throw new ValueError('A new object needs an api_id (65 bytes starting with 0x00, not all zeros)');
    if (def.private) s.requireToken('A private object');
    this.tracking.checkRoom(s);
    const obj = await this.daemon.create(Buffer.from(def.apiId), Buffer.from(def.state), {
      dynamic: def.dynamic,
      legroom: def.legroom === 0 ? undefined : def.legroom,
    });
    this.records.setLegroom(obj.ghid, def.legroom);
    if (def.private) await this.records.setOwner(obj.ghid, s.token!);
    this.tracking.track(s, obj.ghid.text);
    if (!def.private) ctx.afterResponse(() => this.announce(s, obj));
    return obj.ghid.bytes;
  }

  /** A new public object: `@O` with our own fingerprint to the other apps registered for its api_id. */
  private announce(from: Session, obj: AppObject): void {
    const api = idText(obj.apiId);
    const body = encodeShareNotice(obj.ghid.bytes, this.daemon.fingerprint.bytes, obj.apiId);
    for (const s of this.d.sessions.admitted()) {
      if (s !== from && s.apis.has(api)) void s.push(AppVerb.share, body);
    }
  }

  async getObject(s: Session, body: Buffer): Promise<Uint8Array> {
    const ghid = Ghid.fromBytes(body);
    this.records.checkAccess(s, ghid);
    if (!s.tracked.has(ghid.text)) this.tracking.checkRoom(s);
    const wasLive = this.daemon.isLive(ghid);
    const obj = await this.daemon.open(ghid);
    this.tracking.track(s, ghid.text);
    // Opened from the local cache (e.g. after a restart): the remotes may have newer frames, which
    // reach the app as `!O` once fetched. The answer does not wait for them.
    if (!wasLive && obj.dynamic) void this.catchUp(ghid);
    return this.objdef(obj);
  }

  /** Fetches the newest frame from the remotes and applies it; a newer one reaches every tracker. */
  private async catchUp(ghid: Ghid): Promise<boolean> {
    const newest = await this.daemon.fetch(ghid, { fresh: true }).catch(() => null);
    if (!newest) return false;
    if (newest.type === 'GOBD') {
      try {
        await this.daemon.receive(newest, ghid);
      } catch (err) {
        if (!(err instanceof IllegalDynamicFrame)) this.d.logger.debug(`catching up ${ghid.short} failed: ${(err as Error).message}`);
      }
    }
    return true;
  }

  async updateObject(s: Session, body: Buffer, ctx: RequestContext): Promise<Uint8Array> {
    const def = decodeObjDef(body);
    if (def.isLink) throw new IpcRefusal('Linked objects (is_link = 1) are not supported');
    if (!def.address) throw new MalformedGolixPrimitive('An update names its object in the objdef address');
    const ghid = Ghid.fromBytes(def.address);
    const owner = this.records.checkAccess(s, ghid);
    const mark = this.tracking.changeArrived(s, ghid.text);
    if (owner === null && def.private) {
      throw new IpcRefusal('CatOuttaBagError: an object that was public cannot be made private; other apps may already have it');
    }
    const legroom = def.legroom || this.records.legroomOf(ghid) || undefined;
    const obj = await this.daemon.update(ghid, Buffer.from(def.state), { legroom });
    this.records.setLegroom(ghid, def.legroom);
    if (owner !== null && !def.private) this.records.clearOwner(ghid);
    if (!s.tracked.has(ghid.text) && this.tracking.hasRoom(s)) this.tracking.track(s, ghid.text);
    ctx.afterResponse(() => this.tracking.changeApplied(s, obj, mark));
    return ONE;
  }

  async syncObject(s: Session, body: Buffer): Promise<Uint8Array> {
    const ghid = Ghid.fromBytes(body);
    this.records.checkAccess(s, ghid);
    if (!this.daemon.isLive(ghid)) await this.daemon.open(ghid);
    // A newer frame emits 'update', which reaches every app tracking the object (this one too).
    if (!(await this.catchUp(ghid))) throw new DoesNotExist(`Object ${ghid.short} is not stored here or on any remote`);
    return ONE;
  }

  async shareObject(s: Session, body: Buffer): Promise<Uint8Array> {
    const req = decodeShareRequest(body);
    const ghid = Ghid.fromBytes(req.ghid);
    if (this.records.checkAccess(s, ghid) !== null) throw new IpcRefusal('Unsharable: a private object cannot be shared');
    // The outcome goes to the token that asked (even after a restart), or to this connection.
    await this.d.sharing.share(ghid, Ghid.fromBytes(req.recipient), s.token ?? s.connKey);
    return ONE;
  }

  /** The outcome of a share an app asked for: `^S` or `^F` to that app, if it is connected. */
  shareResult(r: ShareResult): void {
    if (!r.token) return;
    const s = this.d.sessions.find(r.token);
    if (!s) {
      this.d.logger.info(`share of ${r.ghid.short} with ${r.recipient.short} ${r.ok ? 'succeeded' : 'failed'}; the app that asked is not connected`);
      return;
    }
    void s.push(r.ok ? AppVerb.shareSucceeded : AppVerb.shareFailed, encodeShareResult(r.ghid.bytes, r.recipient.bytes));
  }

  async freezeObject(s: Session, body: Buffer): Promise<Uint8Array> {
    const ghid = Ghid.fromBytes(body);
    const owner = this.records.checkAccess(s, ghid);
    const frozen = await this.daemon.freeze(ghid);
    if (owner !== null) this.records.copyOwner(frozen.ghid, owner);
    return frozen.ghid.bytes;
  }

  async holdObject(s: Session, body: Buffer): Promise<Uint8Array> {
    const ghid = Ghid.fromBytes(body);
    this.records.checkAccess(s, ghid);
    await this.daemon.hold(ghid);
    return ONE;
  }

  discardObject(s: Session, body: Buffer): Uint8Array {
    this.tracking.untrack(s, Ghid.fromBytes(body).text);
    return ONE;
  }

  async deleteObject(s: Session, body: Buffer): Promise<Uint8Array> {
    const ghid = Ghid.fromBytes(body);
    this.records.checkAccess(s, ghid);
    await this.daemon.delete(ghid);
    this.forgetObject(ghid, s);
    return ONE;
  }

  /** A deleted object: `XO` to its trackers (but the deleting app), and its records go. */
  forgetObject(ghid: Ghid, except: Session | null): void {
    this.tracking.distributeDelete(ghid, except);
    this.records.forget(ghid);
    this.d.inbox.forget(ghid);
  }
}
