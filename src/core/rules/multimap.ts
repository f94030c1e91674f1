/**
 * A map from a key to a set of strings that stores a lone value without a Set: most targets
 * have exactly one binding, and a Set per key costs hundreds of bytes across 100,000 objects.
 */
export class MultiMap {
  private readonly map = new Map<string, string | Set<string>>();

  add(key: string, value: string): void {
    const cur = this.map.get(key);
    if (cur === undefined) this.map.set(key, value);
    else if (typeof cur === 'string') {
      if (cur !== value) this.map.set(key, new Set([cur, value]));
    } else cur.add(value);
  }

  remove(key: string, value: string): void {
    const cur = this.map.get(key);
    if (cur === value) this.map.delete(key);
    else if (cur instanceof Set && cur.delete(value)) {
      if (cur.size === 1) this.map.set(key, cur.values().next().value!);
    }
  }

  count(key: string): number {
    const cur = this.map.get(key);
    return cur === undefined ? 0 : typeof cur === 'string' ? 1 : cur.size;
  }

  values(key: string): Iterable<string> {
    const cur = this.map.get(key);
    return cur === undefined ? [] : typeof cur === 'string' ? [cur] : cur;
  }
}
