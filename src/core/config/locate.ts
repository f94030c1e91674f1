import { homedir as osHomedir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { ValueError } from '../golix/errors.js';
import { ConfigError } from './errors.js';
import { kindAt, notAFile } from './paths.js';
import { CONFIG_FILE, LEGACY_CONFIG_FILE } from './schema.js';

/** Where a config was found: the search step that matched, or the explicit root. */
export type ConfigSource = 'root' | 'HYPERGOLIX_HOME' | 'cwd' | 'home' | 'system' | 'localappdata';

export interface LocateOptions {
  /** An explicit config file, or a directory holding one (`--root`). Overrides the search. */
  root?: string | undefined;
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default process.cwd(). */
  cwd?: string;
  /** Default os.homedir(). */
  homedir?: string;
  /** Default process.platform. */
  platform?: NodeJS.Platform;
  /** The machine-wide directory searched after the home directory. Default /etc/hypergolix. */
  systemDir?: string;
}

export interface ConfigLocation {
  /** Absolute path of the file. */
  path: string;
  dir: string;
  /** The file is the 2016 `hgx-cfg.json` format. */
  legacy: boolean;
  source: ConfigSource;
}

interface Resolved {
  env: NodeJS.ProcessEnv;
  cwd: string;
  homedir: string;
  platform: NodeJS.Platform;
  systemDir: string;
}

export function locateDefaults(opts: LocateOptions): Resolved {
  return {
    env: opts.env ?? process.env,
    cwd: opts.cwd ?? process.cwd(),
    homedir: opts.homedir ?? osHomedir(),
    platform: opts.platform ?? process.platform,
    systemDir: opts.systemDir ?? '/etc/hypergolix',
  };
}

const nonEmpty = (s: string | undefined): string | undefined => (s && s.trim() !== '' ? s : undefined);

/** %LOCALAPPDATA%\Hypergolix, or its usual place when the variable is missing. */
function localAppData(r: Resolved): string {
  return join(nonEmpty(r.env['LOCALAPPDATA']) ?? join(r.homedir, 'AppData', 'Local'), 'Hypergolix');
}

/** The directories searched, in order (hypergolix-reference §6.2). */
export function searchDirs(opts: LocateOptions = {}): { dir: string; source: ConfigSource }[] {
  const r = locateDefaults(opts);
  const out: { dir: string; source: ConfigSource }[] = [];
  const home = nonEmpty(r.env['HYPERGOLIX_HOME']);
  if (home) out.push({ dir: resolve(r.cwd, home), source: 'HYPERGOLIX_HOME' });
  out.push({ dir: resolve(r.cwd), source: 'cwd' });
  out.push({ dir: join(r.homedir, '.hypergolix'), source: 'home' });
  out.push({ dir: r.systemDir, source: 'system' });
  if (r.platform === 'win32') out.push({ dir: localAppData(r), source: 'localappdata' });
  return out;
}

/**
 * A config file in a searched folder: found, absent, or a ConfigError. A folder of that name, a
 * named pipe or another non-file is refused by name: passed over, the search would quietly use
 * a config further down (or create one) while the one the user named sits broken.
 */
function fileIn(path: string): boolean {
  const { kind, stats } = kindAt(path);
  if (kind === 'dir') throw new ConfigError(path, null, null, 'is a folder, not a config file: move it aside, and a new config is made here at the next start');
  if (kind === 'other') throw notAFile(path, stats!);
  return kind === 'file';
}

/**
 * The config in one directory: `hypergolix.yml` beats `hgx-cfg.json` (defect 15). A "directory"
 * that is a file (a common slip: $HYPERGOLIX_HOME set to the config file itself) is refused by
 * name, not passed over: the search would otherwise find some other config, or create one.
 */
function inDir(dir: string, source: ConfigSource): ConfigLocation | null {
  const at = kindAt(dir);
  if (at.kind === 'missing') return null;
  if (at.kind !== 'dir') {
    const hint =
      source === 'HYPERGOLIX_HOME'
        ? `$HYPERGOLIX_HOME names it, but must name the folder that holds ${CONFIG_FILE}${basename(dir) === CONFIG_FILE ? `: set HYPERGOLIX_HOME=${dirname(dir)}` : ''}`
        : `a folder is expected here, to hold ${CONFIG_FILE}; move it aside`;
    throw new ConfigError(dir, null, null, `is ${at.kind === 'file' ? 'a file' : 'not a folder'}; ${hint}`);
  }
  const yml = join(dir, CONFIG_FILE);
  if (fileIn(yml)) return { path: yml, dir, legacy: false, source };
  const json = join(dir, LEGACY_CONFIG_FILE);
  if (fileIn(json)) return { path: json, dir, legacy: true, source };
  return null;
}

const isLegacyName = (p: string) => basename(p) === LEGACY_CONFIG_FILE || extname(p).toLowerCase() === '.json';

/**
 * Where the explicit root points (`~` is the home directory). An existing directory, or a
 * missing path without a config file extension, is a directory; anything else is the file itself.
 */
function rootTarget(root: string, r: Resolved): { dir: string; file: string | null } {
  // An empty root would be the current directory, which the search then finds on every run.
  if (root.trim() === '') throw new ValueError('The config root is empty: give the path of a folder or of a hypergolix.yml');
  // `--root=~/x` reaches us unexpanded (a shell expands `~` only at the start of a word).
  const p = root === '~' || root.startsWith('~/') || root.startsWith('~\\') ? resolve(r.homedir, `.${root.slice(1)}`) : resolve(r.cwd, root);
  const { kind } = kindAt(p);
  if (kind === 'dir') return { dir: p, file: null };
  // Anything else that exists is meant as the file, and is refused as one if it is no file.
  if (kind !== 'missing' || /\.(ya?ml|json)$/i.test(p)) return { dir: dirname(p), file: p };
  return { dir: p, file: null };
}

/**
 * Finds the config file without creating anything; null when there is none. A path on the way
 * that cannot be a config (a symlink loop, a named pipe, a file where a folder belongs) is a
 * ConfigError naming it.
 */
export function findConfig(opts: LocateOptions = {}): ConfigLocation | null {
  const r = locateDefaults(opts);
  if (opts.root !== undefined) {
    const t = rootTarget(opts.root, r);
    if (t.file) return fileIn(t.file) ? { path: t.file, dir: t.dir, legacy: isLegacyName(t.file), source: 'root' } : null;
    return inDir(t.dir, 'root');
  }
  for (const { dir, source } of searchDirs(opts)) {
    const found = inDir(dir, source);
    if (found) return found;
  }
  return null;
}

/** Where a new config goes when none exists: the root if given, else $HYPERGOLIX_HOME, else the per-user directory. */
export function defaultConfigPath(opts: LocateOptions = {}): { path: string; dir: string; source: ConfigSource } {
  const r = locateDefaults(opts);
  if (opts.root !== undefined) {
    const t = rootTarget(opts.root, r);
    return { path: t.file ?? join(t.dir, CONFIG_FILE), dir: t.dir, source: 'root' };
  }
  const home = nonEmpty(r.env['HYPERGOLIX_HOME']);
  if (home) {
    const dir = resolve(r.cwd, home);
    return { path: join(dir, CONFIG_FILE), dir, source: 'HYPERGOLIX_HOME' };
  }
  if (r.platform === 'win32') {
    const dir = localAppData(r);
    return { path: join(dir, CONFIG_FILE), dir, source: 'localappdata' };
  }
  const dir = join(r.homedir, '.hypergolix');
  return { path: join(dir, CONFIG_FILE), dir, source: 'home' };
}
