/**
 * Before signing in on a new computer: is the remote there, and does it hold this user ID? The
 * CLI (`hypergolix account login`) and the wizard ("I already have an account") ask this before
 * writing anything, so the three answers a person needs come apart: the remote is out of reach,
 * the user ID is not on it, or it is (and whose it is).
 */
import { AccountNotFound, AccountUnreachable } from '../core/account/errors.js';
import { DoesNotExist, parseObject, type Ghid } from '../core/golix/index.js';
import { RemoteClient } from '../core/remote/client.js';

export interface RemoteAddress {
  host: string;
  port: number;
  tls: boolean;
}

export interface ProbedAccount {
  /** The root node's binder: the account's fingerprint. */
  fingerprint: Ghid;
}

const label = (r: RemoteAddress) => `${r.host}:${r.port}${r.tls ? ':tls' : ''}`;

/** Asks `remote` for the account's root node. Throws AccountUnreachable (with why) or AccountNotFound. */
export async function probeAccount(remote: RemoteAddress, userId: Ghid, timeoutMs = 10_000): Promise<ProbedAccount> {
  const client = new RemoteClient({ host: remote.host, port: remote.port, tls: remote.tls, connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs });
  client.start();
  try {
    try {
      await client.whenConnected(timeoutMs, { untilRefused: true });
    } catch {
      throw new AccountUnreachable(userId, [label(remote)], client.lastFailure);
    }
    let raw: Buffer;
    try {
      raw = await client.get(userId);
    } catch (err) {
      if (err instanceof DoesNotExist) throw new AccountNotFound(userId, 'remotes', `The remote ${label(remote)} holds no account with user ID ${userId.text}`);
      throw err;
    }
    const root = parseObject(raw);
    if (root.type !== 'GOBD' || !root.dynamic.equals(userId)) {
      throw new AccountNotFound(userId, 'remotes', `${userId.short} on ${label(remote)} is no account's user ID (it names a ${root.type})`);
    }
    return { fingerprint: root.binder };
  } finally {
    await client.close().catch(() => {});
  }
}
