/**
 * hypergolix.yml as the desktop host sees it: loaded (created if missing) at start, re-read
 * before anything is decided from it, written only through the config module (comments kept,
 * validated first), and followed while the app runs: a hand edit is adopted and announced as
 * `configChanged`; a file that turns invalid or disappears leaves the current settings in
 * place, with a warning in the status until it is usable again.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { ERROR_CODES, HOST_WARNINGS, HostFailure, type Settings } from '../common/contract.js';
import {
  ConfigError,
  loadConfig,
  updateConfig,
  watchConfig,
  type ConfigChange,
  type ConfigWatcher,
  type HypergolixConfig,
  type LoadedConfig,
} from '../core/config/index.js';
import type { Logger } from '../core/log/index.js';
import { storageTrouble } from '../core/util/disk-space.js';
import { valueAt } from '../common/json-paths.js';
import { mergeSettings } from '../common/settings-merge.js';
import { editsFromSettings, fieldsOf, isEmptyEdit, settingsFromConfig } from './settings.js';
import type { StatusFeed } from './status.js';

/** How to find hypergolix.yml (reference §6.2). */
export interface ConfigLocation {
  root?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  homedir?: string;
}

export interface ConfigFollowerOptions {
  location?: ConfigLocation;
  log: Logger;
  status: StatusFeed;
  /** Hand edits are read once an editor's burst of writes is over. @default 200 */
  debounceMs?: number;
  /** A hand edit was adopted; `first` when the file was unusable until now. */
  onEdited(first: boolean): void;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The form's changes over the file's settings now; a field changed in both, to different values, refuses the save. */
function mergedOrRefused(base: Settings, mine: Settings, now: Settings): Settings {
  const { merged, conflicts } = mergeSettings(base, mine, now);
  if (conflicts.length === 0) return merged;
  const fields = Object.fromEntries(conflicts.map((path) => [path, `Changed elsewhere since you opened the settings: it is now ${shownValue(valueAt(now, path))}.`]));
  throw new HostFailure(ERROR_CODES.settingsChanged, 'Some settings you changed were changed elsewhere meanwhile (another window, the tray, or the file itself): reload them, or keep your edits and save again', fields);
}

function shownValue(v: unknown): string {
  if (Array.isArray(v)) return v.length === 0 ? 'empty' : v.map((r) => (typeof r === 'object' && r !== null && 'host' in r && 'port' in r ? `${String(r.host)}:${String(r.port)}` : JSON.stringify(r))).join(', ');
  return typeof v === 'string' ? `"${v}"` : JSON.stringify(v) ?? 'not set';
}

export class ConfigFollower {
  private loaded: LoadedConfig | null = null;
  private watcher: ConfigWatcher | null = null;
  private watchedPath: string | null = null;
  private closed = false;

  constructor(private readonly o: ConfigFollowerOptions) {}

  /** The config in use; null while the file has never been usable. */
  get current(): LoadedConfig | null {
    return this.loaded;
  }

  /** Loads the file (creating it if missing) and follows it; an unusable file is followed until it is fixed. */
  async open(): Promise<{ loaded: LoadedConfig } | { error: ConfigError }> {
    let loaded: LoadedConfig;
    try {
      loaded = await loadConfig({ ...this.o.location, create: true });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      // A broken file is the user's to fix; watch it and start once it is readable.
      this.o.log.error(err.message);
      this.watch(err.file);
      return { error: err };
    }
    if (loaded.created) this.o.log.info(`Welcome to Hypergolix! Created ${loaded.path}`);
    for (const w of loaded.warnings) this.o.log.warn(w.message);
    this.adopt(loaded);
    return { loaded };
  }

  /** The config in use, or `unavailable` saying why there is none. */
  config(what: string): HypergolixConfig {
    if (!this.loaded) throw new HostFailure(ERROR_CODES.unavailable, `Cannot ${what}: ${this.o.status.message ?? 'hypergolix.yml could not be read'}`);
    return this.loaded.config;
  }

  /**
   * The config as it is on disk now (the watcher may not have caught up with a hand edit); while
   * the file is removed, the one in use (kept, as the warning says, until a save writes it again).
   */
  async fresh(): Promise<LoadedConfig> {
    const path = this.loaded?.path;
    if (!path) throw new HostFailure(ERROR_CODES.unavailable, this.o.status.message ?? 'hypergolix.yml could not be read');
    if (!existsSync(path)) return this.loaded!;
    try {
      return await loadConfig({ ...this.o.location, root: path });
    } catch (err) {
      if (err instanceof ConfigError) {
        const fields = fieldsOf(err);
        throw new HostFailure(
          ERROR_CODES.invalidSettings,
          `hypergolix.yml has a problem to fix by hand first: ${err.message}`,
          Object.keys(fields).length > 0 ? fields : undefined,
        );
      }
      throw err;
    }
  }

  /** Uses `loaded` from now on (following its file if it is another one). */
  adopt(loaded: LoadedConfig): void {
    this.loaded = loaded;
    if (this.watchedPath !== loaded.path) this.watch(loaded.path);
  }

  /** Writes what the settings say into the file as it is now; nothing is written when nothing differs. */
  /**
   * Writes the settings. With `base` (what the form was opened on), only what the form changed,
   * over the file as it is now; a field changed there too since, to another value, is refused
   * with 'settings-changed' (settings-merge.ts).
   */
  async save(settings: Settings, base?: Settings): Promise<LoadedConfig> {
    let saved: LoadedConfig;
    const dir = this.loaded ? dirname(this.loaded.path) : null;
    try {
      // A removed file is written again from the settings in use (as its warning says).
      const removed = this.loaded !== null && !existsSync(this.loaded.path);
      const current = await this.fresh();
      const edits = editsFromSettings(current.config, base ? mergedOrRefused(base, settings, settingsFromConfig(current.config)) : settings);
      saved = isEmptyEdit(edits) && !removed ? current : await updateConfig(current, edits);
    } catch (err) {
      if (err instanceof HostFailure) throw err;
      // The file is written whole or not at all (a temporary file renamed over it).
      const trouble = storageTrouble(err, dir ? { at: dir } : undefined);
      // Said as the UI puts it after "Not saved: ".
      if (trouble) throw new HostFailure(ERROR_CODES.storageFull, `hypergolix.yml could not be written: ${trouble.message}. The file is as it was, and Hypergolix goes on with the settings in use.`);
      if (err instanceof ConfigError) {
        const fields = fieldsOf(err);
        if (Object.keys(fields).length > 0) throw new HostFailure(ERROR_CODES.invalidSettings, err.message, fields);
        throw new HostFailure(ERROR_CODES.internal, err.message);
      }
      throw err;
    }
    this.o.log.info(`Settings saved to ${saved.path}`);
    this.o.status.warnings.delete(HOST_WARNINGS.configRemoved);
    this.adopt(saved);
    return saved;
  }

  /** Turns `desktop.unlock_automatically` on or off in the file, unless it already says so. */
  async setUnlockAutomatically(on: boolean): Promise<void> {
    const loaded = this.loaded;
    if (loaded && loaded.config.desktop.unlock_automatically !== on) this.adopt(await updateConfig(loaded, { desktop: { unlock_automatically: on } }));
  }

  /** Stops following the file. */
  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = null;
  }

  private watch(path: string): void {
    if (this.closed) return;
    this.watcher?.close();
    this.watchedPath = path;
    try {
      this.watcher = watchConfig(path, (change) => this.onChange(change), { debounceMs: this.o.debounceMs, homedir: this.o.location?.homedir });
    } catch (err) {
      this.watcher = null;
      this.o.log.warn(`Hand edits of ${path} will not be noticed: ${messageOf(err)}`);
    }
  }

  private onChange(change: ConfigChange): void {
    if (this.closed) return;
    const warnings = this.o.status.warnings;
    if (change.kind === 'invalid') {
      this.o.log.warn(`hypergolix.yml was edited and now has a problem: ${change.error.message}`);
      warnings.set(HOST_WARNINGS.configInvalid, `hypergolix.yml has a problem, so Hypergolix keeps its previous settings until it is fixed: ${change.error.message}`);
      this.o.status.emitStatus();
      return;
    }
    if (change.kind === 'removed') {
      warnings.set(HOST_WARNINGS.configRemoved, `${change.path} was removed; Hypergolix keeps its current settings and writes the file again at the next save.`);
      this.o.status.emitStatus();
      return;
    }
    warnings.delete(HOST_WARNINGS.configInvalid);
    warnings.delete(HOST_WARNINGS.configRemoved);
    if (this.loaded && change.loaded.text === this.loaded.text) {
      // Back to what is in use (an undo, a file put back): nothing to apply or restart, the warnings cleared.
      this.o.status.emitStatus();
      this.o.status.emit({ kind: 'configChanged', settings: settingsFromConfig(this.loaded.config) });
      return;
    }
    const first = this.loaded === null;
    // Keep where it was found (the watcher reports every file as an explicit root).
    const loaded = this.loaded ? { ...change.loaded, source: this.loaded.source } : change.loaded;
    this.o.log.info(`${loaded.path} was changed outside Hypergolix; applying it`);
    this.adopt(loaded);
    this.o.status.emit({ kind: 'configChanged', settings: settingsFromConfig(loaded.config) });
    this.o.onEdited(first);
  }
}
