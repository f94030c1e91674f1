import { DispatchError, DoesNotExist, Ghid, type Gobd, type GolixObject, type Secret } from '../golix/index.js';
import { decodeAppObject, type ApiId } from '../objects/hgxd.js';
import { healSecret } from '../objects/secrets.js';
import type { LegacyAccount } from './legacy-account.js';
import type { BindingSource, ObjectSource } from './source.js';

/** One app object of a legacy account, read at its current version. */
export interface LegacyAppObject {
  /** The object's GHID: its dynamic GHID, or for a static object its container's. */
  ghid: Ghid;
  apiId: ApiId;
  dynamic: boolean;
  state: Buffer;
  /** Who made it: the binder of a dynamic object, the author of a static one. */
  author: Ghid;
  /** The container read, its secret, and where that secret came from. */
  container: Ghid;
  secret: Secret;
  secretFrom: 'persistent' | 'quarantine';
  /** The current frame's counter (null for a static object, or a v15 frame). */
  counter: bigint | null;
  /** The app token the object is private to (`dispatch_private`), if any. */
  privateTo: Buffer | null;
  /** App tokens that open the object at startup (`dispatch_startup`). */
  startupOf: readonly Buffer[];
}

/** Why a candidate was not returned, as data. */
export type SkipReason =
  /** No source has it (the reference keeps only current containers: older ones are collected). */
  | 'missing'
  /** Neither store has a secret that reaches its current container. */
  | 'no-secret'
  /** It decrypts to something else than an `hgxd` app object (e.g. a 2016 account object). */
  | 'not-app-object'
  /** Its container is not written by whoever binds it. */
  | 'foreign-container';

export interface AppObjectScan {
  objects: LegacyAppObject[];
  skipped: { ghid: Ghid; reason: SkipReason }[];
}

/**
 * Finds and opens the app objects of a legacy account, read-only. The reference keys its secrets
 * by container, so the candidates are what binds each container in the persistent and
 * quarantine stores (`bindingsOf`), plus every object the account's lists name (private,
 * startup, incoming shares). Each is opened at its current container; the reference keeps no
 * history, so only the secret of `target_vector[0]` — or one the ratchet reaches it from — helps.
 * Containers whose binding is gone and the account's own objects are passed over silently.
 */
export async function readAppObjects(account: LegacyAccount, source: ObjectSource, bindingsOf: BindingSource): Promise<AppObjectScan> {
  const own = new Set([account.userId, ...account.systemObjects.map((o) => o.ghid)].map((g) => g.text));
  const candidates = new Map<string, Ghid>();
  const add = (g: Ghid | null) => {
    if (g && !own.has(g.text)) candidates.set(g.text, g);
  };
  for (const { ghid } of [...account.privateObjects, ...account.startupObjects, ...account.incomingShares]) add(ghid);
  const keyed = new Set([...account.persistentSecrets.keys(), ...account.quarantinedSecrets.keys()]);
  for (const container of [...keyed].map((text) => Ghid.fromText(text))) {
    for (const binding of await bindingsOf(container)) add(await boundObject(source, binding, container));
  }
  const read = await Promise.all([...candidates.values()].map(async (ghid) => ({ ghid, read: await readOne(account, source, ghid) })));
  return {
    objects: read.flatMap(({ read }) => ('reason' in read ? [] : [read])),
    skipped: read.flatMap(({ ghid, read }) => ('reason' in read ? [{ ghid, reason: read.reason }] : [])),
  };
}

/** The app object a binding of `container` makes: the dynamic GHID of a GOBD, the container itself for a GOBS. */
async function boundObject(source: ObjectSource, binding: Ghid, container: Ghid): Promise<Ghid | null> {
  const obj = await fetchOrNull(source, binding);
  if (obj?.type === 'GOBD') return obj.dynamic;
  if (obj?.type === 'GOBS' && obj.target.equals(container)) return container;
  return null;
}

async function readOne(account: LegacyAccount, source: ObjectSource, ghid: Ghid): Promise<LegacyAppObject | { reason: SkipReason }> {
  const obj = await fetchOrNull(source, ghid);
  if (!obj) return { reason: 'missing' };
  if (obj.type !== 'GOBD' && obj.type !== 'GEOC') return { reason: 'not-app-object' };
  const dynamic = obj.type === 'GOBD';
  const container = dynamic ? await fetchOrNull(source, obj.targets[0]!) : obj;
  if (!container) return { reason: 'missing' };
  if (container.type !== 'GEOC') return { reason: 'not-app-object' };
  const author = dynamic ? obj.binder : obj.author;
  if (!container.author.equals(author)) return { reason: 'foreign-container' };
  const known = dynamic ? frameSecret(account, obj) : storedSecret(account, ghid);
  if (!known) return { reason: 'no-secret' };
  let app: { apiId: ApiId; state: Buffer };
  try {
    app = decodeAppObject(known.secret.apply(container.payload));
  } catch (err) {
    if (err instanceof DispatchError) return { reason: 'not-app-object' };
    throw err;
  }
  return {
    ghid,
    ...app,
    dynamic,
    author,
    container: container.ghid,
    secret: known.secret,
    secretFrom: known.from,
    counter: dynamic ? obj.counter : null,
    privateTo: account.privateObjects.find((p) => p.ghid.equals(ghid))?.token ?? null,
    startupOf: account.startupObjects.filter((s) => s.ghid.equals(ghid)).map((s) => s.token),
  };
}

type Known = { secret: Secret; from: LegacyAppObject['secretFrom'] };

function storedSecret(account: LegacyAccount, container: Ghid): Known | null {
  const persistent = account.persistentSecrets.get(container.text);
  if (persistent) return { secret: persistent, from: 'persistent' };
  const quarantined = account.quarantinedSecrets.get(container.text);
  return quarantined ? { secret: quarantined, from: 'quarantine' } : null;
}

/**
 * The secret of a frame's current container: stored under it, or ratcheted from the newest older
 * container of its vector whose secret is stored (golix §8.3; GOBD v16 only, a v15 history names
 * frames, not containers).
 */
function frameSecret(account: LegacyAccount, frame: Gobd): Known | null {
  const vector = frame.version === 16 ? frame.targets : frame.targets.slice(0, 1);
  for (const container of vector) {
    const known = storedSecret(account, container);
    if (known) return { secret: healSecret(frame, { container, secret: known.secret }), from: known.from };
  }
  return null;
}

async function fetchOrNull(source: ObjectSource, ghid: Ghid): Promise<GolixObject | null> {
  try {
    return await source(ghid);
  } catch (err) {
    if (err instanceof DoesNotExist) return null;
    throw err;
  }
}
