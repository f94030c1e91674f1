/**
 * The one contract between the UI (src/renderer) and its host (the controller in the Electron
 * main process, or the browser-mode bridge in src/web). Both transports carry exactly these
 * requests, responses and events, and both validate what they receive with the checks below.
 *
 * Settings mirror hypergolix.yml key for key, so a field error's path ("process.ipc_port",
 * "remotes.2.host") names the YAML key the user would edit by hand. The only exceptions are
 * `server.enabled`, which lives in the file as `desktop.embedded_server`, and `server.host`,
 * which is one of three modes here.
 */
import { LIMITS, ghidText } from './contract-limits.js';
import { SHARING_POLICIES, VERBOSITIES, type RemoteSpec, type SharingPolicy, type Verbosity } from './config-fields.js';
import { type ConfigKeys, type FormOf, type KeySpec } from './config-keys.js';
import { formKeys, putIn } from './config-paths.js';
import { toHostError, fail, type HostError, type Result } from './contract-errors.js';
import { checkCacheCheck, checkServerStore, checkStatus, type CacheCheckStatus, type ServerStoreStatus, type Status } from './contract-status.js';
import { checkContact, checkContactChange, checkContacts, checkSafetyCode, checkShares, fingerprintParam, shareIdParam } from './contract-people.js';
import type { ContactChange, ContactJson, ShareJson } from './contract-people.js';
import { arr, bool, byKind, dict, nullable, num, obj, oneOf, optional, str, tryParse, uint, type Check } from './wire-check.js';

export * from './contract-errors.js';
export * from './contract-status.js';

// ───────────────────────────── values ─────────────────────────────

// The value lists come from the config rules, so the wire and the file never disagree.
export { SHARING_POLICIES, VERBOSITIES, type SharingPolicy, type Verbosity };
export const SERVER_HOST_MODES = ['localhost', 'AUTO', 'ANY'] as const;
export type ServerHostMode = (typeof SERVER_HOST_MODES)[number];

export type Remote = RemoteSpec;
export type { ContactChange, ContactJson, ShareJson };

/**
 * What the settings page edits: every key of src/common/config-keys.ts that has `ui` text, under
 * its own name and as the file holds it (FormOf), plus what is the contract's own — the list
 * of remotes, and the embedded persistence server's switch (`desktop.embedded_server` in the
 * file) and reach (a mode standing for `server.host`).
 */
export type Settings = FormOf<ConfigKeys> & {
  remotes: Remote[];
  server: { enabled: boolean; host: ServerHostMode };
};

export interface Identity {
  /** GHID text of the user's public identity: what others share to. */
  fingerprint: string;
  /** GHID text of the account's root node: needed to log in. */
  userId: string;
}

/** One app connected to the daemon, as the status page lists it. */
export interface ConnectedAppJson {
  id: number;
  /** The app token it registered (hex), or null: apps have no names, the token is what identifies one. */
  token: string | null;
  /** An old client admitted without the IPC key (public objects only). */
  legacy: boolean;
  /** It proved the key by sending it (an app of hgx SDK 0.2): it should update its SDK. */
  sendsKey: boolean;
  /** How many API IDs it registered (kinds of shares it takes). */
  apis: number;
  /** Objects it follows. */
  tracked: number;
  /** Milliseconds since the epoch. */
  connectedAt: number;
  lastActivity: number;
}

export interface Snapshot {
  status: Status;
  /** Known from the config even while locked; null before an account exists. */
  identity: Identity | null;
  /** Whether the host can keep an "unlock automatically" secret in OS secure storage. */
  canRememberPassword: boolean;
}

/** Identity generation stages, in order, reported while an account is created. */
export const ACCOUNT_STAGES = ['keys', 'secret', 'objects', 'publish', 'config', 'done'] as const;
export type AccountStage = (typeof ACCOUNT_STAGES)[number];
const RESTART_PHASES = ['saving', 'stopping', 'starting', 'done', 'failed'] as const;
export type RestartPhase = (typeof RESTART_PHASES)[number];

// ───────────────────────────── requests ─────────────────────────────

/** Every request the UI may make: its parameters and the value of a successful answer. */
export interface RequestMap {
  getState: { params: {}; value: Snapshot };
  /** Progress arrives as 'accountProgress' events; resolves once the account exists and runs. */
  createAccount: { params: { password: string }; value: Identity };
  /** Fails with 'wrong-password' (and nothing else) when the password does not open the account. */
  unlock: { params: { password: string; rememberOnThisComputer: boolean }; value: {} };
  lock: { params: {}; value: {} };
  getSettings: { params: {}; value: Settings };
  /**
   * Validates, writes hypergolix.yml (comments kept), restarts what the change needs ('restartProgress'
   * events). Invalid input: 'invalid-settings' with `fields`. With `base` (what the form was opened
   * on), only the form's changes go over the file as it is (settings-merge.ts); a field changed
   * there too, differently: 'settings-changed' with `fields`. Refused, nothing is written.
   */
  saveSettings: { params: { settings: Settings; base?: Settings }; value: { restarted: boolean } };
  /** Tries again what did not come back from the last restart (daemon in 'error', a server that did not start); false: nothing had failed. */
  retryRestart: { params: {}; value: { restarted: boolean } };
  whoami: { params: {}; value: Identity };
  status: { params: {}; value: Status };
  /** Checks the local cache's files now, putting damaged ones right from a remote; resolves once the check ends ('invalid-state' while locked). */
  checkCache: { params: {}; value: CacheCheckStatus };
  /** Checks the embedded server's store now; resolves once the check ends ('invalid-state' while no server runs here, or its store is a database). */
  checkServerStore: { params: {}; value: ServerStoreStatus };
  /** Tries every remote that is not connected now, instead of at the end of its wait; resolves with the status once each try ended ('invalid-state' while locked). */
  tryRemotes: { params: {}; value: Status };
  /** `trust`: accept and trust the sender from now on (else accept once). */
  acceptShare: { params: { id: string; trust?: boolean }; value: {} };
  /** `block`: also block the sender. */
  declineShare: { params: { id: string; block?: boolean }; value: {} };
  listContacts: { params: {}; value: ContactJson[] };
  /** Adds (`add`) or changes a contact; blocking declines what waits from them. */
  changeContact: { params: { change: ContactChange }; value: ContactJson };
  removeContact: { params: { fingerprint: string }; value: {} };
  /** The six words both sides compare. */
  safetyCode: { params: { fingerprint: string }; value: { words: string[] } };
  /** Waiting, received and sent shares. */
  listShares: { params: {}; value: ShareJson[] };
  /** Opens the remote's registration page, signed by the account, in the browser; the link comes back too. */
  registerRemote: { params: { remote: string }; value: { url: string } };
  /** While running: 'wrong-password' when `current` is not right, 'invalid-settings' (fields.next) when `next` breaks the rule. */
  changePassword: { params: { current: string; next: string }; value: {} };
  /** While running, after the password: a new recovery kit (the previous key opens nothing after). `page` is the printable kit. */
  makeRecoveryKit: { params: { password: string }; value: { key: string; page: string } };
  /**
   * With no account yet ("I already have an account"): checks that `remote` (HOST:PORT[:tls]) holds
   * `userId`, writes both into hypergolix.yml and opens the account with `password`. Field errors
   * (invalid-settings) for a malformed user ID or remote; account-not-found, remote-unreachable,
   * wrong-password otherwise, with the file left as it was.
   */
  signIn: { params: { userId: string; remote: string; password: string }; value: Identity };
  /** The apps connected now (empty while locked). */
  listApps: { params: {}; value: ConnectedAppJson[] };
  /** Closes one app's connection; its SDK link stays closed (no reconnecting). 'not-found' when it is gone. */
  disconnectApp: { params: { id: number }; value: {} };
  /** While locked: the kit's key opens the account and sets `password` as its new password, then it runs. */
  recoverAccount: { params: { recoveryKey: string; password: string }; value: {} };
}

export type RequestKind = keyof RequestMap;
export type Request<K extends RequestKind = RequestKind> = K extends RequestKind ? { kind: K } & RequestMap[K]['params'] : never;
export type ResponseValue<K extends RequestKind> = RequestMap[K]['value'];
export type Response<K extends RequestKind = RequestKind> = Result<ResponseValue<K>>;

// ───────────────────────────── events ─────────────────────────────

export type HostEvent =
  | { kind: 'status'; status: Status }
  | { kind: 'accountProgress'; stage: AccountStage; /** 0..1 within the stage, when known. */ fraction?: number }
  | { kind: 'restartProgress'; phase: RestartPhase; message?: string }
  /** hypergolix.yml changed on disk (not by a save through this contract). */
  | { kind: 'configChanged'; settings: Settings }
  /**
   * Something to tell the user, already in words and already allowed by their notification
   * settings. The Electron app shows its own system notifications and ignores these; browser
   * mode shows them through the browser's Notification API when the user allowed it.
   */
  | { kind: 'notice'; title: string; body: string };

// ───────────────────────────── the port ─────────────────────────────

/**
 * What the UI talks to. The controller implements it on the host side; the renderer gets one
 * from either transport. `request` never rejects: failures come back as `{ ok: false, error }`.
 */
export interface HostPort {
  request<K extends RequestKind>(req: Request<K>): Promise<Response<K>>;
  subscribe(listener: (ev: HostEvent) => void): () => void;
}

/** One async function per request kind; may throw HostFailure. */
export type HostHandlers = { [K in RequestKind]: (req: Request<K>) => Promise<ResponseValue<K>> };

/** Builds a HostPort from handlers, turning throws into typed error results. */
export function hostPortFrom(handlers: HostHandlers, subscribe: HostPort['subscribe']): HostPort {
  return {
    async request<K extends RequestKind>(req: Request<K>): Promise<Response<K>> {
      try {
        const handler = handlers[req.kind] as (r: Request<K>) => Promise<ResponseValue<K>>;
        return { ok: true, value: await handler(req) };
      } catch (e) {
        return { ok: false, error: toHostError(e) };
      }
    },
    subscribe,
  };
}

// ───────────────────────────── runtime checks ─────────────────────────────


const remote = obj<Remote>({ host: str({ max: LIMITS.host }), port: num, tls: bool });

/** How each kind a settings key may have travels; the value's range is the config rules' business. */
const FORM_CHECKS: Partial<Record<KeySpec['kind'], Check<unknown>>> = {
  boolean: bool,
  port: num,
  integer: num,
  size: num,
  rate: num,
  verbosity: oneOf(VERBOSITIES),
  policy: oneOf(SHARING_POLICIES),
};

/** The check of every key config-keys.ts puts on the settings page, nested as the Settings are. */
function formChecks(): Record<string, unknown> {
  const shape: Record<string, unknown> = {};
  for (const { path, spec } of formKeys()) {
    const check = FORM_CHECKS[spec.kind];
    // A programming error in the table: caught by any test that loads the contract.
    if (!check) throw new Error(`${path.join('.')} is on the settings page, but a ${spec.kind} cannot travel in the contract`);
    putIn(shape, path, spec.default === null ? nullable(check) : check);
  }
  return shape;
}

/** An obj() check of a shape whose values are checks or shapes of their own. */
const nested = (shape: Record<string, unknown>): Check<unknown> =>
  obj<Record<string, unknown>>(
    Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, typeof v === 'function' ? (v as Check<unknown>) : nested(v as Record<string, unknown>)])),
  );

const form = formChecks();

const checkSettings = nested({
  remotes: arr(remote, LIMITS.remotes),
  ...form,
  server: { enabled: bool, host: oneOf(SERVER_HOST_MODES), ...(form['server'] as object) },
}) as Check<Settings>;

const checkIdentity = obj<Identity>({ fingerprint: ghidText, userId: ghidText });

const empty = obj<{}>({});
const password = str({ min: 1, max: LIMITS.password });
const kindOf = <K extends string>(k: K) => oneOf([k] as const);

const checkRequest: Check<Request> = byKind<Request>({
  getState: obj({ kind: kindOf('getState') }),
  createAccount: obj({ kind: kindOf('createAccount'), password }),
  unlock: obj({ kind: kindOf('unlock'), password, rememberOnThisComputer: bool }),
  lock: obj({ kind: kindOf('lock') }),
  getSettings: obj({ kind: kindOf('getSettings') }),
  saveSettings: obj({ kind: kindOf('saveSettings'), settings: checkSettings, base: optional(checkSettings) }),
  retryRestart: obj({ kind: kindOf('retryRestart') }),
  whoami: obj({ kind: kindOf('whoami') }),
  status: obj({ kind: kindOf('status') }),
  checkCache: obj({ kind: kindOf('checkCache') }),
  checkServerStore: obj({ kind: kindOf('checkServerStore') }),
  tryRemotes: obj({ kind: kindOf('tryRemotes') }),
  acceptShare: obj({ kind: kindOf('acceptShare'), id: shareIdParam, trust: optional(bool) }),
  declineShare: obj({ kind: kindOf('declineShare'), id: shareIdParam, block: optional(bool) }),
  listContacts: obj({ kind: kindOf('listContacts') }),
  changeContact: obj({ kind: kindOf('changeContact'), change: checkContactChange }),
  removeContact: obj({ kind: kindOf('removeContact'), fingerprint: fingerprintParam }),
  safetyCode: obj({ kind: kindOf('safetyCode'), fingerprint: fingerprintParam }),
  listShares: obj({ kind: kindOf('listShares') }),
  registerRemote: obj({ kind: kindOf('registerRemote'), remote: str({ min: 3, max: LIMITS.host + 6 }) }),
  changePassword: obj({ kind: kindOf('changePassword'), current: password, next: password }),
  makeRecoveryKit: obj({ kind: kindOf('makeRecoveryKit'), password }),
  recoverAccount: obj({ kind: kindOf('recoverAccount'), recoveryKey: str({ min: 1, max: 256 }), password }),
  listApps: obj({ kind: kindOf('listApps') }),
  disconnectApp: obj({ kind: kindOf('disconnectApp'), id: uint }),
  signIn: obj({ kind: kindOf('signIn'), userId: str({ min: 1, max: LIMITS.ghid }), remote: str({ min: 1, max: LIMITS.host + 10 }), password }),
});

/** Checks of each kind's success value, so the UI can distrust a transport as much as the host does. */
const checkResponseValue: { [K in RequestKind]: Check<ResponseValue<K>> } = {
  getState: obj<Snapshot>({ status: checkStatus, identity: nullable(checkIdentity), canRememberPassword: bool }),
  createAccount: checkIdentity,
  unlock: empty,
  lock: empty,
  getSettings: checkSettings,
  saveSettings: obj({ restarted: bool }),
  retryRestart: obj({ restarted: bool }),
  whoami: checkIdentity,
  status: checkStatus,
  checkCache: checkCacheCheck,
  checkServerStore,
  tryRemotes: checkStatus,
  acceptShare: empty,
  registerRemote: obj<{ url: string }>({ url: str({ min: 1, max: LIMITS.text }) }),
  declineShare: empty,
  listContacts: checkContacts,
  changeContact: checkContact,
  removeContact: empty,
  safetyCode: checkSafetyCode,
  listShares: checkShares,
  changePassword: empty,
  makeRecoveryKit: obj<{ key: string; page: string }>({ key: str({ min: 1, max: 256 }), page: str({ min: 1, max: LIMITS.page }) }),
  recoverAccount: empty,
  signIn: checkIdentity,
  listApps: arr(
    obj<ConnectedAppJson>({ id: uint, token: nullable(str({ max: 64 })), legacy: bool, sendsKey: bool, apis: uint, tracked: uint, connectedAt: uint, lastActivity: uint }),
    1024,
  ),
  disconnectApp: empty,
};

const checkHostError = obj<HostError>({
  code: str({ min: 1, max: LIMITS.id }),
  message: str({ max: LIMITS.text }),
  fields: optional(dict(str({ max: LIMITS.text }), 256)),
});

/** An error answer, the only answer an id of no known request may carry. */
export const checkFailure: Check<{ ok: false; error: HostError }> = obj({ ok: oneOf([false]), error: checkHostError });

/** Checks a response to a request of kind K (either outcome). */
export function checkResponse<K extends RequestKind>(kind: K): Check<Response<K>> {
  return (v, path) => {
    const head = obj<{ ok: boolean }>({ ok: bool })(v, path);
    const rec = v as Record<string, unknown>;
    if (head.ok) return { ok: true, value: (checkResponseValue[kind] as Check<ResponseValue<K>>)(rec.value, `${path}.value`) };
    return { ok: false, error: checkHostError(rec.error, `${path}.error`) };
  };
}

const checkEvent: Check<HostEvent> = byKind<HostEvent>({
  status: obj({ kind: kindOf('status'), status: checkStatus }),
  accountProgress: obj({ kind: kindOf('accountProgress'), stage: oneOf(ACCOUNT_STAGES), fraction: optional(num) }),
  restartProgress: obj({ kind: kindOf('restartProgress'), phase: oneOf(RESTART_PHASES), message: optional(str({ max: LIMITS.text })) }),
  configChanged: obj({ kind: kindOf('configChanged'), settings: checkSettings }),
  notice: obj({ kind: kindOf('notice'), title: str({ min: 1, max: LIMITS.text }), body: str({ max: LIMITS.text }) }),
});

export const parseRequest = (v: unknown) => tryParse(checkRequest, v);
export const parseEvent = (v: unknown) => tryParse(checkEvent, v);

/**
 * Validates an untrusted request and hands it to the host. Never throws and never lets a
 * malformed message reach the host: the host-side entry point for every transport.
 */
export async function dispatch(host: HostPort, raw: unknown): Promise<Response> {
  const parsed = parseRequest(raw);
  if (!parsed.ok) return fail(parsed.error.code, parsed.error.message);
  try {
    return (await host.request(parsed.value as Request<RequestKind>)) as Response;
  } catch (e) {
    return { ok: false, error: toHostError(e) };
  }
}

// ───────────────────────────── Electron IPC ─────────────────────────────

/** The preload's only two channels: requests are `invoke`d on one, events are pushed on the other. */
export const IPC_CHANNELS = { request: 'hgx:request', event: 'hgx:event' } as const;
