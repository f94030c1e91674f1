/**
 * Walking the table of config-keys.ts, and plain values, by key path: where a key sits among its
 * siblings, which keys a node holds, which the settings page shows. Runs in Node and the browser.
 */
import { CONFIG_KEYS, type ConfigTable, type GroupSpec, type KeySpec, type RemotesSpec, type SectionSpec } from './config-keys.js';

export type TableNode = ConfigTable | SectionSpec | RemotesSpec | GroupSpec | KeySpec;

const isSpec = (node: TableNode): node is RemotesSpec | GroupSpec | KeySpec => typeof (node as { kind?: unknown }).kind === 'string';
export const isGroup = (node: TableNode): node is GroupSpec => isSpec(node) && node.kind === 'group';
export const isRemotes = (node: TableNode): node is RemotesSpec => isSpec(node) && node.kind === 'remotes';
export const isKey = (node: TableNode): node is KeySpec => isSpec(node) && !isGroup(node) && !isRemotes(node);

/** The node at a key path (['desktop', 'notifications'], ['remotes', 2, 'tls']); undefined where the table has none. */
export function nodeAt(path: readonly (string | number)[], table: ConfigTable = CONFIG_KEYS): TableNode | undefined {
  let node: TableNode = table;
  for (const seg of path) {
    if (isRemotes(node) && typeof seg === 'number') {
      node = node.items;
      continue;
    }
    const children: Record<string, TableNode> | null = isGroup(node) ? node.keys : isSpec(node) ? null : (node as Record<string, TableNode>);
    if (children === null || typeof seg !== 'string' || !Object.hasOwn(children, seg)) return undefined;
    node = children[seg]!;
  }
  return node;
}

/** The keys under a node, in the table's order (the order they are written in); none for a key or a list. */
export function childKeys(path: readonly (string | number)[], table: ConfigTable = CONFIG_KEYS): string[] {
  const node = nodeAt(path, table);
  if (node === undefined || isKey(node) || isRemotes(node)) return [];
  return Object.keys(isGroup(node) ? node.keys : node);
}

export interface KeyEntry {
  /** ['server', 'port'], ['desktop', 'notifications', 'daemon_error'], ['remotes[]', 'tls'] */
  path: string[];
  spec: KeySpec;
}

/** Every key under a node, groups flattened, in the table's order; a remote's items as `remotes[].key`. */
export function keysOf(node: TableNode = CONFIG_KEYS, prefix: string[] = []): KeyEntry[] {
  if (isKey(node)) return [{ path: prefix, spec: node }];
  if (isRemotes(node)) return keysOf(node.items, [...prefix.slice(0, -1), `${prefix.at(-1) ?? 'remotes'}[]`]);
  const children: Record<string, TableNode> = isGroup(node) ? node.keys : (node as Record<string, TableNode>);
  return Object.entries(children).flatMap(([key, child]) => keysOf(child, [...prefix, key]));
}

/**
 * The keys the settings page shows under their own name: each with `ui` text and no `ui.field`
 * (inside a group, when the group has `ui` too). The UI contract's Settings carry exactly these,
 * as the file holds them, plus the remotes and the embedded server's switch and reach.
 */
export function formKeys(): KeyEntry[] {
  return keysOf().filter(({ path, spec }) => {
    if (spec.ui === undefined || spec.ui.field !== undefined) return false;
    const parent = nodeAt(path.slice(0, -1));
    return parent === undefined || !isGroup(parent) || parent.ui !== undefined;
  });
}

/** The value at a key path of a plain object; undefined where there is none. */
export function valueIn(root: unknown, path: readonly string[]): unknown {
  let v = root;
  for (const key of path) v = typeof v === 'object' && v !== null && Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

/** Sets the value at a key path of a plain object, creating the objects on the way. */
export function putIn(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    node = typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : (node[key] = {});
  }
  node[path[path.length - 1]!] = value;
}
