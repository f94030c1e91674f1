/**
 * setupWindow: the one settings window, locked down (Electron's security checklist): a
 * sandboxed, context-isolated renderer without Node, loaded only from the app's own hgx://
 * scheme with a strict Content-Security-Policy, with every navigation, new window, webview
 * and permission refused, and no request leaving the machine. Closing the window destroys it;
 * the tray keeps the app running and "Open Hypergolix" makes a new one.
 */

/** Where the UI is served from (see app-protocol.ts). */
export const APP_ORIGIN = 'hgx://app';
export const APP_URL = `${APP_ORIGIN}/index.html`;

/**
 * The renderer talks to the host only through the preload, so it needs no network at all
 * (connect-src 'none'); everything else is the UI's own files.
 */
export const ELECTRON_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "frame-src 'none'",
  "object-src 'none'",
  "worker-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** The BrowserWindow options (plain data; main.ts passes them to Electron). */
export function windowOptions(o: { preload: string; icon?: string; devTools: boolean; dark: boolean; menuBar?: boolean }) {
  return {
    width: 980,
    height: 700,
    minWidth: 360,
    minHeight: 480,
    show: false,
    title: 'Hypergolix',
    // Hidden unless the desktop has no tray host: then the menu bar is where Quit is (tray-host.ts).
    autoHideMenuBar: !o.menuBar,
    backgroundColor: o.dark ? '#15171c' : '#f6f7f9',
    ...(o.icon ? { icon: o.icon } : {}),
    webPreferences: {
      preload: o.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      devTools: o.devTools,
    },
  };
}

/** Only our own page may load in the window; a reload of it is fine, anything else is refused. */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}

/** Permissions the UI may use: writing to the clipboard (the copy buttons). Nothing else. */
export function allowPermission(permission: string, requestingUrl: string): boolean {
  return isAppUrl(requestingUrl) && permission === 'clipboard-sanitized-write';
}

// ───────────────────────────── the Electron-facing part ─────────────────────────────

/** The parts of a BrowserWindow's webContents that the hardening touches. */
export interface ContentsPort {
  /** Electron 45 passes the URL as `details.url` (the second argument is deprecated). */
  on(event: 'will-navigate' | 'will-redirect', listener: (details: { preventDefault(): void; url: string }) => void): void;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): void;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/** Refuses navigation away from the app, new windows and webviews; logs each refusal. */
export function hardenContents(contents: ContentsPort, warn: (message: string) => void = () => {}): void {
  const refuse = (what: string) => (event: { preventDefault(): void; url?: string }) => {
    event.preventDefault();
    warn(`Refused ${what}${event.url ? ` to ${event.url.slice(0, 200)}` : ''}`);
  };
  contents.on('will-navigate', refuse('a navigation'));
  contents.on('will-redirect', refuse('a redirect'));
  contents.on('will-attach-webview', refuse('a webview'));
  contents.setWindowOpenHandler(({ url }) => {
    warn(`Refused a new window for ${url.slice(0, 200)}`);
    return { action: 'deny' };
  });
}

export type RendererGoneReason = 'clean-exit' | 'abnormal-exit' | 'killed' | 'crashed' | 'oom' | 'launch-failed' | 'integrity-failure' | 'memory-eviction';

/**
 * What to do when the window's renderer is gone (`render-process-gone`): a clean exit needs
 * nothing; otherwise reload the page, unless it has gone `maxReloads` times within `periodMs`
 * (a page that crashes at once would loop), then close the window and say so. The tray and the
 * daemon keep running either way.
 */
export class RendererCrashPolicy {
  private readonly recent: number[] = [];
  constructor(private readonly o: { maxReloads?: number; periodMs?: number; now?: () => number } = {}) {}

  decide(reason: RendererGoneReason): 'ignore' | 'reload' | 'close' {
    if (reason === 'clean-exit') return 'ignore';
    const now = (this.o.now ?? Date.now)();
    const period = this.o.periodMs ?? 60_000;
    while (this.recent.length > 0 && now - this.recent[0]! > period) this.recent.shift();
    if (this.recent.length >= (this.o.maxReloads ?? 3)) return 'close';
    this.recent.push(now);
    return 'reload';
  }
}

/** A window the app can show, focus and reach. */
export interface WindowPort {
  isDestroyed(): boolean;
  isMinimized(): boolean;
  restore(): void;
  show(): void;
  focus(): void;
  send(channel: string, payload: unknown): void;
  onClosed(listener: () => void): void;
}

export interface WindowManager {
  /** Shows the window, creating it if it was closed; brings it to the front. */
  open(): void;
  /** The live window, if any. */
  current(): WindowPort | null;
  /** Sends to the window if there is one (events for the UI). */
  send(channel: string, payload: unknown): void;
}

/** One window at a time, created on demand by `create`. */
export function setupWindow(create: () => WindowPort): WindowManager {
  let win: WindowPort | null = null;
  const live = () => (win && !win.isDestroyed() ? win : null);
  return {
    open() {
      let w = live();
      if (!w) {
        w = create();
        win = w;
        w.onClosed(() => {
          if (win === w) win = null;
        });
      }
      if (w.isMinimized()) w.restore();
      w.show();
      w.focus();
    },
    current: live,
    send(channel, payload) {
      live()?.send(channel, payload);
    },
  };
}
