/**
 * Copies of one GARQ that differ only in their MAC. The MAC is outside the hashed bytes, so a
 * forged copy has the genuine one's GHID: a server that kept only the first copy it saw would
 * let anyone who sees a share suppress it on another server by publishing a copy with flipped
 * MAC bytes first. So a server keeps each distinct variant (by full bytes) of a stored GARQ's
 * GHID, up to MAX_VARIANTS in all, and pushes every one to the recipient (as it arrives, and on
 * `+S`); the recipient keeps the one whose MAC verifies. `GT` still answers the first-stored
 * copy, as the reference does: one object per GHID on the wire. The extra variants are kept in
 * memory, bounded in bytes, and go when the GARQ is removed (debound); with a log
 * (garq-variant-log.ts) each is durable before it is acknowledged and is restored at start.
 * See docs/formats.md ("GARQ variants").
 */
import { Ghid, parseObject, type GolixObject } from '../golix/index.js';
import type { OpenedVariantLog, VariantLog } from './garq-variant-log.js';
import type { RemoteLogger } from './logger.js';

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

  constructor(
    private readonly engine: VariantSource,
    private readonly log: VariantLog | null = null,
  ) {}

  /**
   * The variants a log kept, restored for `engine`, logging what the log said. When the log
   * cannot be rewritten (a full disk), they are kept in memory only until the next start:
   * appending after what it holds could follow a torn record.
   */
  static async restored(engine: VariantSource, opened: OpenedVariantLog, logger: RemoteLogger): Promise<GarqVariants> {
    for (const w of opened.warnings) logger.warn(w);
    let variants = new GarqVariants(engine, opened.log);
    try {
      await variants.restore(opened.raws);
    } catch (err) {
      logger.warn(`GARQ variants are kept in memory only until the next start: rewriting their log failed (${(err as Error).message})`);
      await opened.log.close().catch(() => undefined);
      variants = new GarqVariants(engine);
      await variants.restore(opened.raws);
    }
    if (variants.size > 0) logger.info(`Restored ${variants.size} GARQ variant(s)`);
    return variants;
  }

  /**
   * Takes back the variants a log held (those whose GARQ is still stored, within the bounds),
   * then rewrites the log with just those. Call once, before the first offer.
   */
  async restore(raws: readonly Buffer[]): Promise<void> {
    for (const raw of raws) {
      let obj: GolixObject;
      try {
        obj = parseObject(raw);
      } catch {
        continue; // Not a GARQ any more (a damaged record): nothing to restore.
      }
      this.keep(obj, await this.admissible(obj));
    }
    await this.log?.rewrite(this.all());
  }

  async close(): Promise<void> {
    await this.log?.close();
  }

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
    const raw = this.keep(obj, await this.admissible(obj));
    if (!raw || !this.log) return raw !== null;
    try {
      await this.log.append(raw);
    } catch (err) {
      // Not durable, so not kept: the publish is refused and may be sent again.
      this.forget(obj.ghid.text, raw);
      throw err;
    }
    return true;
  }

  /** Whether `obj` is a new variant of a stored GARQ (and there is room for it). */
  private async admissible(obj: GolixObject): Promise<boolean> {
    if (obj.type !== 'GARQ' || !(await this.engine.exists(obj.ghid))) return false;
    const first = await this.engine.get(obj.ghid).catch(() => null);
    if (!first || first.equals(obj.raw)) return false;
    if (this.bytes + obj.raw.length > MAX_VARIANT_BYTES) await this.prune();
    return this.bytes + obj.raw.length <= MAX_VARIANT_BYTES;
  }

  /** Holds an admissible variant unless it is held already or its GHID has all it may; returns the copy held. */
  private keep(obj: GolixObject, admissible: boolean): Buffer | null {
    if (!admissible || obj.type !== 'GARQ') return null;
    const key = obj.ghid.text;
    const held = this.byGhid.get(key) ?? { recipient: obj.recipient.text, raws: [] };
    if (held.raws.some((r) => r.equals(obj.raw)) || held.raws.length + 1 >= MAX_VARIANTS) return null;
    const raw = Buffer.from(obj.raw);
    held.raws.push(raw);
    this.byGhid.set(key, held);
    this.bytes += raw.length;
    return raw;
  }

  private forget(ghid: string, raw: Buffer): void {
    const held = this.byGhid.get(ghid);
    const i = held?.raws.indexOf(raw) ?? -1;
    if (!held || i < 0) return;
    held.raws.splice(i, 1);
    this.bytes -= raw.length;
    if (held.raws.length === 0) this.byGhid.delete(ghid);
  }

  private all(): Buffer[] {
    return [...this.byGhid.values()].flatMap((v) => v.raws);
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
