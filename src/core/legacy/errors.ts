import { DoesNotExist, MalformedGolixPrimitive, ValueError, type Ghid } from '../golix/index.js';

/** Why the restricted pickle decoder refused its input (docs/formats.md, "Accounts made by the Python Hypergolix"). */
export type PickleFault =
  /** An opcode outside the plain-data subset (REDUCE, INST, OBJ, EXT*, PERSID, …) or an unknown byte. */
  | 'opcode'
  /** A class reference outside the allow-list. */
  | 'global'
  /** An allowed class built from unexpected arguments or state, an unhashable key, a duplicate key… */
  | 'shape'
  /** The input ends inside an opcode or an announced length runs past it. */
  | 'truncated'
  /** A bound was exceeded: input size, memo, stack, marks, nesting depth, container size. */
  | 'limit'
  /** Malformed program: stack underflow, missing mark or memo entry, bad PROTO, trailing bytes. */
  | 'structure';

/**
 * A pickle the restricted decoder will not read. Nothing was imported, called or executed: the
 * decoder never does. `offset` is where the offending opcode starts.
 */
export class PickleRefused extends MalformedGolixPrimitive {
  constructor(
    readonly fault: PickleFault,
    readonly offset: number,
    /** The opcode's name (e.g. "REDUCE"), or `0xNN` for a byte that is no opcode. */
    readonly opcode: string | null,
    /** The class concerned, `module.qualname`, when there is one. */
    readonly className: string | null,
    detail: string,
  ) {
    const what = [opcode && `opcode ${opcode}`, className && `class ${className}`].filter(Boolean).join(', ');
    super(`Pickle refused at offset ${offset}${what ? ` (${what})` : ''}: ${detail}`);
  }
}

/** Account formats this project can recognise. */
export type AccountFormat = 'ours' | LegacyFormat;
/** Formats of accounts made by the Python Hypergolix: its head (0.1.0) and the September-2016 code. */
export type LegacyFormat = 'reference-0.1' | '2016';

/**
 * The user ID does not name an account of the format a reader handles. `found` says what it is
 * instead, when the shapes tell; a caller can try the reader of that format next.
 */
export class NotThisFormat extends ValueError {
  constructor(
    readonly expected: AccountFormat | 'any',
    readonly found: AccountFormat | null,
    message: string,
  ) {
    super(message);
  }
}

// One class for a damaged account, whichever format: hosts tell it from a wrong password by class.
export { DamagedAccount } from '../account/errors.js';

/** An object the account needs is in no source: `role` says which (e.g. "root node", "dispatch_tokens container"). */
export class LegacyObjectMissing extends DoesNotExist {
  constructor(
    readonly ghid: Ghid,
    readonly role: string,
  ) {
    super(`The ${role} (${ghid.short}) is not stored locally or on any remote`);
  }
}
