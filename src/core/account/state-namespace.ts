import { ValueError } from '../golix/index.js';
import type { JsonValue } from './lww-map.js';
import { isStatePrefix, type StatePrefix } from './state-keys.js';

/** A second claim of a prefix, or one that overlaps a claimed prefix: a wiring mistake. */
export class StatePrefixClaimed extends ValueError {}

/** The part of an account map a namespace uses (AccountMap). */
export interface StateMap {
  get(key: string): JsonValue | undefined;
  set(key: string, value: JsonValue): void;
  delete(key: string): void;
  entries(prefix?: string): IterableIterator<[string, JsonValue]>;
  flush(): Promise<void>;
}

/** The keys of one prefix in the account state, seen without the prefix. */
export class StateNamespace {
  constructor(
    readonly prefix: StatePrefix,
    private readonly map: StateMap,
  ) {}

  get(key: string): JsonValue | undefined {
    return this.map.get(this.prefix + key);
  }

  set(key: string, value: JsonValue): void {
    this.map.set(this.prefix + key, value);
  }

  delete(key: string): void {
    this.map.delete(this.prefix + key);
  }

  /** This namespace's live entries, keys without the prefix. */
  *entries(): IterableIterator<[string, JsonValue]> {
    for (const [k, v] of this.map.entries(this.prefix)) yield [k.slice(this.prefix.length), v];
  }

  /**
   * Writes the state map now. The map is written as one object, so this writes every
   * namespace's pending changes, not only this one's.
   */
  flush(): Promise<void> {
    return this.map.flush();
  }
}

/**
 * Hands out the namespaces of one state map, each prefix once: two rooms can never own the same
 * keys. A claim lasts as long as the map (a room that stops may still be finishing a write).
 */
export class StateNamespaces {
  private readonly claimed = new Set<string>();

  constructor(private readonly map: StateMap) {}

  claim(prefix: StatePrefix): StateNamespace {
    if (!isStatePrefix(prefix)) throw new ValueError(`${JSON.stringify(prefix)} is not a registered account state prefix (account/state-keys.ts)`);
    for (const c of this.claimed) {
      if (c.startsWith(prefix) || prefix.startsWith(c)) {
        throw new StatePrefixClaimed(`The account state prefix ${JSON.stringify(prefix)} is already claimed (${JSON.stringify(c)})`);
      }
    }
    this.claimed.add(prefix);
    return new StateNamespace(prefix, this.map);
  }
}
