/**
 * The status the UI and the tray show: the state (the contract's AppState) with its message,
 * what the running daemon reports (remotes, objects cached, apps, waiting shares) and the
 * standing warnings. Every change is sent to the subscribers as a `status` event; what changes
 * on its own (objects cached, remotes) is re-read on a timer and sent when it differs.
 */
import { ERROR_CODES, HOST_WARNINGS, HostFailure, type AppState, type CacheCheckStatus, type HostEvent, type RemoteAccountStatus, type ServerStoreStatus, type Status } from '../common/contract.js';
import type { HypergolixConfig } from '../core/config/index.js';
import { cacheStorageOf } from '../core/ipc/daemon-status.js';
import type { Logger } from '../core/log/index.js';
import type { StartedApp } from './daemon-runner.js';
import { Listeners } from './listeners.js';
import { remoteProblemWords } from './remote-words.js';
import { PASSWORD_CHANGED_ELSEWHERE } from './notice-words.js';
import { pendingShares } from './shares.js';

/** What a status is read from besides the state. */
export interface StatusSources {
  app: StartedApp | null;
  /** The config whose remotes are shown: the running daemon's, else the file's. */
  config: HypergolixConfig | null;
  /** What the config module said about the file. */
  configWarnings: readonly { code: string; message: string }[];
  /** Why the embedded server is not running, when it should be. */
  serverProblem: string | null;
  /** Objects the embedded server's store holds damaged (core/remote/store-check.ts). */
  serverDamaged?: number;
  /** The embedded server's check of its store, while one runs here. */
  serverStore?: ServerStoreStatus;
  /** The account's standing per remote (`host:port`), as last asked. */
  accounts?: { of(label: string): RemoteAccountStatus | undefined };
}

/** At most this many warnings are shown. */
const MAX_WARNINGS = 32;

/** One warning per code, in order of first appearance; repeats are counted in its message. */
export function mergeWarnings(entries: Iterable<readonly [code: string, message: string]>): { code: string; message: string }[] {
  const byCode = new Map<string, { message: string; more: number }>();
  for (const [code, message] of entries) {
    const seen = byCode.get(code);
    if (seen) seen.more++;
    else byCode.set(code, { message, more: 0 });
  }
  return [...byCode].slice(0, MAX_WARNINGS).map(([code, w]) => ({ code, message: w.more > 0 ? `${w.message} (and ${w.more} more like it)` : w.message }));
}

/** What the Status page says of damaged objects in the embedded server's store. */
export function embeddedDamagedWords(n: number): string {
  const them = n === 1 ? 'it' : 'them';
  return `This computer's server holds ${n === 1 ? 'an object' : `${n.toLocaleString('en')} objects`} damaged on its disk. It answers ${them} as not there until a computer that holds ${them} sends ${them} again, which each computer of an account does at its daily check.`;
}

export function statusOf(state: AppState, message: string | null, s: StatusSources, hostWarnings: ReadonlyMap<string, string>): Status {
  const app = s.app;
  const net = app ? app.daemon.network.status() : [];
  const remotes = s.config?.remotes ?? [];
  const warnings: [string, string][] = s.configWarnings.map((w) => [w.code, w.message]);
  if (s.serverProblem) warnings.push([HOST_WARNINGS.embeddedServer, s.serverProblem]);
  if (s.serverDamaged) warnings.push([HOST_WARNINGS.embeddedServerDamaged, embeddedDamagedWords(s.serverDamaged)]);
  if (app && app.daemon.rootWatch.passwordChangedElsewhereAt !== null) warnings.push([HOST_WARNINGS.passwordChangedElsewhere, PASSWORD_CHANGED_ELSEWHERE]);
  warnings.push(...hostWarnings);
  return {
    state,
    message,
    remotes: remotes.map((r, i) => ({
      host: r.host,
      port: r.port,
      tls: r.tls,
      connected: app !== null && (net[i]?.connected ?? false),
      ...(net[i]?.storage === 'storage_full' ? { storageFull: true } : net[i]?.storage === 'storage_failed' ? { storageFailed: true } : {}),
      ...accountOf(s, `${r.host}:${r.port}`, app ? net[i]?.freeTier?.message : undefined),
      ...(net[i] ? { problem: net[i].connected ? null : remoteProblemWords(net[i].lastFailure), lastConnectedAt: net[i].lastConnectedAt, nextAttemptAt: net[i].connected ? null : net[i].nextAttemptAt, backlog: net[i].pending } : {}),
    })),
    objectsCached: app ? app.daemon.engine.stats().objects : 0,
    ...(app ? { storage: cacheStorageOf(app.daemon.engine.storage()), cacheCheck: app.daemon.cacheCheck } : {}),
    ...(s.serverStore ? { serverStore: s.serverStore } : {}),
    connectedApps: app?.ipc?.connectedApps() ?? 0,
    incomingShares: app ? pendingShares(app) : [],
    warnings: mergeWarnings(warnings),
  };
}

/** A check of the local cache's files now (daemon/cache-check.ts), for the Status page's "Check now". */
export async function checkCacheNow(app: StartedApp | null): Promise<CacheCheckStatus> {
  if (!app) throw new HostFailure(ERROR_CODES.invalidState, 'Unlock Hypergolix to check its files');
  return app.daemon.checkCache();
}

/** The remotes away tried now (the Status page's "Try now", a computer woken from sleep); resolves once each try ended. */
export async function tryRemotesNow(app: StartedApp | null): Promise<void> {
  if (!app) throw new HostFailure(ERROR_CODES.invalidState, 'Unlock Hypergolix to connect to its remotes');
  await app.daemon.tryRemotes();
}

/** A remote's account standing and the daemon's "register on…" message, when there are any. */
function accountOf(s: StatusSources, label: string, hint: string | undefined): { account?: RemoteAccountStatus; registerHint?: string } {
  const account = s.app ? s.accounts?.of(label) : undefined;
  return { ...(account ? { account } : {}), ...(hint ? { registerHint: hint } : {}) };
}


export class StatusFeed {
  private current: AppState = 'locked';
  private detail: string | null = null;
  /** Conditions the host itself reports (the config file, "unlock automatically"), by code. */
  readonly warnings = new Map<string, string>();
  private readonly listeners: Listeners<HostEvent>;
  private timer: NodeJS.Timeout | null = null;
  private lastSent = '';

  constructor(
    log: Logger,
    private readonly sources: () => StatusSources,
  ) {
    this.listeners = new Listeners(log, 'An event listener');
  }

  get state(): AppState {
    return this.current;
  }

  get message(): string | null {
    return this.detail;
  }

  subscribe(listener: (ev: HostEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  emit(ev: HostEvent): void {
    this.listeners.emit(ev);
  }

  status(): Status {
    return statusOf(this.current, this.detail, this.sources(), this.warnings);
  }

  setState(state: AppState, message: string | null = null): void {
    this.current = state;
    this.detail = message;
    this.emitStatus();
  }

  /** A message for the user without a change of state. */
  say(message: string): void {
    this.detail = message;
    this.emitStatus();
  }

  /** Changes the state without an event: the host is going away, and its UI with it. */
  setStateQuietly(state: AppState): void {
    this.current = state;
  }

  emitStatus(): void {
    if (this.listeners.size === 0) return;
    const status = this.status();
    this.lastSent = JSON.stringify(status);
    this.emit({ kind: 'status', status });
  }

  /** Re-reads the status every `intervalMs` and sends it when it changed. */
  poll(intervalMs: number): void {
    this.timer = setInterval(() => this.sendIfChanged(), intervalMs);
    this.timer.unref();
  }

  stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Stops polling and forgets every subscriber. */
  close(): void {
    this.stopPolling();
    this.listeners.clear();
  }

  private sendIfChanged(): void {
    if (this.listeners.size === 0) return;
    const status = this.status();
    const json = JSON.stringify(status);
    if (json === this.lastSent) return;
    this.lastSent = json;
    this.emit({ kind: 'status', status });
  }
}
