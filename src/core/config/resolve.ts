/**
 * Turns the plain value of a parsed file into the typed config, key by key as the table of
 * src/common/config-keys.ts declares them. Missing or null sections and keys take their
 * defaults; a present value that is wrong becomes a problem with its path and line. Unknown
 * keys are reported as warnings and otherwise ignored (they stay in the file).
 */
import { isAbsolute, join, resolve } from 'node:path';
import {
  CONFIG_KEYS,
  type GroupSpec,
  type ConfigTable,
  type KdfSetting,
  type KeySpec,
  type RemotesSpec,
  type SectionSpec,
} from '../../common/config-keys.js';
import { parserOf } from '../../common/config-parsers.js';
import { isGroup, isRemotes } from '../../common/config-paths.js';
import { parseGhidText, parsePathText, parsePublicName, parsePublicNames, parseSecretText, showValue, type Field } from '../../common/config-fields.js';
import { Ghid } from '../golix/ghid.js';
import { Secret } from '../golix/secret.js';
import { formatField, type FieldPath } from './errors.js';
import { LEGACY_MARKERS, isRetiredKey, type ConfigWarning, type HypergolixConfig } from './schema.js';

export interface ResolveContext {
  /** The directory holding the config file: relative paths and defaults are based here. */
  dir: string;
  /** For `~/` in paths. */
  homedir: string;
  /** The 1-based line a field is on, or the nearest enclosing one's; null when unknown. */
  lineOf: (path: FieldPath) => number | null;
}

export interface Problem {
  path: FieldPath;
  line: number | null;
  problem: string;
}

export interface Resolved {
  config: HypergolixConfig;
  warnings: ConfigWarning[];
  problems: Problem[];
}

type Tree = Record<string, unknown>;

// A plain mapping: a `!!omap`/`!!set` (a JS Map or Set) is no section, rather than one with no keys.
const isMap = (v: unknown): v is Tree => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
const absent = (v: unknown): v is null | undefined => v === null || v === undefined;

/** Resolves a parsed file; see the module comment. */
export function resolveConfig(value: unknown, ctx: ResolveContext): Resolved {
  const r = new Resolver(ctx);
  let top: Tree = {};
  if (isMap(value)) top = value;
  else if (!absent(value)) r.fail([], `must hold sections such as "process:" and "remotes:", but holds ${showValue(value)}`);
  for (const key of Object.keys(top)) {
    if (!Object.hasOwn(CONFIG_KEYS, key)) r.warn('unknown-key', [key], `"${key}" is not a Hypergolix section and is ignored (it stays in the file)`);
  }
  const config: Tree = {};
  for (const [name, node] of Object.entries(CONFIG_KEYS as ConfigTable)) {
    config[name] = isRemotes(node) ? r.remotes(top[name], node) : r.keys(r.section(name, top[name]), [name], node);
  }
  const resolved = config as unknown as HypergolixConfig;
  crossKeyWarnings(resolved, r);
  return { config: resolved, warnings: r.warnings, problems: r.problems };
}

/** server.host values under which the server listens where the daemon's IPC does (127.0.0.1). */
const SHARES_IPC_ADDRESS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', 'any']);

/** Warnings about a combination of values, each of them valid alone. */
function crossKeyWarnings(c: HypergolixConfig, r: Resolver): void {
  if (c.user.root_secret) {
    r.warn(
      'root-secret',
      ['user', 'root_secret'],
      'user.root_secret keeps the key to your whole account in plain text: anyone who can read this file can open ' +
        'your account. Remove it and use "unlock automatically", which keeps the secret in the system keychain.',
    );
  }
  if (c.server.publish_burst !== null && c.server.publish_rate_per_identity === null) {
    r.warn('ignored-value', ['server', 'publish_burst'], 'server.publish_burst has no effect without server.publish_rate_per_identity');
  }
  if (c.process.pid_file === c.server.pid_file) {
    // One pid file for both: the second to start is refused as running, and stopping one stops the other.
    r.fail(['server', 'pid_file'], `is the same file as process.pid_file (${c.server.pid_file}); the app daemon and the server each need their own`);
  }
  if (c.process.ipc_port === c.server.port && SHARES_IPC_ADDRESS.has(c.server.host.toLowerCase())) {
    // The daemon's IPC listens on 127.0.0.1 too: whichever of the two starts second cannot listen.
    r.warn('port-clash', ['process', 'ipc_port'], `process.ipc_port is ${c.process.ipc_port}, the port of this config's server (server.port) on the same address: the app and the server cannot both run`);
  }
  if (c.process.ipc_legacy_clients) {
    r.warn(
      'ipc-legacy-clients',
      ['process', 'ipc_legacy_clients'],
      'process.ipc_legacy_clients is on: any program on this computer can use your account through the IPC port without a key',
    );
  }
}

class Resolver {
  readonly problems: Problem[] = [];
  readonly warnings: ConfigWarning[] = [];

  constructor(private readonly ctx: ResolveContext) {}

  fail(path: FieldPath, problem: string): void {
    this.problems.push({ path, line: this.ctx.lineOf(path), problem });
  }

  warn(code: string, path: FieldPath, message: string): void {
    const at = path.length > 0;
    this.warnings.push({ code, message, field: at ? formatField(path) : null, line: at ? this.ctx.lineOf(path) : null });
  }

  /** A section's mapping ({} when absent or wrong), its unknown keys reported. */
  section(name: string, v: unknown): Tree {
    if (absent(v)) return {};
    if (!isMap(v)) {
      this.fail([name], `must be a section of keys, not ${showValue(v)}`);
      return {};
    }
    const known = CONFIG_KEYS[name as keyof typeof CONFIG_KEYS] as SectionSpec;
    for (const key of Object.keys(v)) {
      if (Object.hasOwn(known, key) || LEGACY_MARKERS.has(key) || isRetiredKey(name, key)) continue;
      this.warn('unknown-key', [name, key], `${formatField([name, key])} is not a Hypergolix setting and is ignored (it stays in the file)`);
    }
    return v;
  }

  /** The values of every key of a section or group. */
  keys(tree: Tree, path: string[], node: SectionSpec): Tree {
    const out: Tree = {};
    for (const [key, spec] of Object.entries(node)) {
      out[key] = isGroup(spec) ? this.group(tree[key], [...path, key], spec) : this.key(tree[key], [...path, key], spec);
    }
    return out;
  }

  private group(v: unknown, path: string[], spec: GroupSpec): Tree {
    if (!absent(v) && !isMap(v)) this.fail(path, `must be a section of ${spec.shape}, not ${showValue(v)}`);
    return this.keys(isMap(v) ? v : {}, path, spec.keys);
  }

  /** One key's value: absent or null → the default; a bad value → a problem, and the default. */
  private key(v: unknown, path: FieldPath, spec: KeySpec): unknown {
    const fallback = spec.kind === 'path' ? join(this.ctx.dir, spec.default) : spec.default;
    if (spec.kind === 'ghid-list' && absent(v)) return spec.default !== null ? [] : null;
    if (spec.kind === 'name-list') return absent(v) ? [] : this.nameList(v, path);
    if (absent(v)) return fallback;
    if (spec.kind === 'ghid-list') return this.ghidList(v, path, spec.default !== null ? [] : null);
    if (spec.kind === 'kdf') return this.kdf(v, path);
    const r = this.parse(v, spec);
    if (r.ok) return r.value;
    // The reference never reads an unused key, so no value of it may stop a start.
    if (spec.unused) this.warn('ignored-value', path, `${formatField(path)} is unused and ${r.error}; ignored`);
    else this.fail(path, r.error);
    return fallback;
  }

  private parse(v: unknown, spec: KeySpec): Field<unknown> {
    switch (spec.kind) {
      case 'path':
        return toPath(v, this.ctx);
      case 'ghid':
        return toGhid(v);
      case 'secret':
        return toSecret(v);
      default:
        return parserOf(spec)(v);
    }
  }

  private ghidList(v: unknown, path: FieldPath, fallback: Ghid[] | null): Ghid[] | null {
    if (!Array.isArray(v)) {
      this.fail(path, `must be a list of fingerprints, not ${showValue(v)}`);
      return fallback;
    }
    const out: Ghid[] = [];
    v.forEach((item, i) => {
      const g = toGhid(item);
      if (g.ok) out.push(g.value);
      else this.fail([...path, i], g.error);
    });
    return out;
  }

  /** `server.public_names`: each name of a list checked at its own line (text of names as parsePublicNames reads it); [] when wrong. */
  private nameList(v: unknown, path: FieldPath): string[] {
    if (!Array.isArray(v)) {
      const r = parsePublicNames(v);
      if (!r.ok) this.fail(path, r.error);
      return r.ok ? r.value : [];
    }
    const out: string[] = [];
    let ok = true;
    v.forEach((item, i) => {
      const r = parsePublicName(item);
      if (!r.ok) {
        this.fail([...path, i], r.error);
        ok = false;
      } else if (!out.includes(r.value)) out.push(r.value);
    });
    return ok ? out : [];
  }

  /** `account.kdf`: scrypt with its cost parameters, checked together; a problem names the part that is wrong. */
  private kdf(v: unknown, path: FieldPath): KdfSetting | null {
    if (!isMap(v)) {
      this.fail(path, `must be a section with algorithm, n, r and p, not ${showValue(v)}`);
      return null;
    }
    const { algorithm, n, r, p } = v;
    const int = (x: unknown, lo: number, hi: number): x is number => typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
    if (algorithm !== 'scrypt') this.fail([...path, 'algorithm'], `must be scrypt, not ${showValue(algorithm)}`);
    else if (!int(n, 1024, 2 ** 22) || (n & (n - 1)) !== 0) this.fail([...path, 'n'], `must be a power of two from 1024 to 4194304, not ${showValue(n)}`);
    else if (!int(r, 1, 32)) this.fail([...path, 'r'], `must be a whole number from 1 to 32, not ${showValue(r)}`);
    else if (!int(p, 1, 16)) this.fail([...path, 'p'], `must be a whole number from 1 to 16, not ${showValue(p)}`);
    else return { algorithm, n, r, p };
    return null;
  }

  remotes(v: unknown, spec: RemotesSpec): unknown[] {
    if (Array.isArray(v)) return v.flatMap((item, i) => this.remote(item, ['remotes', i], spec) ?? []);
    if (!absent(v)) this.fail(['remotes'], `must be a list of remotes (each with host, port and tls), not ${showValue(v)}`);
    return [];
  }

  /** One remote, or null when any of its values is wrong (its problems are reported). */
  private remote(item: unknown, path: FieldPath, spec: RemotesSpec): Tree | null {
    if (!isMap(item)) {
      this.fail(path, `must be a remote with host, port and tls, not ${showValue(item)}`);
      return null;
    }
    let ok = true;
    const out: Tree = {};
    for (const [key, itemSpec] of Object.entries(spec.items)) {
      const v = item[key];
      if (absent(v) && itemSpec.required) {
        this.fail([...path, key], 'is missing: every remote needs a host and a port');
        ok = false;
        continue;
      }
      const r = absent(v) ? { ok: true as const, value: itemSpec.default } : parserOf(itemSpec)(v);
      if (r.ok) out[key] = r.value;
      else {
        this.fail([...path, key], r.error);
        ok = false;
      }
    }
    for (const key of Object.keys(item)) {
      if (Object.hasOwn(spec.items, key) || LEGACY_MARKERS.has(key)) continue;
      this.warn('unknown-key', [...path, key], `${formatField([...path, key])} is not a remote setting and is ignored (it stays in the file)`);
    }
    return ok ? out : null;
  }
}

function toGhid(v: unknown): Field<Ghid> {
  const t = parseGhidText(v);
  if (!t.ok) return t;
  const g = Ghid.tryText(t.value);
  return g ? { ok: true, value: g } : { ok: false, error: `is not a valid GHID` };
}

function toSecret(v: unknown): Field<Secret> {
  const t = parseSecretText(v);
  if (!t.ok) return t;
  try {
    return { ok: true, value: Secret.fromText(t.value) };
  } catch (err) {
    return { ok: false, error: `is not a usable secret: ${(err as Error).message}` };
  }
}

/** A path setting: absolute as given, `~/…` from the home directory, anything else from the config directory. */
function toPath(v: unknown, ctx: ResolveContext): Field<string> {
  const t = parsePathText(v);
  if (!t.ok) return t;
  const p = t.value;
  // Through resolve() as the others: `~/cache/` is `~/cache` (the store names its siblings by
  // appending to the path, which a trailing slash would put inside the directory).
  if (p === '~' || p.startsWith('~/') || p.startsWith('~\\')) return { ok: true, value: resolve(ctx.homedir, `.${p.slice(1)}`) };
  return { ok: true, value: isAbsolute(p) ? resolve(p) : resolve(ctx.dir, p) };
}
