/** The app state's actions around the account: the snapshot, the first-run wizard, unlock and lock. */
import { ERROR_CODES, type Status } from '../common/contract.js';
import type { GetUi, SetUi, UiState, WizardState } from './ui-state.js';
import type { Transport } from './transport.js';

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
  return wizard ?? (status.state === 'no-account' ? freshWizard() : null);
}

/** A status from the host: the snapshot follows it, and so does the wizard's step. */
export function applyStatus(set: SetUi, status: Status): void {
  set((s) => ({ snapshot: s.snapshot ? { ...s.snapshot, status } : null, wizard: wizardFor(s.wizard, status) }));
}

export const patchWizard = (set: SetUi, p: Partial<WizardState>) => set((s) => (s.wizard ? { wizard: { ...s.wizard, ...p } } : {}));

export type SessionActions = Pick<UiState, 'refresh' | 'wizardGo' | 'createAccount' | 'finishWizard' | 'unlockWith' | 'lock' | 'registerRemote'>;

export function sessionActions(set: SetUi, get: GetUi, host: Transport): SessionActions {
  return {
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
        wizard: wizardFor(s.wizard, snap.status),
      }));
    },

    wizardGo(step) {
      patchWizard(set, { step, error: null });
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

    async registerRemote(remote) {
      const res = await host.request({ kind: 'registerRemote', remote });
      if (!res.ok) set({ problem: res.error.message });
      const st = await host.request({ kind: 'status' });
      if (st.ok) applyStatus(set, st.value);
    }
  };
}
