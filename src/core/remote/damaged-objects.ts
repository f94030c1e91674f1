/**
 * Objects whose stored bytes are damaged (a file store's disk rotting, a file changed by hand):
 * found as they are served, answered as not here instead of sent — a client would refuse the
 * bytes anyway, unable to tell a damaged object from none, while "not here" makes it ask its other
 * remotes — and said once each in the log for the operator. The next publish of the same object
 * (a daemon sends its identity at each connect; an outbox resends what it is not sure of) puts
 * the stored copy right, where the store can (PersistenceEngine.repair).
 */
import { DoesNotExist, HypergolixError, addressOf, parseObjectAsync, type Ghid, type GolixObject } from '../golix/index.js';
import type { PersistenceEngine } from '../rules/persistence-engine.js';
import type { RemoteLogger } from './logger.js';

export class DamagedObjects {
  /** GHIDs asked for whose stored bytes were damaged, until a publish puts them right. */
  private readonly known = new Set<string>();

  constructor(
    private readonly store: () => PersistenceEngine,
    private readonly logger: RemoteLogger,
  ) {}

  /** The stored bytes of `ghid` (a dynamic GHID's current frame), checked to be that object. */
  async served(ghid: Ghid): Promise<Buffer> {
    const raw = await this.store().get(ghid);
    let why: string;
    try {
      // Accepted once under the limits of then: any size is read back; a large one hashed off the event loop.
      const obj = await parseObjectAsync(raw, { maxBytes: Number.MAX_SAFE_INTEGER });
      if (obj.ghid.equals(ghid) || addressOf(obj).equals(ghid)) return raw;
      why = `its bytes are object ${obj.ghid.short}`;
    } catch (err) {
      if (!(err instanceof HypergolixError)) throw err;
      why = err.message;
    }
    if (!this.known.has(ghid.text)) this.logger.error(`${ghid.short} is damaged in this server's store (${why}): answered as not here until it is published again`);
    this.known.add(ghid.text);
    throw new DoesNotExist(`${ghid.short} is damaged in this server's store`);
  }

  /**
   * After a publish of an object stored already: a damaged copy of it is written again from it.
   * An identity is compared as it comes (each client sends its own at every connect, and a
   * damaged one would refuse everything it signs as unknown); other objects once found damaged.
   */
  async published(obj: GolixObject): Promise<void> {
    const store = this.store();
    const names = [obj.ghid.text, addressOf(obj).text].filter((g) => this.known.has(g));
    if (!store.repair || (names.length === 0 && !(obj.type === 'GIDC' && (await this.differs(obj))))) return;
    try {
      if (!(await store.repair(obj.raw))) return;
      for (const g of names) this.known.delete(g);
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
