/**
 * The IPC verbs for people and shares (src/wire/people.ts): what `hypergolix contacts`,
 * `hypergolix shares` and the SDK's contacts use. Only a connection authenticated with the IPC
 * key may use them — never an admitted legacy client — since they decide who may send this
 * account objects.
 */
import type { RequestHandler } from '../remote/connection.js';
import type { DaemonPort } from '../daemon/port.js';
import { NoSuchShare, type Sharing } from '../sharing/sharing.js';
import { changeContact, listContacts, listShares, removeContact, safetyCodeWith } from '../sharing/people-view.js';
import { ONE, PeopleVerb, decodeJsonBody, encodeJsonBody, type ContactChange } from '../../wire/index.js';
import { IpcRefusal } from './refusal.js';
import type { Session } from './session.js';

function jsonObject(body: Uint8Array, verb: string): Record<string, unknown> {
  const v = decodeJsonBody(body);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new IpcRefusal(`${verb} takes a JSON object`);
  return v as Record<string, unknown>;
}

function text(v: unknown, what: string): string {
  if (typeof v !== 'string' || !v) throw new IpcRefusal(`${what} must be a non-empty string`);
  return v;
}

async function answering<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof NoSuchShare) throw new IpcRefusal(err.message);
    throw err;
  }
}

/** The handlers of the people verbs for one session. */
export function peopleHandlers(s: Session, daemon: DaemonPort, sharing: Sharing): [string, RequestHandler][] {
  const V = PeopleVerb;
  const authed = (fn: RequestHandler): RequestHandler => (body, ctx) => {
    if (!s.authenticated) throw new IpcRefusal('Contacts and shares need a connection authenticated with the IPC key');
    return fn(body, ctx);
  };
  const table: [string, RequestHandler][] = [
    [V.listContacts, () => encodeJsonBody(listContacts(sharing))],
    [V.setContact, async (b) => encodeJsonBody(await changeContact(sharing, jsonObject(b, V.setContact) as unknown as ContactChange))],
    [
      V.removeContact,
      async (b) => {
        await removeContact(sharing, text(jsonObject(b, V.removeContact).fingerprint, 'fingerprint'));
        return ONE;
      },
    ],
    [V.safetyCode, (b) => encodeJsonBody({ words: safetyCodeWith(daemon.fingerprint, text(jsonObject(b, V.safetyCode).fingerprint, 'fingerprint')) })],
    [V.listShares, () => encodeJsonBody(listShares(sharing))],
    [
      V.acceptShare,
      async (b) => {
        const req = jsonObject(b, V.acceptShare);
        await answering(() => sharing.accept(text(req.id, 'id'), { trust: req.trust === true }));
        return ONE;
      },
    ],
    [
      V.declineShare,
      async (b) => {
        const req = jsonObject(b, V.declineShare);
        await answering(() => sharing.decline(text(req.id, 'id'), { block: req.block === true }));
        return ONE;
      },
    ],
  ];
  return table.map(([verb, fn]) => [verb, authed(fn)]);
}
