/** The app state's connected-apps part (issue #14 item 5): the list the status page shows, and disconnecting one. */
import type { AppsState, SetUi, UiState } from './ui-state.js';
import type { Transport } from './transport.js';


export type AppsActions = Pick<UiState, 'loadApps' | 'disconnectApp'>;

export function appsActions(set: SetUi, host: Transport): AppsActions {
  const patch = (p: Partial<AppsState>) => set((s) => ({ apps: { ...s.apps, ...p } }));
  async function loadApps() {
    const res = await host.request({ kind: 'listApps' });
    if (res.ok) patch({ list: res.value });
  }
  // Apps being disconnected: a second click (a double click) would be answered "not connected
  // any more", and those words would replace the ones saying it was disconnected.
  const leaving = new Set<number>();
  return {
    loadApps,
    async disconnectApp(id, name) {
      if (leaving.has(id)) return;
      leaving.add(id);
      try {
        const res = await host.request({ kind: 'disconnectApp', id });
        patch({ feedback: res.ok ? { tone: 'ok', message: `${name} was disconnected. It stays out until it is started again.` } : { tone: 'error', message: res.error.message } });
        await loadApps();
      } finally {
        leaving.delete(id);
      }
    },
  };
}
