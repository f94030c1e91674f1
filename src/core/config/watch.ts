import { existsSync, readFileSync, realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import { homedir as osHomedir } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { readText } from './paths.js';
import type { ConfigSource } from './locate.js';
import { LEGACY_CONFIG_FILE } from './schema.js';
import { configFromText, hashText, takeOwnWrite, withPermissionWarnings, type LoadedConfig } from './file.js';

/** How often a config whose directory is gone is looked for. */
const POLL_MS = 1000;

export type ConfigChange =
  /** Someone else changed the file and it is valid. */
  | { kind: 'changed'; loaded: LoadedConfig }
  /** Someone else changed the file and it is not valid now; keep running on the old config and tell the user. */
  | { kind: 'invalid'; error: ConfigError }
  | { kind: 'removed'; path: string };

export interface WatchOptions {
  /** Editors save in bursts (truncate, write, rename); act once the burst is over. Default 200 ms. */
  debounceMs?: number;
  /** For `~/` in paths. Default os.homedir(). */
  homedir?: string;
  /** Reported in `loaded.source`. Default 'root'. */
  source?: ConfigSource;
  /** Keep the process alive while watching. Default false. */
  persistent?: boolean;
}

export interface ConfigWatcher {
  close(): void;
}

function readOrNull(path: string): string | null {
  try {
    // Not opened unless a regular file: reading a named pipe would wait for a writer.
    return statSync(path).isFile() ? readFileSync(path, 'utf8') : null;
  } catch {
    return null;
  }
}

/**
 * Tells the desktop app when the config file is edited by hand. It watches the directory, not
 * the file, because an atomic save (ours or an editor's) replaces the file's inode; and, where
 * the file is a symbolic link (a dotfile manager's), the directory of the file it points to as
 * well. Saves made by this process (through updateConfig) are recognized by their content hash,
 * each once, and not reported, nor is a touch that leaves the content the same. A file emptied
 * (an editor's truncate before its write) is not taken for a file of defaults. When the whole
 * directory goes, the file is polled until it is back.
 */
export function watchConfig(path: string, onChange: (change: ConfigChange) => void, opts: WatchOptions = {}): ConfigWatcher {
  const file = resolve(path);
  const dir = dirname(file);
  const name = basename(file);
  const debounceMs = opts.debounceMs ?? 200;
  const homedir = opts.homedir ?? osHomedir();
  const persistent = opts.persistent ?? false;
  const initial = readOrNull(file);
  let last: string | null = initial === null ? null : hashText(initial);
  // Our own save of what is there now (the file created just before) is seen here, not by a check.
  if (last !== null) takeOwnWrite(file, last);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let checking: Promise<void> = Promise.resolve();
  let watchers: FSWatcher[] = [];
  let polling: NodeJS.Timeout | null = null;

  const check = async (): Promise<void> => {
    let text: string | null;
    try {
      // As the config is read at a start: a named pipe put there is refused, not waited on for
      // ever; a huge or non-UTF-8 file is said to be so.
      text = await readText(file);
    } catch (err) {
      if (closed) return;
      const gone = err instanceof ConfigError && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
      if (err instanceof ConfigError && !gone) {
        // Said once, not at every check, until the file changes again.
        const mark = `unusable: ${err.message}`;
        if (last === mark) return;
        last = mark;
        return onChange({ kind: 'invalid', error: err });
      }
      text = null;
    }
    if (closed) return;
    if (text === null) {
      if (!existsSync(dir)) startPolling();
      if (last !== null) {
        last = null;
        onChange({ kind: 'removed', path: file });
      }
      return;
    }
    if (polling) startWatching();
    const hash = hashText(text);
    if (hash === last) return;
    const wasText = last !== null;
    last = hash;
    if (takeOwnWrite(file, hash)) return;
    if (wasText && text.trim() === '') {
      // Most likely an editor between its truncate and its write; the write is reported when it comes.
      onChange({ kind: 'invalid', error: new ConfigError(file, null, null, 'is empty') });
      return;
    }
    let loaded: LoadedConfig;
    try {
      const loc = { path: file, dir, source: opts.source ?? ('root' as const), legacy: name === LEGACY_CONFIG_FILE };
      loaded = configFromText(loc, text, homedir);
    } catch (err) {
      if (err instanceof ConfigError) return onChange({ kind: 'invalid', error: err });
      throw err;
    }
    onChange({ kind: 'changed', loaded: await withPermissionWarnings(loaded) });
  };

  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      checking = checking.then(check).catch(() => undefined);
    }, debounceMs);
    if (!persistent) timer.unref();
  };

  /** The directories to watch, each with the name that matters in it: the file's, and its link target's. */
  const places = (): { dir: string; name: string }[] => {
    const out = [{ dir, name }];
    try {
      const real = realpathSync(file);
      if (real !== file) out.push({ dir: dirname(real), name: basename(real) });
    } catch {
      // No file (yet), or a dangling link: its own directory is watched.
    }
    return out;
  };

  const stopWatching = () => {
    for (const w of watchers) w.close();
    watchers = [];
  };

  function startWatching(): void {
    stopWatching();
    if (polling) clearInterval(polling);
    polling = null;
    for (const p of places()) {
      const w = watch(p.dir, { persistent }, (_event, filename) => {
        // Some platforms omit the name; then every event in the directory is checked by content.
        if (filename === null || filename.toString() === p.name) schedule();
      });
      w.on('error', (err) => {
        if (closed) return;
        // The directory itself went (removed or renamed): poll the path until it is back.
        if (!existsSync(dir)) return startPolling();
        onChange({ kind: 'invalid', error: new ConfigError(file, null, null, `can no longer be watched for changes: ${err.message}`, { cause: err }) });
      });
      watchers.push(w);
    }
  }

  // A check every POLL_MS (it compares contents, so no baseline can be taken too late, as
  // fs.watchFile's first stat can be when the file comes back at once).
  function startPolling(): void {
    if (closed || polling) return;
    stopWatching();
    polling = setInterval(schedule, POLL_MS);
    if (!persistent) polling.unref();
  }

  try {
    startWatching();
  } catch (err) {
    stopWatching();
    throw new ConfigError(file, null, null, `cannot be watched for changes: ${(err as Error).message}`, { cause: err });
  }

  return {
    close() {
      closed = true;
      clearTimeout(timer);
      stopWatching();
      if (polling) clearInterval(polling);
    },
  };
}
