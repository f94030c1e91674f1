// `hypergolix inspect PATH...`: looks into Golix object files or a ghidcache.
import { DEFAULT_MAX_OBJECT_BYTES, PublicIdentity } from '../../core/golix/index.js';
import { CliError, type CliIO, type Command } from '../command.js';
import { examine, tooLarge, unreadable, type ExamineContext, type Report } from '../inspect/examine.js';
import { collectFiles } from '../inspect/files.js';
import { FileTooLarge, readKnownSize } from '../inspect/io.js';
import { Tally, humanBlock, jsonLine } from '../inspect/format.js';
import { forEachOrdered, mapLimit } from '../inspect/pool.js';

/** Files read (and objects being verified) at once. */
const IN_FLIGHT = 64;
/** Bytes of file content held at once, beyond the first file. */
const BYTE_BUDGET = 64 * 1024 * 1024;
/** A GIDC v2 is always exactly this long, so only files of this size can be identities. */
const GIDC_SIZE = 1130;
/** Output is written in batches of this many objects. */
const FLUSH_EVERY = 64;

const usage = `Usage: hypergolix inspect [options] PATH...

Looks into Golix objects. Each PATH is an object file (any name) or a directory, such as a
ghidcache, whose *.ghid files are all inspected. Objects are listed sorted by file path.

For every object it prints the file, type, version and GHID (the frame GHID for a GOBD); the
author (GEOC), binder (GOBS, GOBD), debinder (GDXX) or recipient (GARQ); the target (GOBS, GDXX),
the target vector newest first, counter and dynamic GHID (GOBD v16) or the target and history
(GOBD v15); the payload length (GEOC); and whether
  - the hash verifies: the GHID (and a first frame's dynamic GHID) is recomputed. A mismatch is
    an error.
  - the file name matches the GHID, for a file named <ghid>.ghid. A mismatch is an error.
  - the signature verifies (GEOC, GOBS, GOBD, GDXX) with the signer's GIDC. GIDCs are gathered
    from all PATHs first. A bad signature is an error. When the signer's GIDC is not among the
    inputs the signature is reported as "unknown signer" (JSON: signature_ok null), which is not
    a failure unless --strict is given. GIDC and GARQ carry no signature: "n/a" (null).
Unreadable and malformed files are reported (type null, with the error), never skipped.

Options:
  --json           one JSON object per line and per file, with the fields
                   file, type, version, ghid, author, hash_ok, signature_ok, error
                   then extra fields: problems (each failure as {kind, message}),
                   signature ("ok", "bad", "unknown signer", "n/a",
                   "not checked"), name_ok, size, and by type payload_length, binder, debinder,
                   target, targets, history, counter, dynamic, dynamic_verified, recipient.
                   author is the signer (author, binder or debinder); hash_ok is null when the
                   file does not parse. The summary line goes to stderr.
  --full           full GHIDs (default: their first 12 characters)
  -q, --quiet      print only the summary (with --json: one JSON summary object)
  --strict         count an unknown signer as a failure (InvalidIdentity)
  -r, --recursive  also inspect the *.ghid files in subdirectories of a directory PATH
  -h, --help       show this help

Exit status: 0 when every file parses, its hash and name match and every signature that can
be checked verifies; 1 otherwise (also for unknown signers with --strict); 2 for usage errors
(no PATH, a PATH that does not exist, an unknown option).

Files are read ${IN_FLIGHT} at a time and signatures are verified on the libuv thread pool, which
has 4 threads unless UV_THREADPOOL_SIZE says otherwise; on more than 4 cores, run with
UV_THREADPOOL_SIZE set to the number of cores plus 4.`;

interface Options {
  paths: string[];
  json: boolean;
  full: boolean;
  quiet: boolean;
  strict: boolean;
  recursive: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { paths: [], json: false, full: false, quiet: false, strict: false, recursive: false };
  let optionsDone = false;
  const flag = (name: string): void => {
    switch (name) {
      case '--json':
        opts.json = true;
        break;
      case '--full':
        opts.full = true;
        break;
      case '-q':
      case '--quiet':
        opts.quiet = true;
        break;
      case '--strict':
        opts.strict = true;
        break;
      case '-r':
      case '--recursive':
        opts.recursive = true;
        break;
      default:
        throw new CliError(`unknown option ${name}. Run "hypergolix inspect --help" for the options.`, 2);
    }
  };
  for (const arg of argv) {
    if (optionsDone || arg === '-' || !arg.startsWith('-')) opts.paths.push(arg);
    else if (arg === '--') optionsDone = true;
    else if (/^-[a-zA-Z]{2,}$/.test(arg)) for (const c of arg.slice(1)) flag(`-${c}`);
    else flag(arg);
  }
  if (opts.paths.length === 0) throw new CliError('no PATH given. Usage: hypergolix inspect [options] PATH...', 2);
  // "" would resolve to the current directory and inspect whatever lies there.
  if (opts.paths.includes('')) throw new CliError('a PATH is empty (an unset variable?): give a file or a directory', 2);
  return opts;
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const opts = parseArgs(argv);
  const files = await collectFiles(opts.paths, io.cwd, opts.recursive, IN_FLIGHT);
  const maxBytes = DEFAULT_MAX_OBJECT_BYTES;

  // Pass 1: every identity among the inputs, so that any object's signer can be found. A pipe or
  // device named as an argument is read here whatever it holds, since it can be read only once.
  const identities = new Map<string, PublicIdentity>();
  const early = new Map<number, Buffer | { failed: unknown }>();
  const candidates = files.flatMap((f, index) => (!f.statError && (f.size === GIDC_SIZE || (!f.regular && !f.listed)) ? [{ f, index }] : []));
  await mapLimit(candidates, IN_FLIGHT, async ({ f, index }) => {
    let raw: Buffer;
    try {
      raw = await readKnownSize(f.path, f.regular ? GIDC_SIZE : 0, maxBytes);
    } catch (err) {
      if (!f.regular) early.set(index, { failed: err });
      return;
    }
    early.set(index, raw);
    try {
      const identity = PublicIdentity.fromBytes(raw);
      identities.set(identity.ghid.text, identity);
    } catch {
      // Not a valid GIDC after all: pass 2 reports what it is.
    }
  });

  // Pass 2: read, parse and verify with bounded concurrency; print in file order.
  const ctx: ExamineContext = { identities, strict: opts.strict, maxBytes };
  const tally = new Tally();
  let batch: string[] = [];
  const flush = (): void => {
    if (batch.length > 0) io.out(batch.join('\n'));
    batch = [];
  };
  await forEachOrdered(
    files,
    { limit: IN_FLIGHT, byteBudget: BYTE_BUDGET, weight: (f) => Math.min(f.size ?? 0, maxBytes) },
    async (f, index): Promise<Report> => {
      if (f.statError) return unreadable(f.display, null, f.statError);
      // Opening a FIFO found in a folder would wait for a writer for ever; a device may never end.
      if (f.listed && !f.regular) return unreadable(f.display, null, new Error('not a regular file (a folder, FIFO, socket or device), so not read'));
      if (f.regular && f.size !== null && f.size > maxBytes) return tooLarge(f.display, f.size, maxBytes);
      let read: Buffer | { failed: unknown } | undefined = early.get(index);
      early.delete(index);
      if (!read) {
        try {
          read = await readKnownSize(f.path, f.size ?? 0, maxBytes);
        } catch (err) {
          read = { failed: err };
        }
      }
      if (Buffer.isBuffer(read)) return examine(f.display, read, ctx);
      if (read.failed instanceof FileTooLarge) return tooLarge(f.display, null, maxBytes);
      return unreadable(f.display, f.regular ? f.size : null, read.failed);
    },
    (report) => {
      tally.add(report);
      if (opts.quiet) return;
      batch.push(opts.json ? jsonLine(report) : humanBlock(report, { full: opts.full }));
      if (batch.length >= FLUSH_EVERY) flush();
    },
  );
  flush();

  if (opts.json) {
    if (opts.quiet) io.out(tally.json());
    else io.err(tally.line());
  } else {
    io.out(tally.line());
  }
  return tally.failures > 0 ? 1 : 0;
}

export const inspectCommand: Command = {
  name: 'inspect',
  usage,
  run,
};
