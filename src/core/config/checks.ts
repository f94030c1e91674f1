/**
 * What the yaml library leaves to its user, checked on a config's text before its data is built:
 * nesting deep enough to overflow yaml's recursive reader, a second document, syntax errors
 * named by field, keys that are no names or are written twice, and aliases that point nowhere,
 * into themselves, or stand for an unbounded number of values. Each is a problem with its line
 * and field, in words for the person editing the file (never the library's advice to a
 * programmer). Every check is one pass over the file: reading stays linear in its size.
 */
import { CST, isAlias, isMap, isNode, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { showValue } from '../../common/config-fields.js';
import type { FieldPath } from './errors.js';

/** A problem found while reading the text, before any value is checked. */
export interface TextProblem {
  line: number | null;
  path: FieldPath;
  problem: string;
}

/**
 * Lists and mappings nested deeper than this are refused before yaml builds them: its reader
 * recurses once per level and overflows the stack a few thousand levels down, and no
 * configuration comes close (its deepest key, desktop.notifications.daemon_error, is 3 levels).
 */
export const MAX_DEPTH = 64;

/**
 * The values that aliases may add to the file's data, all aliases together. A configuration
 * repeats a few small sections; an "alias bomb" (each alias naming a list of aliases) stands
 * for billions of values in a few lines.
 */
export const MAX_ALIAS_VALUES = 1000;

const lineAt = (lines: LineCounter, offset: number): number => lines.linePos(offset).line;

/** The first collection in the token stream nested deeper than MAX_DEPTH, as a problem; null when none is. */
export function tooDeep(tokens: readonly CST.Token[], lines: LineCounter): TextProblem | null {
  // By hand, with a stack: a recursive walk would overflow on exactly the files it is for.
  const stack: { token: CST.Token | null | undefined; depth: number; section: string | null }[] = [];
  for (let i = tokens.length - 1; i >= 0; i--) stack.push({ token: tokens[i], depth: 0, section: null });
  while (stack.length > 0) {
    const { token, depth, section } = stack.pop()!;
    if (!token) continue;
    if (token.type === 'document') {
      stack.push({ token: token.value, depth, section });
      continue;
    }
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    if (depth >= MAX_DEPTH) {
      // "As YAML reads it": a missing bracket or a broken line can nest everything after it.
      const deep = `lists or mappings nested more than ${MAX_DEPTH} levels deep, as YAML reads it; a configuration needs only a few levels, so check this line and those above it`;
      return { line: lineAt(lines, token.offset), path: section === null ? [] : [section], problem: section === null ? `The file has ${deep}` : `has ${deep}` };
    }
    for (let i = token.items.length - 1; i >= 0; i--) {
      const item = token.items[i]!;
      // The section a too-deep value is in names the field: a person finds `process:` at once.
      // A key yaml cannot read is reported by yaml, as a syntax error: here it names nothing.
      const name = depth === 0 && CST.isScalar(item.key) ? CST.resolveAsScalar(item.key, false, () => undefined)?.value ?? null : section;
      stack.push({ token: item.value, depth: depth + 1, section: name });
      stack.push({ token: item.key, depth: depth + 1, section });
    }
  }
  return null;
}

/** Where a second YAML document starts in the token stream (its index), or -1. */
export function secondDocumentAt(tokens: readonly CST.Token[]): number {
  let seen = 0;
  return tokens.findIndex((t) => t.type === 'document' && ++seen === 2);
}

/** A second document (its CST token), as a problem on the line of its `---`. */
export function secondDocument(token: CST.Document, lines: LineCounter): TextProblem {
  const marker = token.start.find((t) => t.type === 'doc-start');
  return {
    line: lineAt(lines, marker?.offset ?? token.offset),
    path: [],
    problem: marker
      ? '"---" starts a second document here, but a configuration file is one document: delete this line, and move any settings after it into the sections above'
      : 'A second document starts here, after "..." ended the first, but a configuration file is one document: delete the "..." line',
  };
}

/** The parser's syntax errors, each on its line and, where the tree around it can be trusted, its field. */
export function syntaxProblems(doc: Document, lines: LineCounter, pathAt: (offset: number) => FieldPath): TextProblem[] {
  return doc.errors.map((e) => {
    const path = trustedPart(pathAt(e.pos[0]));
    const problem = `${path.length ? 'contains a YAML' : 'YAML'} syntax error: ${e.message}`;
    return { line: lineAt(lines, e.pos[0]), path, problem };
  });
}

/** Around a syntax error the parser's tree is a guess, so only its outer part is trusted: the section, and the item of a list. */
function trustedPart(path: FieldPath): FieldPath {
  const sane = path.findIndex((seg) => typeof seg === 'string' && !/^[\w.-]+$/.test(seg));
  const trusted = sane < 0 ? path : path.slice(0, sane);
  return typeof trusted[1] === 'number' ? trusted.slice(0, 2) : trusted.slice(0, 1);
}

interface Frame {
  node: unknown;
  path: FieldPath;
  /** Set when the node is a key: the names seen so far in its mapping, with their lines. */
  keyOf?: { seen: Map<string, number | null>; map: FieldPath };
}

/**
 * Keys and aliases, in one walk in document order (the order in which yaml resolves an alias to
 * the last anchor before it). A problem here would otherwise surface from yaml's toJS without a
 * line ("Unresolved alias…"), as a process warning on stderr (a list used as a key), or never
 * (a key written twice: the second silently wins).
 */
export function structureProblems(doc: Document, lines: LineCounter): TextProblem[] {
  const problems: TextProblem[] = [];
  const lineOf = (node: unknown): number | null => {
    const range = (node as Node | null | undefined)?.range;
    return range ? lineAt(lines, range[0]) : null;
  };
  const anchors = new Map<string, Node>();
  const targets = new Map<unknown, Node>();
  const sizes = new Map<unknown, number>();
  const IN_PROGRESS = -1;

  /**
   * How many values `node` stands for with its aliases expanded. An alias inside the value its
   * anchor marks (`a: &x [*x]`) counts once: yaml builds it as a value that contains itself, not
   * by copying, and the reference's PyYAML reads it the same way.
   */
  const expanded = (node: unknown): number => {
    if (isAlias(node)) {
      // An alias not yet reached in the walk comes after this point: it is counted when it is reached.
      const target = targets.get(node);
      return target ? expanded(target) : 0;
    }
    if (!isMap(node) && !isSeq(node)) return 1;
    const known = sizes.get(node);
    if (known === IN_PROGRESS) return 1;
    if (known !== undefined) return known;
    sizes.set(node, IN_PROGRESS);
    let n = 1;
    // A mapping's items are pairs; so are those of an !!omap, which is a list.
    for (const item of node.items as unknown[]) n += isPair(item) ? expanded(item.key) + expanded(item.value) : expanded(item);
    sizes.set(node, n);
    return n;
  };

  const unresolved: { problem: TextProblem; source: string }[] = [];
  let added = 0;
  let bombed = false;
  const stack: Frame[] = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const { node, path, keyOf } = stack.pop()!;
    if (!isNode(node)) continue;
    if (node.anchor) anchors.set(node.anchor, node);
    let value: Node | undefined = node;
    if (isAlias(node)) {
      value = anchors.get(node.source);
      if (!value) {
        // Worded once the walk is over, when an anchor of that name further down is known.
        const problem = { line: lineOf(node), path, problem: '' };
        unresolved.push({ problem, source: node.source });
        problems.push(problem);
      } else if (!bombed) {
        targets.set(node, value);
        if ((added += expanded(value)) > MAX_ALIAS_VALUES) {
          bombed = true;
          problems.push({
            line: lineOf(node),
            path,
            problem: `is *${node.source}, and with it the aliases in this file repeat more than ${MAX_ALIAS_VALUES} values; a configuration needs far fewer, so this is refused as an "alias bomb": write the values out instead`,
          });
        }
      }
    }
    if (keyOf && value) checkKey(value, node, keyOf, problems, lineOf);
    if (isMap(node) || isSeq(node)) {
      const keys = { seen: new Map<string, number | null>(), map: path };
      for (let i = node.items.length - 1; i >= 0; i--) {
        const item: unknown = node.items[i];
        if (isPair(item)) {
          stack.push({ node: item.value, path: [...path, keyText(item.key)] });
          stack.push({ node: item.key, path, keyOf: keys });
        } else stack.push({ node: item, path: [...path, i] });
      }
    }
  }
  for (const { problem, source } of unresolved) {
    const later = anchors.get(source);
    problem.problem = later
      ? `is *${source}, but &${source} comes only after it${later.range ? `, on line ${lineOf(later)}` : ''}: an alias must come after the anchor it repeats`
      : `is *${source}, but there is no &${source} to repeat: an alias repeats a value marked earlier with the same name`;
  }
  return problems;
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

/** A key's name as the data will have it (an object property), null for a key that is no name; the merge key `<<` is '<<'. */
function keyName(key: unknown): string | null {
  if (key === null || key === undefined) return 'null';
  if (!isScalar(key)) return null;
  const v = key.value;
  if (typeof v === 'symbol') return '<<';
  return v === null || typeof v !== 'object' ? String(v) : null;
}

/** A key (`value` is what it stands for, through an alias) must be a name, and once in its mapping. */
function checkKey(value: Node, key: Node, at: NonNullable<Frame['keyOf']>, problems: TextProblem[], lineOf: (n: unknown) => number | null): void {
  const name = keyName(value);
  const line = lineOf(key);
  if (name === null) {
    // yaml would turn it into text and warn on stderr; the reference's PyYAML refuses it ("unhashable key").
    const what = isSeq(value) ? 'a list' : isMap(value) ? 'a mapping' : showValue((value as { value?: unknown }).value);
    problems.push({
      line,
      path: at.map,
      problem: at.map.length
        ? `has ${what} as a key; a key must be a name, such as "port"`
        : `${what.charAt(0).toUpperCase()}${what.slice(1)} is used as a key; a key must be a name, such as "process"`,
    });
    return;
  }
  // Several merge keys are several merges, not one key twice.
  if (isScalar(value) && typeof value.value === 'symbol') return;
  const first = at.seen.get(name);
  if (first === undefined) {
    at.seen.set(name, line);
    return;
  }
  problems.push({
    line,
    path: [...at.map, name],
    problem: `is written twice${first === null ? '' : ` (first on line ${first})`}; keys must be unique: keep one and delete the other`,
  });
}
