/**
 * The YAML side of the config: parsing with line numbers, and the files we create. Edits made
 * in place on the user's Document are edits.ts's.
 */
import { join } from 'node:path';
import { Composer, Document, LineCounter, Pair, Parser, isAlias, isMap, isSeq, type Alias, type CST, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import { CONFIG_KEYS, type ConfigTable } from '../../common/config-keys.js';
import { isGroup, isRemotes } from '../../common/config-paths.js';
import { keyText, secondDocument, secondDocumentAt, structureProblems, syntaxProblems, tooDeep, type TextProblem } from './checks.js';
import type { FieldPath } from './errors.js';
import { LEGACY_MARKERS, isRetiredKey } from './schema.js';

export { keyText } from './checks.js';

export interface ParsedText {
  doc: Document;
  lines: LineCounter;
  /**
   * What makes the text unusable as a config before any value is checked: too deep, a second
   * document, syntax errors, keys that are no names or are written twice, bad aliases. In the
   * order of the file; a config with any of these is refused.
   */
  problems: TextProblem[];
}

/**
 * Duplicate keys are found by checks.ts in one pass: yaml's own check (uniqueKeys) compares each
 * key with every one before it, which made reading quadratic in the number of keys. Merge keys
 * (`<<: *base`) mean what they mean to the reference's PyYAML.
 */
const PARSE_OPTIONS = { uniqueKeys: false, keepSourceTokens: false, merge: true } as const;

export function parseText(text: string): ParsedText {
  const lines = new LineCounter();
  // A lone CR is a line break in YAML (and to PyYAML); as one character for one it keeps every offset.
  const source = text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
  // yaml's parseDocument, in its parts: the depth and the second document are checked on the
  // tokens, before yaml's recursive composer runs (and with our words, not the library's).
  const tokens = Array.from(new Parser(lines.addNewLine).parse(source));
  const deep = tooDeep(tokens, lines);
  if (deep) return { doc: new Document(null), lines, problems: [deep] };
  const second = secondDocumentAt(tokens);
  const doc = new Composer(PARSE_OPTIONS).compose(second < 0 ? tokens : tokens.slice(0, second), true, source.length).next().value as Document;
  const problems = syntaxProblems(doc, lines, (offset) => pathAtOffset(doc, offset));
  if (second >= 0) problems.push(secondDocument(tokens[second] as CST.Document, lines));
  // Around a syntax error the tree is a guess: its keys and aliases are checked once it parses.
  if (problems.length === 0) problems.push(...structureProblems(doc, lines));
  problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  const newline = text.indexOf('\n');
  if (newline > 0 && text[newline - 1] === '\r') crlfDocs.add(doc);
  noteListLayouts(doc, lines);
  return { doc, lines, problems };
}

// ───────────────────────────── the file's layout, kept on save ─────────────────────────────

/** Documents read from a file with CRLF line ends (its first line decides): a save keeps them. */
const crlfDocs = new WeakSet<Document>();

/**
 * Per block list written as a key's value, whether the file indents its items under the key
 * (`remotes:\n  - host:`), as yaml does by default, or writes them at the key's own
 * indentation (`remotes:\n- host:`), as the reference does (hypergolix-reference §6.1).
 */
const listIndented = new WeakMap<YAMLSeq, boolean>();

/** Documents whose new lists (those the file did not have) follow the reference's layout: the file's first list decides. */
const unindentedLists = new WeakSet<Document>();

/** Records each block list's layout, in document order. */
function noteListLayouts(doc: Document, lines: LineCounter): void {
  let first: boolean | null = null;
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) {
        const { key, value } = node.items[i]!;
        stack.push(value);
        const keyAt = (key as Node | null)?.range?.[0];
        if (!isSeq(value) || value.flow || !value.range || keyAt === undefined) continue;
        const indented = lines.linePos(value.range[0]).col > lines.linePos(keyAt).col;
        listIndented.set(value, indented);
      }
    } else if (isSeq(node)) {
      if (first === null && listIndented.has(node)) first = listIndented.get(node)!;
      for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]);
    }
  }
  if (first === false) unindentedLists.add(doc);
}

/** A copy to edit, which keeps the original's layout: line ends, and each list's indentation. */
export function cloneDocument(doc: Document): Document {
  const copy = doc.clone();
  if (unindentedLists.has(doc)) unindentedLists.add(copy);
  if (crlfDocs.has(doc)) crlfDocs.add(copy);
  // A clone has the same shape, node for node.
  const stack: [unknown, unknown][] = [[doc.contents, copy.contents]];
  while (stack.length > 0) {
    const [a, b] = stack.pop()!;
    if (isMap(a) && isMap(b)) {
      a.items.forEach((p, i) => stack.push([p.key, b.items[i]?.key], [p.value, b.items[i]?.value]));
    } else if (isSeq(a) && isSeq(b)) {
      const indented = listIndented.get(a);
      if (indented !== undefined) listIndented.set(b, indented);
      a.items.forEach((item, i) => stack.push([item, b.items[i]]));
    }
  }
  return copy;
}

/**
 * A Document as saved: line ends and lists laid out as the file had them, no folding (a long
 * path or URL stays on one line, as people expect to find it).
 */
export function renderDocument(doc: Document): string {
  const undo = layListsOut(doc);
  let text: string;
  try {
    text = doc.toString({ lineWidth: 0, indentSeq: !unindentedLists.has(doc) });
  } finally {
    undo();
  }
  // Every line break yaml writes is a "\n": a string holding one is written escaped or as a block scalar.
  return crlfDocs.has(doc) ? text.replace(/\n/g, '\r\n') : text;
}

type PairToString = Pair['toString'];

/**
 * yaml lays out every list of a document one way (its indentSeq option), while a file may indent
 * some lists and not others. For one render, each pair whose value is a list the file had
 * renders with that list's layout; lists inside it that the file did not have (an edit's) take
 * the same. Returns what puts the pairs back as they were.
 */
function layListsOut(doc: Document): () => void {
  const patched: Pair[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      for (const pair of node.items) {
        const indentSeq = isSeq(pair.value) ? listIndented.get(pair.value) : undefined;
        if (indentSeq !== undefined) {
          const own: PairToString = (ctx, onComment, onChompKeep) =>
            Pair.prototype.toString.call(pair, ctx && { ...ctx, options: { ...ctx.options, indentSeq } }, onComment, onChompKeep);
          Object.defineProperty(pair, 'toString', { value: own, configurable: true, writable: true });
          patched.push(pair);
        }
        stack.push(pair.value);
      }
    } else if (isSeq(node)) stack.push(...node.items);
  }
  return () => {
    for (const pair of patched) delete (pair as { toString?: PairToString }).toString;
  };
}

function nodeLine(lines: LineCounter, node: unknown): number | null {
  const range = (node as Node | null | undefined)?.range;
  return range ? lines.linePos(range[0]).line : null;
}

/** The line of the deepest part of `path` that exists in the file (a missing key reports its section's line). */
export function lineOfPath(doc: Document, lines: LineCounter, path: FieldPath): number | null {
  return lineFinder(doc, lines)(path);
}

/**
 * lineOfPath for many paths of one parsed file: each mapping's keys are indexed once, so a file
 * with thousands of unknown keys (a warning, and a line, each) is still read in linear time.
 */
export function lineFinder(doc: Document, lines: LineCounter): (path: FieldPath) => number | null {
  const index = new Map<YAMLMap, Map<string, Pair>>();
  const pairOf = (map: YAMLMap, name: string): Pair | undefined => {
    let keys = index.get(map);
    if (!keys) {
      keys = new Map();
      for (const p of map.items as Pair[]) if (!keys.has(keyText(p.key))) keys.set(keyText(p.key), p);
      index.set(map, keys);
    }
    return keys.get(name);
  };
  // Alias.resolve walks the whole document each time.
  const targets = new Map<unknown, unknown>();
  const follow = (alias: Alias): unknown => {
    if (!targets.has(alias)) targets.set(alias, alias.resolve(doc));
    return targets.get(alias);
  };
  return (path) => {
    let node: unknown = doc.contents;
    let line = nodeLine(lines, node);
    for (const seg of path) {
      if (isAlias(node)) node = follow(node);
      if (isMap(node)) {
        const pair = pairOf(node, String(seg));
        if (!pair) break;
        line = nodeLine(lines, pair.key) ?? nodeLine(lines, pair.value) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        node = node.items[seg];
        line = nodeLine(lines, node) ?? line;
      } else break;
    }
    return line;
  };
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
