/**
 * Where a server keeps the extra GARQ variants (garq-variants.ts) across restarts: an append-only
 * file beside the ghidcache, `<ghidcache>.garq-variants`, one record per variant (a 4-byte
 * big-endian length, then the GARQ's bytes). A variant is on disk before its publish is answered,
 * so a restart cannot leave only a forged copy behind. The file is rewritten at start with the
 * variants whose GARQ is still stored; a torn last record (a crash mid-append) is dropped.
 */
import { AppendLog } from '../util/append-log.js';
import { nodeFs, type FsOps } from '../util/fs-ops.js';

/** What GarqVariants needs of its persistence. */
export interface VariantLog {
  /** Resolves once `raw` is durable; rejects (nothing kept) when it cannot be written. */
  append(raw: Buffer): Promise<void>;
  /** Replaces the whole file with these variants, atomically. */
  rewrite(raws: readonly Buffer[]): Promise<void>;
  close(): Promise<void>;
}

/** An opened log and what it held. */
export interface OpenedVariantLog {
  log: VariantLog;
  raws: Buffer[];
  /** A torn or unreadable tail that was dropped, said in words. */
  warnings: string[];
}

const HEAD = 4;

function record(raw: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEAD + raw.length);
  out.writeUInt32BE(raw.length, 0);
  raw.copy(out, HEAD);
  return out;
}

/** The records of a log's bytes, and whether a torn tail was left over. */
export function parseVariantLog(data: Buffer): { raws: Buffer[]; torn: boolean } {
  const raws: Buffer[] = [];
  let at = 0;
  while (at + HEAD <= data.length) {
    const length = data.readUInt32BE(at);
    if (length === 0 || at + HEAD + length > data.length) break;
    raws.push(Buffer.from(data.subarray(at + HEAD, at + HEAD + length)));
    at += HEAD + length;
  }
  return { raws, torn: at !== data.length };
}

export class FileVariantLog implements VariantLog {
  private constructor(private readonly file: AppendLog) {}

  /** The log of the ghidcache at `ghidcache`. */
  static pathFor(ghidcache: string): string {
    return `${ghidcache}.garq-variants`;
  }

  static async open(path: string, fs: FsOps = nodeFs): Promise<OpenedVariantLog> {
    const { log, data } = await AppendLog.open(path, fs);
    const { raws, torn } = parseVariantLog(data);
    const warnings = torn ? [`${path}: dropped a torn last record (a write cut short); ${raws.length} GARQ variant(s) kept`] : [];
    return { log: new FileVariantLog(log), raws, warnings };
  }

  append(raw: Buffer): Promise<void> {
    return this.file.append([record(raw)]);
  }

  rewrite(raws: readonly Buffer[]): Promise<void> {
    return this.file.replace(() => Buffer.concat(raws.map(record)));
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
