/**
 * The ghidcache directory as the reference lays it out — one `<ghid>.ghid` file per object, exact
 * bytes — and how the file store makes its index agree with it at open: the files are the truth.
 */
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HypergolixError, parseObject } from '../golix/index.js';
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
 */
export async function reconcile(dir: string, entries: EntryTable, warnings: string[]): Promise<boolean> {
  let changed = false;
  const names = await readdir(dir);
  const present = new Set<string>();
  for (const name of names) {
    if (name.startsWith(TEMP_PREFIX)) {
      await rm(join(dir, name), { force: true });
      continue;
    }
    const ghid = name.endsWith(SUFFIX) ? name.slice(0, -SUFFIX.length) : null;
    if (ghid && entries.has(ghid)) {
      present.add(ghid);
      continue;
    }
    const why = ghid ? await adopt(dir, entries, ghid) : 'not an object file';
    if (why === null) {
      present.add(ghid!);
    } else {
      await quarantine(dir, name, why, warnings);
    }
    changed = true;
  }
  for (const ghid of [...entries.refs()].map((ref) => entries.ghidAt(ref))) {
    if (!present.has(ghid)) {
      entries.delete(ghid);
      warnings.push(`ghidcache: ${ghid.slice(0, 12)}… was indexed but its file is gone; forgetting it`);
      changed = true;
    }
  }
  return changed;
}

/** Indexes an unindexed object file. Returns null, or why the file is unusable. */
async function adopt(dir: string, entries: EntryTable, ghid: string): Promise<string | null> {
  try {
    const raw = await readFile(objectFile(dir, ghid));
    const obj = parseObject(raw, { maxBytes: Number.MAX_SAFE_INTEGER });
    if (obj.ghid.text !== ghid) return `its content is object ${obj.ghid.text.slice(0, 12)}…, not the one its name says`;
    entries.set(entryOf(obj));
    return null;
  } catch (err) {
    return err instanceof HypergolixError ? `${err.name}: ${err.message}` : (err as Error).message;
  }
}

async function quarantine(dir: string, name: string, why: string, warnings: string[]): Promise<void> {
  const quarantineDir = `${dir}.quarantine`;
  await mkdir(quarantineDir, { recursive: true, mode: 0o700 });
  const dest = join(quarantineDir, `${Date.now()}-${name}`);
  await rename(join(dir, name), dest).catch(() => rm(join(dir, name), { force: true, recursive: true }));
  warnings.push(`ghidcache: moved ${name} to ${dest} (${why})`);
}
