/**
 * The seam between the link and the objects it opens, so that `objects.ts` never imports
 * `link.ts`: the shapes both sides agree on (`ObjInit`, `ObjClass`), what an object asks of its
 * link (`LinkPort`, which HGXLink implements), and what the link knows of and does to an open
 * object (`OpenObject`, which HgxObject implements). Neither side imports the other.
 *
 * The methods of one side that only the other side may call are keyed by the symbols below
 * rather than by names: they stay out of the API apps see, and no module reaches into another's
 * underscore methods.
 */
import type { ApiIdText, GhidLike, GhidText } from './ids.js';

/** What the link knows about an object when it makes an instance. */
export interface ObjInit<S> {
  /** The object's address. */
  ghid: GhidText;
  /** Its author's fingerprint. */
  author: GhidText;
  /** Its API ID. */
  apiId: ApiIdText;
  /** Whether it can be updated. */
  dynamic: boolean;
  /** Whether it belongs to one app token. */
  private: boolean;
  /** Old frames each update keeps (0 = the daemon's default). */
  legroom: number;
  /** The state as stored (serialized). */
  bytes: Uint8Array;
  /** The state itself when the caller already has it (a new object). */
  state?: S;
}

/** The state type of an object type. */
export type StateOf<T> = T extends {
  /** The state. */
  readonly state: infer S;
}
  ? S
  : never;

/** A class of objects: how its state is (de)serialized and which API ID it uses by default. */
export interface ObjClass<T extends OpenObject> {
  new (link: LinkPort, init: ObjInit<StateOf<T>>): T;
  /** The class's name (for messages). */
  readonly name: string;
  /** The API ID `link.new` gives its objects unless told otherwise. */
  readonly defaultApiId: ApiIdText;
  /** The state as bytes; throws StateError when it is not a state of this class. */
  encodeState(state: StateOf<T>): Uint8Array;
  /** Throws StateError when the bytes are not a state of this class. */
  decodeState(bytes: Uint8Array, apiId: ApiIdText): StateOf<T>;
}

/** Sends one IPC request on the link's current connection (NotConnected when there is none). */
export const REQUEST: unique symbol = Symbol('hgx.link.request');
/** An instance died (discarded, deleted, recast): the link stops routing events to it. */
export const FORGET: unique symbol = Symbol('hgx.link.forget');
/** A listener of the object failed: the link reports it. */
export const LISTENER_ERROR: unique symbol = Symbol('hgx.link.listenerError');

/** What an object asks of the link that opened it. HGXLink implements it. */
export interface LinkPort {
  /** The user's fingerprint. */
  readonly whoami: GhidText;
  /** Whether the link is connected right now. */
  readonly connected: boolean;
  /** Opens an object (see `HGXLink.get`). */
  get<T extends OpenObject>(cls: ObjClass<T>, ghid: GhidLike): Promise<T>;
  /** The same object under another class (see `HGXLink.recast`). */
  recast<T extends OpenObject>(obj: OpenObject, cls: ObjClass<T>): T;
  /** @internal */
  [REQUEST]<T = Uint8Array>(verb: string, body?: Uint8Array, read?: (answer: Uint8Array) => T): Promise<T>;
  /** @internal */
  [FORGET](obj: OpenObject): void;
  /** @internal */
  [LISTENER_ERROR](err: unknown, where: string): void;
}

/** An upstream version of the state arrived (IPC `!O` from the daemon, or found on reconnecting). */
export const APPLY_UPSTREAM: unique symbol = Symbol('hgx.object.applyUpstream');
/** The object was deleted upstream (IPC `XO`). */
export const DELETED: unique symbol = Symbol('hgx.object.deleted');
/** A share's outcome (IPC `^S` / `^F`). */
export const SHARE_RESULT: unique symbol = Symbol('hgx.object.shareResult');
/** The link replaces or drops the instance: it dies. */
export const KILL: unique symbol = Symbol('hgx.object.kill');

/**
 * An open object as its link sees it: what it is, and the hooks the link drives it with.
 * HgxObject implements it.
 */
export interface OpenObject {
  /** Its address. */
  readonly ghid: GhidText;
  /** Its author's fingerprint. */
  readonly author: GhidText;
  /** Its API ID. */
  readonly apiId: ApiIdText;
  /** Whether it can be updated. */
  readonly dynamic: boolean;
  /** Whether it belongs to one app token. */
  readonly private: boolean;
  /** Old frames each update keeps (0 = the daemon's default). */
  readonly legroom: number;
  /** False once discarded, deleted or recast. */
  readonly isAlive: boolean;
  /** The state (local until pushed). */
  readonly state: unknown;
  /** The state as last pushed or received (serialized). */
  readonly stateBytes: Uint8Array;
  /** @internal Whether it was taken (false: the state does not decode as the object's class). */
  [APPLY_UPSTREAM](bytes: Uint8Array): boolean;
  /** @internal */
  [DELETED](): void;
  /** @internal */
  [SHARE_RESULT](recipient: GhidText, ok: boolean): void;
  /** @internal */
  [KILL](): void;
}
