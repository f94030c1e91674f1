import { execFile } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import { access } from 'node:fs/promises';
import { writeAll, type FsHandle } from './fs-ops.js';

/**
 * Open flag for files whose writes must be durable: O_DSYNC where the platform has it, so each
 * write is on stable storage when it returns (one call per commit instead of a write and an
 * fdatasync); 0 elsewhere (Windows), where `writeDurably` follows the write with fdatasync.
 */
export const DSYNC_FLAG: number = fsc.O_DSYNC ?? 0;

/** Writes `data` (at `position`, or where the file's mode puts it) and makes it durable. */
export async function writeDurably(fh: Pick<FsHandle, 'write' | 'datasync'>, data: Buffer, position: number | null = null): Promise<void> {
  await writeAll(fh, data, 0, data.length, position);
  if (DSYNC_FLAG === 0) await fh.datasync();
}

const SYNC_BINARIES = ['/usr/bin/sync', '/bin/sync'];
let syncfsBinary: string | null | undefined;

/**
 * Flushes everything written to the file system holding `path` (syncfs(2), through coreutils'
 * or busybox's `sync -f`: Node has no binding). After a burst, fsyncing 30,000 new object files
 * one by one took ~1.9 s of pool calls here, competing with everything else; one syncfs took
 * ~0.2 s. Resolves false where that is not available or fails, and the caller fsyncs per file.
 */
export async function syncFileSystem(path: string): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  if (syncfsBinary === undefined) {
    syncfsBinary = null;
    for (const bin of SYNC_BINARIES) {
      if (await access(bin, fsc.X_OK).then(() => true, () => false)) {
        syncfsBinary = bin;
        break;
      }
    }
  }
  const bin = syncfsBinary;
  if (bin === null) return false;
  return new Promise((resolve) => {
    execFile(bin, ['-f', path], { timeout: 120_000 }, (err) => {
      // A sync without -f, or none at all: per-file fsync from now on.
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') syncfsBinary = null;
      resolve(!err);
    });
  });
}
