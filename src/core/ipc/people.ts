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
import { ONE, PeopleVerb, decodeJsonBody, encodeJsonBody } from '../../wire/index.js';
import { checkAcceptBody, checkContactChange, checkDeclineBody, checkFingerprintBody } from '../../common/contract-people.js';
import { WireError, type Check } from '../../common/wire-check.js';
import { IpcRefusal } from './refusal.js';
import type { Session } from './session.js';

/**
 * A verb's JSON body, checked as the desktop's contract checks the same request: a field of the
 * wrong type is refused with its name (`C!.verified: expected true or false`), never coerced,
 * and fields the verb does not know are dropped.
 */
function bodyOf<T>(check: Check<T>, body: Uint8Array, verb: string): T {
  const value = decodeJsonBody(body);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new IpcRefusal(`${verb} takes a JSON object`);
  try {
    return check(value, verb);
  } catch (err) {
    if (err instanceof WireError) throw new IpcRefusal(err.message);
    throw err;
  }
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
    [V.setContact, async (b) => encodeJsonBody(await changeContact(sharing, bodyOf(checkContactChange, b, V.setContact)))],
    [
      V.removeContact,
      async (b) => {
        await removeContact(sharing, bodyOf(checkFingerprintBody, b, V.removeContact).fingerprint);
        return ONE;
      },
    ],
    [V.safetyCode, (b) => encodeJsonBody({ words: safetyCodeWith(daemon.fingerprint, bodyOf(checkFingerprintBody, b, V.safetyCode).fingerprint) })],
    [V.listShares, () => encodeJsonBody(listShares(sharing))],
    [
      V.acceptShare,
      async (b) => {
        const req = bodyOf(checkAcceptBody, b, V.acceptShare);
        await answering(() => sharing.accept(req.id, { trust: req.trust === true }));
        return ONE;
      },
    ],
    [
      V.declineShare,
      async (b) => {
        const req = bodyOf(checkDeclineBody, b, V.declineShare);
        await answering(() => sharing.decline(req.id, { block: req.block === true }));
        return ONE;
      },
    ],
  ];
  return table.map(([verb, fn]) => [verb, authed(fn)]);
}
