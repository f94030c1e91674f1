import { constants as fsc } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Open flag for files whose writes must be durable: O_DSYNC where the platform has it, so each
 * write is on stable storage when it returns (one call per commit instead of a write and an
 * fdatasync); 0 elsewhere (Windows), where `writeDurably` follows the write with fdatasync.
 */
export const DSYNC_FLAG: number = fsc.O_DSYNC ?? 0;

/** Writes `data` (at `position`, or where the file's mode puts it) and makes it durable. */
export async function writeDurably(fh: FileHandle, data: Buffer, position: number | null = null): Promise<void> {
  await fh.write(data, 0, data.length, position);
  if (DSYNC_FLAG === 0) await fh.datasync();
}
