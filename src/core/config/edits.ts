/**
 * Edits made in place on the user's YAML Document, so that comments, key order and formatting
 * of everything not edited survive a save. A new key is inserted where the table of
 * src/common/config-keys.ts puts it among its siblings (the order the reference writes).
 */
import { isAlias, isCollection, isMap, isScalar, isSeq, type Document, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import {
  CONFIG_KEYS,
  type ConfigKeys,
  type ConfigTable,
  type GroupSpec,
  type KdfSetting,
  type KeySpec,
  type RemotesSpec,
  type SectionSpec,
} from '../../common/config-keys.js';
import { parserOf } from '../../common/config-parsers.js';
import { childKeys, isGroup, isRemotes } from '../../common/config-paths.js';
import { hostKey, parseBoolean, parseGhidText, parseHost, parseHttpUrl, parsePort, type Field, type SharingPolicy, type Verbosity } from '../../common/config-fields.js';
import type { Ghid } from '../golix/ghid.js';
import type { Secret } from '../golix/secret.js';
import { keyText } from './document.js';
import { parseField, type FieldPath } from './errors.js';
import { isReferenceKey } from './schema.js';

type GhidLike = Ghid | string;

export interface RemoteInput {
  host: string;
  port: number | string;
  tls?: boolean | string;
  /** http(s) URL; null removes it. */
  registration?: string | null;
}

/** What an edit may give for each kind: the value, or its text (a CLI word, a form field). */
interface EditKinds {
  boolean: boolean;
  port: number | string;
  integer: number | string;
  size: number | string;
  rate: number | string;
  verbosity: Verbosity | string;
  policy: SharingPolicy | string;
  'server-store': string;
  'postgres-url': string;
  registration: string;
  'shared-secret': string;
  'server-host': string;
  host: string;
  url: string;
  path: string;
  ghid: GhidLike;
  secret: Secret | string;
  'ghid-list': GhidLike[];
  /** A list of names, or one text of them separated by commas or spaces. */
  'name-list': string[] | string;
  kdf: KdfSetting;
}

/** Each key of a section optional; null resets it. */
type SectionEdits<N> = {
  -readonly [K in keyof N]?: N[K] extends GroupSpec ? SectionEdits<N[K]['keys']> : N[K] extends KeySpec ? EditKinds[N[K]['kind']] | null : never;
};

/**
 * A change to the config. Each present key is written; `null` resets a key to its default
 * (written as `null` for the reference's keys, which is how the reference spells "default", and
 * removed for the project's). Values are normalized when valid ('loud' → info, '7770' → 7770)
 * and written as given otherwise, so the validation of the whole result names the bad field.
 */
export type ConfigEdits = {
  -readonly [S in keyof ConfigKeys as ConfigKeys[S] extends RemotesSpec ? never : S]?: SectionEdits<ConfigKeys[S]>;
} & {
  /** Applied in this order: replace, remove, add. Hosts compare case-insensitively. */
  remotes?: {
    replace?: RemoteInput[];
    remove?: { host: string; port: number | string }[];
    /** Adding a remote that is already there (same host and port) updates its tls and registration. */
    add?: RemoteInput[];
  };
  /** Any key by dotted path (`server.port`, `remotes[0].tls`, `myapp.colour`); `undefined` removes it. */
  set?: Record<string, unknown>;
};


/** Thrown by an edit that cannot be applied to the file's structure; the caller adds the file name. */
export class EditConflict extends Error {
  constructor(
    readonly path: FieldPath,
    message: string,
  ) {
    super(message);
  }
}

export class DocumentEditor {
  constructor(readonly doc: Document) {}

  /** The document's mapping; for an empty document, a new one when `create`, else null (an edit that finds nothing changes nothing). */
  private root(create: true): YAMLMap;
  private root(create: boolean): YAMLMap | null;
  private root(create: boolean): YAMLMap | null {
    const c = this.doc.contents;
    if (isMap(c)) return c;
    if (c === null || (isScalar(c) && (c.value === null || c.value === undefined))) {
      if (!create) return null;
      const map = this.doc.createNode({}) as YAMLMap;
      this.doc.contents = map;
      return map;
    }
    throw new EditConflict([], 'the file does not hold sections of settings, so it cannot be edited');
  }

  /** The collection at `path`, creating maps for missing or null steps. */
  private container(path: FieldPath, create: boolean): YAMLMap | YAMLSeq | null {
    const root = this.root(create);
    if (!root) return null;
    let node: YAMLMap | YAMLSeq = root;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      let next: unknown = isMap(node) ? node.items.find((p) => keyText(p.key) === String(seg))?.value : node.items[seg as number];
      if (isAlias(next)) next = next.resolve(this.doc);
      if (isMap(next) || isSeq(next)) {
        node = next;
        continue;
      }
      const empty = next === undefined || next === null || (isScalar(next) && next.value === null);
      if (!create || !empty) {
        if (!create) return null;
        throw new EditConflict(path.slice(0, i + 1), 'holds a single value, so it cannot take keys');
      }
      const map = this.doc.createNode({}) as YAMLMap;
      this.put(node, path.slice(0, i), seg, map);
      node = map;
    }
    return node;
  }

  private put(parent: YAMLMap | YAMLSeq, parentPath: FieldPath, key: string | number, value: unknown): void {
    if (isSeq(parent)) {
      if (typeof key !== 'number' || key > parent.items.length) throw new EditConflict([...parentPath, key], 'is not an item of the list');
      const existing = parent.items[key];
      if (isScalar(existing) && isScalarValue(value)) existing.value = value;
      else if (key === parent.items.length) parent.items.push(this.asNode(value) as Node);
      else parent.items[key] = this.asNode(value) as Node;
      return;
    }
    const name = String(key);
    const pair = parent.items.find((p) => keyText(p.key) === name);
    if (pair) {
      // Assigning into the existing scalar keeps its comments.
      if (isScalar(pair.value) && isScalarValue(value)) pair.value.value = value;
      else {
        // A comment on the line of an empty value (`instrumentation: # none yet`) stays on that
        // line when the value becomes a section or a list.
        const comment = isScalar(pair.value) || isCollection(pair.value) ? pair.value.comment : undefined;
        pair.value = this.asNode(value);
        if (comment && isScalar(pair.key) && !pair.key.comment) pair.key.comment = comment;
      }
      return;
    }
    // After the last sibling that precedes it in the reference order, else before the first that follows it.
    const order = childKeys(parentPath);
    const rank = order.indexOf(name);
    let after = -1;
    let before = -1;
    if (rank >= 0) {
      parent.items.forEach((p, i) => {
        const r = order.indexOf(keyText(p.key));
        if (r >= 0 && r < rank) after = i;
        if (r > rank && before < 0) before = i;
      });
    }
    const at = after >= 0 ? after + 1 : before >= 0 ? before : parent.items.length;
    // A section keeps a comment above its first key as its own: it stays with that key, not
    // above one inserted before it.
    const first = parent.items[0];
    if (at === 0 && parentPath.length > 0 && parent.commentBefore && first && isScalar(first.key)) {
      first.key.commentBefore = parent.commentBefore;
      parent.commentBefore = undefined;
    }
    parent.items.splice(at, 0, this.doc.createPair(name, this.asNode(value)));
  }

  private asNode(value: unknown): unknown {
    if (isNodeLike(value)) return value;
    const node = this.doc.createNode(value);
    // A list we write is a block list, even where the file had `[]`; an empty one stays `[]`.
    if (isSeq(node) || isMap(node)) node.flow = node.items.length === 0;
    return node;
  }

  set(path: FieldPath, value: unknown): void {
    if (path.length === 0) throw new EditConflict(path, 'names no key');
    if (value === undefined) return this.delete(path);
    const parent = this.container(path.slice(0, -1), true)!;
    this.put(parent, path.slice(0, -1), path[path.length - 1]!, value);
  }

  delete(path: FieldPath): void {
    if (path.length === 0) throw new EditConflict(path, 'names no key');
    const parent = this.container(path.slice(0, -1), false);
    if (!parent) return;
    const key = path[path.length - 1]!;
    if (isMap(parent)) {
      const i = parent.items.findIndex((p) => keyText(p.key) === String(key));
      if (i >= 0) parent.items.splice(i, 1);
    } else if (typeof key === 'number' && key < parent.items.length) parent.items.splice(key, 1);
  }

  /** null means "default": the reference's keys say so with null, the project's by being absent. */
  setOrReset(path: FieldPath, value: unknown): void {
    if (value === undefined) return;
    if (value === null && !isReferenceKey(path)) this.delete(path);
    else this.set(path, value);
  }

  private remotesSeq(create: boolean): YAMLSeq | null {
    const root = this.root(create);
    if (!root) return null;
    let node: unknown = root.items.find((p) => keyText(p.key) === 'remotes')?.value;
    if (isAlias(node)) node = node.resolve(this.doc);
    if (isSeq(node)) return node;
    if (!create) return null;
    if (node !== undefined && node !== null && !isSeq(node) && !(isScalar(node) && node.value === null)) {
      throw new EditConflict(['remotes'], 'is not a list, so remotes cannot be added to it');
    }
    const seq = this.asNode([]) as YAMLSeq;
    this.put(root, [], 'remotes', seq);
    return seq;
  }

  private findRemote(seq: YAMLSeq, host: string, port: number | string): number {
    // `[::1]`, `::1` and `0:0:0:0:0:0:0:1`, or `a.org.` and `A.org`, name the same host, in the file as in the edit.
    const bare = (h: string) => hostKey(h);
    const h = bare(host);
    const p = Number(port);
    return seq.items.findIndex((item) => {
      const v = isMap(item) ? (item.toJSON() as Record<string, unknown>) : null;
      return v !== null && bare(String(v['host'])) === h && Number(v['port']) === p;
    });
  }

  replaceRemotes(list: RemoteInput[]): void {
    this.put(this.root(true), [], 'remotes', this.asNode(list.map(remoteValue)));
  }

  /** Returns whether a remote was there to remove. */
  removeRemote(host: string, port: number | string): boolean {
    const seq = this.remotesSeq(false);
    if (!seq) return false;
    let removed = false;
    for (let i = this.findRemote(seq, host, port); i >= 0; i = this.findRemote(seq, host, port)) {
      seq.items.splice(i, 1);
      removed = true;
    }
    return removed;
  }

  addRemote(remote: RemoteInput): void {
    const value = remoteValue(remote);
    const existing = this.remotesSeq(false);
    const i = existing ? this.findRemote(existing, String(value['host']), value['port'] as number) : -1;
    if (existing && i >= 0) {
      this.set(['remotes', i, 'tls'], value['tls']);
      // null removes it (a remote's registration is the project's key: absent means none).
      if (remote.registration === null) this.delete(['remotes', i, 'registration']);
      else if (remote.registration !== undefined) this.set(['remotes', i, 'registration'], value['registration']);
      return;
    }
    const seq = this.remotesSeq(true)!;
    // `remotes: []` (its comment kept) becomes a block list; a flow list the user wrote with items stays flow.
    if (seq.items.length === 0 && seq.flow) {
      seq.flow = false;
      const pair = this.root(true).items.find((p) => keyText(p.key) === 'remotes');
      if (seq.comment && pair && isScalar(pair.key) && !pair.key.comment) {
        pair.key.comment = seq.comment;
        seq.comment = undefined;
      }
    }
    seq.items.push(this.asNode(value) as Node);
  }

  apply(edits: ConfigEdits): void {
    for (const [section, node] of Object.entries(CONFIG_KEYS as ConfigTable)) {
      if (isRemotes(node)) this.applyRemotes(edits.remotes);
      else {
        const values = (edits as Record<string, Record<string, unknown> | undefined>)[section];
        if (values) this.applyKeys([section], node, values);
      }
    }
    for (const [dotted, v] of Object.entries(edits.set ?? {})) this.set(parseField(dotted), v);
  }

  private applyRemotes(r: ConfigEdits['remotes']): void {
    if (!r) return;
    if (r.replace) this.replaceRemotes(r.replace);
    for (const x of r.remove ?? []) this.removeRemote(x.host, x.port);
    for (const x of r.add ?? []) this.addRemote(x);
  }

  private applyKeys(path: string[], node: SectionSpec, values: Record<string, unknown>): void {
    for (const [key, v] of Object.entries(values)) {
      const spec = Object.hasOwn(node, key) ? node[key]! : undefined;
      if (spec && isGroup(spec) && isPlainObject(v)) this.applyKeys([...path, key], spec.keys, v);
      else this.setOrReset([...path, key], spec && !isGroup(spec) ? normalize(spec, v) : v);
    }
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const isScalarValue = (v: unknown) => v === null || (typeof v !== 'object' && typeof v !== 'function');

function isNodeLike(v: unknown): boolean {
  return isMap(v) || isSeq(v) || isScalar(v) || isAlias(v);
}

const valueOr = <T>(r: Field<T>, raw: unknown): unknown => (r.ok ? r.value : raw);

function ghidText(v: unknown): unknown {
  return typeof v === 'object' && v !== null && 'text' in v ? (v as { text: string }).text : valueOr(parseGhidText(v), v);
}

const textOf = (v: unknown): unknown => (typeof v === 'object' && v !== null && 'text' in v ? (v as { text: string }).text : v);

/**
 * Canonical spelling of a valid value; an invalid one is written as given for validation to
 * report. A number typed as text becomes a number, but a size keeps the unit it was given in.
 */
function normalize(spec: KeySpec, v: unknown): unknown {
  if (v === null || v === undefined) return v;
  switch (spec.kind) {
    case 'port':
    case 'verbosity':
    case 'policy':
    case 'server-store':
    case 'registration':
    case 'server-host':
    case 'name-list':
      return valueOr(parserOf(spec)(v), v);
    case 'boolean':
      return typeof v === 'string' ? valueOr(parseBoolean(v), v) : v;
    case 'integer':
    case 'size':
      return typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
    case 'rate':
      return typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
    case 'ghid-list':
      return Array.isArray(v) ? v.map(ghidText) : v;
    case 'ghid':
    case 'secret':
      return textOf(v);
    default:
      return v;
  }
}

function remoteValue(r: RemoteInput): Record<string, unknown> {
  const out: Record<string, unknown> = {
    host: valueOr(parseHost(r.host), r.host),
    port: valueOr(parsePort(r.port), r.port),
    tls: r.tls === undefined ? false : valueOr(parseBoolean(r.tls), r.tls),
  };
  if (r.registration !== undefined && r.registration !== null) out['registration'] = valueOr(parseHttpUrl(r.registration), r.registration);
  return out;
}
