/**
 * The YAML side of the config: parsing with line numbers, and the files we create. Edits made
 * in place on the user's Document are edits.ts's.
 */
import { join } from 'node:path';
import { Document, LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { CONFIG_KEYS, type ConfigTable } from '../../common/config-keys.js';
import { isGroup, isRemotes } from '../../common/config-paths.js';
import type { FieldPath } from './errors.js';
import { LEGACY_MARKERS, isRetiredKey } from './schema.js';

export interface ParsedText {
  doc: Document;
  lines: LineCounter;
}

export function parseText(text: string): ParsedText {
  const lines = new LineCounter();
  // prettyErrors off: ConfigError builds its own "file, line N: field …" message.
  // A lone CR is a line break in YAML (and to PyYAML); as one character for one it keeps every offset.
  const source = text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
  // Merge keys (`<<: *base`) mean what they mean to the reference's PyYAML.
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false, merge: true });
  if (!listsIndented(text)) unindentedLists.add(doc);
  return { doc, lines };
}

/** Documents whose block lists are written at their key's indentation (the reference's layout). */
const unindentedLists = new WeakSet<Document>();

/**
 * Whether the file writes a block list's items indented under its key (`remotes:\n  - host:`),
 * as yaml does by default, or at the key's own indentation (`remotes:\n- host:`), as the
 * reference does (hypergolix-reference §6.1). The first list decides; a file without one, yaml's way.
 */
function listsIndented(text: string): boolean {
  const rows = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !/^\s*#/.test(l));
  for (let i = 0; i + 1 < rows.length; i++) {
    const key = /^(\s*)[^\s#-][^#]*:\s*(#.*)?$/.exec(rows[i]!);
    const item = /^(\s*)- /.exec(rows[i + 1]!);
    if (key && item) return item[1]!.length > key[1]!.length;
  }
  return true;
}

/** A copy to edit, which keeps the original's layout of lists. */
export function cloneDocument(doc: Document): Document {
  const copy = doc.clone();
  if (unindentedLists.has(doc)) unindentedLists.add(copy);
  return copy;
}

/** A Document as saved: lists laid out as the file had them, no folding (a long path or URL stays on one line, as people expect to find it). */
export function renderDocument(doc: Document): string {
  return doc.toString({ lineWidth: 0, indentSeq: !unindentedLists.has(doc) });
}

/**
 * A mapping key as the config names keys. Only scalars name anything: a mapping or a list used
 * as a key (`? {a: 1}`, or a line of `{{{{`) is described, never stringified, since yaml's
 * stringifying of nested complex keys grows exponentially (a 30-character line ran out of
 * string length).
 */
export const keyText = (key: unknown): string => {
  if (isScalar(key)) return String(key.value);
  if (key === null || key === undefined) return String(key);
  return isMap(key) ? '(a mapping used as a key)' : isSeq(key) ? '(a list used as a key)' : '(a complex key)';
};

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
  const tree: Record<string, unknown> = {};
  for (const [name, node] of Object.entries(CONFIG_KEYS as ConfigTable)) {
    if (isRemotes(node)) {
      tree[name] = [];
      continue;
    }
    const keys = Object.entries(node).flatMap(([key, spec]) => (!isGroup(spec) && spec.reference ? [[key, spec] as const] : []));
    if (keys.length === 0) continue;
    // A path is written out whole, so the file says where things are without knowing the rule.
    tree[name] = Object.fromEntries(keys.map(([key, spec]) => [key, spec.kind === 'path' ? join(dir, spec.default) : spec.default]));
  }
  return tree;
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
    if (LEGACY_MARKERS.has(k) || (path.length === 1 && isRetiredKey(path[0]!, k))) continue;
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
