/**
 * A settings save merged with what hypergolix.yml holds now. The form sends what it was opened
 * on (`base`) with what it holds (`mine`); only the fields changed in the form are written, over
 * the file as it is (`current`), so a save from one window, the tray or a hand edit made since
 * the form opened is kept, not undone by this form's stale copy of it. A field changed both in
 * the form and elsewhere, to different values, is a conflict for the user to decide.
 * The remotes list merges by entry (host and port name one): one added or removed on either side
 * is added or removed, so two windows each adding a remote both keep theirs; an entry changed
 * (its TLS) on both sides differently, or a list reordered on both, is a conflict on the list.
 * Other lists count as one field.
 */
import { sameValue } from './json-paths.js';

export interface SettingsMerge<T> {
  merged: T;
  /** Dotted paths changed both in the form and elsewhere, to different values. */
  conflicts: string[];
}

type Json = unknown;
const isRecord = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergeSettings<T>(base: T, mine: T, current: T): SettingsMerge<T> {
  const conflicts: string[] = [];
  const merged = mergeAt(base, mine, current, '', conflicts) as T;
  return { merged, conflicts };
}

function mergeAt(base: Json, mine: Json, current: Json, path: string, conflicts: string[]): Json {
  if (isRecord(base) && isRecord(mine) && isRecord(current)) {
    const out: Record<string, Json> = {};
    for (const key of new Set([...Object.keys(current), ...Object.keys(mine)])) {
      const value = mergeAt(base[key], mine[key], current[key], path ? `${path}.${key}` : key, conflicts);
      if (value !== undefined) out[key] = value;
    }
    return out;
  }
  if (sameValue(mine, base)) return current;
  if (sameValue(current, base) || sameValue(current, mine)) return mine;
  const remotes = Array.isArray(base) && Array.isArray(mine) && Array.isArray(current) ? mergeRemotes(base, mine, current) : null;
  if (remotes) return remotes;
  conflicts.push(path);
  return mine;
}

type Remote = { host: string; port: number };
const isRemote = (v: Json): v is Remote & Record<string, Json> => isRecord(v) && typeof v.host === 'string' && typeof v.port === 'number';
const keyOf = (r: Remote) => `${r.host.toLowerCase()}:${r.port}`;

/**
 * Lists of remotes changed on both sides, merged entry by entry; null when they cannot be (an
 * entry that is no remote, one named twice, one changed differently on both sides, or both
 * sides reordering what they share).
 */
function mergeRemotes(base: Json[], mine: Json[], current: Json[]): Json[] | null {
  if (![base, mine, current].every((list) => list.every(isRemote) && new Set(list.map((r) => keyOf(r as Remote))).size === list.length)) return null;
  const byKey = (list: Json[]) => new Map(list.map((r) => [keyOf(r as Remote), r]));
  const [b, m, c] = [byKey(base), byKey(mine), byKey(current)];
  const kept = (list: Json[], other: Map<string, Json>) => list.map((r) => keyOf(r as Remote)).filter((k) => other.has(k));
  // What both sides still share must be in the same order on both, or one of them reordered it.
  const shared = kept(mine, c).filter((k) => b.has(k));
  if (!sameValue(shared, kept(current, m).filter((k) => b.has(k)))) return null;
  const same = (x: Json | undefined, y: Json | undefined) => x !== undefined && y !== undefined && sameValue(x, y);
  const out: Json[] = [];
  for (const [key, theirs] of c) {
    const ours = m.get(key);
    const was = b.get(key);
    if (!was) {
      // Added there (or on both sides, alike).
      if (ours && !same(ours, theirs)) return null;
      out.push(theirs);
    } else if (!ours) {
      // Removed here: unless it was changed there meanwhile.
      if (!same(theirs, was)) return null;
    } else if (same(ours, was)) out.push(theirs);
    else if (same(theirs, was) || same(theirs, ours)) out.push(ours);
    else return null;
  }
  for (const [key, ours] of m) {
    if (!b.has(key) && !c.has(key)) out.push(ours); // added here
    else if (b.has(key) && !c.has(key) && !same(ours, b.get(key))) return null; // removed there, changed here
  }
  return out;
}
