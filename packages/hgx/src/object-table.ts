/**
 * A link's open objects, one instance per GHID, and the ones being opened. What the daemon says
 * of an object while it is being opened — an update or a deletion sent right behind its `>O`
 * answer, often in the same read, before the instance exists — is kept and applied as soon as
 * the instance does, not acknowledged and lost.
 */
import { IpcError } from './errors.js';
import type { GhidText } from './ids.js';
import { APPLY_UPSTREAM, DELETED, type OpenObject } from './port.js';

export class ObjectTable {
  readonly #open = new Map<GhidText, OpenObject>();
  readonly #opening = new Map<GhidText, Promise<OpenObject>>();
  /** The newest upstream state (null: deleted) of objects being opened. */
  readonly #early = new Map<GhidText, Uint8Array | null>();

  get(ghid: GhidText): OpenObject | undefined {
    return this.#open.get(ghid);
  }

  /** The open instances, as a list (callers may open or drop objects while they go through it). */
  list(): OpenObject[] {
    return [...this.#open.values()];
  }

  set(ghid: GhidText, obj: OpenObject): void {
    this.#open.set(ghid, obj);
  }

  /** Forgets an instance, if it is the one held for its GHID. */
  forget(obj: OpenObject): void {
    if (this.#open.get(obj.ghid) === obj) this.#open.delete(obj.ghid);
  }

  /** The open instance, or the one being opened, or a new opening made by `make` (one at a time per GHID). */
  async open(ghid: GhidText, make: () => Promise<OpenObject>): Promise<OpenObject> {
    const open = this.#open.get(ghid);
    if (open) return open;
    const inFlight = this.#opening.get(ghid);
    if (inFlight) return inFlight;
    const opening = (async () => {
      const obj = await make();
      this.#open.set(ghid, obj);
      const early = this.#early.get(ghid);
      if (early === null) obj[DELETED]();
      else if (early !== undefined) obj[APPLY_UPSTREAM](early);
      return obj;
    })();
    this.#opening.set(ghid, opening);
    try {
      return await opening;
    } finally {
      this.#opening.delete(ghid);
      this.#early.delete(ghid);
    }
  }

  /**
   * An update (its state) or a deletion (null) from the daemon. An update the object cannot take
   * — it is static, or its state does not decode as the object's class — is refused, so the
   * daemon hears it was not applied. Of an object neither open nor being opened, nothing is kept.
   */
  upstream(ghid: GhidText, state: Uint8Array | null): void {
    const obj = this.#open.get(ghid);
    if (!obj) {
      if (this.#opening.has(ghid)) this.#early.set(ghid, state);
      return;
    }
    if (state === null) return obj[DELETED]();
    if (!obj.dynamic) throw new IpcError(0xffff, `${ghid.slice(0, 12)}… is a static object: it never changes`);
    if (!obj[APPLY_UPSTREAM](state)) throw new IpcError(0xfffe, `The update of ${ghid.slice(0, 12)}… does not decode as ${obj.constructor.name}`);
  }
}
