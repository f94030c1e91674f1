// Output of `hypergolix inspect`: JSON lines, human blocks and the summary.
import { basename, dirname, join } from 'node:path';
import { Ghid, type ObjectType } from '../../core/golix/index.js';
import type { Report } from './examine.js';

const TYPES: readonly ObjectType[] = ['GIDC', 'GEOC', 'GOBS', 'GOBD', 'GDXX', 'GARQ'];

/** u64 counters as JSON numbers while exact, as decimal strings beyond 2^53. */
function counterValue(counter: bigint | null): number | string | null {
  if (counter === null) return null;
  return counter <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(counter) : counter.toString();
}

/** Each kind of problem in plain words, for people (the kind itself stays in --json). */
const PROBLEM_WORDS: Record<string, string> = {
  MalformedGolixPrimitive: 'not a valid Golix object',
  VerificationFailure: 'the signature does not verify',
  InvalidIdentity: "the signer's identity is not among the inputs",
  FileNameMismatch: 'wrong file name',
};

/** One `--json` line: the eight required fields first, then the extra fields for the type. */
export function jsonLine(r: Report): string {
  const out: Record<string, unknown> = {
    file: r.file,
    type: r.type,
    version: r.version,
    ghid: r.ghid,
    author: r.author,
    hash_ok: r.hash_ok,
    signature_ok: r.signature_ok,
    error: r.error,
    problems: r.problems,
    signature: r.signature,
    name_ok: r.name_ok,
    size: r.size,
  };
  const o = r.object;
  switch (o?.type) {
    case 'GEOC':
      out.payload_length = o.payload.length;
      break;
    case 'GOBS':
      out.binder = o.binder.text;
      out.target = o.target.text;
      break;
    case 'GDXX':
      out.debinder = o.debinder.text;
      out.target = o.target.text;
      break;
    case 'GOBD':
      out.binder = o.binder.text;
      out.counter = counterValue(o.counter);
      out.dynamic = o.dynamic.text;
      out.dynamic_verified = o.dynamicVerified;
      out.targets = o.targets.map((t) => t.text);
      if (o.version === 15) out.history = o.history.map((h) => h.text);
      break;
    case 'GARQ':
      out.recipient = o.recipient.text;
      break;
    default:
      break;
  }
  return JSON.stringify(out);
}

export interface HumanOptions {
  full: boolean;
}

function g(ghid: Ghid | string | null, opts: HumanOptions): string {
  if (ghid === null) return '?';
  const text = typeof ghid === 'string' ? ghid : ghid.text;
  return opts.full ? text : text.slice(0, 12) + '…';
}

/** The file path, with a `<ghid>.ghid` base name shortened like any GHID unless `--full`. */
function displayFile(shown: string, opts: HumanOptions): string {
  // A name is the file system's: control characters in it must not make lines or move the cursor.
  const file = shown.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  if (opts.full) return file;
  const name = basename(file);
  if (!name.endsWith('.ghid') || !Ghid.tryText(name.slice(0, -5))) return file;
  return join(dirname(file), `${name.slice(0, 12)}….ghid`);
}

const SIGNATURE_WORDS: Record<Report['signature'], string> = {
  ok: 'signature ok',
  bad: 'signature BAD',
  'unknown signer': 'signature unknown signer',
  'n/a': 'signature n/a',
  'not checked': 'signature not checked',
};

/** A block of two to four lines per object. */
export function humanBlock(r: Report, opts: HumanOptions): string {
  const lines = [displayFile(r.file, opts)];
  const o = r.object;
  if (o === null) {
    const what = r.error?.startsWith('MalformedGolixPrimitive') ? 'malformed' : 'unreadable';
    lines.push(`  ${what} (${r.size === null ? 'size unknown' : `${r.size} bytes`})`);
  } else {
    const hash = r.hash_ok ? 'hash ok' : 'hash MISMATCH';
    const name = r.name_ok === false ? '  name MISMATCH' : '';
    lines.push(`  ${o.type} v${o.version}  ${g(o.ghid, opts)}  ${hash}  ${SIGNATURE_WORDS[r.signature]}${name}`);
    const list = (ghids: readonly Ghid[]) => ghids.map((x) => g(x, opts)).join(' ');
    switch (o.type) {
      case 'GIDC':
        lines.push(`  identity (${o.raw.length} bytes)`);
        break;
      case 'GEOC':
        lines.push(`  author ${g(o.author, opts)}  payload ${o.payload.length} bytes`);
        break;
      case 'GOBS':
        lines.push(`  binder ${g(o.binder, opts)}  target ${g(o.target, opts)}`);
        break;
      case 'GDXX':
        lines.push(`  debinder ${g(o.debinder, opts)}  target ${g(o.target, opts)}`);
        break;
      case 'GOBD':
        if (o.version === 15) {
          lines.push(`  binder ${g(o.binder, opts)}  dynamic ${g(o.dynamic, opts)}  target ${g(o.targets[0] ?? null, opts)}`);
          lines.push(`  history ${o.history.length === 0 ? 'none (first frame)' : `${list(o.history)} (newest first)`}`);
        } else {
          lines.push(`  binder ${g(o.binder, opts)}  counter ${o.counter}  dynamic ${g(o.dynamic, opts)}`);
          lines.push(`  targets ${list(o.targets)}${o.targets.length > 1 ? ' (newest first)' : ''}`);
        }
        break;
      case 'GARQ':
        lines.push(`  recipient ${g(o.recipient, opts)}  (author sealed inside)`);
        break;
    }
  }
  for (const p of r.problems) lines.push(`  error: ${PROBLEM_WORDS[p.kind] ?? 'could not be read'}: ${p.message}`);
  return lines.join('\n');
}

/** Running totals for the summary line. */
export class Tally {
  objects = 0;
  failures = 0;
  readonly byType = new Map<string, number>();
  readonly signatures = { ok: 0, bad: 0, unknown_signer: 0 };

  add(r: Report): void {
    this.objects++;
    const key = r.type ?? 'invalid';
    this.byType.set(key, (this.byType.get(key) ?? 0) + 1);
    if (r.signature === 'ok') this.signatures.ok++;
    else if (r.signature === 'bad') this.signatures.bad++;
    else if (r.signature === 'unknown signer') this.signatures.unknown_signer++;
    if (r.error !== null) this.failures++;
  }

  private orderedTypes(): [string, number][] {
    return [...TYPES, 'invalid'].filter((t) => this.byType.has(t)).map((t) => [t, this.byType.get(t)!]);
  }

  line(): string {
    const types = this.orderedTypes().map(([t, n]) => `${n} ${t}`);
    const s = this.signatures;
    return (
      `${this.objects} object${this.objects === 1 ? '' : 's'}${types.length > 0 ? ` (${types.join(', ')})` : ''}; ` +
      `signatures: ${s.ok} ok, ${s.bad} bad, ${s.unknown_signer} unknown signer; ` +
      `${this.failures} failure${this.failures === 1 ? '' : 's'}`
    );
  }

  json(): string {
    return JSON.stringify({ summary: true, objects: this.objects, by_type: Object.fromEntries(this.orderedTypes()), signatures: this.signatures, failures: this.failures });
  }
}
