/** The settings page's actions on the app state: load, edit, revert, save with a visible restart, follow the file. */
import { ERROR_CODES, type RestartPhase } from '../common/contract.js';
import { busySaving, type GetUi, type SaveState, type UiState } from './ui-state.js';
import { sameValue, valueAt } from '../common/json-paths.js';
import { mergeSettings } from '../common/settings-merge.js';
import type { Transport } from './transport.js';

type Set = (partial: (s: UiState) => Partial<UiState>) => void;

export const idleSave: SaveState = { phase: 'idle', message: null, ok: null };

export const RESTART_WORDS: Record<RestartPhase, string> = {
  saving: 'Saving…',
  stopping: 'Restarting Hypergolix…',
  starting: 'Restarting Hypergolix…',
  done: 'Saved. Hypergolix restarted with the new settings.',
  failed: 'Saved, but Hypergolix did not restart.',
};

export const clone = <T>(v: T): T => structuredClone(v);

export type SettingsActions = Pick<UiState, 'loadSettings' | 'editSettings' | 'revertSettings' | 'saveSettings' | 'retryRestart' | 'reloadFromDisk' | 'dismissDiskChange'>;

export function settingsActions(set: Set, get: GetUi, host: Transport): SettingsActions {
  const patchSettings = (p: Partial<UiState['settings']>) => set((s) => ({ settings: { ...s.settings, ...p } }));
  /**
   * The file holds values as the host writes them (a host trimmed, say: "  example.org " is saved
   * as "example.org"), so after a save the form shows what the file says rather than what was
   * typed, unless the user edited on meanwhile. Unread (the host went away), what was sent stays.
   */
  async function adoptSaved(sent: UiState['settings']['draft']) {
    const res = await host.request({ kind: 'getSettings' });
    if (!res.ok) return;
    const { draft, diskChange } = get().settings;
    patchSettings({
      baseline: res.value,
      ...(sameValue(draft, sent) ? { draft: clone(res.value) } : {}),
      ...(diskChange && sameValue(diskChange, res.value) ? { diskChange: null } : {}),
    });
  }

  async function offerFileSettings() {
    const res = await host.request({ kind: 'getSettings' });
    if (res.ok && !sameValue(res.value, get().settings.baseline)) patchSettings({ diskChange: res.value });
  }

  return {
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
      const { draft, save, baseline } = get().settings;
      if (!draft || busySaving(save)) return;
      const sent = clone(draft);
      patchSettings({ save: { phase: 'saving', message: RESTART_WORDS.saving, ok: null }, serverErrors: {} });
      // With what the form was opened on, the host writes only what was changed here, so a save
      // made meanwhile in another window or by hand is not undone (common/settings-merge.ts).
      const res = await host.request({ kind: 'saveSettings', settings: sent, ...(baseline ? { base: clone(baseline) } : {}) });
      if (res.ok) {
        const message = res.value.restarted ? RESTART_WORDS.done : 'Saved.';
        patchSettings({ baseline: sent, save: { phase: 'done', message, ok: true }, diskChange: null });
        await adoptSaved(sent);
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
      patchSettings({ serverErrors, save: { phase: 'failed', message, ok: false, retry: saved }, ...(saved ? { baseline: sent } : {}) });
      // Changed elsewhere too: the file's settings are offered as a change on disk is (Reload, or
      // Keep my edits, which makes them the form's base, so that saving again writes these edits).
      if (res.error.code === ERROR_CODES.settingsChanged) await offerFileSettings();
    },

    async retryRestart() {
      if (busySaving(get().settings.save)) return;
      patchSettings({ save: { phase: 'stopping', message: RESTART_WORDS.stopping, ok: null } });
      const res = await host.request({ kind: 'retryRestart' });
      if (res.ok) patchSettings({ save: { phase: 'done', message: res.value.restarted ? RESTART_WORDS.done : 'Nothing needed restarting.', ok: true } });
      else patchSettings({ save: { phase: 'failed', message: res.error.code === ERROR_CODES.restartFailed ? res.error.message : `Not restarted: ${res.error.message}`, ok: false, retry: true } });
    },

    reloadFromDisk() {
      const disk = get().settings.diskChange;
      if (!disk) return;
      patchSettings({ baseline: disk, draft: clone(disk), diskChange: null, serverErrors: {}, save: idleSave });
    },

    dismissDiskChange() {
      const { diskChange: disk, baseline, draft } = get().settings;
      if (!disk) return;
      // The edits made here are kept, put over the file's new values: a setting changed only
      // elsewhere shows its new value (saving would otherwise write the old one back), and one
      // changed in both keeps this page's. The file is the new base for the next save, so the
      // host's answers about the old one (a field "changed elsewhere") no longer hold.
      const rebased = baseline && draft ? mergeSettings(baseline, draft, disk).merged : draft;
      patchSettings({ diskChange: null, baseline: disk, draft: rebased, serverErrors: {} });
    }
  };
}
