/**
 * The renderer's transport and app state, in Node (no browser): the socket transport over a fake
 * WebSocket and fake timers, and the zustand app state (session, settings, people and account
 * actions) over a scripted host whose every answer the test releases, so a reply can come late,
 * twice, malformed, or never. The real-browser tests (ui.test.ts and friends) cover the views.
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  ERROR_CODES,
  fail,
  type AppState,
  type HostEvent,
  type HostPort,
  type Identity,
  type Request,
  type RequestKind,
  type Response,
  type Snapshot,
  type Status,
} from '../../src/common/contract.js';
import { connectHost, type ConnectionState, type Transport } from '../../src/renderer/transport.js';
import { createAppState } from '../../src/renderer/app-state.js';
import type { UiState } from '../../src/renderer/ui-state.js';
import { FAKE_IDENTITY, FakeHost, defaultSettings, type FakeHostOptions } from '../fixtures/ui/fake-host.js';
import { until } from '../fixtures/wait.js';

// What the renderer's modules use of the browser, declared for the Node tsconfig (no DOM lib).
declare global {
  interface Window {
    location: { href: string };
    history: { replaceState(data: unknown, unused: string, url?: string | null): void };
  }
  var window: Window;
  interface RequestInit {
    cache?: 'default' | 'no-store' | 'reload' | 'no-cache' | 'force-cache' | 'only-if-cached';
  }
  type NotificationPermission = 'default' | 'denied' | 'granted';
  var Notification: {
    readonly permission: NotificationPermission;
    requestPermission(): Promise<NotificationPermission>;
    new (title: string, options?: { body?: string }): object;
  };
}

/** One turn of the event loop: every promise already settled has run its continuations. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Replaces a global for the test, restoring its exact property afterwards. */
function setGlobal(t: TestContext, name: string, value: unknown): void {
  const before = Object.getOwnPropertyDescriptor(globalThis, name);
  Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  t.after(() => {
    if (before) Object.defineProperty(globalThis, name, before);
    else delete (globalThis as Record<string, unknown>)[name];
  });
}

const OTHER_IDENTITY: Identity = {
  fingerprint: 'AbOtherAccountFingerprint000000000000000000000000000000000000000000000000000000000000=',
  userId: 'AbOtherAccountUserId0000000000000000000000000000000000000000000000000000000000000000=',
};
const CONTACT = 'AcContactFingerprint00000000000000000000000000000000000000000000000000000000000000000=';

// ───────────────────────────── the socket transport ─────────────────────────────

/** The browser's WebSocket as the transport uses it: the test opens, feeds and drops it. */
class FakeSocket {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  readonly sent: { id: number; request: Request }[] = [];
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(JSON.parse(data) as { id: number; request: Request });
  }
  open(): void {
    this.onopen?.({});
  }
  deliver(msg: unknown): void {
    this.onmessage?.({ data: typeof msg === 'string' ? msg : JSON.stringify(msg) });
  }
  drop(): void {
    this.onclose?.({});
  }
}

interface Page {
  sockets: FakeSocket[];
  socket(): FakeSocket;
  replaced: (string | null | undefined)[];
  fetched: string[];
}

/** A browser tab at `href`: window, WebSocket and fetch (answering `pageStatus` for the page). */
function browserPage(t: TestContext, href: string, opts: { pageStatus?: number; hypergolix?: HostPort } = {}): Page {
  const page: Page = {
    sockets: [],
    socket: () => {
      const s = page.sockets.at(-1);
      if (!s) throw new Error('no socket was opened');
      return s;
    },
    replaced: [],
    fetched: [],
  };
  setGlobal(t, 'window', {
    location: { href },
    history: { replaceState: (_data: unknown, _unused: string, url?: string | null) => void page.replaced.push(url) },
    ...(opts.hypergolix ? { hypergolix: opts.hypergolix } : {}),
  });
  setGlobal(
    t,
    'WebSocket',
    class extends FakeSocket {
      constructor(url: string) {
        super(url);
        page.sockets.push(this);
      }
    },
  );
  setGlobal(t, 'fetch', async (url: URL | string) => {
    page.fetched.push(String(url));
    return { status: opts.pageStatus ?? 200 } as unknown as globalThis.Response;
  });
  return page;
}

function watchConnection(transport: Transport): ConnectionState[] {
  const states: ConnectionState[] = [];
  transport.onConnection((s) => states.push(s));
  return states;
}

describe('transport', () => {
  test('Electron: the preload port is used as it is, and the connection is open from the start', async (t) => {
    const asked: Request[] = [];
    const unsubscribe = () => {};
    const api: HostPort = {
      request: async (req) => {
        asked.push(req as Request);
        return { ok: true, value: {} } as never;
      },
      subscribe: () => unsubscribe,
    };
    const page = browserPage(t, 'file:///app/index.html', { hypergolix: api });
    const transport = connectHost();
    assert.equal(transport.mode, 'electron');
    assert.deepEqual(watchConnection(transport), ['open']);
    assert.deepEqual(await transport.request({ kind: 'lock' }), { ok: true, value: {} });
    assert.deepEqual(asked, [{ kind: 'lock' }]);
    assert.equal(transport.subscribe(() => {}), unsubscribe);
    assert.deepEqual(page.sockets, [], 'no socket in Electron');
  });

  test('browser mode: the token leaves the address bar and travels with the socket (wss: under https:)', (t) => {
    const page = browserPage(t, 'https://127.0.0.1:7771/app?x=1&token=s3cret#top');
    const transport = connectHost();
    assert.equal(transport.mode, 'browser');
    assert.deepEqual(page.replaced, ['/app?x=1#top']);
    assert.equal(page.socket().url, 'wss://127.0.0.1:7771/bridge?token=s3cret');
  });

  test('browser mode without a token: nothing is rewritten, the socket goes to /bridge over ws:', (t) => {
    const page = browserPage(t, 'http://localhost:7771/');
    connectHost();
    assert.deepEqual(page.replaced, []);
    assert.equal(page.socket().url, 'ws://localhost:7771/bridge');
  });

  test('a request made while connecting is sent once the socket opens; its answer counts once; a malformed one ends its request', async (t) => {
    const warn = t.mock.method(console, 'warn', () => {});
    const page = browserPage(t, 'http://localhost:7771/');
    const transport = connectHost();
    const states = watchConnection(transport);
    const first = transport.request({ kind: 'lock' });
    await turn();
    const sock = page.socket();
    assert.deepEqual(sock.sent, [], 'nothing is sent before the socket opens');
    sock.open();
    await turn();
    assert.deepEqual(states, ['connecting', 'open']);
    assert.deepEqual(sock.sent, [{ id: 1, request: { kind: 'lock' } }]);
    sock.deliver({ id: 1, response: { ok: true, value: {} } });
    // The same answer again (a host that repeats itself): it has no request any more and is dropped.
    sock.deliver({ id: 1, response: fail(ERROR_CODES.internal, 'a second answer') });
    assert.deepEqual(await first, { ok: true, value: {} });

    const second = transport.request({ kind: 'whoami' });
    await turn();
    assert.deepEqual(sock.sent[1], { id: 2, request: { kind: 'whoami' } });
    sock.deliver({ id: 2, response: { ok: true, value: { fingerprint: 12 } } });
    const answer = await second;
    assert.equal(answer.ok, false);
    assert.equal(!answer.ok && answer.error.code, ERROR_CODES.internal);
    assert.ok(warn.mock.callCount() <= 1);
  });

  test('a dropped connection ends the waiting request, reconnects, and the same listeners hear each later event once', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const page = browserPage(t, 'http://localhost:7771/');
    const transport = connectHost();
    const states = watchConnection(transport);
    const events: HostEvent[] = [];
    transport.subscribe((ev) => events.push(ev));
    const first = page.socket();
    first.open();
    const waiting = transport.request({ kind: 'lock' });
    await turn();
    first.drop();
    const lost = await waiting;
    assert.equal(!lost.ok && lost.error.code, ERROR_CODES.unavailable);
    assert.deepEqual(states, ['connecting', 'open', 'closed']);

    const notice: HostEvent = { kind: 'notice', title: 'Hello', body: 'again' };
    for (let round = 0; round < 3; round++) {
      t.mock.timers.tick(10_000); // at most the longest back-off
      const sock = page.socket();
      sock.open();
      sock.deliver({ event: notice });
      if (round < 2) sock.drop();
    }
    assert.equal(page.sockets.length, 4, 'one new socket per drop');
    assert.equal(events.length, 3, 'each event reaches the listener once, whatever the reconnects');
    assert.equal(states.at(-1), 'open');

    // Requests go on the new socket, with ids never reused.
    const again = transport.request({ kind: 'lock' });
    await turn();
    const sock = page.socket();
    assert.deepEqual(sock.sent, [{ id: 2, request: { kind: 'lock' } }]);
    sock.deliver({ id: 2, response: { ok: true, value: {} } });
    assert.equal((await again).ok, true);
    assert.deepEqual(page.fetched, [], 'a socket that opened again is not a refused token');
  });

  test('a request waits at most 8 s for the connection, then says Hypergolix is not reachable', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const page = browserPage(t, 'http://localhost:7771/');
    const transport = connectHost();
    const waiting = transport.request({ kind: 'lock' });
    await turn();
    t.mock.timers.tick(7_999);
    await turn();
    let settled = false;
    void waiting.then(() => (settled = true));
    await turn();
    assert.equal(settled, false, 'still waiting before 8 s');
    t.mock.timers.tick(1);
    const answer = await waiting;
    assert.equal(!answer.ok && answer.error.code, ERROR_CODES.unavailable);
    assert.match(!answer.ok ? answer.error.message : '', /not reachable/);
    // The socket opening afterwards sends nothing for the request that gave up.
    page.socket().open();
    await turn();
    assert.deepEqual(page.socket().sent, []);
  });

  test('a refused token stays "refused": the tab does not flip back to "connecting" and "closed" on every retry', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const page = browserPage(t, 'http://localhost:7771/?token=old', { pageStatus: 403 });
    const transport = connectHost();
    const states = watchConnection(transport);
    page.socket().drop();
    t.mock.timers.tick(10_000);
    page.socket().drop();
    await turn();
    assert.equal(states.at(-1), 'refused', 'the second failure asks the page, which says 403');
    assert.ok(page.fetched.length >= 1);
    const sinceRefused = states.length;
    // Hypergolix is still up with its new token: whatever the tab tries next is refused again.
    for (let retry = 0; retry < 2; retry++) {
      const before = page.sockets.length;
      t.mock.timers.tick(10_000);
      if (page.sockets.length > before) page.socket().drop();
      await turn();
    }
    assert.deepEqual(
      states.slice(sinceRefused).filter((s) => s !== 'refused'),
      [],
      `the page shows the token message, then "${states.slice(sinceRefused).join('", "')}"`,
    );
  });
});

// ───────────────────────────── the app state over a scripted host ─────────────────────────────

function statusOf(state: AppState, over: Partial<Status> = {}): Status {
  return { state, message: null, remotes: [], objectsCached: 0, connectedApps: 0, incomingShares: [], warnings: [], ...over };
}

type Answerer = (req: Request) => Response;

/**
 * A Transport whose answers the test controls: kinds in `auto` are answered at once from the
 * host's current state; any other request waits until `reply` (or `dropAll`, what the socket
 * transport does when the connection is lost).
 */
class ScriptedHost implements Transport {
  readonly calls: Request[] = [];
  status: Status;
  identity: Identity | null;
  connection: ConnectionState = 'open';
  private readonly held: { req: Request; resolve: (r: Response) => void }[] = [];
  private readonly listeners = new Set<(ev: HostEvent) => void>();
  private readonly connListeners = new Set<(s: ConnectionState) => void>();
  readonly auto: Partial<Record<RequestKind, Answerer>> = {
    getState: () => ({ ok: true, value: { status: this.status, identity: this.identity, canRememberPassword: true } satisfies Snapshot }),
    status: () => ({ ok: true, value: this.status }),
    listContacts: () => ({ ok: true, value: [] }),
    listShares: () => ({ ok: true, value: [] }),
    listApps: () => ({ ok: true, value: [] }),
    getSettings: () => ({ ok: true, value: defaultSettings() }),
  };

  constructor(
    readonly mode: 'electron' | 'browser' = 'electron',
    state: AppState = 'running',
  ) {
    this.status = statusOf(state);
    this.identity = state === 'no-account' ? null : FAKE_IDENTITY;
  }

  request<K extends RequestKind>(req: Request<K>): Promise<Response<K>> {
    const r = req as Request;
    this.calls.push(structuredClone(r));
    const auto = this.auto[r.kind];
    if (auto) return Promise.resolve(auto(r) as Response<K>);
    return new Promise((resolve) => this.held.push({ req: r, resolve: resolve as (res: Response) => void }));
  }

  subscribe(listener: (ev: HostEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onConnection(listener: (s: ConnectionState) => void): () => void {
    this.connListeners.add(listener);
    listener(this.connection);
    return () => this.connListeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  get connectionListenerCount(): number {
    return this.connListeners.size;
  }

  /** From now on, requests of these kinds wait for `reply`. */
  hold(...kinds: RequestKind[]): void {
    for (const k of kinds) delete this.auto[k];
  }

  waiting(kind: RequestKind): number {
    return this.held.filter((h) => h.req.kind === kind).length;
  }

  /** Answers the oldest waiting request of this kind. */
  reply<K extends RequestKind>(kind: K, res: Response<K>): void {
    const i = this.held.findIndex((h) => h.req.kind === kind);
    if (i < 0) throw new Error(`no ${kind} request is waiting`);
    const [h] = this.held.splice(i, 1);
    h!.resolve(res as Response);
  }

  /** The connection drops: every waiting request ends 'unavailable', as the socket transport does. */
  dropAll(): void {
    for (const h of this.held.splice(0)) h.resolve(fail(ERROR_CODES.unavailable, 'Lost the connection to Hypergolix.'));
    this.connect('closed');
  }

  connect(state: ConnectionState): void {
    this.connection = state;
    for (const l of this.connListeners) l(state);
  }

  emit(ev: HostEvent): void {
    for (const l of this.listeners) l(ev);
  }

  /** The host's state changes and it says so. */
  setState(state: AppState, over: Partial<Status> = {}): void {
    this.status = { ...this.status, state, ...over };
    this.emit({ kind: 'status', status: this.status });
  }

  callsOf<K extends RequestKind>(kind: K): Extract<Request, { kind: K }>[] {
    return this.calls.filter((c): c is Extract<Request, { kind: K }> => c.kind === kind);
  }
}

async function start(opts: { state?: AppState; mode?: 'electron' | 'browser'; hold?: RequestKind[] } = {}) {
  const host = new ScriptedHost(opts.mode, opts.state);
  host.hold(...(opts.hold ?? []));
  const store = createAppState(host);
  const ui = (): UiState => store.getState();
  if (!opts.hold?.includes('getState')) await until(() => ui().snapshot, 'the first snapshot');
  return { host, store, ui };
}

/** The app state over the scripted FakeHost of the browser tests, as the Electron preload would carry it. */
async function startOverFake(opts: FakeHostOptions = {}) {
  const fake = new FakeHost({ stepMs: 1, ...opts });
  const transport: Transport = {
    mode: 'electron',
    request: (req) => fake.request(req),
    subscribe: (listener) => fake.subscribe(listener),
    onConnection(listener) {
      listener('open');
      return () => {};
    },
  };
  const store = createAppState(transport);
  const ui = (): UiState => store.getState();
  await until(() => ui().snapshot, 'the first snapshot');
  return { fake, store, ui };
}

describe('app state: connection and session', () => {
  test('the connection state follows the transport; each (re)open refreshes once; reconnects add no listeners', async () => {
    const { host, store, ui } = await start();
    assert.equal(ui().connection, 'open');
    assert.equal(host.callsOf('getState').length, 1);
    assert.equal(host.listenerCount, 1);
    assert.equal(host.connectionListenerCount, 1);
    for (let round = 2; round <= 4; round++) {
      host.connect('closed');
      assert.equal(ui().connection, 'closed');
      host.connect('connecting');
      host.connect('open');
      await until(() => host.callsOf('getState').length === round, `refresh #${round}`);
    }
    assert.equal(host.listenerCount, 1, 'still one event listener');
    assert.equal(host.connectionListenerCount, 1);
    let updates = 0;
    const unsub = store.subscribe(() => updates++);
    host.setState('running', { objectsCached: 7 });
    unsub();
    assert.equal(ui().snapshot?.status.objectsCached, 7);
    assert.equal(updates, 1, 'one status event, one update');
    assert.equal(host.callsOf('getState').length, 4, 'events refresh nothing by themselves');
  });

  test('refresh: a failure is the problem shown; the next success clears it', async () => {
    const { host, ui } = await start({ hold: ['getState'] });
    host.reply('getState', fail(ERROR_CODES.internal, 'The host broke.'));
    await until(() => ui().problem, 'the problem');
    assert.equal(ui().problem, 'The host broke.');
    assert.equal(ui().snapshot, null);
    const again = ui().refresh();
    host.reply('getState', { ok: true, value: { status: statusOf('running'), identity: FAKE_IDENTITY, canRememberPassword: false } });
    await again;
    assert.equal(ui().problem, null);
    assert.equal(ui().snapshot?.status.state, 'running');
    assert.equal(ui().wizard, null);
  });

  test('unlock: busy while it runs; a wrong password says so; another failure shows the host\'s words; success clears it all', async () => {
    const { host, ui } = await start({ state: 'locked', hold: ['unlock'] });
    const wrong = ui().unlockWith('nope', false);
    assert.equal(ui().unlock.busy, true);
    assert.deepEqual(host.callsOf('unlock'), [{ kind: 'unlock', password: 'nope', rememberOnThisComputer: false }]);
    host.reply('unlock', fail(ERROR_CODES.wrongPassword, 'Incorrect password'));
    assert.equal(await wrong, false);
    assert.deepEqual(ui().unlock, { busy: false, wrongPassword: true, error: 'That password is not right. Check it and try again.', attempts: 1 });

    // A password this computer learned was changed on another one: wrong too, in the host's words (since when).
    const outdated = ui().unlockWith('old', false);
    const changedWords = 'Incorrect password: the password of this account was changed on another computer (this computer learned of it on 2026-12-07 21:30 UTC); use the new password, or set one with the recovery kit.';
    host.reply('unlock', fail(ERROR_CODES.passwordChanged, changedWords));
    assert.equal(await outdated, false);
    assert.deepEqual(ui().unlock, { busy: false, wrongPassword: true, error: changedWords, attempts: 2 });

    const other = ui().unlockWith('maybe', true);
    assert.equal(ui().unlock.error, null, 'the old error goes while the new attempt runs');
    host.reply('unlock', fail(ERROR_CODES.accountDamaged, 'The account is damaged.'));
    assert.equal(await other, false);
    assert.deepEqual(ui().unlock, { busy: false, wrongPassword: false, error: 'The account is damaged.', attempts: 3 });

    const right = ui().unlockWith('right', false);
    host.status = statusOf('running');
    host.reply('unlock', { ok: true, value: {} });
    assert.equal(await right, true);
    assert.deepEqual(ui().unlock, { busy: false, error: null, wrongPassword: false, attempts: 0 });
    await until(() => ui().snapshot?.status.state === 'running', 'the refresh after the unlock');
  });

  test('unlock: a connection lost mid-attempt ends it (not stuck busy) and says why', async () => {
    const { host, ui } = await start({ state: 'locked', hold: ['unlock'] });
    const attempt = ui().unlockWith('right', false);
    host.dropAll();
    assert.equal(await attempt, false);
    assert.equal(ui().unlock.busy, false);
    assert.equal(ui().unlock.error, 'Lost the connection to Hypergolix.');
    assert.equal(ui().connection, 'closed');
  });

  test('an unlock error does not greet the user on the next lock screen (the unlock went through, its answer was lost)', async () => {
    const { host, ui } = await start({ state: 'locked', hold: ['unlock'] });
    const attempt = ui().unlockWith('right', false);
    host.dropAll();
    assert.equal(await attempt, false);
    // The host did unlock; the window reconnects and sees it running.
    host.status = statusOf('running');
    host.connect('open');
    await until(() => ui().snapshot?.status.state === 'running', 'the main window after the reconnect');
    // Later the user locks (or the tray does): the unlock screen is shown afresh.
    host.setState('locked');
    assert.equal(ui().snapshot?.status.state, 'locked');
    assert.equal(ui().unlock.error, null, `the fresh unlock screen says "${ui().unlock.error}" before anything was typed`);
  });

  test('lock: a failure is the problem shown; success re-reads the state and clears it', async () => {
    const { host, ui } = await start({ hold: ['lock'] });
    const failed = ui().lock();
    host.reply('lock', fail(ERROR_CODES.invalidState, 'Not possible while restarting'));
    await failed;
    assert.equal(ui().problem, 'Not possible while restarting');
    const ok = ui().lock();
    host.status = statusOf('locked');
    host.reply('lock', { ok: true, value: {} });
    await ok;
    await until(() => ui().snapshot?.status.state === 'locked', 'the refresh after the lock');
    assert.equal(ui().problem, null);
  });

  test('register on a remote: a failed attempt\'s problem goes away once registering works', async () => {
    const { host, ui } = await start({ hold: ['registerRemote'] });
    const first = ui().registerRemote('hgx.example.org:7770');
    host.reply('registerRemote', fail(ERROR_CODES.unavailable, 'Could not open the registration page.'));
    await first;
    assert.equal(ui().problem, 'Could not open the registration page.');
    const second = ui().registerRemote('hgx.example.org:7770');
    host.reply('registerRemote', { ok: true, value: { url: 'http://hgx.example.org:7770/register' } });
    await second;
    assert.equal(ui().problem, null, 'the error banner stays on every page after the registration worked');
  });

  test('register on a remote: a double click asks the host (which opens the browser) once', async () => {
    const { host, ui } = await start({ hold: ['registerRemote'] });
    const clicks = [ui().registerRemote('hgx.example.org:7770'), ui().registerRemote('hgx.example.org:7770')];
    const sent = host.callsOf('registerRemote').length;
    while (host.waiting('registerRemote') > 0) host.reply('registerRemote', { ok: true, value: { url: 'http://hgx.example.org:7770/register' } });
    await Promise.all(clicks);
    assert.equal(sent, 1, 'two registration pages open for one double click');
  });
});

describe('app state: the wizard', () => {
  test('create: progress follows the host, then the result step with the identity, then the main window', async () => {
    const { fake, store, ui } = await startOverFake({ state: 'no-account' });
    assert.equal(ui().wizard?.step, 'welcome');
    ui().wizardGo('password');
    const stages: string[] = [];
    const unsub = store.subscribe((s) => {
      const st = s.wizard?.stage;
      if (st && stages.at(-1) !== st) stages.push(st);
    });
    await ui().createAccount('purple-lantern-okra-92');
    unsub();
    assert.equal(ui().wizard?.step, 'done');
    assert.deepEqual(ui().wizard?.identity, FAKE_IDENTITY);
    assert.deepEqual(stages, ['keys', 'secret', 'objects', 'publish', 'config', 'done']);
    assert.equal(fake.callsOf('createAccount').length, 1);
    ui().finishWizard();
    assert.equal(ui().wizard, null);
    assert.equal(ui().view, 'identity');
  });

  test('create: a refusal returns to the password step with the host\'s reason', async () => {
    const { host, ui } = await start({ state: 'no-account', hold: ['createAccount'] });
    ui().wizardGo('password');
    const creating = ui().createAccount('purple-lantern-okra-92');
    assert.equal(ui().wizard?.step, 'creating');
    host.reply('createAccount', fail(ERROR_CODES.invalidState, 'Not possible while running'));
    await creating;
    assert.equal(ui().wizard?.step, 'password');
    assert.equal(ui().wizard?.error, 'Not possible while running');
    ui().wizardGo('welcome');
    assert.equal(ui().wizard?.error, null);
  });

  test('create: when its answer is lost but the host went on and made the account, the window leaves the password step', async () => {
    const { host, ui } = await start({ state: 'no-account', hold: ['createAccount'] });
    ui().wizardGo('password');
    const creating = ui().createAccount('purple-lantern-okra-92');
    host.setState('creating');
    host.dropAll();
    await creating;
    assert.equal(ui().wizard?.step, 'password');
    // The host finished while the window was cut off; it reconnects.
    host.status = statusOf('running');
    host.identity = FAKE_IDENTITY;
    host.connect('open');
    await until(() => ui().snapshot?.status.state === 'running', 'the state after the reconnect');
    const w = ui().wizard;
    assert.ok(
      w === null || (w.step === 'done' && w.error === null),
      `the account exists and runs, yet the window offers to create it again (step "${w?.step}", error "${w?.error}")`,
    );
  });

  test('a second window at the welcome step leaves the wizard when the account is signed in elsewhere', async () => {
    const { host, ui } = await start({ state: 'no-account' });
    assert.equal(ui().wizard?.step, 'welcome');
    // Another tab signed in: the host runs the account (no 'creating' on the way).
    host.identity = FAKE_IDENTITY;
    host.setState('unlocking');
    host.setState('running');
    const w = ui().wizard;
    assert.ok(w === null || w.step === 'done', `the window still shows the wizard's "${w?.step}" step for an account that runs`);
  });

  test('sign in: field errors go to their fields, a wrong password says so, success opens the main window', async () => {
    const { host, ui } = await start({ state: 'no-account', hold: ['signIn'] });
    ui().wizardGo('signin');
    const bad = ui().signIn('nonsense', 'nowhere', 'pw');
    assert.equal(ui().wizard?.busy, true);
    host.reply('signIn', fail(ERROR_CODES.invalidSettings, 'Not valid', { userId: 'Not a user ID.' }));
    await bad;
    assert.deepEqual(ui().wizard?.fields, { userId: 'Not a user ID.' });
    assert.equal(ui().wizard?.error, null);
    assert.equal(ui().wizard?.busy, false);

    const wrong = ui().signIn(FAKE_IDENTITY.userId, 'hgx.example.org:7770', 'nope');
    assert.deepEqual(ui().wizard?.fields, {}, 'the old field errors go while the new attempt runs');
    host.reply('signIn', fail(ERROR_CODES.wrongPassword, 'Incorrect password'));
    await wrong;
    assert.equal(ui().wizard?.error, 'That password does not open this account.');

    const right = ui().signIn(FAKE_IDENTITY.userId, 'hgx.example.org:7770', 'right');
    host.identity = FAKE_IDENTITY;
    host.setState('running');
    host.reply('signIn', { ok: true, value: FAKE_IDENTITY });
    await right;
    assert.equal(ui().wizard, null);
    assert.equal(ui().view, 'status');
  });

  test('sign in: an earlier attempt\'s field errors are gone after Back and a return to the form', async () => {
    const { host, ui } = await start({ state: 'no-account', hold: ['signIn'] });
    ui().wizardGo('signin');
    const bad = ui().signIn('nonsense', 'nowhere', 'pw');
    host.reply('signIn', fail(ERROR_CODES.invalidSettings, 'Not valid', { userId: 'Not a user ID.', remote: 'Not HOST:PORT.' }));
    await bad;
    ui().wizardGo('welcome');
    ui().wizardGo('signin');
    assert.deepEqual(ui().wizard?.fields ?? {}, {}, 'the empty form scolds fields the user has not typed in yet');
  });
});

describe('app state: settings', () => {
  test('load: a failure is shown with Try again; the retry that works clears it', async () => {
    const { host, ui } = await start({ hold: ['getSettings'] });
    ui().setView('settings');
    assert.equal(ui().settings.loading, true);
    ui().setView('settings');
    assert.equal(host.callsOf('getSettings').length, 1, 'one load while one runs');
    host.reply('getSettings', fail(ERROR_CODES.unavailable, 'The settings could not be read'));
    await until(() => !ui().settings.loading, 'the load to end');
    assert.equal(ui().settings.loadError, 'The settings could not be read');
    const retry = ui().loadSettings();
    assert.equal(ui().settings.loadError, null);
    host.reply('getSettings', { ok: true, value: defaultSettings() });
    await retry;
    assert.deepEqual(ui().settings.draft, defaultSettings());
    assert.deepEqual(ui().settings.baseline, defaultSettings());
  });

  test('save: restart progress shown, then success; edits made during the save stay unsaved', async () => {
    const { fake, ui } = await startOverFake({ state: 'running' });
    ui().setView('settings');
    await until(() => ui().settings.draft, 'the settings');
    ui().editSettings((d) => void (d.instrumentation.verbosity = 'debug'));
    const release = fake.holdProgress(1);
    const saving = ui().saveSettings();
    await until(() => ui().settings.save.phase === 'stopping', 'the restart to be shown');
    assert.equal(ui().settings.save.message, 'Restarting Hypergolix…');
    ui().editSettings((d) => void (d.process.ipc_port = 7790));
    assert.equal(ui().settings.save.phase, 'stopping', 'an edit leaves a running save shown');
    release();
    await saving;
    assert.deepEqual(ui().settings.save, { phase: 'done', message: 'Saved. Hypergolix restarted with the new settings.', ok: true });
    assert.equal(ui().settings.baseline?.instrumentation.verbosity, 'debug');
    assert.equal(ui().settings.baseline?.process.ipc_port, 7772, 'the baseline is what was saved');
    assert.equal(ui().settings.draft?.process.ipc_port, 7790, 'the later edit is still there, unsaved');
    assert.equal(fake.saved.length, 1);
    // A phase that comes late, after the answer, does not reopen the save.
    fake.emit({ kind: 'restartProgress', phase: 'starting' });
    assert.equal(ui().settings.save.phase, 'done');
  });

  test('save: a second press while one runs sends nothing', async () => {
    const { host, ui } = await start({ hold: ['saveSettings'] });
    ui().setView('settings');
    await until(() => ui().settings.draft, 'the settings');
    const first = ui().saveSettings();
    const second = ui().saveSettings();
    await second;
    assert.equal(host.callsOf('saveSettings').length, 1);
    host.reply('saveSettings', { ok: true, value: { restarted: false } });
    await first;
    assert.deepEqual(ui().settings.save, { phase: 'done', message: 'Saved.', ok: true });
  });

  test('save: field errors, a failed restart and other refusals each say what happened; an edit clears the words', async () => {
    const { host, ui } = await start({ hold: ['saveSettings'] });
    ui().setView('settings');
    await until(() => ui().settings.draft, 'the settings');
    ui().editSettings((d) => void (d.process.ipc_port = 7780));

    let saving = ui().saveSettings();
    host.reply('saveSettings', fail(ERROR_CODES.invalidSettings, 'Some settings are not valid', { 'process.ipc_port': 'Port 7780 is taken.' }));
    await saving;
    assert.deepEqual(ui().settings.save, { phase: 'failed', message: 'Not saved: fix the marked fields.', ok: false, retry: false });
    assert.deepEqual(ui().settings.serverErrors, { 'process.ipc_port': { message: 'Port 7780 is taken.', value: 7780 } });
    assert.equal(ui().settings.baseline?.process.ipc_port, 7772);

    ui().editSettings((d) => void (d.process.ipc_port = 7781));
    assert.deepEqual(ui().settings.save, { phase: 'idle', message: null, ok: null });
    saving = ui().saveSettings();
    assert.deepEqual(ui().settings.serverErrors, {});
    host.reply('saveSettings', fail(ERROR_CODES.restartFailed, 'The daemon did not start.'));
    await saving;
    assert.deepEqual(ui().settings.save, { phase: 'failed', message: 'Saved, but Hypergolix did not restart. The daemon did not start.', ok: false, retry: true });
    assert.equal(ui().settings.baseline?.process.ipc_port, 7781, 'saved: the file has it');

    ui().editSettings((d) => void (d.process.ipc_port = 7782));
    saving = ui().saveSettings();
    host.dropAll();
    await saving;
    assert.deepEqual(ui().settings.save, { phase: 'failed', message: 'Not saved: Lost the connection to Hypergolix.', ok: false, retry: false });
    assert.equal(ui().settings.baseline?.process.ipc_port, 7781);
  });

  test('retryRestart: busy while it runs and tried once at a time; each answer said, a refusal offering it again', async () => {
    const { host, ui } = await start({ hold: ['retryRestart'] });
    let retrying = ui().retryRestart();
    assert.equal(ui().settings.save.phase, 'stopping');
    await ui().retryRestart();
    host.reply('retryRestart', { ok: true, value: { restarted: true } });
    await retrying;
    assert.equal(host.calls.filter((r) => r.kind === 'retryRestart').length, 1, 'a second try while one runs is not sent');
    assert.deepEqual(ui().settings.save, { phase: 'done', message: 'Saved. Hypergolix restarted with the new settings.', ok: true });

    retrying = ui().retryRestart();
    host.reply('retryRestart', { ok: true, value: { restarted: false } });
    await retrying;
    assert.equal(ui().settings.save.message, 'Nothing needed restarting.');

    retrying = ui().retryRestart();
    host.reply('retryRestart', fail(ERROR_CODES.unavailable, 'hypergolix.yml cannot be read.'));
    await retrying;
    assert.deepEqual(ui().settings.save, { phase: 'failed', message: 'Not restarted: hypergolix.yml cannot be read.', ok: false, retry: true });
  });

  test('checkCache: busy while it runs and asked once at a time; what it put right and what is left said in words, a refusal too', async () => {
    const { host, ui } = await start({ hold: ['checkCache'] });
    const report = { lastCheckedAt: 5, running: false, checked: 1284, putRight: 2, givenToRemotes: 0, damaged: [], damagedCount: 0 };
    let checking = ui().checkCache();
    assert.equal(ui().cacheCheck.busy, true);
    await ui().checkCache();
    host.reply('checkCache', { ok: true, value: report });
    await checking;
    assert.equal(host.calls.filter((r) => r.kind === 'checkCache').length, 1, 'a second click while one runs is not sent');
    assert.deepEqual(ui().cacheCheck, { busy: false, feedback: { tone: 'ok', message: 'Checked 1,284 objects: all sound. 2 damaged files were put right from a remote.' } });

    checking = ui().checkCache();
    host.reply('checkCache', { ok: true, value: { ...report, damaged: ['AAAA'], damagedCount: 1 } });
    await checking;
    assert.deepEqual(ui().cacheCheck.feedback, { tone: 'error', message: 'Checked 1,284 objects: 1 object damaged here, and no remote has a good copy yet.' });

    // What the check gave to remotes that lacked it, counted from the report before it.
    checking = ui().checkCache();
    host.reply('checkCache', { ok: true, value: { ...report, givenToRemotes: 1 } });
    await checking;
    assert.deepEqual(ui().cacheCheck.feedback, { tone: 'ok', message: 'Checked 1,284 objects: all sound. 1 object was given again to remotes that lacked it.' });

    checking = ui().checkCache();
    host.reply('checkCache', fail(ERROR_CODES.invalidState, 'Unlock Hypergolix to check its files'));
    await checking;
    assert.deepEqual(ui().cacheCheck, { busy: false, feedback: { tone: 'error', message: 'Unlock Hypergolix to check its files' } });
  });

  test('checkServerStore: busy while it runs and asked once at a time; all sound, damaged and a refusal said in words', async () => {
    const { host, ui } = await start({ hold: ['checkServerStore'] });
    const report = { running: null, last: { finishedAt: 5, checked: 2310, damaged: 0 }, damagedNow: 0 };
    let checking = ui().checkServerStore();
    assert.equal(ui().serverStoreCheck.busy, true);
    await ui().checkServerStore();
    host.reply('checkServerStore', { ok: true, value: report });
    await checking;
    assert.equal(host.callsOf('checkServerStore').length, 1, 'a second click while one runs is not sent');
    assert.deepEqual(ui().serverStoreCheck, { busy: false, feedback: { tone: 'ok', message: 'Checked 2,310 objects: all sound.' } });
    assert.deepEqual(ui().snapshot?.status.serverStore, report, 'shown at once');
    assert.deepEqual(ui().cacheCheck, { busy: false, feedback: null }, "the local files' check is another");

    checking = ui().checkServerStore();
    host.reply('checkServerStore', { ok: true, value: { ...report, last: { ...report.last, damaged: 1 }, damagedNow: 1 } });
    await checking;
    assert.deepEqual(ui().serverStoreCheck.feedback, { tone: 'error', message: 'Checked 2,310 objects: 1 object damaged. The server answers it as not there until a computer that holds it sends it again; if this computer syncs with it, Check now under Files on this computer gives again what it holds.' });

    checking = ui().checkServerStore();
    host.reply('checkServerStore', fail(ERROR_CODES.invalidState, 'This computer runs no server: turn it on in Settings to have one'));
    await checking;
    assert.deepEqual(ui().serverStoreCheck, { busy: false, feedback: { tone: 'error', message: 'This computer runs no server: turn it on in Settings to have one' } });
  });

  test('restart progress from a save this window did not make (the tray\'s "Start at login") does not leave Settings busy', async () => {
    const { host, ui } = await start();
    // What Controller.saveSwitch sends every window when the tray flips a switch: the save's
    // phases (no restart needed: only 'saving' and 'done'), then the file as it is now.
    host.emit({ kind: 'restartProgress', phase: 'saving' });
    host.emit({ kind: 'restartProgress', phase: 'done' });
    const changed = defaultSettings();
    changed.desktop.start_at_login = true;
    host.emit({ kind: 'configChanged', settings: changed });
    // Later the user opens Settings.
    ui().setView('settings');
    assert.deepEqual(ui().settings.draft, changed);
    const { phase, message } = ui().settings.save;
    assert.ok(!['saving', 'stopping', 'starting'].includes(phase), `Settings shows "${message}" with a spinner and Save and Revert disabled, for good`);
    ui().editSettings((d) => void (d.process.ipc_port = 7790));
    void ui().saveSettings(); // its answer is never given here: only that it was asked
    assert.equal(host.callsOf('saveSettings').length, 1, 'the user\'s own save is dropped as "already saving"');
  });

  test('a file changed on disk: adopted before the page loaded, a banner after; Reload and Keep my edits', async () => {
    const { host, ui } = await start();
    const onDisk = defaultSettings();
    onDisk.process.ipc_port = 7800;
    host.emit({ kind: 'configChanged', settings: onDisk });
    assert.equal(ui().settings.baseline?.process.ipc_port, 7800, 'nothing loaded yet: taken as it is');
    assert.equal(ui().settings.diskChange, null);

    const later = defaultSettings();
    later.process.ipc_port = 7801;
    host.emit({ kind: 'configChanged', settings: later });
    assert.equal(ui().settings.diskChange?.process.ipc_port, 7801);
    ui().reloadFromDisk();
    assert.equal(ui().settings.draft?.process.ipc_port, 7801);
    assert.equal(ui().settings.diskChange, null);

    ui().editSettings((d) => void (d.process.ipc_port = 7900));
    const third = defaultSettings();
    third.process.ipc_port = 7802;
    host.emit({ kind: 'configChanged', settings: third });
    ui().dismissDiskChange();
    assert.equal(ui().settings.draft?.process.ipc_port, 7900, 'kept');
    assert.equal(ui().settings.baseline?.process.ipc_port, 7802, 'the file is the baseline either way');
  });

  test('a change on disk that is undone takes its banner with it', async () => {
    const { host, ui } = await start();
    ui().setView('settings');
    await until(() => ui().settings.draft, 'the settings');
    const edited = defaultSettings();
    edited.remotes = [];
    host.emit({ kind: 'configChanged', settings: edited });
    assert.notEqual(ui().settings.diskChange, null);
    // The file is put back as it was (an editor's undo, then save).
    host.emit({ kind: 'configChanged', settings: defaultSettings() });
    assert.equal(ui().settings.diskChange, null, 'the banner still offers to "reload" values that are no longer in the file');
  });
});

describe('app state: people', () => {
  test('answering a share: busy while it runs, words after, lists and status re-read', async () => {
    const { fake, store, ui } = await startOverFake({ state: 'running' });
    fake.contacts.push({ fingerprint: CONTACT, name: 'Ada', trust: 'ask', verified: false });
    fake.addIncomingShare({ id: 'sh-1', from: CONTACT, apiId: 'AAEC', receivedAt: 1 });
    await until(() => ui().snapshot?.status.incomingShares.length === 1, 'the share in the status');
    ui().setView('shares');
    await until(() => ui().people.loaded && ui().people.shares.length === 1, 'the shares list');
    let wasBusy = false;
    const unsub = store.subscribe((s) => (wasBusy ||= s.people.busy['sh-1'] === true));
    await ui().answerShare('sh-1', true, { trust: true });
    unsub();
    assert.equal(wasBusy, true);
    assert.deepEqual(ui().people.busy, {});
    assert.deepEqual(ui().people.feedback, { tone: 'ok', message: 'Accepted, and Ada is trusted: their later shares arrive without asking you.' });
    assert.deepEqual(ui().people.shares, []);
    assert.deepEqual(ui().snapshot?.status.incomingShares, []);
    assert.deepEqual(fake.callsOf('acceptShare'), [{ kind: 'acceptShare', id: 'sh-1', trust: true }]);
  });

  test('a failed or cut-off answer says why and leaves nothing busy', async () => {
    const { host, ui } = await start({ hold: ['declineShare'] });
    ui().setView('shares');
    const refused = ui().answerShare('sh-9', false, { block: true });
    assert.deepEqual(ui().people.busy, { 'sh-9': true });
    host.reply('declineShare', fail(ERROR_CODES.notFound, 'No such share'));
    await refused;
    assert.deepEqual(ui().people.busy, {});
    assert.deepEqual(ui().people.feedback, { tone: 'error', message: 'No such share' });
    const cut = ui().answerShare('sh-9', false);
    host.dropAll();
    await cut;
    assert.deepEqual(ui().people.busy, {});
    assert.deepEqual(ui().people.feedback, { tone: 'error', message: 'Lost the connection to Hypergolix.' });
  });

  test('a share\'s answer that comes after the user moved to Contacts is not shown there', async () => {
    const { host, ui } = await start({ hold: ['declineShare'] });
    ui().setView('shares');
    const answering = ui().answerShare('sh-1', false);
    ui().setView('contacts');
    host.reply('declineShare', fail(ERROR_CODES.notFound, 'No such share'));
    await answering;
    assert.equal(ui().view, 'contacts');
    assert.notEqual(ui().people.feedback?.message, 'No such share', 'the Contacts page says "No such share"');
  });

  test('a share arriving while the Shares page is open reloads its list; on another page it does not', async () => {
    const { host, ui } = await start();
    ui().setView('shares');
    await until(() => ui().people.loaded, 'the lists');
    const loads = () => host.callsOf('listShares').length;
    const before = loads();
    host.setState('running', { incomingShares: [{ id: 'sh-1', from: CONTACT, apiId: 'AAEC', receivedAt: 1 }] });
    await until(() => loads() === before + 1, 'the reload');
    ui().setView('status');
    host.setState('running', { incomingShares: [] });
    host.setState('running', { incomingShares: [{ id: 'sh-2', from: CONTACT, apiId: 'AAEC', receivedAt: 2 }] });
    await turn();
    assert.equal(loads(), before + 1);
  });

  test('a list that cannot be read says so (as the lists\' problem, which the pages show with Try again)', async () => {
    const { host, ui } = await start({ hold: ['listShares'] });
    ui().setView('contacts');
    host.reply('listShares', fail(ERROR_CODES.unavailable, 'The daemon is not running'));
    await until(() => ui().people.loadError, 'the words');
    assert.deepEqual([ui().people.loadError, ui().people.feedback, ui().people.loaded], ['The daemon is not running', null, false]);
  });
});

describe('app state: account', () => {
  test('change the password and make a recovery kit: busy, then words for the right form; the kit until closed', async () => {
    const { host, ui } = await start({ hold: ['changePassword', 'makeRecoveryKit'] });
    const changing = ui().changePassword('old', 'new-password-long-enough');
    assert.equal(ui().account.busy, 'password');
    host.reply('changePassword', fail(ERROR_CODES.wrongPassword, 'The password is not right.'));
    assert.equal(await changing, false);
    assert.deepEqual(ui().account, { busy: null, feedback: { tone: 'error', message: 'The password is not right.', action: 'password' }, kit: null });

    const making = ui().makeRecoveryKit('pw');
    assert.equal(ui().account.busy, 'kit');
    assert.equal(ui().account.feedback, null);
    host.reply('makeRecoveryKit', { ok: true, value: { key: 'KEY', page: '<p>KEY</p>' } });
    assert.equal(await making, true);
    assert.deepEqual(ui().account.kit, { key: 'KEY', page: '<p>KEY</p>' });
    assert.equal(ui().account.feedback?.action, 'kit');
    ui().closeKit();
    assert.equal(ui().account.kit, null);
  });

  test('recover: a refused key says so on the recovery form; the state is re-read either way', async () => {
    const { host, ui } = await start({ state: 'locked', hold: ['recoverAccount'] });
    const recovering = ui().recoverAccount('XXXX', 'new-password-long-enough');
    assert.equal(ui().account.busy, 'recover');
    host.reply('recoverAccount', fail(ERROR_CODES.wrongRecoveryKey, 'This recovery key does not open the account.'));
    assert.equal(await recovering, false);
    assert.deepEqual(ui().account.feedback, { tone: 'error', message: 'This recovery key does not open the account.', action: 'recover' });
    assert.equal(host.callsOf('status').length, 1);
  });

  test('recover: after the new password opened the account, the old "wrong password" is not shown on the next lock screen', async () => {
    const { host, ui } = await start({ state: 'locked', hold: ['unlock', 'recoverAccount'] });
    for (const pw of ['guess-1', 'guess-2']) {
      const attempt = ui().unlockWith(pw, false);
      host.reply('unlock', fail(ERROR_CODES.wrongPassword, 'Incorrect password'));
      await attempt;
    }
    assert.equal(ui().unlock.attempts, 2);
    const recovering = ui().recoverAccount('7K2M-9QXA-4HND-P3RT-W8VB-6FJC-2YSE-M5GZ-Q4TA', 'new-password-long-enough');
    host.status = statusOf('running');
    host.reply('recoverAccount', { ok: true, value: {} });
    assert.equal(await recovering, true);
    await until(() => ui().snapshot?.status.state === 'running', 'the main window');
    host.setState('locked');
    assert.equal(ui().unlock.error, null, `the unlock screen opens with "${ui().unlock.error}"`);
    assert.equal(ui().unlock.attempts, 0);
  });

  test('when the window\'s account changes, the last account\'s safety codes and recovery key are not kept', async () => {
    const { host, ui } = await start({ hold: ['safetyCode', 'makeRecoveryKit', 'unlock'] });
    const code = ui().showSafetyCode(CONTACT);
    host.reply('safetyCode', { ok: true, value: { words: ['bridge', 'elbow', 'armor', 'river', 'nest', 'magnet'] } });
    await code;
    const kit = ui().makeRecoveryKit('pw');
    host.reply('makeRecoveryKit', { ok: true, value: { key: 'KEY-OF-THE-FIRST-ACCOUNT', page: '<p>kit</p>' } });
    await kit;
    assert.ok(ui().people.codes[CONTACT]);
    // hypergolix.yml now names another account: the host locks, the user unlocks that one.
    host.setState('locked', { message: 'hypergolix.yml now names another account; unlock it' });
    const unlocking = ui().unlockWith('other-password', false);
    host.identity = OTHER_IDENTITY;
    host.status = statusOf('running');
    host.reply('unlock', { ok: true, value: {} });
    await unlocking;
    await until(() => ui().snapshot?.identity?.fingerprint === OTHER_IDENTITY.fingerprint, 'the other account');
    assert.deepEqual(ui().people.codes, {}, 'a safety code made for the first account is shown for the second');
    assert.equal(ui().account.kit, null, 'the first account\'s recovery key is shown in the second account\'s settings');
  });
});

describe('app state: events', () => {
  test('notices show as browser notifications in browser mode, once allowed; never in Electron', async (t) => {
    const shown: [string, string | undefined][] = [];
    let permission: NotificationPermission = 'default';
    setGlobal(
      t,
      'Notification',
      class {
        static get permission() {
          return permission;
        }
        static async requestPermission() {
          return permission;
        }
        constructor(title: string, opts?: { body?: string }) {
          shown.push([title, opts?.body]);
        }
      },
    );
    const browser = await start({ mode: 'browser' });
    const electron = await start({ mode: 'electron' });
    browser.host.emit({ kind: 'notice', title: 'Before', body: 'not allowed yet' });
    permission = 'granted';
    browser.host.emit({ kind: 'notice', title: 'Ada shared something', body: 'Open Hypergolix' });
    electron.host.emit({ kind: 'notice', title: 'Electron', body: 'shows its own' });
    assert.deepEqual(shown, [['Ada shared something', 'Open Hypergolix']]);
    assert.equal(browser.ui().mode, 'browser');
  });

  test('account progress moves the wizard\'s stage; without a wizard it changes nothing', async () => {
    const { host, ui } = await start({ state: 'no-account' });
    host.setState('creating');
    host.emit({ kind: 'accountProgress', stage: 'objects', fraction: 0.5 });
    assert.equal(ui().wizard?.step, 'creating');
    assert.equal(ui().wizard?.stage, 'objects');
    assert.equal(ui().wizard?.fraction, 0.5);

    const running = await start();
    running.host.emit({ kind: 'accountProgress', stage: 'keys' });
    assert.equal(running.ui().wizard, null);
  });
});
