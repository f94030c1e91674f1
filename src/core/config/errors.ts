import { DoesNotExist, ValueError } from '../golix/errors.js';

/** A key path inside the file: ['remotes', 1, 'port']. */
export type FieldPath = readonly (string | number)[];

/** `['remotes', 1, 'port']` → `remotes[1].port`: how the field appears in messages and in `ConfigError.field`. */
export function formatField(path: FieldPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

/** `remotes[1].port` or `remotes.1.port` → `['remotes', 1, 'port']`. */
export function parseField(text: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of text.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m || (m[1] === '' && m[2] === '')) throw new ValueError(`Not a config field path: ${JSON.stringify(text)}`);
    if (m[1] !== '') out.push(/^\d+$/.test(m[1]!) ? Number(m[1]) : m[1]!);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/**
 * A configuration file that cannot be used or saved as asked: bad YAML, a bad value, or a file
 * that cannot be read or written. It names the file, the 1-based line (null when the problem
 * has no line, e.g. the file is unreadable) and the field, so the person can go and fix it.
 * When a file has several problems, `all` lists every one (the UI marks each field).
 */
export class ConfigError extends ValueError {
  /** The field as a path, for a UI that keys errors by path. */
  readonly path: FieldPath;
  /** Every problem found in the same pass, this one first. */
  readonly all: readonly ConfigError[];

  constructor(
    readonly file: string,
    readonly line: number | null,
    /** Dotted field, e.g. `remotes[1].port`; null when the problem is not about one field. */
    readonly field: string | null,
    /** What is wrong, readable after the field name. */
    readonly problem: string,
    options?: { cause?: unknown; path?: FieldPath; all?: readonly ConfigError[] },
  ) {
    super(describe(file, line, field, problem), options);
    this.path = options?.path ?? (field ? parseFieldLoose(field) : []);
    this.all = options?.all ?? [this];
  }

  /** The same problems, this one reporting all of them. */
  static collect(errors: readonly ConfigError[]): ConfigError {
    const first = errors[0]!;
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})` : '';
    return new ConfigError(first.file, first.line, first.field, first.problem + more, { path: first.path, all: errors, cause: first.cause });
  }
}

function parseFieldLoose(field: string): (string | number)[] {
  try {
    return parseField(field);
  } catch {
    return [field];
  }
}

function describe(file: string, line: number | null, field: string | null, problem: string): string {
  const where = line === null ? file : `${file}, line ${line}`;
  return visible(field ? `${where}: ${field} ${problem}` : `${where}: ${problem}`);
}

/** Characters a terminal or a dialog shows as nothing (or as a break): controls, format characters, line and paragraph separators. */
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}]|(?![\t\n])\p{Cc}/gu;

/**
 * `text` with every invisible character written as an escape (`\ufeff`), so a message about a
 * key such as "\u200bserver" does not read as one about "server". Tabs and line breaks stay.
 */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (c) => {
    const code = c.codePointAt(0)!;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Whether `text` holds a character that `visible` escapes. */
export const hasInvisible = (text: string): boolean => text.search(INVISIBLE) >= 0;

/** No configuration file exists where one was looked for, and creating one was not asked for. */
export class ConfigNotFound extends DoesNotExist {
  constructor(readonly searched: readonly string[]) {
    super(
      `No hypergolix.yml (or legacy hgx-cfg.json) found. Looked in: ${searched.join(', ')}. ` +
        'Run "hypergolix config" to create one.',
    );
  }
}
