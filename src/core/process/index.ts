/** Single-instance lock, stop, detached start and graceful shutdown for the CLI-hosted daemon and server. */
export { AlreadyRunning, PidFileError, StartFailed } from './errors.js';
export { isProcessAlive } from './alive.js';
export { acquirePidFile, readPidFile, type PidFileState, type PidInfo, type PidLock } from './pidfile.js';
export { stopProcess, waitForExit, waitPortsFree, type PortSpec, type StopOptions, type StopResult } from './stop.js';
export {
  startDetached,
  isDetachedChild,
  reportBootLog,
  relayBootLog,
  reportReady,
  reportFailed,
  readHandoff,
  detachFromParent,
  type ChildMessage,
  type DetachedChild,
  type OutputSource,
  type StartDetachedOptions,
} from './detach.js';
export { onShutdown, configureShutdown, shutdown, isShuttingDown, type ShutdownHandler, type ShutdownOptions } from './signals.js';
