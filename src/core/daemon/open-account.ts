import { Account } from '../account/account.js';
import { AccountFromOtherVersion, AccountNotFound, AccountUnreachable } from '../account/errors.js';
import { DEFAULT_KDF, type KdfParams } from '../account/kdf.js';
import { ValueError, type Ghid, type Secret } from '../golix/index.js';
import { bringOver, findBroughtOver, type BroughtOver } from '../legacy/bring-over.js';
import { open2016Account, openReferenceAccount, type LegacyFormat } from '../legacy/index.js';
import type { NetworkIO } from './network-io.js';

export interface AccountLogin {
  userId: Ghid;
  fingerprint?: Ghid | null;
  password?: string;
  rootSecret?: Secret;
  kdf?: KdfParams;
  /** A recovery kit's key: opens the account and sets `password` as its new password. */
  recoveryKey?: Uint8Array;
}

export interface OpenedAccount {
  account: Account;
  /** Set when this login brought an account of the Python Hypergolix over (the first time, anywhere). */
  broughtOver: BroughtOver | null;
}

const LEGACY_FORMATS: readonly string[] = ['reference-0.1', '2016'] satisfies LegacyFormat[];

/**
 * Opens the account a user ID names, whatever made it. Our own format opens directly. An account
 * of the Python Hypergolix opens through the account it was brought over into (found by its
 * bridge, on this computer or a remote), or is brought over now. The errors tell apart a wrong
 * password, another version, damage, an account not there and remotes out of reach.
 */
export async function openAccount(network: NetworkIO, login: AccountLogin, device: string, hasLocal: boolean): Promise<OpenedAccount> {
  const remotes = network.status();
  if (!hasLocal && remotes.length > 0 && !remotes.some((r) => r.connected)) {
    throw new AccountUnreachable(login.userId, remotes.map((r) => r.label), remotes.find((r) => r.lastFailure)?.lastFailure ?? null);
  }
  const searched = remotes.length === 0 ? 'local' : 'local and remotes';
  try {
    return { account: await Account.login({ io: network, device, searched, ...login }), broughtOver: null };
  } catch (err) {
    if (!(err instanceof AccountFromOtherVersion) || !LEGACY_FORMATS.includes(err.format)) throw err;
    return openLegacy(network, login, device, err.format as LegacyFormat);
  }
}

async function openLegacy(network: NetworkIO, login: AccountLogin, device: string, format: LegacyFormat): Promise<OpenedAccount> {
  const root = await network.fetch(login.userId);
  if (root?.type !== 'GOBD') throw new AccountNotFound(login.userId, 'local and remotes');
  const bindingsOf = (g: Ghid) => network.bindingsOf(g);
  const bridged = await findBroughtOver(network, bindingsOf, login.userId, root.binder);
  if (bridged) {
    return { account: await Account.login({ io: network, device, ...login, userId: bridged, fingerprint: root.binder }), broughtOver: null };
  }
  const source = (g: Ghid) => network.fetch(g);
  const kdf = login.kdf ?? DEFAULT_KDF;
  let legacy;
  if (format === '2016') {
    if (login.password === undefined) throw new ValueError('An account of the 2016 Hypergolix opens with its password only, not a root secret');
    legacy = await open2016Account({ source, userId: login.userId, fingerprint: login.fingerprint, password: login.password, kdf });
  } else {
    legacy = await openReferenceAccount({ source, userId: login.userId, fingerprint: login.fingerprint, password: login.password, rootSecret: login.rootSecret, kdf });
  }
  return bringOver({ io: network, bindingsOf, legacy, password: login.password, kdf, device });
}
