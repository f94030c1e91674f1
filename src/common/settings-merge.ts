/**
 * A settings save merged with what hypergolix.yml holds now. The form sends what it was opened
 * on (`base`) with what it holds (`mine`); only the fields changed in the form are written, over
 * the file as it is (`current`), so a save from one window, the tray or a hand edit made since
 * the form opened is kept, not undone by this form's stale copy of it. A field changed both in
 * the form and elsewhere, to different values, is a conflict for the user to decide.
 * The remotes list merges by entry (host and port name one): one added or removed on either side
 * is added or removed, so two windows each adding a remote both keep theirs, and a list reordered
 * on one side keeps that order; an entry changed (its TLS) on both sides differently, or a list
 * reordered on both differently, is a conflict on the list.
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
 * sides reordering what they share, differently). The order is that of the side that reordered
 * (else the file's), then what the other side added.
 */
function mergeRemotes(base: Json[], mine: Json[], current: Json[]): Json[] | null {
  if (![base, mine, current].every((list) => list.every(isRemote) && new Set(list.map((r) => keyOf(r as Remote))).size === list.length)) return null;
  const byKey = (list: Json[]) => new Map(list.map((r) => [keyOf(r as Remote), r]));
  const [b, m, c] = [byKey(base), byKey(mine), byKey(current)];
  // The order of what all three hold, on each side: a side whose order is not the base's moved it.
  const order = (list: Json[]) => list.map((r) => keyOf(r as Remote)).filter((k) => b.has(k) && m.has(k) && c.has(k));
  const [was, ours, theirs] = [order(base), order(mine), order(current)];
  const iMoved = !sameValue(ours, was);
  if (iMoved && !sameValue(theirs, was) && !sameValue(ours, theirs)) return null;
  const same = (x: Json | undefined, y: Json | undefined) => x !== undefined && y !== undefined && sameValue(x, y);
  const value = new Map<string, Json>();
  for (const key of new Set([...c.keys(), ...m.keys()])) {
    const [mineNow, theirsNow, before] = [m.get(key), c.get(key), b.get(key)];
    if (!before) {
      // Added on one side, or on both alike.
      if (mineNow && theirsNow && !same(mineNow, theirsNow)) return null;
      value.set(key, (theirsNow ?? mineNow)!);
    } else if (!mineNow || !theirsNow) {
      // Removed on one side: unless the other changed it meanwhile.
      if (!same(mineNow ?? theirsNow, before)) return null;
    } else if (same(mineNow, before)) value.set(key, theirsNow);
    else if (same(theirsNow, before) || same(theirsNow, mineNow)) value.set(key, mineNow);
    else return null;
  }
  const [lead, other] = iMoved ? [mine, current] : [current, mine];
  const keys = new Set([...lead, ...other].map((r) => keyOf(r as Remote)));
  return [...keys].filter((k) => value.has(k)).map((k) => value.get(k)!);
}
