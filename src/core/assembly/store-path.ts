/**
 * Checks, before a port is bound, that a store's configured directory can be one: a key that
 * points at a file (or through one, or into a loop of symbolic links) is refused in one line
 * naming the key and the path, instead of a raw `EEXIST … mkdir` once the server already listens.
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ValueError } from '../golix/index.js';

/** Resolves when `path` is a directory or can become one; throws ValueError naming `key` otherwise. */
export async function checkStoreDirectory(path: string, key: string): Promise<void> {
  for (let p = path, depth = 0; depth < 256; depth++) {
    try {
      const s = await stat(p);
      if (s.isDirectory()) return;
      throw new ValueError(
        p === path
          ? `${key} is ${path}, which is a file, not a directory: point ${key} at a directory (or move the file away)`
          : `${key} is ${path}, but ${p} is a file, not a directory: point ${key} at a directory`,
      );
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (err instanceof ValueError) throw err;
      if (code === 'ENOENT') {
        const up = dirname(p);
        if (up === p) return;
        p = up;
        continue;
      }
      if (code === 'ENOTDIR') throw new ValueError(`${key} is ${path}, but a part of that path is a file, not a directory`);
      if (code === 'ELOOP') throw new ValueError(`${key} is ${path}, which leads into a loop of symbolic links`);
      if (code === 'EACCES') throw new ValueError(`${key} is ${path}, which this user may not open (permission denied)`);
      throw err;
    }
  }
}
