/**
 * Objects as apps see them (hypergolix-reference §5.2): a state with an address (`ghid`), an API
 * ID, an author, and the operations of the IPC protocol. `Obj` holds raw bytes, `JsonObj` any
 * JSON value; a custom class extends `HgxObject<S>` and supplies the three statics of
 * `ObjClass` (`defaultApiId`, `encodeState`, `decodeState`).
 *
 * Changing `state` is local until `push()`. `'update'` events report upstream changes only (from
 * another user, another device, or another app on this daemon), never the object's own pushes.
 * Errors thrown by listeners are logged and swallowed.
 */
import { IpcVerb, encodeObjDef, encodeShareRequest, idText } from '../../../src/wire/index.js';
import { Emitter, type EventNames } from './emitter.js';
import { DeadObject, LocallyImmutable, StateError, Unsharable } from './errors.js';
import { ApiId, ghidBytes, ghidText, type ApiIdText, type GhidLike, type GhidText } from './ids.js';
import {
  APPLY_UPSTREAM,
  DELETED,
  FORGET,
  KILL,
  LISTENER_ERROR,
  REQUEST,
  SHARE_RESULT,
  type LinkPort,
  type ObjClass,
  type ObjInit,
  type OpenObject,
} from './port.js';

/** A JSON value: the state of a `JsonObj`. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The events of an object (`obj.on(name, listener)`), with their listeners' arguments. */
export interface ObjEvents<T> {
  /** An upstream update was applied (`obj.state` is the new state). */
  update: [obj: T];
  /** The object was deleted upstream; it is dead now. */
  delete: [obj: T];
  /** A recipient accepted a share of this object (IPC `^S`). */
  shared: [recipient: GhidText];
  /** A recipient refused a share of this object (IPC `^F`). */
  'share-failed': [recipient: GhidText];
}

const OBJ_EVENTS: EventNames<ObjEvents<unknown>> = { update: true, delete: true, shared: true, 'share-failed': true };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
/** An object of any class. */
export type AnyObj = HgxObject<any>;

/**
 * An open object with a state of type `S`: `Obj` and `JsonObj` are the built-in classes; a custom
 * class extends this one and supplies the three statics of `ObjClass`. One instance per GHID per
 * link (`link.get` returns the same one).
 */
export abstract class HgxObject<S> extends Emitter<ObjEvents<HgxObject<S>>> implements OpenObject {
  readonly #link: LinkPort;
  /** The object's address: the dynamic GHID, or the container GHID of a static object. */
  readonly ghid: GhidText;
  /** Who created (binds) it: a fingerprint. */
  readonly author: GhidText;
  /** Which kind of app state it holds: shares are routed to apps by it. */
  readonly apiId: ApiIdText;
  /** A dynamic object can be updated (`push()`); a static one never changes. */
  readonly dynamic: boolean;
  /** Old frames each update keeps; 0 = the daemon's default. */
  readonly legroom: number;
  #private: boolean;
  #state: S;
  #bytes: Uint8Array;
  #alive = true;

  constructor(link: LinkPort, init: ObjInit<S>) {
    super(OBJ_EVENTS);
    this.#link = link;
    this.ghid = init.ghid;
    this.author = init.author;
    this.apiId = init.apiId;
    this.dynamic = init.dynamic;
    this.legroom = init.legroom;
    this.#private = init.private;
    this.#bytes = init.bytes;
    this.#state = init.state !== undefined ? init.state : (this.constructor as ObjClass<HgxObject<S>>).decodeState(init.bytes, init.apiId);
  }

  /** The link that opened it (an HGXLink). */
  get link(): LinkPort {
    return this.#link;
  }

  /** The current state. Assigning changes it locally; `push()` sends it. */
  get state(): S {
    return this.#state;
  }

  /** Changes the state locally (DeadObject once the object died); `push()` sends it. */
  set state(value: S) {
    this.#checkAlive();
    this.#state = value;
  }

  /** Private objects belong to the app token that made them and are never shared. */
  get private(): boolean {
    return this.#private;
  }

  /** False once discarded, deleted or recast. */
  get isAlive(): boolean {
    return this.#alive;
  }

  /** The state as last pushed or received (serialized). */
  get stateBytes(): Uint8Array {
    return this.#bytes;
  }

  #checkAlive(): void {
    if (!this.#alive) throw new DeadObject(`Object ${this.ghid.slice(0, 12)}… is no longer alive (discarded, deleted or recast)`);
  }

  #cls(): ObjClass<HgxObject<S>> {
    return this.constructor as ObjClass<HgxObject<S>>;
  }

  /**
   * Sends the current state as the object's new version. Fails with LocallyImmutable for a
   * static object or one somebody else wrote, NotConnected while the link is down.
   */
  async push(): Promise<void> {
    this.#checkAlive();
    if (!this.dynamic) throw new LocallyImmutable('A static object never changes: freeze() made it, or it was created static');
    if (this.author !== this.#link.whoami) throw new LocallyImmutable(`Only its author (${this.author.slice(0, 12)}…) can update this object`);
    const bytes = this.#cls().encodeState(this.#state);
    await this.#link[REQUEST](
      IpcVerb.updateObject,
      encodeObjDef({ address: ghidBytes(this.ghid), state: bytes, private: this.#private, dynamic: true, legroom: this.legroom }),
    );
    this.#bytes = bytes;
  }

  /** Asks the daemon to fetch the newest version now; a newer one arrives as an `'update'` event. */
  async sync(): Promise<void> {
    this.#checkAlive();
    await this.#link[REQUEST](IpcVerb.syncObject, ghidBytes(this.ghid));
  }

  /**
   * Shares the object with another user (their fingerprint). Resolves once the daemon has sent
   * the request; the recipient's answer arrives later as `'shared'` or `'share-failed'` (after a
   * daemon restart only for apps with a token: `registerToken()`).
   */
  async share(recipient: GhidLike): Promise<void> {
    this.#checkAlive();
    if (this.#private) throw new Unsharable('A private object cannot be shared');
    await this.#link[REQUEST](IpcVerb.shareObject, encodeShareRequest(ghidBytes(this.ghid), ghidBytes(recipient, "share()'s recipient (a user's fingerprint)")));
  }

  /** A static snapshot of the current version, as a new object of the same class. */
  async freeze(): Promise<this> {
    this.#checkAlive();
    const frozen = await this.#link[REQUEST](IpcVerb.freezeObject, ghidBytes(this.ghid), idText);
    return (await this.#link.get(this.#cls(), frozen)) as this;
  }

  /** Keeps the object alive on the remotes with a static binding of its address. */
  async hold(): Promise<void> {
    this.#checkAlive();
    await this.#link[REQUEST](IpcVerb.holdObject, ghidBytes(this.ghid));
  }

  /** Stops following the object (no more events); it stays stored. Never fails for lack of a connection. */
  async discard(): Promise<void> {
    if (!this.#alive) return;
    this[KILL]();
    if (this.#link.connected) await this.#link[REQUEST](IpcVerb.discardObject, ghidBytes(this.ghid)).catch(() => {});
  }

  /** Deletes the object everywhere (for its author); everyone following it is told. */
  async delete(): Promise<void> {
    this.#checkAlive();
    await this.#link[REQUEST](IpcVerb.deleteObject, ghidBytes(this.ghid));
    this[KILL]();
  }

  /** The same object under another class (this instance dies): `link.recast(this, cls)`. */
  recast<T extends OpenObject>(cls: ObjClass<T>): T {
    return this.#link.recast(this, cls);
  }

  /** An upstream version arrived (the link calls this). @internal */
  [APPLY_UPSTREAM](bytes: Uint8Array): boolean {
    if (!this.#alive) return true;
    let state: S;
    try {
      state = this.#cls().decodeState(bytes, this.apiId);
    } catch (err) {
      this.reportListenerError(err, 'update (state does not decode)');
      return false;
    }
    this.#bytes = bytes;
    this.#state = state;
    this.emit('update', this);
    return true;
  }

  /** Deleted upstream (the link calls this). @internal */
  [DELETED](): void {
    if (!this.#alive) return;
    this[KILL]();
    this.emit('delete', this);
  }

  /** A share's outcome (the link calls this). @internal */
  [SHARE_RESULT](recipient: GhidText, ok: boolean): void {
    this.emit(ok ? 'shared' : 'share-failed', recipient);
  }

  /** The instance dies: discarded, deleted or recast. @internal */
  [KILL](): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#link[FORGET](this);
  }

  protected override reportListenerError(err: unknown, event: string): void {
    this.#link[LISTENER_ERROR](err, `object ${event}`);
  }
}

/** Raw bytes, unchanged (api_id `…01` by default). Also shows any other object as opaque bytes. */
export class Obj extends HgxObject<Uint8Array> {
  /** `ApiId.RAW`. */
  static readonly defaultApiId: ApiIdText = ApiId.RAW;
  /**
   * A copy of the bytes: what was pushed (`stateBytes`) must not change when the app then edits
   * its state in place, or a reconnect would take that unpushed edit for an upstream change.
   */
  static encodeState(state: Uint8Array): Uint8Array {
    if (!(state instanceof Uint8Array)) throw new StateError('An Obj state is a Uint8Array');
    return state.slice();
  }
  /** The bytes as they are (a copy). */
  static decodeState(bytes: Uint8Array): Uint8Array {
    return bytes.slice();
  }
}

/** A JSON.stringify replacer that throws StateError where it would silently write null for a value that is not. */
function refuseNull(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new StateError(`A JsonObj state must be a JSON value: ${value} (at ${JSON.stringify(key)}) is not a JSON number`);
  if (Array.isArray(this) && (value === undefined || typeof value === 'function' || typeof value === 'symbol')) {
    throw new StateError(`A JsonObj state must be a JSON value: an array holds ${typeof value} (at index ${key})`);
  }
  return value;
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Any JSON value, stored as compact UTF-8 JSON (api_id `…03` by default), the reference's
 * `JsonObj` format; `\uXXXX` escapes written by Python read back as the same text.
 */
export class JsonObj extends HgxObject<JsonValue> {
  /** `ApiId.JSON`. */
  static readonly defaultApiId: ApiIdText = ApiId.JSON;
  /** Compact UTF-8 JSON. */
  static encodeState(state: JsonValue): Uint8Array {
    let text: string | undefined;
    try {
      text = JSON.stringify(state);
    } catch (err) {
      // A cycle, a BigInt, or a toJSON that throws.
      throw new StateError(`A JsonObj state must be a JSON value: ${(err as Error).message.split('\n')[0]}`);
    }
    if (text === undefined) throw new StateError('A JsonObj state must be a JSON value');
    // JSON.stringify writes NaN, ±Infinity and an array's undefined or function as null: the
    // object would then hold null for everyone else while this instance still shows the value.
    // Only such a value writes null, so a state without any is not walked twice.
    if (text.includes('null')) JSON.stringify(state, refuseNull);
    return utf8.encode(text);
  }
  /** Parses UTF-8 JSON; StateError for anything else (a pickle is never unpickled). */
  static decodeState(bytes: Uint8Array, apiId: ApiIdText): JsonValue {
    if (apiId === ApiId.PICKLE) {
      throw new StateError('This is a Python pickle object (api_id …02): never unpickled; open it as Obj to see opaque bytes');
    }
    try {
      return JSON.parse(utf8Strict.decode(bytes)) as JsonValue;
    } catch (err) {
      throw new StateError(`The object's state is not UTF-8 JSON: ${(err as Error).message}`);
    }
  }
}

export { ghidText };
