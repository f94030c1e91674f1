/** The app state's actions around the account: the snapshot, the first-run wizard, unlock and lock. */
import { ERROR_CODES, type Status } from '../common/contract.js';
import { emptyAccount, emptyApps, emptyCacheCheck, emptyPeople } from './empty-state.js';
import type { GetUi, SetUi, UiState, WizardState } from './ui-state.js';
import type { Transport } from './transport.js';
import { tooLongToSend } from './password-limit.js';

function freshWizard(step: WizardState['step'] = 'welcome'): WizardState {
  return { step, stage: null, fraction: null, error: null, identity: null };
}

/**
 * The wizard as the host's state says it is, so a reload or a second tab shows the true step: an
 * account being created shows its progress, one just created the result step, a failed creation
 * the password step with the reason. Only the first sight of 'no-account' opens it at the welcome.
 */
function wizardFor(wizard: WizardState | null, status: Status): WizardState | null {
  if (status.state === 'creating') return wizard?.step === 'creating' ? wizard : freshWizard('creating');
  if (wizard?.step === 'creating' && status.state === 'running') return { ...wizard, step: 'done', stage: 'done' };
  if (wizard?.step === 'creating' && status.state === 'no-account') return { ...wizard, step: 'password', stage: null, error: status.message };
  // An account exists now (made or signed in by another window, or this one's answer was lost): the first steps are over.
  if (wizard && ENTRY_STEPS.has(wizard.step) && HAS_ACCOUNT.has(status.state)) return null;
  return wizard ?? (status.state === 'no-account' ? freshWizard() : null);
}

const ENTRY_STEPS: ReadonlySet<WizardState['step']> = new Set(['welcome', 'password', 'signin']);
// Not 'unlocking': a sign-in from the wizard passes through it and may come back to 'no-account'.
const HAS_ACCOUNT: ReadonlySet<Status['state']> = new Set(['locked', 'running', 'restarting']);
const idleUnlock: UiState['unlock'] = { busy: false, error: null, wrongPassword: false, attempts: 0 };

/** What follows from a status: the wizard's step, and the unlock screen's words once it is left (however it was). */
function followStatus(s: UiState, status: Status): Pick<UiState, 'wizard' | 'unlock'> {
  const onUnlock = status.state === 'locked' || status.state === 'unlocking';
  return { wizard: wizardFor(s.wizard, status), unlock: onUnlock || s.unlock.busy ? s.unlock : idleUnlock };
}

/** A status from the host: the snapshot follows it, and so does the wizard's step. */
export function applyStatus(set: SetUi, status: Status): void {
  set((s) => ({ snapshot: s.snapshot ? { ...s.snapshot, status } : null, ...followStatus(s, status) }));
}

export const patchWizard = (set: SetUi, p: Partial<WizardState>) => set((s) => (s.wizard ? { wizard: { ...s.wizard, ...p } } : {}));

export type SessionActions = Pick<UiState, 'refresh' | 'wizardGo' | 'createAccount' | 'finishWizard' | 'unlockWith' | 'lock' | 'registerRemote'>;

export function sessionActions(set: SetUi, get: GetUi, host: Transport): SessionActions {
  const registering = new Set<string>();
  return {
    async refresh() {
      const res = await host.request({ kind: 'getState' });
      if (!res.ok) {
        set({ problem: res.error.message });
        return;
      }
      const snap = res.value;
      set((s) => {
        // Another account now (hypergolix.yml names another, unlocked here): nothing of the last one's stays.
        const before = s.snapshot?.identity?.fingerprint;
        const switched = before !== undefined && snap.identity !== null && snap.identity.fingerprint !== before;
        return { snapshot: snap, problem: null, ...followStatus(s, snap.status), ...(switched ? { people: emptyPeople, account: emptyAccount, apps: emptyApps, cacheCheck: emptyCacheCheck } : {}) };
      });
    },

    wizardGo(step) {
      patchWizard(set, { step, error: null, fields: {}, busy: false });
    },

    async createAccount(password) {
      patchWizard(set, { step: 'creating', stage: 'keys', fraction: null, error: null });
      const res = await host.request({ kind: 'createAccount', password });
      if (!res.ok) {
        patchWizard(set, { step: 'password', error: res.error.message, stage: null });
        return;
      }
      patchWizard(set, { step: 'done', stage: 'done', identity: res.value });
      void get().refresh();
    },

    finishWizard() {
      set({ wizard: null, view: 'identity' });
      void get().refresh();
    },

    async unlockWith(password, remember) {
      const tooLong = tooLongToSend(password);
      if (tooLong) {
        set((s) => ({ unlock: { busy: false, error: tooLong, wrongPassword: false, attempts: s.unlock.attempts + 1 } }));
        return false;
      }
      set((s) => ({ unlock: { ...s.unlock, busy: true, error: null, wrongPassword: false } }));
      const res = await host.request({ kind: 'unlock', password, rememberOnThisComputer: remember });
      if (res.ok) {
        set({ unlock: { busy: false, error: null, wrongPassword: false, attempts: 0 } });
        void get().refresh();
        return true;
      }
      // A password this computer learned was changed elsewhere is wrong too; the host's words say since when.
      const changed = res.error.code === ERROR_CODES.passwordChanged;
      const wrong = changed || res.error.code === ERROR_CODES.wrongPassword;
      set((s) => ({
        unlock: {
          busy: false,
          wrongPassword: wrong,
          error: wrong && !changed ? 'That password is not right. Check it and try again.' : res.error.message,
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

    async registerRemote(remote) {
      // One at a time per remote: the host opens a browser page for each.
      const key = remote;
      if (registering.has(key)) return;
      registering.add(key);
      try {
        const res = await host.request({ kind: 'registerRemote', remote });
        set({ problem: res.ok ? null : res.error.message });
        const st = await host.request({ kind: 'status' });
        if (st.ok) applyStatus(set, st.value);
      } finally {
        registering.delete(key);
      }
    }
  };
}
