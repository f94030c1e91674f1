/**
 * Which WebSocket upgrades the IPC server refuses before any frame, and with what HTTP status:
 * a browser page from an origin not allowed (browsers always send `Origin`, Node clients none;
 * `file://` pages send `Origin: null`, which any sandboxed frame can send too, so it is allowed
 * only when listed), and a `Host` header that does not name this computer's loopback address
 * (a DNS-rebinding guard).
 */
import type { IncomingMessage } from 'node:http';

export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '::1', 'localhost']);

export interface UpgradeRefusal {
  status: number;
  text: string;
  why: string;
}

/** The refusal of this upgrade, or null when its origin and host pass. */
export function upgradeRefusal(req: Pick<IncomingMessage, 'headers'>, allowedOrigins: ReadonlySet<string>): UpgradeRefusal | null {
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedOrigins.has(origin)) {
    return { status: 403, text: 'Forbidden', why: `origin ${JSON.stringify(origin).slice(0, 80)} is not allowed` };
  }
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (!LOOPBACK_HOSTS.has(host)) {
    return { status: 403, text: 'Forbidden', why: `host ${JSON.stringify(req.headers.host ?? '').slice(0, 80)} is not this computer's loopback address` };
  }
  return null;
}
