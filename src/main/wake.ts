/**
 * A computer woken from sleep (or its screen unlocked) tries its remotes away at once: during
 * the sleep the daemon's waits between tries grew to 30 s, and the network is usually back
 * within seconds of waking. A try starts the back-off over, so the next ones come quickly too.
 */

/** How the OS says the computer woke: powerMonitor's `resume` and `unlock-screen` in src/main/main.ts. Returns a disposer. */
export interface WakePort {
  onWake(listener: () => void): () => void;
}

export interface WakeOptions {
  /** The controller's tryRemotes; refused while locked (nothing runs to try then). */
  tryRemotes(): Promise<unknown>;
  info(message: string): void;
}

/** Wires the wake-up tries; a wake while a try is under way (resume and unlock come together) joins it. Returns a disposer. */
export function setupWakeTries(port: WakePort, o: WakeOptions): () => void {
  let trying: Promise<void> | null = null;
  return port.onWake(() => {
    trying ??= o
      .tryRemotes()
      .then(
        () => o.info('Woken: the remotes away were tried at once'),
        // Locked, or no account yet: there is nothing to connect.
        () => {},
      )
      .finally(() => (trying = null));
  });
}
