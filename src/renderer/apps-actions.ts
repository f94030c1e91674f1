/** The app state's connected-apps part (issue #14 item 5): the list the status page shows, and disconnecting one. */
import type { ConnectedAppJson } from '../common/contract.js';
import type { UiState } from './app-state.js';
import type { Transport } from './transport.js';

type Set = (partial: Partial<UiState> | ((s: UiState) => Partial<UiState>)) => void;

export interface AppsState {
  list: ConnectedAppJson[];
  /** The outcome of the last disconnect, in words. */
  feedback: { tone: 'ok' | 'error'; message: string } | null;
}

export const emptyApps: AppsState = { list: [], feedback: null };

export type AppsActions = Pick<UiState, 'loadApps' | 'disconnectApp'>;

export function appsActions(set: Set, host: Transport): AppsActions {
  const patch = (p: Partial<AppsState>) => set((s) => ({ apps: { ...s.apps, ...p } }));
  async function loadApps() {
    const res = await host.request({ kind: 'listApps' });
    if (res.ok) patch({ list: res.value });
  }
  return {
    loadApps,
    async disconnectApp(id, name) {
      const res = await host.request({ kind: 'disconnectApp', id });
      patch({ feedback: res.ok ? { tone: 'ok', message: `${name} was disconnected. It stays out until it is started again.` } : { tone: 'error', message: res.error.message } });
      await loadApps();
    },
  };
}
