/**
 * The ghidcache directory's object files as the file store writes them, not synced one by one
 * but remembered, so a checkpoint makes every file written since the last one durable at once.
 *
 * A file that may already exist (a replayed record, an object stored again after its delete)
 * is replaced by temp file and rename, so a read that opened the old one finishes on it. A new
 * object's file is written straight under its name: no reader opens it before it is written
 * (the store serves the bytes from memory until then), and a crash part-way leaves a torn file
 * only while the journal still holds the object — replay compares each journaled object with
 * its file and rewrites any that differs. Creating it whole saves a second directory entry and
 * a rename per object, which on ext4 is most of an object's kernel time.
 */
import { constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir } from '../util/atomic-write.js';
import { syncFileSystem } from '../util/durable-write.js';
import { errnoOf, nodeFs, type FsOps } from '../util/fs-ops.js';
import { TEMP_PREFIX, objectFile } from './ghidcache-dir.js';
import { GhidList } from './ghid-list.js';

/** Files to make durable at a checkpoint from which one syncfs replaces an fsync each. */
const SYNCFS_FROM_FILES = 2000;
/** What a probe writes to show the file system takes writes again. */
const PROBE_BYTES = 4096;

export class ObjectFiles {
  /** Files written since the last sync; fsynced before the journal that covers them goes. */
  private readonly unsynced = new GhidList();

  constructor(
    readonly dir: string,
    private readonly fs: FsOps,
  ) {}

  path(ghid: string): string {
    return objectFile(this.dir, ghid);
  }

  /** Whether the object's file holds exactly `raw` (false when it is missing or torn). */
  async holds(ghid: string, raw: Buffer): Promise<boolean> {
    return this.fs.readFile(this.path(ghid)).then(
      (data) => data.equals(raw),
      () => false,
    );
  }

  /**
   * Writes an object's file: `fresh` (no file of it can exist yet) straight under its name,
   * otherwise under a temp name renamed into place (the temp file goes if anything fails).
   */
  async write(ghid: string, raw: Buffer, fresh: boolean): Promise<void> {
    if (fresh) {
      await this.fs.writeWhole(this.path(ghid), raw, 0o600);
    } else {
      const temp = join(this.dir, `${TEMP_PREFIX}${ghid}-${process.pid}`);
      await this.writeTemp(temp, raw, () => this.fs.rename(temp, this.path(ghid)));
    }
    this.unsynced.push(ghid);
  }

  async remove(ghid: string): Promise<void> {
    try {
      await this.fs.unlink(this.path(ghid));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  /** Shows that a file can be written and removed here now (while writes fail). */
  async probe(): Promise<void> {
    const temp = join(this.dir, `${TEMP_PREFIX}probe-${process.pid}`);
    await this.writeTemp(temp, Buffer.alloc(PROBE_BYTES), () => this.fs.unlink(temp));
  }

  /** fsyncs every file written since the last sync, and the directory. What fails stays to sync next time. */
  async sync(): Promise<void> {
    const written = this.unsynced.take();
    try {
      // syncfs also waits for every other process's writes to the same file system, which a
      // desktop app closing with a handful of files to sync should not; past a few thousand
      // files it is much the cheaper way.
      if (written.size >= SYNCFS_FROM_FILES && this.fs === nodeFs && (await syncFileSystem(this.dir))) return await fsyncDir(this.dir, this.fs);
      const ghids = written[Symbol.iterator]();
      const worker = async () => {
        // Files removed since they were written have nothing left to sync; any other failure to
        // open one (EMFILE, EIO) leaves it not known to be durable.
        for (let next = ghids.next(); !next.done; next = ghids.next()) {
          const fh = await this.fs.open(this.path(next.value), 'r').catch((err: unknown) => {
            if (errnoOf(err) === 'ENOENT') return null;
            throw err;
          });
          if (fh) await fh.sync().finally(() => fh.close());
        }
      };
      await Promise.all(Array.from({ length: Math.min(64, written.size) }, worker));
      await fsyncDir(this.dir, this.fs);
    } catch (err) {
      // Not known to be durable: sync them again next time; the journal is kept meanwhile.
      for (const ghid of written) this.unsynced.push(ghid);
      throw err;
    }
  }

  private async writeTemp(temp: string, data: Buffer, then: () => Promise<void>): Promise<void> {
    try {
      const fh = await this.fs.open(temp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC, 0o600);
      await fh.writeFile(data).finally(() => fh.close());
      await then();
    } catch (err) {
      await this.fs.rm(temp, { force: true }).catch(() => undefined);
      throw err;
    }
  }
}
