/**
 * The browser-mode WebSocket's envelope around the contract's requests, responses and events
 * (src/web/bridge-socket.ts on the host side, src/renderer/transport.ts in the tab). Electron's
 * IPC needs none: its channels already pair a request with its answer.
 */
import { checkFailure, checkResponse, parseEvent, parseRequest, type HostError, type HostEvent, type Request, type RequestKind, type Response } from './contract.js';
import { nullable, obj, tryParse, uint, type Check } from './wire-check.js';

/** UI → host over the browser-mode WebSocket. */
export interface ClientMessage {
  id: number;
  request: Request;
}
/** Host → UI: the answer to one request (id null when the envelope itself was unreadable), or an event. */
export type ServerMessage = { id: number | null; response: Response } | { event: HostEvent };

/**
 * Splits envelope errors from request errors, so the bridge can still answer with the
 * caller's id when only the request inside was bad.
 */
export function parseClientMessage(v: unknown): { ok: true; value: ClientMessage } | { ok: false; id: number | null; error: HostError } {
  const env = tryParse(obj<{ id: number }>({ id: uint }), v);
  if (!env.ok) return { ok: false, id: null, error: { code: env.error.code, message: env.error.message } };
  const req = parseRequest((v as Record<string, unknown>).request);
  if (!req.ok) return { ok: false, id: env.value.id, error: { code: req.error.code, message: req.error.message } };
  return { ok: true, value: { id: env.value.id, request: req.value } };
}

/** Parses a host → UI message; `kindOf(id)` says which request an id belongs to. */
export function parseServerMessage(
  v: unknown,
  kindOfId: (id: number) => RequestKind | undefined,
): { ok: true; value: ServerMessage } | { ok: false; error: HostError } {
  if (typeof v === 'object' && v !== null && 'event' in v) {
    const ev = parseEvent((v as { event: unknown }).event);
    return ev.ok ? { ok: true, value: { event: ev.value } } : { ok: false, error: { code: ev.error.code, message: ev.error.message } };
  }
  const env = tryParse(obj<{ id: number | null }>({ id: nullable(uint) }), v);
  if (!env.ok) return { ok: false, error: { code: env.error.code, message: env.error.message } };
  const id = env.value.id;
  const kind = id === null ? undefined : kindOfId(id);
  // An answer to no known request can only be an error (e.g. for an unreadable envelope).
  const check: Check<Response> = kind ? (checkResponse(kind) as Check<Response>) : checkFailure;
  const res = tryParse(check, (v as Record<string, unknown>).response);
  return res.ok ? { ok: true, value: { id, response: res.value } } : { ok: false, error: { code: res.error.code, message: res.error.message } };
}
