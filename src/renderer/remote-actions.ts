/**
 * The app state's part for "Try now" on the Status page: the remotes that are not connected are
 * tried at once instead of at the end of their wait (which grows to 30 s while a remote stays
 * away), and how that went, in words. The daemon keeps trying by itself either way.
 */
import type { RemoteStatus, Status } from '../common/contract.js';
import type { SetUi, UiState } from './ui-state.js';
import type { Transport } from './transport.js';

export type RemoteActions = Pick<UiState, 'tryRemotes'>;

const label = (r: RemoteStatus) => `${r.host}:${r.port}`;

/** What trying the remotes away did, against the status before: connected now, or still away and why. */
export function triedWords(before: Status | undefined, after: Status): { tone: 'ok' | 'error'; message: string } {
  const wasAway = new Set((before?.remotes ?? []).filter((r) => !r.connected).map(label));
  const away = after.remotes.filter((r) => !r.connected);
  if (away.length === 0) return { tone: 'ok', message: after.remotes.length === 1 ? 'Connected.' : 'Connected to every remote.' };
  const back = after.remotes.filter((r) => r.connected && wasAway.has(label(r))).map(label);
  const still = away.map((r) => `${label(r)}${r.problem ? ` — ${r.problem.replace(/\.$/, '')}` : ''}`);
  return {
    tone: 'error',
    message: `${back.length > 0 ? `Connected to ${back.join(', ')}. ` : ''}Still out of reach: ${still.join('; ')}. Hypergolix keeps trying.`,
  };
}

export function remoteActions(set: SetUi, get: () => UiState, host: Transport): RemoteActions {
  const patch = (p: Partial<UiState['remotesTry']>) => set((s) => ({ remotesTry: { ...s.remotesTry, ...p } }));
  return {
    async tryRemotes() {
      // One at a time: a second click would only wait for the same tries.
      if (get().remotesTry.busy) return;
      const before = get().snapshot?.status;
      patch({ busy: true, feedback: null });
      try {
        const res = await host.request({ kind: 'tryRemotes' });
        if (!res.ok) return patch({ feedback: { tone: 'error', message: res.error.message } });
        patch({ feedback: triedWords(before, res.value) });
        // Shown at once (the host's status event says the same, maybe a moment later).
        set((s) => (s.snapshot ? { snapshot: { ...s.snapshot, status: res.value } } : {}));
      } finally {
        patch({ busy: false });
      }
    },
  };
}
