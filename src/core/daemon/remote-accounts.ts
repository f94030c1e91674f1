/**
 * What the daemon tells a user about its account on each remote: a signed link to a remote's
 * registration page, and what each remote says of the account (registered or free tier).
 */
import { ValueError, type PrivateIdentity } from '../golix/index.js';
import { RegistrationUnavailable, registrationLink, remoteAccount, type RemoteAccount } from '../registration/client.js';
import type { NetworkIO } from './network-io.js';

export interface RemoteAccountView {
  remote: string;
  /** null for a remote that keeps no accounts or cannot be asked now. */
  account: RemoteAccount | null;
  error: string | null;
}

/**
 * A signed link to a remote's registration page (`remote`: its `host:port`; the first remote
 * when absent). The remote's challenge is signed with the account's identity, so the page
 * registers this fingerprint and no other.
 */
export async function registrationLinkFor(network: NetworkIO, identity: PrivateIdentity, remote?: string): Promise<string> {
  const spec = network.remoteSpec(remote);
  if (!spec) throw new ValueError(remote === undefined ? 'No remote is configured, so there is nowhere to register' : `${remote} is not one of the configured remotes`);
  return registrationLink(spec, identity);
}

/**
 * What each remote says of the account. A remote that says registered gets the uploads it
 * refused before, at once.
 */
export function remoteAccountsOf(network: NetworkIO, fingerprint: string): Promise<RemoteAccountView[]> {
  return Promise.all(
    network.status().map(async ({ label, freeTier }) => {
      const spec = network.remoteSpec(label)!;
      try {
        const account = await remoteAccount(spec, fingerprint);
        if (account.status === 'registered' && freeTier) network.retryUploads(label);
        return { remote: label, account, error: null };
      } catch (err) {
        return { remote: label, account: null, error: err instanceof RegistrationUnavailable ? null : (err as Error).message };
      }
    }),
  );
}
