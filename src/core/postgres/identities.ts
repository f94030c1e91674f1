/**
 * Public identities for signature checks on this node, before a publish reaches the database. A
 * GIDC's GHID is the hash of its bytes, so any GIDC seen — stored or just parsed from a publish —
 * is the true key of its GHID: cached without asking whether it was stored. Whether the signer
 * is stored here is the rules' question, asked again inside the transaction.
 */
import { HypergolixError, PublicIdentity, parseObject, type Ghid, type GolixObject } from '../golix/index.js';
import type { SqlClient } from './sql.js';

export class IdentityCache {
  private readonly known = new Map<string, PublicIdentity>();

  constructor(private readonly max = 50_000) {}

  /** Remembers a GIDC that was parsed (its GHID checked). */
  remember(raw: Buffer, ghid: Ghid): void {
    if (this.known.has(ghid.text)) return;
    if (this.known.size >= this.max) this.known.delete(this.known.keys().next().value!);
    this.known.set(ghid.text, PublicIdentity.fromBytes(raw));
  }

  cached(ghid: Ghid): PublicIdentity | undefined {
    return this.known.get(ghid.text);
  }

  /** From the cache, else from the database; null when nobody published it. */
  async find(client: SqlClient, ghid: Ghid): Promise<PublicIdentity | null> {
    const hit = this.known.get(ghid.text);
    if (hit) return hit;
    // One marked damaged is as good as none until a publish of it puts it right (damage.ts).
    const { rows } = await client.query<{ raw: Buffer }>("SELECT raw FROM objects WHERE ghid = $1 AND type = 'GIDC' AND damaged IS NULL", [ghid.text]);
    if (rows.length === 0) return null;
    // Stored bytes are checked to be that identity (damage not yet found is not trusted as a key).
    const gidc = tryParse(rows[0]!.raw);
    if (!gidc?.ghid.equals(ghid)) return null;
    this.remember(rows[0]!.raw, ghid);
    return this.known.get(ghid.text)!;
  }
}

function tryParse(raw: Buffer): GolixObject | null {
  try {
    return parseObject(raw);
  } catch (err) {
    if (err instanceof HypergolixError) return null;
    throw err;
  }
}
