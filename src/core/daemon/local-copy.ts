/**
 * The copy of an object in the daemon's local cache, read and checked. A file damaged since it
 * was stored (a disk's bit rot, a partial copy, another program's write) no longer parses, or
 * hashes to another object than the one stored under its name; it is told apart from an object
 * that is not here, so that a read goes to the remotes for a good copy and puts this one right
 * (NetworkIO.fetch) instead of failing for good on what the remotes still hold.
 */
import { DoesNotExist, HypergolixError, InvalidIdentity, MalformedGolixPrimitive, parseObject, type Ghid, type GolixObject } from '../golix/index.js';
import type { RemoteLogger } from '../remote/logger.js';
import type { RulesEngine } from '../rules/rules-engine.js';

export interface DamagedCopy {
  kind: 'damaged';
  /** The file GHID stored here (a frame's, for a dynamic GHID). */
  key: string;
  why: string;
}
export type LocalCopy = { kind: 'absent' } | { kind: 'ok'; obj: GolixObject } | DamagedCopy;

/** How long a read of a damaged copy waits for a remote when none is connected (a daemon starting). */
export const DAMAGED_WAIT_MS = 5_000;

export async function readLocalCopy(engine: RulesEngine, ghid: Ghid): Promise<LocalCopy> {
  if (!engine.exists(ghid)) return { kind: 'absent' };
  const key = engine.currentFrame(ghid)?.ghid ?? ghid.text;
  try {
    const obj = parseObject(await engine.get(ghid));
    return obj.ghid.text === key ? { kind: 'ok', obj } : { kind: 'damaged', key, why: `its file holds object ${obj.ghid.short} instead` };
  } catch (err) {
    // Removed between the check and the read (a debinding applied meanwhile): simply not here.
    if (err instanceof DoesNotExist) return { kind: 'absent' };
    // An unreadable file (EIO) is as good as a damaged one: the remotes may have the object.
    return { kind: 'damaged', key, why: err instanceof HypergolixError ? err.message : `its file cannot be read: ${(err as Error).message}` };
  }
}

/**
 * readLocalCopy, and a signed object's signature verified too: its GHID does not cover the
 * signature bytes, so a copy damaged there reads as sound (harmless here, where signatures are
 * not checked again, but refused by a remote if sent on). The check of the local copy's read.
 * A signer whose identity is not here (or is damaged here) leaves the copy as read.
 */
export async function checkLocalCopy(engine: RulesEngine, ghid: Ghid): Promise<LocalCopy> {
  const copy = await readLocalCopy(engine, ghid);
  if (copy.kind !== 'ok') return copy;
  const holds = await engine.signatureHolds(copy.obj);
  return holds !== false ? copy : { kind: 'damaged', key: copy.obj.ghid.text, why: 'its signature does not verify' };
}

export interface PutRightHost {
  engine: RulesEngine;
  logger: RemoteLogger;
  /** Takes in a fetched object as any other (Inbound.storeFetched): a newer frame replaces the damaged one. */
  take(obj: GolixObject): Promise<GolixObject>;
}

/**
 * What a read of a damaged copy answers: `best`, the remotes' newest copy, which also puts this
 * one right (`keep`) — the same object's bytes written again, or a newer frame taken in. With
 * no copy from a remote, a MalformedGolixPrimitive that says so; the damaged file is left as it is.
 */
export async function putRight(host: PutRightHost, ghid: Ghid, copy: DamagedCopy, best: GolixObject | null, keep: boolean, source = "a remote's copy"): Promise<GolixObject> {
  const what = `ghidcache: the copy of ${ghid.short} on this computer is damaged (${copy.why})`;
  if (!best) {
    host.logger.warn(`${what}, and no connected remote has it`);
    throw new MalformedGolixPrimitive(`The copy of ${ghid.short} on this computer is damaged (${copy.why}), and no remote could give a good one`);
  }
  if (!keep) return best;
  if (best.ghid.text !== copy.key) {
    host.logger.warn(`${what}; a remote's newer version takes its place`);
    return host.take(best);
  }
  try {
    if (await host.engine.repair(best.raw)) host.logger.warn(`${what}; put right from ${source}`);
  } catch (err) {
    // A full disk, say: the good copy is still the answer, and the next read tries again.
    host.logger.warn(`${what}; the good copy (${source}) could not be written here: ${(err as Error).message}`);
  }
  return best;
}

/**
 * putRight, once at a time per damaged file: reads running side by side (the account's objects
 * as a daemon starts) each find the same damage, and write the good copy once, said once.
 */
export class CopyMender {
  private readonly inFlight = new Map<string, Promise<GolixObject>>();

  constructor(private readonly host: PutRightHost) {}

  answer(ghid: Ghid, copy: DamagedCopy, best: GolixObject | null, keep: boolean, source?: string): Promise<GolixObject> {
    if (!best || !keep) return putRight(this.host, ghid, copy, best, keep, source);
    const going = this.inFlight.get(copy.key);
    if (going) return going.then(() => best);
    const mending = putRight(this.host, ghid, copy, best, keep, source).finally(() => this.inFlight.delete(copy.key));
    this.inFlight.set(copy.key, mending);
    return mending;
  }

  /** Puts the copy here of `obj` right from `obj` itself (held in memory, as our own identity is) if it is damaged; whether it was. */
  async mendFrom(obj: GolixObject, source: string): Promise<boolean> {
    const copy = await readLocalCopy(this.host.engine, obj.ghid);
    if (copy.kind !== 'damaged') return false;
    await this.answer(obj.ghid, copy, obj, true, source);
    return true;
  }

  /**
   * Runs `ingest` of our own objects; refused because the copy here of our identity is damaged
   * (RulesEngine.identity), puts it right from the one the daemon holds and runs it once more.
   */
  async withOwnIdentity<T>(ingest: () => Promise<T>, identity: GolixObject | null): Promise<T> {
    try {
      return await ingest();
    } catch (err) {
      if (!(err instanceof InvalidIdentity && identity && (await this.mendFrom(identity, 'the identity this daemon holds')))) throw err;
      return ingest();
    }
  }
}
