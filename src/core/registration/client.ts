/**
 * The daemon's side of registration: fetch a challenge from a remote's HTTP listener, sign it
 * with the account's identity, and build the page link the browser opens; and read what the
 * remote says of the account (registered or free tier, with usage) for the status views.
 *
 * Only a well-formed challenge is signed, and only one naming the server as the daemon
 * addresses it: a remote that answered with another server's challenge (relayed from there)
 * would otherwise get a link that registers the account on that other server.
 */
import { CommsError, ValueError, type PrivateIdentity } from '../golix/index.js';
import { LEGACY_CHALLENGE, SERVER_NAME_HEADER, readChallenge, serverName } from './challenges.js';
import { NotAChallenge, signChallenge } from './proof.js';
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

/** The remote answered with a challenge issued for another server: it is not signed. */
export class ChallengeForAnotherServer extends CommsError {}

const TIMEOUT_MS = 10_000;

/** `http://host:port` (https behind TLS), with an IPv6 host bracketed. */
export function httpBase(r: RemoteAddress): string {
  const host = r.host.includes(':') && !r.host.startsWith('[') ? `[${r.host}]` : r.host;
  return `${r.tls ? 'https' : 'http'}://${host}:${r.port}`;
}

/**
 * The remote's name as the daemon addresses it, as a challenge must carry it: the host of its
 * URL (`host:port`, the port left out where it is the scheme's default, as fetch sends Host).
 */
export function serverNameOf(remote: RemoteAddress): string {
  const name = serverName(new URL(httpBase(remote)).host);
  if (name === null) throw new ValueError(`${label(remote)} is not a host name or address a registration challenge can name`);
  return name;
}

/** A fresh, signed link to the remote's registration page for `identity`. */
export async function registrationLink(remote: RemoteAddress, identity: PrivateIdentity): Promise<string> {
  const meant = serverNameOf(remote);
  const body = await getJson(remote, '/register/challenge', { [SERVER_NAME_HEADER]: meant });
  const challenge = (body as { challenge?: unknown }).challenge;
  if (typeof challenge !== 'string') throw new CommsError(`${label(remote)} sent no registration challenge`);
  const fields = readChallenge(challenge);
  if (fields && fields.server !== meant) {
    throw new ChallengeForAnotherServer(
      `${label(remote)} answered with a registration challenge issued by another server (${fields.server}). It was not signed: the link would register your account there, not on ${label(remote)}.`,
    );
  }
  // A server from before challenges named their server: signed as proof v1, as it expects.
  if (!fields && !LEGACY_CHALLENGE.test(challenge)) {
    throw new NotAChallenge(`${label(remote)} sent something other than a registration challenge; it was not signed`);
  }
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

async function getJson(remote: RemoteAddress, path: string, headers: Record<string, string> = {}): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(new URL(path, httpBase(remote)), { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error', headers });
  } catch (err) {
    throw new CommsError(`Cannot reach ${label(remote)} over HTTP: ${(err as Error).message}`, { cause: err });
  }
  if (res.status === 404) throw new RegistrationUnavailable(`${label(remote)} keeps no accounts: no registration is needed there`);
  if (!res.ok) throw new CommsError(`${label(remote)} answered ${res.status} to ${path.split('?')[0]}${await reasonOf(res)}`);
  try {
    return await res.json();
  } catch (err) {
    throw new CommsError(`${label(remote)} answered ${path.split('?')[0]} with something other than JSON`, { cause: err });
  }
}

/** The `message` of a refusal in JSON, for the person reading the error (": …"), or nothing. */
async function reasonOf(res: Response): Promise<string> {
  try {
    const { message } = (await res.json()) as { message?: unknown };
    // A remote's words, shown as text: one line, printable, bounded.
    return typeof message === 'string' && message ? `: ${message.replace(/[^\x20-\x7e\u00a0-\uffff]+/g, ' ').slice(0, 300)}` : '';
  } catch {
    return '';
  }
}

function label(r: RemoteAddress): string {
  return `${r.host}:${r.port}`;
}
