import { DoesNotExist, type Geoc, type Ghid, type Gobd, type GolixObject, type Secret } from '../golix/index.js';
import { DamagedAccount, LegacyObjectMissing } from './errors.js';

/**
 * Where the readers get objects: a GHID → the object, or null when nobody has it. For a dynamic
 * GHID, the current frame. A local ghidcache, a RulesEngine or a remote all fit; checking
 * signatures is the source's business (a RulesEngine does), the readers check binders and authors.
 */
export type ObjectSource = (ghid: Ghid) => Promise<GolixObject | null> | GolixObject | null;

/**
 * What binds a target: GOBS GHIDs and dynamic GHIDs (a RulesEngine's `bindingsOf`, a remote's
 * `?B`). Only enumerating app objects needs it: the reference keys secrets by container.
 */
export type BindingSource = (target: Ghid) => Promise<readonly Ghid[]> | readonly Ghid[];

/** Fetches an object the account needs; a missing one is a LegacyObjectMissing naming its role. */
export async function fetchObject(source: ObjectSource, ghid: Ghid, role: string): Promise<GolixObject> {
  let obj: GolixObject | null;
  try {
    obj = await source(ghid);
  } catch (err) {
    if (err instanceof DoesNotExist) throw new LegacyObjectMissing(ghid, role);
    throw err;
  }
  if (!obj) throw new LegacyObjectMissing(ghid, role);
  return obj;
}

/** The current frame of one of the account's dynamic objects, which its fingerprint must bind (defect 9). */
export async function fetchAccountFrame(source: ObjectSource, ghid: Ghid, binder: Ghid, part: string): Promise<Gobd> {
  const frame = await fetchObject(source, ghid, `${part} frame`);
  if (frame.type !== 'GOBD' || !frame.dynamic.equals(ghid)) throw new DamagedAccount(part, `${ghid.short} is not a dynamic object`);
  if (!frame.binder.equals(binder)) throw new DamagedAccount(part, `bound by ${frame.binder.short}, not the account ${binder.short}`);
  return frame;
}

/** The container a frame points to now; its author must be the frame's binder. */
export async function fetchCurrentContainer(source: ObjectSource, frame: Gobd, part: string): Promise<Geoc> {
  const target = frame.targets[0]!;
  const container = await fetchObject(source, target, `${part} container`);
  if (container.type !== 'GEOC') throw new DamagedAccount(part, `the frame's target ${target.short} is a ${container.type}, not a container`);
  if (!container.author.equals(frame.binder)) throw new DamagedAccount(part, `container written by ${container.author.short}, not ${frame.binder.short}`);
  return container;
}

/**
 * The secret of a master-secret object's current frame (golix §8.1, §8.2): ratchet(master,
 * dynamic GHID, salt), the salt being the previous container (`target_vector[1]`, GOBD v16) or the
 * previous frame (`history[0]`, GOBD v15). A first frame carries a throwaway secret: unreadable.
 * (account/master-object.ts derives the same, inside a reader bound to ObjectIO.)
 */
export function masterFrameSecret(frame: Gobd, master: Secret, part: string): Secret {
  const salt = frame.version === 15 ? frame.history[0] : frame.targets[1];
  if (!salt) throw new DamagedAccount(part, 'only its first frame exists, whose secret is not derived from the master');
  return master.ratchet(frame.dynamic, salt);
}

/** Opens a master-secret object: its current frame, bound by the account, decrypted. */
export async function openMasterObject(
  source: ObjectSource,
  ghid: Ghid,
  master: Secret,
  binder: Ghid,
  part: string,
): Promise<{ frame: Gobd; container: Geoc; plaintext: Buffer }> {
  return readMasterFrame(source, await fetchAccountFrame(source, ghid, binder, part), master, part);
}

/** Decrypts the current container of a master-secret object's frame already in hand. */
export async function readMasterFrame(source: ObjectSource, frame: Gobd, master: Secret, part: string): Promise<{ frame: Gobd; container: Geoc; plaintext: Buffer }> {
  const secret = masterFrameSecret(frame, master, part);
  const container = await fetchCurrentContainer(source, frame, part);
  return { frame, container, plaintext: secret.apply(container.payload) };
}
