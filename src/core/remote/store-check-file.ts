/**
 * The state of a server's check of its store (store-check.ts), kept in a file beside its logs
 * (`server.logdir/store-check.json`) for another process: `hypergolix server check` asks a
 * running server for a check now (a signal) and follows it here — how far it is, then what it
 * found, damaged objects named with why. A file, not an HTTP answer: the list names objects
 * nobody outside should learn of, and whoever may read the server's logs may read this.
 *
 * Replaced whole each time (written aside, then renamed), so a reader sees one state or the
 * next, never half of one. It is a report, not data: losing the last one to a power cut costs
 * nothing, so it is not synced.
 */
import { HypergolixError } from '../golix/index.js';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { makeDirs } from '../util/make-dirs.js';
import type { RemoteLogger } from './logger.js';

/** The file's name in `server.logdir`. */
export const STORE_CHECK_FILE = 'store-check.json';
/** The version of the file's layout (`format`). */
const FORMAT = 1;
/** Progress is written at most this often; a check's start and end, at once. */
const PROGRESS_EVERY_MS = 1_000;
/**
 * Damaged objects named in the file, at most (`damagedCount` counts them all; the server's log
 * names each): a disk that failed whole would otherwise make every progress write carry them all.
 */
export const DAMAGED_LISTED = 1_000;

export interface DamagedObjectJson {
  ghid: string;
  why: string;
}

export interface StoreCheckState {
  /** The server process that checks: a reader tells a file left by an earlier run from this one's. */
  pid: number;
  /** A check going on: when it started, objects read of how many. */
  running: { startedAt: string; checked: number; total: number } | null;
  /** The last whole check: when, how many objects read, and what is known damaged at its end (the first DAMAGED_LISTED, and how many in all). */
  last: { startedAt: string; finishedAt: string; checked: number; damaged: DamagedObjectJson[]; damagedCount: number } | null;
  /** The last check that could not go on (the store could not be read), and why. */
  lastFailure: { at: string; message: string } | null;
}

/** The file is there but is no state this version can read. */
export class StoreCheckFileError extends HypergolixError {}

export class StoreCheckFile {
  private writing: Promise<void> = Promise.resolve();
  private lastWrite = 0;
  private failing = false;

  constructor(
    readonly path: string,
    private readonly logger: RemoteLogger,
  ) {}

  /** Writes `state` as it is now (`urgent`: a start or an end; else progress, at most once a second). */
  write(state: StoreCheckState, urgent: boolean): void {
    const now = performance.now();
    if (!urgent && now - this.lastWrite < PROGRESS_EVERY_MS) return;
    this.lastWrite = now;
    const text = `${JSON.stringify({ format: FORMAT, ...state })}\n`;
    this.writing = this.writing.then(() => this.replace(text));
  }

  /** Resolves once every write asked for is done (or has failed, and been logged). */
  flush(): Promise<void> {
    return this.writing;
  }

  private async replace(text: string): Promise<void> {
    try {
      await makeDirs(dirname(this.path));
      await writeFileAtomic(this.path, text, { fsync: false });
      if (this.failing) this.logger.info(`Store check: its state is written to ${this.path} again`);
      this.failing = false;
    } catch (err) {
      // Said once per run of failures: the check itself goes on, only its report is missing.
      if (!this.failing) this.logger.warn(`Store check: cannot write its state to ${this.path} (${(err as Error).message}); hypergolix server check cannot follow it`);
      this.failing = true;
    }
  }
}

/** The state in `path`; null when there is no such file (no check has run with it). */
export async function readStoreCheckFile(path: string): Promise<StoreCheckState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StoreCheckFileError(`Cannot read the store check's state ${path}: ${(err as Error).message}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StoreCheckFileError(`The store check's state ${path} is not JSON`);
  }
  if (!isState(value)) throw new StoreCheckFileError(`The store check's state ${path} is not one this version reads`);
  const { pid, running, last, lastFailure } = value;
  return { pid, running, last, lastFailure };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

function isState(v: unknown): v is StoreCheckState & { format: number } {
  if (!isObject(v) || v.format !== FORMAT || !isCount(v.pid)) return false;
  const { running, last, lastFailure } = v;
  if (running !== null && !(isObject(running) && isTime(running.startedAt) && isCount(running.checked) && isCount(running.total))) return false;
  if (lastFailure !== null && !(isObject(lastFailure) && isTime(lastFailure.at) && typeof lastFailure.message === 'string')) return false;
  if (last === null) return true;
  return (
    isObject(last) &&
    isTime(last.startedAt) &&
    isTime(last.finishedAt) &&
    isCount(last.checked) &&
    isCount(last.damagedCount) &&
    Array.isArray(last.damaged) &&
    last.damaged.length <= Math.min(DAMAGED_LISTED, last.damagedCount) &&
    last.damaged.every((d) => isObject(d) && typeof d.ghid === 'string' && typeof d.why === 'string')
  );
}
