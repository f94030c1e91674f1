/**
 * A settings save merged with what hypergolix.yml holds now. The form sends what it was opened
 * on (`base`) with what it holds (`mine`); only the fields changed in the form are written, over
 * the file as it is (`current`), so a save from one window, the tray or a hand edit made since
 * the form opened is kept, not undone by this form's stale copy of it. A field changed both in
 * the form and elsewhere, to different values, is a conflict for the user to decide.
 * Lists (the remotes) count as one field: their entries are edited together.
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
  if (!sameValue(current, base) && !sameValue(current, mine)) conflicts.push(path);
  return mine;
}
