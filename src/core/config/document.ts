/**
 * The YAML side of the config: parsing with line numbers, the files we create, and edits made
 * in place on the user's Document so that comments, key order and formatting of everything
 * not edited survive a save.
 */
import { Document, LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import {
  parseBoolean,
  parseGhidText,
  parseHost,
  parseHttpUrl,
  parsePort,
  parseServerHost,
  parseSharingPolicy,
  parseVerbosity,
  type Field,
  type Verbosity,
  type SharingPolicy,
} from '../../common/config-fields.js';
import type { Ghid } from '../golix/ghid.js';
import type { Secret } from '../golix/secret.js';
import { parseField, type FieldPath } from './errors.js';
import {
  DEFAULT_IPC_PORT,
  DEFAULT_SERVER_PORT,
  KNOWN_KEYS,
  LEGACY_MARKERS,
  REMOTE_KEYS,
  SECTION_ORDER,
  defaultPaths,
  isReferenceKey,
} from './schema.js';

export interface ParsedText {
  doc: Document;
  lines: LineCounter;
}

export function parseText(text: string): ParsedText {
  const lines = new LineCounter();
  // prettyErrors off: ConfigError builds its own "file, line N: field …" message.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
  return { doc, lines };
}

const keyText = (key: unknown): string => (isScalar(key) ? String(key.value) : String(key));

function nodeLine(lines: LineCounter, node: unknown): number | null {
  const range = (node as Node | null | undefined)?.range;
  return range ? lines.linePos(range[0]).line : null;
}

/** The line of the deepest part of `path` that exists in the file (a missing key reports its section's line). */
export function lineOfPath(doc: Document, lines: LineCounter, path: FieldPath): number | null {
  let node: unknown = doc.contents;
  let line = nodeLine(lines, node);
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (!pair) break;
      line = nodeLine(lines, pair.key) ?? nodeLine(lines, pair.value) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      line = nodeLine(lines, node) ?? line;
    } else break;
  }
  return line;
}

/** The key path that encloses a byte offset (where a syntax error was found), for naming the field. */
export function pathAtOffset(doc: Document, offset: number): (string | number)[] {
  const out: (string | number)[] = [];
  let node: unknown = doc.contents;
  const within = (start: number | undefined, end: number | undefined) =>
    start !== undefined && end !== undefined && start <= offset && offset <= end;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => {
        const k = (p.key as Node | null)?.range;
        const v = (p.value as Node | null)?.range ?? k;
        return within(k?.[0], v?.[2]);
      });
      if (!pair) return out;
      out.push(keyText(pair.key));
      node = pair.value;
    } else if (isSeq(node)) {
      const i = node.items.findIndex((item) => within((item as Node | null)?.range?.[0], (item as Node | null)?.range?.[2]));
      if (i < 0) return out;
      out.push(i);
      node = node.items[i];
    } else return out;
  }
}

// ───────────────────────────── files we write ─────────────────────────────

const HEADER = [
  ' Hypergolix configuration. Edit it by hand or with "hypergolix config"; Hypergolix keeps',
  ' your comments and the order of keys when it saves this file. The sections and keys are',
  ' described by "hypergolix config --help".',
].join('\n');

/** The reference's sections with their defaults written out (§6.1), as a new file holds them. */
function defaultTree(dir: string): Record<string, unknown> {
  const d = defaultPaths(dir);
  return {
    process: { ...d.process, ipc_port: DEFAULT_IPC_PORT },
    instrumentation: { verbosity: 'info', debug: false, traceur: false },
    user: { fingerprint: null, user_id: null, root_secret: null },
    remotes: [],
    server: { ...d.server, host: '127.0.0.1', port: DEFAULT_SERVER_PORT, verbosity: 'info', debug: false },
  };
}

/**
 * A new config: every reference key written out, so a Python reference daemon reading the same
 * file gets the same values, including separate server directories (defect 31). Project keys are
 * left out and take their defaults until someone sets them.
 */
export function defaultDocument(dir: string): Document {
  const doc = new Document(defaultTree(dir));
  doc.commentBefore = HEADER;
  return doc;
}

const isPlainMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Strips the 2016 marker keys (and user.password, which was always null) from a JSON value. */
function stripLegacy(v: unknown, path: string[]): unknown {
  if (Array.isArray(v)) return v.map((x) => stripLegacy(x, path));
  if (!isPlainMap(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (LEGACY_MARKERS.has(k) || (path.length === 1 && path[0] === 'user' && k === 'password')) continue;
    out[k] = stripLegacy(x, [...path, k]);
  }
  return out;
}

/**
 * The YAML a legacy `hgx-cfg.json` becomes (§6.3): the reference layout with defaults for what the
 * old file lacked, its values (user IDs, remotes, verbosity, IPC port) carried over, and its
 * unknown keys kept after the known ones.
 */
export function legacyDocument(value: unknown, dir: string, from: string): Document {
  const tree = defaultTree(dir);
  const src = stripLegacy(value, []);
  if (isPlainMap(src)) {
    for (const [k, v] of Object.entries(src)) {
      const base = tree[k];
      if (isPlainMap(base) && isPlainMap(v)) tree[k] = { ...base, ...v };
      else if (v !== undefined) tree[k] = v;
    }
  }
  const doc = new Document(tree);
  doc.commentBefore = `${HEADER}\n Converted from ${from}; the original is kept beside this file with ".bak" added.`;
  return doc;
}

// ───────────────────────────── edits ─────────────────────────────

type GhidLike = Ghid | string;

export interface RemoteInput {
  host: string;
  port: number | string;
  tls?: boolean | string;
  /** http(s) URL; null removes it. */
  registration?: string | null;
}

/**
 * A change to the config. Each present key is written; `null` resets a key to its default
 * (written as `null` for the reference's keys, which is how the reference spells "default", and
 * removed for the project's). Values are normalized when valid ('loud' → info, '7770' → 7770)
 * and written as given otherwise, so the validation of the whole result names the bad field.
 */
export interface ConfigEdits {
  user?: { fingerprint?: GhidLike | null; user_id?: GhidLike | null; root_secret?: Secret | string | null };
  /** Applied in this order: replace, remove, add. Hosts compare case-insensitively. */
  remotes?: {
    replace?: RemoteInput[];
    remove?: { host: string; port: number | string }[];
    /** Adding a remote that is already there (same host and port) updates its tls and registration. */
    add?: RemoteInput[];
  };
  instrumentation?: { verbosity?: Verbosity | string | null; debug?: boolean | null };
  process?: {
    ghidcache?: string | null;
    logdir?: string | null;
    pid_file?: string | null;
    ipc_port?: number | string | null;
    ipc_legacy_clients?: boolean | null;
  };
  server?: {
    ghidcache?: string | null;
    logdir?: string | null;
    pid_file?: string | null;
    host?: string | null;
    port?: number | string | null;
    verbosity?: Verbosity | string | null;
    debug?: boolean | null;
    max_message_bytes?: number | string | null;
    accept_v15?: boolean | null;
    max_subscriptions?: number | string | null;
    publish_allowlist?: GhidLike[] | null;
    quota_bytes_per_identity?: number | string | null;
    quota_objects_per_identity?: number | string | null;
    publish_rate_per_identity?: number | string | null;
    publish_burst?: number | string | null;
    unsigned_publish_rate_per_connection?: number | string | null;
  };
  sharing?: { accept?: SharingPolicy | string | null; block?: GhidLike[] | null };
  desktop?: {
    embedded_server?: boolean | null;
    start_at_login?: boolean | null;
    notifications?: { incoming_share?: boolean | null; share_result?: boolean | null; remote_unreachable?: boolean | null; daemon_error?: boolean | null };
    unlock_automatically?: boolean | null;
  };
  /** Any key by dotted path (`server.port`, `remotes[0].tls`, `myapp.colour`); `undefined` removes it. */
  set?: Record<string, unknown>;
}

/** Where a new key goes among its siblings, so added keys land where the reference writes them. */
function siblingOrder(parent: FieldPath): readonly string[] {
  if (parent.length === 0) return SECTION_ORDER;
  if (parent.length === 1) return KNOWN_KEYS[String(parent[0])] ?? [];
  if (parent.length === 2 && parent[0] === 'remotes') return REMOTE_KEYS;
  if (parent.length === 2 && parent[0] === 'desktop' && parent[1] === 'notifications') {
    return ['incoming_share', 'share_result', 'remote_unreachable', 'daemon_error'];
  }
  return [];
}

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

  private root(): YAMLMap {
    const c = this.doc.contents;
    if (isMap(c)) return c;
    if (c === null || (isScalar(c) && (c.value === null || c.value === undefined))) {
      const map = this.doc.createNode({}) as YAMLMap;
      this.doc.contents = map;
      return map;
    }
    throw new EditConflict([], 'the file does not hold sections of settings, so it cannot be edited');
  }

  /** The collection at `path`, creating maps for missing or null steps. */
  private container(path: FieldPath, create: boolean): YAMLMap | YAMLSeq | null {
    let node: YAMLMap | YAMLSeq = this.root();
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
      else pair.value = this.asNode(value);
      return;
    }
    // After the last sibling that precedes it in the reference order, else before the first that follows it.
    const order = siblingOrder(parentPath);
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
    const root = this.root();
    let node: unknown = root.items.find((p) => keyText(p.key) === 'remotes')?.value;
    if (isAlias(node)) node = node.resolve(this.doc);
    if (isSeq(node) && (node.items.length > 0 || !create)) return node;
    if (!create) return null;
    if (node !== undefined && node !== null && !isSeq(node) && !(isScalar(node) && node.value === null)) {
      throw new EditConflict(['remotes'], 'is not a list, so remotes cannot be added to it');
    }
    const seq = this.asNode([]) as YAMLSeq;
    this.put(root, [], 'remotes', seq);
    return seq;
  }

  private findRemote(seq: YAMLSeq, host: string, port: number | string): number {
    const h = host.trim().replace(/^\[(.*)\]$/, '$1').toLowerCase();
    const p = Number(port);
    return seq.items.findIndex((item) => {
      const v = isMap(item) ? (item.toJSON() as Record<string, unknown>) : null;
      return v !== null && String(v['host']).toLowerCase() === h && Number(v['port']) === p;
    });
  }

  replaceRemotes(list: RemoteInput[]): void {
    this.put(this.root(), [], 'remotes', this.asNode(list.map(remoteValue)));
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
      if (remote.registration !== undefined) this.setOrReset(['remotes', i, 'registration'], value['registration'] ?? null);
      return;
    }
    const seq = this.remotesSeq(true)!;
    if (seq.items.length === 0) seq.flow = false;
    seq.items.push(this.asNode(value) as Node);
  }

  apply(edits: ConfigEdits): void {
    const u = edits.user;
    if (u) {
      for (const key of ['fingerprint', 'user_id', 'root_secret'] as const) {
        const v = u[key];
        this.setOrReset(['user', key], v === undefined || v === null || typeof v === 'string' ? v : v.text);
      }
    }
    const r = edits.remotes;
    if (r) {
      if (r.replace) this.replaceRemotes(r.replace);
      for (const x of r.remove ?? []) this.removeRemote(x.host, x.port);
      for (const x of r.add ?? []) this.addRemote(x);
    }
    const sections: Array<[string, Record<string, unknown> | undefined]> = [
      ['instrumentation', edits.instrumentation],
      ['process', edits.process],
      ['server', edits.server],
      ['sharing', edits.sharing],
      ['desktop', edits.desktop],
    ];
    for (const [section, values] of sections) {
      if (!values) continue;
      for (const [key, v] of Object.entries(values)) {
        if (section === 'desktop' && key === 'notifications' && v !== null && typeof v === 'object') {
          for (const [nk, nv] of Object.entries(v)) this.setOrReset([section, key, nk], nv);
          continue;
        }
        this.setOrReset([section, key], normalize(section, key, v));
      }
    }
    for (const [dotted, v] of Object.entries(edits.set ?? {})) this.set(parseField(dotted), v);
  }
}

const isScalarValue = (v: unknown) => v === null || (typeof v !== 'object' && typeof v !== 'function');

function isNodeLike(v: unknown): boolean {
  return isMap(v) || isSeq(v) || isScalar(v) || isAlias(v);
}

const valueOr = <T>(r: Field<T>, raw: unknown): unknown => (r.ok ? r.value : raw);

function ghidText(v: unknown): unknown {
  return typeof v === 'object' && v !== null && 'text' in v ? (v as { text: string }).text : valueOr(parseGhidText(v), v);
}

/** Canonical spelling of a valid value; an invalid one is written as given for validation to report. */
function normalize(section: string, key: string, v: unknown): unknown {
  if (v === null || v === undefined) return v;
  switch (key) {
    case 'port':
    case 'ipc_port':
      return valueOr(parsePort(v), v);
    case 'verbosity':
      return valueOr(parseVerbosity(v), v);
    case 'host':
      return section === 'server' ? valueOr(parseServerHost(v), v) : valueOr(parseHost(v), v);
    case 'accept':
      return valueOr(parseSharingPolicy(v), v);
    case 'block':
    case 'publish_allowlist':
      return Array.isArray(v) ? v.map(ghidText) : v;
    case 'max_subscriptions':
    case 'max_message_bytes':
    case 'quota_bytes_per_identity':
    case 'quota_objects_per_identity':
    case 'publish_burst':
      return typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
    case 'publish_rate_per_identity':
    case 'unsigned_publish_rate_per_connection':
      return typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
    default:
      return typeof v === 'string' && ['debug', 'accept_v15', 'ipc_legacy_clients', 'embedded_server', 'start_at_login', 'unlock_automatically'].includes(key)
        ? valueOr(parseBoolean(v), v)
        : v;
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
