/** Reading accounts made by the Python Hypergolix (py_hypergolix 0.1.0 and September 2016), read-only. */
export * from './errors.js';
export { decodePickle, DEFAULT_PICKLE_LIMITS, type PickleLimits, type PickleOptions } from './pickle.js';
export { REFERENCE_CLASSES, type ClassSpec } from './pickle-classes.js';
export { PyDict, PyList, PySet, PyTuple, SetMap, ShareLog, SharePair, type PyValue } from './pickle-values.js';
export type { BindingSource, ObjectSource } from './source.js';
export type { IncomingShare, LegacyAccount, OutstandingShare, PendingRequest, SystemObject, SystemObjectName } from './legacy-account.js';
export { openReferenceAccount, REFERENCE_MANIFEST_NAMES, type ReferenceLoginOptions } from './reference-account.js';
export { open2016Account, type Login2016Options } from './account-2016.js';
export { readAppObjects, type AppObjectScan, type LegacyAppObject, type SkipReason } from './app-objects.js';
export { detectAccountFormat, type FormatDetection } from './detect.js';
