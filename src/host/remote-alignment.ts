/**
 * How the Settings form's list of remotes lines up with the file's, so that a save touches only
 * what the user changed. The form carries no identity, only host and port: remotes kept (the same
 * host and port) are anchors; between two anchors, a form entry with a new host or port is taken
 * for an edit of one the file had there (its item, and its comment, stay where they were), the
 * rest of the file's there as removed; after the last anchor, what is left over is appended. An
 * entry kept is never rewritten, whatever else changes.
 */
export interface RemoteAlignment {
  /** File indexes of remotes removed. */
  removed: number[];
  /** [file index, form index]: a remote edited in place (a new host or port). */
  edited: [number, number][];
  /** [file index, form index]: the same host and port. */
  kept: [number, number][];
  /** Form indexes appended at the end. */
  appended: number[];
}

/** The alignment of `oldKeys` (the file's remotes) to `newKeys` (the form's); null when the form reorders them or inserts between them. */
export function alignRemotes(oldKeys: readonly string[], newKeys: readonly string[]): RemoteAlignment | null {
  if (new Set(oldKeys).size !== oldKeys.length || new Set(newKeys).size !== newKeys.length) return null;
  const newIndex = new Map(newKeys.map((k, j) => [k, j]));
  const kept: [number, number][] = [];
  oldKeys.forEach((k, i) => {
    const j = newIndex.get(k);
    if (j !== undefined) kept.push([i, j]);
  });
  if (kept.some(([, j], n) => n > 0 && j < kept[n - 1]![1])) return null;
  const out: RemoteAlignment = { removed: [], edited: [], kept, appended: [] };
  let [oi, nj] = [0, 0];
  for (const [i, j] of [...kept, [oldKeys.length, newKeys.length] as [number, number]]) {
    const olds = range(oi, i);
    const news = range(nj, j);
    const last = i === oldKeys.length;
    if (!last && news.length > olds.length) return null;
    // Between anchors the new ones sit next to the anchor after them; after the last, in order.
    const skip = last ? 0 : olds.length - news.length;
    out.removed.push(...olds.slice(0, skip), ...olds.slice(skip + news.length));
    news.forEach((n, t) => (t + skip < olds.length ? out.edited.push([olds[t + skip]!, n]) : out.appended.push(n)));
    [oi, nj] = [i + 1, j + 1];
  }
  out.removed.sort((a, b) => a - b);
  return out;
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
