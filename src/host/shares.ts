/**
 * People and shares for the desktop UI: the shares waiting for the user (as the status shows
 * them), the answer to one, and the contacts — over the running daemon's Sharing, with the same
 * views the IPC verbs use (core/sharing/people-view.ts). Bad input and a locked account come
 * back as typed HostFailures.
 */
import { ERROR_CODES, HostFailure, type ContactChange, type ContactJson, type IncomingShare, type ShareJson } from '../common/contract.js';
import { apiTypeWords } from '../common/people.js';
import { HypergolixError } from '../core/golix/index.js';
import { InvalidContact } from '../core/sharing/contacts.js';
import { changeContact, listContacts, listShares, removeContact, safetyCodeWith } from '../core/sharing/people-view.js';
import { NoSuchShare, ShareRemoved } from '../core/sharing/sharing.js';
import type { StartedApp } from './daemon-runner.js';

export function pendingShares(app: StartedApp): IncomingShare[] {
  try {
    return app.sharing.pending().map((p) => ({
      id: p.id,
      from: p.from.text,
      apiId: p.apiId ?? 'unknown',
      receivedAt: p.receivedAt,
      name: app.sharing.contacts.get(p.from)?.name ?? null,
      type: apiTypeWords(p.apiId),
      size: p.size,
    }));
  } catch {
    return [];
  }
}

function running(app: StartedApp | null, what: string): StartedApp {
  if (!app) throw new HostFailure(ERROR_CODES.invalidState, `Unlock Hypergolix to ${what}`);
  return app;
}

/** Runs a people action, turning the core's refusals into the contract's typed errors. */
async function typed<T>(run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    // Removed as it was accepted: why, in the core's words (its object deleted, or its key opens nothing).
    if (err instanceof ShareRemoved) throw new HostFailure(ERROR_CODES.notFound, err.message);
    if (err instanceof NoSuchShare) throw new HostFailure(ERROR_CODES.notFound, 'That share is no longer waiting');
    if (err instanceof InvalidContact) throw new HostFailure(ERROR_CODES.badRequest, err.message);
    if (err instanceof HypergolixError) throw new HostFailure(ERROR_CODES.unavailable, err.message);
    throw err;
  }
}

/** Accepts (once, or trusting the sender) or declines (optionally blocking) a waiting share. */
export async function answerShare(app: StartedApp | null, id: string, accept: boolean, opts: { trust?: boolean; block?: boolean } = {}): Promise<void> {
  const { sharing } = running(app, 'answer shares');
  await typed(async () => {
    if (accept) await sharing.accept(id, { trust: opts.trust === true });
    else await sharing.decline(id, { block: opts.block === true });
  });
}

export function sharesOf(app: StartedApp | null): ShareJson[] {
  return listShares(running(app, 'see shares').sharing);
}

export function contactsOf(app: StartedApp | null): ContactJson[] {
  return listContacts(running(app, 'see contacts').sharing);
}

export function editContact(app: StartedApp | null, change: ContactChange): Promise<ContactJson> {
  const { sharing } = running(app, 'change contacts');
  return typed(() => changeContact(sharing, change));
}

export async function forgetContact(app: StartedApp | null, fingerprint: string): Promise<{}> {
  const { sharing } = running(app, 'change contacts');
  await typed(() => removeContact(sharing, fingerprint));
  return {};
}

export function safetyCodeFor(app: StartedApp | null, fingerprint: string): Promise<{ words: string[] }> {
  const a = running(app, 'see safety codes');
  return typed(() => ({ words: safetyCodeWith(a.daemon.fingerprint, fingerprint) }));
}
