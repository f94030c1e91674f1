/**
 * What the daemon asks of an app (hypergolix-reference §5.1, daemon → app verbs): a share for one
 * of its API IDs, an update or deletion of an object it has open, and the outcome of a share it
 * made; and, once the app watches it, the daemon's status (`D!`, src/wire/status.ts). The link
 * supplies where each lands; this module only decodes and routes.
 */
import {
  AppVerb,
  MalformedGolixPrimitive,
  ONE,
  StatusVerb,
  checkDaemonStatus,
  checkGhidBytes,
  decodeJsonBody,
  decodeObjDef,
  decodeShareNotice,
  decodeShareResult,
  idText,
  type DaemonStatusJson,
  type RequestHandler,
} from '../../../src/wire/index.js';
import { IpcError } from './errors.js';
import type { ApiIdText, GhidText } from './ids.js';
import type { ShareHandler } from './link-options.js';
import { SHARE_RESULT, type OpenObject } from './port.js';

/** Where the daemon's requests land in a link. */
export interface IncomingTarget {
  /** The open object with this GHID, if the app has it open. */
  object(ghid: GhidText): OpenObject | undefined;
  /** An update (its state) or deletion (null) of an object, open or being opened (ObjectTable.upstream). */
  upstream(ghid: GhidText, state: Uint8Array | null): void;
  /** The app's handler for shares of this API ID, if it registered one. */
  shareHandler(api: ApiIdText): ShareHandler | undefined;
  /** Tells the app (its `'share-result'` listeners) how a share it made went. */
  shareResult(result: { ghid: GhidText; recipient: GhidText; ok: boolean }): void;
  /** Tells the app (its `'status'` listeners) the daemon's status changed. */
  status(status: DaemonStatusJson): void;
  /** A handler of the app failed. */
  listenerError(err: unknown, where: string): void;
}

/** The request handlers for the link's connection, one per daemon → app verb. */
export function incomingHandlers(target: IncomingTarget): Map<string, RequestHandler> {
  return new Map<string, RequestHandler>([
    [AppVerb.share, (body) => onShare(target, body)],
    [
      AppVerb.update,
      (body) => {
        const def = decodeObjDef(body);
        if (!def.address) throw new MalformedGolixPrimitive('An update names its object in the objdef address');
        target.upstream(idText(def.address), def.state.slice());
        return ONE;
      },
    ],
    [
      AppVerb.delete,
      (body) => {
        target.upstream(idText(checkGhidBytes(body)), null);
        return ONE;
      },
    ],
    [AppVerb.shareSucceeded, (body) => onShareResult(target, body, true)],
    [AppVerb.shareFailed, (body) => onShareResult(target, body, false)],
    [
      StatusVerb.changed,
      (body) => {
        let status: DaemonStatusJson;
        try {
          status = readStatus(body);
        } catch (err) {
          throw new IpcError(0xfffe, (err as Error).message);
        }
        target.status(status);
        return ONE;
      },
    ],
  ]);
}

function onShare(target: IncomingTarget, body: Uint8Array): Uint8Array {
  const n = decodeShareNotice(body);
  const api = idText(n.apiId);
  const handler = target.shareHandler(api);
  // Refusing keeps the share in the daemon's inbox until a handler is registered.
  if (!handler) throw new IpcError(0xffff, 'This app has no handler for that API ID');
  const ghid = idText(n.ghid);
  const origin = idText(n.origin);
  // After the answer: the handler usually calls get(), which must not wait on this request.
  queueMicrotask(() => {
    try {
      const r: unknown = handler(ghid, origin, api);
      // Duck-typed: a promise from another realm (an iframe, a vm context) is no `instanceof Promise`.
      if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<void>).then === 'function') {
        Promise.resolve(r as PromiseLike<void>).then(undefined, (err: unknown) => target.listenerError(err, 'share handler'));
      }
    } catch (err) {
      target.listenerError(err, 'share handler');
    }
  });
  return ONE;
}

function onShareResult(target: IncomingTarget, body: Uint8Array, ok: boolean): Uint8Array {
  const r = decodeShareResult(body);
  const ghid = idText(r.ghid);
  const recipient = idText(r.recipient);
  // An open object hears it ('shared' / 'share-failed'); the link's 'share-result' is for the others.
  const obj = target.object(ghid);
  if (obj) obj[SHARE_RESULT](recipient, ok);
  else target.shareResult({ ghid, recipient, ok });
  return ONE;
}

/** A status body (`D?` and `D+` answers, `D!` requests), checked for what an app reads of it. */
export const readStatus = (body: Uint8Array): DaemonStatusJson => checkDaemonStatus(decodeJsonBody(body));
