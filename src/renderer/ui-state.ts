/**
 * What the UI's state holds and what it offers the views, as types only: the one zustand store
 * (app-state.ts) is assembled from the slices (*-actions.ts), and each slice reads and writes the
 * whole state through `SetUi` and `GetUi`. The types live apart from the store so that the
 * slices depend on them and the store on the slices, never back.
 */
import type { AccountStage, ConnectedAppJson, ContactChange, ContactJson, Identity, RestartPhase, Settings, ShareJson, Snapshot } from '../common/contract.js';
import type { ConnectionState } from './transport.js';

export type View = 'status' | 'shares' | 'contacts' | 'identity' | 'settings';

export interface WizardState {
  step: 'welcome' | 'password' | 'creating' | 'done' | 'signin';
  stage: AccountStage | null;
  fraction: number | null;
  error: string | null;
  identity: Identity | null;
  /** Field errors of the sign-in form, by field (userId, remote). */
  fields?: Record<string, string>;
  /** A sign-in is running. */
  busy?: boolean;
}

export interface SaveState {
  phase: 'idle' | RestartPhase;
  /** The outcome or the current step, in words. */
  message: string | null;
  ok: boolean | null;
  /** Saved, but what had to restart did not come back: the restart can be tried again (retryRestart). */
  retry?: boolean;
}

/** A save or a restart is under way (its answer settles it). */
export const busySaving = (save: SaveState): boolean => save.phase !== 'idle' && save.phase !== 'done' && save.phase !== 'failed';

export interface UiState {
  connection: ConnectionState;
  /** Electron window or browser mode: some settings only mean something in one of them. */
  mode: 'electron' | 'browser';
  snapshot: Snapshot | null;
  /** Set when a request failed in a way no view handles. */
  problem: string | null;
  view: View;
  /** Non-null from the first sight of 'no-account' until the user finishes the last page. */
  wizard: WizardState | null;
  unlock: { busy: boolean; error: string | null; wrongPassword: boolean; attempts: number };
  settings: {
    /** What the host last said the file holds. */
    baseline: Settings | null;
    draft: Settings | null;
    loading: boolean;
    loadError: string | null;
    /** Errors from the host, each kept with the value it judged, so editing the field clears it. */
    serverErrors: Record<string, { message: string; value: unknown }>;
    save: SaveState;
    /** Set when hypergolix.yml changed on disk after we loaded it. */
    diskChange: Settings | null;
  };
  shareBusy: Record<string, boolean>;
  people: PeopleState;
  account: AccountState;
  apps: AppsState;
  cacheCheck: CacheCheckState;
  /** "Check now": the daemon checks the local cache's files (the words are in `cacheCheck.feedback`). */
  checkCache(): Promise<void>;
  serverStoreCheck: CacheCheckState;
  /** "Check now" for this computer's server: it checks its store (the words are in `serverStoreCheck.feedback`). */
  checkServerStore(): Promise<void>;
  /** "Try now" on the Status page: the remotes away are tried at once (the words are in `remotesTry.feedback`). */
  remotesTry: CacheCheckState;
  tryRemotes(): Promise<void>;
  loadApps(): Promise<void>;
  /** Closes one app's connection; `name` is how the page called it, for the words after. */
  disconnectApp(id: number, name: string): Promise<void>;
  /** Settings → Account; resolves whether it worked (the words are in `account.feedback`). */
  changePassword(current: string, next: string): Promise<boolean>;
  makeRecoveryKit(password: string): Promise<boolean>;
  /** "Forgot your password?": the kit's key and a new password, from the unlock screen. */
  recoverAccount(recoveryKey: string, password: string): Promise<boolean>;
  closeKit(): void;

  setView(view: View): void;
  wizardGo(step: WizardState['step']): void;
  createAccount(password: string): Promise<void>;
  /** "I already have an account": field errors land in `wizard.fields`, others in `wizard.error`. */
  signIn(userId: string, remote: string, password: string): Promise<void>;
  finishWizard(): void;
  unlockWith(password: string, remember: boolean): Promise<boolean>;
  lock(): Promise<void>;
  loadSettings(): Promise<void>;
  editSettings(change: (draft: Settings) => void): void;
  revertSettings(): void;
  saveSettings(): Promise<void>;
  /** Tries again the restart that did not come back (after "Saved, but Hypergolix did not restart", or in state 'error'). */
  retryRestart(): Promise<void>;
  reloadFromDisk(): void;
  dismissDiskChange(): void;
  /** Accept once, accept and trust (`trust`), decline, or decline and block (`block`). */
  answerShare(id: string, accept: boolean, opts?: { trust?: boolean; block?: boolean }): Promise<void>;
  loadPeople(): Promise<void>;
  /** Changes a contact; `words` say what was done once it was. Resolves whether it was. */
  changeContact(change: ContactChange, words: string): Promise<boolean>;
  removeContact(fingerprint: string): Promise<void>;
  showSafetyCode(fingerprint: string): Promise<void>;
  /** Opens a remote's registration page (signed by the account) in the browser. */
  registerRemote(remote: string): Promise<void>;
  refresh(): Promise<void>;
}

export interface AccountState {
  busy: 'password' | 'kit' | 'recover' | null;
  /** The outcome of the last action, in words (read out by a live region). */
  feedback: { tone: 'ok' | 'error'; message: string; action: 'password' | 'kit' | 'recover' } | null;
  /** A kit just made: its key and printable page, until closed. */
  kit: { key: string; page: string } | null;
}

/** A button's action on the Status page (a check, "Try now"): running, and what it last did. */
export interface CacheCheckState {
  busy: boolean;
  /** What the last one asked for found, in words. */
  feedback: { tone: 'ok' | 'error'; message: string } | null;
}

export interface AppsState {
  list: ConnectedAppJson[];
  /** The outcome of the last disconnect, in words. */
  feedback: { tone: 'ok' | 'error'; message: string } | null;
}

export interface PeopleState {
  contacts: ContactJson[];
  shares: ShareJson[];
  loaded: boolean;
  /** Why the lists could not be read (the last time they were asked for), or null. */
  loadError: string | null;
  /** The outcome of the last action, in words. */
  feedback: { tone: 'ok' | 'error'; message: string } | null;
  busy: Record<string, boolean>;
  /** Safety codes shown, by fingerprint. */
  codes: Record<string, string[]>;
}

/** How a slice changes the state: a partial state, or one computed from the current state. */
export type SetUi = (partial: Partial<UiState> | ((s: UiState) => Partial<UiState>)) => void;
/** How a slice reads the current state. */
export type GetUi = () => UiState;
