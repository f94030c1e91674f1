/**
 * setupSingleInstance and setupLifecycle: one Hypergolix per user session (a second launch
 * brings the first one's window forward and exits), the app keeps running in the tray when its
 * window closes, and Quit stops the daemon and the embedded server cleanly before exiting.
 */

/** The slice of Electron's `app` used here. */
export interface AppPort {
  requestSingleInstanceLock(): boolean;
  on(event: 'second-instance' | 'window-all-closed' | 'activate', listener: () => void): void;
  on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): void;
  quit(): void;
  exit(code?: number): void;
}

/** Returns false when another instance holds the lock: this one should exit at once. */
export function setupSingleInstance(app: AppPort, focusFirst: () => void): boolean {
  if (!app.requestSingleInstanceLock()) return false;
  app.on('second-instance', focusFirst);
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

export function setupLifecycle(app: AppPort, o: LifecycleOptions): { quitting(): boolean } {
  let phase: 'running' | 'stopping' | 'done' = 'running';
  // Closing the last window leaves the tray: no quit (the default would quit on Windows/Linux).
  app.on('window-all-closed', () => {});
  app.on('activate', () => o.openWindow());
  app.on('before-quit', (event) => {
    if (phase === 'done') return;
    event.preventDefault();
    if (phase === 'stopping') return;
    phase = 'stopping';
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
