/**
 * Browser mode's routing of what the bridge sends: an event to the listeners, an answer to the
 * request waiting for it. Apart from the socket (transport.ts), so that it runs in Node tests too.
 */
import { ERROR_CODES, fail, type HostEvent, type RequestKind, type Response } from '../common/contract.js';
import { parseServerMessage } from '../common/contract-envelope.js';

export type Pending = Map<number, { kind: RequestKind; resolve: (r: Response) => void }>;

/** Routes one message from the bridge: an event to the listeners, an answer to the request waiting for it. */
export function route(data: unknown, pending: Pending, listeners: Set<(ev: HostEvent) => void>): void {
  let raw: unknown;
  try {
    raw = JSON.parse(String(data));
  } catch {
    return;
  }
  const parsed = parseServerMessage(raw, (id) => pending.get(id)?.kind);
  if (!parsed.ok) {
    // An answer to a request waiting here ends it, as the Electron preload does, rather than
    // leaving the page waiting for one that will not come.
    const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
    const p = typeof id === 'number' ? pending.get(id) : undefined;
    if (p) {
      pending.delete(id as number);
      p.resolve(fail(ERROR_CODES.internal, `The host answered oddly: ${parsed.error.message}`));
      return;
    }
    console.warn('hypergolix: ignored a malformed message from the host:', parsed.error.message);
    return;
  }
  const m = parsed.value;
  if ('event' in m) {
    for (const l of listeners) l(m.event);
  } else if (m.id !== null) {
    const p = pending.get(m.id);
    pending.delete(m.id);
    p?.resolve(m.response);
  } else if (!m.response.ok) {
    console.warn('hypergolix: the host refused a message:', m.response.error.message);
  }
}
