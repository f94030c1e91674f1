/**
 * The Hypergolix error family with its wire codes (hypergolix-reference §3.2). It lives in the
 * wire module (`src/wire/errors.ts`), which the SDK shares; golix and the engine keep importing
 * it from here.
 */
export * from '../../wire/errors.js';
