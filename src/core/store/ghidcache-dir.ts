/**
 * The ghidcache directory as the reference lays it out — one `<ghid>.ghid` file per object, exact
 * bytes — and how the file store makes its index agree with it at open: the files are the truth.
 */
import { join } from 'node:path';
import { HypergolixError, parseObject } from '../golix/index.js';
import type { FsOps } from '../util/fs-ops.js';
import { entryOf } from './entry.js';
import type { EntryTable } from './entry-table.js';

export const SUFFIX = '.ghid';
/** Files being written are named so, and removed at open: a crash may leave one half-written. */
export const TEMP_PREFIX = '.tmp-';

export const objectFile = (dir: string, ghid: string): string => join(dir, ghid + SUFFIX);

/**
 * Makes the entries agree with the files: an object file missing from the index is parsed and
 * indexed, an index entry without its file is dropped, and a stray or corrupt file is moved to
 * `<dir>.quarantine/` with a warning instead of stopping the boot. Returns whether anything changed.
 * `inMemory` names objects whose file could not be written or removed yet (a full disk at replay): their
 * entries stay, and their bytes are served from memory until the file is written.
 */
export async function reconcile(dir: string, entries: EntryTable, warnings: string[], fs: FsOps, inMemory: (ghid: string) => boolean): Promise<boolean> {
  let changed = false;
  const names = await fs.readdir(dir);
  const present = new Set<string>();
  for (const name of names) {
    if (name.startsWith(TEMP_PREFIX)) {
      // Half-written by a crash; a read-only or failing disk may not let it go, which is harmless.
      await fs.rm(join(dir, name), { force: true }).catch(() => undefined);
      continue;
    }
    const ghid = name.endsWith(SUFFIX) ? name.slice(0, -SUFFIX.length) : null;
    // A file whose object awaits its write or removal in memory is the journal's to settle.
    if (ghid && (entries.has(ghid) || inMemory(ghid))) {
      present.add(ghid);
      continue;
    }
    const why = ghid ? await adopt(fs, dir, entries, ghid) : 'not an object file';
    if (why === null) {
      present.add(ghid!);
    } else {
      await quarantine(fs, dir, name, why, warnings);
    }
    changed = true;
  }
  for (const ghid of [...entries.refs()].map((ref) => entries.ghidAt(ref))) {
    if (!present.has(ghid) && !inMemory(ghid)) {
      entries.delete(ghid);
      warnings.push(`ghidcache: ${ghid.slice(0, 12)}… was indexed but its file is gone; forgetting it`);
      changed = true;
    }
  }
  return changed;
}

/** Indexes an unindexed object file. Returns null, or why the file is unusable. */
async function adopt(fs: FsOps, dir: string, entries: EntryTable, ghid: string): Promise<string | null> {
  try {
    const raw = await fs.readFile(objectFile(dir, ghid));
    const obj = parseObject(raw, { maxBytes: Number.MAX_SAFE_INTEGER });
    if (obj.ghid.text !== ghid) return `its content is object ${obj.ghid.text.slice(0, 12)}…, not the one its name says`;
    entries.set(entryOf(obj));
    return null;
  } catch (err) {
    return err instanceof HypergolixError ? `${err.name}: ${err.message}` : (err as Error).message;
  }
}

/** Moves an unusable file aside; where that fails (a full or read-only disk) it is left in place, unindexed. */
async function quarantine(fs: FsOps, dir: string, name: string, why: string, warnings: string[]): Promise<void> {
  const quarantineDir = `${dir}.quarantine`;
  const dest = join(quarantineDir, `${Date.now()}-${name}`);
  try {
    await fs.mkdir(quarantineDir, { recursive: true, mode: 0o700 });
    await fs.rename(join(dir, name), dest);
    warnings.push(`ghidcache: moved ${name} to ${dest} (${why})`);
  } catch (err) {
    warnings.push(`ghidcache: ignored ${name} (${why}); could not move it aside: ${(err as Error).message}`);
  }
}
