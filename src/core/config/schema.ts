import { isAbsolute, join, resolve } from 'node:path';
import {
  GIB,
  KIB,
  MAX_MESSAGE_BYTES,
  parseBoolean,
  parseByteSize,
  parseGhidText,
  parseHttpUrl,
  parseHost,
  parseInteger,
  parsePort,
  parseSecretText,
  parseServerHost,
  parseSharingPolicy,
  parseVerbosity,
  showValue,
  type Field,
  type SharingPolicy,
  type Verbosity,
} from '../../common/config-fields.js';
import { Ghid } from '../golix/ghid.js';
import { Secret } from '../golix/secret.js';
import { formatField, type FieldPath } from './errors.js';

export type { SharingPolicy, Verbosity };

export interface RemoteConfig {
  host: string;
  port: number;
  tls: boolean;
  /** Where a user registers their fingerprint with this remote (`config --register`); project key. */
  registration: string | null;
}

export interface NotificationsConfig {
  incoming_share: boolean;
  share_result: boolean;
  remote_unreachable: boolean;
  daemon_error: boolean;
}

/** The resolved configuration: every default applied, every path absolute. Keys in the file's order. */
export interface HypergolixConfig {
  process: {
    ghidcache: string;
    logdir: string;
    pid_file: string;
    ipc_port: number;
    ipc_legacy_clients: boolean;
  };
  instrumentation: {
    verbosity: Verbosity;
    debug: boolean;
    traceur: boolean;
  };
  user: {
    fingerprint: Ghid | null;
    user_id: Ghid | null;
    root_secret: Secret | null;
  };
  remotes: RemoteConfig[];
  server: {
    ghidcache: string;
    logdir: string;
    pid_file: string;
    /** A host or address; `AUTO` (detected LAN address) or `ANY` (all interfaces), upper-cased. */
    host: string;
    port: number;
    verbosity: Verbosity;
    debug: boolean;
    max_message_bytes: number;
    accept_v15: boolean;
    max_subscriptions: number;
    /** Fingerprints allowed to publish; null means anyone may (the reference's behaviour). */
    publish_allowlist: Ghid[] | null;
    /** Bytes of stored objects one identity may have signed; null for no quota (the reference's behaviour). */
    quota_bytes_per_identity: number | null;
    /** Stored objects one identity may have signed; null for no limit. */
    quota_objects_per_identity: number | null;
    /** Publishes per second per signing identity; null for no limit. */
    publish_rate_per_identity: number | null;
    /** Publishes one identity may make at once before its rate applies; null for ten seconds' worth. */
    publish_burst: number | null;
    /** Publishes of GIDCs and GARQs (which name no signer) per second per connection; null for no limit. */
    unsigned_publish_rate_per_connection: number | null;
  };
  sharing: {
    accept: SharingPolicy;
    block: Ghid[];
  };
  /** Written when an account is created here: how its password is stretched (so it can be raised later). */
  account: {
    kdf: { algorithm: 'scrypt'; n: number; r: number; p: number } | null;
  };
  desktop: {
    embedded_server: boolean;
    start_at_login: boolean;
    notifications: NotificationsConfig;
    unlock_automatically: boolean;
  };
}

export interface ConfigWarning {
  /** Stable: 'root-secret', 'unknown-key', 'legacy-file', 'ipc-legacy-clients', 'ignored-value'. */
  code: string;
  message: string;
  field: string | null;
  line: number | null;
}

export const CONFIG_FILE = 'hypergolix.yml';
export const LEGACY_CONFIG_FILE = 'hgx-cfg.json';

export const DEFAULT_IPC_PORT = 7772;
export const DEFAULT_SERVER_PORT = 7770;
export const DEFAULT_MAX_SUBSCRIPTIONS = 10_000;
/** Bounds of server.quota_bytes_per_identity: below 1 KiB not even one object fits. */
export const QUOTA_BYTES = { min: 1 * KIB, max: 1024 * GIB } as const;
/** Bounds of the publish rates (objects per second) and of server.publish_burst. */
export const PUBLISH_RATE = { min: 0.001, max: 1_000_000 } as const;
export const PUBLISH_BURST = { min: 1, max: 10_000_000 } as const;

/** The reference's sections and keys in the order it writes them (§6.1). */
export const REFERENCE_SCHEMA: ReadonlyArray<readonly [string, readonly string[] | null]> = [
  ['process', ['ghidcache', 'logdir', 'pid_file', 'ipc_port']],
  ['instrumentation', ['verbosity', 'debug', 'traceur']],
  ['user', ['fingerprint', 'user_id', 'root_secret']],
  ['remotes', null],
  ['server', ['ghidcache', 'logdir', 'pid_file', 'host', 'port', 'verbosity', 'debug']],
];

/** Every key this project reads, by section, in the order new keys are inserted into a file. */
export const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  process: ['ghidcache', 'logdir', 'pid_file', 'ipc_port', 'ipc_legacy_clients'],
  instrumentation: ['verbosity', 'debug', 'traceur'],
  user: ['fingerprint', 'user_id', 'root_secret'],
  remotes: [],
  server: [
    'ghidcache',
    'logdir',
    'pid_file',
    'host',
    'port',
    'verbosity',
    'debug',
    'max_message_bytes',
    'accept_v15',
    'max_subscriptions',
    'publish_allowlist',
    'quota_bytes_per_identity',
    'quota_objects_per_identity',
    'publish_rate_per_identity',
    'publish_burst',
    'unsigned_publish_rate_per_connection',
  ],
  sharing: ['accept', 'block'],
  desktop: ['embedded_server', 'start_at_login', 'notifications', 'unlock_automatically'],
  account: ['kdf'],
};
export const SECTION_ORDER = Object.keys(KNOWN_KEYS);
export const REMOTE_KEYS = ['host', 'port', 'tls', 'registration'];
const NOTIFICATION_KEYS: (keyof NotificationsConfig)[] = ['incoming_share', 'share_result', 'remote_unreachable', 'daemon_error'];

/** Keys the 2016 `hgx-cfg.json` carries that mean nothing now (§6.3); never reported as unknown. */
export const LEGACY_MARKERS = new Set(['__RemoteDef__', '__InstrumentationDef__', '__UserDef__', '__ProcessDef__']);

export function isReferenceKey(path: FieldPath): boolean {
  const [section, key] = path;
  const entry = REFERENCE_SCHEMA.find(([s]) => s === section);
  if (!entry) return false;
  if (path.length === 1) return true;
  return entry[1] === null ? typeof key === 'number' && path.length <= 3 : path.length === 2 && entry[1].includes(String(key));
}

/** Defect 31: the daemon's and the server's files default to different places. */
export function defaultPaths(dir: string) {
  return {
    process: { ghidcache: join(dir, 'ghidcache'), logdir: join(dir, 'logs'), pid_file: join(dir, 'hypergolix.pid') },
    server: {
      ghidcache: join(dir, 'server', 'ghidcache'),
      logdir: join(dir, 'server', 'logs'),
      pid_file: join(dir, 'hgx-server.pid'),
    },
  };
}

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

const isMap = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Turns the plain value of a parsed file into the typed config. Missing or null sections and keys
 * take their defaults; a present value that is wrong becomes a problem with its path and line.
 * Unknown keys are reported as warnings and otherwise ignored.
 */
export function resolveConfig(value: unknown, ctx: ResolveContext): Resolved {
  const problems: Problem[] = [];
  const warnings: ConfigWarning[] = [];
  const fail = (path: FieldPath, problem: string) => problems.push({ path, line: ctx.lineOf(path), problem });
  const warn = (code: string, path: FieldPath, message: string) =>
    warnings.push({ code, message, field: path.length ? formatField(path) : null, line: path.length ? ctx.lineOf(path) : null });

  let top: Tree = {};
  if (isMap(value)) top = value;
  else if (value !== null && value !== undefined) {
    fail([], `must hold sections such as "process:" and "remotes:", but holds ${showValue(value)}`);
  }

  const section = (name: string): Tree => {
    const v = top[name];
    if (v === null || v === undefined) return {};
    if (isMap(v)) {
      for (const key of Object.keys(v)) {
        if (KNOWN_KEYS[name]!.includes(key) || LEGACY_MARKERS.has(key)) continue;
        if (name === 'user' && key === 'password') continue;
        warn('unknown-key', [name, key], `${formatField([name, key])} is not a Hypergolix setting and is ignored (it stays in the file)`);
      }
      return v;
    }
    fail([name], `must be a section of keys, not ${showValue(v)}`);
    return {};
  };
  for (const key of Object.keys(top)) {
    if (!(key in KNOWN_KEYS)) warn('unknown-key', [key], `"${key}" is not a Hypergolix section and is ignored (it stays in the file)`);
  }

  /** Reads one value; null/absent → fallback; a parse failure → problem and fallback. */
  function field<T>(tree: Tree, path: FieldPath, parse: (v: unknown) => Field<T>, fallback: T): T {
    const v = tree[path[path.length - 1]!];
    if (v === null || v === undefined) return fallback;
    const r = parse(v);
    if (r.ok) return r.value;
    fail(path, r.error);
    return fallback;
  }
  const pathField = (tree: Tree, path: FieldPath, fallback: string) => field(tree, path, (v) => parsePath(v, ctx), fallback);
  const ghidList = (tree: Tree, path: FieldPath): Ghid[] | null => {
    const v = tree[path[path.length - 1]!];
    if (v === null || v === undefined) return null;
    if (!Array.isArray(v)) {
      fail(path, `must be a list of fingerprints, not ${showValue(v)}`);
      return null;
    }
    const out: Ghid[] = [];
    v.forEach((item, i) => {
      const g = toGhid(item);
      if (g.ok) out.push(g.value);
      else fail([...path, i], g.error);
    });
    return out;
  };

  const defaults = defaultPaths(ctx.dir);

  const p = section('process');
  const process: HypergolixConfig['process'] = {
    ghidcache: pathField(p, ['process', 'ghidcache'], defaults.process.ghidcache),
    logdir: pathField(p, ['process', 'logdir'], defaults.process.logdir),
    pid_file: pathField(p, ['process', 'pid_file'], defaults.process.pid_file),
    ipc_port: field(p, ['process', 'ipc_port'], parsePort, DEFAULT_IPC_PORT),
    ipc_legacy_clients: field(p, ['process', 'ipc_legacy_clients'], parseBoolean, false),
  };

  const ins = section('instrumentation');
  const instrumentation: HypergolixConfig['instrumentation'] = {
    verbosity: field(ins, ['instrumentation', 'verbosity'], parseVerbosity, 'info' as Verbosity),
    debug: field(ins, ['instrumentation', 'debug'], parseBoolean, false),
    traceur: false,
  };
  // The reference never reads traceur, so no value of it may stop a start.
  const traceur = ins['traceur'];
  if (traceur !== null && traceur !== undefined) {
    const t = parseBoolean(traceur);
    if (t.ok) instrumentation.traceur = t.value;
    else warn('ignored-value', ['instrumentation', 'traceur'], `instrumentation.traceur is unused and ${t.error}; ignored`);
  }

  const u = section('user');
  const user: HypergolixConfig['user'] = {
    fingerprint: field(u, ['user', 'fingerprint'], toGhid, null),
    user_id: field(u, ['user', 'user_id'], toGhid, null),
    root_secret: field(u, ['user', 'root_secret'], toSecret, null),
  };
  if (user.root_secret) {
    warn(
      'root-secret',
      ['user', 'root_secret'],
      'user.root_secret keeps the key to your whole account in plain text: anyone who can read this file can open ' +
        'your account. Remove it and use "unlock automatically", which keeps the secret in the system keychain.',
    );
  }

  const remotes: RemoteConfig[] = [];
  const rv = top['remotes'];
  if (Array.isArray(rv)) {
    rv.forEach((item, i) => {
      const r = resolveRemote(item, ['remotes', i], fail, warn);
      if (r) remotes.push(r);
    });
  } else if (rv !== null && rv !== undefined) {
    fail(['remotes'], `must be a list of remotes (each with host, port and tls), not ${showValue(rv)}`);
  }

  const s = section('server');
  const server: HypergolixConfig['server'] = {
    ghidcache: pathField(s, ['server', 'ghidcache'], defaults.server.ghidcache),
    logdir: pathField(s, ['server', 'logdir'], defaults.server.logdir),
    pid_file: pathField(s, ['server', 'pid_file'], defaults.server.pid_file),
    host: field(s, ['server', 'host'], parseServerHost, '127.0.0.1'),
    port: field(s, ['server', 'port'], parsePort, DEFAULT_SERVER_PORT),
    verbosity: field(s, ['server', 'verbosity'], parseVerbosity, 'info' as Verbosity),
    debug: field(s, ['server', 'debug'], parseBoolean, false),
    max_message_bytes: field(
      s,
      ['server', 'max_message_bytes'],
      (v) => parseByteSize(v, MAX_MESSAGE_BYTES.min, MAX_MESSAGE_BYTES.max),
      MAX_MESSAGE_BYTES.default,
    ),
    accept_v15: field(s, ['server', 'accept_v15'], parseBoolean, false),
    max_subscriptions: field(s, ['server', 'max_subscriptions'], (v) => parseInteger(v, 1, 10_000_000), DEFAULT_MAX_SUBSCRIPTIONS),
    publish_allowlist: ghidList(s, ['server', 'publish_allowlist']),
    quota_bytes_per_identity: field(s, ['server', 'quota_bytes_per_identity'], (v) => parseByteSize(v, QUOTA_BYTES.min, QUOTA_BYTES.max), null),
    quota_objects_per_identity: field(s, ['server', 'quota_objects_per_identity'], (v) => parseInteger(v, 1, 1_000_000_000), null),
    publish_rate_per_identity: field(s, ['server', 'publish_rate_per_identity'], parseRate, null),
    publish_burst: field(s, ['server', 'publish_burst'], (v) => parseInteger(v, PUBLISH_BURST.min, PUBLISH_BURST.max), null),
    unsigned_publish_rate_per_connection: field(s, ['server', 'unsigned_publish_rate_per_connection'], parseRate, null),
  };
  if (server.publish_burst !== null && server.publish_rate_per_identity === null) {
    warn('ignored-value', ['server', 'publish_burst'], 'server.publish_burst has no effect without server.publish_rate_per_identity');
  }

  const sh = section('sharing');
  const sharing: HypergolixConfig['sharing'] = {
    accept: field(sh, ['sharing', 'accept'], parseSharingPolicy, 'ask' as SharingPolicy),
    block: ghidList(sh, ['sharing', 'block']) ?? [],
  };

  const d = section('desktop');
  const notifications: NotificationsConfig = { incoming_share: true, share_result: true, remote_unreachable: true, daemon_error: true };
  const nv = d['notifications'];
  if (isMap(nv)) {
    for (const key of NOTIFICATION_KEYS) notifications[key] = field(nv, ['desktop', 'notifications', key], parseBoolean, true);
  } else if (nv !== null && nv !== undefined) {
    fail(['desktop', 'notifications'], `must be a section of on/off switches, not ${showValue(nv)}`);
  }
  const desktop: HypergolixConfig['desktop'] = {
    embedded_server: field(d, ['desktop', 'embedded_server'], parseBoolean, false),
    start_at_login: field(d, ['desktop', 'start_at_login'], parseBoolean, false),
    notifications,
    unlock_automatically: field(d, ['desktop', 'unlock_automatically'], parseBoolean, false),
  };

  const a = section('account');
  let kdf: HypergolixConfig['account']['kdf'] = null;
  const kv = a['kdf'];
  if (isMap(kv)) {
    const { algorithm, n, r, p } = kv as Record<string, unknown>;
    const int = (v: unknown, lo: number, hi: number) => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
    if (algorithm !== 'scrypt') fail(['account', 'kdf', 'algorithm'], `must be scrypt, not ${showValue(algorithm)}`);
    else if (!int(n, 1024, 2 ** 22) || ((n as number) & ((n as number) - 1)) !== 0) fail(['account', 'kdf', 'n'], `must be a power of two from 1024 to 4194304, not ${showValue(n)}`);
    else if (!int(r, 1, 32)) fail(['account', 'kdf', 'r'], `must be a whole number from 1 to 32, not ${showValue(r)}`);
    else if (!int(p, 1, 16)) fail(['account', 'kdf', 'p'], `must be a whole number from 1 to 16, not ${showValue(p)}`);
    else kdf = { algorithm, n: n as number, r: r as number, p: p as number };
  } else if (kv !== null && kv !== undefined) {
    fail(['account', 'kdf'], `must be a section with algorithm, n, r and p, not ${showValue(kv)}`);
  }
  const account: HypergolixConfig['account'] = { kdf };

  if (process.ipc_legacy_clients) {
    warn(
      'ipc-legacy-clients',
      ['process', 'ipc_legacy_clients'],
      'process.ipc_legacy_clients is on: any program on this computer can use your account through the IPC port without a key',
    );
  }

  return { config: { process, instrumentation, user, remotes, server, sharing, account, desktop }, warnings, problems };
}

function resolveRemote(
  item: unknown,
  path: FieldPath,
  fail: (path: FieldPath, problem: string) => void,
  warn: (code: string, path: FieldPath, message: string) => void,
): RemoteConfig | null {
  if (!isMap(item)) {
    fail(path, `must be a remote with host, port and tls, not ${showValue(item)}`);
    return null;
  }
  let ok = true;
  const need = <T>(key: string, parse: (v: unknown) => Field<T>): T | null => {
    const v = item[key];
    if (v === null || v === undefined) {
      fail([...path, key], 'is missing: every remote needs a host and a port');
      ok = false;
      return null;
    }
    const r = parse(v);
    if (r.ok) return r.value;
    fail([...path, key], r.error);
    ok = false;
    return null;
  };
  const host = need('host', parseHost);
  const port = need('port', parsePort);
  let tls = false;
  if (item['tls'] !== null && item['tls'] !== undefined) {
    const t = parseBoolean(item['tls']);
    if (t.ok) tls = t.value;
    else {
      fail([...path, 'tls'], t.error);
      ok = false;
    }
  }
  let registration: string | null = null;
  if (item['registration'] !== null && item['registration'] !== undefined) {
    const r = parseHttpUrl(item['registration']);
    if (r.ok) registration = r.value;
    else {
      fail([...path, 'registration'], r.error);
      ok = false;
    }
  }
  for (const key of Object.keys(item)) {
    if (!REMOTE_KEYS.includes(key) && !LEGACY_MARKERS.has(key)) {
      warn('unknown-key', [...path, key], `${formatField([...path, key])} is not a remote setting and is ignored (it stays in the file)`);
    }
  }
  return ok ? { host: host!, port: port!, tls, registration } : null;
}

/** A rate in objects per second: a positive number, fractions allowed ("0.5" is one every two seconds). */
export function parseRate(v: unknown): Field<number> {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d{1,9}(\.\d{1,9})?\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < PUBLISH_RATE.min || n > PUBLISH_RATE.max) {
    return { ok: false, error: `must be a number of objects per second from ${PUBLISH_RATE.min} to ${PUBLISH_RATE.max}, not ${showValue(v)}` };
  }
  return { ok: true, value: n };
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
function parsePath(v: unknown, ctx: ResolveContext): Field<string> {
  if (typeof v !== 'string' || v.trim() === '' || v.includes('\0')) {
    return { ok: false, error: `must be a file system path, not ${showValue(v)}` };
  }
  if (v === '~' || v.startsWith('~/') || v.startsWith('~\\')) return { ok: true, value: join(ctx.homedir, v.slice(1)) };
  return { ok: true, value: isAbsolute(v) ? resolve(v) : resolve(ctx.dir, v) };
}

/** Plain JSON form of a resolved config, for comparisons and for hosts that send it across a boundary. */
export function plainConfig(config: HypergolixConfig): unknown {
  return JSON.parse(
    JSON.stringify(config, (_k, v: unknown) => (v instanceof Secret ? v.text : v instanceof Ghid ? v.text : v)),
  ) as unknown;
}
