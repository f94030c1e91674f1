/**
 * The contract's bounds on what travels between the UI and its host, shared by contract.ts and
 * contract-status.ts: generous but finite, nothing legitimate comes near them.
 */
import { MAX_LENGTH as MAX_PASSWORD_LENGTH } from './password-rule.js';
import { str } from './wire-check.js';

export const LIMITS = { password: MAX_PASSWORD_LENGTH, host: 253, remotes: 64, id: 128, text: 4096, ghid: 256, shares: 1000, page: 256 * 1024, listed: 100 } as const;

/** A GHID as text. */
export const ghidText = str({ min: 1, max: LIMITS.ghid });
