/**
 * The secret of the version of each dynamic object this computer last showed, kept on this
 * computer alone (never in the account's maps, which the other computers overwrite).
 *
 * The account's secrets map holds one record per object, ranked by counter across the
 * account's computers: another computer's record, merged in, replaces ours, and the versions
 * it carries (its base and fork) are the account's, not necessarily the one this computer has
 * stored. A computer that did not follow the object meanwhile (no app had it open) keeps an
 * older frame in its local cache, readable only with a secret then known in memory alone:
 * restarted offline, it could not show what it wrote itself. This keeps that secret.
 *
 * Sealed like the account journal (map-journal.ts, under the secrets map's master secret), in
 * `<secrets map GHID>.here` beside it. Records carry the latest value per object; the file is
 * rewritten as just those once it has grown. Written a second after a change (and at the close),
 * without a durable wait of its own: what an update acknowledged is durable through its record,
 * and this only has to outlive the record's replacement by a merge, which comes from the remotes
 * at least a map write later. After a crash it may be a second behind; the next version shown
 * brings it up to date.
 */
import { join } from 'node:path';
import { Ghid, Secret } from '../golix/index.js';
import { MapJournal } from './map-journal.js';

/** A container and the secret that opens it. */
export interface KeptSecret {
  container: Ghid;
  secret: Secret;
}

const PREFIX = 'h:';

/** How long a change waits to be sealed and written with the others of that time. */
const WRITE_DELAY_MS = 1_000;

export class KeptHere {
  private closed = false;
  /** Objects whose kept version changed since the last write. */
  private readonly dirty = new Set<string>();
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly journal: MapJournal,
    private readonly kept: Map<string, KeptSecret>,
  ) {}

  static async open(dir: string, map: { ghid: Ghid; master: Secret }, warn: (message: string) => void): Promise<KeptHere> {
    const { journal, cells } = await MapJournal.open({ path: join(dir, `${map.ghid.text}.here`), master: map.master, map: map.ghid, warn });
    const kept = new Map<string, KeptSecret>();
    for (const [key, [, , value]] of cells) {
      if (!key.startsWith(PREFIX)) continue;
      const parsed = parse(value);
      if (parsed) kept.set(key.slice(PREFIX.length), parsed);
      else kept.delete(key.slice(PREFIX.length));
    }
    return new KeptHere(journal, kept);
  }

  get(dyn: Ghid): KeptSecret | null {
    return this.kept.get(dyn.text) ?? null;
  }

  /** Keeps `known` as the version of `dyn` shown here (null: the object is gone). Said again, nothing is written. */
  set(dyn: Ghid, known: KeptSecret | null): void {
    const old = this.kept.get(dyn.text);
    if (this.closed || (known ? old?.container.equals(known.container) : !old)) return;
    if (known) this.kept.set(dyn.text, known);
    else this.kept.delete(dyn.text);
    // Sealed once per object and write, not once per update: a burst of updates costs one.
    this.dirty.add(dyn.text);
    this.timer ??= setTimeout(() => this.write(), WRITE_DELAY_MS).unref();
  }

  private write(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dirty.size === 0) return;
    for (const dyn of this.dirty) {
      const known = this.kept.get(dyn);
      this.journal.record(PREFIX + dyn, [Date.now(), 'here', known ? { c: known.container.text, s: known.secret.text } : null]);
    }
    this.dirty.clear();
    // Nothing is ever covered by a map write here: this only rewrites the file once it has grown.
    this.journal.covered(0);
  }

  close(): Promise<void> {
    this.write();
    this.closed = true;
    return this.journal.close();
  }
}

function parse(value: unknown): KeptSecret | null {
  if (typeof value !== 'object' || value === null) return null;
  const { c, s } = value as { c?: unknown; s?: unknown };
  if (typeof c !== 'string' || typeof s !== 'string') return null;
  try {
    return { container: Ghid.fromText(c), secret: Secret.fromText(s) };
  } catch {
    return null;
  }
}
