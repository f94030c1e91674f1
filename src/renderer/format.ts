/** Words and short forms for values the views show. */
import type { StorageStatus } from '../common/contract.js';
import { approximateBytes } from '../common/config-fields.js';

/** "3 minutes ago" from epoch milliseconds. */
export function timeAgo(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return 'just now';
  const units: [number, string][] = [
    [60, 'minute'],
    [3600, 'hour'],
    [86400, 'day'],
  ];
  let out = '';
  for (const [secs, name] of units) {
    const n = Math.floor(s / secs);
    if (n >= 1) out = `${n} ${name}${n === 1 ? '' : 's'} ago`;
  }
  return out;
}

/** The start and end of a long GHID, for places too narrow for all 88 characters. */
export function shortGhid(g: string): string {
  return g.length > 20 ? `${g.slice(0, 10)}…${g.slice(-6)}` : g;
}

/** "OK", or "Full: /path (12 MiB free)". */
export function storageWords(s: StorageStatus): string {
  if (s.kind === 'ok') return 'OK';
  const free = s.freeBytes === null ? '' : ` (${approximateBytes(s.freeBytes)} free)`;
  return `${s.kind === 'full' ? 'Full' : 'Refuses writes'}: ${s.path ?? 'unknown path'}${free}`;
}
