import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir as osHomedir } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import type { ConfigSource } from './locate.js';
import { LEGACY_CONFIG_FILE } from './schema.js';
import { configFromText, hashText, lastOwnWrite, type LoadedConfig } from './file.js';

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
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/**
 * Tells the desktop app when the config file is edited by hand. It watches the directory, not
 * the file, because an atomic save (ours or an editor's) replaces the file's inode. Saves made by
 * this process (through updateConfig) are recognized by their content hash and not reported, nor
 * is a touch that leaves the content the same.
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
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let checking: Promise<void> = Promise.resolve();

  const check = async (): Promise<void> => {
    let text: string | null;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      text = null;
    }
    if (closed) return;
    if (text === null) {
      if (last !== null) {
        last = null;
        onChange({ kind: 'removed', path: file });
      }
      return;
    }
    const hash = hashText(text);
    if (hash === last) return;
    last = hash;
    if (hash === lastOwnWrite(file)) return;
    try {
      const loc = { path: file, dir, source: opts.source ?? ('root' as const), legacy: name === LEGACY_CONFIG_FILE };
      onChange({ kind: 'changed', loaded: configFromText(loc, text, homedir) });
    } catch (err) {
      if (err instanceof ConfigError) onChange({ kind: 'invalid', error: err });
      else throw err;
    }
  };

  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      checking = checking.then(check).catch(() => undefined);
    }, debounceMs);
    if (!persistent) timer.unref();
  };

  let watcher: FSWatcher;
  try {
    watcher = watch(dir, { persistent }, (_event, filename) => {
      // Some platforms omit the name; then every event in the directory is checked by content.
      if (filename === null || filename.toString() === name) schedule();
    });
  } catch (err) {
    throw new ConfigError(file, null, null, `cannot be watched for changes: ${(err as Error).message}`, { cause: err });
  }
  watcher.on('error', (err) => {
    if (closed) return;
    onChange({ kind: 'invalid', error: new ConfigError(file, null, null, `can no longer be watched for changes: ${err.message}`, { cause: err }) });
  });

  return {
    close() {
      closed = true;
      clearTimeout(timer);
      watcher.close();
    },
  };
}
