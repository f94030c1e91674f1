/**
 * Public identities for signature checks on this node, before a publish reaches the database. A
 * GIDC's GHID is the hash of its bytes, so any GIDC seen — stored or just parsed from a publish —
 * is the true key of its GHID: cached without asking whether it was stored. Whether the signer
 * is stored here is the rules' question, asked again inside the transaction.
 */
import { PublicIdentity, type Ghid } from '../golix/index.js';
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
    const { rows } = await client.query<{ raw: Buffer }>("SELECT raw FROM objects WHERE ghid = $1 AND type = 'GIDC'", [ghid.text]);
    if (rows.length === 0) return null;
    this.remember(rows[0]!.raw, ghid);
    return this.known.get(ghid.text)!;
  }
}
