/**
 * The daemon's side of registration: fetch a challenge from a remote's HTTP listener, sign it
 * with the account's identity, and build the page link the browser opens; and read what the
 * remote says of the account (registered or free tier, with usage) for the status views.
 */
import { CommsError, ValueError, type PrivateIdentity } from '../golix/index.js';
import { signChallenge } from './proof.js';
import type { AccountStatus, RegistrationPolicy } from './records.js';

export interface RemoteAddress {
  host: string;
  port: number;
  tls: boolean;
}

/** What a remote says of one account. */
export interface RemoteAccount {
  policy: Exclude<RegistrationPolicy, 'off'>;
  status: AccountStatus | 'unregistered';
  usedBytes: number;
  freeBytes: number;
}

/** The remote keeps no accounts (`server.registration: off`, or a server from before them). */
export class RegistrationUnavailable extends ValueError {}

const TIMEOUT_MS = 10_000;

/** `http://host:port` (https behind TLS), with an IPv6 host bracketed. */
export function httpBase(r: RemoteAddress): string {
  const host = r.host.includes(':') && !r.host.startsWith('[') ? `[${r.host}]` : r.host;
  return `${r.tls ? 'https' : 'http'}://${host}:${r.port}`;
}

/** A fresh, signed link to the remote's registration page for `identity`. */
export async function registrationLink(remote: RemoteAddress, identity: PrivateIdentity): Promise<string> {
  const body = await getJson(remote, '/register/challenge');
  const challenge = (body as { challenge?: unknown }).challenge;
  if (typeof challenge !== 'string') throw new CommsError(`${label(remote)} sent no registration challenge`);
  const url = new URL('/register', httpBase(remote));
  url.searchParams.set('fingerprint', identity.ghid.text);
  url.searchParams.set('challenge', challenge);
  url.searchParams.set('signature', await signChallenge(identity, challenge));
  return url.href;
}

/** The account's standing on the remote. */
export async function remoteAccount(remote: RemoteAddress, fingerprint: string): Promise<RemoteAccount> {
  const body = (await getJson(remote, `/register/status?fingerprint=${encodeURIComponent(fingerprint)}`)) as Partial<RemoteAccount>;
  const { policy, status, usedBytes, freeBytes } = body;
  if (typeof status !== 'string' || typeof usedBytes !== 'number' || typeof freeBytes !== 'number' || typeof policy !== 'string') {
    throw new CommsError(`${label(remote)} answered the account status in a form this version does not know`);
  }
  return { policy: policy as RemoteAccount['policy'], status: status as RemoteAccount['status'], usedBytes, freeBytes };
}

async function getJson(remote: RemoteAddress, path: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(new URL(path, httpBase(remote)), { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
  } catch (err) {
    throw new CommsError(`Cannot reach ${label(remote)} over HTTP: ${(err as Error).message}`, { cause: err });
  }
  if (res.status === 404) throw new RegistrationUnavailable(`${label(remote)} keeps no accounts: no registration is needed there`);
  if (!res.ok) throw new CommsError(`${label(remote)} answered ${res.status} to ${path.split('?')[0]}`);
  try {
    return await res.json();
  } catch (err) {
    throw new CommsError(`${label(remote)} answered ${path.split('?')[0]} with something other than JSON`, { cause: err });
  }
}

function label(r: RemoteAddress): string {
  return `${r.host}:${r.port}`;
}
