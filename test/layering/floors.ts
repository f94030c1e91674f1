// The floors inside src/core (docs/architecture-notes.md, "Floors inside the core") and the rule
// that keeps imports pointing down them.
import { posix } from 'node:path';

/**
 * Folder of src/core → floor. A file may import its own folder, any folder on a lower floor,
 * and a sibling on its own floor as long as the siblings' imports form no cycle. config and
 * process sit just above what they import (util, log), so every floor above may use them.
 */
export const CORE_FLOORS: Readonly<Record<string, number>> = {
  golix: 0,
  util: 1,
  log: 1,
  store: 2,
  config: 2,
  process: 2,
  rules: 3,
  account: 3,
  objects: 3,
  remote: 4,
  legacy: 4,
  postgres: 4,
  registration: 4,
  daemon: 5,
  sharing: 6,
  ipc: 6,
  assembly: 7,
};

/** A source file by its path under src/ (`core/store/x.ts`) and the specifiers it imports. */
export interface ScannedFile {
  file: string;
  specs: readonly string[];
}

/** The folder of src/core a path under src/ lies in; '' for a file directly in core/, null outside it. */
function coreFolder(path: string): string | null {
  const parts = path.split('/');
  if (parts[0] !== 'core') return null;
  return parts.length > 2 ? parts[1]! : '';
}

/** Every import that breaks the floors of src/core, one line each; empty when all point down. */
export function floorViolations(files: readonly ScannedFile[], floors: Readonly<Record<string, number>> = CORE_FLOORS): string[] {
  const bad: string[] = [];
  const siblings = new Map<string, Set<string>>();
  const floorOf = (folder: string) => (Object.hasOwn(floors, folder) ? floors[folder]! : undefined);
  for (const { file, specs } of files) {
    const from = coreFolder(file);
    if (from === null) continue;
    const mine = floorOf(from);
    if (mine === undefined) {
      bad.push(`${file}: core/${from} has no floor (add it to CORE_FLOORS)`);
      continue;
    }
    for (const spec of specs) {
      if (!spec.startsWith('.')) continue;
      const to = coreFolder(posix.normalize(posix.join(posix.dirname(file), spec)));
      if (to === null || to === from) continue;
      const theirs = floorOf(to);
      if (theirs === undefined) bad.push(`${file}: ${spec} is in core/${to}, which has no floor`);
      else if (theirs > mine) bad.push(`${file}: ${spec} runs up from ${from} (floor ${mine}) to ${to} (floor ${theirs})`);
      else if (theirs === mine) {
        if (!siblings.has(from)) siblings.set(from, new Set());
        siblings.get(from)!.add(to);
      }
    }
  }
  return [...bad, ...siblingCycles(siblings)];
}

/** Siblings on one floor that import each other, directly or round a longer loop. */
function siblingCycles(edges: Map<string, Set<string>>): string[] {
  const reaches = (a: string, b: string, seen = new Set<string>()): boolean => {
    if (a === b) return true;
    if (seen.has(a)) return false;
    seen.add(a);
    return [...(edges.get(a) ?? [])].some((n) => reaches(n, b, seen));
  };
  const bad: string[] = [];
  for (const [from, tos] of edges) {
    for (const to of tos) if (reaches(to, from)) bad.push(`core/${from} and core/${to} import each other (siblings on one floor must not form a cycle)`);
  }
  return bad.sort();
}
