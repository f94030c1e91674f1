/**
 * Objects whose stored bytes are damaged (a file store's disk rotting, a file changed by hand):
 * found as they are served or by the store's check (store-check.ts), answered as not here
 * instead of sent — a client would refuse the bytes anyway, unable to tell a damaged object from
 * none, while "not here" makes it ask its other remotes and a daemon that holds it send it again
 * — and said once each in the log for the operator. The next publish of the same object (a
 * daemon sends its identity at each connect, and what a remote lacks at its catch-up and its
 * daily check) puts the stored copy right, where the store can (PersistenceEngine.repair).
 *
 * Servers sharing a store (nodes on one database) share what is found: each finding is marked in
 * the store (`PersistenceEngine.damage`), which then answers the object as not here to every node,
 * and a publish of it on any node puts it right. What is kept here is then this node's log of
 * what it said.
 */
import { DoesNotExist, Ghid, HypergolixError, addressOf, parseObjectAsync, type GolixObject } from '../golix/index.js';
import { DamagedCopy, type PersistenceEngine } from '../rules/persistence-engine.js';
import type { RemoteLogger } from './logger.js';

export class DamagedObjects {
  /** GHIDs asked for (or checked) whose stored bytes were damaged, until a publish puts them right, with why. */
  private readonly known = new Map<string, string>();
  /**
   * Objects (their own GHIDs: a frame's, not its dynamic GHID's) whose bytes are the object but
   * whose signature does not verify: the GHID does not cover the signature, so only the check of
   * the store finds them.
   */
  private readonly badSignatures = new Map<string, string>();
  /**
   * The own GHIDs of damaged current frames known by their dynamic GHID: a daemon's check asks
   * `CK` of its frame's GHID (cheaper than reading the frame), which must say no for those too.
   */
  private readonly damagedFrames = new Set<string>();

  constructor(
    private readonly store: () => PersistenceEngine,
    private readonly logger: RemoteLogger,
  ) {}

  /** Objects known damaged now (in a shared store: as last counted there). */
  get count(): number {
    return this.store().damage?.count() ?? this.known.size + this.badSignatures.size;
  }

  /** The objects known damaged now (GHID text: a dynamic GHID, or a frame's own), and what is wrong with each. */
  list(): { ghid: string; why: string }[] {
    return [...this.known, ...this.badSignatures].map(([ghid, why]) => ({ ghid, why }));
  }

  /** The objects known damaged now, at most `limit` named, and how many in all: a shared store's marks, whichever server found them. */
  async summary(limit: number): Promise<{ count: number; listed: { ghid: string; why: string }[] }> {
    const shared = this.store().damage;
    if (shared) return shared.marked(limit);
    const all = this.list();
    return { count: all.length, listed: all.slice(0, limit) };
  }

  /** The stored bytes of `ghid` (a dynamic GHID's current frame), checked to be that object. */
  async served(ghid: Ghid): Promise<Buffer> {
    const { raw, obj } = await this.read(ghid);
    // A shared store answers what is marked as not here itself; what this node found may have been put right by another since.
    if (!this.store().damage && this.badSignatures.has(obj.ghid.text)) throw new DamagedCopy(ghid);
    return raw;
  }

  /** Whether `ghid` is stored here and not known damaged (the `CK` verb: a damaged object is as good as none). */
  async exists(ghid: Ghid): Promise<boolean> {
    if (!(await this.store().exists(ghid))) return false;
    if (this.store().damage) return true;
    if (!this.known.has(ghid.text) && !this.badSignatures.has(ghid.text) && !this.damagedFrames.has(ghid.text)) return true;
    // Known damaged: read again (a newer frame may have replaced the damaged one meanwhile).
    return this.served(ghid).then(
      () => true,
      (err: unknown) => {
        if (err instanceof DoesNotExist) return false;
        throw err;
      },
    );
  }

  /**
   * One stored object read and checked as the check of the store does: its bytes, as served, and
   * its signature under its signer's identity here. Whether it is sound (an object gone meanwhile is).
   */
  async check(ghid: Ghid): Promise<boolean> {
    let obj: GolixObject;
    try {
      ({ obj } = await this.read(ghid));
    } catch (err) {
      // Marked damaged in a shared store (by this check before, or another node): read past the mark.
      if (err instanceof DamagedCopy) return this.soundAgain(ghid);
      if (err instanceof DoesNotExist) return !this.known.has(ghid.text);
      throw err;
    }
    if ((await this.store().signatureHolds?.(obj)) !== false) {
      if (await this.store().rebuildDerived?.(obj)) this.logger.warn(`${ghid.short}: what this server's store derives from it (its index) did not match it, and was rebuilt from it`);
      return true;
    }
    const why = 'its signature does not verify';
    if (!this.badSignatures.has(obj.ghid.text)) this.logger.error(`${ghid.short} is damaged in this server's store (${why}): answered as not here until it is published again`);
    this.badSignatures.set(obj.ghid.text, why);
    await this.mark(obj.ghid, why);
    return false;
  }

  /** Forgets damaged objects no longer stored (deleted, or a frame replaced by a newer one): the check of the store, at its end. */
  async forgetGone(): Promise<void> {
    for (const set of [this.known, this.badSignatures, this.damagedFrames]) {
      for (const text of set.keys()) if (!(await this.store().exists(Ghid.fromText(text)))) set.delete(text);
    }
  }

  /**
   * A copy marked damaged in a shared store, read past its mark: sound now (a row put right
   * outside Hypergolix, a restore), its mark is cleared and it is served again. Whether it is.
   */
  private async soundAgain(ghid: Ghid): Promise<boolean> {
    const shared = this.store().damage;
    if (!shared) return false;
    const raw = await shared.copy(ghid);
    if (raw === null) return true;
    const seen = await this.examine(ghid, raw);
    if ('why' in seen || (await this.store().signatureHolds?.(seen.obj)) === false) return false;
    await shared.clear(ghid);
    for (const g of [ghid.text, seen.obj.ghid.text]) for (const set of [this.known, this.badSignatures, this.damagedFrames]) set.delete(g);
    this.logger.info(`${ghid.short}: its copy in this server's store is sound again (put right outside Hypergolix): served again`);
    return true;
  }

  /** Whether `raw` is the object `ghid` names (a dynamic GHID: its frame), or why not. */
  private async examine(ghid: Ghid, raw: Buffer): Promise<{ obj: GolixObject } | { why: string }> {
    try {
      // Accepted once under the limits of then: any size is read back; a large one hashed off the event loop.
      const obj = await parseObjectAsync(raw, { maxBytes: Number.MAX_SAFE_INTEGER });
      return obj.ghid.equals(ghid) || addressOf(obj).equals(ghid) ? { obj } : { why: `its bytes are object ${obj.ghid.short}` };
    } catch (err) {
      if (!(err instanceof HypergolixError)) throw err;
      return { why: err.message };
    }
  }

  private async read(ghid: Ghid): Promise<{ raw: Buffer; obj: GolixObject }> {
    const raw = await this.store().get(ghid);
    const seen = await this.examine(ghid, raw);
    if ('obj' in seen) {
      this.known.delete(ghid.text);
      this.damagedFrames.delete(seen.obj.ghid.text);
      return { raw, obj: seen.obj };
    }
    const why = seen.why;
    // Known once, by the GHID it was first met under (a frame met by its own GHID after its dynamic's is not counted twice).
    if (!this.known.has(ghid.text) && !this.damagedFrames.has(ghid.text)) {
      this.logger.error(`${ghid.short} is damaged in this server's store (${why}): answered as not here until it is published again`);
      this.known.set(ghid.text, why);
      const frame = this.store().currentFrame?.(ghid)?.ghid;
      if (frame !== undefined && frame !== ghid.text) this.damagedFrames.add(frame);
    }
    // Each time in a shared store: this node may remember it from before another put it right, and it is damaged again.
    await this.mark(ghid, why);
    throw new DamagedCopy(ghid);
  }

  /** In a shared store, marks what was found, for every server on it; a failure to is only said (found again, it is marked then). */
  private async mark(ghid: Ghid, why: string): Promise<void> {
    await this.store()
      .damage?.mark(ghid, why)
      .catch((err: unknown) => this.logger.warn(`${ghid.short}: could not mark it damaged in the shared store: ${(err as Error).message}`));
  }

  /**
   * After a publish of an object stored already: a damaged copy of it is written again from it.
   * An identity is compared as it comes (each client sends its own at every connect, and a
   * damaged one would refuse everything it signs as unknown); other objects once found damaged.
   */
  async published(obj: GolixObject): Promise<void> {
    const store = this.store();
    const names = [obj.ghid.text, addressOf(obj).text];
    const damaged = names.some((g) => this.known.has(g) || this.badSignatures.has(g) || this.damagedFrames.has(g));
    // A shared store knows what any server found: it is asked (its repair writes only what is marked, or an identity that differs).
    if (!store.repair || (!damaged && !store.damage && !(obj.type === 'GIDC' && (await this.differs(obj))))) return;
    try {
      if (!(await store.repair(obj.raw))) return;
      for (const g of names) for (const set of [this.known, this.badSignatures, this.damagedFrames]) set.delete(g);
      this.logger.info(`${obj.ghid.short}: its damaged copy in this server's store was put right from a publish of it`);
    } catch (err) {
      this.logger.warn(`${obj.ghid.short}: its damaged copy could not be put right: ${(err as Error).message}`);
    }
  }

  /** Whether the stored copy of an identity differs from `gidc` (every byte of one is hashed into its GHID). */
  private async differs(gidc: GolixObject): Promise<boolean> {
    const stored = await this.store().get(gidc.ghid).catch(() => null);
    return stored !== null && !stored.equals(gidc.raw);
  }
}
