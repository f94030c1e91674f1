/**
 * setupNotifications: what Hypergolix tells the user through desktop notifications, each kind
 * switched by `desktop.notifications.*` (all on by default):
 *
 * - incoming_share: someone shared an object (waiting for a decision, or taken under the policy);
 * - share_result: a share this account made was accepted or refused;
 * - remote_unreachable: a remote stays unreachable while Hypergolix runs, for UNREACHABLE_AFTER_MS
 *   (a drop that heals sooner is not news; one notification per outage);
 * - daemon_error: Hypergolix stopped with an error (a failed restart, an unusable config), once
 *   per time it enters the error state; and the check of its files found objects damaged that no
 *   remote could give again (once each time more are found);
 * - account_change: the account's password was changed on another computer (told once per unlock).
 *
 * The decisions are plain functions and one small class with injected timers; Electron's
 * Notification is reached only through the Notifier.
 */
import type { AppState, HostEvent, Settings, Status } from '../common/contract.js';
import type { Notice } from '../host/notices.js';
import { daemonErrorNotification, notificationFor, type NotificationKind, type NotificationText } from '../host/notice-words.js';

// The words live in the host (browser mode says them too); the Electron side shows them.
export { daemonErrorNotification, notificationFor, type NotificationKind, type NotificationText };

/** Electron's Notification behind one call (main.ts checks Notification.isSupported()). */
export interface Notifier {
  show(n: NotificationText): void;
}

/** One desktop notification as Electron makes it (main.ts adapts `new Notification(...)`). */
export interface NotificationHandle {
  on(event: 'click' | 'close', listener: () => void): void;
  on(event: 'failed', listener: (event: unknown, error: string) => void): void;
  show(): void;
  /** Electron's Notification is an EventEmitter: the tests click through this. */
  emit?(event: 'click'): boolean;
}

/**
 * Shows notifications and keeps each one referenced until it is clicked, closed or has failed:
 * a Notification held only by a local is garbage-collected, its `click` listener with it
 * (electron/electron#16922), and "click opens the window" would work only for a while. A
 * failure (macOS refuses unsigned apps since Electron 42; Windows without a Start-menu
 * shortcut) is logged. At most `max` are held; the oldest is let go first (Windows keeps
 * notifications in its Action Center without ever saying they closed).
 */
export class HeldNotifications implements Notifier {
  private readonly held = new Set<NotificationHandle>();

  constructor(
    private readonly o: {
      /** Null when notifications are not supported here. */
      create(text: NotificationText): NotificationHandle | null;
      onClick(kind: NotificationKind): void;
      warn(message: string): void;
      /** @default 32 */
      max?: number;
    },
  ) {}

  show(text: NotificationText): void {
    const n = this.o.create(text);
    if (!n) return;
    this.held.add(n);
    const release = () => this.held.delete(n);
    n.on('click', () => {
      release();
      this.o.onClick(text.kind);
    });
    n.on('close', release);
    n.on('failed', (_event, error) => {
      release();
      this.o.warn(`The "${text.title}" notification could not be shown: ${error}`);
    });
    for (const old of this.held) {
      if (this.held.size <= (this.o.max ?? 32)) break;
      this.held.delete(old);
    }
    n.show();
  }

  /** Emits `click` on every held notification, as the OS would (the Electron tests; no OS click can be scripted). */
  clickAll(): void {
    for (const n of [...this.held]) n.emit?.('click');
  }

  /** How many are held (for tests and diagnostics). */
  count(): number {
    return this.held.size;
  }
}

/** How long a remote must stay unreachable before the user hears of it. */
export const UNREACHABLE_AFTER_MS = 60_000;

const duration = (ms: number) => {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.round(s / 60);
  return m === 1 ? 'a minute' : `${m} minutes`;
};

export function unreachableNotification(remote: string, afterMs: number, settings: Settings | null): NotificationText | null {
  if (!settings?.desktop.notifications.remote_unreachable) return null;
  return {
    kind: 'remote-unreachable',
    title: 'Remote unreachable',
    body: `Hypergolix has not reached ${remote} for ${duration(afterMs)}. Your changes wait on this computer and are sent when it is back.`,
  };
}

/** `host:port`, with brackets around an IPv6 address. */
export const remoteLabel = (r: { host: string; port: number }) => `${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.port}`;

// ───────────────────────────── "stays unreachable" ─────────────────────────────

/** setTimeout/clearTimeout, injectable so tests drive the clock. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  set: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Watches the remotes in the status snapshots. A remote seen unreachable while Hypergolix runs
 * starts a timer; seen connected (or removed from the settings) it is forgotten; when the timer
 * fires it is reported once, until it has been reachable again. Leaving 'running' (a restart,
 * a lock) pauses every timer: remotes are expected to drop then. A remote already reported is not
 * reported again after such a pause, only after it was reachable in between.
 */
export class UnreachableWatch {
  private readonly timers = new Map<string, unknown>();
  private readonly reported = new Set<string>();
  private down = new Set<string>();
  private disposed = false;

  constructor(private readonly o: { afterMs: number; timers: Timers; report(remote: string): void }) {}

  observe(state: AppState, remotes: readonly { host: string; port: number; connected: boolean }[]): void {
    if (this.disposed) return;
    const running = state === 'running';
    const labels = new Set(remotes.map(remoteLabel));
    const down = new Set(running ? remotes.filter((r) => !r.connected).map(remoteLabel) : []);
    for (const r of remotes) if (running && r.connected) this.reported.delete(remoteLabel(r));
    for (const label of [...this.reported]) if (!labels.has(label)) this.reported.delete(label);
    for (const [label, t] of [...this.timers]) {
      if (!down.has(label)) {
        this.o.timers.clear(t);
        this.timers.delete(label);
      }
    }
    for (const label of down) {
      if (this.timers.has(label) || this.reported.has(label)) continue;
      this.timers.set(
        label,
        this.o.timers.set(() => {
          this.timers.delete(label);
          if (this.disposed || !this.down.has(label)) return;
          this.reported.add(label);
          this.o.report(label);
        }, this.o.afterMs),
      );
    }
    this.down = down;
  }

  /** Remotes with a running timer (for tests and diagnostics). */
  pending(): string[] {
    return [...this.timers.keys()];
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.timers.values()) this.o.timers.clear(t);
    this.timers.clear();
  }
}

// ───────────────────────────── wiring ─────────────────────────────

/** What the notifications need of the controller. */
export interface NotificationHost {
  onNotice(listener: (n: Notice) => void): () => void;
  subscribe(listener: (ev: HostEvent) => void): () => void;
  settings(): Settings | null;
  status(): Status;
}

export interface NotificationOptions {
  /** @default UNREACHABLE_AFTER_MS */
  unreachableAfterMs?: number;
  timers?: Timers;
  warn?(message: string): void;
}

export function setupNotifications(host: NotificationHost, notifier: Notifier, o: NotificationOptions = {}): () => void {
  const afterMs = o.unreachableAfterMs ?? UNREACHABLE_AFTER_MS;
  const show = (text: NotificationText | null) => {
    if (!text) return;
    try {
      notifier.show(text);
    } catch (err) {
      o.warn?.(`A notification could not be shown: ${(err as Error).message}`);
    }
  };

  const watch = new UnreachableWatch({ afterMs, timers: o.timers ?? realTimers, report: (remote) => show(unreachableNotification(remote, afterMs, host.settings())) });

  // One "stopped" notification each time the error state is entered, whichever of the state
  // change and the daemon-error notice comes first.
  let errorShown = false;
  const onStatus = (s: Status) => {
    if (s.state !== 'error') errorShown = false;
    else if (!errorShown) {
      errorShown = true;
      show(daemonErrorNotification(s.message, host.settings()));
    }
    watch.observe(s.state, s.remotes);
  };

  const offNotice = host.onNotice((n) => {
    if (n.kind === 'daemon-error') {
      if (errorShown) return;
      errorShown = true;
    }
    show(notificationFor(n, host.settings()));
  });
  const offEvents = host.subscribe((ev) => {
    if (ev.kind === 'status') onStatus(ev.status);
  });
  onStatus(host.status());

  return () => {
    offNotice();
    offEvents();
    watch.dispose();
  };
}
