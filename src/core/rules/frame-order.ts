/**
 * Which of two frames of one dynamic GHID comes later: what the acceptance rules and the indexes
 * (a store opened with two frames of one GHID) both decide by. On its own so that neither of them
 * depends on the other for it.
 */
import type { Entry } from '../store/entry.js';

/** Whether frame `e` may replace stored frame `current` (counter rules, golix §9, §11). */
export function supersedes(e: Entry, current: Entry): boolean {
  if (e.version === 16 && current.version === 16) return e.counter! > current.counter!;
  if (e.version === 16) return true;
  if (current.version === 16) return false;
  return e.history!.includes(current.ghid);
}
