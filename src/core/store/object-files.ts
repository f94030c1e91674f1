/**
 * The ghidcache directory's object files as the file store writes them: each by temp file and
 * rename (never half-written under its name), not synced one by one but remembered, so a
 * checkpoint makes every file written since the last one durable at once.
 */
import { constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { syncFileSystem } from '../util/durable-write.js';
import { nodeFs, type FsOps } from '../util/fs-ops.js';
import { TEMP_PREFIX, objectFile } from './ghidcache-dir.js';
import { GhidList } from './ghid-list.js';
import { syncDir } from './index-snapshot.js';

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

  async size(ghid: string): Promise<number | null> {
    return this.fs.stat(this.path(ghid)).then(
      (s) => s.size,
      () => null,
    );
  }

  /** Writes a whole file under a temp name and renames it into place; the temp file goes if anything fails. */
  async write(ghid: string, raw: Buffer): Promise<void> {
    const temp = join(this.dir, `${TEMP_PREFIX}${ghid}-${process.pid}`);
    await this.writeTemp(temp, raw, () => this.fs.rename(temp, this.path(ghid)));
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
      if (written.size >= SYNCFS_FROM_FILES && this.fs === nodeFs && (await syncFileSystem(this.dir))) return await syncDir(this.dir, this.fs);
      const ghids = written[Symbol.iterator]();
      const worker = async () => {
        // Files removed since they were written have nothing left to sync.
        for (let next = ghids.next(); !next.done; next = ghids.next()) {
          const fh = await this.fs.open(this.path(next.value), 'r').catch(() => null);
          if (fh) await fh.sync().finally(() => fh.close());
        }
      };
      await Promise.all(Array.from({ length: Math.min(64, written.size) }, worker));
      await syncDir(this.dir, this.fs);
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
