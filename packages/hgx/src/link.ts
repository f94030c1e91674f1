/**
 * `HGXLink`: an app's connection to its user's Hypergolix daemon (hypergolix-reference §5.1); an
 * example is on the class. Trying again is in `retry.ts`; what the daemon asks of the app
 * (shares, updates, deletions, share results, status changes) is answered in `incoming.ts`.
 */
import {
  APP_TOKEN_BYTES,
  CLOSE_CODES,
  DEFAULT_IPC_PORT,
  IpcVerb,
  PeopleVerb,
  StatusVerb,
  bytesEqual,
  decodeJsonBody,
  decodeObjDef,
  encodeObjDef,
  fromHex,
  idText,
  toHex,
  type ContactJson as Contact,
  type DaemonStatusJson as DaemonStatus,
} from '../../../src/wire/index.js';
import { Emitter, type EventNames } from './emitter.js';
import { incomingHandlers, readStatus } from './incoming.js';
import { HgxError, IpcError, NotConnected, StateError, WrongClass, readAnswer } from './errors.js';
import { ApiId, ghidBytes, ghidText, type ApiIdText, type GhidLike, type GhidText } from './ids.js';
import { findKey, readKeyFile } from './key.js';
import { checkConnectOptions, checkFunction, checkNewOptions, checkObjClass, checkRecastable } from './checks.js';
import type { ConnectOptions, LinkEvents, NewOptions, ShareHandler } from './link-options.js';
import {
  APPLY_UPSTREAM,
  FORGET,
  KILL,
  LISTENER_ERROR,
  REQUEST,
  type LinkPort,
  type ObjClass,
  type OpenObject,
  type StateOf,
} from './port.js';
import { DaemonConnection } from './connection.js';
import { openSocket } from './socket.js';
import { checkDaemonProtocol, olderDaemonOr } from './version.js';
import { proveKey } from './auth.js';
import { ObjectTable } from './object-table.js';
import { StatusWatch } from './status-watch.js';
import { Pause, attemptWithin, reconnectLoop } from './retry.js';

const ZERO_TOKEN = new Uint8Array(APP_TOKEN_BYTES);

/** The link's events, for `on()` to refuse a name that is none of them (a typo would never fire). */
const LINK_EVENTS: EventNames<LinkEvents> = { disconnected: true, reconnected: true, 'share-result': true, status: true, error: true };

/**
 * An app's connection to its user's Hypergolix daemon: make objects, open them, share them, and
 * hear about shares and updates.
 *
 * ```ts
 * const link = await HGXLink.connect();
 * await link.registerShareHandler(ApiId.JSON, async (ghid, origin) => {
 *   const obj = await link.get(JsonObj, ghid);
 *   obj.on('update', (o) => console.log(o.state));
 * });
 * const note = await link.new(JsonObj, { text: 'hi' });
 * await note.share(peerFingerprint);
 * ```
 *
 * When the daemon goes away the link emits `'disconnected'`, reconnects by itself (jittered
 * back-off, 100 ms up to 5 s), restores its app token, share handlers and open objects, and emits
 * `'reconnected'`; meanwhile operations fail fast with NotConnected (they are not queued).
 */
export class HGXLink extends Emitter<LinkEvents> implements LinkPort {
  #peer: DaemonConnection | null = null;
  #whoami: GhidText;
  #token: string | null = null;
  #key: Uint8Array;
  readonly #keyFile: string | null;
  readonly #url: string;
  /** The daemon's port (the one dialled, unless a relay's), which the key proof names. */
  readonly #port: number;
  readonly #o: ConnectOptions;
  readonly #objects = new ObjectTable();
  readonly #handlers = new Map<ApiIdText, ShareHandler>();
  #closed = false;
  #daemonProtocol: number | null = null;
  #reconnecting: Promise<void> | null = null;
  /** What close() ends at once, so that no timer or socket of the link outlives it: the back-off's waits, a socket being opened, a connection being set up. */
  readonly #pause = new Pause();
  readonly #cancel = new AbortController();
  #settingUp: DaemonConnection | null = null;
  /** The app's watch of the daemon's status (`watchStatus()`): asked again after a reconnect. */
  readonly #statusWatch = new StatusWatch((status) => this.emit('status', status));

  private constructor(url: string, port: number, key: { key: Uint8Array; file: string | null }, o: ConnectOptions) {
    super(LINK_EVENTS);
    this.#url = url;
    this.#port = port;
    this.#key = key.key;
    this.#keyFile = key.file;
    this.#o = o;
    this.#whoami = '';
  }

  /**
   * Connects to the local daemon (`ws://127.0.0.1:7772/` unless `host`/`port` say otherwise),
   * proves the IPC key (`token`, `tokenFile`, or the one found in the Hypergolix home) once the
   * daemon has proved it holds it too (the key is never sent), checks that the daemon speaks an
   * IPC protocol version this SDK does, and learns `whoami`.
   *
   * Retries until `timeoutMs` (5 s), then fails with NotConnected naming the address; a wrong or
   * missing key, or a listener that cannot prove the key, fails at once with AuthFailed; a
   * daemon too old for the key proof or of another protocol version with
   * IncompatibleDaemon. An option of the wrong kind or out of range (a port of `'7772'` or
   * 70000, a timeout of `NaN`) fails at once with HgxError naming it.
   */
  static async connect(options: ConnectOptions = {}): Promise<HGXLink> {
    checkConnectOptions(options);
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? DEFAULT_IPC_PORT;
    const url = `ws://${host.includes(':') ? `[${host}]` : host}:${port}/`;
    const key = options.legacy ? { key: new Uint8Array(0), file: null } : await findKey(options);
    const link = new HGXLink(url, options.daemonPort ?? port, key, options);
    const timeoutMs = options.timeoutMs ?? 5000;
    const { ok, lastError } = await attemptWithin(timeoutMs, (left) => link.#open(left, false));
    if (ok) return link;
    throw new NotConnected(`No Hypergolix daemon answered on ${url} within ${timeoutMs} ms (${lastError || 'no answer'}); start it with "hypergolix start app"`);
  }

  /** The user's fingerprint (GHID text). */
  get whoami(): GhidText {
    return this.#whoami;
  }

  /** The app token (32 hex digits) after `registerToken()`, else null. */
  get token(): string | null {
    return this.#token;
  }

  /** The daemon's IPC protocol version (checked at connect), or null for a legacy daemon that does not tell. */
  get daemonProtocol(): number | null {
    return this.#daemonProtocol;
  }

  /** Whether the link has a connection to the daemon right now (false while reconnecting or closed). */
  get connected(): boolean {
    return this.#peer?.isOpen ?? false;
  }

  /** Stops the link for good: no reconnecting; operations, and those still waiting for an answer, fail with NotConnected. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#pause.wake();
    this.#cancel.abort();
    this.#settingUp?.close(1000, 'app closing');
    this.#peer?.close(1000, 'app closing');
    this.#peer = null;
  }

  // ------------------------------------------------------------------ connection

  async #open(timeoutMs: number, restoring: boolean): Promise<void> {
    const socket = await openSocket(this.#url, timeoutMs, this.#cancel.signal);
    const peer = new DaemonConnection(socket, {
      handlers: incomingHandlers({
        object: (ghid) => this.#objects.get(ghid),
        upstream: (ghid, state) => this.#objects.upstream(ghid, state),
        shareHandler: (api) => this.#handlers.get(api),
        shareResult: (result) => this.emit('share-result', result),
        status: (status) => this.#statusWatch.heard(status),
        listenerError: (err, where) => this[LISTENER_ERROR](err, where),
      }),
      requestTimeoutMs: this.#o.requestTimeoutMs ?? 30_000,
      onClose: (info) => this.#onClose(peer, info),
    });
    this.#settingUp = peer;
    try {
      if (!this.#o.legacy) {
        await proveKey((verb, body) => peer.request(verb, body, timeoutMs), this.#key, this.#port, this.#keyFile);
      }
      this.#daemonProtocol = await checkDaemonProtocol((verb, body) => peer.request(verb, body, timeoutMs), this.#o.legacy === true);
      const me = idText(await peer.request(IpcVerb.whoami, undefined, timeoutMs));
      if (this.#whoami && me !== this.#whoami) this.emit('error', new HgxError(`The daemon now runs another account (${me.slice(0, 12)}…)`));
      this.#whoami = me;
      // Usable from here on: the daemon may deliver kept shares as soon as the token is back,
      // and their handlers call get().
      this.#peer = peer;
      if (restoring) await this.#restore(peer);
    } catch (err) {
      if (this.#peer === peer) this.#peer = null;
      peer.close(1000, 'setup failed');
      throw err;
    } finally {
      if (this.#settingUp === peer) this.#settingUp = null;
    }
  }

  /** Re-sends what the daemon keeps per connection: token, API registrations, open objects, the status watch. */
  async #restore(peer: DaemonConnection): Promise<void> {
    if (this.#token) await peer.request(IpcVerb.setToken, fromHex(this.#token));
    if (this.#statusWatch.watching) this.emit('status', readAnswer(StatusVerb.watch, await peer.request(StatusVerb.watch), readStatus));
    for (const api of this.#handlers.keys()) await peer.request(IpcVerb.registerApi, ApiId.bytes(api));
    for (const obj of this.#objects.list()) {
      try {
        const def = decodeObjDef(await peer.request(IpcVerb.getObject, ghidBytes(obj.ghid)));
        if (!bytesEqual(def.state, obj.stateBytes)) obj[APPLY_UPSTREAM](def.state.slice());
      } catch (err) {
        if (err instanceof IpcError) this.emit('error', new HgxError(`Could not reopen ${obj.ghid.slice(0, 12)}… after reconnecting: ${err.message}`, { cause: err }));
        else throw err;
      }
    }
  }

  #onClose(peer: DaemonConnection, info: { code: number; reason: string }): void {
    if (this.#peer !== peer) return;
    this.#peer = null;
    if (this.#closed) return;
    // The user disconnected this app in Hypergolix: coming back by itself would undo their choice.
    if (info.code === CLOSE_CODES.closedByUser) this.#closed = true;
    this.emit('disconnected', `closed (${info.code}${info.reason ? ` ${info.reason}` : ''})`);
    if (this.#closed || this.#o.reconnect === false) return;
    this.#reconnecting ??= this.#reconnectLoop().finally(() => (this.#reconnecting = null));
  }

  async #reconnectLoop(): Promise<void> {
    const r = typeof this.#o.reconnect === 'object' ? this.#o.reconnect : {};
    const back = await reconnectLoop({
      sleep: (ms) => this.#pause.sleep(ms),
      minDelayMs: r.minDelayMs ?? 100,
      maxDelayMs: r.maxDelayMs ?? 5000,
      closed: () => this.#closed,
      attempt: async () => {
        if (this.#keyFile) this.#key = await readKeyFile(this.#keyFile).catch(() => this.#key);
        await this.#open(Math.max(1000, r.maxDelayMs ?? 5000), true);
      },
      report: (err) => this.emit('error', err),
    });
    if (!back) return;
    // Closed while the last try was under way: the connection it made goes too.
    if (this.#closed) this.#peer?.close();
    else this.emit('reconnected');
  }

  /**
   * The user's contacts: a name (or null), trust and verified mark per fingerprint, so an app
   * can show people by name. Read-only: the user manages them in Hypergolix itself.
   */
  async contacts(): Promise<Contact[]> {
    return (await this.#request(PeopleVerb.listContacts, undefined, decodeJsonBody)) as Contact[];
  }

  /**
   * How Hypergolix stands now, as its Status page and `hypergolix status` tell it: the account's
   * fingerprint, objects cached, whether the disk takes writes, each remote (connected or why not
   * and when it is tried next, objects waiting for it), other apps connected and shares waiting.
   * `reconnect`: the remotes away are tried at once first, those connected pinged (an app's "Try
   * now"; IncompatibleDaemon from Hypergolix 0.4 and before). Needs a link authenticated with the IPC key.
   */
  async status(o: { reconnect?: boolean } = {}): Promise<DaemonStatus> {
    if (!o.reconnect) return this.#request(StatusVerb.daemonStatus, undefined, readStatus);
    return this.#request(StatusVerb.tryRemotes, undefined, readStatus).catch((err: unknown) => Promise.reject(olderDaemonOr(err, 'try its remotes now', this.#daemonProtocol)));
  }

  /**
   * Watches how Hypergolix stands: resolves to the status now (as `status()`), then emits `'status'`
   * at each change (a remote coming or going at once; what waits, the objects cached, when a remote
   * is tried next at most once a second) until `unwatchStatus()`; kept across reconnects. Authenticated links.
   */
  async watchStatus(): Promise<DaemonStatus> {
    return this.#statusWatch.watch(() => this.#request(StatusVerb.watch, undefined, readStatus));
  }

  /** Stops the `'status'` events of `watchStatus()`. */
  async unwatchStatus(): Promise<void> {
    this.#statusWatch.unwatch();
    if (this.connected) await this.#request(StatusVerb.unwatch);
  }

  /** Sends one request on the current connection; NotConnected when there is none. For the link's objects. @internal */
  [REQUEST]<T = Uint8Array>(verb: string, body?: Uint8Array, read?: (answer: Uint8Array) => T): Promise<T> {
    return this.#request(verb, body, read);
  }

  #notConnected(): NotConnected {
    if (this.#closed) return new NotConnected('The link is closed (by the app, or the user disconnected it in Hypergolix)');
    // With reconnect: false nothing will come back: saying "reconnecting" would have the app wait for it.
    return new NotConnected(`Not connected to the Hypergolix daemon (${this.#o.reconnect === false ? 'the link does not reconnect (reconnect: false): make a new one' : 'reconnecting'})`);
  }

  /** Sends one request and reads its answer with `read` (UnreadableAnswer when that fails). */
  async #request<T = Uint8Array>(verb: string, body?: Uint8Array, read?: (answer: Uint8Array) => T): Promise<T> {
    const peer = this.#peer;
    if (!peer || !peer.isOpen) throw this.#notConnected();
    const answer = await peer.request(verb, body);
    return read ? readAnswer(verb, answer, read) : (answer as T);
  }

  // ------------------------------------------------------------------ daemon → app

  /** A listener or handler of the app failed: logged, and emitted as `'error'` when anyone listens. @internal */
  [LISTENER_ERROR](err: unknown, where: string): void {
    this.#warn(`hgx: ${where} failed:`, err);
    if (this.listenerCount('error') > 0) this.emit('error', err instanceof Error ? err : new HgxError(String(err)));
  }

  protected override reportListenerError(err: unknown, event: string): void {
    this.#warn(`hgx: a '${event}' listener failed:`, err);
  }

  /** The app's logger, which must not break the link by throwing itself. */
  #warn(message: string, err: unknown): void {
    try {
      (this.#o.logger ?? console).warn(message, err);
    } catch {
      // Nowhere left to tell it.
    }
  }

  // ------------------------------------------------------------------ objects

  /** Creates an object (dynamic and public unless told otherwise) and returns it, open. */
  async new<T extends OpenObject>(cls: ObjClass<T>, state: StateOf<T>, options: NewOptions = {}): Promise<T> {
    checkObjClass(cls, 'new');
    checkNewOptions(options);
    const apiId = options.apiId !== undefined ? ApiId.text(options.apiId) : cls.defaultApiId;
    const legroom = options.legroom ?? 0;
    const dynamic = options.dynamic ?? true;
    const isPrivate = options.private ?? false;
    const bytes = cls.encodeState(state);
    const ghid = await this.#request(IpcVerb.newObject, encodeObjDef({ state: bytes, apiId: ApiId.bytes(apiId), dynamic, private: isPrivate, legroom }), idText);
    const obj = new cls(this, { ghid, author: this.#whoami, apiId, dynamic, private: isPrivate, legroom, bytes, state });
    this.#objects.set(ghid, obj);
    return obj;
  }

  /**
   * Opens an object. Instances are cached per GHID: the same call returns the same instance,
   * and asking for another class than the cached one fails with WrongClass (use `recast`).
   */
  async get<T extends OpenObject>(cls: ObjClass<T>, ghid: GhidLike): Promise<T> {
    checkObjClass(cls, 'get');
    // Not even an instance opened before: nothing done with it would reach the daemon any more.
    if (this.#closed) throw this.#notConnected();
    const key = ghidText(ghid, "get()'s ghid");
    const check = (obj: OpenObject): T => {
      if (obj.constructor !== cls) throw new WrongClass(`${key.slice(0, 12)}… is open as ${obj.constructor.name}, not ${cls.name}: use link.recast(obj, ${cls.name})`);
      return obj as T;
    };
    const obj = await this.#objects.open(key, async () => {
      const def = await this.#request(IpcVerb.getObject, ghidBytes(key), decodeObjDef);
      try {
        const [author, apiId] = [def.author ? idText(def.author) : '', def.apiId ? idText(def.apiId) : ApiId.RAW];
        return new cls(this, { ghid: key, author, apiId, dynamic: def.dynamic, private: def.private, legroom: def.legroom, bytes: def.state.slice() });
      } catch (err) {
        await this.#request(IpcVerb.discardObject, ghidBytes(key)).catch(() => {});
        throw err instanceof HgxError ? err : new StateError((err as Error).message);
      }
    });
    return check(obj);
  }

  /** The same object under another class; the old instance dies (its listeners stay with it). */
  recast<T extends OpenObject>(obj: OpenObject, cls: ObjClass<T>): T {
    checkObjClass(cls, 'recast');
    checkRecastable(obj, this);
    if (obj.constructor === cls) return obj as unknown as T;
    const { ghid, author, apiId, dynamic, legroom } = obj;
    const next = new cls(this, { ghid, author, apiId, dynamic, private: obj.private, legroom, bytes: obj.stateBytes });
    this.#objects.forget(obj);
    obj[KILL]();
    this.#objects.set(obj.ghid, next);
    return next;
  }

  /** An instance died: forget it (only if it is the cached one). @internal */
  [FORGET](obj: OpenObject): void {
    this.#objects.forget(obj);
  }

  // ------------------------------------------------------------------ shares, tokens, startup

  /**
   * Routes shares with this API ID to `handler` (one per API ID; a new one replaces it). The
   * daemon keeps shares that arrive while no app handles their API ID and delivers them now.
   */
  async registerShareHandler(apiId: ApiIdText | Uint8Array, handler: ShareHandler): Promise<void> {
    const api = ApiId.text(apiId);
    checkFunction('The share handler', handler);
    const had = this.#handlers.get(api);
    this.#handlers.set(api, handler);
    try {
      await this.#request(IpcVerb.registerApi, ApiId.bytes(api));
    } catch (err) {
      if (had) this.#handlers.set(api, had);
      else this.#handlers.delete(api);
      throw err;
    }
  }

  /** Stops routing shares with this API ID to this app; later shares wait in the daemon again. */
  async deregisterShareHandler(apiId: ApiIdText | Uint8Array): Promise<void> {
    const api = ApiId.text(apiId);
    await this.#request(IpcVerb.deregisterApi, ApiId.bytes(api));
    this.#handlers.delete(api);
  }

  /**
   * Binds an app token to this link: a new one (no argument) or one issued before (32 hex
   * digits). Tokens own private objects and a startup object, and keep API registrations across
   * restarts. Resolves to the token's startup object's GHID, or null.
   */
  async registerToken(token?: string | Uint8Array): Promise<GhidText | null> {
    const body = token === undefined ? ZERO_TOKEN : typeof token === 'string' && /^(?:[0-9a-fA-F]{2})*$/.test(token) ? fromHex(token) : token;
    if (!(body instanceof Uint8Array) || body.length !== APP_TOKEN_BYTES) {
      throw new HgxError(`An app token is ${APP_TOKEN_BYTES} bytes (${APP_TOKEN_BYTES * 2} hex digits)`);
    }
    this.#token = await this.#request(IpcVerb.setToken, body, (issued) => {
      if (issued.length !== APP_TOKEN_BYTES) throw new RangeError(`an app token is ${APP_TOKEN_BYTES} bytes, got ${issued.length}`);
      return toHex(issued);
    });
    return this.#request(IpcVerb.getStartup, undefined, (startup) => (startup.length === 0 ? null : idText(startup)));
  }

  /** Makes `obj` this token's startup object (one per token). */
  async registerStartup(obj: OpenObject | GhidLike): Promise<void> {
    const ghid = typeof obj === 'object' && obj !== null && 'ghid' in obj && typeof obj.ghid === 'string' ? obj.ghid : ghidText(obj as GhidLike, "registerStartup()'s object");
    await this.#request(IpcVerb.registerStartup, ghidBytes(ghid));
  }

  /** Removes this token's startup object. */
  async deregisterStartup(): Promise<void> {
    await this.#request(IpcVerb.deregisterStartup);
  }
}
