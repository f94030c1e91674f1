/**
 * Copies of one GARQ that differ only in their MAC. The MAC is outside the hashed bytes, so a
 * forged copy has the genuine one's GHID: a server that kept only the first copy it saw would
 * let anyone who sees a share suppress it on another server by publishing a copy with flipped
 * MAC bytes first. So a server keeps each distinct variant (by full bytes) of a stored GARQ's
 * GHID, up to MAX_VARIANTS in all, and pushes every one to the recipient (as it arrives, and on
 * `+S`); the recipient keeps the one whose MAC verifies. `GT` still answers the first-stored
 * copy, as the reference does: one object per GHID on the wire. The extra variants are kept in
 * memory, bounded in bytes, and go when the GARQ is removed (debound) or the server restarts.
 * See docs/formats.md ("GARQ variants").
 */
import { Ghid, type GolixObject } from '../golix/index.js';

/** Copies of one GARQ GHID a server keeps, the first-stored included. */
export const MAX_VARIANTS = 4;
/** Bytes of extra variants over all GHIDs; past it new variants are not kept. */
export const MAX_VARIANT_BYTES = 16 * 1024 * 1024;

/** What the variants need of the engine: whether the GARQ is still stored, and its first copy. */
export interface VariantSource {
  exists(ghid: Ghid): boolean | Promise<boolean>;
  get(ghid: Ghid): Promise<Buffer>;
}

export class GarqVariants {
  /** GHID text → extra copies (not the first-stored one), oldest first. */
  private readonly byGhid = new Map<string, { recipient: string; raws: Buffer[] }>();
  private bytes = 0;

  constructor(private readonly engine: VariantSource) {}

  /** Extra variants held now, over all GHIDs. */
  get size(): number {
    let n = 0;
    for (const v of this.byGhid.values()) n += v.raws.length;
    return n;
  }

  /**
   * A GARQ the engine said was already stored: kept if its bytes are a new variant of the stored
   * one and there is room. True when kept (the caller pushes it to the recipient).
   */
  async offer(obj: GolixObject): Promise<boolean> {
    if (obj.type !== 'GARQ' || !(await this.engine.exists(obj.ghid))) return false;
    const first = await this.engine.get(obj.ghid).catch(() => null);
    if (!first || first.equals(obj.raw)) return false;
    const key = obj.ghid.text;
    const held = this.byGhid.get(key) ?? { recipient: obj.recipient.text, raws: [] };
    if (held.raws.some((r) => r.equals(obj.raw)) || held.raws.length + 1 >= MAX_VARIANTS) return false;
    if (this.bytes + obj.raw.length > MAX_VARIANT_BYTES) {
      await this.prune();
      if (this.bytes + obj.raw.length > MAX_VARIANT_BYTES) return false;
    }
    held.raws.push(Buffer.from(obj.raw));
    this.byGhid.set(key, held);
    this.bytes += obj.raw.length;
    return true;
  }

  /** The extra variants of the GARQs still stored for a recipient (to replay after the stored ones on `+S`). */
  async for(recipient: Ghid): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (const [ghid, held] of [...this.byGhid]) {
      if (held.recipient !== recipient.text) continue;
      if (!(await this.engine.exists(Ghid.fromText(ghid)))) this.drop(ghid);
      else out.push(...held.raws);
    }
    return out;
  }

  /** Forgets the variants of GARQs no longer stored. */
  async prune(): Promise<void> {
    for (const ghid of [...this.byGhid.keys()]) if (!(await this.engine.exists(Ghid.fromText(ghid)))) this.drop(ghid);
  }

  private drop(ghid: string): void {
    const held = this.byGhid.get(ghid);
    if (!held) return;
    for (const r of held.raws) this.bytes -= r.length;
    this.byGhid.delete(ghid);
  }
}
