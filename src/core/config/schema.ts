/**
 * The resolved configuration's types and the file's fixed names. The keys themselves, with
 * their defaults, validators and words, are declared once in src/common/config-keys.ts; the
 * types here follow from that table, with the engine's values (Ghid, Secret) in place of text.
 */
import { type ConfigKeys, type KindValues, type ValuesOf } from '../../common/config-keys.js';
import { isKey, isRemotes, keysOf, nodeAt } from '../../common/config-paths.js';
import type { SharingPolicy, Verbosity } from '../../common/config-fields.js';
import { Ghid } from '../golix/ghid.js';
import { Secret } from '../golix/secret.js';
import type { FieldPath } from './errors.js';

export type { SharingPolicy, Verbosity };

/** Each kind's value once resolved: GHIDs and secrets parsed, paths absolute. */
interface ResolvedKinds extends Omit<KindValues, 'ghid' | 'ghid-list' | 'secret'> {
  ghid: Ghid;
  'ghid-list': Ghid[];
  secret: Secret;
}

/**
 * The resolved configuration: every default applied, every path absolute, one property per key
 * of src/common/config-keys.ts (whose entries say what each means), in the file's order.
 */
export type HypergolixConfig = ValuesOf<ConfigKeys, ResolvedKinds>;

export interface ConfigWarning {
  /** Stable: 'root-secret', 'unknown-key', 'legacy-file', 'ipc-legacy-clients', 'ignored-value', 'config-permissions', 'port-clash'. */
  code: string;
  message: string;
  field: string | null;
  line: number | null;
}

export const CONFIG_FILE = 'hypergolix.yml';
export const LEGACY_CONFIG_FILE = 'hgx-cfg.json';

/** Keys the 2016 `hgx-cfg.json` carries that mean nothing now (§6.3); never reported as unknown. */
export const LEGACY_MARKERS = new Set(['__RemoteDef__', '__InstrumentationDef__', '__UserDef__', '__ProcessDef__']);

/** Keys the reference wrote that mean nothing now and are not reported: user.password, always null. */
export const isRetiredKey = (section: string, key: string): boolean => section === 'user' && key === 'password';

/**
 * Whether a path names one of the reference's sections or keys (§6.1), whose "default" is written
 * as null rather than by leaving the key out. A remote and its items all count as the reference's.
 */
export function isReferenceKey(path: FieldPath): boolean {
  const [section, key] = path;
  const node = typeof section === 'string' ? nodeAt([section]) : undefined;
  if (node === undefined) return false;
  if (isRemotes(node)) return path.length === 1 || (typeof key === 'number' && path.length <= 3);
  if (path.length === 1) return keysOf(node).some((k) => k.spec.reference);
  const spec = path.length === 2 ? nodeAt(path) : undefined;
  return spec !== undefined && isKey(spec) && spec.reference;
}

/** Plain JSON form of a resolved config, for comparisons and for hosts that send it across a boundary. */
export function plainConfig(config: HypergolixConfig): unknown {
  return JSON.parse(
    JSON.stringify(config, (_k, v: unknown) => (v instanceof Secret ? v.text : v instanceof Ghid ? v.text : v)),
  ) as unknown;
}
