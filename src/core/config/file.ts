import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Document } from 'yaml';
import { fsyncDir, writeFileAtomic } from '../util/atomic-write.js';
import { makeDirs } from '../util/make-dirs.js';
import { cloneDocument, defaultDocument, legacyDocument, lineFinder, lineOfPath, parseText, renderDocument } from './document.js';
import { DocumentEditor, EditConflict, type ConfigEdits } from './edits.js';
import { ConfigError, ConfigNotFound, formatField, hasInvisible, visible } from './errors.js';
import { defaultConfigPath, findConfig, locateDefaults, searchDirs, type ConfigSource, type LocateOptions } from './locate.js';
import { readText, writeTarget } from './paths.js';
import { resolveConfig } from './resolve.js';
import { CONFIG_FILE, plainConfig, type ConfigWarning, type HypergolixConfig } from './schema.js';

export interface LoadOptions extends LocateOptions {
  /** When no config exists, write the default one (creating its directory, mode 0700); also migrates a legacy file. */
  create?: boolean;
  /** Rewrite a legacy `hgx-cfg.json` as `hypergolix.yml` now instead of at the first save. */
  migrate?: boolean;
}

export interface LoadedConfig {
  /** The file the config came from (the legacy JSON until it is migrated). */
  readonly path: string;
  readonly dir: string;
  readonly source: ConfigSource;
  /** This call wrote a new default file: the caller may greet the user ("Welcome to Hypergolix!"). */
  readonly created: boolean;
  /** Still the 2016 `hgx-cfg.json`; the next save writes `hypergolix.yml` beside it. */
  readonly legacy: boolean;
  /** Where the legacy file was moved when this call migrated it, else null. */
  readonly migratedFrom: string | null;
  /** Resolved: every default applied, every path absolute. */
  readonly config: HypergolixConfig;
  /** Things the user should hear about, e.g. a root_secret kept in the file (defect 5). */
  readonly warnings: readonly ConfigWarning[];
  /**
   * The YAML as the user wrote it, comments and all; for a legacy file, the YAML it becomes.
   * Change it only through `updateConfig`, which re-reads the file first so hand edits made
   * meanwhile are kept.
   */
  readonly document: Document;
  /** The file's text as read or written, to tell later whether someone else changed it. */
  readonly text: string;
  readonly homedir: string;
}

export const hashText = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

// ───────────────────────────── our own writes ─────────────────────────────

/** Per file, the hashes of the texts this process wrote that no watcher has seen yet, oldest first. */
const ownWrites = new Map<string, string[]>();

function noteOwnWrite(path: string, hash: string): void {
  const list = ownWrites.get(resolve(path)) ?? [];
  list.push(hash);
  // A watcher that never saw the older ones (merged into one read) is past them.
  ownWrites.set(resolve(path), list.slice(-16));
}

/**
 * Whether `hash` is of a text this process wrote to `path` and no watcher has seen yet; if so it
 * counts as seen, with every own write before it. A watcher ignores its own saves by this, each
 * once: the same text written later by hand (an undo) is a hand edit.
 */
export function takeOwnWrite(path: string, hash: string): boolean {
  const list = ownWrites.get(resolve(path));
  const at = list?.indexOf(hash) ?? -1;
  if (at < 0) return false;
  list!.splice(0, at + 1);
  return true;
}

/** Saves to one file are serialized, so two quick edits both land instead of one undoing the other. */
const locks = new Map<string, Promise<unknown>>();
async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const key = resolve(path);
  const prev = locks.get(key) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.catch(() => undefined);
  locks.set(key, tail);
  try {
    return await run;
  } finally {
    if (locks.get(key) === tail) locks.delete(key);
  }
}

// ───────────────────────────── validation ─────────────────────────────

export interface ValidateContext {
  /** Named in error messages. */
  file: string;
  /** Relative paths and defaults are based here. Default: the file's directory. */
  dir?: string;
  homedir?: string;
}

export interface Validated {
  config: HypergolixConfig;
  warnings: ConfigWarning[];
}

/**
 * Checks a config's text (or Document) completely and returns the resolved config. Throws a
 * ConfigError naming the file, line and field of the first problem, with every problem in `.all`.
 */
export function validateConfig(input: string | Document, ctx: ValidateContext): Validated {
  const text = typeof input === 'string' ? input : renderDocument(input);
  const { config, warnings } = evaluate(text, ctx);
  return { config, warnings };
}

function evaluate(text: string, ctx: ValidateContext) {
  const file = ctx.file;
  const parsed = parseText(text.replace(/^\uFEFF/, ''));
  const { doc, lines } = parsed;
  if (parsed.problems.length > 0) {
    throw ConfigError.collect(parsed.problems.map((p) => new ConfigError(file, p.line, p.path.length ? formatField(p.path) : null, p.problem, { path: p.path })));
  }
  let value: unknown;
  try {
    // parseText refused every alias that points nowhere or repeats too much, each on its line,
    // so yaml's own alias limit (which throws without one) is not needed.
    value = doc.toJS({ maxAliasCount: -1 });
  } catch (err) {
    throw new ConfigError(file, null, null, `cannot be read as data: ${(err as Error).message}`, { cause: err });
  }
  const dir = ctx.dir ?? resolve(file, '..');
  const homedir = ctx.homedir ?? locateDefaults({}).homedir;
  const r = resolveConfig(value, { dir, homedir, lineOf: lineFinder(doc, lines) });
  if (r.problems.length > 0) {
    throw ConfigError.collect(r.problems.map((p) => new ConfigError(file, p.line, p.path.length ? formatField(p.path) : null, p.problem, { path: p.path })));
  }
  return { parsed, config: r.config, warnings: r.warnings.map(shownWarning) };
}

/**
 * A warning as a person reads it: an invisible character in a key's name (a byte order mark
 * mid-file, a zero-width space pasted from a web page) is shown escaped, and said to be there,
 * or "server" would be called unknown with no visible reason.
 */
function shownWarning(w: ConfigWarning): ConfigWarning {
  if (!hasInvisible(w.message)) return w;
  const why = w.code === 'unknown-key' ? '; its name holds an invisible character (shown escaped): delete it' : '';
  return { ...w, message: visible(w.message) + why };
}

// ───────────────────────────── the one save ─────────────────────────────

interface SaveContext {
  dir: string;
  homedir: string;
}

/**
 * Every write of a config file goes through here: validate the exact text to be written (nothing
 * is touched if it is wrong), write it atomically (temp file, fsync, rename, fsync the directory;
 * the file keeps its mode, a new one gets 0600), then read it back and check that it says what
 * was meant (defect 14).
 */
async function saveDocument(path: string, doc: Document, ctx: SaveContext) {
  const text = renderDocument(doc);
  const intended = evaluate(text, { file: path, dir: ctx.dir, homedir: ctx.homedir });
  try {
    await makeDirs(ctx.dir, 0o700);
    // Through a symlink, even a dangling one, to its target: the link stays.
    const target = await writeTarget(path);
    noteOwnWrite(path, hashText(text));
    await writeFileAtomic(target, text, { newFileMode: 0o600 });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(path, null, null, `could not be written: ${(err as Error).message}`, { cause: err });
  }
  let back: string;
  try {
    back = await fs.readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, null, null, `could not be read back after saving: ${(err as Error).message}`, { cause: err });
  }
  if (back !== text) {
    throw new ConfigError(path, null, null, 'was changed by another program while Hypergolix saved it; check it and try again');
  }
  const reread = evaluate(back, { file: path, dir: ctx.dir, homedir: ctx.homedir });
  if (!isDeepStrictEqual(plainConfig(reread.config), plainConfig(intended.config))) {
    throw new ConfigError(path, null, null, 'did not read back with the values that were saved; check it and try again');
  }
  return { text, doc: reread.parsed.doc, config: reread.config, warnings: reread.warnings };
}

// ───────────────────────────── load ─────────────────────────────

/** `loaded` with the warning that its file exposes a root secret to other users, where it does. */
export async function withPermissionWarnings(loaded: LoadedConfig, platform: NodeJS.Platform = process.platform): Promise<LoadedConfig> {
  const more = await permissionWarnings(loaded.path, loaded.config, platform);
  return more.length === 0 ? loaded : { ...loaded, warnings: [...loaded.warnings, ...more] };
}

async function permissionWarnings(path: string, config: HypergolixConfig, platform: NodeJS.Platform): Promise<ConfigWarning[]> {
  if (!config.user.root_secret || platform === 'win32') return [];
  const mode = (await fs.stat(path).catch(() => null))?.mode;
  if (mode === undefined || (mode & 0o077) === 0) return [];
  return [
    {
      code: 'config-permissions',
      message: `${path} holds user.root_secret and other users can read it (mode ${(mode & 0o777).toString(8)}); run "chmod 600 ${path}" now`,
      field: 'user.root_secret',
      line: null,
    },
  ];
}

/** Builds a LoadedConfig from text already read from `loc.path` (the watcher reads, hashes, then parses the same bytes). */
export function configFromText(
  loc: { path: string; dir: string; source: ConfigSource; legacy: boolean },
  text: string,
  homedir: string,
  extra: { created?: boolean; migratedFrom?: string | null } = {},
): LoadedConfig {
  const e = evaluate(text, { file: loc.path, dir: loc.dir, homedir });
  const document = loc.legacy ? legacyDocument(e.parsed.doc.toJS(), loc.dir, basename(loc.path)) : e.parsed.doc;
  const warnings = [...e.warnings];
  if (loc.legacy) {
    warnings.push({
      code: 'legacy-file',
      message: `${loc.path} is in the 2016 format; the next save rewrites it as ${CONFIG_FILE} and keeps the original as ${basename(loc.path)}.bak`,
      field: null,
      line: null,
    });
  }
  return {
    path: loc.path,
    dir: loc.dir,
    source: loc.source,
    created: extra.created ?? false,
    legacy: loc.legacy,
    migratedFrom: extra.migratedFrom ?? null,
    config: e.config,
    warnings,
    document,
    text,
    homedir,
  };
}

/**
 * Finds and reads the config (hypergolix-reference §6.2 order, or `root`). Without `create`, a
 * missing config is a ConfigNotFound; with it, the default file is written in $HYPERGOLIX_HOME or
 * the per-user directory (defect 13) and `created` is true. A file with a bad value is a
 * ConfigError naming file, line and field.
 */
export async function loadConfig(opts: LoadOptions = {}): Promise<LoadedConfig> {
  const r = locateDefaults(opts);
  const found = findConfig(opts);
  if (!found) {
    if (!opts.create) {
      const where = opts.root !== undefined ? [resolve(r.cwd, opts.root)] : searchDirs(opts).map((d) => d.dir);
      throw new ConfigNotFound(where);
    }
    const target = defaultConfigPath(opts);
    const path = /\.json$/i.test(target.path) ? join(target.dir, CONFIG_FILE) : target.path;
    return withLock(path, async () => {
      const saved = await saveDocument(path, defaultDocument(target.dir), { dir: target.dir, homedir: r.homedir });
      return configFromText({ path, dir: target.dir, source: target.source, legacy: false }, saved.text, r.homedir, { created: true });
    });
  }
  const text = await readText(found.path);
  const result = await withPermissionWarnings(configFromText(found, text, r.homedir), r.platform);
  return found.legacy && (opts.create || opts.migrate) ? migrateLegacy(result) : result;
}

// ───────────────────────────── update ─────────────────────────────

/**
 * Applies `edits` and saves. The edits go onto the file as it is on disk now (so a hand edit
 * made since `loaded` was read is kept), the result is validated as a whole, and only then is
 * the file replaced. A legacy file is migrated by the same save. When the edits change nothing,
 * nothing is written. Returns the config as saved.
 */
export function updateConfig(loaded: LoadedConfig, edits: ConfigEdits): Promise<LoadedConfig> {
  return withLock(loaded.path, () => update(loaded, edits));
}

async function update(loaded: LoadedConfig, edits: ConfigEdits): Promise<LoadedConfig> {
  const src = await current(loaded);
  const doc = cloneDocument(src.document);
  try {
    new DocumentEditor(doc).apply(edits);
  } catch (err) {
    if (!(err instanceof EditConflict)) throw err;
    const parsed = parseText(src.text);
    const line = src.legacy ? null : lineOfPath(parsed.doc, parsed.lines, err.path);
    throw new ConfigError(src.path, line, err.path.length ? formatField(err.path) : null, err.message, { path: err.path });
  }

  const target = src.legacy ? join(src.dir, CONFIG_FILE) : src.path;
  // Nothing to change is nothing to write, unless the file was removed: a save writes it again.
  if (!src.legacy && renderDocument(doc) === renderDocument(src.document) && existsSync(src.path)) return src;
  if (src.legacy && existsSync(target)) {
    throw new ConfigError(
      src.path,
      null,
      null,
      `cannot be converted because ${target} already exists; keep one of the two files and remove the other`,
    );
  }
  const saved = await saveDocument(target, doc, { dir: src.dir, homedir: src.homedir });
  const migratedFrom = src.legacy ? await keepBackup(src.path) : null;
  const done = configFromText({ path: target, dir: src.dir, source: src.source, legacy: false }, saved.text, src.homedir, { migratedFrom });
  const stillExposed = done.config.user.root_secret ? loaded.warnings.filter((w) => w.code === 'config-permissions') : [];
  return { ...done, warnings: [...done.warnings, ...stillExposed] };
}

/**
 * The config as it is on disk now: edits apply to that, so a hand edit made since `loaded` was
 * read survives. A legacy file that another save has migrated meanwhile is followed to its YAML.
 */
async function current(loaded: LoadedConfig): Promise<LoadedConfig> {
  if (existsSync(loaded.path)) {
    const text = await readText(loaded.path);
    return text === loaded.text ? loaded : configFromText(loaded, text, loaded.homedir);
  }
  const yml = join(loaded.dir, CONFIG_FILE);
  if (loaded.legacy && existsSync(yml)) {
    return configFromText({ ...loaded, path: yml, legacy: false }, await readText(yml), loaded.homedir);
  }
  return loaded;
}

/** Moves the legacy file aside as `<name>.bak` (`.bak.1`, … if an older backup is there). */
async function keepBackup(path: string): Promise<string> {
  let bak = `${path}.bak`;
  for (let i = 1; existsSync(bak); i++) bak = `${path}.bak.${i}`;
  try {
    await fs.rename(path, bak);
    await fsyncDir(resolve(path, '..'));
  } catch (err) {
    throw new ConfigError(path, null, null, `was converted, but could not be renamed to ${basename(bak)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return bak;
}

/**
 * Rewrites a legacy `hgx-cfg.json` as `hypergolix.yml` in the same directory (reference layout,
 * defaults healed, marker keys and user.password dropped, unknown keys kept) and keeps the
 * original as `hgx-cfg.json.bak`. A config that is not legacy is returned unchanged.
 */
async function migrateLegacy(loaded: LoadedConfig): Promise<LoadedConfig> {
  return loaded.legacy ? updateConfig(loaded, {}) : loaded;
}
