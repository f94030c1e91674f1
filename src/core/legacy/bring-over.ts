import { Account } from '../account/account.js';
import { deriveRootSecret, type KdfParams } from '../account/kdf.js';
import { IncorrectPassword } from '../account/errors.js';
import { frameOf, makeFrame, type Ghid, type PrivateIdentity } from '../golix/index.js';
import type { ObjectIO } from '../objects/object-io.js';
import { SecretStore } from '../objects/secrets.js';
import { readAppObjects } from './app-objects.js';
import type { LegacyFormat } from './errors.js';
import type { LegacyAccount } from './legacy-account.js';
import type { BindingSource } from './source.js';

/** What bringing an account over did, for the one line that says so. */
export interface BroughtOver {
  format: LegacyFormat;
  /** The user ID the Python Hypergolix made (its root node, left as it was). */
  from: Ghid;
  /** The user ID of the account in this project's format. */
  to: Ghid;
  /** App objects whose secrets came along, and those that could not be read. */
  appObjects: number;
  skipped: number;
}

const FORMAT_NAMES: Record<LegacyFormat, string> = { 'reference-0.1': 'Python Hypergolix 0.1', '2016': 'Python Hypergolix of 2016' };

/** The one line a host shows (CLI output, daemon log, UI notice). */
export function broughtOverLine(b: BroughtOver): string {
  return (
    `Brought over the account made by the ${FORMAT_NAMES[b.format]} (user ID ${b.from.text}) into this version's format ` +
    `(user ID ${b.to.text}), with ${b.appObjects} app object${b.appObjects === 1 ? '' : 's'}; the original account was left as it was.`
  );
}

/**
 * Brings a legacy account over into our format (docs/formats.md, "Bringing an account over"):
 * a new root node under the same identity and the same password and KDF, every app object the
 * legacy account could read with its secret in the new `secrets` map, and a bridge so the old
 * user ID finds the new account from any computer. Only new objects are written: the Python
 * Hypergolix's own objects stay untouched, and its daemon can still log in with them.
 */
export async function bringOver(o: {
  io: ObjectIO;
  bindingsOf: BindingSource;
  legacy: LegacyAccount;
  /** Derives the new root secret; without it, the legacy root secret is kept (0.1 accounts derive the same). */
  password?: string;
  kdf: KdfParams;
  device: string;
}): Promise<{ account: Account; broughtOver: BroughtOver }> {
  const { legacy } = o;
  const scan = await readAppObjects(legacy, (g) => o.io.fetch(g), o.bindingsOf);
  const rootSecret = o.password === undefined ? legacy.rootSecret : await deriveRootSecret(o.password, legacy.fingerprint, o.kdf);
  // A 0.1 account's root secret is its password's: one that derives another is not its password
  // (the account opened by a root secret in the config, the password mistyped), and must not
  // become the new account's, which neither the real password nor the old secret would open.
  if (legacy.format === 'reference-0.1' && !rootSecret.equals(legacy.rootSecret)) {
    throw new IncorrectPassword('That is not the password of the account being brought over');
  }
  const account = await Account.create({ io: o.io, password: '', rootSecret, identity: legacy.identity, device: o.device });
  const secrets = new SecretStore(account.secrets);
  for (const obj of scan.objects) {
    if (obj.dynamic) secrets.setDynamic(obj.ghid, { container: obj.container, secret: obj.secret, binder: obj.author, counter: obj.counter ?? 0n });
    else secrets.setStatic(obj.container, obj.secret);
  }
  await account.flush();
  await publishBridge(o.io, legacy.identity, legacy.userId, account.userId);
  return {
    account,
    broughtOver: { format: legacy.format, from: legacy.userId, to: account.userId, appObjects: scan.objects.length, skipped: scan.skipped.length },
  };
}

/**
 * The bridge: a dynamic binding by the account's identity whose current frame targets the old
 * user ID first and the new one second. The old root node's bindings (a remote's `?B`) name it,
 * so another computer finds the new account from the old user ID alone.
 */
async function publishBridge(io: ObjectIO, identity: PrivateIdentity, from: Ghid, to: Ghid): Promise<void> {
  const first = await makeFrame(identity, to);
  const current = await makeFrame(identity, from, frameOf(first));
  await io.publish(first, current);
}

/** The account already brought over from `from` (on this computer or another): its new user ID, or null. */
export async function findBroughtOver(io: ObjectIO, bindingsOf: BindingSource, from: Ghid, fingerprint: Ghid): Promise<Ghid | null> {
  for (const binding of await bindingsOf(from)) {
    const bridge = await io.fetch(binding).catch(() => null);
    if (bridge?.type !== 'GOBD' || !bridge.binder.equals(fingerprint) || bridge.targets.length < 2 || !bridge.targets[0]!.equals(from)) continue;
    const to = bridge.targets[1]!;
    const root = await io.fetch(to).catch(() => null);
    if (root?.type === 'GOBD' && root.binder.equals(fingerprint) && root.dynamic.equals(to)) return to;
  }
  return null;
}
