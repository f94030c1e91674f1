/**
 * What was shared, kept in the account state so every computer of the account shows the same
 * history: objects others shared with us and we accepted (`shared-in:<object GHID>`), and each
 * object we shared with each recipient and what they answered (`shared-out:<object> <recipient>`).
 * Shares that wait for the user are Sharing's own (`ask:`). An object deleted since (by its
 * author: upstream, or here) keeps its records, marked with when this account learned of it.
 */
import { Ghid } from '../golix/index.js';
import type { StateNamespace } from '../account/state-namespace.js';

export type OutgoingState = 'waiting' | 'accepted' | 'declined';

export interface ReceivedRecord {
  object: Ghid;
  from: Ghid;
  apiId: string | null;
  size: number | null;
  at: number;
  /** When this account learned that its author deleted it (epoch ms), or null. */
  deletedAt: number | null;
}

export interface SentRecord {
  object: Ghid;
  recipient: Ghid;
  state: OutgoingState;
  apiId: string | null;
  size: number | null;
  at: number;
  /** When we deleted the object (on any computer of the account: epoch ms), or null. */
  deletedAt: number | null;
}

type StoredIn = { f: string; a: string | null; z: number | null; at: number; x?: number };
type StoredOut = { s: OutgoingState; at: number; a?: string | null; z?: number | null; x?: number };

const deletedAtOf = (s: { x?: unknown } | null | undefined) => (typeof s?.x === 'number' ? s.x : null);

const OUT_STATES: readonly OutgoingState[] = ['waiting', 'accepted', 'declined'];

function ghidOr(text: string): Ghid | null {
  try {
    return Ghid.fromText(text);
  } catch {
    return null;
  }
}

export class ShareRecords {
  constructor(
    private readonly received: StateNamespace,
    private readonly sent: StateNamespace,
    private readonly now: () => number = Date.now,
  ) {}

  receivedOne(r: Omit<ReceivedRecord, 'at' | 'deletedAt'>): void {
    this.received.set(r.object.text, { f: r.from.text, a: r.apiId, z: r.size, at: this.now() } satisfies StoredIn);
  }

  /** Who shared `object` with us, if we took a share of it. */
  receivedFrom(object: Ghid): Ghid | null {
    const s = this.received.get(object.text) as Partial<StoredIn> | null | undefined;
    return typeof s?.f === 'string' ? ghidOr(s.f) : null;
  }

  /** Records a share we sent, or its answer (what it is, api_id and size, kept from the record before unless given again). */
  sentOne(object: Ghid, recipient: Ghid, state: OutgoingState, what?: { apiId: string | null; size: number | null }): void {
    const key = `${object.text} ${recipient.text}`;
    const before = this.sent.get(key) as Partial<StoredOut> | undefined;
    const record: StoredOut = { s: state, at: this.now(), a: what?.apiId ?? before?.a ?? null, z: what?.size ?? before?.z ?? null };
    // An answer that comes after the object was deleted keeps the mark.
    if (typeof before?.x === 'number') record.x = before.x;
    this.sent.set(key, record);
  }

  /**
   * The object was deleted by its author (told upstream, or done here): its records say so from
   * now on, on every computer of the account. Whether any were marked (a record of it exists).
   */
  objectDeleted(object: Ghid): boolean {
    let marked = false;
    const at = this.now();
    const received = this.received.get(object.text) as Partial<StoredIn> | null | undefined;
    if (received && typeof received === 'object' && deletedAtOf(received) === null) {
      this.received.set(object.text, { ...(received as StoredIn), x: at });
      marked = true;
    }
    const prefix = `${object.text} `;
    for (const [key, v] of [...this.sent.entries()]) {
      if (!key.startsWith(prefix) || !v || typeof v !== 'object' || deletedAtOf(v as StoredOut) !== null) continue;
      this.sent.set(key, { ...(v as StoredOut), x: at });
      marked = true;
    }
    return marked;
  }

  /** Whether `object` is known here as deleted by its author. */
  isDeleted(object: Ghid): boolean {
    if (deletedAtOf(this.received.get(object.text) as Partial<StoredIn> | undefined) !== null) return true;
    const prefix = `${object.text} `;
    for (const [key, v] of this.sent.entries()) if (key.startsWith(prefix) && deletedAtOf(v as StoredOut) !== null) return true;
    return false;
  }

  /** What became of our share of `object` with `recipient`, if we shared it with them. */
  sentState(object: Ghid, recipient: Ghid): OutgoingState | null {
    return this.sentRecord(object, recipient)?.state ?? null;
  }

  /** That, and when it became so (ms since the epoch; 0 when not known). */
  sentRecord(object: Ghid, recipient: Ghid): { state: OutgoingState; at: number } | null {
    const s = this.sent.get(`${object.text} ${recipient.text}`) as Partial<StoredOut> | null | undefined;
    if (!OUT_STATES.includes(s?.s as OutgoingState)) return null;
    return { state: s!.s as OutgoingState, at: typeof s!.at === 'number' ? s!.at : 0 };
  }

  receivedList(): ReceivedRecord[] {
    const out: ReceivedRecord[] = [];
    for (const [key, v] of this.received.entries()) {
      const s = v as Partial<StoredIn> | null;
      const object = ghidOr(key);
      const from = typeof s?.f === 'string' ? ghidOr(s.f) : null;
      if (!object || !from) continue;
      out.push({ object, from, apiId: typeof s!.a === 'string' ? s!.a : null, size: typeof s!.z === 'number' ? s!.z : null, at: typeof s!.at === 'number' ? s!.at : 0, deletedAt: deletedAtOf(s) });
    }
    return out.sort((a, b) => b.at - a.at);
  }

  sentList(): SentRecord[] {
    const out: SentRecord[] = [];
    for (const [key, v] of this.sent.entries()) {
      const [o, r] = key.split(' ');
      const object = ghidOr(o ?? '');
      const recipient = ghidOr(r ?? '');
      const s = v as Partial<StoredOut> | null;
      // A state this version does not know (a newer version's, or damage) is skipped, as sentRecord does.
      if (!object || !recipient || !OUT_STATES.includes(s?.s as OutgoingState)) continue;
      const state = s!.s as OutgoingState;
      const apiId = typeof s?.a === 'string' ? s.a : null;
      out.push({ object, recipient, state, apiId, size: typeof s?.z === 'number' ? s.z : null, at: typeof s?.at === 'number' ? s.at : 0, deletedAt: deletedAtOf(s) });
    }
    return out.sort((a, b) => b.at - a.at);
  }
}
