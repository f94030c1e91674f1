/**
 * A tiny parser-combinator kit for values that arrive over a wire (IPC, WebSocket, JSON).
 * Each check returns a freshly built value holding only the keys it knows, so a hostile
 * `__proto__` or an extra field never travels further than the edge. Runs in Node and in
 * the browser (no builtins).
 */

/** Why a value was refused: `code` is stable for programs, `message` names the bad path. */
export class WireError extends Error {
  constructor(
    readonly code: 'bad-request' | 'unknown-request',
    message: string,
  ) {
    super(message);
    this.name = 'WireError';
  }
}

export type Check<T> = (value: unknown, path: string) => T;

const fail = (path: string, what: string): never => {
  throw new WireError('bad-request', `${path || 'message'}: expected ${what}`);
};

/** The path of a member: `path.key`, or `key` alone at the top (no stray leading dot). */
const member = (path: string, key: string | number): string => (path ? `${path}.${key}` : String(key));

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const str =
  (opts: { min?: number; max: number }): Check<string> =>
  (v, path) => {
    if (typeof v !== 'string') return fail(path, 'a string');
    if (v.length < (opts.min ?? 0) || v.length > opts.max) return fail(path, `a string of ${opts.min ?? 0}–${opts.max} characters`);
    return v;
  };

export const bool: Check<boolean> = (v, path) => (typeof v === 'boolean' ? v : fail(path, 'true or false'));

/** Any finite number; ranges are the business of the config rules, not the wire. */
export const num: Check<number> = (v, path) => (typeof v === 'number' && Number.isFinite(v) ? v : fail(path, 'a number'));

export const uint: Check<number> = (v, path) =>
  Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : fail(path, 'a non-negative integer');

export const oneOf =
  <const T extends readonly (string | boolean)[]>(values: T): Check<T[number]> =>
  (v, path) =>
    values.includes(v as T[number]) ? (v as T[number]) : fail(path, `one of ${values.join(', ')}`);

export const arr =
  <T>(item: Check<T>, max: number): Check<T[]> =>
  (v, path) => {
    if (!Array.isArray(v)) return fail(path, 'a list');
    if (v.length > max) return fail(path, `at most ${max} items`);
    // A loop, not map: map skips the holes of a sparse list (structured clone keeps them), and
    // an unchecked undefined would travel on as a T.
    const out: T[] = [];
    for (let i = 0; i < v.length; i++) out.push(item(v[i], member(path, i)));
    return out;
  };

/** A string-keyed map with a bounded number of entries. */
export const dict =
  <T>(value: Check<T>, max: number, keyMax = 256): Check<Record<string, T>> =>
  (v, path) => {
    if (!isRecord(v)) return fail(path, 'an object');
    const keys = Object.keys(v);
    if (keys.length > max) return fail(path, `at most ${max} entries`);
    const out: Record<string, T> = Object.create(null);
    for (const k of keys) {
      if (k.length > keyMax) return fail(path, `keys of at most ${keyMax} characters`);
      out[k] = value(v[k], member(path, k));
    }
    return { ...out };
  };

export const nullable =
  <T>(inner: Check<T>): Check<T | null> =>
  (v, path) =>
    v === null ? null : inner(v, path);

export const optional =
  <T>(inner: Check<T>): Check<T | undefined> =>
  (v, path) =>
    v === undefined ? undefined : inner(v, path);

/**
 * An object with exactly the given keys (extra keys are dropped, not copied). Typing the
 * shape against an interface makes the compiler keep the interface and its check in step.
 */
export const obj =
  <T extends object>(shape: { [K in keyof T]-?: Check<T[K]> }): Check<T> =>
  (v, path) => {
    if (!isRecord(v)) return fail(path, 'an object');
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(shape) as (keyof T & string)[]) {
      const own = Object.prototype.hasOwnProperty.call(v, key) ? v[key] : undefined;
      const parsed = shape[key](own, member(path, key));
      if (parsed !== undefined) out[key] = parsed;
    }
    return out as T;
  };

/**
 * A union discriminated by `kind`. An unknown kind is its own error code so a newer UI talking
 * to an older host learns "not supported" rather than "malformed".
 */
export const byKind =
  <T extends { kind: string }>(cases: { [K in T['kind']]: Check<Extract<T, { kind: K }>> }): Check<T> =>
  (v, path) => {
    if (!isRecord(v) || typeof v.kind !== 'string') return fail(path, 'an object with a "kind"');
    const kind = v.kind;
    if (!Object.prototype.hasOwnProperty.call(cases, kind)) {
      throw new WireError('unknown-request', `${path || 'message'}: unknown kind "${kind.slice(0, 40)}"`);
    }
    return (cases as Record<string, Check<T>>)[kind]!(v, path);
  };

/** Runs a check without throwing. */
export function tryParse<T>(check: Check<T>, value: unknown): { ok: true; value: T } | { ok: false; error: WireError } {
  try {
    return { ok: true, value: check(value, '') };
  } catch (e) {
    if (e instanceof WireError) return { ok: false, error: e };
    // A check is pure; anything else (e.g. a getter throwing) still counts as malformed input.
    return { ok: false, error: new WireError('bad-request', 'message: unreadable') };
  }
}
