/**
 * The UI's single store. Every host call goes through here, so views stay declarative and the
 * order of events (a status push racing a response) is resolved in one place.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import {
  ERROR_CODES,
  type AccountStage,
  type HostEvent,
  type Identity,
  type RestartPhase,
  type Settings,
  type Snapshot,
  type Status,
} from '../common/contract.js';
import type { ConnectionState, Transport } from './transport.js';
import { sameValue, valueAt } from './paths.js';

export type View = 'status' | 'identity' | 'settings';

export interface WizardState {
  step: 'welcome' | 'password' | 'creating' | 'done';
  stage: AccountStage | null;
  fraction: number | null;
  error: string | null;
  identity: Identity | null;
}

export interface SaveState {
  phase: 'idle' | RestartPhase;
  /** The outcome or the current step, in words. */
  message: string | null;
  ok: boolean | null;
}

export interface UiState {
  connection: ConnectionState;
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

  setView(view: View): void;
  wizardGo(step: WizardState['step']): void;
  createAccount(password: string): Promise<void>;
  finishWizard(): void;
  unlockWith(password: string, remember: boolean): Promise<boolean>;
  lock(): Promise<void>;
  loadSettings(): Promise<void>;
  editSettings(change: (draft: Settings) => void): void;
  revertSettings(): void;
  saveSettings(): Promise<void>;
  reloadFromDisk(): void;
  dismissDiskChange(): void;
  answerShare(id: string, accept: boolean): Promise<void>;
  refresh(): Promise<void>;
}

const idleSave: SaveState = { phase: 'idle', message: null, ok: null };

export const RESTART_WORDS: Record<RestartPhase, string> = {
  saving: 'Saving…',
  stopping: 'Restarting Hypergolix…',
  starting: 'Restarting Hypergolix…',
  done: 'Saved. Hypergolix restarted with the new settings.',
  failed: 'Saved, but Hypergolix did not restart.',
};

export function createUiStore(host: Transport): StoreApi<UiState> {
  const store = createStore<UiState>()((set, get) => {
    const patchSettings = (p: Partial<UiState['settings']>) => set((s) => ({ settings: { ...s.settings, ...p } }));
    const patchWizard = (p: Partial<WizardState>) => set((s) => (s.wizard ? { wizard: { ...s.wizard, ...p } } : {}));

    const applyStatus = (status: Status) =>
      set((s) => {
        const snapshot = s.snapshot ? { ...s.snapshot, status } : null;
        const wizard = s.wizard ?? (status.state === 'no-account' ? freshWizard() : null);
        return { snapshot, wizard };
      });

    // Events may arrive before any view exists; the store is their only reader.
    function handleEvent(ev: HostEvent) {
      switch (ev.kind) {
        case 'status':
          applyStatus(ev.status);
          break;
        case 'accountProgress':
          patchWizard({ stage: ev.stage, fraction: ev.fraction ?? null });
          break;
        case 'restartProgress': {
          const save = get().settings.save;
          // 'done'/'failed' are settled by the save's own answer, which also carries the reason.
          if (ev.phase !== 'done' && ev.phase !== 'failed' && save.phase !== 'done' && save.phase !== 'failed') {
            patchSettings({ save: { phase: ev.phase, message: RESTART_WORDS[ev.phase], ok: null } });
          }
          break;
        }
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
      snapshot: null,
      problem: null,
      view: 'status',
      wizard: null,
      unlock: { busy: false, error: null, wrongPassword: false, attempts: 0 },
      settings: { baseline: null, draft: null, loading: false, loadError: null, serverErrors: {}, save: idleSave, diskChange: null },
      shareBusy: {},

      setView(view) {
        set({ view });
        if (view === 'settings' && !get().settings.draft && !get().settings.loading) void get().loadSettings();
      },

      async refresh() {
        const res = await host.request({ kind: 'getState' });
        if (!res.ok) {
          set({ problem: res.error.message });
          return;
        }
        const snap = res.value;
        set((s) => ({
          snapshot: snap,
          problem: null,
          wizard: s.wizard ?? (snap.status.state === 'no-account' || snap.status.state === 'creating' ? freshWizard() : null),
        }));
      },

      wizardGo(step) {
        patchWizard({ step, error: null });
      },

      async createAccount(password) {
        patchWizard({ step: 'creating', stage: 'keys', fraction: null, error: null });
        const res = await host.request({ kind: 'createAccount', password });
        if (!res.ok) {
          patchWizard({ step: 'password', error: res.error.message, stage: null });
          return;
        }
        patchWizard({ step: 'done', stage: 'done', identity: res.value });
        void get().refresh();
      },

      finishWizard() {
        set({ wizard: null, view: 'identity' });
        void get().refresh();
      },

      async unlockWith(password, remember) {
        set((s) => ({ unlock: { ...s.unlock, busy: true, error: null, wrongPassword: false } }));
        const res = await host.request({ kind: 'unlock', password, rememberOnThisComputer: remember });
        if (res.ok) {
          set({ unlock: { busy: false, error: null, wrongPassword: false, attempts: 0 } });
          void get().refresh();
          return true;
        }
        const wrong = res.error.code === ERROR_CODES.wrongPassword;
        set((s) => ({
          unlock: {
            busy: false,
            wrongPassword: wrong,
            error: wrong ? 'That password is not right. Check it and try again.' : res.error.message,
            attempts: s.unlock.attempts + 1,
          },
        }));
        return false;
      },

      async lock() {
        const res = await host.request({ kind: 'lock' });
        if (!res.ok) set({ problem: res.error.message });
        else void get().refresh();
      },

      async loadSettings() {
        patchSettings({ loading: true, loadError: null });
        const res = await host.request({ kind: 'getSettings' });
        if (!res.ok) {
          patchSettings({ loading: false, loadError: res.error.message });
          return;
        }
        patchSettings({ loading: false, baseline: res.value, draft: clone(res.value), serverErrors: {}, diskChange: null });
      },

      editSettings(change) {
        const draft = get().settings.draft;
        if (!draft) return;
        const next = clone(draft);
        change(next);
        const save = get().settings.save;
        // A finished save's message goes once the user edits again; one in progress stays.
        const settled = save.phase === 'done' || save.phase === 'failed';
        patchSettings({ draft: next, save: settled ? idleSave : save });
      },

      revertSettings() {
        const base = get().settings.baseline;
        patchSettings({ draft: base ? clone(base) : null, serverErrors: {}, save: idleSave });
      },

      async saveSettings() {
        const { draft, save } = get().settings;
        if (!draft || (save.phase !== 'idle' && save.phase !== 'done' && save.phase !== 'failed')) return;
        const sent = clone(draft);
        patchSettings({ save: { phase: 'saving', message: RESTART_WORDS.saving, ok: null }, serverErrors: {} });
        const res = await host.request({ kind: 'saveSettings', settings: sent });
        if (res.ok) {
          const message = res.value.restarted ? RESTART_WORDS.done : 'Saved.';
          patchSettings({ baseline: sent, save: { phase: 'done', message, ok: true }, diskChange: null });
          return;
        }
        const fields = res.error.fields ?? {};
        const serverErrors = Object.fromEntries(Object.entries(fields).map(([path, message]) => [path, { message, value: valueAt(sent, path) }]));
        const saved = res.error.code === ERROR_CODES.restartFailed;
        const message =
          res.error.code === ERROR_CODES.invalidSettings
            ? `Not saved: ${Object.keys(fields).length > 0 ? 'fix the marked fields.' : res.error.message}`
            : saved
              ? `${RESTART_WORDS.failed} ${res.error.message}`
              : `Not saved: ${res.error.message}`;
        patchSettings({ serverErrors, save: { phase: 'failed', message, ok: false }, ...(saved ? { baseline: sent } : {}) });
      },

      reloadFromDisk() {
        const disk = get().settings.diskChange;
        if (!disk) return;
        patchSettings({ baseline: disk, draft: clone(disk), diskChange: null, serverErrors: {}, save: idleSave });
      },

      dismissDiskChange() {
        const disk = get().settings.diskChange;
        // The file is the new baseline either way; keeping the draft means "I'll overwrite it".
        patchSettings({ diskChange: null, ...(disk ? { baseline: disk } : {}) });
      },

      async answerShare(id, accept) {
        set((s) => ({ shareBusy: { ...s.shareBusy, [id]: true } }));
        const res = await host.request(accept ? { kind: 'acceptShare', id } : { kind: 'declineShare', id });
        set((s) => {
          const { [id]: _, ...rest } = s.shareBusy;
          return { shareBusy: rest, problem: res.ok ? s.problem : res.error.message };
        });
        if (res.ok) {
          const st = await host.request({ kind: 'status' });
          if (st.ok) applyStatus(st.value);
        }
      },
    };

  });

  host.onConnection((connection) => {
    store.setState({ connection });
    if (connection === 'open') void store.getState().refresh();
  });
  return store;
}

function freshWizard(): WizardState {
  return { step: 'welcome', stage: null, fraction: null, error: null, identity: null };
}

const clone = <T>(v: T): T => structuredClone(v);

let current: StoreApi<UiState> | null = null;

export function installStore(s: StoreApi<UiState>): void {
  current = s;
}

/** The React hook over the one store. */
export function useUi<T>(select: (s: UiState) => T): T {
  if (!current) throw new Error('store not installed');
  return useStore(current, select);
}
