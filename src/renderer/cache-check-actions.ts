/**
 * The app state's part for the checks of the local cache's files: "Check now" on the Status page
 * (the daemon also checks them by itself), and what the check found, in words.
 */
import type { CacheCheckStatus } from '../common/contract.js';
import type { CacheCheckState, SetUi, UiState } from './ui-state.js';
import type { Transport } from './transport.js';


export type CacheCheckActions = Pick<UiState, 'checkCache'>;

const objects = (n: number) => `${n.toLocaleString()} object${n === 1 ? '' : 's'}`;

/** What a check asked for found, against the report before it (what it put right is the difference). */
export function checkWords(before: CacheCheckStatus | undefined, after: CacheCheckStatus): string {
  const mended = after.putRight - (before?.putRight ?? 0);
  const given = after.givenToRemotes - (before?.givenToRemotes ?? 0);
  const fixed =
    (mended > 0 ? ` ${mended.toLocaleString()} damaged file${mended === 1 ? ' was' : 's were'} put right from a remote.` : '') +
    (given > 0 ? ` ${objects(given)} of yours ${given === 1 ? 'was' : 'were'} given again to remotes that lacked ${given === 1 ? 'it' : 'them'}.` : '');
  if (after.damagedCount > 0) return `Checked ${objects(after.checked)}:${fixed} ${objects(after.damagedCount)} damaged here, and no remote has a good copy yet.`;
  return `Checked ${objects(after.checked)}: all sound.${fixed}`;
}

export function cacheCheckActions(set: SetUi, get: () => UiState, host: Transport): CacheCheckActions {
  const patch = (p: Partial<CacheCheckState>) => set((s) => ({ cacheCheck: { ...s.cacheCheck, ...p } }));
  return {
    async checkCache() {
      // One at a time: a second click would only wait for the same check.
      if (get().cacheCheck.busy) return;
      const before = get().snapshot?.status.cacheCheck;
      patch({ busy: true, feedback: null });
      try {
        const res = await host.request({ kind: 'checkCache' });
        const damaged = res.ok && res.value.damagedCount > 0;
        patch({ feedback: res.ok ? { tone: damaged ? 'error' : 'ok', message: checkWords(before, res.value) } : { tone: 'error', message: res.error.message } });
        // Shown at once (the host's status event says the same, maybe a moment later).
        if (res.ok) set((s) => (s.snapshot ? { snapshot: { ...s.snapshot, status: { ...s.snapshot.status, cacheCheck: res.value } } } : {}));
      } finally {
        patch({ busy: false });
      }
    },
  };
}
