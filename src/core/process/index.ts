/** Single-instance lock, stop, detached start and graceful shutdown for the CLI-hosted daemon and server. */
export { AlreadyRunning, PidFileError, StartFailed } from './errors.js';
export { isProcessAlive } from './alive.js';
export { acquirePidFile, readPidFile, type PidFileState, type PidInfo, type PidLock } from './pidfile.js';
export { stopProcess, waitPortsFree, type PortSpec, type StopOptions, type StopResult } from './stop.js';
export { startDetached, type DetachedChild, type OutputSource, type StartDetachedOptions } from './detach.js';
export { isDetachedChild, reportBootLog, relayBootLog, reportReady, reportFailed, readHandoff, detachFromParent } from './detached-child.js';
export { runtimeDescription } from './runtime.js';
export { onShutdown, configureShutdown, shutdown, type ShutdownHandler, type ShutdownOptions } from './signals.js';
