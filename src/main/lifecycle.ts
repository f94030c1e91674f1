/**
 * setupSingleInstance and setupLifecycle: one Hypergolix per user session (a second launch
 * brings the first one's window forward, unless it was itself a `--hidden` login start, and
 * exits), the app keeps running in the tray when its window closes, and Quit, a logoff or a
 * system shutdown stops the daemon and the embedded server cleanly before exiting.
 */
import { HIDDEN_FLAG } from './login-items.js';

/** The slice of Electron's `app` used here. */
export interface AppPort {
  requestSingleInstanceLock(): boolean;
  on(event: 'second-instance', listener: (event: unknown, argv: string[]) => void): void;
  on(event: 'window-all-closed' | 'activate', listener: () => void): void;
  on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): void;
  quit(): void;
  exit(code?: number): void;
}

/** Whether a second launch with these arguments should bring the window forward (a login start should not). */
export function secondLaunchOpensWindow(argv: readonly string[]): boolean {
  return !argv.includes(HIDDEN_FLAG);
}

/** Apps whose Quit has begun (setupLifecycle): a second launch then opens no window. */
const quitBegun = new WeakSet<AppPort>();

/** Returns false when another instance holds the lock: this one should exit at once. */
export function setupSingleInstance(app: AppPort, openWindow: () => void): boolean {
  if (!app.requestSingleInstanceLock()) return false;
  app.on('second-instance', (_event, argv) => {
    // Not once Quit began: the window's bridge is being torn down.
    if (secondLaunchOpensWindow(argv ?? []) && !quitBegun.has(app)) openWindow();
  });
  return true;
}

export interface LifecycleOptions {
  /** Stops the controller (daemon, server), the tray and the logs. */
  stop(): Promise<void>;
  /** macOS: clicking the dock icon with no window open. */
  openWindow(): void;
  warn(message: string): void;
  /** The most a clean stop may take before the app exits anyway. @default 15 s */
  deadlineMs?: number;
}

/**
 * Registered before the app is ready, so `activate` and a quit during start-up are heard
 * (`stop` waits for start-up to finish before stopping what it started).
 */
export function setupLifecycle(app: AppPort, o: LifecycleOptions): { quitting(): boolean } {
  let phase: 'running' | 'stopping' | 'done' = 'running';
  // Closing the last window leaves the tray: no quit (the default would quit on Windows/Linux).
  app.on('window-all-closed', () => {});
  app.on('activate', () => {
    if (phase === 'running') o.openWindow();
  });
  app.on('before-quit', (event) => {
    if (phase === 'done') return;
    event.preventDefault();
    if (phase === 'stopping') return;
    phase = 'stopping';
    quitBegun.add(app);
    const deadline = setTimeout(() => {
      o.warn('Stopping took too long; exiting anyway');
      app.exit(1);
    }, o.deadlineMs ?? 15_000);
    o.stop()
      .catch((err: Error) => o.warn(`Stopping failed: ${err.message}`))
      .finally(() => {
        clearTimeout(deadline);
        phase = 'done';
        app.quit();
      });
  });
  return { quitting: () => phase !== 'running' };
}

/** How the OS announces the end of the session. */
export interface SessionEndPort {
  /** powerMonitor's `shutdown` (Linux, macOS); preventDefault asks the OS to wait while we stop. */
  onShutdown(listener: (event?: { preventDefault?(): void }) => void): void;
  /** Windows: `query-session-end` / `session-end` of a window (there is no before-quit then). Returns a disposer. */
  onWindowsSessionEnd?(listener: (what: 'query' | 'end') => void): () => void;
}

/**
 * A logoff or shutdown becomes a normal Quit (before-quit → a clean stop of the daemon), on
 * every platform. Returns a disposer.
 */
export function setupSessionEnd(port: SessionEndPort, o: { quit(): void; info(message: string): void }): () => void {
  let announced = false;
  const end = (why: string) => {
    if (!announced) o.info(`${why}: stopping cleanly`);
    announced = true;
    o.quit();
  };
  port.onShutdown((event) => {
    event?.preventDefault?.();
    end('The system is shutting down');
  });
  const off = port.onWindowsSessionEnd?.((what) => end(what === 'query' ? 'Windows asks whether the session may end' : 'The Windows session is ending'));
  return () => off?.();
}
