// Examines one object file: parse (hash recomputed), file-name check, signature check.
import { basename } from 'node:path';
import {
  DEFAULT_MAX_OBJECT_BYTES,
  Ghid,
  MalformedGolixPrimitive,
  isSigned,
  parseObject,
  parseObjectAsync,
  signerOf,
  verifyObject,
  type GolixObject,
  type ObjectType,
  type PublicIdentity,
} from '../../core/golix/index.js';

/** How the signature check came out; `signature_ok` is true / false / null accordingly. */
export type SignatureStatus = 'ok' | 'bad' | 'unknown signer' | 'n/a' | 'not checked';

/** The verdict on one file. Field names are those of the `--json` lines. */
export interface Report {
  file: string;
  type: ObjectType | null;
  version: number | null;
  /** Full GHID text (the frame GHID for a GOBD), as stored in the object. */
  ghid: string | null;
  /** The signer: GEOC author, GOBS/GOBD binder, GDXX debinder; null for GIDC and GARQ. */
  author: string | null;
  /** true: recomputed hash matches; false: it does not (an error); null: not parseable. */
  hash_ok: boolean | null;
  /** true / false when the signer's GIDC is among the inputs; null otherwise (see `signature`). */
  signature_ok: boolean | null;
  /** `<ErrorName>: <message>` for every failure, joined by "; "; null when none (the JSON contract). */
  error: string | null;
  /** The same failures as data: what kind each is (the error's name) and its message. */
  problems: Problem[];
  // ---- extra fields
  size: number | null;
  signature: SignatureStatus;
  /** true / false when the file is named `<ghid>.ghid`; null when the name is not a GHID. */
  name_ok: boolean | null;
  /** The parsed object, for the human formatter; never serialized. */
  object: GolixObject | null;
}

/** One thing wrong with a file: its kind (an error class name, for programs) and what happened. */
export interface Problem {
  kind: string;
  message: string;
}

export interface ExamineContext {
  /** Every valid GIDC among the inputs, by GHID text. */
  identities: ReadonlyMap<string, PublicIdentity>;
  /** An unknown signer is an error (InvalidIdentity) instead of just being reported. */
  strict: boolean;
  maxBytes?: number;
}

export function problemOf(err: unknown): Problem {
  return err instanceof Error ? { kind: err.name, message: err.message } : { kind: 'Error', message: String(err) };
}

/** The JSON `error` field: `<kind>: <message>` per problem, joined by "; ". */
export function errorText(problems: readonly Problem[]): string | null {
  return problems.length > 0 ? problems.map((p) => `${p.kind}: ${p.message}`).join('; ') : null;
}

function empty(file: string, size: number | null, problem: Problem): Report {
  return { file, type: null, version: null, ghid: null, author: null, hash_ok: null, signature_ok: null, error: errorText([problem]), problems: [problem], size, signature: 'not checked', name_ok: null, object: null };
}

/**
 * Examines the bytes of one file. Never rejects: every problem ends up in `error`.
 * A structurally sound object whose hash does not match keeps its type and fields, with
 * `hash_ok: false`; anything unparseable has `type: null`.
 */
export async function examine(file: string, raw: Buffer, ctx: ExamineContext): Promise<Report> {
  try {
    return await examineUnsafe(file, raw, ctx);
  } catch (err) {
    return empty(file, raw.length, problemOf(err));
  }
}

async function examineUnsafe(file: string, raw: Buffer, ctx: ExamineContext): Promise<Report> {
  const maxBytes = ctx.maxBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  const errors: Problem[] = [];
  let obj: GolixObject;
  let hashOk = true;
  try {
    obj = await parseObjectAsync(raw, { maxBytes });
  } catch (err) {
    if (!(err instanceof MalformedGolixPrimitive)) throw err;
    // Tell a hash mismatch (own or dynamic GHID) apart from a structural defect: the former
    // parses once the hash checks are skipped.
    try {
      obj = parseObject(raw, { maxBytes, skipHash: true });
    } catch {
      return empty(file, raw.length, problemOf(err));
    }
    hashOk = false;
    errors.push(problemOf(err));
  }

  const nameOk = checkName(file, obj, errors);
  const signer = signerOf(obj);
  let signature: SignatureStatus = 'n/a';
  if (isSigned(obj)) {
    if (!hashOk) {
      signature = 'not checked';
    } else {
      const identity = ctx.identities.get(signer!.text);
      if (!identity) {
        signature = 'unknown signer';
        if (ctx.strict) errors.push({ kind: 'InvalidIdentity', message: `the signer's GIDC (${signer!.text}) is not among the inputs` });
      } else {
        try {
          await verifyObject(obj, identity);
          signature = 'ok';
        } catch (err) {
          signature = 'bad';
          errors.push(problemOf(err));
        }
      }
    }
  }
  return {
    file,
    type: obj.type,
    version: obj.version,
    ghid: obj.ghid.text,
    author: signer?.text ?? null,
    hash_ok: hashOk,
    signature_ok: signature === 'ok' ? true : signature === 'bad' ? false : null,
    error: errorText(errors),
    problems: errors,
    size: raw.length,
    signature,
    name_ok: nameOk,
    object: obj,
  };
}

/** A file named `<ghid>.ghid` must carry that GHID (a GOBD is named after its frame GHID). */
function checkName(file: string, obj: GolixObject, errors: Problem[]): boolean | null {
  const name = basename(file);
  if (!name.endsWith('.ghid')) return null;
  const named = Ghid.tryText(name.slice(0, -'.ghid'.length));
  if (!named) return null;
  if (named.equals(obj.ghid)) return true;
  errors.push({ kind: 'FileNameMismatch', message: `the file is named ${named.text} but the object's GHID is ${obj.ghid.text}` });
  return false;
}

/** The error for a file that could not be read at all (or is too large to try). */
export function unreadable(file: string, size: number | null, err: unknown): Report {
  return empty(file, size, problemOf(err));
}

/** A file larger than the object limit is refused without reading it (size null: one that never ends was not measured). */
export function tooLarge(file: string, size: number | null, maxBytes = DEFAULT_MAX_OBJECT_BYTES): Report {
  const what = size === null ? `Object of more than ${maxBytes} bytes` : `Object of ${size} bytes`;
  return empty(file, size, problemOf(new MalformedGolixPrimitive(`${what} exceeds the ${maxBytes}-byte limit`)));
}
