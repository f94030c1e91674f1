/**
 * What each slice of the UI's state holds before anything is loaded, and again after the window
 * switches to another account. Apart from the slices (*-actions.ts) so that the session's slice
 * can reset the others without importing them.
 */
import type { AccountState, AppsState, CacheCheckState, PeopleState } from './ui-state.js';

export const emptyCacheCheck: CacheCheckState = { busy: false, feedback: null };
export const emptyAccount: AccountState = { busy: null, feedback: null, kit: null };
export const emptyApps: AppsState = { list: [], feedback: null };
export const emptyPeople: PeopleState = { contacts: [], shares: [], loaded: false, loadError: null, feedback: null, busy: {}, codes: {} };
