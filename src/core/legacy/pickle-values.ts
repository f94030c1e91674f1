import type { Ghid, Secret } from '../golix/index.js';

/**
 * What the restricted pickle decoder produces: plain data only. Python's built-in containers keep
 * their kind (tuple, list, dict, set, each in stream order), and the reference's few classes
 * become typed values (pickle-classes.ts). Bytes are Buffers; integers are safe JS numbers.
 */
export type PyValue =
  | null
  | boolean
  | number
  | string
  | Buffer
  | Ghid
  | Secret
  | PyTuple
  | PyList
  | PyDict
  | PySet
  | SetMap
  | ShareLog
  | SharePair;

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

export class PyList {
  readonly items: PyValue[] = [];
}

/** A dict in stream order. Keys are unique (the decoder refuses a repeated key). */
export class PyDict {
  readonly entries: [PyValue, PyValue][] = [];

  /** The value under a string key (the attribute dicts of class state use them). */
  get(key: string): PyValue | undefined {
    return this.entries.find(([k]) => k === key)?.[1];
  }
}

/** A set in stream order. Items are unique. */
export class PySet {
  readonly items: PyValue[] = [];
}

/** `hypergolix.utils.SetMap`: each key maps to a set. */
export class SetMap {
  constructor(readonly entries: readonly (readonly [PyValue, PySet])[]) {}
}

/**
 * `_ShareLog(ghid, identity)`: a share nobody picked up yet (HEAD `hypergolix.dispatch`, 2016
 * `hypergolix.ipc`). `origin` is the sharer's fingerprint.
 */
export class ShareLog {
  constructor(
    readonly ghid: Ghid,
    readonly origin: Ghid,
  ) {}
}

/** `hypergolix.rolodex._SharePair(ghid, recipient)`: an object shared with someone, awaiting the answer. */
export class SharePair {
  constructor(
    readonly ghid: Ghid,
    readonly recipient: Ghid,
  ) {}
}
