/**
 * Contacts and shares as the CLI, the SDK and the UI see them (the JSON of src/wire/people.ts),
 * and the changes they ask for, checked: one implementation behind the IPC verbs and the
 * desktop controller alike.
 */
import type { Ghid } from '../golix/index.js';
import type { ContactChange, ContactJson, ShareJson } from '../../wire/people.js';
import { apiTypeWords } from '../../common/people.js';
import { InvalidContact, parseFingerprint, parseTrust, type Contact } from './contacts.js';
import { safetyCode } from './safety-code.js';
import type { Sharing } from './sharing.js';

export function contactJson(c: Contact): ContactJson {
  return { fingerprint: c.fingerprint.text, name: c.name, trust: c.trust, verified: c.verified };
}

export function listContacts(sharing: Sharing): ContactJson[] {
  return sharing.contacts.list().map(contactJson);
}

/**
 * Applies a contact change from outside (CLI, SDK, UI). Blocking someone also declines what they
 * have waiting. Writes the account state before answering. Both edges that call it (the IPC
 * verb and the desktop contract) have checked the change's shape with checkContactChange; what
 * is left is what the shape cannot say (a fingerprint that is a GHID, a name a person would type).
 */
export async function changeContact(sharing: Sharing, change: ContactChange): Promise<ContactJson> {
  const fp = parseFingerprint(change.fingerprint);
  const edit = { name: change.name, trust: change.trust === undefined ? undefined : parseTrust(change.trust), verified: change.verified };
  const c = change.add ? sharing.contacts.set(fp, edit) : sharing.contacts.update(fp, edit);
  await sharing.contacts.flush();
  if (c.trust === 'blocked') await sharing.declineFrom(fp);
  return contactJson(c);
}

export async function removeContact(sharing: Sharing, fingerprint: string): Promise<void> {
  sharing.contacts.remove(parseFingerprint(String(fingerprint)));
  await sharing.contacts.flush();
}

/** The six words both sides compare; refused for your own fingerprint, as adding yourself is. */
export function safetyCodeWith(self: Ghid, fingerprint: string): string[] {
  const other = parseFingerprint(String(fingerprint));
  if (other.equals(self)) throw new InvalidContact('That is your own fingerprint: a safety code is compared with someone else');
  return safetyCode(self, other);
}

const askedAgain = (at: number | null) => (at === null ? {} : { askedAgain: at });
const deleted = (at: number | null) => (at === null ? {} : { deletedAt: at });

/** Waiting shares first (oldest first), then received and sent (newest first). */
export function listShares(sharing: Sharing): ShareJson[] {
  // Named, or in the contacts unnamed (someone shared with becomes one), or neither: said apart.
  const person = (g: Ghid) => sharing.contacts.personOf(g);
  const waiting: ShareJson[] = sharing.pending().map((p) => ({
    id: p.id,
    direction: 'incoming',
    state: 'waiting',
    from: p.from.text,
    ...person(p.from),
    object: p.ghid.text,
    apiId: p.apiId,
    type: apiTypeWords(p.apiId),
    size: p.size,
    time: p.receivedAt,
  }));
  const received: ShareJson[] = sharing.records.receivedList().map((r) => ({
    id: r.object.text,
    direction: 'incoming',
    state: 'accepted',
    from: r.from.text,
    ...person(r.from),
    object: r.object.text,
    apiId: r.apiId,
    type: apiTypeWords(r.apiId),
    size: r.size,
    time: r.at,
    ...askedAgain(sharing.askedAgain(r.object)),
    ...deleted(r.deletedAt),
  }));
  const sent: ShareJson[] = sharing.records.sentList().map((r) => ({
    id: r.object.text,
    direction: 'outgoing',
    state: r.state,
    to: r.recipient.text,
    ...person(r.recipient),
    object: r.object.text,
    apiId: r.apiId,
    type: apiTypeWords(r.apiId),
    size: r.size,
    time: r.at,
    ...deleted(r.deletedAt),
  }));
  return [...waiting, ...received, ...sent];
}
