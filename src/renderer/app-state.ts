/**
 * The UI's state (one zustand store; "app state" so it is not confused with the object store).
 * Every host call goes through here, so views stay declarative and the order of events (a status
 * push racing a response) is resolved in one place.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { HostEvent } from '../common/contract.js';
import { showBrowserNotice } from './browser-notices.js';
import { sameValue } from '../common/json-paths.js';
import { accountActions } from './account-actions.js';
import { appsActions } from './apps-actions.js';
import { cacheCheckActions } from './cache-check-actions.js';
import { remoteActions } from './remote-actions.js';
import { emptyAccount, emptyApps, emptyCacheCheck, emptyPeople } from './empty-state.js';
import { peopleActions } from './people-actions.js';
import { applyStatus, patchWizard, sessionActions } from './session-actions.js';
import { RESTART_WORDS, clone, idleSave, settingsActions } from './settings-actions.js';
import type { Transport } from './transport.js';
import type { UiState } from './ui-state.js';

export type { SaveState, UiState, View, WizardState } from './ui-state.js';

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
          // Followed only while this window's own save runs (the tray's switches restart too).
          if (ev.phase !== 'done' && ev.phase !== 'failed' && save.phase !== 'idle' && save.phase !== 'done' && save.phase !== 'failed') {
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
          else patchSettings({ diskChange: null }); // a change undone takes its banner with it
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
      cacheCheck: emptyCacheCheck,
      serverStoreCheck: emptyCacheCheck,
      remotesTry: emptyCacheCheck,

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
      ...cacheCheckActions(set, get, host),
      ...remoteActions(set, get, host),
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
