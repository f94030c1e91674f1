/**
 * What was shared, kept in the account state so every computer of the account shows the same
 * history: objects others shared with us and we accepted (`shared-in:<object GHID>`), and each
 * object we shared with each recipient and what they answered (`shared-out:<object> <recipient>`).
 * Shares that wait for the user are Sharing's own (`ask:`).
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
}

export interface SentRecord {
  object: Ghid;
  recipient: Ghid;
  state: OutgoingState;
  at: number;
}

type StoredIn = { f: string; a: string | null; z: number | null; at: number };
type StoredOut = { s: OutgoingState; at: number };

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

  receivedOne(r: Omit<ReceivedRecord, 'at'>): void {
    this.received.set(r.object.text, { f: r.from.text, a: r.apiId, z: r.size, at: this.now() } satisfies StoredIn);
  }

  sentOne(object: Ghid, recipient: Ghid, state: OutgoingState): void {
    this.sent.set(`${object.text} ${recipient.text}`, { s: state, at: this.now() } satisfies StoredOut);
  }

  receivedList(): ReceivedRecord[] {
    const out: ReceivedRecord[] = [];
    for (const [key, v] of this.received.entries()) {
      const s = v as Partial<StoredIn> | null;
      const object = ghidOr(key);
      const from = typeof s?.f === 'string' ? ghidOr(s.f) : null;
      if (!object || !from) continue;
      out.push({ object, from, apiId: typeof s!.a === 'string' ? s!.a : null, size: typeof s!.z === 'number' ? s!.z : null, at: typeof s!.at === 'number' ? s!.at : 0 });
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
      if (!object || !recipient) continue;
      const state = OUT_STATES.includes(s?.s as OutgoingState) ? (s!.s as OutgoingState) : 'waiting';
      out.push({ object, recipient, state, at: typeof s?.at === 'number' ? s.at : 0 });
    }
    return out.sort((a, b) => b.at - a.at);
  }
}
