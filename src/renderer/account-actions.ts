/**
 * The app state's account part (issue #13): changing the password and making a recovery kit
 * (Settings → Account), "Forgot your password?" on the unlock screen, and the wizard's sign-in. Each ends in words for
 * the user; a new kit's key is held here only until the user closes it (it is shown once).
 */
import type { AccountState, GetUi, SetUi, UiState } from './ui-state.js';
import { ERROR_CODES } from '../common/contract.js';
import { applyStatus, patchWizard } from './session-actions.js';
import type { Transport } from './transport.js';
import { tooLongToSend } from './password-limit.js';


export type AccountActions = Pick<UiState, 'changePassword' | 'makeRecoveryKit' | 'recoverAccount' | 'closeKit' | 'signIn'>;

export function accountActions(set: SetUi, get: GetUi, host: Transport): AccountActions {
  const patch = (p: Partial<AccountState>) => set((s) => ({ account: { ...s.account, ...p } }));
  async function run<T>(action: AccountState['busy'] & string, request: () => Promise<{ ok: true; value: T } | { ok: false; error: { message: string } }>, done: string): Promise<T | null> {
    patch({ busy: action, feedback: null });
    const res = await request();
    patch({ busy: null, feedback: res.ok ? { tone: 'ok', message: done, action } : { tone: 'error', message: res.error.message, action } });
    return res.ok ? res.value : null;
  }
  return {
    async changePassword(current, next) {
      const ok = await run('password', () => host.request({ kind: 'changePassword', current, next }), 'Password changed. Use the new one on every computer of this account from now on.');
      return ok !== null;
    },
    async makeRecoveryKit(password) {
      const kit = await run('kit', () => host.request({ kind: 'makeRecoveryKit', password }), 'Recovery kit made. Any earlier recovery key opens nothing any more.');
      if (kit) patch({ kit });
      return kit !== null;
    },
    async recoverAccount(recoveryKey, password) {
      const ok = await run('recover', () => host.request({ kind: 'recoverAccount', recoveryKey, password }), 'New password set. The old password opens nothing any more.');
      const status = await host.request({ kind: 'status' });
      if (status.ok) applyStatus(set, status.value);
      if (ok !== null) void get().refresh();
      return ok !== null;
    },
    /** The wizard's "I already have an account". */
    async signIn(userId, remote, password) {
      const tooLong = tooLongToSend(password);
      if (tooLong) {
        patchWizard(set, { busy: false, fields: {}, error: tooLong });
        return;
      }
      patchWizard(set, { busy: true, error: null, fields: {} });
      const res = await host.request({ kind: 'signIn', userId, remote, password });
      if (!res.ok) {
        const fields = res.error.fields ?? {};
        const wrong = res.error.code === ERROR_CODES.wrongPassword;
        patchWizard(set, { busy: false, fields, error: Object.keys(fields).length > 0 ? null : wrong ? 'That password does not open this account.' : res.error.message });
        return;
      }
      set({ wizard: null, view: 'status' });
      void get().refresh();
    },

    closeKit() {
      patch({ kit: null });
    },
  };
}
