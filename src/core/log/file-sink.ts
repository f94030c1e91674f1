import { closeSync, fstatSync, ftruncateSync, openSync, renameSync, unlinkSync, writeSync, constants } from 'node:fs';
import { makeDirsSync } from '../util/make-dirs.js';
import { dirname, extname } from 'node:path';

export interface FileSinkOptions {
  /** Rotate once the file would grow past this many bytes. */
  maxSize: number;
  /** Rotated files kept beside the live one (`name.1.log` newest … `name.N.log` oldest). */
  maxFiles: number;
  /** How often (ms) to check whether the file was deleted under us. */
  checkIntervalMs?: number;
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/**
 * An append-only log file with size rotation, written synchronously through one open descriptor.
 *
 * Synchronous on purpose: a crash must not lose the lines just before it, and one `write(2)` on an
 * open descriptor costs microseconds. electron-log's own file transport was not used because it
 * reopens the file for every line, keeps a single `.old` backup, never recovers once its directory
 * is deleted (it reports every later line to the console instead), and reports write errors through
 * one process-wide registry bound to the first logger's console.
 *
 * Nothing here throws after construction: write failures are counted and summarised in the file
 * once writing works again.
 */
export class FileSink {
  path: string;
  /** The name asked for: a new file taken by another start meanwhile moves to its next free `_n`. */
  private readonly base: string;
  /** Our file's inode: a file found under our name later may be another start's. */
  private ino: number | null = null;
  /** A failed write left part of a line that could not be cut back: the next write starts a new line. */
  private midLine = false;
  private fd: number | null = null;
  private size = 0;
  private lastCheck = 0;
  private lastReopenAttempt = 0;
  private dropped = 0;
  private lastError: string | null = null;
  private closed = false;
  private readonly maxSize: number;
  private readonly maxFiles: number;
  private readonly checkIntervalMs: number;

  /** Creates the directory (0700) and a new file (0600); throws if either is impossible. */
  constructor(path: string, options: FileSinkOptions) {
    this.maxSize = options.maxSize;
    this.maxFiles = Math.max(0, Math.floor(options.maxFiles));
    this.checkIntervalMs = options.checkIntervalMs ?? 1000;
    this.path = this.base = path;
    this.create();
  }

  /**
   * A new file under our name, else the next free `_n` (O_EXCL): two starts within the same
   * second must get two files, not interleave in one. Throws when none can be made.
   */
  private create(): void {
    makeDirsSync(dirname(this.base), DIR_MODE);
    const first = this.path === this.base ? 1 : Number(/_(\d+)(?:\.[^.]*)?$/.exec(this.path)?.[1] ?? 1);
    for (let n = first; ; n++) {
      const candidate = n === 1 ? this.base : insertSuffix(this.base, `_${n}`);
      try {
        this.fd = openSync(candidate, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND, FILE_MODE);
        this.path = candidate;
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 100) throw err;
      }
    }
    const st = fstatSync(this.fd!);
    this.ino = st.ino;
    this.size = st.size;
    this.lastCheck = Date.now();
  }

  write(line: string): void {
    if (this.closed) return;
    try {
      this.ensureOpen();
      if (this.fd === null) {
        // (Waiting to try again: the failure that closed it is the one to tell.)
        this.drop(this.lastError ?? 'log file is not open');
        return;
      }
      // The note of lines lost goes with the next line, in one write: on a disk still full
      // neither lands (the note would fit where the line does not), and it is told once.
      const note = this.dropped > 0 ? `${new Date().toISOString()} WARN    log: ${this.dropped} line(s) could not be written (${this.lastError})\n` : '';
      this.append(Buffer.from(note + line + '\n'));
      this.dropped = 0;
      this.lastError = null;
    } catch (err) {
      this.drop(err instanceof Error ? err.message : String(err));
      this.closeFd();
    }
  }

  close(): void {
    this.closed = true;
    this.closeFd();
  }

  private append(buf: Buffer): void {
    if (this.maxSize > 0 && this.size > 0 && this.size + buf.length > this.maxSize) this.rotate();
    if (this.fd === null) throw new Error('log file could not be reopened after rotation');
    if (this.midLine) buf = Buffer.concat([Buffer.from('\n'), buf]);
    const start = this.size;
    let off = 0;
    try {
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    } catch (err) {
      // A full disk takes part of a line: cut it back, so that every record starts a line.
      if (off > 0) {
        try {
          ftruncateSync(this.fd, start);
        } catch {
          this.midLine = true;
        }
      }
      throw err;
    }
    this.midLine = false;
    this.size += buf.length;
  }

  private drop(reason: string): void {
    this.dropped++;
    this.lastError = reason;
  }

  /** Reopens after a failure or after the file or its directory was deleted (rate-limited). */
  private ensureOpen(): void {
    const now = Date.now();
    if (this.fd !== null) {
      if (now - this.lastCheck < this.checkIntervalMs) return;
      this.lastCheck = now;
      try {
        if (fstatSync(this.fd).nlink > 0) return;
      } catch {
        // fall through and reopen
      }
      this.closeFd();
    }
    if (now - this.lastReopenAttempt < this.checkIntervalMs) return;
    this.lastReopenAttempt = now;
    this.reopen();
  }

  /** Our file again after a failure, if it is still there and still ours; else a new one. */
  private reopen(): void {
    let fd: number | null = null;
    try {
      fd = openSync(this.path, constants.O_WRONLY | constants.O_APPEND);
      const st = fstatSync(fd);
      if (st.ino === this.ino && st.nlink > 0) {
        this.fd = fd;
        this.size = st.size;
        this.lastCheck = Date.now();
        return;
      }
      closeSync(fd);
    } catch (err) {
      if (fd !== null) closeSync(fd);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
    }
    this.create();
  }

  private rotate(): void {
    this.closeFd();
    try {
      if (this.maxFiles === 0) {
        unlinkQuiet(this.path);
      } else {
        unlinkQuiet(this.backup(this.maxFiles));
        for (let i = this.maxFiles - 1; i >= 1; i--) renameQuiet(this.backup(i), this.backup(i + 1));
        renameQuiet(this.path, this.backup(1));
      }
    } finally {
      this.create();
    }
  }

  /** `hgxapp_2024.05.01_12.00.00.log` → `hgxapp_2024.05.01_12.00.00.3.log`. */
  private backup(n: number): string {
    return insertSuffix(this.path, `.${n}`);
  }

  private closeFd(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // already gone; nothing to recover
    }
    this.fd = null;
  }
}

function insertSuffix(path: string, suffix: string): string {
  const ext = extname(path);
  return ext ? path.slice(0, -ext.length) + suffix + ext : path + suffix;
}

function unlinkQuiet(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    // missing backups are normal
  }
}

function renameQuiet(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    // missing backups are normal
  }
}
