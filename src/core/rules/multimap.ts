/**
 * A map from a key to a set of values that stores a lone value without a Set: most targets
 * have exactly one binding, and a Set per key costs hundreds of bytes across 100,000 objects.
 */
export class MultiMap<V extends string | number> {
  private readonly map = new Map<string, V | Set<V>>();

  add(key: string, value: V): void {
    const cur = this.map.get(key);
    if (cur === undefined) this.map.set(key, value);
    else if (cur instanceof Set) cur.add(value);
    else if (cur !== value) this.map.set(key, new Set([cur, value]));
  }

  remove(key: string, value: V): void {
    const cur = this.map.get(key);
    if (cur === value) this.map.delete(key);
    else if (cur instanceof Set && cur.delete(value)) {
      if (cur.size === 1) this.map.set(key, cur.values().next().value!);
    }
  }

  count(key: string): number {
    const cur = this.map.get(key);
    return cur === undefined ? 0 : cur instanceof Set ? cur.size : 1;
  }

  values(key: string): Iterable<V> {
    const cur = this.map.get(key);
    return cur === undefined ? [] : cur instanceof Set ? cur : [cur];
  }
}
