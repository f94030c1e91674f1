/**
 * The UI's state (one zustand store; "app state" so it is not confused with the object store).
 * Every host call goes through here, so views stay declarative and the order of events (a status
 * push racing a response) is resolved in one place.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { AccountStage, ContactChange, HostEvent, Identity, RestartPhase, Settings, Snapshot } from '../common/contract.js';
import { showBrowserNotice } from './browser-notices.js';
import { sameValue } from './paths.js';
import { accountActions, emptyAccount, type AccountState } from './account-actions.js';
import { appsActions, emptyApps, type AppsState } from './apps-actions.js';
import { emptyPeople, peopleActions, type PeopleState } from './people-actions.js';
import { applyStatus, patchWizard, sessionActions } from './session-actions.js';
import { RESTART_WORDS, clone, idleSave, settingsActions } from './settings-actions.js';
import type { ConnectionState, Transport } from './transport.js';

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
}

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
  reloadFromDisk(): void;
  dismissDiskChange(): void;
  /** Accept once, accept and trust (`trust`), decline, or decline and block (`block`). */
  answerShare(id: string, accept: boolean, opts?: { trust?: boolean; block?: boolean }): Promise<void>;
  loadPeople(): Promise<void>;
  /** Changes a contact; `words` say what was done once it was. */
  changeContact(change: ContactChange, words: string): Promise<void>;
  removeContact(fingerprint: string): Promise<void>;
  showSafetyCode(fingerprint: string): Promise<void>;
  /** Opens a remote's registration page (signed by the account) in the browser. */
  registerRemote(remote: string): Promise<void>;
  refresh(): Promise<void>;
}

export function createAppState(host: Transport): StoreApi<UiState> {
  const store = createStore<UiState>()((set, get) => {
    const patchSettings = (p: Partial<UiState['settings']>) => set((s) => ({ settings: { ...s.settings, ...p } }));

    // Events may arrive before any view exists; the app state is their only reader.
    function handleEvent(ev: HostEvent) {
      switch (ev.kind) {
        case 'status': {
          const before = get().snapshot?.status.incomingShares.length;
          applyStatus(set, ev.status);
          // A share arrived (or was answered elsewhere) while the Shares page is open: show it there too.
          if (get().view === 'shares' && ev.status.incomingShares.length !== before) void get().loadPeople();
          break;
        }
        case 'accountProgress':
          patchWizard(set, { stage: ev.stage, fraction: ev.fraction ?? null });
          break;
        case 'restartProgress': {
          const save = get().settings.save;
          // 'done'/'failed' are settled by the save's own answer, which also carries the reason.
          if (ev.phase !== 'done' && ev.phase !== 'failed' && save.phase !== 'done' && save.phase !== 'failed') {
            patchSettings({ save: { phase: ev.phase, message: RESTART_WORDS[ev.phase], ok: null } });
          }
          break;
        }
        case 'notice':
          if (host.mode === 'browser') showBrowserNotice(ev.title, ev.body);
          break;
        case 'configChanged': {
          const { baseline } = get().settings;
          if (baseline === null) patchSettings({ baseline: ev.settings, draft: clone(ev.settings) });
          else if (!sameValue(baseline, ev.settings)) patchSettings({ diskChange: ev.settings });
          break;
        }
      }
    }
    host.subscribe(handleEvent);

    return {
      connection: 'connecting',
      mode: host.mode,
      snapshot: null,
      problem: null,
      view: 'status',
      wizard: null,
      unlock: { busy: false, error: null, wrongPassword: false, attempts: 0 },
      settings: { baseline: null, draft: null, loading: false, loadError: null, serverErrors: {}, save: idleSave, diskChange: null },
      shareBusy: {},
      people: emptyPeople,
      account: emptyAccount,
      apps: emptyApps,

      setView(view) {
        set({ view });
        if (view === 'settings' && !get().settings.draft && !get().settings.loading) void get().loadSettings();
        if (view === 'shares' || view === 'contacts') {
          set((s) => ({ people: { ...s.people, feedback: null } }));
          void get().loadPeople();
        }
      },
      ...sessionActions(set, get, host),
      ...settingsActions(set, get, host),
      ...peopleActions(set, get, host),
      ...accountActions(set, get, host),
      ...appsActions(set, host),
    };
  });

  host.onConnection((connection) => {
    store.setState({ connection });
    if (connection === 'open') void store.getState().refresh();
  });
  return store;
}

let current: StoreApi<UiState> | null = null;

export function installAppState(s: StoreApi<UiState>): void {
  current = s;
}

/** The React hook over the one app state. */
export function useUi<T>(select: (s: UiState) => T): T {
  if (!current) throw new Error('app state not installed');
  return useStore(current, select);
}
